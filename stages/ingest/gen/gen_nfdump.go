package gen

import "strconv"

// nfdump -o csv output of NetFlow captured at the border router (nfcapd
// files), the form Apache Spot ingested: a header, one row per flow, and the
// trailing summary block.

func init() {
	register(&source{name: "nfdump", lines: 4000, per: 1.34, shape: &office, weekend: 0.6,
		new: func(w *world) generator { return &nfGen{w: w} }})
}

const nfHeader = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr"

// the constant tail of a row from svln to al
const nfTail = ",0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0.000,0.000,0.000,"

type nfGen struct {
	w     *world
	sums  [][3]int64 // per file: flows, bytes, packets
	spans []int64    // per file: seconds covered
}

func (g *nfGen) layout(d *day) {
	cuts := d.timeSplit(d.fileCount())
	for i, c := range cuts {
		gz, sfx := d.gz()
		b := append([]byte("nfcapd."), d.dt.compact...)
		b = app2(b, int(c/(3600*nsPerSec)))
		b = append(b, "00.csv"...)
		b = append(b, sfx...)
		fi := d.newFile(string(b), gz, nfHeader)
		end := dayNs
		if i+1 < len(cuts) {
			end = cuts[i+1]
		}
		g.sums = append(g.sums, [3]int64{})
		g.spans = append(g.spans, (end-c)/nsPerSec)
		d.files[fi].footer = func() []string { return g.summary(fi) }
	}
}

func (g *nfGen) summary(fi int) []string {
	s := g.sums[fi]
	secs := max(g.spans[fi], 1)
	var b []byte
	b = appInt(b, s[0])
	b = append(b, ',')
	b = appInt(b, s[1])
	b = append(b, ',')
	b = appInt(b, s[2])
	b = append(b, ',')
	b = appInt(b, s[1]*8/secs)
	b = append(b, ',')
	b = appInt(b, s[2]/secs)
	b = append(b, ',')
	b = appInt(b, s[1]/max(s[2], 1))
	return []string{"Summary", "flows,bytes,packets,avg_bps,avg_pps,avg_bpp", string(b)}
}

var nfFlags = []string{".AP.SF", ".AP.SF", ".AP.SF", "....S.", ".A..S.", ".A....", ".A...F", ".AP...", ".A.R..", ".APRSF"}

func (g *nfGen) activity(d *day, t int64) {
	r, w := d.r, g.w
	h := w.anyHost(r)
	var f nfFlow
	f.t = t
	f.sp, f.pr, f.flg = between(r, ephemeral[0], ephemeral[1]), "TCP", nfFlags[skewMild(r, len(nfFlags))]
	f.in, f.out = 1, 2
	switch x := r.IntN(100); {
	case x < 70: // outbound
		s := w.site(r)
		f.sa, f.da = h.ip, s.ip
		if h.ip6 != "" && s.ip6 != "" && r.IntN(2) == 0 {
			f.sa, f.da = h.ip6, s.ip6
		}
		f.dp = 443
		if r.IntN(8) == 0 {
			f.dp = 80
		}
		f.pkt = 1 + int64(longTail(r, 12))
		f.byt = f.pkt * int64(between(r, 60, 900))
		f.smk, f.dmk = 16, 0
		f.dur = int64(longTail(r, 2000))
		g.write(d, &f)
		if r.IntN(2) == 0 { // and its reply, a flow of its own
			f.sa, f.da, f.sp, f.dp = f.da, f.sa, f.dp, f.sp
			f.in, f.out = 2, 1
			f.smk, f.dmk = 0, 16
			f.pkt += int64(r.IntN(int(f.pkt) + 1))
			f.byt = f.pkt * int64(between(r, 500, 1450))
			f.t = d.clamp(t + int64(r.IntN(50))*1e6)
			g.write(d, &f)
		}
	case x < 85: // DNS and NTP
		f.pr, f.flg = "UDP", "......"
		f.sa = h.ip
		if r.IntN(3) == 0 {
			f.da, f.dp = pick(r, []string{"162.159.200.1", "129.6.15.28", "216.239.35.0"}), 123
			f.pkt, f.byt = 1, 76
		} else {
			f.da, f.dp = pick(r, []string{"8.8.8.8", "1.1.1.1", "9.9.9.9"}), 53
			f.pkt, f.byt = 1, int64(between(r, 60, 120))
		}
		f.dur = 0
		f.smk = 16
		g.write(d, &f)
	case x < 95: // inbound scans
		f.sa, f.da = w.attacker[skew(r, len(w.attacker))], h.ip
		f.sp, f.dp = between(r, 1024, 65535), pick(r, scanPorts)
		f.flg = "....S."
		f.pkt, f.byt = 1, 40+int64(r.IntN(3))*4
		f.in, f.out, f.dmk = 2, 1, 16
		g.write(d, &f)
	default: // ICMP
		f.pr, f.flg, f.sp, f.dp = "ICMP", "......", 0, 771
		if r.IntN(2) == 0 {
			f.dp = 2048
		}
		f.sa, f.da = h.ip, w.sites[r.IntN(len(w.sites))].ip
		f.pkt = int64(between(r, 1, 10))
		f.byt = f.pkt * 84
		f.dur = int64(r.IntN(10000))
		g.write(d, &f)
	}
}

