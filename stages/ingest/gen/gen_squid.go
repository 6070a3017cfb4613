package gen

// Squid native access.log of the office's forward proxies.

func init() {
	register(&source{name: "squid", lines: 3000, per: 1.07, shape: &office, weekend: 0.35,
		new: func(w *world) generator { return &squidGen{w: w} }})
}

type squidGen struct{ w *world }

func (g *squidGen) layout(d *day) {
	cuts := d.timeSplit(d.fileCount())
	for _, c := range cuts {
		gz, sfx := d.gz()
		b := append([]byte("squid-access."), d.dt.compact...)
		b = append(b, 'T')
		b = app2(b, int(c/(3600*nsPerSec)))
		b = append(b, "00.log"...)
		b = append(b, sfx...)
		d.newFile(string(b), gz)
	}
}

var plainHTTP = []struct{ url, ctype string }{
	{"http://archive.ubuntu.com/ubuntu/dists/noble/InRelease", "application/octet-stream"},
	{"http://security.ubuntu.com/ubuntu/dists/noble-security/main/binary-amd64/by-hash/SHA256/3f1a0c9d2b", "application/octet-stream"},
	{"http://ocsp.digicert.com/MFEwTzBNMEswSTAJBgUrDgMCGgUABBSAUQYBMq2awn1Rh6Doh%2FsBYgFV7gQUA95QNVbRTLtm8KPiGxvDl7I90VUCEAJ0LqoXyo4hxxe7H%2Fz9DKA%3D", "application/ocsp-response"},
	{"http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/authrootstl.cab", "application/vnd.ms-cab-compressed"},
	{"http://www.example.com/", "text/html"},
	{"http://detectportal.firefox.com/canonical.html", "text/html"},
	{"http://connectivity-check.ubuntu.com/", "text/plain"},
	{"http://crl.pki.goog/gsr1/gsr1.crl", "application/pkix-crl"},
	{"http://news.ycombinator.com/item?id=42211301", "text/html"},
	{"http://www.bbc.co.uk/news", "text/html"},
}

var squidCodes = []string{"TCP_MISS/200", "TCP_MISS/200", "TCP_MISS/200", "TCP_HIT/200", "TCP_MEM_HIT/200", "TCP_REFRESH_UNMODIFIED/304", "TCP_MISS/301", "TCP_MISS/404", "TCP_MISS/304"}

func (g *squidGen) activity(d *day, t int64) {
	r, w := d.r, g.w
	client := w.workstation(r)
	if r.IntN(6) == 0 {
		client = w.server(r)
	}
	user := "-"
	if client.user != "" && r.IntN(5) < 3 {
		user = client.user
	}
	switch x := r.IntN(100); {
	case x < 62: // HTTPS through the tunnel
		s := w.site(r)
		g.write(d, t, int64(longTail(r, 12000)), client.ip, "TCP_TUNNEL/200", 1+int64(longTail(r, 25000)), "CONNECT", s.domain, ":443", user, "HIER_DIRECT/", s.ip, "-")
	case x < 88: // plain HTTP
		p := plainHTTP[skewMild(r, len(plainHTTP))]
		code := squidCodes[skewMild(r, len(squidCodes))]
		size := int64(300 + longTail(r, 8000))
		hier, peer := "HIER_DIRECT/", w.sites[r.IntN(len(w.sites))].ip
		if code[4] == 'H' || code[4] == 'M' && code[5] == 'E' { // TCP_HIT, TCP_MEM_HIT
			hier, peer = "HIER_NONE/", "-"
		}
		if code[len(code)-3:] == "304" {
			size = int64(between(r, 280, 420))
		}
		method := "GET"
		if r.IntN(30) == 0 {
			method = "POST"
		}
		g.write(d, t, int64(longTail(r, 120)), client.ip, code, size, method, p.url, "", user, hier, peer, p.ctype)
	case x < 95: // proxy authentication required first (then the retry succeeds)
		s := w.site(r)
		g.write(d, t, 0, client.ip, "TCP_DENIED/407", int64(between(r, 3900, 4200)), "CONNECT", s.domain, ":443", "-", "HIER_NONE/", "-", "text/html")
		t = d.clamp(t + int64(between(r, 2, 40))*1e6)
		g.write(d, t, int64(longTail(r, 9000)), client.ip, "TCP_TUNNEL/200", 1+int64(longTail(r, 20000)), "CONNECT", s.domain, ":443", user, "HIER_DIRECT/", s.ip, "-")
	default: // blocked by policy
		s := &w.odd[r.IntN(len(w.odd))]
		g.write(d, t, int64(between(r, 0, 3)), client.ip, "TCP_DENIED/403", int64(between(r, 3800, 4000)), "CONNECT", s.domain, ":443", user, "HIER_NONE/", "-", "text/html")
	}
}

func (g *squidGen) write(d *day, t, elapsed int64, client, code string, size int64, method, url, port, user, hier, peer, ctype string) {
	st := d.mark()
	b := d.dt.appEpoch(d.arena, t, 3)
	b = append(b, ' ')
	b = appSpacePad(b, elapsed, 6)
	b = append(b, ' ')
	b = append(b, client...)
	b = append(b, ' ')
	b = append(b, code...)
	b = append(b, ' ')
	b = appInt(b, size)
	b = append(b, ' ')
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, url...)
	b = append(b, port...)
	b = append(b, ' ')
	b = append(b, user...)
	b = append(b, ' ')
	b = append(b, hier...)
	b = append(b, peer...)
	b = append(b, ' ')
	b = append(b, ctype...)
	d.arena = b
	d.emit(d.fileAt(t), t, st)
}

func (g *squidGen) corrupt(d *day, kind int, line []byte) []byte {
	switch kind {
	case badTruncate:
		return d.truncate(line, 5, 0.33)
	case badNumber:
		return breakAt(line, 3) // the time
	}
	return d.garbage()
}
