package gen

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Planted anomalies: with Options.Anomalies, every day of a source gets a few
// attacks planted after its background (see planter in gen.go), and Generate
// lists their lines in the day's truth file so that the detection stage's
// findings can be scored.
//
// The attacks of a day form one scenario, drawn from a stream of its own
// seeded from (seed, day): the scanner, the exfiltrating host and the times of
// its uploads are the same in vpcflow and nfdump, the SSH brute forcer is the
// same on the honeypots and on the bastion. Each source then draws the details
// of its lines from its own planted stream. Volumes follow the background
// (about 1% of a source's day per kind at Scale 1, with floors that keep each
// attack's shape at small scales).

// Kinds of planted anomalies, as the truth file names them.
const (
	KindPortScan       = "port_scan"          // vpcflow, nfdump
	KindExfiltration   = "exfiltration"       // vpcflow, nfdump
	KindBeaconing      = "beaconing"          // squid
	KindDNSTunneling   = "dns_tunneling"      // dns
	KindSSHBruteForce  = "ssh_brute_force"    // cowrie, syslog
	KindHDFSMassDelete = "hdfs_mass_delete"   // hdfs_audit
	KindRareAdmin      = "rare_admin_command" // navigator, syslog
)

// anomalyKinds are indexed by a record's tag - 1.
var anomalyKinds = []string{KindPortScan, KindExfiltration, KindBeaconing, KindDNSTunneling, KindSSHBruteForce, KindHDFSMassDelete, KindRareAdmin}

// Tags of the planted records (d.tag), one per kind.
const (
	tagPortScan int32 = iota + 1
	tagExfiltration
	tagBeaconing
	tagDNSTunneling
	tagSSHBruteForce
	tagHDFSMassDelete
	tagRareAdmin
)

// AnomalyKinds lists the kinds of planted anomalies.
func AnomalyKinds() []string { return slices.Clone(anomalyKinds) }

func init() {
	planters["vpcflow"] = []planter{plantVPCScan, plantVPCExfil}
	planters["nfdump"] = []planter{plantNFScan, plantNFExfil}
	planters["squid"] = []planter{plantSquidBeacon}
	planters["dns"] = []planter{plantDNSTunnel}
	planters["cowrie"] = []planter{plantCowrieBrute}
	planters["syslog"] = []planter{plantSyslogBrute, plantSyslogSudo}
	planters["hdfs_audit"] = []planter{plantHDFSDelete}
	planters["navigator"] = []planter{plantNavAdmin}
}

// scenario is what the planted attacks of one day share across sources.
type scenario struct {
	// port scan: one external host probes the ports of one to three servers
	// within a few minutes, from one source port (a SYN scanner's habit).
	scanner string
	probes  []probe
	// exfiltration: a workstation uploads tens of megabytes at a steady pace
	// to an address nothing else talks to, in the small hours.
	exfilHost *host
	exfilDst  string
	uploads   []upload
	// beaconing: a workstation polls a rare domain at a fixed interval.
	beaconHost                                  *host
	beaconDomain, beaconIP, beaconPath, beaconT string
	beaconSize                                  int64
	// DNS tunnelling: a host queries long random names under a rare domain.
	tunnelHost   *host
	tunnelDomain string
	// SSH brute force, on the honeypots and the bastion.
	bruter  string
	bruteAt int64
	// HDFS mass delete by a user.
	deleter string
	// rare admin commands: a DROP TABLE and a setPermission in Navigator by
	// one user, a sudo of an unusual command by another.
	admin, sudoer string
}

type probe struct {
	t      int64
	target *host
	port   int
	sport  int
	open   bool // the server listens there: the security group accepts
}

type upload struct {
	t              int64
	sport          int
	bytes, packets int64
	dur            int64 // seconds
	acks           int64 // packets of the reverse direction
}

// topPorts are probed first (in a random order), then random ports.
var topPorts = []int{21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 139, 143, 389, 443, 445, 465, 514, 587, 631, 636,
	873, 993, 995, 1080, 1433, 1521, 1723, 2049, 2181, 2375, 2376, 3000, 3128, 3306, 3389, 4443, 5000, 5044, 5432,
	5601, 5672, 5900, 5985, 6379, 6443, 7001, 8000, 8008, 8080, 8081, 8088, 8200, 8443, 8888, 9000, 9042, 9090,
	9092, 9200, 9300, 10250, 11211, 15672, 27017, 50070}

