package gen

// AWS VPC Flow Logs as delivered to S3: the default (version 2) format, and
// on one file a day a custom version 5 format with a header naming its fields.

func init() {
	register(&source{name: "vpcflow", lines: 5000, per: 1.33, shape: &office, weekend: 0.6,
		new: func(w *world) generator { return &vpcGen{w: w} }})
}

const (
	vpcHeader2 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	vpcHeader5 = vpcHeader2 + " vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"
)

type vpcGen struct {
	w  *world
	v5 []bool // per file
}

// flow is one flow log record, as recorded on the ENI of host h.
type flow struct {
	h              *host
	src, dst       string
	sport, dport   int
	proto          int
	packets, bytes int64
	start          int64 // nanoseconds since midnight
	dur            int64 // seconds until end
	reject         bool
	nodata         bool
	tcpFlags       int
	ipv6           bool
	ingress        bool
	srcSvc, dstSvc string
	path           int // traffic-path (egress only)
}

func (g *vpcGen) layout(d *day) {
	k := d.fileCount()
	cuts := d.timeSplit(k)
	v5 := -1
	if !d.corpus {
		v5 = d.r.IntN(k)
	}
	for i := range k {
		gz, sfx := d.gz()
		fl, hdr := g.w.flowLog[0], ""
		if i == v5 {
			fl, hdr = g.w.flowLog[1], vpcHeader5
		} else if d.r.IntN(2) == 0 && !d.corpus {
			hdr = vpcHeader2
		}
		b := append([]byte(g.w.account), "_vpcflowlogs_us-east-1_"...)
		b = append(b, fl...)
		b = append(b, '_')
		b = append(b, d.dt.compact...)
		b = append(b, 'T')
		b = app2(b, int(cuts[i]/(3600*nsPerSec)))
		b = append(b, "00Z_"...)
		b = appRandHex(b, d.r, 6)
		b = append(b, ".log"...)
		b = append(b, sfx...)
		if hdr != "" {
			d.newFile(string(b), gz, hdr)
		} else {
			d.newFile(string(b), gz)
		}
		g.v5 = append(g.v5, i == v5)
	}
}

var (
	scanPorts  = []int{22, 23, 3389, 445, 8080, 5900, 1433, 3306, 6379, 9200, 2375, 8443, 5432, 21, 25, 110, 143, 8888, 27017, 11211}
	ephemeral  = [2]int{32768, 60999}
	serverPort = map[string][]int{"web": {443, 8080}, "app": {8080, 8443}, "db": {5432, 3306}, "cache": {6379}, "kafka": {9092},
		"bastion": {22}, "proxy": {3128}, "ci": {443, 8080}, "git": {22, 443}, "vault": {8200}, "ldap": {389, 636, 53},
		"mail": {25, 587, 993}, "mon": {9090, 3000}, "log": {9200, 5044}, "billing": {8443}, "auth": {8443}, "orders": {8080},
		"search": {9200}, "files": {445, 2049}, "vpn": {443}}
)

func serviceOf(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] == '-' {
			return name[:i]
		}
	}
	return name
}

func (g *vpcGen) activity(d *day, t int64) {
	r, w := d.r, g.w
	f := flow{start: t, proto: 6, sport: between(r, ephemeral[0], ephemeral[1]), dur: int64(between(r, 1, 59)), tcpFlags: 19}
	x := r.IntN(1000)
	switch {
	case x < 3: // an ENI with nothing to report
		f.h = w.anyHost(r)
		f.nodata = true
		g.write(d, &f)
	case x < 550: // egress to the internet
		if r.IntN(3) == 0 {
			f.h = w.server(r)
		} else {
			f.h = w.workstation(r)
		}
		s := w.site(r)
		f.src, f.dst = f.h.ip, s.ip
		if f.h.ip6 != "" && s.ip6 != "" && r.IntN(2) == 0 {
			f.src, f.dst, f.ipv6 = f.h.ip6, s.ip6, true
		}
		switch y := r.IntN(100); {
		case y < 84:
			f.dport = 443
		case y < 96:
			f.dport = 80
		default:
			f.dport, f.proto, f.tcpFlags = 123, 17, 0
		}
		f.packets = 1 + int64(longTail(r, 10))
		f.bytes = f.packets * int64(between(r, 60, 600))
		f.path = 2
		f.dstSvc = awsService(s)
		g.write(d, &f)
		if r.IntN(10) < 6 { // the response, recorded on the same ENI
			rf := f
			rf.src, rf.dst, rf.sport, rf.dport = f.dst, f.src, f.dport, f.sport
			rf.ingress, rf.path, rf.srcSvc, rf.dstSvc = true, 0, f.dstSvc, ""
			rf.packets = f.packets + int64(r.IntN(int(f.packets)+1))
			rf.bytes = rf.packets * int64(between(r, 400, 1450))
			if rf.proto == 6 {
				rf.tcpFlags = 18 | 1
			}
			rf.start = d.clamp(t + int64(r.IntN(200))*int64(1e6))
			g.write(d, &rf)
		}
	case x < 760: // east-west to a server
		src := w.anyHost(r)
		dst := w.server(r)
		ports := serverPort[serviceOf(dst.name)]
		f.dport = pick(r, ports)
		if f.dport == 53 {
			f.proto, f.tcpFlags = 17, 0
		}
		f.src, f.dst = src.ip, dst.ip
		f.packets = 1 + int64(longTail(r, 6))
		f.bytes = f.packets * int64(between(r, 60, 1200))
		f.path = 1
		if r.IntN(2) == 0 {
			f.h = src
		} else {
			f.h, f.ingress, f.path = dst, true, 0
		}
		g.write(d, &f)
	case x < 900: // internet clients of the web servers
		f.h = &w.hosts[pick(r, w.web)]
		f.src, f.dst = w.clients[skew(r, len(w.clients))], f.h.ip
		f.sport, f.dport = between(r, 1024, 65535), 443
		f.ingress = true
		f.packets = 3 + int64(longTail(r, 8))
		f.bytes = f.packets * int64(between(r, 52, 400))
		g.write(d, &f)
	case x < 975: // scans of the perimeter, rejected by security groups
		f.h = w.anyHost(r)
		f.src, f.dst = w.attacker[skew(r, len(w.attacker))], f.h.ip
		f.sport, f.dport = between(r, 1024, 65535), pick(r, scanPorts)
		if r.IntN(4) == 0 {
			f.dport = between(r, 1, 65535)
		}
		f.ingress, f.reject, f.tcpFlags = true, true, 2
		f.packets = int64(between(r, 1, 3))
		f.bytes = f.packets * int64(between(r, 40, 60))
		g.write(d, &f)
	default: // ICMP
		f.h = w.anyHost(r)
		f.proto, f.sport, f.dport, f.tcpFlags = 1, 0, 0, 0
		if r.IntN(2) == 0 {
			f.src, f.dst, f.path = f.h.ip, w.sites[r.IntN(len(w.sites))].ip, 2
		} else {
			f.src, f.dst, f.ingress = w.attacker[r.IntN(len(w.attacker))], f.h.ip, true
			f.reject = r.IntN(3) == 0
		}
		f.packets = int64(between(r, 1, 8))
		f.bytes = f.packets * 84
		g.write(d, &f)
	}
}

