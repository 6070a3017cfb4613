package orchestrator_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/tableio"
)

// Compaction merges small files without losing or duplicating a row, never
// merges two input days into one file, and a forced rerun of a day still
// replaces exactly that day afterwards.
func TestCompactKeepsDaysApart(t *testing.T) {
	ctx := context.Background()
	p := testutil.NewProject(t)
	p.Generate(t, 2, testutil.Day, 0.1, "vpcflow", "apache", "cowrie")
	pl := p.Open(t)
	d1, d2 := testutil.Day.AddDate(0, 0, -1), testutil.Day
	for _, r := range testutil.Run(t, pl, orchestrator.RunOptions{Stages: []string{orchestrator.StageIngest}}, d1, d2) {
		if !r.OK() {
			t.Fatalf("ingest: %+v", r)
		}
	}
	files := func() int {
		tbl := testutil.LoadTable(t, pl, schemas.Events)
		tasks, err := tbl.Scan().PlanFiles(ctx)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := tbl.Schema().FindFieldByName("input_day")
		for _, tk := range tasks {
			lo, hi := tk.File.LowerBoundValues()[id.ID], tk.File.UpperBoundValues()[id.ID]
			if binary.LittleEndian.Uint32(lo) != binary.LittleEndian.Uint32(hi) {
				t.Errorf("%s holds rows of several input days", tk.File.FilePath())
			}
		}
		return len(tasks)
	}
	countDay := func(day string) int {
		n := 0
		tableio.Scan(ctx, testutil.LoadTable(t, pl, schemas.Events), nil, []string{"input_day"}, func(r tableio.Row) error {
			if r.Date("input_day").Format("2006-01-02") == day {
				n++
			}
			return nil
		})
		return n
	}
	before, ids := files(), testutil.Strings(t, testutil.LoadTable(t, pl, schemas.Events), "event_id")
	day1 := countDay("2026-11-20")

	dry, err := pl.Compact(ctx, []string{schemas.Events}, 128<<20, true)
	if err != nil || len(dry) != 1 || dry[0].Groups == 0 || files() != before {
		t.Fatalf("dry run: %+v %v (files %d -> %d)", dry, err, before, files())
	}
	res, err := pl.Compact(ctx, nil, 128<<20, false)
	if err != nil {
		t.Fatal(err)
	}
	var ev orchestrator.Compacted
	for _, c := range res {
		if c.Table == schemas.Events {
			ev = c
		}
	}
	after := files()
	t.Logf("events: %d files -> %d (%+v)", before, after, ev)
	if ev.FilesAfter == 0 || after >= before || after != before-ev.FilesBefore+ev.FilesAfter {
		t.Fatalf("events: %d files -> %d (%+v)", before, after, ev)
	}
	if got := testutil.Strings(t, testutil.LoadTable(t, pl, schemas.Events), "event_id"); !slices.Equal(got, ids) {
		t.Fatalf("compaction changed the rows: %d ids before, %d after", len(ids), len(got))
	}

	// A forced rerun of day 2 with one object fewer: day 1 is untouched.
	objs, _ := filepath.Glob(filepath.Join(p.Config.Raw, "apache", "dt=2026-11-21", "*"))
	os.Remove(objs[0])
	if r := testutil.Run(t, pl, orchestrator.RunOptions{Stages: []string{orchestrator.StageIngest}, Force: true}, d2); !r[0].OK() {
		t.Fatalf("forced rerun: %+v", r[0])
	}
	if got := countDay("2026-11-20"); got != day1 {
		t.Fatalf("day 1 has %d events after day 2 was replaced, want %d", got, day1)
	}
}