// scenario returns (and caches) the day's scenario.
func (d *day) scenario() *scenario {
	if d.sc == nil {
		d.sc = newScenario(d.w, d.seed, d.dt, d.scale)
	}
	return d.sc
}

func newScenario(w *world, seed int64, dt dates, scale float64) *scenario {
	r := rand.New(rand.NewPCG(seedFor(seed, "anomalies", dt.midnight/86400)))
	load := scale
	if wd := time.Unix(dt.midnight, 0).UTC().Weekday(); wd == time.Saturday || wd == time.Sunday {
		load *= 0.6 // as vpcflow's and nfdump's background
	}
	sc := &scenario{}
	seen := w.knownIPs()

	// port scan
	sc.scanner = rareIP(r, seen, true)
	targets := []*host{&w.hosts[pick(r, w.web)]}
	for k := between(r, 0, 2); k > 0; k-- {
		if h := w.server(r); !slices.Contains(targets, h) {
			targets = append(targets, h)
		}
	}
	n := clampInt(40*load, 30, 2000)
	t := int64(between(r, 0, 22*3600)) * nsPerSec
	gap := int64(between(r, 60, 300)) * nsPerSec / int64(n) // the whole scan takes 1-5 minutes
	sport := between(r, 40000, 65000)
	per := (n + len(targets) - 1) / len(targets)
	for i, h := range targets {
		ports := append([]int(nil), topPorts...)
		r.Shuffle(len(ports), func(a, b int) { ports[a], ports[b] = ports[b], ports[a] })
		used := map[int]bool{}
		for _, p := range ports {
			used[p] = true
		}
		for len(ports) < per {
			if p := between(r, 1, 65535); !used[p] {
				used[p] = true
				ports = append(ports, p)
			}
		}
		open := serverPort[serviceOf(h.name)]
		for _, p := range ports[:min(per, n-i*per)] {
			t += gap/2 + r.Int64N(gap+1)
			sc.probes = append(sc.probes, probe{t: t, target: h, port: p, sport: sport, open: slices.Contains(open, p)})
		}
	}

	// exfiltration, between 00:30 and 06:00
	sc.exfilHost = &w.hosts[w.works[r.IntN(len(w.works))]]
	sc.exfilDst = rareIP(r, seen, false)
	m := clampInt(12*load, 6, 200)
	t = int64(between(r, 1800, 3*3600)) * nsPerSec
	every := min(int64(between(r, 420, 900))*nsPerSec, (6*3600*nsPerSec-t)/int64(m))
	size := int64(between(r, 20, 60)) << 20
	for range m {
		b := size + int64(float64(size)*0.03*(2*r.Float64()-1)) // steady: within 3%
		p := b / int64(between(r, 1380, 1448))
		sc.uploads = append(sc.uploads, upload{t: t, sport: between(r, ephemeral[0], ephemeral[1]), bytes: b, packets: p,
			dur: int64(between(r, 30, 59)), acks: p/2 + int64(r.IntN(int(p/8)+1))})
		t += every + int64(between(r, -10, 10))*nsPerSec
	}

	// beaconing
	for sc.beaconHost == nil || sc.beaconHost == sc.exfilHost {
		sc.beaconHost = &w.hosts[w.works[r.IntN(len(w.works))]]
	}
	sc.beaconDomain = rareDomain(r, w, []string{"top", "xyz", "online", "site", "live"})
	sc.beaconIP = rareIP(r, seen, false)
	sc.beaconPath = pick(r, []string{"/api/v2/sync?id=", "/cdn/pixel.gif?u=", "/updates/check?client=", "/s/ping?sid="}) + string(appRandHex(nil, r, 12))
	sc.beaconT = pick(r, []string{"application/octet-stream", "image/gif", "application/json"})
	sc.beaconSize = int64(between(r, 180, 420))

	// DNS tunnelling
	for sc.tunnelHost == nil || sc.tunnelHost == sc.exfilHost || sc.tunnelHost == sc.beaconHost {
		sc.tunnelHost = w.anyHost(r)
	}
	sc.tunnelDomain = rareDomain(r, w, []string{"xyz", "info", "club", "tk", "pw"})

	// SSH brute force
	sc.bruter = rareIP(r, seen, true)
	sc.bruteAt = int64(between(r, 0, 22*3600)) * nsPerSec

	// HDFS mass delete and rare admin commands: users from the long tail
	tail := func() string { return w.users[len(w.users)/3+r.IntN(len(w.users)-len(w.users)/3)] }
	sc.deleter = tail()
	for sc.admin == "" || sc.admin == sc.deleter {
		sc.admin = tail()
	}
	sc.sudoer = w.user(r)
	return sc
}

