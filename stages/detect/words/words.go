// Package words turns events into the (document, word) pairs that the LDA
// model of the detection stage is fitted on, as Apache Spot's "suspicious
// connects" did: a document is a principal (an IP address, a user), a word is
// a discretized description of one event it took part in. The rarest
// (document, word) pairs under the fitted model are the suspicious ones.
//
// Each log format has a recipe (README.md documents them all, with worked
// examples that the tests check). Some recipes need statistics of the whole
// day (how common a user agent is), so words are made in two passes: Observe
// every row of the day, then call Words for every row.
//
// Words are deterministic (the same row and the same day give the same
// word, on any machine), cheap (no regular expressions, one allocation per
// event on the common paths) and total (any row, however empty, gives pairs or
// none, never a panic or a NaN).
package words

import (
	"bufio"
	_ "embed"
	"strings"
	"time"
)

// Version names the recipes. It is stored with every score so that scores
// made by different recipes are never compared; bump it whenever any recipe
// changes the words it makes (TestGoldenWords fails until you do).
const Version = "w1"

// Row is what the recipes read of one events row. The caller fills it from
// the table: absent numbers are -1, absent strings "".
type Row struct {
	EventID, Source, Format string    // Format: vpcflow, nfdump, dns, apache, squid, syslog, hdfs_audit, navigator, cowrie, jsonl
	Time                    time.Time // event_time; its hour is taken in UTC

	SrcIP, DstIP, Proto string
	SrcPort, DstPort    int32
	// SrcHost is the client's host name where the source logged a name instead
	// of an address (apache with HostnameLookups, squid log_fqdn, sshd "from
	// host"); recipes fall back to it when SrcIP is absent.
	SrcHost string

	FlowBytes, FlowPackets int64

	DNSQuery, DNSQType, DNSRCode string
	DNSFrameLen                  int32

	HTTPMethod, HTTPURL, HTTPHost, HTTPUserAgent, HTTPContentType string
	HTTPStatus                                                    int32

	EventType, Action, Severity, App, Message, UserName, FilePath, DvcHost string

	// Perm is the permission an HDFS setPermission event set (hdfs_audit's
	// perm attribute, "owner:group:rwxrwxrwx"; Navigator's perms,
	// "rwxrwxrwx"). It is not a column: the oa stage reads it from attrs for
	// those events only. No recipe uses it.
	Perm string

	// Input is Cowrie's "input" attribute (attrs['input'], the command line
	// typed), for cowrie.command.* rows; when it is "", the recipe reads the
	// command from Message ("CMD: <input>").
	Input string
}

// Pair is one (document, word) observation. Doc may share memory with the
// Row's strings it was taken from.
type Pair struct{ Doc, Word string }

// Options tune the recipes that classify domains.
type Options struct {
	// AllowDomains are domains that are always "allow-listed" (class 2), e.g.
	// the company's own: a name matches when it equals an entry or ends with
	// "." + entry. Case and a trailing dot are ignored.
	AllowDomains []string
	// PopularDomains replaces the embedded list of popular registrable
	// domains (class 1). Each entry is reduced to its registrable domain.
	PopularDomains []string
}

//go:embed popular_domains.txt
var embeddedPopular string

// Stats holds the day-level statistics some recipes need and the domain
// lists. Build it with NewStats, Observe every row of the day, then call
// Words. Observe is not safe for concurrent use; once observing is done,
// Words may be called from many goroutines at once (it only reads).
type Stats struct {
	allow   DomainSet
	popular map[string]struct{}
	// ua counts user agents of web rows (apache, squid) per source:
	// source → user agent ("" for none) → count. Values are pointers so that
	// counting an existing key never rewrites the stored key.
	ua map[string]map[string]*uint32
}

// NewStats returns empty statistics with the domain lists of opts.
func NewStats(opts Options) *Stats {
	s := &Stats{
		allow:   NewDomainSet(opts.AllowDomains),
		popular: map[string]struct{}{},
		ua:      map[string]map[string]*uint32{},
	}
	add := func(d string) {
		if d = normDomain(d); d == "" {
			return
		}
		if reg, _ := splitDomain(d); reg != "" {
			d = reg
		}
		s.popular[d] = struct{}{}
	}
	if opts.PopularDomains != nil {
		for _, d := range opts.PopularDomains {
			add(d)
		}
	} else {
		for _, d := range listLines(embeddedPopular) {
			add(d)
		}
	}
	return s
}

// listLines returns the entries of a one-per-line list: blank lines and
// "#" comments are skipped.
func listLines(text string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// normDomain lowercases d and drops surrounding space, a leading "*." or "."
// and trailing dots.
func normDomain(d string) string {
	d = strings.TrimSpace(d)
	d = strings.TrimPrefix(d, "*.")
	d = strings.TrimLeft(d, ".")
	d = strings.TrimRight(d, ".")
	return strings.ToLower(d)
}

// Observe adds one row to the day's statistics. Call it for every row of the
// day before the first Words.
func (s *Stats) Observe(r *Row) {
	switch r.Format {
	case "apache", "squid":
		ua := r.HTTPUserAgent
		if ua == "-" {
			ua = ""
		}
		m := s.ua[r.Source]
		if m == nil {
			m = map[string]*uint32{}
			s.ua[strings.Clone(r.Source)] = m
		}
		if p := m[ua]; p != nil {
			*p++
		} else {
			n := uint32(1)
			m[strings.Clone(ua)] = &n
		}
	}
}

// userAgentCount is how many web rows of the source carried ua on the day
// (0 when Observe never saw it).
func (s *Stats) userAgentCount(source, ua string) uint32 {
	if ua == "-" {
		ua = ""
	}
	if p := s.ua[source][ua]; p != nil {
		return *p
	}
	return 0
}

// Supported reports whether format has a recipe.
func Supported(format string) bool {
	switch format {
	case "vpcflow", "nfdump", "dns", "apache", "squid", "syslog", "hdfs_audit", "navigator", "cowrie", "jsonl":
		return true
	}
	return false
}

// Words appends the event's (document, word) pairs to dst and returns it.
// Flows give two pairs (one per side), other events one; an event with no
// usable principal, or of a format without a recipe, gives none (the caller
// counts these).
func (s *Stats) Words(dst []Pair, r *Row) []Pair {
	switch r.Format {
	case "vpcflow", "nfdump":
		return s.flowWords(dst, r)
	case "dns":
		return s.dnsWords(dst, r)
	case "apache", "squid":
		return s.webWords(dst, r)
	case "syslog":
		return syslogWords(dst, r)
	case "hdfs_audit":
		return hdfsWords(dst, r)
	case "navigator":
		return navigatorWords(dst, r)
	case "cowrie":
		return cowrieWords(dst, r)
	case "jsonl":
		return jsonlWords(dst, r)
	}
	return dst
}

// present reports whether a text field carries a value ("-" is how many
// logs write "none").
func present(s string) bool { return s != "" && s != "-" }

// first returns the first present value, or "".
func first(vals ...string) string {
	for _, v := range vals {
		if present(v) {
			return v
		}
	}
	return ""
}

// hour is the UTC hour of t, 0–23.
func hour(t time.Time) int64 { return int64(t.UTC().Hour()) }
