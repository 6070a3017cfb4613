package gen

// Syslog: /var/log/syslog-style files (RFC 3164 file format: no PRI) from a
// few hosts, with sshd, cron, sudo, systemd and kernel firewall messages, and
// one file of RFC 5424 lines from the application servers.

func init() {
	register(&source{name: "syslog", lines: 3000, per: 3.22, shape: &office, weekend: 0.7,
		new: func(w *world) generator { return &syslogGen{w: w} }})
}

type syslogGen struct {
	w      *world
	hosts  []*host // per RFC 3164 file
	uptime []int64 // seconds since boot at midnight, per host
	apps   int     // index of the RFC 5424 file
	pid    int
	sess   int
}

var syslogHosts = []string{"bastion-1", "web-1", "db-1", "app-1"}

func (g *syslogGen) layout(d *day) {
	k := d.fileCount()
	for i := 0; i < k-1; i++ {
		h := g.w.hostNamed(syslogHosts[i])
		gz, sfx := d.gz()
		d.newFile(h.name+"-syslog.log"+sfx, gz)
		g.hosts = append(g.hosts, h)
		g.uptime = append(g.uptime, int64(between(d.r, 3600, 90*86400)))
	}
	gz, sfx := d.gz()
	g.apps = d.newFile("apps-rfc5424.log"+sfx, gz)
	g.pid = between(d.r, 2000, 900000)
	g.sess = between(d.r, 100, 9000)
}

var (
	sshUsers = []string{"root", "admin", "ubuntu", "test", "user", "oracle", "postgres", "git", "pi", "ftpuser", "deploy", "support", "guest", "jenkins", "ec2-user"}
	cronJobs = []string{"/usr/lib/sysstat/debian-sa1 1 1", "test -x /etc/cron.daily/popularity-contest && /etc/cron.daily/popularity-contest --crond", "/usr/local/bin/backup.sh >/dev/null 2>&1", "[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi", "cd / && run-parts --report /etc/cron.hourly"}
	sudoCmds = []string{"/usr/bin/systemctl restart nginx", "/usr/bin/apt-get update", "/usr/bin/journalctl -u sshd --since today", "/usr/bin/tail -n 200 /var/log/auth.log", "/usr/bin/docker ps", "/usr/sbin/ufw status", "/bin/cat /etc/shadow", "/usr/bin/vim /etc/hosts"}
	keyTypes = []string{"ED25519 SHA256:", "RSA SHA256:", "ECDSA SHA256:"}
	b64      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	// application, and the two hosts it runs on
	appNames    = []string{"billing-api", "auth-svc", "orders-worker", "search-indexer", "files-api"}
	appHosts    = [][2]string{{"billing-1", "billing-2"}, {"auth-1", "auth-2"}, {"orders-1", "orders-2"}, {"search-1", "search-2"}, {"app-1", "app-2"}}
	appMessages = []struct {
		pri, msgid, msg string // pri: facility local0 (16) * 8 + severity
	}{
		{"134", "REQ", "GET /api/v1/invoices 200 12ms"},
		{"134", "REQ", "POST /api/v1/orders 201 48ms"},
		{"134", "REQ", "GET /api/v1/health 200 1ms"},
		{"134", "AUDIT", "user logged in"},
		{"133", "AUDIT", "password changed"},
		{"132", "-", "retrying kafka produce (attempt 2)"},
		{"132", "REQ", "GET /api/v1/orders/42 404 3ms"},
		{"131", "-", "payment provider timeout after 30000ms"},
		{"134", "ID47", "cache warmed: 12044 keys"},
		{"135", "-", "gc pause 4.2ms"},
	}
)

func (g *syslogGen) nextPID(d *day) int {
	g.pid += between(d.r, 1, 40)
	if g.pid > 4194000 {
		g.pid = 1200
	}
	return g.pid
}

// head appends "Nov 21 10:05:03 host prog[pid]: " (pid < 0: no pid).
func (g *syslogGen) head(d *day, t int64, h *host, prog string, pid int) []byte {
	b := append(d.arena, d.dt.bsd...)
	b = append(b, ' ')
	b = appHMS(b, int(t/nsPerSec))
	b = append(b, ' ')
	b = append(b, h.name...)
	b = append(b, ' ')
	b = append(b, prog...)
	if pid >= 0 {
		b = append(b, '[')
		b = appInt(b, int64(pid))
		b = append(b, ']')
	}
	return append(b, ':', ' ')
}

