package formats

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// nfdump CSV output (`nfdump -r file -o csv`), the flow input of Apache Spot.
// A header line ("ts,te,td,sa,da,...") names the columns; without one the
// standard order of nfdump 1.6 is assumed (or the order of option fields).
// nfdump ends its output with a summary ("Summary", then
// "flows,bytes,packets,avg_bps,avg_pps,avg_bpp" and a line of numbers): those
// lines, and every line after "Summary" until the next header, are skipped.
//
// Columns: event_time=ts (in the source's time zone, UTC unless set),
// flow_duration_ms=td (seconds), src_ip=sa, dst_ip=da, src_port=sp,
// dst_port=dp, proto=pr in lower case, flow_tcp_flags=flg,
// flow_packets=ipkt, flow_bytes=ibyt, flow_out_packets=opkt,
// flow_out_bytes=obyt, dvc_ip=ra (the exporting router). A dp of "type.code"
// (nfdump's rendering of ICMP) gives attributes icmp_type and icmp_code
// instead of dst_port. Every other column is an attribute named by its header
// name, zeros included, except MPLS labels printed "0-0-0": that is how
// nfdump renders an absent label (label 0, exp 0, bottom-of-stack 0 cannot be
// a real label-stack entry, which always has S=1 at its bottom), so keeping
// ten of them per flow would carry no information.

func init() {
	Register(Format{
		Name:        "nfdump",
		Description: "nfdump CSV flow records (nfdump -o csv), Apache Spot's flow input",
		Patterns:    []string{`\.csv(\.gz)?$`},
		Options: map[string]string{
			"fields": "comma-separated column names for files without a header line (default: nfdump's csv order " +
				"ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb," +
				"svln,dvln,ismc,odmc,idmc,osmc,mpls1..mpls10,cl,sl,al,ra,eng,exid,tr)",
		},
		New: newNfdump,
	})
}

var nfDefaultFields = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir," +
	"nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10," +
	"cl,sl,al,ra,eng,exid,tr"

// nfdump column kinds.
const (
	nfAttr = iota
	nfTS
	nfTD
	nfSA
	nfDA
	nfSP
	nfDP
	nfPR
	nfFlg
	nfIpkt
	nfIbyt
	nfOpkt
	nfObyt
	nfPkt
	nfByt
	nfRA
	nfMPLS
)

var nfKinds = map[string]uint8{
	"ts": nfTS, "td": nfTD, "sa": nfSA, "da": nfDA, "sp": nfSP, "dp": nfDP, "pr": nfPR, "flg": nfFlg,
	"ipkt": nfIpkt, "ibyt": nfIbyt, "opkt": nfOpkt, "obyt": nfObyt, "pkt": nfPkt, "byt": nfByt, "ra": nfRA,
	"mpls1": nfMPLS, "mpls2": nfMPLS, "mpls3": nfMPLS, "mpls4": nfMPLS, "mpls5": nfMPLS,
	"mpls6": nfMPLS, "mpls7": nfMPLS, "mpls8": nfMPLS, "mpls9": nfMPLS, "mpls10": nfMPLS,
}

type nfCol struct {
	kind uint8
	name string
}

type nfdumpParser struct {
	loc     *time.Location
	cols    []nfCol
	hasTS   bool
	summary bool
	fields  []string
}

func newNfdump(fi FileInfo, opts Options) (Parser, error) {
	p := &nfdumpParser{loc: fi.Location}
	if p.loc == nil {
		p.loc = time.UTC
	}
	fields := nfDefaultFields
	for k, v := range opts {
		if k != "fields" {
			return nil, fmt.Errorf("nfdump: unknown option %q (options: fields)", k)
		}
		fields = v
	}
	if err := p.setColumns(fields); err != nil {
		return nil, fmt.Errorf("nfdump: option \"fields\": %v", err)
	}
	return p, nil
}

func (p *nfdumpParser) setColumns(header string) error {
	names := strings.Split(header, ",")
	cols := make([]nfCol, 0, len(names))
	seen := map[string]bool{}
	p.hasTS = false
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			return errors.New("empty column name")
		}
		if seen[n] {
			return fmt.Errorf("column %q twice", n)
		}
		seen[n] = true
		k := nfKinds[n]
		if k == nfTS {
			p.hasTS = true
		}
		cols = append(cols, nfCol{kind: k, name: n})
	}
	p.cols = cols
	return nil
}

var (
	errNfNoTS = errors.New(`nfdump: the columns have no "ts"`)
)

