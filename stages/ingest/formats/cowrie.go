package formats

import (
	"errors"
	"time"
)

// Cowrie SSH/Telnet honeypot JSON lines (cowrie.json): one object per line
// with eventid, timestamp, session, src_ip and event-specific fields.
//
// Columns: event_time=timestamp, event_type=eventid, src_ip/src_port,
// dst_ip/dst_port, session_id=session, proto=protocol, user_name=username,
// message=message (an array message, as twisted logs it, is joined with
// spaces), dvc_host=sensor, action=success/failed for cowrie.login.success
// and cowrie.login.failed, http_url=url, file_path=outfile, or filename when
// there is no outfile. Every other field (password, input, version, hassh,
// shasum, duration, uuid, ...) is an attribute; nested objects are flattened
// with dotted keys and arrays kept as JSON text.

func init() {
	Register(Format{
		Name:        "cowrie",
		Description: "Cowrie SSH/Telnet honeypot JSON lines (cowrie.json)",
		Patterns:    []string{`\.json(l)?(\.\d{4}-\d{2}-\d{2})?(\.gz)?$`},
		Options:     map[string]string{},
		New: func(fi FileInfo, opts Options) (Parser, error) {
			if err := jfNoOptions("cowrie", opts); err != nil {
				return nil, err
			}
			loc := fi.Location
			if loc == nil {
				loc = time.UTC
			}
			return &cowrieParser{loc: loc}, nil
		},
	})
}

type cowrieParser struct {
	d   jsonDec
	loc *time.Location
}

func (p *cowrieParser) Parse(line []byte, ev *Event) error {
	d := &p.d
	if err := d.open(line); err != nil {
		return jfNotObject("cowrie", err)
	}
	var eventid []byte
	var outfile, filename jsonVal
	var haveTime bool
	for {
		key, v, ok, err := d.it.member()
		if err != nil {
			return jfNotObject("cowrie", err)
		}
		if !ok {
			break
		}
		switch string(key) {
		case "timestamp":
			if v.kind == jsonNull {
				continue
			}
			t, ok := time.Time{}, false
			if v.kind == jsonString {
				t, ok = jfRFC3339(v.b, p.loc)
			}
			if !ok {
				return jfFieldError("cowrie", "timestamp", v, "is not an RFC 3339 time")
			}
			ev.Time, haveTime = t, true
		case "eventid", "src_ip", "dst_ip", "session", "protocol", "username", "sensor", "url", "outfile", "filename":
			if v.kind == jsonArray || v.kind == jsonObject {
				return jfFieldError("cowrie", string(key), v, "is not a string")
			}
			switch key[0] {
			case 'e':
				eventid = v.b
				d.set(&ev.EventType, jsonScalar(v))
			case 's':
				if key[1] == 'r' {
					d.set(&ev.SrcIP, jsonScalar(v))
				} else if key[1] == 'e' && key[2] == 's' {
					d.set(&ev.SessionID, jsonScalar(v))
				} else {
					d.set(&ev.DvcHost, jsonScalar(v))
				}
			case 'd':
				d.set(&ev.DstIP, jsonScalar(v))
			case 'p':
				d.set(&ev.Proto, jsonScalar(v))
			case 'u':
				if key[1] == 's' {
					d.set(&ev.UserName, jsonScalar(v))
				} else {
					d.set(&ev.HTTPURL, jsonScalar(v))
				}
			case 'o':
				outfile = v
			case 'f':
				filename = v
			}
		case "src_port", "dst_port":
			n, absent, ok := jsonInt(v, 0, 65535)
			if !ok {
				return jfFieldError("cowrie", string(key), v, "is not a port")
			}
			if !absent {
				if key[1] == 'r' {
					ev.SrcPort = int32(n)
				} else {
					ev.DstPort = int32(n)
				}
			}
		case "message":
			if v.kind == jsonArray {
				d.set(&ev.Message, p.join(v))
			} else {
				d.set(&ev.Message, d.text(v))
			}
		default:
			d.attrNamed(ev, key, v)
		}
	}
	if err := d.it.end(); err != nil {
		return jfNotObject("cowrie", err)
	}
	if !haveTime {
		return errCowrieNoTime
	}
	// file_path: the file as stored by the honeypot (outfile), else the name
	// the attacker gave (filename); the other one stays an attribute.
	if outfile.kind != jsonNull {
		d.set(&ev.FilePath, jsonScalar(outfile))
		d.attrNamed(ev, []byte("filename"), filename)
	} else {
		d.set(&ev.FilePath, jsonScalar(filename))
	}
	switch string(eventid) {
	case "cowrie.login.success":
		ev.Action = "success"
	case "cowrie.login.failed":
		ev.Action = "failed"
	}
	return nil
}

var errCowrieNoTime = errors.New(`cowrie: field "timestamp" missing`)

// join renders an array message as twisted does: its elements joined with
// spaces (strings unescaped, other values as JSON text).
func (p *cowrieParser) join(raw jsonVal) jsonVal {
	d := &p.d
	sub := jsonSub(raw, &d.esc)
	var out []byte
	for i := 0; ; i++ {
		v, ok, err := sub.element()
		if err != nil || !ok {
			break
		}
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, d.text(v).b...)
	}
	return jsonVal{kind: jsonString, b: out, off: -1}
}
