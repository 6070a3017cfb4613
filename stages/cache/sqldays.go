package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Days are the input days a query's SQL names: the bounds of its
// comparisons of a day or time column (input_day, day, event_time) with a
// constant. Lower and Upper are zero when the SQL sets no such bound.
type Days struct {
	Lower, Upper time.Time
}

// dayColumns are the columns whose constants name input days. event_time
// may be a day off its input day (late or early events): its bounds are
// widened by a day.
var dayColumns = map[string]time.Duration{"input_day": 0, "day": 0, "event_time": 24 * time.Hour}

// SQLDays parses q with DuckDB's own parser (json_serialize_sql) on db and
// returns the days its comparisons name, so that a query on days the hot
// cache does not hold can be sent to the Iceberg tables. It sees only
// literal constants: `input_day >= current_date - 60` names no day.
func SQLDays(ctx context.Context, db *sql.DB, q string) (Days, error) {
	var js string
	if err := db.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", q).Scan(&js); err != nil {
		return Days{}, fmt.Errorf("parse the query: %w", err)
	}
	var tree any
	if err := json.Unmarshal([]byte(js), &tree); err != nil {
		return Days{}, fmt.Errorf("parse the query: %w", err)
	}
	if m, ok := tree.(map[string]any); ok && m["error"] == true {
		return Days{}, fmt.Errorf("parse the query: %v", m["error_message"])
	}
	var d Days
	walk(tree, &d)
	return d, nil
}

func (d *Days) lower(t time.Time) {
	if d.Lower.IsZero() || t.Before(d.Lower) {
		d.Lower = t
	}
}

func (d *Days) upper(t time.Time) {
	if t.After(d.Upper) {
		d.Upper = t
	}
}

// walk visits every node of the parse tree and records the bounds of the
// comparisons it understands. Bounds from different branches (OR) are
// merged to the widest, which is what the query may need.
func walk(n any, d *Days) {
	switch v := n.(type) {
	case []any:
		for _, c := range v {
			walk(c, d)
		}
	case map[string]any:
		switch v["class"] {
		case "COMPARISON":
			compare(v, d)
		case "BETWEEN":
			if slack, ok := dayColumn(v["input"]); ok {
				if t, ok := constant(v["lower"]); ok {
					d.lower(day(t).Add(-slack))
				}
				if t, ok := constant(v["upper"]); ok {
					d.upper(day(t).Add(slack))
				}
			}
		case "OPERATOR":
			if v["type"] == "COMPARE_IN" {
				if kids, _ := v["children"].([]any); len(kids) > 1 {
					if slack, ok := dayColumn(kids[0]); ok {
						for _, k := range kids[1:] {
							if t, ok := constant(k); ok {
								d.lower(day(t).Add(-slack))
								d.upper(day(t).Add(slack))
							}
						}
					}
				}
			}
		}
		for _, c := range v {
			walk(c, d)
		}
	}
}

// flipped is the operator seen from the other side: `c < col` is `col > c`.
var flipped = map[string]string{
	"COMPARE_LESSTHAN": "COMPARE_GREATERTHAN", "COMPARE_LESSTHANOREQUALTO": "COMPARE_GREATERTHANOREQUALTO",
	"COMPARE_GREATERTHAN": "COMPARE_LESSTHAN", "COMPARE_GREATERTHANOREQUALTO": "COMPARE_LESSTHANOREQUALTO",
}

// compare records `column OP constant` (or `constant OP column`).
func compare(v map[string]any, d *Days) {
	op, _ := v["type"].(string)
	slack, colLeft := dayColumn(v["left"])
	t, constRight := constant(v["right"])
	if !colLeft || !constRight {
		var colRight, constLeft bool
		slack, colRight = dayColumn(v["right"])
		t, constLeft = constant(v["left"])
		if !colRight || !constLeft {
			return
		}
		if f, ok := flipped[op]; ok {
			op = f
		}
	}
	// On a day column a strict bound excludes its own day.
	strict := time.Duration(0)
	if slack == 0 && t.Equal(day(t)) {
		strict = 24 * time.Hour
	}
	switch op {
	case "COMPARE_GREATERTHAN":
		d.lower(day(t).Add(-slack + strict))
	case "COMPARE_GREATERTHANOREQUALTO":
		d.lower(day(t).Add(-slack))
	case "COMPARE_LESSTHAN":
		d.upper(day(t).Add(slack - strict))
	case "COMPARE_LESSTHANOREQUALTO":
		d.upper(day(t).Add(slack))
	case "COMPARE_EQUAL", "COMPARE_NOT_DISTINCT_FROM":
		d.lower(day(t).Add(-slack))
		d.upper(day(t).Add(slack))
	}
}

// dayColumn reports whether n is a reference to a day or time column, and
// its slack.
func dayColumn(n any) (time.Duration, bool) {
	m, ok := n.(map[string]any)
	if !ok || m["class"] != "COLUMN_REF" {
		return 0, false
	}
	names, _ := m["column_names"].([]any)
	if len(names) == 0 {
		return 0, false
	}
	name, _ := names[len(names)-1].(string)
	slack, ok := dayColumns[strings.ToLower(name)]
	return slack, ok
}

// constant reads a date or timestamp literal: a string constant, possibly
// cast (DATE '…', TIMESTAMP '…', '…'::DATE).
func constant(n any) (time.Time, bool) {
	m, ok := n.(map[string]any)
	if !ok {
		return time.Time{}, false
	}
	if m["class"] == "CAST" {
		return constant(m["child"])
	}
	if m["class"] != "CONSTANT" {
		return time.Time{}, false
	}
	val, _ := m["value"].(map[string]any)
	s, ok := val["value"].(string)
	if !ok {
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, time.DateTime, "2006-01-02T15:04:05", time.RFC3339Nano, "2006-01-02 15:04:05.999999", "2006-01-02 15:04:05-07", "2006-01-02 15:04:05.999999-07"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func day(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