func clampInt(v float64, lo, hi int) int { return min(max(int(math.Round(v)), lo), hi) }

// knownIPs is every address the background may use (but for the few random
// payload hosts of the honeypots).
func (w *world) knownIPs() map[string]bool {
	m := map[string]bool{}
	for _, l := range [][]string{w.clients, w.attacker} {
		for _, ip := range l {
			m[ip] = true
		}
	}
	for _, l := range [][]site{w.sites, w.odd} {
		for _, s := range l {
			m[s.ip] = true
		}
	}
	return m
}

// rareIP draws a public address the background never uses (from the hosting
// ranges attackers cluster in, when hosting) and adds it to seen.
func rareIP(r *rand.Rand, seen map[string]bool, hosting bool) string {
	for {
		var ip string
		if hosting {
			n := pick(r, [][2]int{{45, 148}, {185, 220}, {193, 32}, {141, 98}, {194, 26}, {5, 188}, {89, 248}})
			ip = ipString(ipv4(n[0], n[1], r.IntN(256), 1+r.IntN(254)))
		} else {
			ip = ipString(publicIP(r))
		}
		if !seen[ip] {
			seen[ip] = true
			return ip
		}
	}
}

// rareDomain draws a registered domain that is none of the world's.
func rareDomain(r *rand.Rand, w *world, tlds []string) string {
	for {
		b := make([]byte, 0, 24)
		for n := between(r, 7, 12); n > 0; n-- {
			b = append(b, byte('a'+r.IntN(26)))
		}
		dom := string(b) + "." + pick(r, tlds)
		known := false
		for _, s := range w.odd {
			known = known || s.domain == dom
		}
		if !known {
			return dom
		}
	}
}

// --- vpcflow

func plantVPCScan(d *day) {
	g, sc, r := d.gen.(*vpcGen), d.scenario(), d.r
	d.tag = tagPortScan
	for _, p := range sc.probes {
		f := flow{h: p.target, src: sc.scanner, dst: p.target.ip, sport: p.sport, dport: p.port, proto: 6, start: p.t,
			dur: int64(between(r, 1, 59)), ingress: true, reject: !p.open, tcpFlags: 2}
		f.packets = 1
		if chance(r, 0.1) { // a retransmitted SYN
			f.packets = 2
		}
		f.bytes = f.packets * 44
		if p.open {
			f.tcpFlags = 2 | 4 // SYN, then the scanner's RST
		}
		g.write(d, &f)
		if p.open { // the SYN-ACK, on the same ENI
			rf := f
			rf.src, rf.dst, rf.sport, rf.dport = f.dst, f.src, f.dport, f.sport
			rf.ingress, rf.path, rf.packets, rf.bytes, rf.tcpFlags = false, 2, 1, 44, 18
			rf.start = d.clamp(f.start + int64(between(r, 1, 40))*1e6)
			g.write(d, &rf)
		}
	}
}

func plantVPCExfil(d *day) {
	g, sc, r := d.gen.(*vpcGen), d.scenario(), d.r
	d.tag = tagExfiltration
	h := sc.exfilHost
	for _, u := range sc.uploads {
		f := flow{h: h, src: h.ip, dst: sc.exfilDst, sport: u.sport, dport: 443, proto: 6, packets: u.packets, bytes: u.bytes,
			start: u.t, dur: u.dur, tcpFlags: 19, path: 2}
		g.write(d, &f)
		rf := f
		rf.src, rf.dst, rf.sport, rf.dport = f.dst, f.src, f.dport, f.sport
		rf.ingress, rf.path, rf.packets, rf.bytes = true, 0, u.acks, u.acks*52
		rf.start = d.clamp(f.start + int64(between(r, 20, 200))*1e6)
		g.write(d, &rf)
	}
}

// --- nfdump