type nfFlow struct {
	t                 int64
	dur               int64 // milliseconds
	sa, da            string
	sp, dp            int
	pr, flg           string
	pkt, byt          int64
	in, out, smk, dmk int
}

// appDateTime appends 2026-11-21 10:05:03 (and .mmm when ms), clamped to the day.
func (g *nfGen) appDateTime(b []byte, d *day, t int64, ms bool) []byte {
	t = min(t, dayNs-1)
	b = append(b, d.dt.ymd...)
	b = append(b, ' ')
	b = appHMS(b, int(t/nsPerSec))
	if ms {
		b = appFrac(b, t, 3)
	}
	return b
}

func (g *nfGen) write(d *day, f *nfFlow) {
	fi := d.fileAt(f.t)
	s := &g.sums[fi]
	s[0]++
	s[1] += f.byt
	s[2] += f.pkt
	st := d.mark()
	ts := f.t / nsPerSec * nsPerSec
	te := min(ts+f.dur*1e6, dayNs-1)
	b := g.appDateTime(d.arena, d, ts, false)
	b = append(b, ',')
	b = g.appDateTime(b, d, te, false)
	b = append(b, ',')
	b = strconv.AppendFloat(b, float64(te/1e6-ts/1e6)/1000, 'f', 3, 64)
	b = append(b, ',')
	b = append(b, f.sa...)
	b = append(b, ',')
	b = append(b, f.da...)
	b = append(b, ',')
	b = appInt(b, int64(f.sp))
	b = append(b, ',')
	b = appInt(b, int64(f.dp))
	b = append(b, ',')
	b = append(b, f.pr...)
	b = append(b, ',')
	b = append(b, f.flg...)
	b = append(b, ",0,0,"...)
	b = appInt(b, f.pkt)
	b = append(b, ',')
	b = appInt(b, f.byt)
	b = append(b, ",0,0,"...)
	b = appInt(b, int64(f.in))
	b = append(b, ',')
	b = appInt(b, int64(f.out))
	b = append(b, ",0,0,"...)
	b = appInt(b, int64(f.smk))
	b = append(b, ',')
	b = appInt(b, int64(f.dmk))
	b = append(b, ",0,0,0.0.0.0,0.0.0.0"...)
	b = append(b, nfTail...)
	b = append(b, g.w.gateway...)
	b = append(b, ",0/0,1,"...)
	b = g.appDateTime(b, d, te+int64(between(d.r, 200, 60000))*1e6, true)
	d.arena = b
	d.emit(fi, f.t, st)
}

func (g *nfGen) corrupt(d *day, kind int, line []byte) []byte {
	switch kind {
	case badTruncate:
		return d.truncate(line, 8, 0.4)
	case badNumber:
		return breakAt(line, fieldAt(line, ',', 12)) // ibyt
	}
	return d.garbage()
}
