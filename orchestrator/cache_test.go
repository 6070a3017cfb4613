package orchestrator_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/stages/cache"
)

func cacheReport(t *testing.T, r orchestrator.RunReport) *cache.RefreshReport {
	t.Helper()
	for _, s := range r.Stages {
		if s.Name == orchestrator.StageCache {
			if s.Status != orchestrator.StatusSucceeded || s.Cache == nil {
				t.Fatalf("cache stage: %+v", s)
			}
			return s.Cache
		}
	}
	t.Fatalf("no cache stage in %+v", r)
	return nil
}

// countsByDay answers "events per input day" on db.
func countsByDay(t *testing.T, db *sql.DB, table string) map[string]int64 {
	t.Helper()
	rows, err := db.Query("SELECT strftime(input_day, '%Y-%m-%d'), count(*) FROM " + table + " GROUP BY 1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var d string
		var n int64
		if err := rows.Scan(&d, &n); err != nil {
			t.Fatal(err)
		}
		out[d] = n
	}
	return out
}

// The daily run ends with the cache stage; the cache holds the window's
// days with exactly the tables' rows, refreshes only what changed, drops
// what left the window, and a reader holding a generation keeps seeing it
// while a refresh commits the next one.
func TestCacheFollowsTables(t *testing.T) {
	ctx := context.Background()
	p := testutil.NewProject(t)
	p.Config.Viz.CacheDays = 2
	p.Generate(t, 3, testutil.Day, 0.1, "vpcflow", "cowrie", "apache")
	pl := p.Open(t)
	d0, d1, d2 := testutil.Day.AddDate(0, 0, -2), testutil.Day.AddDate(0, 0, -1), testutil.Day
	reps := testutil.Run(t, pl, orchestrator.RunOptions{}, d0, d1, d2)
	for _, r := range reps {
		if !r.OK() {
			t.Fatalf("run %s: %+v", r.Date, r)
		}
	}
	last := cacheReport(t, reps[2])
	if !slices.Equal(last.Loaded, []string{"2026-11-21"}) || !slices.Equal(last.Kept, []string{"2026-11-20"}) || !slices.Equal(last.Dropped, []string{"2026-11-19"}) {
		t.Fatalf("third day's refresh: loaded %v kept %v dropped %v; want [2026-11-21] [2026-11-20] [2026-11-19]", last.Loaded, last.Kept, last.Dropped)
	}

	r, err := cache.OpenReader(ctx, p.Config.Cache, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	snap, release, err := r.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Status.Loaded || !slices.Equal(snap.Status.Days, []string{"2026-11-20", "2026-11-21"}) {
		t.Fatalf("cache status %+v", snap.Status)
	}
	direct, err := cache.Direct(ctx, pl.CacheSource(), d0, d2, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	for _, tbl := range cache.DayTables {
		got, want := countsByDay(t, snap.DB, tbl), countsByDay(t, direct, tbl)
		delete(want, "2026-11-19")
		if len(want) == 0 && tbl == "events" {
			t.Fatal("no events in the tables")
		}
		for d, n := range want {
			if got[d] != n {
				t.Errorf("%s on %s: cache %d rows, tables %d", tbl, d, got[d], n)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: cache days %v, tables %v", tbl, got, want)
		}
	}
	// The per-day counts the overview reads agree with the rows.
	var daily, rows int64
	if err := snap.DB.QueryRow("SELECT sum(events) FROM events_daily").Scan(&daily); err != nil {
		t.Fatal(err)
	}
	if err := snap.DB.QueryRow("SELECT count(*) FROM events").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if daily != rows || rows == 0 {
		t.Fatalf("events_daily sums to %d, events has %d rows", daily, rows)
	}
	var runs, cacheRows int
	if err := snap.DB.QueryRow("SELECT count(DISTINCT run_id), count(*) FILTER (WHERE stage = 'cache') FROM runs").Scan(&runs, &cacheRows); err != nil || runs != 1 || cacheRows != 3 {
		t.Fatalf("runs in the cache: %d runs, %d cache-stage rows (%v); want the one run with its 3 days' cache stages", runs, cacheRows, err)
	}

	// Nothing changed: a refresh loads nothing.
	again := testutil.Run(t, pl, orchestrator.RunOptions{Stages: []string{orchestrator.StageCache}}, d2)
	if rep := cacheReport(t, again[0]); len(rep.Loaded) != 0 || len(rep.Kept) != 2 {
		t.Fatalf("unchanged refresh loaded %v, kept %v", rep.Loaded, rep.Kept)
	}

	// A forced rerun of the newest day with one object fewer: only that day
	// is rebuilt, and only the next snapshot shows it.
	objs, _ := filepath.Glob(filepath.Join(p.Config.Raw, "apache", "dt=2026-11-21", "*"))
	if len(objs) == 0 {
		t.Fatal("no apache objects")
	}
	if err := os.Remove(objs[0]); err != nil {
		t.Fatal(err)
	}
	forced := testutil.Run(t, pl, orchestrator.RunOptions{Force: true}, d2)
	if !forced[0].OK() {
		t.Fatalf("forced run: %+v", forced[0])
	}
	if rep := cacheReport(t, forced[0]); !slices.Equal(rep.Loaded, []string{"2026-11-21"}) || !slices.Equal(rep.Kept, []string{"2026-11-20"}) {
		t.Fatalf("forced refresh loaded %v, kept %v", rep.Loaded, rep.Kept)
	}
	var oldN int64
	if err := snap.DB.QueryRow("SELECT count(*) FROM events WHERE input_day = DATE '2026-11-21'").Scan(&oldN); err != nil {
		t.Fatalf("the held generation stopped answering after a refresh: %v", err)
	}
	release()
	if _, err := r.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	snap2, release2, err := r.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release2()
	direct2, err := cache.Direct(ctx, pl.CacheSource(), d2, d2, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer direct2.Close()
	newN, wantN := countsByDay(t, snap2.DB, "events")["2026-11-21"], countsByDay(t, direct2, "events")["2026-11-21"]
	if newN != wantN || newN >= oldN {
		t.Fatalf("after the forced rerun: cache %d events, tables %d, before %d", newN, wantN, oldN)
	}
	if snap2.Status.Generation <= snap.Status.Generation {
		t.Fatalf("generation did not advance: %d then %d", snap.Status.Generation, snap2.Status.Generation)
	}
	// A query over one day reads only the day files that can hold its rows,
	// and gets the same answer as over the whole view.
	for _, tbl := range []string{"events", "entity", "scores", "suspicious", "alerts", "events_daily"} {
		col := "input_day"
		if tbl == "events" || tbl == "entity" {
			col = "event_time"
		} else if tbl == "events_daily" {
			col = "day"
		}
		for _, day := range []time.Time{d1, d2} {
			rel := snap2.Relation(tbl, "x", day, day.AddDate(0, 0, 1))
			if strings.Contains(rel, `"`+tbl+`" AS`) {
				t.Errorf("%s on %s: relation %s is the whole view", tbl, day.Format(time.DateOnly), rel)
			}
			cond := fmt.Sprintf(" WHERE %s >= '%s' AND %s < '%s'", col, day.Format(time.RFC3339), col, day.AddDate(0, 0, 1).Format(time.RFC3339))
			var pruned, whole int64
			if err := snap2.DB.QueryRow("SELECT count(*) FROM " + rel + cond).Scan(&pruned); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			if err := snap2.DB.QueryRow("SELECT count(*) FROM " + tbl + cond).Scan(&whole); err != nil {
				t.Fatal(err)
			}
			if pruned != whole || (tbl == "events" && whole == 0) {
				t.Errorf("%s on %s: %d rows through %s, %d through the view", tbl, day.Format(time.DateOnly), pruned, rel, whole)
			}
		}
	}
	if rel := snap2.Relation("events", "", d0, d0.AddDate(0, 0, 1)); !strings.Contains(rel, "WHERE false") {
		t.Errorf("a day the cache does not hold: %s", rel)
	}

	// Old generations' files are collected once two newer ones exist.
	files, _ := filepath.Glob(filepath.Join(p.Config.Cache, "days", "*.duckdb"))
	if len(files) > 3 {
		t.Errorf("%d day files left in the cache, want at most 3: %v", len(files), files)
	}

	// The cache answers read-only SQL only.
	if _, err := cache.Query(ctx, snap2.DB, "DELETE FROM feedback", 0); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("DELETE on the cache: %v", err)
	}
	res, err := cache.Query(ctx, snap2.DB, "SELECT source, count(*) AS n FROM events GROUP BY 1 ORDER BY 1", 0)
	if err != nil || len(res.Rows) != 3 || res.Columns[1] != "n" {
		t.Fatalf("query: %+v %v", res, err)
	}
	_ = time.Second
}