func plantNFScan(d *day) {
	g, sc, r := d.gen.(*nfGen), d.scenario(), d.r
	d.tag = tagPortScan
	for _, p := range sc.probes {
		f := nfFlow{t: p.t, sa: sc.scanner, da: p.target.ip, sp: p.sport, dp: p.port, pr: "TCP", flg: "....S.",
			pkt: 1, byt: 44, in: 2, out: 1, dmk: 16}
		g.write(d, &f)
		if p.open {
			f.sa, f.da, f.sp, f.dp = f.da, f.sa, f.dp, f.sp
			f.flg, f.in, f.out, f.smk, f.dmk = ".A..S.", 1, 2, 16, 0
			f.t = d.clamp(p.t + int64(between(r, 1, 40))*1e6)
			g.write(d, &f)
		}
	}
}

func plantNFExfil(d *day) {
	g, sc, r := d.gen.(*nfGen), d.scenario(), d.r
	d.tag = tagExfiltration
	for _, u := range sc.uploads {
		f := nfFlow{t: u.t, dur: u.dur*1000 + int64(r.IntN(1000)), sa: sc.exfilHost.ip, da: sc.exfilDst, sp: u.sport, dp: 443,
			pr: "TCP", flg: ".AP.SF", pkt: u.packets, byt: u.bytes, in: 1, out: 2, smk: 16}
		g.write(d, &f)
		f.sa, f.da, f.sp, f.dp = f.da, f.sa, f.dp, f.sp
		f.flg, f.pkt, f.byt, f.in, f.out, f.smk, f.dmk = ".A...F", u.acks, u.acks*52, 2, 1, 0, 16
		f.t = d.clamp(u.t + int64(between(r, 20, 200))*1e6)
		g.write(d, &f)
	}
}

// --- squid

// beaconIntervals are the implant's possible sleeps, in seconds.
var beaconIntervals = []int64{300, 600, 900, 1200, 1800, 3600}

func plantSquidBeacon(d *day) {
	g, sc, r := d.gen.(*squidGen), d.scenario(), d.r
	d.tag = tagBeaconing
	c := clampInt(float64(d.background)/120, 12, 288)
	every := beaconIntervals[len(beaconIntervals)-1]
	for _, iv := range beaconIntervals { // the shortest sleep that spans half the day
		if int64(c)*iv >= 12*3600 {
			every = iv
			break
		}
	}
	c = min(c, int((dayNs/nsPerSec-60)/every))
	span := int64(c-1)*every*nsPerSec + 4*nsPerSec
	t0 := 2*nsPerSec + r.Int64N(dayNs-span-nsPerSec)
	url := "http://" + sc.beaconDomain + sc.beaconPath
	for i := range int64(c) {
		t := t0 + i*every*nsPerSec + r.Int64N(4001)*1e6 - 2*nsPerSec // +-2 s
		g.write(d, t, int64(between(r, 60, 180)), sc.beaconHost.ip, "TCP_MISS/200", sc.beaconSize, "GET", url, "", "-",
			"HIER_DIRECT/", sc.beaconIP, sc.beaconT)
	}
}

// --- dns

const base32Chars = "abcdefghijklmnopqrstuvwxyz234567"

func plantDNSTunnel(d *day) {
	g, sc, r := d.gen.(*dnsGen), d.scenario(), d.r
	d.tag = tagDNSTunneling
	n := clampInt(float64(d.background)/100, 25, 3000)
	typ := 16 // TXT
	if chance(r, 0.25) {
		typ = 10 // NULL
	}
	t := r.Int64N(max(dayNs-int64(n)*3*nsPerSec-60*nsPerSec, nsPerSec)) // the session ends before midnight
	for range n {
		b := make([]byte, 0, 80)
		for k := between(r, 40, 60); k > 0; k-- {
			b = append(b, base32Chars[r.IntN(len(base32Chars))])
		}
		name := string(b) + "." + sc.tunnelDomain
		g.write(d, min(t, dayNs-1), sc.tunnelHost.ip, &dnsAnswer{name: name, typ: typ, extraLength: between(r, 40, 220)})
		t += int64(between(r, 150, 3000)) * 1e6
	}
}

// --- cowrie

