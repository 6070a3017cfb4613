package formats

import (
	"errors"
	"strings"
	"time"
)

func init() {
	Register(Format{
		Name: "syslog",
		Description: "Syslog lines, RFC 3164 (with or without <PRI>, as in /var/log files) or RFC 5424, " +
			"detected per line; RFC 3164 takes its year from the input day",
		Patterns: []string{`\.log(\.gz)?$`},
		New: func(fi FileInfo, _ Options) (Parser, error) {
			loc := fi.Location
			if loc == nil {
				loc = time.UTC
			}
			day := fi.Day
			if day.IsZero() {
				day = time.Now().UTC() // callers outside the ingest stage may not know the day
			}
			return &syslogParser{year: day.Year(), month: day.Month(), loc: loc}, nil
		},
	})
}

// syslogParser needs the input day because RFC 3164 timestamps have no year,
// and the zone because they have no offset.
type syslogParser struct {
	year  int
	month time.Month
	loc   *time.Location
}

var (
	severityNames = [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}
	facilityNames = [24]string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
		"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
		"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

	errSyslogPRI       = errors.New("syslog: bad <PRI>")
	errSyslogTime      = errors.New("syslog: no RFC 3164 or RFC 5424 timestamp")
	errSyslog5424Nil   = errors.New(`syslog: RFC 5424 timestamp is "-"`)
	errSyslog5424Short = errors.New("syslog: RFC 5424 header is truncated")
	errSyslogSD        = errors.New("syslog: bad RFC 5424 structured data")
)

func (p *syslogParser) Parse(line []byte, ev *Event) error {
	s := string(line)
	pri := -1
	if len(s) > 0 && s[0] == '<' {
		end := strings.IndexByte(s[:min(len(s), 5)], '>')
		if end < 2 {
			return errSyslogPRI
		}
		n, ok := fixedNum(s[1:end])
		if !ok || n > 191 {
			return errors.New("syslog: bad <PRI> " + quoteShort(s[:end+1]))
		}
		pri, s = n, s[end+1:]
		ev.Severity = severityNames[pri&7]
		ev.Attr("facility", facilityNames[pri>>3])
	}
	if rest, ok := syslogVersion(s); ok {
		return p.parse5424(rest, ev)
	}
	return p.parse3164(s, pri, ev)
}

// syslogVersion recognizes RFC 5424's VERSION ("1 ") followed by a timestamp
// or "-"; RFC 3164 lines start with a month name instead.
func syslogVersion(s string) (string, bool) {
	i := 0
	for i < len(s) && i < 3 && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	if i == 0 || i+1 >= len(s) || s[0] == '0' || s[i] != ' ' {
		return "", false
	}
	if c := s[i+1]; c == '-' || '0' <= c && c <= '9' {
		return s[i+1:], true
	}
	return "", false
}

func (p *syslogParser) parse3164(s string, pri int, ev *Event) error {
	t, rest, ok := p.bsdTime(s)
	if !ok {
		// rsyslog's default file format writes RFC 3339 times in this layout.
		var ts string
		ts, rest = cutField(s)
		if t, ok = parseRFC3339(ts); !ok {
			if len(s) >= 3 && monthOf(s[:3]) != 0 {
				return errors.New("syslog: bad RFC 3164 timestamp " + quoteShort(s[:min(len(s), 15)]))
			}
			return errSyslogTime
		}
	}
	ev.Time = t

	word, after := cutField(rest)
	// The hostname is optional in practice: the first word is the tag when
	// it looks like one ("sshd[1]:", "%ASA-7-609001:").
	if ip := isIPAddr(word); ip || word != "" && !syslogIsTag(word) {
		ev.DvcHost = word
		if ip {
			ev.DvcIP = word
		}
		rest = after
		word, after = cutField(rest)
	}
	if syslogIsTag(word) {
		p.tag(word, pri, ev)
		rest = after
	}
	ev.Message = strings.TrimLeft(rest, " ")
	if ev.App == "sshd" || ev.App == "sshd-session" {
		sshdExtract(ev.Message, ev)
	}
	return nil
}