func (p *nfdumpParser) Parse(line []byte, ev *Event) error {
	s := strings.TrimSpace(string(line))
	switch {
	case s == "":
		return ErrSkip
	case strings.HasPrefix(s, "ts,"):
		if err := p.setColumns(s); err != nil {
			return fmt.Errorf("nfdump: header: %v", err)
		}
		p.summary = false
		return ErrSkip
	case p.summary:
		return ErrSkip
	case s == "Summary" || strings.HasPrefix(s, "flows,bytes,packets"):
		p.summary = true
		return ErrSkip
	case s == "No matched flows":
		return ErrSkip
	}
	if !p.hasTS {
		return errNfNoTS
	}
	f := p.fields[:0]
	for {
		i := strings.IndexByte(s, ',')
		if i < 0 {
			f = append(f, strings.TrimSpace(s))
			break
		}
		f = append(f, strings.TrimSpace(s[:i]))
		s = s[i+1:]
	}
	p.fields = f
	if len(f) != len(p.cols) {
		return fmt.Errorf("nfdump: %d fields, expected %d", len(f), len(p.cols))
	}
	var pkt, byt int64 = Absent, Absent
	for i, c := range p.cols {
		v := f[i]
		switch c.kind {
		case nfTS:
			t, ok := jfRFC3339(v, p.loc)
			if !ok {
				return nfFieldError(c.name, v, "is not a time")
			}
			ev.Time = t
		case nfTD:
			ms, ok := nfMillis(v)
			if !ok {
				return nfFieldError(c.name, v, "is not a duration in seconds")
			}
			ev.FlowDurationMs = ms
		case nfSA:
			ev.SrcIP = v
		case nfDA:
			ev.DstIP = v
		case nfSP, nfDP:
			if c.kind == nfDP {
				if t, code, ok := strings.Cut(v, "."); ok {
					// ICMP: nfdump prints "type.code" in the port column.
					if _, e1 := nfUint(t, 255); !e1 {
						return nfFieldError(c.name, v, "is not a port or ICMP type.code")
					}
					if _, e2 := nfUint(code, 255); !e2 {
						return nfFieldError(c.name, v, "is not a port or ICMP type.code")
					}
					ev.Attr("icmp_type", t)
					ev.Attr("icmp_code", code)
					continue
				}
			}
			if v == "" {
				continue
			}
			n, ok := nfUint(v, 65535)
			if !ok {
				return nfFieldError(c.name, v, "is not a port")
			}
			if c.kind == nfSP {
				ev.SrcPort = int32(n)
			} else {
				ev.DstPort = int32(n)
			}
		case nfPR:
			ev.Proto = nfProto(v)
		case nfFlg:
			ev.FlowTCPFlags = v
		case nfIpkt, nfIbyt, nfOpkt, nfObyt, nfPkt, nfByt:
			if v == "" {
				continue
			}
			n, ok := nfUint(v, 1<<63-1)
			if !ok {
				return nfFieldError(c.name, v, "is not a number")
			}
			switch c.kind {
			case nfIpkt:
				ev.FlowPackets = n
			case nfIbyt:
				ev.FlowBytes = n
			case nfOpkt:
				ev.FlowOutPackets = n
			case nfObyt:
				ev.FlowOutBytes = n
			case nfPkt:
				pkt = n
			case nfByt:
				byt = n
			}
		case nfRA:
			ev.DvcIP = v
		case nfMPLS:
			if v != "0-0-0" {
				ev.Attr(c.name, v)
			}
		default:
			ev.Attr(c.name, v)
		}
	}
	// pkt/byt (custom formats) fill the columns when ipkt/ibyt did not.
	if ev.FlowPackets == Absent {
		ev.FlowPackets = pkt
	} else if pkt != Absent {
		ev.Attr("pkt", strconv.FormatInt(pkt, 10))
	}
	if ev.FlowBytes == Absent {
		ev.FlowBytes = byt
	} else if byt != Absent {
		ev.Attr("byt", strconv.FormatInt(byt, 10))
	}
	return nil
}

// nfFieldError is the error for a field that does not fit its column.
func nfFieldError(name, v, what string) error {
	return errors.New("nfdump: field " + strconv.Quote(name) + ": " + csvShow(v) + " " + what)
}

// csvShow quotes a CSV field for an error message, cut to a few dozen bytes.
func csvShow(v string) string {
	return jsonShow(jsonVal{kind: jsonString, b: []byte(v)})
}

// nfUint parses a decimal number in [0, max].
func nfUint(s string, max int64) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
		if n < 0 {
			return 0, false
		}
	}
	return n, n <= max
}

// nfMillis parses a duration in seconds with an optional fraction (nfdump
// prints %.3f) into milliseconds, rounding half up.
func nfMillis(s string) (int64, bool) {
	ip, frac, _ := strings.Cut(s, ".")
	sec, ok := nfUint(ip, 1<<40)
	if !ok {
		return 0, false
	}
	var ms int64
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		switch {
		case i < 3:
			ms = ms*10 + int64(c-'0')
		case i == 3 && c >= '5':
			ms++
		}
	}
	for i := len(frac); i < 3; i++ {
		ms *= 10
	}
	if strings.Contains(s, ".") && frac == "" {
		return 0, false
	}
	return sec*1000 + ms, true
}

// nfProto returns nfdump's protocol name in lower case (numbers unchanged).
func nfProto(v string) string {
	switch v {
	case "TCP":
		return "tcp"
	case "UDP":
		return "udp"
	case "ICMP":
		return "icmp"
	case "ICMP6":
		return "icmp6"
	case "GRE":
		return "gre"
	case "ESP":
		return "esp"
	}
	return strings.ToLower(v)
}
