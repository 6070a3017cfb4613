package orchestrator_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/ingest"
	"github.com/spotlake/spotlake/stages/ingest/gen"
)

func ingestReport(t *testing.T, r orchestrator.RunReport) orchestrator.StageReport {
	t.Helper()
	for _, s := range r.Stages {
		if s.Name == orchestrator.StageIngest {
			return s
		}
	}
	t.Fatalf("no ingest stage in %+v", r)
	return orchestrator.StageReport{}
}

// TestRunEveryFormat: a generated day of every format lands completely:
// every line is a row or a reject, per source, and the tables agree.
func TestRunEveryFormat(t *testing.T) {
	p := testutil.NewProject(t)
	sum := p.Generate(t, 1, testutil.Day, 0.3)
	pl := p.Open(t)
	reps := testutil.Run(t, pl, orchestrator.RunOptions{})
	if len(reps) != 1 || !reps[0].OK() {
		t.Fatalf("run failed: %+v", reps)
	}
	st := ingestReport(t, reps[0])
	if st.Lines != st.Rows+st.Rejects {
		t.Errorf("lines %d != rows %d + rejects %d", st.Lines, st.Rows, st.Rejects)
	}
	want := testutil.Stats(sum, testutil.Day)
	if len(st.Sources) != 10 {
		t.Errorf("sources in report: %d, want 10", len(st.Sources))
	}
	for src, w := range want {
		got := st.Sources[src]
		if got == nil {
			t.Errorf("%s: missing from report", src)
			continue
		}
		if got.Rows != int64(w.Events) || got.Rejects != int64(w.Bad) || got.Skipped != int64(w.Skip) {
			t.Errorf("%s: rows %d rejects %d skipped %d; generator wrote events %d bad %d skip %d",
				src, got.Rows, got.Rejects, got.Skipped, w.Events, w.Bad, w.Skip)
		}
		if got.Rows == 0 {
			t.Errorf("%s: no rows", src)
		}
	}
	ev := testutil.LoadTable(t, pl, schemas.Events)
	ids := testutil.Strings(t, ev, "event_id")
	if int64(len(ids)) != st.Rows {
		t.Errorf("events table has %d rows, report says %d", len(ids), st.Rows)
	}
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Error("duplicate event ids")
	}
	rj := testutil.Strings(t, testutil.LoadTable(t, pl, schemas.EventsRejected), "error")
	if int64(len(rj)) != st.Rejects {
		t.Errorf("events_rejected has %d rows, report says %d", len(rj), st.Rejects)
	}
	for _, e := range rj {
		if e == "" {
			t.Error("a reject without a reason")
		}
	}
	ledger := testutil.Strings(t, testutil.LoadTable(t, pl, schemas.IngestFiles), "status")
	if len(ledger) != st.Objects {
		t.Errorf("ledger has %d rows for %d objects", len(ledger), st.Objects)
	}
	ti, err := pl.Describe(context.Background(), schemas.Events, true)
	if err != nil {
		t.Fatal(err)
	}
	if ti.Rows != st.Rows || len(ti.Partitions) < 10 {
		t.Errorf("describe: rows %d, partitions %d", ti.Rows, len(ti.Partitions))
	}
}

// TestRerunAndForce: a complete day commits nothing on rerun; --force swaps
// the day's files in one snapshot per table and keeps the same rows.
func TestRerunAndForce(t *testing.T) {
	p := testutil.NewProject(t)
	p.Generate(t, 1, testutil.Day, 0.2, "vpcflow", "cowrie", "apache")
	pl := p.Open(t)
	first := ingestReport(t, testutil.Run(t, pl, orchestrator.RunOptions{})[0])
	ev := testutil.LoadTable(t, pl, schemas.Events)
	ids := testutil.Strings(t, ev, "event_id")
	snaps := len(ev.Metadata().Snapshots())

	again := ingestReport(t, testutil.Run(t, pl, orchestrator.RunOptions{})[0])
	if again.Objects != 0 || again.Existing != first.Objects || again.Status != orchestrator.StatusSucceeded {
		t.Fatalf("rerun: %+v", again)
	}
	if again.Message == "" {
		t.Error("rerun of a complete day should say so")
	}
	ev = testutil.LoadTable(t, pl, schemas.Events)
	if n := len(ev.Metadata().Snapshots()); n != snaps {
		t.Errorf("rerun added snapshots: %d -> %d", snaps, n)
	}

	oldFiles := filesOf(t, pl, schemas.Events)
	forced := ingestReport(t, testutil.Run(t, pl, orchestrator.RunOptions{Force: true})[0])
	if forced.Status != orchestrator.StatusSucceeded || forced.Objects != first.Objects {
		t.Fatalf("force: %+v", forced)
	}
	ev = testutil.LoadTable(t, pl, schemas.Events)
	if n := len(ev.Metadata().Snapshots()); n != snaps+1 {
		t.Errorf("force should add exactly one snapshot to events: %d -> %d", snaps, n)
	}
	if got := testutil.Strings(t, ev, "event_id"); !slices.Equal(got, ids) {
		t.Errorf("force changed the rows: %d -> %d ids", len(ids), len(got))
	}
	newFiles := filesOf(t, pl, schemas.Events)
	for f := range oldFiles {
		if newFiles[f] {
			t.Errorf("old file %s still live after force", f)
		}
	}
	if op := ev.CurrentSnapshot().Summary.Operation; op != "overwrite" && op != "replace" {
		t.Errorf("force snapshot operation %q, want overwrite", op)
	}
	ledger := testutil.Strings(t, testutil.LoadTable(t, pl, schemas.IngestFiles), "object")
	if len(ledger) != first.Objects {
		t.Errorf("ledger after force: %d rows, want %d", len(ledger), first.Objects)
	}
}

