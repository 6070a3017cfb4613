package formats

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

func init() {
	Register(Format{
		Name:        "apache",
		Description: "Apache/nginx access log in combined or common log format",
		Patterns:    []string{`\.log(\.gz)?$`},
		New:         func(FileInfo, Options) (Parser, error) { return &apacheParser{}, nil },
	})
}

// apacheParser parses
//
//	host ident authuser [17/May/2015:10:05:03 +0000] "request" status bytes ["referrer" "user-agent"]
//
// It is stateless but for a scratch buffer used to unescape quoted fields.
type apacheParser struct {
	scratch []byte
}

var (
	errApacheNoTime    = errors.New("apache: no [timestamp] found")
	errApacheHost      = errors.New("apache: want host, ident and user before [timestamp]")
	errApacheNoRequest = errors.New(`apache: no "request" after [timestamp]`)
	errApacheRequest   = errors.New("apache: request: missing closing quote")
	errApacheNoStatus  = errors.New("apache: want status and bytes after request")
	errApacheTimeOpen  = errors.New("apache: [timestamp] is not closed")
	errApacheReferrer  = errors.New("apache: referrer: missing closing quote")
	errApacheNotQuoted = errors.New("apache: referrer is not quoted")
	errApacheUANoQuote = errors.New("apache: user agent is not quoted")
)

func (p *apacheParser) Parse(line []byte, ev *Event) error {
	// One string per line; every field below is a substring of it.
	s := string(line)

	open := strings.IndexByte(s, '[')
	if open < 0 {
		return errApacheNoTime
	}
	// The user may contain spaces in rare setups, so split host and ident
	// off the front and keep the rest as the user.
	host, rest, ok1 := strings.Cut(strings.TrimRight(s[:open], " "), " ")
	ident, user, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || host == "" || ident == "" || user == "" {
		return errApacheHost
	}
	closeB := strings.IndexByte(s[open:], ']')
	if closeB < 0 {
		return errApacheTimeOpen
	}
	closeB += open
	t, ok := parseCLFTime(s[open+1 : closeB])
	if !ok {
		return errors.New("apache: bad timestamp " + quoteShort(s[open+1:closeB]))
	}
	ev.Time = t
	if isIPAddr(host) {
		ev.SrcIP = host
	} else {
		ev.SrcHost = host
	}
	if ident != "-" {
		ev.Attr("ident", ident)
	}
	if user != "-" {
		ev.UserName = user
	}

	rest = strings.TrimLeft(s[closeB+1:], " ")
	if !strings.HasPrefix(rest, `"`) {
		return errApacheNoRequest
	}
	req, rest, closed := p.quoted(rest)
	if !closed {
		return errApacheRequest
	}
	apacheRequest(req, ev)

	status, rest := cutField(rest)
	bytesF, rest := cutField(rest)
	if status == "" || bytesF == "" {
		return errApacheNoStatus
	}
	n, ok := decimal(status)
	if !ok || n > 999 {
		return errors.New("apache: status " + quoteShort(status) + " is not a number")
	}
	ev.HTTPStatus = int32(n)
	if bytesF != "-" {
		n, ok := decimal(bytesF)
		if !ok {
			return errors.New("apache: bytes " + quoteShort(bytesF) + " is not a number")
		}
		ev.HTTPBytes = n
	}

	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return nil // common log format
	}
	if rest[0] != '"' {
		return errApacheNotQuoted
	}
	ref, rest, closed := p.quoted(rest)
	if !closed {
		return errApacheReferrer
	}
	if ref != "-" {
		ev.HTTPReferrer = ref
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return nil
	}
	if rest[0] != '"' {
		return errApacheUANoQuote
	}
	// A user agent without its closing quote is accepted: it is the last
	// field, so what is there is unambiguous (the real sample has such a line).
	ua, rest, _ := p.quoted(rest)
	if ua != "-" {
		ev.HTTPUserAgent = ua
	}
	// Custom LogFormats append fields (response time, forwarded-for); keep them.
	ev.Attr("extra", strings.TrimSpace(rest))
	return nil
}

// quoted reads the quoted field at the start of s (s[0] == '"') and returns
// its unescaped content, the text after it, and whether it was closed. A
// quote counts as closing only when a space or the line end follows, so the
// unescaped quotes some servers write inside user agents stay in the field.
func (p *apacheParser) quoted(s string) (val, rest string, closed bool) {
	escaped := false
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			if i+1 == len(s) || s[i+1] == ' ' {
				val = s[1:i]
				if escaped {
					val = p.unescape(val)
				}
				return val, s[i+1:], true
			}
		}
	}
	val = s[1:]
	if escaped {
		val = p.unescape(val)
	}
	return val, "", false
}

