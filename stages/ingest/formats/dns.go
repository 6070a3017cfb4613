package formats

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// tshark DNS field output as Apache Spot's DNS ingest produced it:
//
//	tshark -r capture.pcap -E separator=, -E header=y -E occurrence=f -T fields \
//	  -e frame.time -e frame.time_epoch -e frame.len -e ip.src -e ip.dst \
//	  -e dns.resp.name -e dns.resp.type -e dns.resp.class -e dns.flags.rcode -e dns.a \
//	  'dns.flags.response == 1'
//
// A header line (field names such as frame.time_epoch) sets the columns;
// without one the order above is assumed (or the order of option fields).
// frame.time ("Jan 10, 2017 16:52:21.593834000 UTC") holds a comma: it may be
// quoted (-E quote=d) or not; unquoted, it spans two comma-separated fields.
// Extra fields beyond the columns (tshark's aggregator, also a comma, for
// -E occurrence=a) belong to the last column.
//
// Columns: event_time=frame.time_epoch (frame.time is only read when there is
// no epoch column; then it is dropped as redundant), dns_frame_len=frame.len,
// src_ip=ip.src|ipv6.src (the server: these are responses),
// dst_ip=ip.dst|ipv6.dst (the client), dns_query=dns.qry.name|dns.resp.name,
// dns_qtype=dns.qry.type|dns.resp.type as a name (1 A, 28 AAAA, ...),
// dns_qclass=dns.qry.class|dns.resp.class (1 IN), dns_rcode=dns.flags.rcode as
// a name (0 NOERROR, 3 NXDOMAIN, ...), dns_answers=dns.a. Every other column is an attribute named by its field name; when both the
// qry and the resp form of a field are present, the qry form fills the column
// and the resp form is an attribute.

func init() {
	Register(Format{
		Name:        "dns",
		Description: "tshark DNS fields as CSV (Apache Spot's DNS input: frame.time, frame.time_epoch, frame.len, ip.src, ip.dst, dns.resp.name, dns.resp.type, dns.resp.class, dns.flags.rcode, dns.a)",
		Patterns:    []string{`\.(csv|txt)(\.gz)?$`},
		Options: map[string]string{
			"fields": "comma-separated tshark field names for files without a header line (default: " + dnsDefaultFields + ")",
		},
		New: newDNS,
	})
}

const dnsDefaultFields = "frame.time,frame.time_epoch,frame.len,ip.src,ip.dst,dns.resp.name,dns.resp.type,dns.resp.class,dns.flags.rcode,dns.a"

// dns column kinds, and the rank of a field among those filling one column
// (lower wins).
const (
	dkAttr = iota
	dkFrameTime
	dkEpoch
	dkLen
	dkSrc
	dkDst
	dkQuery
	dkType
	dkClass
	dkRCode
	dkAnswers
	dkCount
)

var dnsKinds = map[string]struct{ kind, rank uint8 }{
	"frame.time":       {dkFrameTime, 0},
	"frame.time_epoch": {dkEpoch, 0},
	"frame.len":        {dkLen, 0},
	"ip.src":           {dkSrc, 0},
	"ipv6.src":         {dkSrc, 1},
	"ip.dst":           {dkDst, 0},
	"ipv6.dst":         {dkDst, 1},
	"dns.qry.name":     {dkQuery, 0},
	"dns.resp.name":    {dkQuery, 1},
	"dns.qry.type":     {dkType, 0},
	"dns.resp.type":    {dkType, 1},
	"dns.qry.class":    {dkClass, 0},
	"dns.resp.class":   {dkClass, 1},
	"dns.flags.rcode":  {dkRCode, 0},
	"dns.a":            {dkAnswers, 0},
}

type dnsCol struct {
	kind, rank uint8
	name       string
}

// dnsPick is the value a line offers a column that several fields can fill.
type dnsPick struct {
	set  bool
	rank uint8
	name string
	v    string
}

type dnsParser struct {
	loc     *time.Location
	cols    []dnsCol
	timeCol int // index of frame.time, -1 if none
	epoch   bool
	fields  []string
}