func filesOf(t *testing.T, pl *orchestrator.Pipeline, name string) map[string]bool {
	t.Helper()
	tasks, err := testutil.LoadTable(t, pl, name).Scan().PlanFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, tk := range tasks {
		m[tk.File.FilePath()] = true
	}
	return m
}

// TestBadFiles: unreadable objects fail loudly and alone, are recorded, and
// are retried by the next run once fixed.
func TestBadFiles(t *testing.T) {
	p := testutil.NewProject(t)
	p.Generate(t, 1, testutil.Day, 0.1, "vpcflow", "apache")
	dir := filepath.Join(p.Config.Raw, "apache", "dt=2026-11-21")
	good := []byte("10.0.0.1 - - [21/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n")
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	for i := 0; i < 2000; i++ {
		zw.Write(good)
	}
	zw.Close()
	truncated := z.Bytes()[:z.Len()/2]
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("truncated.log.gz", truncated)
	write("garbage.log", []byte("\x00\x01\x02binary\x00junk\n\xff\xfe"))
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "dangling.log")); err != nil {
		t.Fatal(err)
	}
	names := []string{"truncated.log.gz", "garbage.log", "dangling.log"}
	if os.Geteuid() != 0 { // root reads anything
		write("denied.log", good)
		os.Chmod(filepath.Join(dir, "denied.log"), 0)
		names = append(names, "denied.log")
	}
	pl := p.Open(t)
	rep := testutil.Run(t, pl, orchestrator.RunOptions{})[0]
	st := ingestReport(t, rep)
	if rep.OK() || st.Status != orchestrator.StatusFailed {
		t.Fatalf("run with unreadable files must fail: %+v", st)
	}
	failed := map[string]string{}
	for _, f := range st.Failures {
		failed[filepath.Base(f.Object)] = f.Error
	}
	for _, name := range names {
		if failed[name] == "" {
			t.Errorf("%s: not reported as failed (failures: %v)", name, failed)
		}
	}
	if st.Objects == 0 || st.Rows == 0 {
		t.Errorf("the good objects must still be committed: %+v", st)
	}
	if st.Lines != st.Rows+st.Rejects {
		t.Errorf("lines %d != rows %d + rejects %d", st.Lines, st.Rows, st.Rejects)
	}
	statuses := testutil.Strings(t, testutil.LoadTable(t, pl, schemas.IngestFiles), "status")
	if n := countOf(statuses, ingest.StatusFailed); n != len(names) {
		t.Errorf("ledger records %d failed objects, want %d", n, len(names))
	}
	// Fix one file and rerun: only it is read.
	write("truncated.log.gz", z.Bytes())
	os.Remove(filepath.Join(dir, "garbage.log"))
	os.Remove(filepath.Join(dir, "dangling.log"))
	os.Remove(filepath.Join(dir, "denied.log"))
	st2 := ingestReport(t, testutil.Run(t, pl, orchestrator.RunOptions{})[0])
	if st2.Status != orchestrator.StatusSucceeded || st2.Objects != 1 || st2.Rows != 2000 {
		t.Errorf("rerun after fixing: %+v", st2)
	}
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// TestLateObjects: objects that land while the stage runs are taken by this
// run or the next, never lost and never twice.
func TestLateObjects(t *testing.T) {
	p := testutil.NewProject(t)
	p.Config.Ingest.DrainWindow.Duration = 600 * time.Millisecond
	sum := p.Generate(t, 1, testutil.Day, 0.1, "cowrie")
	pl := p.Open(t)
	dir := filepath.Join(p.Config.Raw, "cowrie", "dt=2026-11-21")
	src := sum.Files[0].Path
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 6; i++ {
			time.Sleep(150 * time.Millisecond)
			tmp := filepath.Join(dir, ".tmp-late")
			os.WriteFile(tmp, b, 0o644)
			os.Rename(tmp, filepath.Join(dir, "late"+string(rune('a'+i))+"-"+filepath.Base(src)))
		}
	}()
	r1 := ingestReport(t, testutil.Run(t, pl, orchestrator.RunOptions{})[0])
	wg.Wait()
	r2 := ingestReport(t, testutil.Run(t, pl, orchestrator.RunOptions{})[0])
	total := r1.Objects + r2.Objects
	if want := len(sum.Files) + 6; total != want {
		t.Errorf("objects committed %d+%d, want %d", r1.Objects, r2.Objects, want)
	}
	if r1.Objects <= len(sum.Files) {
		t.Errorf("the first run should have picked up objects that landed during its drain window (took %d)", r1.Objects)
	}
	ids := testutil.Strings(t, testutil.LoadTable(t, pl, schemas.Events), "event_id")
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Error("duplicate event ids")
	}
	if int64(len(ids)) != r1.Rows+r2.Rows {
		t.Errorf("events %d, reports %d+%d", len(ids), r1.Rows, r2.Rows)
	}
}

