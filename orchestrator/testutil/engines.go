package testutil

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/schemas"
)

// repoRoot is the module's root folder, found from this file's path so that
// tests in any package reach the scripts and the project-local tools.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Script is the path of one of the repository's scripts.
func Script(name string) string { return filepath.Join(repoRoot(), "scripts", name) }

// needed skips a test whose independent reader is not installed, or fails
// it in CI, where it must never be skipped.
func needed(t testing.TB, what, path, make string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing at %s: `make test` installs it with `make %s`", what, path, make)
	}
	t.Skipf("no %s at %s: run `make %s` (make test does)", what, path, make)
}

// Python is the project venv's interpreter (made by `make venv`), where
// pyiceberg and pyspark live; $SPOTLAKE_PYTHON overrides it.
func Python(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("SPOTLAKE_PYTHON"); p != "" {
		return p
	}
	p := filepath.Join(repoRoot(), ".venv", "bin", "python")
	if _, err := os.Stat(p); err != nil {
		needed(t, "Python venv", p, "venv")
	}
	return p
}

// SparkJars is the folder of the Iceberg jars Spark loads (`make
// spark-jars`); $SPOTLAKE_SPARK_JARS overrides it.
func SparkJars(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SPOTLAKE_SPARK_JARS")
	if dir == "" {
		dir = filepath.Join(repoRoot(), ".cache", "jars")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "iceberg-spark-runtime-*.jar")); len(m) == 0 {
		needed(t, "Iceberg Spark runtime", dir, "spark-jars")
	}
	return dir
}

// EventRow is one event as an independent reader returns it.
type EventRow struct {
	EventID   string            `json:"event_id"`
	EventTime string            `json:"event_time"`
	Source    string            `json:"source"`
	SrcIP     *string           `json:"src_ip"`
	DstPort   *int32            `json:"dst_port"`
	UserName  *string           `json:"user_name"`
	Raw       string            `json:"raw"`
	Attrs     map[string]string `json:"attrs"`
	InputDay  string            `json:"input_day"`
}

// SparkResult is what scripts/spark_read.py prints.
type SparkResult struct {
	Tables   map[string]int64    `json:"tables"`
	Columns  []string            `json:"columns"`
	BySource map[string]int64    `json:"by_source"`
	Sample   map[string]EventRow `json:"sample"`
}

// SparkRead runs scripts/spark_read.py: Spark with Iceberg's Java catalog
// (args after the common ones: "sql --uri DB --warehouse URL" or "glue
// --warehouse s3://… --endpoint URL"), asking for the events in ids.
func SparkRead(t testing.TB, catalogName, namespace string, ids []string, args ...string) SparkResult {
	t.Helper()
	cmdArgs := []string{Script("spark_read.py"), "--jars", SparkJars(t), "--catalog", catalogName, "--namespace", namespace}
	for _, id := range ids {
		cmdArgs = append(cmdArgs, "--event", id)
	}
	cmd := exec.Command(Python(t), append(cmdArgs, args...)...)
	// Spark binds its driver to this address; the machine's name may not
	// resolve to one that answers.
	cmd.Env = append(os.Environ(), "SPARK_LOCAL_IP=127.0.0.1")
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("spark: %v\n%s", err, stderr)
	}
	t.Logf("spark read the tables in %s", time.Since(start).Round(time.Millisecond))
	var res SparkResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("spark output: %v: %s", err, out)
	}
	return res
}

// TableCounts is every spotlake table's row count, read through spotlake's
// catalog.
func TableCounts(t testing.TB, pl *orchestrator.Pipeline) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, name := range schemas.Names() {
		out[name] = 0
		EachBatch(t, LoadTable(t, pl, name), nil, func(rec arrow.RecordBatch, _ map[string]int) { out[name] += rec.NumRows() })
	}
	return out
}

