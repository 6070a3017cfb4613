package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The daily run fills the hot cache; query reads it, reads the Iceberg
// tables for days the cache does not hold (and says so), and refuses to
// write.
func TestCacheAndQuery(t *testing.T) {
	_, cfg := project(t, 2, "vpcflow,apache")
	if code, out, errs := cli(t, "--config", cfg, "stage", "run", "ingest", "--from", "2026-11-20", "--to", "2026-11-20"); code != ExitOK {
		t.Fatalf("ingest day 1: %d %s %s", code, out, errs)
	}
	code, out, errs := cli(t, "--config", cfg, "run", "--date", "2026-11-21")
	if code != ExitOK || !strings.Contains(out, "cache ") || !strings.Contains(out, "hot cache generation 1") {
		t.Fatalf("run: %d\n%s\n%s", code, out, errs)
	}
	// Only day 2 went through the cache stage... but the window covers both
	// days: the refresh holds every day with events.
	code, out, errs = cli(t, "--config", cfg, "--json", "cache", "status")
	var st struct {
		Loaded   bool `json:"loaded"`
		Manifest struct {
			Days []struct {
				Day  string           `json:"day"`
				Rows map[string]int64 `json:"rows"`
			} `json:"days"`
		} `json:"manifest"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &st) != nil || !st.Loaded || len(st.Manifest.Days) != 2 {
		t.Fatalf("cache status: %d %s %s", code, out, errs)
	}

	q := "SELECT source, count(*) AS n FROM events WHERE input_day = DATE '2026-11-21' GROUP BY 1 ORDER BY 1"
	code, out, errs = cli(t, "--config", cfg, "--json", "query", "--sql", q)
	var res struct {
		Columns []string         `json:"columns"`
		Rows    []map[string]any `json:"rows"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &res) != nil || len(res.Rows) != 2 || res.Rows[0]["source"] != "apache" || res.Rows[0]["n"].(float64) <= 0 {
		t.Fatalf("query: %d %s %s", code, out, errs)
	}
	cached := res.Rows[0]["n"]
	q20 := "SELECT source, count(*) AS n FROM events WHERE input_day = DATE '2026-11-20' GROUP BY 1 ORDER BY 1"
	code, cached20, errs := cli(t, "--config", cfg, "--json", "query", "--sql", q20)
	if code != ExitOK || errs != "" || !strings.Contains(cached20, `"n"`) {
		t.Fatalf("query of day 1 in the cache: %d %s %s", code, cached20, errs)
	}

	// With the window shrunk to one day, day 1 is read from the tables and
	// gives the same answer the cache gave.
	if code, out, errs := cli(t, "--config", cfg, "cache", "refresh", "--days", "1"); code != ExitOK || !strings.Contains(out, "dropped 1") {
		t.Fatalf("refresh --days 1: %d %s %s", code, out, errs)
	}
	code, out, errs = cli(t, "--config", cfg, "--json", "query", "--from", "2026-11-20", "--to", "2026-11-21", "--sql", q)
	if code != ExitOK || !strings.Contains(errs, "reading 2026-11-20..2026-11-21 from the Iceberg tables directly") || json.Unmarshal([]byte(out), &res) != nil || res.Rows[0]["n"] != cached {
		t.Fatalf("query of an uncached day: %d %s %s", code, out, errs)
	}
	// Without --from/--to, the days the SQL names decide: day 1 is read
	// from the tables, with the same answer the cache gave.
	code, out, errs = cli(t, "--config", cfg, "--json", "query", "--sql", q20)
	if code != ExitOK || !strings.Contains(errs, "the SQL names days from 2026-11-20") || out != cached20 {
		t.Fatalf("query naming an uncached day: %d %s %s (the cache said %s)", code, out, errs, cached20)
	}
	code, _, errs = cli(t, "--config", cfg, "query", "--sql", "SELECT count(*) FROM events WHERE input_day < DATE '2026-11-21'")
	if code != ExitOK || !strings.Contains(errs, "pass --from") {
		t.Fatalf("query naming only older days: %d %s", code, errs)
	}
	code, out, _ = cli(t, "--config", cfg, "query", "--csv", "--sql", "SELECT day, source, events FROM events_daily ORDER BY 1, 2")
	if code != ExitOK || !strings.HasPrefix(out, "day,source,events\n2026-11-21,apache,") {
		t.Fatalf("csv: %d %q", code, out)
	}

	// The run history: two runs (the ingest of day 1, then day 2's run),
	// newest first, and one run's stages.
	code, out, _ = cli(t, "--config", cfg, "--json", "runs", "list")
	var runs []struct {
		RunID  string   `json:"run_id"`
		Days   []string `json:"days"`
		Status string   `json:"status"`
		Stages []struct {
			Stage string `json:"stage"`
		} `json:"stages"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 2 || runs[0].Days[0] != "2026-11-21" || len(runs[0].Stages) != 4 || runs[1].Stages[0].Stage != "ingest" {
		t.Fatalf("runs list: %d %s", code, out)
	}
	code, out, _ = cli(t, "--config", cfg, "runs", "show", runs[0].RunID)
	if code != ExitOK || !strings.Contains(out, "SUCCEEDED") || !strings.Contains(out, "  detect ") || !strings.Contains(out, "  cache ") {
		t.Fatalf("runs show: %d %s", code, out)
	}
	if code, _, _ := cli(t, "--config", cfg, "runs", "show", "r-nope"); code != ExitUsage {
		t.Errorf("runs show of an unknown run: exit %d", code)
	}

	// Compacting merges the small files; the answer stays the same.
	if code, out, errs := cli(t, "--config", cfg, "tables", "compact", "events"); code != ExitOK || !strings.Contains(out, "events") || !strings.Contains(out, "rewrote") {
		t.Fatalf("tables compact: %d %s %s", code, out, errs)
	}
	if code, _, errs := cli(t, "--config", cfg, "tables", "compact", "nope"); code == ExitOK || !strings.Contains(errs, "unknown table") {
		t.Errorf("compact of an unknown table: %d %s", code, errs)
	}

	// Expiring keeps the newest snapshot of each table and the data.
	code, out, errs = cli(t, "--config", cfg, "--json", "tables", "expire", "--older-than", "0s", "--retain-last", "1")
	var exp []struct {
		Table  string `json:"table"`
		Before int    `json:"snapshots_before"`
		After  int    `json:"snapshots_after"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &exp) != nil || len(exp) == 0 {
		t.Fatalf("tables expire: %d %s %s", code, out, errs)
	}
	for _, e := range exp {
		if e.Before > 1 && e.After != 1 {
			t.Errorf("%s: %d snapshots -> %d, want 1", e.Table, e.Before, e.After)
		}
	}
	code, out, _ = cli(t, "--config", cfg, "--json", "query", "--from", "2026-11-20", "--to", "2026-11-21", "--sql", q)
	if code != ExitOK || json.Unmarshal([]byte(out), &res) != nil || res.Rows[0]["n"] != cached {
		t.Fatalf("rows after expire: %d %s", code, out)
	}

	for _, bad := range [][]string{
		{"query", "--sql", "DROP TABLE events"},
		{"query", "--sql", "SELECT nope FROM events"},
		{"query"},
		{"query", "--from", "2026-13-01", "--sql", "SELECT 1"},
		{"cache", "refresh", "--days", "-3"},
	} {
		if code, out, errs := cli(t, append([]string{"--config", cfg}, bad...)...); code != ExitUsage || errs == "" {
			t.Errorf("%v: exit %d, want %d\n%s%s", bad, code, ExitUsage, out, errs)
		}
	}
}