// bsdTime parses "Jan  5 08:52:35" at the start of s, also with an unpadded
// day, a year after the day ("Jan 5 2015 08:52:35", Cisco) or a fraction.
func (p *syslogParser) bsdTime(s string) (time.Time, string, bool) {
	var zero time.Time
	if len(s) < 14 || s[3] != ' ' {
		return zero, "", false
	}
	mon := monthOf(s[:3])
	if mon == 0 {
		return zero, "", false
	}
	i := 4
	if s[i] == ' ' {
		i++
	}
	j := i
	for j < len(s) && j < i+2 && '0' <= s[j] && s[j] <= '9' {
		j++
	}
	day, ok := fixedNum(s[i:j])
	if !ok || j >= len(s) || s[j] != ' ' {
		return zero, "", false
	}
	i = j + 1
	year := -1
	if len(s) > i+5 && s[i+4] == ' ' {
		if y, ok := fixedNum(s[i : i+4]); ok {
			year, i = y, i+5
		}
	}
	if len(s) < i+8 || s[i+2] != ':' || s[i+5] != ':' {
		return zero, "", false
	}
	hour, ok1 := fixedNum(s[i : i+2])
	min, ok2 := fixedNum(s[i+3 : i+5])
	sec, ok3 := fixedNum(s[i+6 : i+8])
	if !ok1 || !ok2 || !ok3 {
		return zero, "", false
	}
	i += 8
	nsec := 0
	if i < len(s) && s[i] == '.' {
		var n int
		nsec, n = fraction(s[i+1:])
		i += 1 + n
	}
	if i < len(s) && s[i] != ' ' {
		return zero, "", false
	}
	if year < 0 {
		// A December line in a January file is from the year before.
		year = p.year
		if mon > p.month+1 {
			year--
		}
	}
	if !clockOK(year, mon, day, hour, min, sec) {
		return zero, "", false
	}
	return time.Date(year, mon, day, hour, min, sec, nsec, p.loc), s[i:], true
}

// syslogIsTag reports whether w is a TAG field: "prog:", "prog[pid]:" or "prog[pid]".
func syslogIsTag(w string) bool {
	n := len(w)
	return n > 1 && (w[n-1] == ':' || w[n-1] == ']' && strings.IndexByte(w, '[') > 0)
}

func (p *syslogParser) tag(w string, pri int, ev *Event) {
	w = strings.TrimSuffix(w, ":")
	app := w
	if i := strings.IndexByte(w, '['); i > 0 && w[len(w)-1] == ']' {
		app = w[:i]
		ev.Attr("pid", w[i+1:len(w)-1])
	}
	// Cisco tags are %FACILITY-SEVERITY-MNEMONIC: the tag names the event.
	if len(app) > 1 && app[0] == '%' {
		ev.EventType = app
		fac, rest, _ := strings.Cut(app[1:], "-")
		ev.App = fac
		if pri < 0 && len(rest) > 1 && rest[1] == '-' && '0' <= rest[0] && rest[0] <= '7' {
			ev.Severity = severityNames[rest[0]-'0']
		}
		return
	}
	ev.App = app
}

// parse5424 parses what follows "<PRI>1 ":
// TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG].
func (p *syslogParser) parse5424(s string, ev *Event) error {
	var hdr [5]string
	for i := range hdr {
		var ok bool
		hdr[i], s, ok = strings.Cut(s, " ")
		if !ok || hdr[i] == "" {
			return errSyslog5424Short
		}
	}
	if hdr[0] == "-" {
		return errSyslog5424Nil
	}
	t, ok := parseRFC3339(hdr[0])
	if !ok {
		return errors.New("syslog: bad RFC 5424 timestamp " + quoteShort(hdr[0]))
	}
	ev.Time = t
	if h := nilDash(hdr[1]); h != "" {
		ev.DvcHost = h
		if isIPAddr(h) {
			ev.DvcIP = h
		}
	}
	ev.App = nilDash(hdr[2])
	ev.Attr("pid", nilDash(hdr[3]))
	ev.EventType = nilDash(hdr[4])

	switch {
	case s == "":
		return errSyslog5424Short
	case s[0] == '-':
		s = s[1:]
	case s[0] == '[':
		var err error
		if s, err = syslogSD(s, ev); err != nil {
			return err
		}
	default:
		return errSyslogSD
	}
	if s != "" {
		if s[0] != ' ' {
			return errSyslogSD
		}
		s = strings.TrimPrefix(s[1:], "\uFEFF") // MSG may start with a UTF-8 BOM
	}
	ev.Message = s
	if ev.App == "sshd" || ev.App == "sshd-session" {
		sshdExtract(s, ev)
	}
	return nil
}

// syslogSD flattens [id name="value" ...] elements into attrs "sd.id.name".
func syslogSD(s string, ev *Event) (string, error) {
	for len(s) > 0 && s[0] == '[' {
		i := 1
		for i < len(s) && s[i] != ' ' && s[i] != ']' && s[i] != '=' && s[i] != '"' {
			i++
		}
		id := s[1:i]
		if id == "" || i == len(s) {
			return "", errSyslogSD
		}
		s = s[i:]
		for {
			if s == "" {
				return "", errSyslogSD
			}
			if s[0] == ']' {
				s = s[1:]
				break
			}
			if s[0] != ' ' {
				return "", errSyslogSD
			}
			s = s[1:]
			eq := 0
			for eq < len(s) && s[eq] != '=' && s[eq] != ' ' && s[eq] != ']' && s[eq] != '"' {
				eq++
			}
			if eq == 0 || eq+1 >= len(s) || s[eq] != '=' || s[eq+1] != '"' {
				return "", errSyslogSD
			}
			name := s[:eq]
			j, esc := eq+2, false
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					esc = true
					j++
				}
				j++
			}
			if j >= len(s) {
				return "", errSyslogSD
			}
			val := s[eq+2 : j]
			if esc {
				val = unescapeSD(val)
			}
			ev.Attr("sd."+id+"."+name, val)
			s = s[j+1:]
		}
	}
	return s, nil
}

