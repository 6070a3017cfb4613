package words

import (
	"strconv"
	"strings"

	"github.com/zeebo/xxh3"
)

// maxEventType caps how much of a syslog msgid / tag enters a template id.
const maxEventType = 64

// appendTemplateID appends the 8-hex-digit id of the template of a syslog
// line: xxh3-64 of eventType, a zero byte and the message template, top 32
// bits.
func appendTemplateID(b []byte, eventType, message string) []byte {
	var arr [maxEventType + 1 + maxTemplate]byte
	t := arr[:0]
	if len(eventType) > maxEventType {
		eventType = eventType[:maxEventType]
	}
	t = append(t, eventType...)
	t = append(t, 0)
	t = appendTemplate(t, message)
	h := uint32(xxh3.Hash(t) >> 32)
	const digits = "0123456789abcdef"
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, digits[h>>uint(shift)&0xf])
	}
	return append(b, '_')
}

// Template returns a syslog line's message template and its id, the last
// part of its word: for showing people what a word stands for.
func Template(eventType, message string) (id, template string) {
	idb := appendTemplateID(nil, eventType, message)
	return string(idb[:len(idb)-1]), string(appendTemplate(nil, message))
}

// syslogWords is the recipe of syslog rows: see README.md.
func syslogWords(dst []Pair, r *Row) []Pair {
	doc := first(r.SrcIP, r.SrcHost, r.DvcHost)
	if doc == "" {
		return dst
	}
	var arr [128]byte
	b := arr[:0]
	b = appendApp(b, r.App)
	b = appendToken(b, r.Severity)
	b = appendInt(b, hour(r.Time))
	b = appendTemplateID(b, r.EventType, r.Message)
	return append(dst, Pair{doc, finish(b)})
}

// appendApp appends a syslog program name with values in it replaced as in
// templates (cloud platforms name programs by UUID, some add versions).
func appendApp(b []byte, app string) []byte {
	if !present(app) {
		return append(b, '-', '_')
	}
	var arr [maxTemplate]byte
	t := appendTemplate(arr[:0], app)
	return appendToken(b, string(t)) // not kept: converted on the stack up to 32 bytes
}

// hdfsWords is the recipe of hdfs_audit rows: see README.md.
func hdfsWords(dst []Pair, r *Row) []Pair {
	doc := first(r.UserName, r.SrcIP)
	if doc == "" {
		return dst
	}
	path := stripScheme(r.FilePath)
	var arr [128]byte
	b := arr[:0]
	b = appendToken(b, r.EventType)
	b = appendToken(b, r.Action)
	b = appendInt(b, hour(r.Time))
	if path == "" {
		b = append(b, '-', '_')
	} else {
		b = appendInt(b, pathDepth(path))
	}
	b = append(append(b, pathOwner(path, r.UserName)...), '_')
	return append(dst, Pair{doc, finish(b)})
}

// maxDepth caps the path depth bin.
const maxDepth = 8

// stripScheme drops "scheme://authority" from a path ("hdfs://ns1/user/x"
// → "/user/x"); "-" is no path.
func stripScheme(p string) string {
	if !present(p) {
		return ""
	}
	if i := strings.Index(p, "://"); i >= 0 {
		rest := p[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
		return "/"
	}
	return p
}

// pathDepth is the number of non-empty components of p, at most maxDepth:
// "/" 0, "/tmp" 1, "/user/alice/x" 3.
func pathDepth(p string) int64 {
	n := int64(0)
	for i := 0; i < len(p); i++ {
		if p[i] != '/' && (i == 0 || p[i-1] == '/') {
			n++
		}
	}
	return min(n, maxDepth)
}

// shortUser is the short name of a user or Kerberos principal:
// "nn/host@REALM" → "nn", "carol@REALM" → "carol".
func shortUser(u string) string {
	if i := strings.IndexAny(u, "/@"); i >= 0 {
		return u[:i]
	}
	return u
}

// pathOwner says whose a path is from the user's point of view: own (under
// /user/<user>, the user's HDFS home), home (another user's home), tmp
// (/tmp), root ("/"), other, or "-" for no path.
func pathOwner(p, user string) string {
	switch {
	case p == "":
		return "-"
	case p == "/":
		return "root"
	case under(p, "/tmp"):
		return "tmp"
	case under(p, "/user"):
		rest := p[len("/user"):]
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			return "other" // /user itself
		}
		owner := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			owner = rest[:i]
		}
		if u := shortUser(user); u != "" && owner == u {
			return "own"
		}
		return "home"
	}
	return "other"
}

