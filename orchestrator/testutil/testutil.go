// Package testutil builds throwaway embedded-default projects for tests: a
// config in a temp folder, generated logs, and readers of the resulting
// tables through the real catalog.
package testutil

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/providers/aws/awstest"
	"github.com/spotlake/spotlake/providers/catalog"
	"github.com/spotlake/spotlake/stages/ingest/gen"
)

// Day is the input day tests use.
var Day = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// Project is a temporary pipeline.
type Project struct {
	Dir    string
	Config *config.Config
}

// NewProject writes a config (the one `init` writes, with a short drain
// window) into a temp folder. extra is appended to the YAML's ingest section.
func NewProject(t testing.TB) *Project {
	t.Helper()
	dir := t.TempDir()
	y := string(config.InitYAML("test"))
	y = strings.Replace(y, "drain_window: 2s", "drain_window: 50ms", 1)
	y = strings.Replace(y, "poll_interval: 500ms", "poll_interval: 20ms", 1)
	path := filepath.Join(dir, "spotlake.yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return &Project{Dir: dir, Config: cfg}
}

// Generate writes days of logs ending at end into the project's raw folder.
func (p *Project) Generate(t testing.TB, days int, end time.Time, scale float64, sources ...string) gen.Summary {
	t.Helper()
	sum, err := gen.Generate(gen.Options{Out: p.Config.Raw, Days: days, End: end, Seed: 7, Scale: scale, Sources: sources, Anomalies: true})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// Open opens the pipeline and closes it when the test ends.
func (p *Project) Open(t testing.TB) *orchestrator.Pipeline {
	t.Helper()
	pl, err := orchestrator.Open(context.Background(), p.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pl.Close() })
	return pl
}

// Run runs the given stages (all when none) for days and fails the test on
// an orchestration error.
func Run(t testing.TB, pl *orchestrator.Pipeline, o orchestrator.RunOptions, days ...time.Time) []orchestrator.RunReport {
	t.Helper()
	if len(days) == 0 {
		days = []time.Time{Day}
	}
	reps, err := pl.Run(context.Background(), days, o)
	if err != nil {
		t.Fatal(err)
	}
	return reps
}

// LoadTable loads a table of the pipeline.
func LoadTable(t testing.TB, pl *orchestrator.Pipeline, name string) *table.Table {
	t.Helper()
	tbl, err := pl.Catalog.LoadTable(context.Background(), catalog.Ident(pl.Config.Pipeline, name))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// Strings reads one string column of a table, sorted.
func Strings(t testing.TB, tbl *table.Table, col string) []string {
	t.Helper()
	var out []string
	if tbl.CurrentSnapshot() == nil {
		return out
	}
	_, recs, err := tbl.Scan(table.WithSelectedFields(col)).ToArrowRecords(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for rec, err := range recs {
		if err != nil {
			t.Fatal(err)
		}
		c := rec.Column(0).(*array.String)
		for i := 0; i < c.Len(); i++ {
			out = append(out, c.Value(i))
		}
		rec.Release()
	}
	sort.Strings(out)
	return out
}

// DayStats sums what the generator wrote for one day, per source.
type DayStats struct{ Lines, Events, Bad, Skip int }

// Stats sums the generator's files of day by source.
func Stats(sum gen.Summary, day time.Time) map[string]DayStats {
	m := map[string]DayStats{}
	d := "dt=" + day.Format("2006-01-02")
	for _, f := range sum.Files {
		if !strings.Contains(f.Path, d) {
			continue
		}
		s := m[f.Source]
		s.Lines += f.Lines
		s.Events += f.Events()
		s.Bad += f.Bad
		s.Skip += f.Skip
		m[f.Source] = s
	}
	return m
}

// AWSProject writes examples/aws.yaml pointed at moto's bucket "lake"
// (created here), with local cache and state, quick polling and short log
// waits, and a small stand-in for the nodes' binary. edit may change the
// YAML further. It returns the config's path and the loaded config.
func AWSProject(t testing.TB, m *awstest.Moto, examples string, edit func(string) string) (string, *config.Config) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examples, "aws.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	y := string(b)
	for old, new := range map[string]string{
		"s3://acme-security-lake/warehouse":          "s3://lake/warehouse",
		"s3://acme-security-logs/raw":                "s3://lake/raw",
		"s3://acme-security-lake/spotlake/artifacts": "s3://lake/artifacts",
		"s3://acme-security-lake/spotlake/emr-logs":  "s3://lake/emr-logs",
		"/var/lib/spotlake/cache":                    filepath.Join(dir, "cache"),
		"/var/lib/spotlake/state":                    filepath.Join(dir, "state"),
		"poll_interval: 30s":                         "poll_interval: 10ms",
		"log_wait: 5m":                               "log_wait: 50ms",
	} {
		y = strings.Replace(y, old, new, 1)
	}
	if edit != nil {
		y = edit(y)
	}
	path := filepath.Join(dir, "spotlake.yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m.Bucket(t, "lake")
	// The nodes' binary: a small stand-in, not the test binary.
	bin := filepath.Join(dir, "spotlake-linux")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SPOTLAKE_CLUSTER_BINARY", bin)
	return path, cfg
}
