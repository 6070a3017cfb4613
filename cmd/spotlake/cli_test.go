package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spotlake/spotlake/orchestrator/config"
)

// project runs `spotlake init` and `demo generate` into a temp folder and
// returns the config path.
func project(t *testing.T, days int, sources string) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	if code, out, errs := cli(t, "init", "--dir", dir); code != ExitOK {
		t.Fatalf("init: %d %s %s", code, out, errs)
	}
	cfg = filepath.Join(dir, "spotlake.yaml")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "drain_window: 2s", "drain_window: 50ms", 1)), 0o644)
	args := []string{"demo", "generate", "--out", filepath.Join(dir, "raw"), "--days", itoa(days), "--date", "2026-11-21", "--seed", "3", "--scale", "0.05"}
	if sources != "" {
		args = append(args, "--sources", sources)
	}
	if code, out, errs := cli(t, args...); code != ExitOK {
		t.Fatalf("generate: %d %s %s", code, out, errs)
	}
	return dir, cfg
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+i))) }

func TestInitWritesTheEmbeddedDefault(t *testing.T) {
	dir, cfgPath := project(t, 1, "")
	c, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if c.Warehouse != filepath.Join(dir, "warehouse") || c.Catalog.URI != filepath.Join(dir, "catalog.db") ||
		c.Raw != filepath.Join(dir, "raw") || c.Cache != filepath.Join(dir, "cache") || c.Catalog.Type != "sql" {
		t.Errorf("init config: %+v", c)
	}
	var names []string
	for _, s := range c.Sources {
		names = append(names, s.Name)
		entries, err := os.ReadDir(filepath.Join(dir, "raw", s.Name, "dt=2026-11-21"))
		if err != nil || len(entries) == 0 {
			t.Errorf("demo generate wrote nothing for source %s: %v", s.Name, err)
		}
	}
	want := []string{"vpcflow", "apache", "syslog", "hdfs_audit", "navigator", "cowrie", "nfdump", "dns", "squid", "jsonl"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("sources %v, want %v", names, want)
	}
	if code, _, _ := cli(t, "init", "--dir", dir); code != ExitUsage {
		t.Errorf("init over an existing config: exit %d, want %d", code, ExitUsage)
	}
}

type runJSON struct {
	RunID  string `json:"run_id"`
	Date   string `json:"date"`
	Status string `json:"status"`
	Stages []struct {
		Name    string   `json:"name"`
		Status  string   `json:"status"`
		Lines   *int64   `json:"lines"`
		Rows    *int64   `json:"rows"`
		Rejects *int64   `json:"rejects"`
		Seconds *float64 `json:"seconds"`
	} `json:"stages"`
}

func parseRuns(t *testing.T, out string) []runJSON {
	t.Helper()
	var runs []runJSON
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r runJSON
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not one JSON object per line: %v\n%s", err, out)
		}
		runs = append(runs, r)
	}
	return runs
}