// TestConcurrentRunsRefused: a second run of the same pipeline refuses with
// a clear message while the first holds the lock, and --wait waits.
func TestConcurrentRunsRefused(t *testing.T) {
	p := testutil.NewProject(t)
	p.Generate(t, 1, testutil.Day, 0.05, "syslog")
	lock, err := orchestrator.AcquireLock(context.Background(), p.Config.State, p.Config.Pipeline, orchestrator.LockInfo{PID: 42, RunID: "r-other", Command: "run"}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := p.Open(t)
	_, err = pl.Run(context.Background(), []time.Time{testutil.Day}, orchestrator.RunOptions{})
	if !errors.Is(err, orchestrator.ErrLocked) {
		t.Fatalf("second run: %v, want ErrLocked", err)
	}
	if msg := err.Error(); !bytes.Contains([]byte(msg), []byte("r-other")) || !bytes.Contains([]byte(msg), []byte("--wait")) {
		t.Errorf("message should name the holder and say what to do: %s", msg)
	}
	told := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		_, err := pl.Run(context.Background(), []time.Time{testutil.Day}, orchestrator.RunOptions{Wait: true, Waiting: func(orchestrator.LockInfo) { told <- struct{}{} }})
		done <- err
	}()
	<-told
	select {
	case err := <-done:
		t.Fatalf("--wait returned while the lock was held: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	lock.Release()
	if err := <-done; err != nil {
		t.Fatalf("--wait run: %v", err)
	}
}

// TestBackfill runs several days in order, one report per day.
func TestBackfill(t *testing.T) {
	p := testutil.NewProject(t)
	p.Generate(t, 3, testutil.Day, 0.05, "squid", "dns")
	pl := p.Open(t)
	days := []time.Time{testutil.Day.AddDate(0, 0, -2), testutil.Day.AddDate(0, 0, -1), testutil.Day}
	reps := testutil.Run(t, pl, orchestrator.RunOptions{}, days...)
	if len(reps) != 3 {
		t.Fatalf("%d reports", len(reps))
	}
	for i, r := range reps {
		if r.Date != days[i].Format("2006-01-02") || !r.OK() || ingestReport(t, r).Rows == 0 {
			t.Errorf("day %d: %+v", i, r)
		}
		done, err := pl.DayDone(context.Background(), days[i])
		if err != nil || !done {
			t.Errorf("DayDone(%s) = %v, %v", r.Date, done, err)
		}
	}
	if done, _ := pl.DayDone(context.Background(), testutil.Day.AddDate(0, 0, 1)); done {
		t.Error("a day never run is reported done")
	}
}

// TestBigObjectIsSplitIntoFiles: an object larger than a worker's share of
// the memory budget is written as several data files, with every row once.
func TestBigObjectIsSplitIntoFiles(t *testing.T) {
	p := testutil.NewProject(t)
	p.Config.Ingest.MemoryLimitMB = 64
	p.Config.Ingest.Workers = 4 // 64 MiB / (4*4) = 4 MiB of input per data file
	dir := filepath.Join(p.Config.Raw, "vpcflow", "dt=2026-11-21")
	os.MkdirAll(dir, 0o755)
	f, err := os.Create(filepath.Join(dir, "big.log"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	lines, err := gen.WriteCorpus(w, "vpcflow", 24<<20, 1, testutil.Day)
	if err != nil {
		t.Fatal(err)
	}
	w.Flush()
	f.Close()
	pl := p.Open(t)
	st := ingestReport(t, testutil.Run(t, pl, orchestrator.RunOptions{})[0])
	if st.Status != orchestrator.StatusSucceeded || st.Rows != lines {
		t.Fatalf("rows %d, corpus lines %d: %+v", st.Rows, lines, st)
	}
	if n := len(filesOf(t, pl, schemas.Events)); n < 3 {
		t.Errorf("a 24 MiB object with 4 MiB per file (cut at batch ends) made %d data files", n)
	}
	ids := testutil.Strings(t, testutil.LoadTable(t, pl, schemas.Events), "event_id")
	if int64(len(slices.Compact(slices.Clone(ids)))) != lines {
		t.Errorf("%d distinct ids for %d lines", len(slices.Compact(slices.Clone(ids))), lines)
	}
}
