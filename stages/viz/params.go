package viz

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

const (
	dayLayout      = "2006-01-02"
	day            = 24 * time.Hour
	defaultLimit   = 100
	maxLimit       = 1000
	maxOffset      = 100_000
	maxTextLen     = 256
	defaultDays    = 7
	maxEventsRange = 31 * day
	maxDaysRange   = 366 * day
)

// query reads and validates a request's parameters; the first problem is
// kept and returned by err (400 with a message naming the parameter).
type query struct {
	v     url.Values
	r     *http.Request
	st    CacheStatus
	now   time.Time
	first error
}

func newQuery(r *http.Request, st CacheStatus, now time.Time) *query {
	v, err := url.ParseQuery(r.URL.RawQuery)
	q := &query{v: v, r: r, st: st, now: now}
	if err != nil {
		q.fail("query string: %v", err)
	}
	return q
}

func (q *query) fail(format string, args ...any) {
	if q.first == nil {
		q.first = badRequest(format, args...)
	}
}

func (q *query) err() error { return q.first }

// known rejects parameters not in names, and repeated ones.
func (q *query) known(names ...string) {
	keys := make([]string, 0, len(q.v))
	for k := range q.v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(names, k) {
			q.fail("%s: unknown parameter; known: %s", k, strings.Join(names, ", "))
			return
		}
		if len(q.v[k]) > 1 {
			q.fail("%s: given %d times; give it once", k, len(q.v[k]))
			return
		}
	}
}

// text is a free-text filter: at most maxTextLen characters, no control
// characters. Empty means not given.
func (q *query) text(name string) string {
	s := strings.TrimSpace(q.v.Get(name))
	if len(s) > maxTextLen {
		q.fail("%s: longer than %d characters", name, maxTextLen)
		return ""
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		q.fail("%s: contains control characters", name)
		return ""
	}
	return s
}

// ip is an IP address filter, in its canonical text form.
func (q *query) ip(name string) string {
	s := strings.TrimSpace(q.v.Get(name))
	if s == "" {
		return ""
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		q.fail("%s: not an IP address: %q", name, s)
		return ""
	}
	return a.String()
}

// port is a port filter; ok is false when not given.
func (q *query) port(name string) (int, bool) {
	s := strings.TrimSpace(q.v.Get(name))
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		q.fail("%s: not a port number 0-65535: %q", name, s)
		return 0, false
	}
	return n, true
}

// intIn is an integer parameter in [lo, hi], def when not given.
func (q *query) intIn(name string, def, lo, hi int) int {
	s := strings.TrimSpace(q.v.Get(name))
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		q.fail("%s: want an integer from %d to %d, got %q", name, lo, hi, s)
		return def
	}
	return n
}

func (q *query) limit() int  { return q.intIn("limit", defaultLimit, 1, maxLimit) }
func (q *query) offset() int { return q.intIn("offset", 0, 0, maxOffset) }

// enum is one of allowed, def when not given.
func (q *query) enum(name, def string, allowed ...string) string {
	s := strings.TrimSpace(q.v.Get(name))
	if s == "" {
		return def
	}
	if !slices.Contains(allowed, s) {
		q.fail("%s: unknown %q; use one of %s", name, s, strings.Join(allowed, ", "))
		return def
	}
	return s
}

// parseTime reads YYYY-MM-DD (dateOnly) or an RFC3339 time.
func parseTime(s string) (t time.Time, dateOnly bool, ok bool) {
	if t, err := time.Parse(dayLayout, s); err == nil {
		return t, true, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), false, true
	}
	return time.Time{}, false, false
}

func (q *query) timeParam(name string) (t time.Time, dateOnly, given bool) {
	s := strings.TrimSpace(q.v.Get(name))
	if s == "" {
		return time.Time{}, false, false
	}
	t, dateOnly, ok := parseTime(s)
	if !ok {
		q.fail("%s: not a date or RFC3339 time: %q; use 2026-11-21 or 2026-11-21T10:00:00Z", name, s)
		return time.Time{}, false, false
	}
	return t, dateOnly, true
}

// span is a half-open time range [from, to).
type span struct{ from, to time.Time }

func (s span) length() time.Duration { return s.to.Sub(s.from) }

// firstDay and lastDay are the input days the span touches (inclusive).
func (s span) firstDay() string { return s.from.UTC().Format(dayLayout) }
func (s span) lastDay() string  { return s.to.Add(-time.Nanosecond).UTC().Format(dayLayout) }

// fromTS and toTS are the bounds as RFC3339 text, which DuckDB casts to
// TIMESTAMPTZ unambiguously whatever its TimeZone setting.
func (s span) fromTS() string { return s.from.UTC().Format(time.RFC3339Nano) }
func (s span) toTS() string   { return s.to.UTC().Format(time.RFC3339Nano) }

func dayStart(d string) (time.Time, bool) {
	t, err := time.Parse(dayLayout, d)
	return t, err == nil
}

// lastDays is the last n days the cache holds, or the n days up to today
// when it holds none.
func lastDays(st CacheStatus, n int, now time.Time) span {
	if k := len(st.Days); k > 0 {
		last, ok1 := dayStart(st.Days[k-1])
		first, ok2 := dayStart(st.Days[max(0, k-n)])
		if ok1 && ok2 {
			return span{first, last.Add(day)}
		}
	}
	today := now.UTC().Truncate(day)
	return span{today.Add(-time.Duration(n-1) * day), today.Add(day)}
}

// newestDay is the newest day held (its 24 hours), or the last 24 hours.
func newestDay(st CacheStatus, now time.Time) span {
	if k := len(st.Days); k > 0 {
		if d, ok := dayStart(st.Days[k-1]); ok {
			return span{d, d.Add(day)}
		}
	}
	return span{now.Add(-day).UTC(), now.UTC()}
}

// span reads from= and to=. A date-only to= includes that whole day. With
// only one bound the other keeps the default's length; with neither the
// default is used. The range must be non-empty and at most max long.
func (q *query) span(def span, max time.Duration) span {
	from, _, hasFrom := q.timeParam("from")
	to, toDate, hasTo := q.timeParam("to")
	if q.first != nil {
		return def
	}
	if hasTo && toDate {
		to = to.Add(day)
	}
	s := def
	switch {
	case hasFrom && hasTo:
		s = span{from, to}
	case hasFrom:
		s = span{from, from.Add(def.length())}
	case hasTo:
		s = span{to.Add(-def.length()), to}
	}
	if !s.to.After(s.from) {
		q.fail("to: must be after from (from %s, to %s)", s.from.Format(time.RFC3339), s.to.Format(time.RFC3339))
		return def
	}
	if s.length() > max {
		q.fail("to: range from %s to %s is over %d days; narrow it", s.from.Format(time.RFC3339), s.to.Format(time.RFC3339), int(max/day))
		return def
	}
	return s
}

// dayParam reads a single day (YYYY-MM-DD) as a span.
func (q *query) dayParam(name string) (span, bool) {
	s := strings.TrimSpace(q.v.Get(name))
	if s == "" {
		return span{}, false
	}
	d, ok := dayStart(s)
	if !ok {
		q.fail("%s: not a date: %q; use 2026-11-21", name, s)
		return span{}, false
	}
	return span{d, d.Add(day)}, true
}
