package formats

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Generic JSON lines: one object per line, the event time at a configurable
// path, columns filled from well-known keys or from map.<column> options, and
// every other field kept as an attribute (nested objects flattened with
// dotted keys, arrays as JSON text).

func init() {
	Register(Format{
		Name:        "jsonl",
		Description: "generic JSON lines (one object per line) with a configurable time field and column mappings",
		Patterns:    []string{`\.(json|jsonl|ndjson)(\.gz)?$`},
		Options: map[string]string{
			"time_field": "dotted path of the event time; default: the first present of " + strings.Join(jsonlTimeDefaults, ", "),
			"time_format": "rfc3339 (default; a time without zone is read in the source's time zone, UTC unless set), " +
				"unix, unix_ms, unix_us, unix_ns (epoch numbers or numeric strings), or a Go time layout such as " +
				"02/Jan/2006:15:04:05 -0700; when unset, numbers are also accepted as epoch seconds, ms, us or ns by magnitude",
			"map.*": "map.<column> = dotted JSON path that fills the column, e.g. map.src_ip=client.ip; columns: " +
				strings.Join(jsonlColNames[1:], ", ") + ". Without a mapping a column takes its own name as key " +
				"and a few well-known keys (user/username, level, msg, host/hostname, session, source.ip, ...)",
		},
		New: newJSONL,
	})
}

// jsonl columns: the Event fields a mapping can fill. 0 is the event time.
const (
	jcTime = iota
	jcEventType
	jcAction
	jcSeverity
	jcApp
	jcMessage
	jcProto
	jcSrcIP
	jcSrcPort
	jcSrcHost
	jcDstIP
	jcDstPort
	jcDstHost
	jcDvcHost
	jcDvcIP
	jcUserName
	jcSessionID
	jcFlowBytes
	jcFlowPackets
	jcFlowOutBytes
	jcFlowOutPackets
	jcFlowDurationMs
	jcFlowTCPFlags
	jcHTTPMethod
	jcHTTPURL
	jcHTTPHost
	jcHTTPStatus
	jcHTTPBytes
	jcHTTPReferrer
	jcHTTPUserAgent
	jcHTTPContentType
	jcDNSQuery
	jcDNSQType
	jcDNSQClass
	jcDNSRCode
	jcDNSAnswers
	jcDNSFrameLen
	jcFilePath
	jcFileDst
	jcCount
)

var jsonlColNames = [jcCount]string{
	"event_time", "event_type", "action", "severity", "app", "message", "proto",
	"src_ip", "src_port", "src_host", "dst_ip", "dst_port", "dst_host", "dvc_host", "dvc_ip",
	"user_name", "session_id",
	"flow_bytes", "flow_packets", "flow_out_bytes", "flow_out_packets", "flow_duration_ms", "flow_tcp_flags",
	"http_method", "http_url", "http_host", "http_status", "http_bytes", "http_referrer", "http_user_agent", "http_content_type",
	"dns_query", "dns_qtype", "dns_qclass", "dns_rcode", "dns_answers", "dns_frame_len",
	"file_path", "file_dst",
}

var jsonlTimeDefaults = []string{"timestamp", "time", "@timestamp", "ts", "eventTime"}

// jsonlAliases are the keys, besides a column's own name, that fill a column
// when it has no map.<column> option, best first.
var jsonlAliases = map[int][]string{
	jcSeverity:  {"level", "log.level"},
	jcMessage:   {"msg"},
	jcProto:     {"protocol"},
	jcSrcIP:     {"source.ip"},
	jcSrcPort:   {"source.port"},
	jcDstIP:     {"destination.ip"},
	jcDstPort:   {"destination.port"},
	jcDvcHost:   {"host", "hostname", "host.name"},
	jcUserName:  {"user", "username", "user.name"},
	jcSessionID: {"session", "session.id"},
}

// jsonl time formats.
const (
	jtAuto = iota
	jtRFC3339
	jtUnix
	jtLayout
)

type jsonlParser struct {
	m       *jsonMapper
	loc     *time.Location
	tfmt    int
	unit    int64 // jtUnix: nanoseconds per unit
	layout  string
	timeKey string // the time field's name for "missing" errors
}