var bruteUsers = []string{"root", "admin", "administrator", "user", "test", "guest", "oracle", "postgres", "mysql", "ubuntu",
	"debian", "centos", "pi", "git", "jenkins", "hadoop", "hdfs", "spark", "elastic", "kafka", "deploy", "ansible", "backup",
	"ftp", "ftpuser", "www-data", "nginx", "tomcat", "support", "sysadmin", "operator", "dev", "devops", "minecraft",
	"steam", "teamspeak", "vagrant", "ec2-user", "azureuser", "docker", "zabbix", "nagios", "odoo", "gitlab", "user1", "test1"}

func plantCowrieBrute(d *day) {
	g, sc, r := d.gen.(*cowrieGen), d.scenario(), d.r
	d.tag = tagSSHBruteForce
	attempts := clampInt(float64(d.background)/200, 20, 1500)
	fi := r.IntN(len(d.files))
	c := &sshClients[r.IntN(3)] // Go, libssh or OpenSSH 7.4: tools
	success := chance(r, 0.5)
	t := sc.bruteAt
	step := func(lo, hi int) { t = min(t+int64(between(r, lo, hi))*int64(1e3), dayNs-1) } // microseconds
	for attempts > 0 {
		s := session{fi: fi, ip: sc.bruter}
		appRandHex(s.id[:0], r, 12)
		t0 := t
		g.connect(d, &s, between(r, 32768, 60999), 22, t)
		step(50_000, 150_000)
		g.clientVersion(d, &s, c.version, t)
		step(20_000, 100_000)
		g.end(d, append(g.start(d, "client.kex"), c.kex...), &s, t)
		k := min(between(r, 4, 6), attempts)
		attempts -= k
		ok := false
		for i := range k {
			step(300_000, 1_500_000)
			user := pick(r, bruteUsers)
			pass := pick(r, honeyPass)
			ok = success && attempts == 0 && i == k-1
			if ok {
				user, pass = "root", pick(r, []string{"123456", "admin", "toor", "P@ssw0rd"})
			}
			g.login(d, &s, user, pass, ok, t)
		}
		if ok {
			for _, cmd := range botCommands[:2] {
				step(500_000, 3_000_000)
				g.command(d, &s, t, cmd)
			}
		}
		step(100_000, 500_000)
		dur := (t - t0) / 1e8
		g.closed(d, &s, dur, t)
		step(200_000, 2_000_000)
	}
}

// --- syslog

func plantSyslogBrute(d *day) {
	g, sc, r := d.gen.(*syslogGen), d.scenario(), d.r
	d.tag = tagSSHBruteForce
	attempts := clampInt(float64(d.background)/200, 15, 1000)
	h := g.hosts[0] // bastion-1, the only host reachable from the internet
	t := min(sc.bruteAt+int64(between(r, 120, 1200))*nsPerSec, dayNs-3600*nsPerSec)
	next := func(lo, hi int) { t = min(t+int64(between(r, lo, hi))*int64(1e6), dayNs-1) }
	line := func(pid int, parts ...string) {
		st := d.mark()
		b := g.head(d, t, h, "sshd", pid)
		for _, p := range parts {
			b = append(b, p...)
		}
		d.arena = b
		d.emit(0, t, st)
	}
	success := chance(r, 0.2)
	for attempts > 0 {
		pid := g.nextPID(d)
		port := strconv.Itoa(between(r, 32768, 60999))
		k := min(between(r, 3, 6), attempts)
		attempts -= k
		for i := range k {
			next(300, 1500)
			user := pick(r, bruteUsers)
			if success && attempts == 0 && i == k-1 {
				user = "deploy"
				line(pid, "Accepted password for ", user, " from ", sc.bruter, " port ", port, " ssh2")
				next(5, 60)
				line(pid, "pam_unix(sshd:session): session opened for user ", user, "(uid=1001) by (uid=0)")
				break
			}
			if user == "root" {
				line(pid, "Failed password for root from ", sc.bruter, " port ", port, " ssh2")
				continue
			}
			line(pid, "Invalid user ", user, " from ", sc.bruter, " port ", port)
			next(1, 400)
			line(pid, "Failed password for invalid user ", user, " from ", sc.bruter, " port ", port, " ssh2")
		}
	}
}

var rareSudo = []string{
	"/usr/sbin/useradd -o -u 0 -g 0 -M -N -s /bin/bash sysbackup",
	"/usr/bin/base64 -w0 /etc/shadow",
	"/usr/sbin/iptables -F",
	"/usr/bin/chattr -i /etc/passwd",
	"/bin/tar czf /tmp/.cache.tgz /etc/ssl/private",
	"/usr/sbin/setenforce 0",
	"/bin/systemctl stop auditd",
	"/usr/bin/truncate -s 0 /var/log/auth.log",
}