// unescapeSD undoes the \" \\ and \] escapes RFC 5424 allows in PARAM-VALUE.
func unescapeSD(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\' || v[i+1] == ']') {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func nilDash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// sshdPatterns are matched word by word against sshd messages: {user}, {ip}
// and {port} capture, * matches any one word, and the message may go on
// after the pattern. A longer pattern comes before its prefix.
var sshdPatterns = func() [][]string {
	var ps [][]string
	for _, p := range []string{
		"Accepted * for {user} from {ip} port {port}",
		"Failed * for invalid user {user} from {ip} port {port}",
		"Failed * for {user} from {ip} port {port}",
		"Invalid user {user} from {ip} port {port}",
		"Invalid user {user} from {ip}",
		"Connection closed by authenticating user {user} {ip} port {port}",
		"Connection closed by invalid user {user} {ip} port {port}",
		"Connection closed by {ip} port {port}",
		"Disconnected from authenticating user {user} {ip} port {port}",
		"Disconnected from invalid user {user} {ip} port {port}",
		"Disconnected from user {user} {ip} port {port}",
		"Disconnected from {ip} port {port}",
		"Received disconnect from {ip} port {port}",
		"Did not receive identification string from {ip} port {port}",
		"Did not receive identification string from {ip}",
	} {
		ps = append(ps, strings.Fields(p))
	}
	return ps
}()

func sshdExtract(msg string, ev *Event) {
	for _, pat := range sshdPatterns {
		if sshdMatch(pat, msg, ev) {
			return
		}
	}
}

func sshdMatch(pat []string, msg string, ev *Event) bool {
	var user, ip, port, word string
	for _, w := range pat {
		word, msg = cutField(msg)
		if word == "" {
			return false
		}
		switch w {
		case "*":
		case "{user}":
			user = word
		case "{ip}":
			ip = word
		case "{port}":
			port, _, _ = strings.Cut(word, ":") // "port 40024:11: Bye Bye"
		default:
			if word != w {
				return false
			}
		}
	}
	n, ok := decimal(port)
	if port != "" && (!ok || n > 65535) {
		return false
	}
	if port != "" {
		ev.SrcPort = int32(n)
	}
	ev.UserName = user
	if isIPAddr(ip) {
		ev.SrcIP = ip
	} else {
		ev.SrcHost = ip // sshd logs names when UseDNS is on
	}
	return true
}

// parseRFC3339 parses "2014-06-20T09:14:07.123+02:00" (any fraction, Z or
// an offset) without time.Parse, which allocates a zone for each offset.
func parseRFC3339(s string) (time.Time, bool) {
	var zero time.Time
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return zero, false
	}
	year, ok1 := fixedNum(s[0:4])
	mon, ok2 := fixedNum(s[5:7])
	day, ok3 := fixedNum(s[8:10])
	hour, ok4 := fixedNum(s[11:13])
	min, ok5 := fixedNum(s[14:16])
	sec, ok6 := fixedNum(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || !clockOK(year, time.Month(mon), day, hour, min, sec) {
		return zero, false
	}
	i, nsec := 19, 0
	if s[i] == '.' {
		var n int
		nsec, n = fraction(s[i+1:])
		if n == 0 {
			return zero, false
		}
		i += 1 + n
	}
	var off time.Duration
	switch z := s[i:]; {
	case z == "Z" || z == "z":
	case len(z) == 6 && (z[0] == '+' || z[0] == '-') && z[3] == ':':
		zh, ok1 := fixedNum(z[1:3])
		zm, ok2 := fixedNum(z[4:6])
		if !ok1 || !ok2 || zh > 23 || zm > 59 {
			return zero, false
		}
		off = time.Duration(zh*60+zm) * time.Minute
		if z[0] == '-' {
			off = -off
		}
	default:
		return zero, false
	}
	return time.Date(year, time.Month(mon), day, hour, min, sec, nsec, time.UTC).Add(-off), true
}

// fraction reads the digits of a decimal fraction at the start of s and
// returns them as nanoseconds (digits past the ninth are read and dropped)
// and how many digits it read.
func fraction(s string) (nsec, n int) {
	scale := 100_000_000
	for n < len(s) && '0' <= s[n] && s[n] <= '9' {
		nsec += int(s[n]-'0') * scale
		scale /= 10
		n++
	}
	return nsec, n
}
