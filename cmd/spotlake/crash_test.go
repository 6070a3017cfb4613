package main

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/schemas"
)

// TestKillAnywhereThenResume kills `spotlake run` with SIGKILL at moments
// spread over a whole ingest, again and again, then lets a run finish. The
// tables must end with exactly the rows of one clean run: no loss, no
// duplicate, no uncommitted file left behind.
func TestKillAnywhereThenResume(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process many times")
	}
	// The clean reference.
	clean := testutil.NewProject(t)
	clean.Generate(t, 1, testutil.Day, 0.6)
	cp := clean.Open(t)
	ref := testutil.Run(t, cp, orchestrator.RunOptions{})[0]
	if !ref.OK() {
		t.Fatalf("clean run failed: %+v", ref)
	}
	wantIDs := testutil.Strings(t, testutil.LoadTable(t, cp, schemas.Events), "event_id")
	wantRejects := testutil.Strings(t, testutil.LoadTable(t, cp, schemas.EventsRejected), "object")
	wantObjects := testutil.Strings(t, testutil.LoadTable(t, cp, schemas.IngestFiles), "object")

	// The victim: same logs, small commits so kills land between them too.
	victim := testutil.NewProject(t)
	victim.Generate(t, 1, testutil.Day, 0.6)
	cfgPath := victim.Config.Path
	b, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(b), "commit_every: 64", "commit_every: 3", 1)), 0o644)

	// Kill with growing delays: each child resumes what the last one left,
	// so the kills land at every phase: start-up, recovery, reading,
	// between and inside commits.
	total := len(wantObjects)
	mid, kills := 0, 0
	delay := 120 * time.Millisecond
	for kills < 60 {
		cmd := exec.Command(os.Args[0], "--config", cfgPath, "run", "--date", "2026-11-21", "--wait")
		cmd.Env = append(os.Environ(), "SPOTLAKE_TEST_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		kills++
		delay += 15 * time.Millisecond
		n := committedObjects(t, victim)
		if n == total {
			break
		}
		if n > 0 {
			mid++
		}
	}
	if mid < 3 {
		t.Fatalf("only %d of %d kills landed mid-ingest; the test did not exercise recovery", mid, kills)
	}
	code, out, errs := cli(t, "--config", cfgPath, "run", "--date", "2026-11-21", "--json")
	if code != ExitOK {
		t.Fatalf("final run: exit %d\n%s\n%s", code, out, errs)
	}

	vp := victim.Open(t)
	gotIDs := testutil.Strings(t, testutil.LoadTable(t, vp, schemas.Events), "event_id")
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("events after kills: %d rows (%d distinct), clean run: %d", len(gotIDs), len(slices.Compact(slices.Clone(gotIDs))), len(wantIDs))
	}
	if got := testutil.Strings(t, testutil.LoadTable(t, vp, schemas.EventsRejected), "object"); !slices.Equal(got, wantRejects) {
		t.Errorf("rejects after kills: %d, clean run: %d", len(got), len(wantRejects))
	}
	if got := testutil.Strings(t, testutil.LoadTable(t, vp, schemas.IngestFiles), "object"); !slices.Equal(got, wantObjects) {
		t.Errorf("ledger after kills: %d rows, clean run: %d", len(got), len(wantObjects))
	}
	// No data file on disk that no snapshot references.
	for _, name := range []string{schemas.Events, schemas.EventsRejected, schemas.IngestFiles} {
		tbl := testutil.LoadTable(t, vp, name)
		live := map[string]bool{}
		tasks, err := tbl.Scan().PlanFiles(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range tasks {
			live[strings.TrimPrefix(tk.File.FilePath(), "file://")] = true
		}
		dataDir := strings.TrimPrefix(tbl.Location(), "file://") + "/data"
		var orphans []string
		filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && !live[p] {
				orphans = append(orphans, p)
			}
			return nil
		})
		if len(orphans) > 0 {
			t.Errorf("%s: %d data files on disk that no snapshot references, e.g. %s", name, len(orphans), orphans[0])
		}
	}
	pending, err := vp.Committer.Pending(context.Background())
	if err != nil || len(pending) != 0 {
		t.Errorf("pending commits left: %v %v", pending, err)
	}
	t.Logf("%d kills, %d of them mid-ingest; %d rows", kills, mid, len(gotIDs))
}

// committedObjects counts the victim's committed objects, read through the
// catalog as any reader would (after the child's death: nothing pending is
// rolled forward by reading).
func committedObjects(t *testing.T, p *testutil.Project) int {
	t.Helper()
	pl, err := orchestrator.Open(context.Background(), p.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	tbl, err := pl.Table(context.Background(), schemas.IngestFiles)
	if err != nil {
		t.Fatal(err)
	}
	return len(testutil.Strings(t, tbl, "object"))
}
