package cache

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

func TestSQLDays(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		sql, lower, upper string
	}{
		{"SELECT count(*) FROM events", "", ""},
		{"SELECT * FROM events WHERE input_day >= DATE '2026-10-01'", "2026-10-01", ""},
		{"SELECT * FROM events WHERE input_day < '2026-11-01'", "", "2026-10-31"},
		{"SELECT * FROM events WHERE input_day = '2026-09-15'", "2026-09-15", "2026-09-15"},
		{"SELECT * FROM events WHERE '2026-10-05' <= input_day AND input_day <= '2026-10-07'", "2026-10-05", "2026-10-07"},
		{"SELECT * FROM events WHERE input_day BETWEEN '2026-10-01' AND '2026-10-03'", "2026-10-01", "2026-10-03"},
		{"SELECT * FROM events WHERE input_day IN (DATE '2026-09-01', '2026-09-20')", "2026-09-01", "2026-09-20"},
		{"SELECT * FROM events WHERE input_day <= '2026-11-01' AND input_day > '2026-10-30'", "2026-10-31", "2026-11-01"},
		// event_time may sit a day off its input day: widened by a day.
		{"SELECT * FROM events WHERE event_time >= TIMESTAMP '2026-10-01 12:00:00'", "2026-09-30", ""},
		{"SELECT * FROM events e WHERE e.event_time BETWEEN '2026-10-01T00:00:00' AND '2026-10-02 08:00:00'", "2026-09-30", "2026-10-03"},
		// Branches of an OR, and a subquery: the widest bounds.
		{"SELECT * FROM events WHERE input_day = '2026-10-01' OR input_day = '2026-11-20'", "2026-10-01", "2026-11-20"},
		{"SELECT * FROM alerts WHERE event_id IN (SELECT event_id FROM events WHERE input_day > '2026-08-01')", "2026-08-02", ""},
		{"SELECT day, sum(events) FROM events_daily WHERE day >= '2026-10-10' GROUP BY 1", "2026-10-10", ""},
		// Not constants, or not day columns: nothing named.
		{"SELECT * FROM events WHERE input_day >= current_date - 60", "", ""},
		{"SELECT * FROM events WHERE source = '2026-10-01'", "", ""},
		{"SELECT * FROM events WHERE input_day >= 'yesterday'", "", ""},
	} {
		d, err := SQLDays(context.Background(), db, tc.sql)
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		got := func(t0 interface{ IsZero() bool }, s string) string {
			if t0.IsZero() {
				return ""
			}
			return s
		}
		lo, up := got(d.Lower, d.Lower.Format("2006-01-02")), got(d.Upper, d.Upper.Format("2006-01-02"))
		if lo != tc.lower || up != tc.upper {
			t.Errorf("%s:\n got %q..%q, want %q..%q", tc.sql, lo, up, tc.lower, tc.upper)
		}
	}
	if _, err := SQLDays(context.Background(), db, "SELEC nonsense"); err == nil {
		t.Error("bad SQL parsed")
	}
}