func newDNS(fi FileInfo, opts Options) (Parser, error) {
	p := &dnsParser{loc: fi.Location}
	if p.loc == nil {
		p.loc = time.UTC
	}
	fields := dnsDefaultFields
	for k, v := range opts {
		if k != "fields" {
			return nil, fmt.Errorf("dns: unknown option %q (options: fields)", k)
		}
		fields = v
	}
	if err := p.setColumns(strings.Split(fields, ",")); err != nil {
		return nil, fmt.Errorf("dns: option \"fields\": %v", err)
	}
	return p, nil
}

func (p *dnsParser) setColumns(names []string) error {
	cols := make([]dnsCol, len(names))
	seen := map[string]bool{}
	p.timeCol, p.epoch = -1, false
	for i, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			return errors.New("empty field name")
		}
		if seen[n] {
			return fmt.Errorf("field %q twice", n)
		}
		seen[n] = true
		k := dnsKinds[n]
		cols[i] = dnsCol{kind: k.kind, rank: k.rank, name: n}
		switch k.kind {
		case dkFrameTime:
			p.timeCol = i
		case dkEpoch:
			p.epoch = true
		}
	}
	if !p.epoch && p.timeCol < 0 {
		return errors.New("no frame.time_epoch or frame.time field")
	}
	p.cols = cols
	return nil
}

var errDNSNoTime = errors.New(`dns: no time: field "frame.time_epoch" empty`)

func (p *dnsParser) Parse(line []byte, ev *Event) error {
	s := strings.TrimSpace(string(line))
	if s == "" {
		return ErrSkip
	}
	f := dnsSplit(s, p.fields[:0])
	p.fields = f
	if dnsIsHeader(f) {
		if err := p.setColumns(f); err != nil {
			return fmt.Errorf("dns: header: %v", err)
		}
		return ErrSkip
	}
	n := len(p.cols)
	if len(f) > n && p.timeCol >= 0 && !strings.HasPrefix(s, `"`) && len(f) > p.timeCol+1 {
		// An unquoted frame.time ("Jan 10, 2017 ...") spans two fields
		// (only read when there is no epoch column).
		if !p.epoch {
			f[p.timeCol] = f[p.timeCol] + ", " + f[p.timeCol+1]
		}
		f = append(f[:p.timeCol+1], f[p.timeCol+2:]...)
	}
	if len(f) > n {
		// tshark's aggregator: the extra values belong to the last column.
		f[n-1] = strings.Join(f[n-1:], ",")
		f = f[:n]
	}
	if len(f) < n {
		return fmt.Errorf("dns: %d fields, expected %d", len(f), n)
	}
	haveTime := false
	var pick [dkCount]dnsPick
	for i, c := range p.cols {
		v := f[i]
		switch c.kind {
		case dkEpoch:
			if v == "" {
				return errDNSNoTime
			}
			t, ok := jfEpoch(v, 1e9)
			if !ok {
				return dnsFieldError(c.name, v, "is not an epoch time")
			}
			ev.Time, haveTime = t, true
		case dkFrameTime:
			if !p.epoch {
				t, ok := dnsFrameTime(v, p.loc)
				if !ok {
					return dnsFieldError(c.name, v, "is not a tshark frame time")
				}
				ev.Time, haveTime = t, true
			}
		case dkLen:
			if v != "" {
				n, ok := nfUint(v, 1<<31-1)
				if !ok {
					return dnsFieldError(c.name, v, "is not a frame length")
				}
				ev.DNSFrameLen = int32(n)
			}
		case dkSrc, dkDst, dkQuery, dkType, dkClass:
			// Several fields may fill these (ip.src or ipv6.src, dns.qry.name
			// or dns.resp.name): the best-ranked non-empty one does, the
			// others stay attributes.
			if v == "" {
				continue
			}
			pk := &pick[c.kind]
			if pk.set {
				if c.rank >= pk.rank {
					ev.Attr(c.name, v)
					continue
				}
				ev.Attr(pk.name, pk.v)
			}
			*pk = dnsPick{set: true, rank: c.rank, name: c.name, v: v}
		case dkRCode:
			ev.DNSRCode = dnsName(v, dnsRCodes)
		case dkAnswers:
			ev.DNSAnswers = v
		default:
			ev.Attr(c.name, v)
		}
	}
	if !haveTime {
		return errDNSNoTime
	}
	ev.SrcIP = pick[dkSrc].v
	ev.DstIP = pick[dkDst].v
	ev.DNSQuery = pick[dkQuery].v
	ev.DNSQType = dnsName(pick[dkType].v, dnsTypes)
	ev.DNSQClass = dnsName(pick[dkClass].v, dnsClasses)
	return nil
}

