// Package rules evaluates the alert rules of the operational-analytics stage:
// SQL boolean expressions over per-window aggregates of a day's events, as
// the LINE pipeline wrote them (`event_type = 'delete' and count > 10000`).
//
// A rule groups the day's rows (optionally of one source) by a few event
// columns and a tumbling window, computes a fixed set of aggregates per
// group (count, distinct destinations, bytes, ...) and fires for every group
// whose When expression is true. README.md lists the columns and aggregates.
//
// Expressions are checked at config time (Validate) with DuckDB's own parser:
// each must be one expression over the rule's columns, with no subquery, no
// table function and no function outside a small allow-list. They are run
// in a throwaway in-memory DuckDB with external access off and its
// configuration locked, so even a case the checks missed could read or
// change nothing outside that database.
package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Rule is one alert rule from config.
type Rule struct {
	Name     string        // unique, [a-z0-9_]
	Source   string        // optional: only rows of this source (config source name)
	GroupBy  []string      // event columns to group by (GroupColumns); may be empty
	Window   time.Duration // tumbling window, aligned to midnight UTC; default 1h; must divide 24h
	When     string        // SQL boolean expression over the group-by columns and the aggregates
	Severity string        // low, medium (default) or high
}

// Defaults.
const (
	DefaultWindow   = time.Hour
	DefaultSeverity = "medium"
)

// Severities are the accepted severities, lowest first.
var Severities = []string{"low", "medium", "high"}

// GroupColumns are the event columns a rule may group by. All are text but
// dst_port, an integer.
var GroupColumns = []string{
	"src_ip", "dst_ip", "dst_port", "user_name", "event_type", "action", "source", "format",
	"proto", "dns_qtype", "http_host", "app", "severity", "file_path", "dvc_host",
}

// Aggregates are the per-group values a When expression can use, in the
// order Hit.Values reports them (README.md says what each is).
var Aggregates = []string{
	"count", "distinct_dst_ips", "distinct_dst_ports", "distinct_src_ips", "distinct_users",
	"bytes", "packets", "denied",
}

// DeniedActions are the action values that count as denied.
var DeniedActions = []string{"denied", "REJECT", "failed", "TCP_DENIED"}

// WindowColumns are the window bounds a When expression can use (timestamps,
// UTC).
var WindowColumns = []string{"window_start", "window_end"}

// Functions are the functions a When expression may call. Operators (+, ||,
// LIKE, ~, IN, BETWEEN, CASE, CAST, IS NULL, COALESCE, ...) are allowed too.
var Functions = []string{
	"lower", "upper", "length", "strlen", "regexp_matches", "regexp_full_match",
	"starts_with", "ends_with", "prefix", "suffix", "contains",
	"abs", "least", "greatest", "round", "floor", "ceil", "ln", "log10", "sqrt",
	"hour", "minute", "dayofweek", "isodow", "date_part",
}

// maxWhen bounds the length of a When expression.
const maxWhen = 4096

var nameRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// normalize returns r with its defaults filled in.
func normalize(r Rule) Rule {
	if r.Window == 0 {
		r.Window = DefaultWindow
	}
	if r.Severity == "" {
		r.Severity = DefaultSeverity
	}
	r.When = strings.TrimSpace(r.When)
	return r
}

// ruleErr names rule i in an error: rules[2] (hdfs_mass_delete).when: ...
func ruleErr(i int, r Rule, field, format string, args ...any) error {
	name := ""
	if r.Name != "" {
		name = " (" + r.Name + ")"
	}
	if field != "" {
		field = "." + field
	}
	return fmt.Errorf("rules[%d]%s%s: %s", i, name, field, fmt.Sprintf(format, args...))
}

// checkPlain checks everything but When, and returns the problems.
func checkPlain(i int, r Rule, seen map[string]int) []error {
	var errs []error
	switch {
	case r.Name == "":
		errs = append(errs, ruleErr(i, r, "name", "is empty"))
	case !nameRE.MatchString(r.Name):
		errs = append(errs, ruleErr(i, r, "name", "%q: use only a-z, 0-9 and _", r.Name))
	default:
		if j, dup := seen[r.Name]; dup {
			errs = append(errs, ruleErr(i, r, "name", "%q is also the name of rules[%d]", r.Name, j))
		} else {
			seen[r.Name] = i
		}
	}
	if r.Source != strings.TrimSpace(r.Source) {
		errs = append(errs, ruleErr(i, r, "source", "%q has surrounding spaces", r.Source))
	}
	used := map[string]bool{}
	for k, c := range r.GroupBy {
		switch {
		case !slices.Contains(GroupColumns, c):
			errs = append(errs, ruleErr(i, r, fmt.Sprintf("group_by[%d]", k), "%q is not a column rules can group by (%s)", c, strings.Join(GroupColumns, ", ")))
		case used[c]:
			errs = append(errs, ruleErr(i, r, fmt.Sprintf("group_by[%d]", k), "%q is listed twice", c))
		}
		used[c] = true
	}
	switch w := r.Window; {
	case w < time.Minute:
		errs = append(errs, ruleErr(i, r, "window", "%s: must be at least 1m", w))
	case w%time.Minute != 0 || (24*time.Hour)%w != 0:
		errs = append(errs, ruleErr(i, r, "window", "%s: must be whole minutes that divide 24h (e.g. 5m, 15m, 1h, 6h, 24h)", w))
	}
	if !slices.Contains(Severities, r.Severity) {
		errs = append(errs, ruleErr(i, r, "severity", "%q: want low, medium or high", r.Severity))
	}
	return errs
}

// columnsOf returns the columns a When expression of r may use, and their
// DuckDB types.
func columnsOf(r Rule) map[string]string {
	cols := map[string]string{}
	for _, c := range r.GroupBy {
		cols[c] = groupType(c)
	}
	for _, a := range Aggregates {
		cols[a] = "BIGINT"
	}
	for _, w := range WindowColumns {
		cols[w] = "TIMESTAMP"
	}
	return cols
}

func groupType(c string) string {
	if c == "dst_port" {
		return "INTEGER"
	}
	return "VARCHAR"
}

// Validate checks rules as config gives them (defaults not yet applied) and
// returns every problem found, each naming the rule by index and name. It
// parses each When with DuckDB (see README.md for what is rejected).
func Validate(rs []Rule) []error {
	_, errs := compile(rs)
	return errs
}

// compiled is a checked rule, defaults applied.
type compiled struct {
	Rule
	index int
	sel   string   // canonical SQL: SELECT *, (<when>) AS __when FROM agg
	refs  []string // columns When uses, in Aggregates/GroupBy/window order
}

// compile validates rs in a throwaway database and returns the compiled
// rules, or the problems.
func compile(rs []Rule) ([]compiled, []error) {
	db, err := openDB()
	if err != nil {
		return nil, []error{fmt.Errorf("rules: %w", err)}
	}
	defer db.Close()
	return compileWith(db, rs)
}
