package formats

import (
	"errors"
	"strings"
	"time"
)

func init() {
	Register(Format{
		Name: "hdfs_audit",
		Description: "Hadoop HDFS audit log (hdfs-audit.log): log4j time, then allowed= ugi= ip= cmd= " +
			"src= dst= perm= proto= fields, tab or space separated",
		Patterns: []string{`\.log(\.gz)?$`},
		New: func(fi FileInfo, _ Options) (Parser, error) {
			loc := fi.Location
			if loc == nil {
				loc = time.UTC
			}
			return &hdfsAuditParser{loc: loc}, nil
		},
	})
}

// hdfsAuditParser needs the zone: log4j writes the NameNode's local time.
type hdfsAuditParser struct {
	loc *time.Location
}

var errHDFSNoFields = errors.New("hdfs_audit: no key=value fields")

func (p *hdfsAuditParser) Parse(line []byte, ev *Event) error {
	s := string(line)
	t, rest, ok := p.time(s)
	if !ok {
		return errors.New("hdfs_audit: bad timestamp " + quoteShort(s[:min(len(s), 23)]))
	}
	ev.Time = t
	// Skip the log4j level and logger ("INFO FSNamesystem.audit: ") unless
	// the layout has none and the fields start right away.
	i := strings.Index(rest, ": ")
	if i < 0 && strings.HasSuffix(rest, ":") {
		i = len(rest) - 1 // a logger and no fields
	}
	if i >= 0 && strings.IndexByte(rest[:i], '=') < 0 {
		rest = rest[min(i+2, len(rest)):]
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return errHDFSNoFields
	}
	// Tabs separate the fields; when a shipper turned them into spaces, a
	// field starts at a space followed by "key=" (ugi values have spaces).
	tabs := strings.IndexByte(rest, '\t') >= 0
	for rest != "" {
		var kv string
		if tabs {
			kv, rest, _ = strings.Cut(rest, "\t")
		} else {
			kv, rest = hdfsNextSpaced(rest)
		}
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return errors.New("hdfs_audit: field " + quoteShort(kv) + " is not key=value")
		}
		if v == "null" {
			continue
		}
		switch k {
		case "allowed":
			switch v {
			case "true":
				ev.Action = "allowed"
			case "false":
				ev.Action = "denied"
			default:
				return errors.New("hdfs_audit: allowed=" + quoteShort(v) + " is not true or false")
			}
		case "ugi":
			hdfsUGI(v, ev)
		case "ip":
			ip := strings.TrimPrefix(v, "/")
			if isIPAddr(ip) {
				ev.SrcIP = ip
			} else {
				ev.SrcHost = ip
			}
		case "cmd":
			ev.EventType = v
		case "src":
			ev.FilePath = v
		case "dst":
			ev.FileDst = v
		default:
			ev.Attr(k, v)
		}
	}
	return nil
}

// hdfsUGI splits a UserGroupInformation string such as
// "hive/host@REALM (auth:KERBEROS) via oozie (auth:PROXY)".
func hdfsUGI(v string, ev *Event) {
	ev.Attr("ugi", v)
	user, rest := cutField(v)
	ev.UserName = user
	if strings.HasPrefix(rest, "(auth:") {
		if end := strings.IndexByte(rest, ')'); end > 0 {
			ev.Attr("auth", rest[len("(auth:"):end])
			_, rest = cutField(rest[end:])
		}
	}
	if strings.HasPrefix(rest, "via ") {
		proxy, _ := cutField(rest[len("via "):])
		ev.Attr("proxy_user", proxy)
	}
}

// hdfsNextSpaced returns the field up to the next " key=" and the rest.
func hdfsNextSpaced(s string) (kv, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && hdfsKeyAt(s[i+1:]) {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func hdfsKeyAt(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case ('0' <= c && c <= '9' || c == '_') && i > 0:
		case c == '=':
			return i > 0
		default:
			return false
		}
	}
	return false
}

// time parses log4j's "2015-04-24 12:49:16,145" (millis optional, ',' or '.').
func (p *hdfsAuditParser) time(s string) (time.Time, string, bool) {
	var zero time.Time
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return zero, "", false
	}
	year, ok1 := fixedNum(s[0:4])
	mon, ok2 := fixedNum(s[5:7])
	day, ok3 := fixedNum(s[8:10])
	hour, ok4 := fixedNum(s[11:13])
	min, ok5 := fixedNum(s[14:16])
	sec, ok6 := fixedNum(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || !clockOK(year, time.Month(mon), day, hour, min, sec) {
		return zero, "", false
	}
	i, nsec := 19, 0
	if i < len(s) && (s[i] == ',' || s[i] == '.') {
		var n int
		nsec, n = fraction(s[i+1:])
		if n == 0 {
			return zero, "", false
		}
		i += 1 + n
	}
	if i < len(s) && s[i] != ' ' {
		return zero, "", false
	}
	return time.Date(year, time.Month(mon), day, hour, min, sec, nsec, p.loc), s[i:], true
}