func (g *syslogGen) activity(d *day, t int64) {
	r := d.r
	if r.IntN(100) < 12 {
		g.app(d, t)
		return
	}
	fi := r.IntN(len(g.hosts))
	if r.IntN(3) == 0 {
		fi = 0 // the bastion sees most of the SSH traffic
	}
	h := g.hosts[fi]
	x := r.IntN(100)
	if h.name != "bastion-1" && x < 35 {
		x += 35 // internet SSH only reaches the bastion
	}
	switch {
	case x < 35: // internet SSH password guessing
		ip := g.w.attacker[skew(r, len(g.w.attacker))]
		pid := g.nextPID(d)
		for n := between(r, 1, 3); n > 0; n-- {
			port := between(r, 1024, 65535)
			user := sshUsers[skewMild(r, len(sshUsers))]
			st := d.mark()
			b := g.head(d, t, h, "sshd", pid)
			if user == "root" {
				b = append(b, "Failed password for root from "...)
			} else {
				b = append(b, "Invalid user "...)
				b = append(b, user...)
				b = append(b, " from "...)
				b = append(b, ip...)
				b = append(b, " port "...)
				b = appInt(b, int64(port))
				d.arena = b
				d.emit(fi, t, st)
				t = d.clamp(t + int64(between(r, 1, 900))*int64(1e6))
				st = d.mark()
				b = g.head(d, t, h, "sshd", pid)
				b = append(b, "Failed password for invalid user "...)
				b = append(b, user...)
				b = append(b, " from "...)
			}
			b = append(b, ip...)
			b = append(b, " port "...)
			b = appInt(b, int64(port))
			b = append(b, " ssh2"...)
			d.arena = b
			d.emit(fi, t, st)
			t = d.clamp(t + int64(between(r, 1000, 4000))*int64(1e6))
		}
	case x < 55: // an admin logs in, maybe uses sudo, logs out
		ws := g.w.workstation(r)
		user := ws.user
		pid := g.nextPID(d)
		port := between(r, 32768, 60999)
		st := d.mark()
		b := g.head(d, t, h, "sshd", pid)
		password := r.IntN(4) == 0
		if password {
			b = append(b, "Accepted password for "...)
		} else {
			b = append(b, "Accepted publickey for "...)
		}
		b = append(b, user...)
		b = append(b, " from "...)
		b = append(b, ws.ip...)
		b = append(b, " port "...)
		b = appInt(b, int64(port))
		b = append(b, " ssh2"...)
		if !password { // the key's fingerprint
			b = append(b, ": "...)
			b = append(b, pick(r, keyTypes)...)
			for i := 0; i < 43; i++ {
				b = append(b, b64[r.IntN(64)])
			}
		}
		d.arena = b
		d.emit(fi, t, st)
		uid := 1000 + int(user[0])%50
		t = d.clamp(t + int64(between(r, 5, 60))*int64(1e6))
		st = d.mark()
		b = g.head(d, t, h, "sshd", pid)
		b = append(b, "pam_unix(sshd:session): session opened for user "...)
		b = append(b, user...)
		b = append(b, "(uid="...)
		b = appInt(b, int64(uid))
		b = append(b, ") by (uid=0)"...)
		d.arena = b
		d.emit(fi, t, st)
		g.sess++
		st = d.mark()
		b = g.head(d, t, h, "systemd-logind", 612)
		b = append(b, "New session "...)
		b = appInt(b, int64(g.sess))
		b = append(b, " of user "...)
		b = append(b, user...)
		b = append(b, '.')
		d.arena = b
		d.emit(fi, t, st)
		if r.IntN(2) == 0 {
			t = d.clamp(t + int64(between(r, 5, 300))*nsPerSec)
			st = d.mark()
			b = g.head(d, t, h, "sudo", -1)
			b = append(b, "   "...)
			b = append(b, user...)
			b = append(b, " : TTY=pts/"...)
			b = appInt(b, int64(r.IntN(4)))
			b = append(b, " ; PWD=/home/"...)
			b = append(b, user...)
			b = append(b, " ; USER=root ; COMMAND="...)
			b = append(b, pick(r, sudoCmds)...)
			d.arena = b
			d.emit(fi, t, st)
			st = d.mark()
			b = g.head(d, t, h, "sudo", -1)
			b = append(b, "pam_unix(sudo:session): session opened for user root(uid=0) by "...)
			b = append(b, user...)
			b = append(b, "(uid="...)
			b = appInt(b, int64(uid))
			b = append(b, ')')
			d.arena = b
			d.emit(fi, t, st)
		}
		t = d.clamp(t + int64(between(r, 30, 3600))*nsPerSec)
		st = d.mark()
		b = g.head(d, t, h, "sshd", pid)
		b = append(b, "Received disconnect from "...)
		b = append(b, ws.ip...)
		b = append(b, " port "...)
		b = appInt(b, int64(port))
		b = append(b, ":11: disconnected by user"...)
		d.arena = b
		d.emit(fi, t, st)
		st = d.mark()
		b = g.head(d, t, h, "sshd", pid)
		b = append(b, "pam_unix(sshd:session): session closed for user "...)
		b = append(b, user...)
		d.arena = b
		d.emit(fi, t, st)
	case x < 80: // cron
		pid := g.nextPID(d)
		t = t / (60 * nsPerSec) * (60 * nsPerSec) // on the minute
		st := d.mark()
		b := g.head(d, t, h, "CRON", pid)
		b = append(b, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"...)
		d.arena = b
		d.emit(fi, t, st)
		st = d.mark()
		b = g.head(d, t, h, "CRON", pid+1)
		b = append(b, "(root) CMD ("...)
		b = append(b, pick(r, cronJobs)...)
		b = append(b, ')')
		d.arena = b
		d.emit(fi, t, st)
		t = d.clamp(t + int64(between(r, 20, 2000))*int64(1e6))
		st = d.mark()
		b = g.head(d, t, h, "CRON", pid)
		b = append(b, "pam_unix(cron:session): session closed for user root"...)
		d.arena = b
		d.emit(fi, t, st)
	default: // the host firewall drops a probe
		st := d.mark()
		b := g.head(d, t, h, "kernel", -1)
		up := g.uptime[fi]*nsPerSec + t
		b = append(b, '[')
		b = appSpacePad(b, up/nsPerSec, 5)
		b = append(b, '.')
		b = appPad(b, up%nsPerSec/1000, 6)
		b = append(b, "] [UFW BLOCK] IN=ens5 OUT= MAC=0e:"...)
		b = appRandHex(b, r, 2)
		b = append(b, ":7f:3a:91:c4:0e:55:12:ab:9d:01:08:00 SRC="...)
		b = append(b, g.w.attacker[r.IntN(len(g.w.attacker))]...)
		b = append(b, " DST="...)
		b = append(b, h.ip...)
		b = append(b, " LEN=44 TOS=0x00 PREC=0x00 TTL="...)
		b = appInt(b, int64(between(r, 40, 250)))
		b = append(b, " ID="...)
		b = appInt(b, int64(r.IntN(65536)))
		b = append(b, " PROTO=TCP SPT="...)
		b = appInt(b, int64(between(r, 1024, 65535)))
		b = append(b, " DPT="...)
		b = appInt(b, int64(pick(r, scanPorts)))
		b = append(b, " WINDOW=1024 RES=0x00 SYN URGP=0"...)
		d.arena = b
		d.emit(fi, t, st)
	}
}

// app writes one RFC 5424 line from an application server.
func (g *syslogGen) app(d *day, t int64) {
	r := d.r
	m := appMessages[skewMild(r, len(appMessages))]
	i := r.IntN(len(appNames))
	st := d.mark()
	b := append(d.arena, '<')
	b = append(b, m.pri...)
	b = append(b, ">1 "...)
	b = d.dt.appISO(b, t, 3)
	b = append(b, ' ')
	b = append(b, appHosts[i][r.IntN(2)]...)
	b = append(b, ' ')
	b = append(b, appNames[i]...)
	b = append(b, ' ')
	b = appInt(b, int64(1000+i*977))
	b = append(b, ' ')
	b = append(b, m.msgid...)
	switch m.msgid {
	case "REQ":
		b = append(b, ` [req@32473 id="`...)
		b = appRandHex(b, r, 16)
		b = append(b, `" src="`...)
		b = append(b, g.w.anyHost(r).ip...)
		b = append(b, `"] `...)
	case "AUDIT":
		b = append(b, ` [audit@32473 user="`...)
		b = append(b, g.w.user(r)...)
		b = append(b, `" mfa="`...)
		if r.IntN(5) == 0 {
			b = append(b, "false"...)
		} else {
			b = append(b, "true"...)
		}
		b = append(b, `"] `...)
	case "ID47":
		b = append(b, ` [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] `...)
	default:
		b = append(b, " - "...)
	}
	b = append(b, m.msg...)
	d.arena = b
	d.emit(g.apps, t, st)
}

func (g *syslogGen) corrupt(d *day, kind int, line []byte) []byte {
	switch kind {
	case badTruncate: // cut inside the timestamp
		return line[:between(d.r, 4, 13)]
	case badNumber: // a letter in the hour
		if line[0] == '<' {
			return breakAt(line, fieldAt(line, ' ', 1)+11)
		}
		return breakAt(line, 7)
	}
	return d.garbage()
}