// dnsSplit splits a CSV line, honouring double quotes (tshark -E quote=d).
func dnsSplit(s string, f []string) []string {
	for {
		if len(s) > 0 && s[0] == '"' {
			// Quoted: up to the closing quote; "" is a quote.
			end := -1
			for i := 1; i < len(s); i++ {
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						i++
						continue
					}
					end = i
					break
				}
			}
			if end > 0 && (end+1 == len(s) || s[end+1] == ',') {
				v := s[1:end]
				if strings.Contains(v, `""`) {
					v = strings.ReplaceAll(v, `""`, `"`)
				}
				f = append(f, v)
				if end+1 == len(s) {
					return f
				}
				s = s[end+2:]
				continue
			}
		}
		i := strings.IndexByte(s, ',')
		if i < 0 {
			return append(f, strings.TrimSpace(s))
		}
		f = append(f, strings.TrimSpace(s[:i]))
		s = s[i+1:]
	}
}

// dnsIsHeader reports whether fields are tshark field names: the first one
// is a dotted lower-case name (a data line starts with a date or a number).
func dnsIsHeader(f []string) bool {
	n := f[0]
	if n == "" || n[0] < 'a' || n[0] > 'z' || !strings.Contains(n, ".") {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// dnsFrameTime reads tshark's frame.time, "Jan 10, 2017 16:52:21.593834000 UTC"
// (the zone is UTC or the capture host's; others are read in loc).
func dnsFrameTime(v string, loc *time.Location) (time.Time, bool) {
	v = strings.Join(strings.Fields(v), " ")
	zone := ""
	if i := strings.LastIndexByte(v, ' '); i > 0 && !strings.ContainsAny(v[i+1:], ":") {
		v, zone = v[:i], v[i+1:]
	}
	if zone == "UTC" || zone == "GMT" {
		loc = time.UTC
	}
	t, err := time.ParseInLocation("Jan 2, 2006 15:04:05.999999999", v, loc)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func dnsFieldError(name, v, what string) error {
	return errors.New("dns: field " + strconv.Quote(name) + ": " + csvShow(v) + " " + what)
}

var dnsTypes = map[int64]string{
	1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT", 28: "AAAA",
	33: "SRV", 35: "NAPTR", 43: "DS", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 64: "SVCB", 65: "HTTPS",
	99: "SPF", 252: "AXFR", 255: "ANY", 257: "CAA",
}

var dnsClasses = map[int64]string{1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}

var dnsRCodes = map[int64]string{
	0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
	6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE",
}

// dnsName names a numeric DNS code, decimal or hex (tshark prints classes as
// 0x0001): a known number gives its name, another its decimal form, and a
// value that is not a number is kept as it is.
func dnsName(v string, names map[int64]string) string {
	if v == "" {
		return ""
	}
	var n int64
	var ok bool
	if len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') {
		u, err := strconv.ParseUint(v[2:], 16, 32)
		n, ok = int64(u), err == nil
		if !ok {
			return v
		}
		if name, known := names[n]; known {
			return name
		}
		return strconv.FormatInt(n, 10)
	}
	n, ok = nfUint(v, 1<<32-1)
	if !ok {
		return v
	}
	if name, known := names[n]; known {
		return name
	}
	return v
}