// unescape undoes Apache's \" and \\ escapes. \xhh escapes of non-printable
// bytes are kept as written: decoding them would put binary in string columns.
func (p *apacheParser) unescape(s string) string {
	b := p.scratch[:0]
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
			i++
		}
		b = append(b, s[i])
	}
	p.scratch = b
	return string(b)
}

// apacheRequest splits "METHOD target PROTOCOL". Scanners and broken clients
// send anything here ("-", TLS handshakes, bare paths); such requests keep
// the parts that parse and the raw text in attr "request".
func apacheRequest(req string, ev *Event) {
	method, target, _ := strings.Cut(req, " ")
	if !isHTTPMethod(method) || target == "" {
		ev.Attr("request", req)
		return
	}
	ev.HTTPMethod = method
	// The protocol is the last word; targets with raw spaces stay whole.
	if i := strings.LastIndexByte(target, ' '); i >= 0 && strings.HasPrefix(target[i+1:], "HTTP/") {
		ev.HTTPURL = target[:i]
		ev.Attr("http_version", target[i+1:])
		return
	}
	ev.HTTPURL = target // HTTP/0.9 request line: no protocol
}

func isHTTPMethod(s string) bool {
	if len(s) == 0 || len(s) > 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// parseCLFTime parses the common log format time "17/May/2015:10:05:03 +0000".
func parseCLFTime(s string) (time.Time, bool) {
	if len(s) != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' ||
		s[17] != ':' || s[20] != ' ' || (s[21] != '+' && s[21] != '-') {
		return time.Time{}, false
	}
	day, ok1 := fixedNum(s[0:2])
	mon := monthOf(s[3:6])
	year, ok2 := fixedNum(s[7:11])
	hour, ok3 := fixedNum(s[12:14])
	min, ok4 := fixedNum(s[15:17])
	sec, ok5 := fixedNum(s[18:20])
	zh, ok6 := fixedNum(s[22:24])
	zm, ok7 := fixedNum(s[24:26])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || !clockOK(year, mon, day, hour, min, sec) || zm > 59 {
		return time.Time{}, false
	}
	off := time.Duration(zh*60+zm) * time.Minute
	if s[21] == '-' {
		off = -off
	}
	return time.Date(year, mon, day, hour, min, sec, 0, time.UTC).Add(-off), true
}

// Helpers shared by the line formats (apache, hdfs_audit, squid, syslog,
// vpcflow). They work on substrings of the line's one string copy so a
// parsed line costs a single allocation.

// cutField returns the text up to the next space and the text after the run
// of spaces that follows it; leading spaces of s are skipped.
func cutField(s string) (field, rest string) {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	i := strings.IndexByte(s, ' ')
	if i < 0 {
		return s, ""
	}
	field, s = s[:i], s[i+1:]
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return field, s
}

// decimal parses a non-negative decimal integer of at most 18 digits, which
// cannot overflow int64.
func decimal(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int64(c)
	}
	return n, true
}

// fixedNum parses a short run of digits such as the parts of a timestamp.
func fixedNum(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int(c)
	}
	return n, true
}

// monthOf maps "Jan".."Dec" to its month, 0 for anything else.
func monthOf(s string) time.Month {
	switch s {
	case "Jan":
		return time.January
	case "Feb":
		return time.February
	case "Mar":
		return time.March
	case "Apr":
		return time.April
	case "May":
		return time.May
	case "Jun":
		return time.June
	case "Jul":
		return time.July
	case "Aug":
		return time.August
	case "Sep":
		return time.September
	case "Oct":
		return time.October
	case "Nov":
		return time.November
	case "Dec":
		return time.December
	}
	return 0
}

// clockOK range-checks date and clock parts; time.Date would silently
// normalize "Feb 30" or "25:00" into another instant.
func clockOK(year int, mon time.Month, day, hour, min, sec int) bool {
	if mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 60 || year < 1 {
		return false
	}
	switch mon {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return day <= 29
		}
		return day <= 28
	case time.April, time.June, time.September, time.November:
		return day <= 30
	}
	return day <= 31
}

// isIPAddr reports whether s is an IPv4 or IPv6 address. The character check
// keeps host names off ParseAddr's allocating error path.
func isIPAddr(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == '.' || c == ':' || c == '%') {
			return false
		}
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// quoteShort quotes a field value for an error message, cut so a junk field
// cannot smuggle the whole line into the message.
func quoteShort(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