func awsService(s *site) string {
	if s.provider != "amazon" {
		return ""
	}
	switch s.domain {
	case "s3.amazonaws.com":
		return "S3"
	case "ec2.us-east-1.amazonaws.com":
		return "EC2"
	}
	return "AMAZON"
}

func appDash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}

// write appends f as a line of its file's format and emits it.
func (g *vpcGen) write(d *day, f *flow) {
	fi := d.fileAt(f.start)
	v5 := g.v5[fi]
	st := d.mark()
	b := d.arena
	if v5 {
		b = append(b, '5', ' ')
	} else {
		b = append(b, '2', ' ')
	}
	b = append(b, g.w.account...)
	b = append(b, ' ')
	b = append(b, f.h.eni...)
	sec := d.dt.midnight + f.start/nsPerSec
	if f.nodata {
		b = append(b, " - - - - - - - "...)
		b = appInt(b, sec)
		b = append(b, ' ')
		b = appInt(b, sec+f.dur)
		b = append(b, " - NODATA"...)
		if v5 {
			b = append(b, ' ')
			b = append(b, g.w.vpc...)
			b = append(b, ' ')
			b = append(b, f.h.subnet...)
			b = append(b, ' ')
			b = append(b, f.h.instance...)
			b = append(b, " - - - - us-east-1 "...)
			b = append(b, f.h.az...)
			b = append(b, " - - - - - -"...)
		}
		d.arena = b
		d.emit(fi, f.start, st)
		return
	}
	b = append(b, ' ')
	b = append(b, f.src...)
	b = append(b, ' ')
	b = append(b, f.dst...)
	b = append(b, ' ')
	b = appInt(b, int64(f.sport))
	b = append(b, ' ')
	b = appInt(b, int64(f.dport))
	b = append(b, ' ')
	b = appInt(b, int64(f.proto))
	b = append(b, ' ')
	b = appInt(b, f.packets)
	b = append(b, ' ')
	b = appInt(b, f.bytes)
	b = append(b, ' ')
	b = appInt(b, sec)
	b = append(b, ' ')
	b = appInt(b, sec+f.dur)
	if f.reject {
		b = append(b, " REJECT OK"...)
	} else {
		b = append(b, " ACCEPT OK"...)
	}
	if v5 {
		b = append(b, ' ')
		b = append(b, g.w.vpc...)
		b = append(b, ' ')
		b = append(b, f.h.subnet...)
		b = append(b, ' ')
		b = append(b, f.h.instance...)
		b = append(b, ' ')
		b = appInt(b, int64(f.tcpFlags))
		if f.ipv6 {
			b = append(b, " IPv6 "...)
		} else {
			b = append(b, " IPv4 "...)
		}
		b = append(b, f.src...)
		b = append(b, ' ')
		b = append(b, f.dst...)
		b = append(b, " us-east-1 "...)
		b = append(b, f.h.az...)
		b = append(b, " - - "...)
		b = appDash(b, f.srcSvc)
		b = append(b, ' ')
		b = appDash(b, f.dstSvc)
		if f.ingress {
			b = append(b, " ingress -"...)
		} else {
			b = append(b, " egress "...)
			b = appInt(b, int64(max(f.path, 1)))
		}
	}
	d.arena = b
	d.emit(fi, f.start, st)
}

func (g *vpcGen) corrupt(d *day, kind int, line []byte) []byte {
	switch kind {
	case badTruncate:
		return d.truncate(line, 8, 0.33)
	case badNumber:
		return breakAt(line, fieldAt(line, ' ', 9)) // bytes
	}
	return d.garbage()
}