// under reports whether p is dir or inside it.
func under(p, dir string) bool {
	return strings.HasPrefix(p, dir) && (len(p) == len(dir) || p[len(dir)] == '/')
}

// navigatorWords is the recipe of Cloudera Navigator audit rows: see
// README.md.
func navigatorWords(dst []Pair, r *Row) []Pair {
	doc := first(r.UserName, r.SrcIP)
	if doc == "" {
		return dst
	}
	var arr [128]byte
	b := arr[:0]
	b = appendService(b, r.App)
	b = appendToken(b, r.EventType)
	b = appendToken(b, r.Action)
	b = appendInt(b, hour(r.Time))
	b = append(append(b, sqlClass(r.Message)...), '_')
	return append(dst, Pair{doc, finish(b)})
}

// appendService appends a Navigator service name lowercased without the
// instance number Cloudera Manager adds: "HDFS-1" → "hdfs".
func appendService(b []byte, app string) []byte {
	if i := strings.LastIndexByte(app, '-'); i > 0 && i < len(app)-1 {
		if _, err := strconv.ParseUint(app[i+1:], 10, 32); err == nil {
			app = app[:i]
		}
	}
	start := len(b)
	b = appendToken(b, app)
	for i := start; i < len(b); i++ {
		if c := b[i]; 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return b
}

// sqlClass classifies the statement of a query by its first keyword: read,
// write, modify, create, drop, alter, acl, meta, transfer, other, or "-"
// when there is none.
func sqlClass(stmt string) string {
	i := 0
	for i < len(stmt) && (isSpace(stmt[i]) || stmt[i] == '(') {
		i++
	}
	j := i
	for j < len(stmt) && isAlnum(stmt[j]) {
		j++
	}
	kw := stmt[i:j]
	if kw == "" {
		if i < len(stmt) {
			return "other"
		}
		return "-"
	}
	for _, c := range sqlClasses {
		for _, k := range c.keywords {
			if strings.EqualFold(kw, k) {
				return c.class
			}
		}
	}
	return "other"
}

var sqlClasses = []struct {
	class    string
	keywords []string
}{
	{"read", []string{"select", "with", "values", "table"}},
	{"write", []string{"insert", "upsert", "load", "merge", "copy"}},
	{"modify", []string{"update", "delete", "truncate"}},
	{"create", []string{"create"}},
	{"drop", []string{"drop"}},
	{"alter", []string{"alter", "rename", "msck"}},
	{"acl", []string{"grant", "revoke"}},
	{"meta", []string{"show", "describe", "desc", "use", "explain", "set", "reset",
		"refresh", "invalidate", "compute", "analyze"}},
	{"transfer", []string{"export", "import"}},
}

// cowrieWords is the recipe of Cowrie honeypot rows: see README.md.
func cowrieWords(dst []Pair, r *Row) []Pair {
	doc := r.SrcIP
	if !present(doc) {
		return dst
	}
	var arr [128]byte
	b := arr[:0]
	b = appendToken(b, strings.TrimPrefix(r.EventType, "cowrie."))
	b = appendToken(b, r.Action)
	b = appendInt(b, hour(r.Time))
	cls := "-"
	if strings.HasPrefix(r.EventType, "cowrie.command.") {
		cls = commandClass(commandInput(r))
	}
	b = append(append(b, cls...), '_')
	return append(dst, Pair{doc, finish(b)})
}

// commandInput is the shell input of a cowrie.command.* row: Input, else
// the message without Cowrie's "CMD: " or "Command not found: " prefix.
func commandInput(r *Row) string {
	if r.Input != "" {
		return r.Input
	}
	m := r.Message
	if rest, ok := strings.CutPrefix(m, "CMD: "); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(m, "Command not found: "); ok {
		return rest
	}
	return m
}

// jsonlWords is the recipe of jsonl rows: see README.md.
func jsonlWords(dst []Pair, r *Row) []Pair {
	doc := first(r.UserName, r.SrcIP, r.SrcHost)
	if doc == "" {
		return dst
	}
	var arr [128]byte
	b := arr[:0]
	b = appendToken(b, first(r.EventType, r.App))
	b = appendToken(b, r.Action)
	b = appendInt(b, hour(r.Time))
	return append(dst, Pair{doc, finish(b)})
}
