package orchestrator_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/schemas"
)

// python finds the project venv's interpreter (made by `make venv`). In CI
// a missing venv fails the test: it must never be skipped there.
func python(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SPOTLAKE_PYTHON"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", ".venv", "bin", "python")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: `make test` builds it with `make venv`", p)
		}
		t.Skipf("no pyiceberg venv at %s: run `make venv` (make test does)", p)
	}
	return p
}

type pyRow struct {
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

// TestPyicebergReadsOurTables: pyiceberg, through the same SQLite catalog,
// sees the rows spotlake reports, with the same values.
func TestPyicebergReadsOurTables(t *testing.T) {
	py := python(t)
	p := testutil.NewProject(t)
	p.Generate(t, 1, testutil.Day, 0.1)
	pl := p.Open(t)
	rep := testutil.Run(t, pl, orchestrator.RunOptions{})[0]
	if !rep.OK() {
		t.Fatalf("run failed: %+v", rep)
	}
	rows := ingestReport(t, rep).Rows

	// A sample of rows as spotlake reads them: one per source.
	ev := testutil.LoadTable(t, pl, schemas.Events)
	_, recs, err := ev.Scan(table.WithSelectedFields("event_id", "event_time", "source", "src_ip", "dst_port", "user_name", "raw", "attrs")).ToArrowRecords(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]pyRow{}
	seen := map[string]bool{}
	for rec, err := range recs {
		if err != nil {
			t.Fatal(err)
		}
		idx := map[string]int{}
		for i, f := range rec.Schema().Fields() {
			idx[f.Name] = i
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			src := rec.Column(idx["source"]).(*array.String).Value(i)
			if seen[src] {
				continue
			}
			seen[src] = true
			r := pyRow{
				EventID:   rec.Column(idx["event_id"]).(*array.String).Value(i),
				EventTime: rec.Column(idx["event_time"]).(*array.Timestamp).Value(i).ToTime(arrow.Microsecond).UTC().Format(time.RFC3339Nano),
				Source:    src,
				Raw:       rec.Column(idx["raw"]).(*array.String).Value(i),
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
		rec.Release()
	}
	if len(want) != 10 {
		t.Fatalf("sampled %d sources, want 10", len(want))
	}
	args := []string{filepath.Join("..", "scripts", "pyiceberg_read.py"), p.Config.Catalog.URI, "file://" + p.Config.Warehouse, p.Config.Pipeline, schemas.Events}
	for id := range want {
		args = append(args, id)
	}
	out, err := exec.Command(py, args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("pyiceberg: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got struct {
		Rows    int64            `json:"rows"`
		Columns []string         `json:"columns"`
		Sample  map[string]pyRow `json:"sample"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Rows != rows {
		t.Errorf("pyiceberg counts %d rows, spotlake reported %d", got.Rows, rows)
	}
	for _, col := range []string{"event_id", "src_ip", "attrs", "raw", "ingest_run_id"} {
		if !strings.Contains(strings.Join(got.Columns, ","), col) {
			t.Errorf("pyiceberg does not see column %s", col)
		}
	}
	for id, w := range want {
		g, ok := got.Sample[id]
		if !ok {
			t.Errorf("pyiceberg did not find event %s (%s)", id, w.Source)
			continue
		}
		gt, _ := time.Parse(time.RFC3339Nano, g.EventTime)
		wt, _ := time.Parse(time.RFC3339Nano, w.EventTime)
		if !gt.Equal(wt) || g.Source != w.Source || g.Raw != w.Raw || ptr(g.SrcIP) != ptr(w.SrcIP) ||
			ptr(g.UserName) != ptr(w.UserName) || ptr32(g.DstPort) != ptr32(w.DstPort) || len(g.Attrs) != len(w.Attrs) || g.InputDay != "2026-11-21" {
			t.Errorf("event %s differs:\n pyiceberg %+v\n spotlake  %+v", id, g, w)
		}
		for k, v := range w.Attrs {
			if g.Attrs[k] != v {
				t.Errorf("event %s attr %s: pyiceberg %q, spotlake %q", id, k, g.Attrs[k], v)
			}
		}
	}
}

func ptr(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

func ptr32(v *int32) int32 {
	if v == nil {
		return -1
	}
	return *v
}