// SampleEvents is one event per source, as spotlake reads it, keyed by id.
func SampleEvents(t testing.TB, pl *orchestrator.Pipeline) map[string]EventRow {
	t.Helper()
	want := map[string]EventRow{}
	seen := map[string]bool{}
	cols := []string{"event_id", "event_time", "source", "src_ip", "dst_port", "user_name", "raw", "attrs", "input_day"}
	EachBatch(t, LoadTable(t, pl, schemas.Events), cols, func(rec arrow.RecordBatch, idx map[string]int) {
		for i := 0; i < int(rec.NumRows()); i++ {
			src := rec.Column(idx["source"]).(*array.String).Value(i)
			if seen[src] {
				continue
			}
			seen[src] = true
			r := EventRow{
				EventID:   rec.Column(idx["event_id"]).(*array.String).Value(i),
				EventTime: rec.Column(idx["event_time"]).(*array.Timestamp).Value(i).ToTime(arrow.Microsecond).UTC().Format(time.RFC3339Nano),
				Source:    src,
				Raw:       rec.Column(idx["raw"]).(*array.String).Value(i),
				InputDay:  rec.Column(idx["input_day"]).(*array.Date32).Value(i).FormattedString(),
			}
			if c := rec.Column(idx["src_ip"]).(*array.String); c.IsValid(i) {
				v := c.Value(i)
				r.SrcIP = &v
			}
			if c := rec.Column(idx["dst_port"]).(*array.Int32); c.IsValid(i) {
				v := c.Value(i)
				r.DstPort = &v
			}
			if c := rec.Column(idx["user_name"]).(*array.String); c.IsValid(i) {
				v := c.Value(i)
				r.UserName = &v
			}
			if m := rec.Column(idx["attrs"]).(*array.Map); m.IsValid(i) {
				r.Attrs = map[string]string{}
				start, end := m.ValueOffsets(i)
				keys, items := m.Keys().(*array.String), m.Items().(*array.String)
				for j := start; j < end; j++ {
					r.Attrs[keys.Value(int(j))] = items.Value(int(j))
				}
			}
			want[r.EventID] = r
		}
	})
	return want
}

// CompareEvents reports every event of want that engine returned
// differently, or not at all.
func CompareEvents(t testing.TB, engine string, got, want map[string]EventRow) {
	t.Helper()
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("%s did not find event %s (%s)", engine, id, w.Source)
			continue
		}
		gt, err1 := time.Parse(time.RFC3339Nano, g.EventTime)
		wt, err2 := time.Parse(time.RFC3339Nano, w.EventTime)
		if err1 != nil || err2 != nil || !gt.Equal(wt) || g.Source != w.Source || g.Raw != w.Raw ||
			str(g.SrcIP) != str(w.SrcIP) || str(g.UserName) != str(w.UserName) || num(g.DstPort) != num(w.DstPort) ||
			len(g.Attrs) != len(w.Attrs) || g.InputDay != w.InputDay {
			t.Errorf("event %s differs:\n %-9s %+v\n spotlake  %+v", id, engine, g, w)
		}
		for k, v := range w.Attrs {
			if g.Attrs[k] != v {
				t.Errorf("event %s attr %s: %s %q, spotlake %q", id, k, engine, g.Attrs[k], v)
			}
		}
	}
}

func str(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

func num(v *int32) int32 {
	if v == nil {
		return -1
	}
	return *v
}

// SparkSubmit is the venv's spark-submit (pyspark, from `make venv`).
func SparkSubmit(t testing.TB) string {
	t.Helper()
	p := filepath.Join(repoRoot(), ".venv", "bin", "spark-submit")
	if _, err := os.Stat(p); err != nil {
		needed(t, "spark-submit", p, "venv")
	}
	return p
}

// Rows reads columns of a table as sorted "a|b|c" strings, each value
// as Arrow prints it.
func Rows(t testing.TB, tbl *table.Table, cols ...string) []string {
	t.Helper()
	if tbl.CurrentSnapshot() == nil {
		return nil
	}
	var out []string
	EachBatch(t, tbl, cols, func(rec arrow.RecordBatch, idx map[string]int) {
		for i := 0; i < int(rec.NumRows()); i++ {
			var parts []string
			for _, c := range cols {
				parts = append(parts, rec.Column(idx[c]).(interface{ ValueStr(int) string }).ValueStr(i))
			}
			out = append(out, strings.Join(parts, "|"))
		}
	})
	slices.Sort(out)
	return out
}

// EachBatch scans cols of tbl (all when nil) and calls fn with each record
// batch and its columns' indexes by name; the batch is released after.
func EachBatch(t testing.TB, tbl *table.Table, cols []string, fn func(rec arrow.RecordBatch, idx map[string]int)) {
	t.Helper()
	if tbl.CurrentSnapshot() == nil {
		return
	}
	var opts []table.ScanOption
	if cols != nil {
		opts = append(opts, table.WithSelectedFields(cols...))
	}
	_, recs, err := tbl.Scan(opts...).ToArrowRecords(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for rec, err := range recs {
		if err != nil {
			t.Fatal(err)
		}
		idx := map[string]int{}
		for i, f := range rec.Schema().Fields() {
			idx[f.Name] = i
		}
		fn(rec, idx)
		rec.Release()
	}
}