func plantSyslogSudo(d *day) {
	g, sc, r := d.gen.(*syslogGen), d.scenario(), d.r
	d.tag = tagRareAdmin
	fi := r.IntN(len(g.hosts))
	h := g.hosts[fi]
	t := int64(between(r, 0, 23*3600)) * nsPerSec
	uid := strconv.Itoa(1000 + int(sc.sudoer[0])%50)
	st := d.mark()
	b := g.head(d, t, h, "sudo", -1)
	b = append(b, "   "...)
	b = append(b, sc.sudoer...)
	b = append(b, " : TTY=pts/"...)
	b = appInt(b, int64(r.IntN(4)))
	b = append(b, " ; PWD=/home/"...)
	b = append(b, sc.sudoer...)
	b = append(b, " ; USER=root ; COMMAND="...)
	b = append(b, pick(r, rareSudo)...)
	d.arena = b
	d.emit(fi, t, st)
	st = d.mark()
	b = g.head(d, t, h, "sudo", -1)
	b = append(b, "pam_unix(sudo:session): session opened for user root(uid=0) by "...)
	b = append(b, sc.sudoer...)
	b = append(b, "(uid="...)
	b = append(b, uid...)
	b = append(b, ')')
	d.arena = b
	d.emit(fi, t, st)
}

// --- hdfs_audit

func plantHDFSDelete(d *day) {
	g, sc, r := d.gen.(*hdfsGen), d.scenario(), d.r
	d.tag = tagHDFSMassDelete
	n := clampInt(float64(d.background)/100, 30, 5000)
	edge := g.w.hostNamed(pick(r, []string{"edge-1", "edge-2"}))
	op := hdfsOp{user: sc.deleter, ip: edge.ip, cmd: "delete"}
	t := int64(between(r, 0, 23*3600)) * nsPerSec
	// partition by partition, table by table, back in time from yesterday
	for i := 0; i < n; i++ {
		tbl := hiveTables[i%len(hiveTables)]
		day := time.Unix(d.dt.midnight, 0).UTC().AddDate(0, 0, -1-i/len(hiveTables)).Format("2006-01-02")
		op.src = "/user/hive/warehouse/" + tbl + "/dt=" + day
		if i%len(hiveTables) == 3 && chance(r, 0.5) { // and raw feeds now and then
			op.src = "/data/raw/" + pick(r, rawFeeds) + "/dt=" + day
		}
		op.allowed = !(strings.HasPrefix(tbl, "hr.") || strings.HasPrefix(tbl, "finance.")) || chance(r, 0.1) // no rights there
		g.write(d, min(t, dayNs-1), &op)
		t += int64(between(r, 20, 250)) * 1e6
	}
}

// --- navigator

var dropTargets = []string{"finance.db/ledger", "finance.db/invoices", "sales.db/customers", "hr.db/employees", "sales.db/orders"}

func plantNavAdmin(d *day) {
	g, sc, r := d.gen.(*navGen), d.scenario(), d.r
	d.tag = tagRareAdmin
	var client *host
	for _, i := range g.w.works {
		if g.w.hosts[i].user == sc.admin {
			client = &g.w.hosts[i]
			break
		}
	}
	if client == nil {
		client = g.w.workstation(r)
	}
	t := int64(between(r, 19*3600, 23*3600)) * nsPerSec // after hours
	tbl := pick(r, dropTargets)
	db, table, _ := strings.Cut(tbl, "/")
	db = strings.TrimSuffix(db, ".db")
	g.hive(d, t, "HIVE", "HIVE-1", sc.admin, "hive", client.ip, "DROPTABLE", "DROP TABLE "+db+"."+table+" PURGE", db, table, "TABLE", true)
	t += int64(between(r, 300, 3000)) * 1e6
	g.hdfs(d, t, "hive", "", g.hiveIP, "delete", "/user/hive/warehouse/"+tbl, "", "", true)
	t += int64(between(r, 20, 600)) * nsPerSec
	other := pick(r, hiveTables)
	g.hdfs(d, t, sc.admin, "", client.ip, "setPermission", "/user/hive/warehouse/"+other, "", "rwxrwxrwx", true)
}
