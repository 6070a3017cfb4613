package gen

// DNS responses captured at the resolver and written by tshark as CSV fields,
// as Apache Spot's DNS ingest produced them
// (tshark -T fields -E separator=, -E header=y -E quote=n -E occurrence=f).

func init() {
	register(&source{name: "dns", lines: 3500, per: 1.0, shape: &office, weekend: 0.6,
		new: func(w *world) generator { return &dnsGen{w: w} }})
}

const dnsHeader = "frame.time,frame.time_epoch,frame.len,ip.src,ip.dst,dns.resp.name,dns.resp.type,dns.resp.class,dns.flags.rcode,dns.a"

type dnsGen struct{ w *world }

func (g *dnsGen) layout(d *day) {
	cuts := d.timeSplit(d.fileCount())
	for _, c := range cuts {
		gz, sfx := d.gz()
		b := append([]byte("dns_"), d.dt.compact...)
		b = append(b, '_')
		b = app2(b, int(c/(3600*nsPerSec)))
		b = append(b, "00.csv"...)
		b = append(b, sfx...)
		d.newFile(string(b), gz, dnsHeader)
	}
}

type dnsAnswer struct {
	name        string
	typ, rcode  int
	a           string
	extraLength int
}

func (g *dnsGen) activity(d *day, t int64) {
	r, w := d.r, g.w
	client := w.anyHost(r)
	var ans dnsAnswer
	switch x := r.IntN(1000); {
	case x < 640: // popular sites
		s := w.site(r)
		ans.name, ans.typ, ans.a = s.domain, 1, s.ip
		if s.cname != "" {
			ans.typ = 5
		}
		if s.ip6 != "" && r.IntN(5) == 0 {
			ans.typ, ans.a = 28, ""
		}
		ans.extraLength = len(s.cname)
	case x < 860: // internal names
		h := w.server(r)
		ans.name, ans.typ, ans.a = h.fqdn, 1, h.ip
	case x < 910: // reverse lookups
		h := w.anyHost(r)
		ans.name, ans.typ = reverseName(h.ip), 12
		ans.extraLength = len(h.fqdn)
	case x < 940: // mail and SPF
		ans.name, ans.typ = pick(r, []string{"example.com", "corp.example.com", "gmail.com", "outlook.com"}), 15
		if r.IntN(2) == 0 {
			ans.typ = 16
		}
		ans.extraLength = 40
	case x < 975: // random-looking domains (ad trackers, DGAs); many do not exist
		s := &w.odd[skewMild(r, len(w.odd))]
		ans.name, ans.typ, ans.a = s.domain, 1, s.ip
		if s.ip == "" {
			ans.rcode = 3
		}
	case x < 990: // typos and search-domain suffixes that do not exist
		ans.name, ans.typ, ans.rcode = w.sites[r.IntN(len(w.sites))].domain+".corp.example.com", 1, 3
	default: // the upstream fails
		ans.name, ans.typ, ans.rcode = w.site(r).domain, 1, 2
	}
	g.write(d, t, client.ip, &ans)
}

func reverseName(ip string) string {
	var parts [4]string
	n, start := 0, 0
	for i := 0; i <= len(ip); i++ {
		if i == len(ip) || ip[i] == '.' {
			if n < 4 {
				parts[n] = ip[start:i]
			}
			n++
			start = i + 1
		}
	}
	return parts[3] + "." + parts[2] + "." + parts[1] + "." + parts[0] + ".in-addr.arpa"
}

func (g *dnsGen) write(d *day, t int64, client string, a *dnsAnswer) {
	r := d.r
	st := d.mark()
	b := append(d.arena, '"')
	b = append(b, d.dt.tshark...)
	b = append(b, ' ')
	b = appHMS(b, int(t/nsPerSec))
	b = append(b, '.')
	b = appPad(b, t%nsPerSec/1000*1000, 9) // microsecond capture resolution
	b = append(b, ` UTC",`...)
	b = d.dt.appEpoch(b, t/1000*1000, 9)
	b = append(b, ',')
	frame := 42 + 12 + 2*len(a.name) + 10 + a.extraLength
	if a.a != "" {
		frame += 16
	}
	if a.typ == 28 {
		frame += 28
	}
	if a.rcode == 3 {
		frame += 60 // the SOA in the authority section
	}
	b = appInt(b, int64(frame+r.IntN(4)*16))
	b = append(b, ',')
	b = append(b, g.w.resolver...)
	b = append(b, ',')
	b = append(b, client...)
	b = append(b, ',')
	b = append(b, a.name...)
	b = append(b, ',')
	b = appInt(b, int64(a.typ))
	b = append(b, ",1,"...)
	b = appInt(b, int64(a.rcode))
	b = append(b, ',')
	b = append(b, a.a...)
	d.arena = b
	d.emit(d.fileAt(t), t, st)
}

func (g *dnsGen) corrupt(d *day, kind int, line []byte) []byte {
	switch kind {
	case badTruncate: // inside the quoted time, or before the answer fields
		return d.truncate(line, 5, 0.45)
	case badNumber: // a letter in the epoch and in the quoted time's hour
		breakAt(line, len(d.dt.tshark)+2)
		return breakAt(line, after(line, `UTC",`)+5)
	}
	return d.garbage()
}
