package orchestrator_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/schemas"
)

// TestEnginesReadOurTables: engines independent of spotlake, through the
// same SQLite catalog, see the rows spotlake reports, with the same values:
// pyiceberg, and Spark with Iceberg's Java JdbcCatalog (what EMR, Athena
// and Trino build on).
func TestEnginesReadOurTables(t *testing.T) {
	py := testutil.Python(t)
	p := testutil.NewProject(t)
	p.Generate(t, 1, testutil.Day, 0.1)
	pl := p.Open(t)
	rep := testutil.Run(t, pl, orchestrator.RunOptions{})[0]
	if !rep.OK() {
		t.Fatalf("run failed: %+v", rep)
	}
	rows := ingestReport(t, rep).Rows
	want := testutil.SampleEvents(t, pl)
	if len(want) != 10 {
		t.Fatalf("sampled %d sources, want 10", len(want))
	}
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	counts := testutil.TableCounts(t, pl)
	if counts[schemas.Events] != rows || counts[schemas.Suspicious] == 0 || counts[schemas.Runs] == 0 {
		t.Fatalf("spotlake's own counts: %v (ingest reported %d events)", counts, rows)
	}

	t.Run("pyiceberg", func(t *testing.T) {
		args := append([]string{testutil.Script("pyiceberg_read.py"), p.Config.Catalog.URI, "file://" + p.Config.Warehouse, p.Config.Pipeline, schemas.Events}, ids...)
		out, err := exec.Command(py, args...).Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				t.Fatalf("pyiceberg: %v\n%s", err, ee.Stderr)
			}
			t.Fatal(err)
		}
		var got struct {
			Rows    int64                        `json:"rows"`
			Columns []string                     `json:"columns"`
			Sample  map[string]testutil.EventRow `json:"sample"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if got.Rows != rows {
			t.Errorf("pyiceberg counts %d rows, spotlake reported %d", got.Rows, rows)
		}
		hasColumns(t, "pyiceberg", got.Columns)
		testutil.CompareEvents(t, "pyiceberg", got.Sample, want)
	})

	t.Run("spark", func(t *testing.T) {
		got := testutil.SparkRead(t, p.Config.Catalog.Name, p.Config.Pipeline, ids,
			"sql", "--uri", p.Config.Catalog.URI, "--warehouse", "file://"+filepath.ToSlash(p.Config.Warehouse))
		sameCounts(t, "spark", got.Tables, counts)
		var bySource int64
		for _, n := range got.BySource {
			bySource += n
		}
		if len(got.BySource) != 10 || bySource != rows {
			t.Errorf("spark's events per source %v (sum %d), spotlake reported %d in 10 sources", got.BySource, bySource, rows)
		}
		hasColumns(t, "spark", got.Columns)
		testutil.CompareEvents(t, "spark", got.Sample, want)
	})
}

func hasColumns(t *testing.T, engine string, cols []string) {
	t.Helper()
	for _, col := range []string{"event_id", "src_ip", "attrs", "raw", "ingest_run_id"} {
		if !strings.Contains(","+strings.Join(cols, ",")+",", ","+col+",") {
			t.Errorf("%s does not see column %s in %v", engine, col, cols)
		}
	}
}

// sameCounts: the engine lists every table spotlake has, with its rows.
func sameCounts(t *testing.T, engine string, got, want map[string]int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("table row counts:\n %-8s %v\n spotlake %v", engine, got, want)
	}
}

// TestSparkDDLMatchesSchemas: the Spark SQL `spotlake tables ddl` prints,
// run by Spark against an empty catalog, creates every table just as
// spotlake defines it (read back through spotlake's catalog): the same
// columns, types, required flags, comments, partition fields and write
// properties.
func TestSparkDDLMatchesSchemas(t *testing.T) {
	p := testutil.NewProject(t)
	ddl, err := schemas.SparkDDLAll(p.Config.Catalog.Name, p.Config.Pipeline)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ddl.sql")
	if err := os.WriteFile(file, []byte(ddl), 0o644); err != nil {
		t.Fatal(err)
	}
	got := testutil.SparkRead(t, p.Config.Catalog.Name, p.Config.Pipeline, nil,
		"--execute", file, "sql", "--uri", p.Config.Catalog.URI, "--warehouse", "file://"+filepath.ToSlash(p.Config.Warehouse))
	if len(got.Tables) != len(schemas.Names()) {
		t.Fatalf("spark created %v, want %v", got.Tables, schemas.Names())
	}
	pl := p.Open(t)
	for _, name := range schemas.Names() {
		want := schemas.MustGet(name)
		tbl := testutil.LoadTable(t, pl, name)
		gotFields, wantFields := tbl.Schema().Fields(), want.Schema.Fields()
		if len(gotFields) != len(wantFields) {
			t.Errorf("%s: %d columns, want %d", name, len(gotFields), len(wantFields))
			continue
		}
		for i, w := range wantFields {
			g := gotFields[i]
			if g.Name != w.Name || g.Type.String() != w.Type.String() || g.Required != w.Required || g.Doc != w.Doc {
				t.Errorf("%s column %d:\n spark    %s %s required=%v %q\n spotlake %s %s required=%v %q", name, i, g.Name, g.Type, g.Required, g.Doc, w.Name, w.Type, w.Required, w.Doc)
			}
		}
		var gotParts []string
		spec := tbl.Spec()
		for _, f := range spec.Fields() {
			src, _ := tbl.Schema().FindColumnName(f.SourceID())
			gotParts = append(gotParts, src+":"+f.Transform.String()+":"+f.Name)
		}
		var wantParts []string
		for _, f := range want.Partition {
			wantParts = append(wantParts, f.Source+":"+f.Transform+":"+f.Name)
		}
		if strings.Join(gotParts, ",") != strings.Join(wantParts, ",") {
			t.Errorf("%s partition: spark %v, spotlake %v", name, gotParts, wantParts)
		}
		for k, v := range want.Properties {
			if k != "format-version" && tbl.Properties()[k] != v {
				t.Errorf("%s property %s: spark %q, spotlake %q", name, k, tbl.Properties()[k], v)
			}
		}
		if tbl.Metadata().Version() != 2 {
			t.Errorf("%s: format version %d", name, tbl.Metadata().Version())
		}
	}
}
