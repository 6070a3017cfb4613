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
	tc  jfTimeCache
}

// Cowrie's fields: the columns, and attributes with a name known in advance.
const (
	ckOther = iota // an attribute whose name is interned at run time
	ckAttr         // an attribute with a constant name
	ckTimestamp
	ckEventID
	ckSrcIP
	ckDstIP
	ckSrcPort
	ckDstPort
	ckSession
	ckProtocol
	ckUsername
	ckSensor
	ckMessage
	ckURL
	ckOutfile
	ckFilename
)

// cowrieKey classifies a key by its length first: cheaper than a string
// switch over every name, and it spares the attribute names a map lookup.
func cowrieKey(k []byte) (int, string) {
	switch len(k) {
	case 3:
		if string(k) == "url" {
			return ckURL, ""
		}
	case 4:
		switch string(k) {
		case "uuid":
			return ckAttr, "uuid"
		case "size":
			return ckAttr, "size"
		case "name":
			return ckAttr, "name"
		case "arch":
			return ckAttr, "arch"
		}
	case 5:
		switch string(k) {
		case "input":
			return ckAttr, "input"
		case "hassh":
			return ckAttr, "hassh"
		case "width":
			return ckAttr, "width"
		case "value":
			return ckAttr, "value"
		case "encCS":
			return ckAttr, "encCS"
		case "macCS":
			return ckAttr, "macCS"
		}
	case 6:
		switch string(k) {
		case "src_ip":
			return ckSrcIP, ""
		case "dst_ip":
			return ckDstIP, ""
		case "sensor":
			return ckSensor, ""
		case "height":
			return ckAttr, "height"
		case "shasum":
			return ckAttr, "shasum"
		case "ttylog":
			return ckAttr, "ttylog"
		case "compCS":
			return ckAttr, "compCS"
		case "langCS":
			return ckAttr, "langCS"
		}
	case 7:
		switch string(k) {
		case "eventid":
			return ckEventID, ""
		case "session":
			return ckSession, ""
		case "message":
			return ckMessage, ""
		case "outfile":
			return ckOutfile, ""
		case "version":
			return ckAttr, "version"
		case "kexAlgs":
			return ckAttr, "kexAlgs"
		case "keyAlgs":
			return ckAttr, "keyAlgs"
		}
	case 8:
		switch string(k) {
		case "src_port":
			return ckSrcPort, ""
		case "dst_port":
			return ckDstPort, ""
		case "protocol":
			return ckProtocol, ""
		case "username":
			return ckUsername, ""
		case "filename":
			return ckFilename, ""
		case "password":
			return ckAttr, "password"
		case "duration":
			return ckAttr, "duration"
		}
	case 9:
		switch string(k) {
		case "timestamp":
			return ckTimestamp, ""
		case "duplicate":
			return ckAttr, "duplicate"
		}
	}
	return ckOther, ""
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
		kind, name := cowrieKey(key)
		switch kind {
		case ckOther:
			d.attrNamed(ev, key, v)
			continue
		case ckAttr:
			switch v.kind {
			case jsonNull:
			case jsonString, jsonNumber, jsonTrue, jsonFalse:
				// An empty string is data here (a honeypot's empty password).
				if len(v.b) > 0 || v.kind == jsonString {
					ev.Attrs = append(ev.Attrs, KV{Key: name, Value: d.str(v)})
				}
			default:
				d.attrNamed(ev, key, v)
			}
			continue
		case ckTimestamp:
			if v.kind == jsonNull {
				continue
			}
			t, ok := time.Time{}, false
			if v.kind == jsonString {
				t, ok = p.tc.parse(v.b, p.loc)
			}
			if !ok {
				return jfFieldError("cowrie", "timestamp", v, "is not an RFC 3339 time")
			}
			ev.Time, haveTime = t, true
			continue
		case ckSrcPort, ckDstPort:
			n, absent, ok := jsonInt(v, 0, 65535)
			if !ok {
				return jfFieldError("cowrie", string(key), v, "is not a port")
			}
			if !absent {
				if kind == ckSrcPort {
					ev.SrcPort = int32(n)
				} else {
					ev.DstPort = int32(n)
				}
			}
			continue
		case ckMessage:
			if v.kind == jsonArray {
				d.set(&ev.Message, p.join(v))
			} else {
				d.set(&ev.Message, d.text(v))
			}
			continue
		}
		// The string columns.
		if v.kind == jsonArray || v.kind == jsonObject {
			return jfFieldError("cowrie", string(key), v, "is not a string")
		}
		v = jsonScalar(v)
		switch kind {
		case ckEventID:
			eventid = v.b
			d.set(&ev.EventType, v)
		case ckSrcIP:
			d.set(&ev.SrcIP, v)
		case ckDstIP:
			d.set(&ev.DstIP, v)
		case ckSession:
			d.set(&ev.SessionID, v)
		case ckProtocol:
			d.set(&ev.Proto, v)
		case ckUsername:
			d.set(&ev.UserName, v)
		case ckSensor:
			d.set(&ev.DvcHost, v)
		case ckURL:
			d.set(&ev.HTTPURL, v)
		case ckOutfile:
			outfile = v
		case ckFilename:
			filename = v
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
		d.set(&ev.FilePath, outfile)
		d.attrNamed(ev, []byte("filename"), filename)
	} else {
		d.set(&ev.FilePath, filename)
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