// TestRunJSONContract: run --json prints one object with the fields scripts
// rely on; stage run backfills print one per day; exit codes follow.
func TestRunJSONContract(t *testing.T) {
	dir, cfg := project(t, 2, "vpcflow,syslog,navigator")
	os.WriteFile(filepath.Join(dir, "raw", "syslog", "dt=2026-11-21", "extra.log"), []byte("no timestamp here\nNov 21 10:00:00 host app: fine\n"), 0o644)
	code, out, errs := cli(t, "--config", cfg, "run", "--date", "2026-11-21", "--json")
	if code != ExitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	runs := parseRuns(t, out)
	if len(runs) != 1 {
		t.Fatalf("want one JSON object, got %d", len(runs))
	}
	r := runs[0]
	if r.RunID == "" || r.Date != "2026-11-21" || r.Status != "succeeded" || len(r.Stages) == 0 {
		t.Fatalf("run json: %+v", r)
	}
	s := r.Stages[0]
	if s.Name != "ingest" || s.Status != "succeeded" || s.Lines == nil || s.Rows == nil || s.Rejects == nil || s.Seconds == nil {
		t.Fatalf("stage json lacks fields: %s", out)
	}
	if *s.Lines != *s.Rows+*s.Rejects || *s.Rows == 0 || *s.Rejects == 0 {
		t.Errorf("lines %d rows %d rejects %d", *s.Lines, *s.Rows, *s.Rejects)
	}

	code, out, _ = cli(t, "--config", cfg, "stage", "run", "ingest", "--from", "2026-11-20", "--to", "2026-11-21", "--json")
	runs = parseRuns(t, out)
	if code != ExitOK || len(runs) != 2 || runs[0].Date != "2026-11-20" || runs[1].Date != "2026-11-21" {
		t.Fatalf("backfill: exit %d, %+v", code, runs)
	}
	if *runs[1].Stages[0].Rows != 0 {
		t.Errorf("the complete day committed rows again: %+v", runs[1])
	}

	// Usage errors exit 2 and say what to do.
	for _, args := range [][]string{
		{"--config", cfg, "run", "--date", "21/11/2026"},
		{"--config", cfg, "stage", "run", "ingest", "--from", "2026-11-21"},
		{"--config", cfg, "stage", "run", "nosuch", "--date", "2026-11-21"},
		{"--config", filepath.Join(t.TempDir(), "missing.yaml"), "run"},
	} {
		code, _, errs := cli(t, args...)
		if code == ExitOK || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

func TestTablesDescribeJSONContract(t *testing.T) {
	_, cfg := project(t, 1, "cowrie")
	if code, out, errs := cli(t, "--config", cfg, "run", "--date", "2026-11-21"); code != ExitOK {
		t.Fatalf("run: %d %s %s", code, out, errs)
	}
	code, out, errs := cli(t, "--config", cfg, "tables", "describe", "events", "--json")
	if code != ExitOK {
		t.Fatalf("describe: %d %s", code, errs)
	}
	var d map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "rows", "snapshots", "files", "bytes", "partitions"} {
		if _, ok := d[k]; !ok {
			t.Errorf("describe --json lacks %q: %s", k, out)
		}
	}
	var rows int64
	json.Unmarshal(d["rows"], &rows)
	if rows == 0 {
		t.Errorf("rows = 0")
	}
	code, out, _ = cli(t, "--config", cfg, "tables", "list")
	if code != ExitOK || !strings.Contains(out, "events_rejected") || !strings.Contains(out, "ingest_files") {
		t.Errorf("tables list: %d\n%s", code, out)
	}
	if code, _, _ := cli(t, "--config", cfg, "tables", "describe", "nosuch"); code != ExitUsage {
		t.Errorf("describe of an unknown table: exit %d", code)
	}
}

// TestPlanWritesNothing: plan lists inputs and compute and creates nothing.
func TestPlanWritesNothing(t *testing.T) {
	dir, cfg := project(t, 1, "apache,dns")
	before := tree(t, dir)
	code, out, errs := cli(t, "--config", cfg, "plan", "--date", "2026-11-21", "--json")
	if code != ExitOK {
		t.Fatalf("plan: %d %s", code, errs)
	}
	var pl struct {
		Sources []struct {
			Source  string `json:"source"`
			Objects int    `json:"objects"`
			Bytes   int64  `json:"bytes"`
		} `json:"sources"`
		Clusters []struct {
			Role string `json:"role"`
		} `json:"clusters"`
		Writes []string `json:"writes"`
	}
	json.Unmarshal([]byte(out), &pl)
	got := map[string]int{}
	for _, s := range pl.Sources {
		got[s.Source] = s.Objects
	}
	if got["apache"] == 0 || got["dns"] == 0 || got["vpcflow"] != 0 || len(pl.Clusters) == 0 || len(pl.Writes) == 0 {
		t.Errorf("plan: %s", out)
	}
	after := tree(t, dir)
	// Opening the SQLite catalog creates its file; nothing else may change.
	var added []string
	for p := range after {
		if !before[p] && !strings.HasPrefix(filepath.Base(p), "catalog.db") {
			added = append(added, p)
		}
	}
	sort.Strings(added)
	if len(added) > 0 {
		t.Errorf("plan wrote %v", added)
	}
}

func tree(t *testing.T, dir string) map[string]bool {
	m := map[string]bool{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			m[p] = true
		}
		return nil
	})
	return m
}

func TestExitCodes(t *testing.T) {
	_, cfg := project(t, 1, "squid")
	dir := filepath.Dir(cfg)
	os.WriteFile(filepath.Join(dir, "raw", "squid", "dt=2026-11-21", "broken.log"), []byte("\x00\x00binary"), 0o644)
	code, out, _ := cli(t, "--config", cfg, "run", "--date", "2026-11-21", "--json")
	if code != ExitStageFailed {
		t.Errorf("run with an unreadable object: exit %d, want %d\n%s", code, ExitStageFailed, out)
	}
	if r := parseRuns(t, out); len(r) != 1 || r[0].Status != "failed" {
		t.Errorf("report: %s", out)
	}
	if code, _, errs := cli(t, "--config", cfg, "config", "validate"); code != ExitOK {
		t.Errorf("validate: %d %s", code, errs)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: spotlake/v1\nsources:\n  - name: x\n    format: nope\ningest:\n  workers: -3\n"), 0o644)
	code, _, errs := cli(t, "--config", bad, "config", "validate")
	if code != ExitUsage || !strings.Contains(errs, "sources[0].format") || !strings.Contains(errs, "ingest.workers") {
		t.Errorf("validate bad config: exit %d\n%s", code, errs)
	}
}

func TestCrontabLine(t *testing.T) {
	_, cfg := project(t, 1, "squid")
	code, out, _ := cli(t, "--config", cfg, "schedule", "crontab")
	if code != ExitOK || !strings.Contains(out, "30 2 * * *") || !strings.Contains(out, "daily.sh") || !strings.Contains(out, cfg) {
		t.Errorf("crontab: %d\n%s", code, out)
	}
}