func newJSONL(fi FileInfo, opts Options) (Parser, error) {
	p := &jsonlParser{loc: fi.Location}
	if p.loc == nil {
		p.loc = time.UTC
	}
	paths := map[string]jsonTarget{}
	owner := map[string]string{} // path -> option, for clashes
	add := func(opt, path string, t jsonTarget) error {
		if err := jsonlCheckPath(path); err != nil {
			return fmt.Errorf("jsonl: option %q: %v", opt, err)
		}
		if o, dup := owner[path]; dup {
			return fmt.Errorf("jsonl: options %q and %q name the same path %q", o, opt, path)
		}
		owner[path] = opt
		paths[path] = t
		return nil
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mapped := map[int]bool{}
	for _, k := range keys {
		v := opts[k]
		switch {
		case k == "time_field":
			if err := add(k, v, jsonTarget{id: jcTime, explicit: true}); err != nil {
				return nil, err
			}
			mapped[jcTime] = true
			p.timeKey = v
		case k == "time_format":
			if err := p.setTimeFormat(v); err != nil {
				return nil, err
			}
		case strings.HasPrefix(k, "map."):
			col := strings.TrimPrefix(k, "map.")
			id := -1
			for i, n := range jsonlColNames {
				if n == col {
					id = i
				}
			}
			switch {
			case id == jcTime:
				return nil, fmt.Errorf("jsonl: option %q: the event time is set with time_field", k)
			case id < 0:
				return nil, fmt.Errorf("jsonl: option %q: no column %q (columns: %s)", k, col, strings.Join(jsonlColNames[1:], ", "))
			}
			if err := add(k, v, jsonTarget{id: id, explicit: true}); err != nil {
				return nil, err
			}
			mapped[id] = true
		default:
			return nil, fmt.Errorf("jsonl: unknown option %q (options: time_field, time_format, map.<column>)", k)
		}
	}
	// Defaults, for the columns without a mapping; an explicit path wins.
	def := func(id int, names []string, rank0 int) {
		for i, n := range names {
			if _, taken := paths[n]; !taken {
				paths[n] = jsonTarget{id: id, rank: rank0 + i}
			}
		}
	}
	if !mapped[jcTime] {
		def(jcTime, jsonlTimeDefaults, 0)
	}
	for id := 1; id < jcCount; id++ {
		if !mapped[id] {
			def(id, []string{jsonlColNames[id]}, 0)
			def(id, jsonlAliases[id], 1)
		}
	}
	p.m = newJSONMapper(jcCount, paths)
	return p, nil
}

// jsonlCheckPath checks a dotted path: non-empty parts.
func jsonlCheckPath(path string) error {
	if path == "" {
		return errors.New("empty path")
	}
	for _, part := range strings.Split(path, ".") {
		if part == "" {
			return fmt.Errorf("path %q has an empty part", path)
		}
	}
	return nil
}

func (p *jsonlParser) setTimeFormat(v string) error {
	switch strings.ToLower(v) {
	case "rfc3339", "rfc3339nano", "iso8601":
		p.tfmt = jtRFC3339
	case "unix", "unix_s", "epoch":
		p.tfmt, p.unit = jtUnix, 1e9
	case "unix_ms":
		p.tfmt, p.unit = jtUnix, 1e6
	case "unix_us":
		p.tfmt, p.unit = jtUnix, 1e3
	case "unix_ns":
		p.tfmt, p.unit = jtUnix, 1
	default:
		// A Go layout must name a year and survive a round trip.
		ref := time.Date(2026, 11, 21, 13, 4, 5, 123456789, time.UTC)
		if _, err := time.Parse(v, ref.Format(v)); err != nil || !strings.Contains(v, "06") {
			return fmt.Errorf("jsonl: option \"time_format\": %q is not rfc3339, unix, unix_ms, unix_us, unix_ns or a Go time layout with a year", v)
		}
		p.tfmt, p.layout = jtLayout, v
	}
	return nil
}

func (p *jsonlParser) Parse(line []byte, ev *Event) error {
	m := p.m
	if err := m.read(line, ev); err != nil {
		return jfNotObject("jsonl", err)
	}
	d := &m.d
	ts := &m.slots[jcTime]
	if !ts.set {
		if p.timeKey != "" {
			return fmt.Errorf("jsonl: field %q missing", p.timeKey)
		}
		return errJSONLNoTime
	}
	t, err := p.time(ts)
	if err != nil {
		return err
	}
	ev.Time = t
	for _, id := range m.used {
		if id == jcTime {
			continue
		}
		if err := jsonlSet(ev, id, &m.slots[id], d); err != nil {
			return err
		}
	}
	return nil
}

var errJSONLNoTime = errors.New("jsonl: no time field (" + strings.Join(jsonlTimeDefaults, ", ") + "); set time_field")

func (p *jsonlParser) time(s *jsonSlot) (time.Time, error) {
	v := s.v
	switch p.tfmt {
	case jtAuto, jtRFC3339:
		if v.kind == jsonString {
			if t, ok := jfRFC3339(v.b, p.loc); ok {
				return t, nil
			}
		}
		if p.tfmt == jtAuto && (v.kind == jsonNumber || v.kind == jsonString) {
			if t, ok := jsonlEpochAuto(v.b); ok {
				return t, nil
			}
		}
		return time.Time{}, jfFieldError("jsonl", s.key, v, "is not an RFC 3339 time")
	case jtUnix:
		if v.kind == jsonNumber || v.kind == jsonString {
			if t, ok := jfEpoch(v.b, p.unit); ok {
				return t, nil
			}
		}
		return time.Time{}, jfFieldError("jsonl", s.key, v, "is not a unix time")
	default:
		if v.kind == jsonString {
			if t, err := time.ParseInLocation(p.layout, string(v.b), p.loc); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, jfFieldError("jsonl", s.key, v, "does not match time_format "+strconv.Quote(p.layout))
	}
}

// jsonlEpochAuto reads an epoch number whose unit follows from its size:
// up to 11 integer digits seconds, 14 milliseconds, 17 microseconds, else
// nanoseconds.
func jsonlEpochAuto(b []byte) (time.Time, bool) {
	n := 0
	for i, c := range b {
		if c >= '0' && c <= '9' {
			n++
		} else if c != '-' || i > 0 {
			break
		}
	}
	unit := int64(1)
	switch {
	case n == 0:
		return time.Time{}, false
	case n <= 11:
		unit = 1e9
	case n <= 14:
		unit = 1e6
	case n <= 17:
		unit = 1e3
	}
	return jfEpoch(b, unit)
}

// jsonlSet stores a slot's value in column id.
func jsonlSet(ev *Event, id int, s *jsonSlot, d *jsonDec) error {
	if dst := jsonlStrField(ev, id); dst != nil {
		d.set(dst, d.text(s.v))
		return nil
	}
	var min, max int64 = 0, 1<<63 - 1
	what := "is not a count"
	switch id {
	case jcSrcPort, jcDstPort:
		max, what = 65535, "is not a port"
	case jcHTTPStatus:
		max, what = 999, "is not an HTTP status"
	case jcDNSFrameLen:
		max, what = 1<<31-1, "is not a frame length"
	}
	n, absent, ok := jsonInt(s.v, min, max)
	if !ok {
		return jfFieldError("jsonl", s.key, s.v, what)
	}
	if absent {
		return nil
	}
	switch id {
	case jcSrcPort:
		ev.SrcPort = int32(n)
	case jcDstPort:
		ev.DstPort = int32(n)
	case jcHTTPStatus:
		ev.HTTPStatus = int32(n)
	case jcDNSFrameLen:
		ev.DNSFrameLen = int32(n)
	case jcFlowBytes:
		ev.FlowBytes = n
	case jcFlowPackets:
		ev.FlowPackets = n
	case jcFlowOutBytes:
		ev.FlowOutBytes = n
	case jcFlowOutPackets:
		ev.FlowOutPackets = n
	case jcFlowDurationMs:
		ev.FlowDurationMs = n
	case jcHTTPBytes:
		ev.HTTPBytes = n
	}
	return nil
}

// jsonlStrField returns the string field of column id, nil for numeric ones.
func jsonlStrField(ev *Event, id int) *string {
	switch id {
	case jcEventType:
		return &ev.EventType
	case jcAction:
		return &ev.Action
	case jcSeverity:
		return &ev.Severity
	case jcApp:
		return &ev.App
	case jcMessage:
		return &ev.Message
	case jcProto:
		return &ev.Proto
	case jcSrcIP:
		return &ev.SrcIP
	case jcSrcHost:
		return &ev.SrcHost
	case jcDstIP:
		return &ev.DstIP
	case jcDstHost:
		return &ev.DstHost
	case jcDvcHost:
		return &ev.DvcHost
	case jcDvcIP:
		return &ev.DvcIP
	case jcUserName:
		return &ev.UserName
	case jcSessionID:
		return &ev.SessionID
	case jcFlowTCPFlags:
		return &ev.FlowTCPFlags
	case jcHTTPMethod:
		return &ev.HTTPMethod
	case jcHTTPURL:
		return &ev.HTTPURL
	case jcHTTPHost:
		return &ev.HTTPHost
	case jcHTTPReferrer:
		return &ev.HTTPReferrer
	case jcHTTPUserAgent:
		return &ev.HTTPUserAgent
	case jcHTTPContentType:
		return &ev.HTTPContentType
	case jcDNSQuery:
		return &ev.DNSQuery
	case jcDNSQType:
		return &ev.DNSQType
	case jcDNSQClass:
		return &ev.DNSQClass
	case jcDNSRCode:
		return &ev.DNSRCode
	case jcDNSAnswers:
		return &ev.DNSAnswers
	case jcFilePath:
		return &ev.FilePath
	case jcFileDst:
		return &ev.FileDst
	}
	return nil
}
