package formats

import (
	"bytes"
	"errors"
	"strings"
	"time"
)

// Cloudera Navigator audit events as JSON lines, one event per line: the
// events Navigator's Audit Server streams to syslog or Kafka
// ({"type":"HDFS","allowed":"true","time":"1429800373000","service":"HDFS-1",
// "user":"hdfs","ip":"/10.20.30.40","op":"setPermission","src":"/user/hive",...})
// and the audit API / export field names (timestamp, username, ipAddress,
// command, resource, operationText, serviceName, allowed as a boolean).
//
// Columns: event_time=time|timestamp (epoch ms as number or string, or RFC
// 3339), event_type=op|command|operation, action=allowed|denied from allowed,
// user_name=user|username, src_ip=ip|ipAddress without Java's leading "/" (a
// "host/1.2.3.4" form gives src_host too), app=service|serviceName,
// message=opText|operationText, file_path=src|path|resourcePath|resource,
// file_dst=dst|dest. Everything else (type, db, table, objType, impersonator,
// perms, delegationTokenId, serviceValues.*, ...) is an attribute. When a
// line carries two names for one column, the first name listed wins and the
// other stays an attribute. A line with text before its JSON object (a syslog
// header such as "Apr 23 13:26:13 nav01 NavigatorAuditServer: ") is read from
// the object on; the text is kept in attribute syslog_header.

func init() {
	Register(Format{
		Name:        "navigator",
		Description: "Cloudera Navigator audit events as JSON lines (syslog/Kafka stream or audit API export)",
		Patterns:    []string{`\.(json|jsonl|log)(\.gz)?$`},
		Options:     map[string]string{},
		New: func(fi FileInfo, opts Options) (Parser, error) {
			if err := jfNoOptions("navigator", opts); err != nil {
				return nil, err
			}
			loc := fi.Location
			if loc == nil {
				loc = time.UTC
			}
			return &navigatorParser{m: newJSONMapper(navCount, navPaths), loc: loc}, nil
		},
	})
}

const (
	navTime = iota
	navOp
	navAllowed
	navUser
	navIP
	navService
	navOpText
	navPath
	navDst
	navCount
)

var navPaths = func() map[string]jsonTarget {
	m := map[string]jsonTarget{}
	for id, names := range [navCount][]string{
		navTime:    {"time", "timestamp", "eventTime", "event_time"},
		navOp:      {"op", "command", "operation"},
		navAllowed: {"allowed"},
		navUser:    {"user", "username", "userName"},
		navIP:      {"ip", "ipAddress", "ip_address"},
		navService: {"service", "serviceName", "service_name"},
		navOpText:  {"opText", "operationText", "operation_text"},
		navPath:    {"src", "path", "resourcePath", "resource_path", "resource"},
		navDst:     {"dst", "dest"},
	} {
		for rank, n := range names {
			m[n] = jsonTarget{id: id, rank: rank, explicit: true}
		}
	}
	return m
}()

type navigatorParser struct {
	m   *jsonMapper
	loc *time.Location
}

var errNavNoTime = errors.New("navigator: no time field (time, timestamp, eventTime)")

func (p *navigatorParser) Parse(line []byte, ev *Event) error {
	m := p.m
	d := &m.d
	var header []byte
	full := line
	if i := navObjectStart(line); i > 0 {
		header = bytes.TrimSpace(line[:i])
		line = line[i:]
	}
	if err := m.read(line, ev); err != nil {
		var se *jsonSyntaxError
		if errors.As(err, &se) && len(full) != len(line) {
			se.off += len(full) - len(line) // offsets in the whole line
		}
		return jfNotObject("navigator", err)
	}
	s := m.slots
	if !s[navTime].set {
		return errNavNoTime
	}
	t, ok := navTimeOf(s[navTime].v, p.loc)
	if !ok {
		return jfFieldError("navigator", s[navTime].key, s[navTime].v, "is not an epoch-milliseconds or RFC 3339 time")
	}
	ev.Time = t
	for _, id := range m.used {
		sl := &s[id]
		v := sl.v
		if id != navTime && (v.kind == jsonArray || v.kind == jsonObject) {
			return jfFieldError("navigator", sl.key, v, "is not a string")
		}
		switch id {
		case navOp:
			d.set(&ev.EventType, v)
		case navAllowed:
			switch {
			case v.kind == jsonTrue || (v.kind == jsonString && strings.EqualFold(string(v.b), "true")):
				ev.Action = "allowed"
			case v.kind == jsonFalse || (v.kind == jsonString && strings.EqualFold(string(v.b), "false")):
				ev.Action = "denied"
			default:
				d.attrVal(ev, []byte(sl.key), v)
			}
		case navUser:
			d.set(&ev.UserName, v)
		case navIP:
			// Java's InetAddress.toString: "/1.2.3.4", or "host/1.2.3.4".
			ip := v
			if i := bytes.IndexByte(ip.b, '/'); i >= 0 {
				d.set(&ev.SrcHost, ip.slice(0, i))
				ip = ip.slice(i+1, len(ip.b))
			}
			d.set(&ev.SrcIP, ip)
		case navService:
			d.set(&ev.App, v)
		case navOpText:
			d.set(&ev.Message, v)
		case navPath:
			d.set(&ev.FilePath, v)
		case navDst:
			d.set(&ev.FileDst, v)
		}
	}
	if len(header) > 0 {
		ev.Attr("syslog_header", string(header))
	}
	return nil
}

// navObjectStart returns where the JSON object of a line with a text prefix
// (a syslog header) starts: at the first `{"` that follows a space, a tab or
// a colon, when the line does not itself start like JSON. It returns 0 when
// there is no such prefix; the JSON reader then says what is wrong.
func navObjectStart(line []byte) int {
	t := bytes.TrimLeft(line, " \t")
	if len(t) == 0 || t[0] == '{' || t[0] == '[' || t[0] == '"' || t[0] == 0xEF {
		return 0
	}
	i := bytes.Index(line, []byte(`{"`))
	if i <= 0 {
		return 0
	}
	switch line[i-1] {
	case ' ', '\t', ':':
		return i
	}
	return 0
}

// navTimeOf reads Navigator's event time: epoch milliseconds (a number or a
// string of digits, as the syslog stream writes it) or an RFC 3339 time (the
// API's timestamp).
func navTimeOf(v jsonVal, loc *time.Location) (time.Time, bool) {
	switch v.kind {
	case jsonNumber:
		return jfEpoch(v.b, 1e6)
	case jsonString:
		if len(v.b) > 0 && v.b[0] >= '0' && v.b[0] <= '9' && bytes.IndexByte(v.b, '-') < 0 {
			return jfEpoch(v.b, 1e6)
		}
		return jfRFC3339(v.b, loc)
	}
	return time.Time{}, false
}
