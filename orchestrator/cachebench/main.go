// Command cachebench measures the hot cache: with N days × ~1M events in
// the tables, the time of a full rebuild against an incremental one-day
// refresh, and the latency of every dashboard API call on the cache against
// the same calls answered from the Iceberg tables directly. `make bench`
// runs it; the warehouse is built once (real generator and pipeline) and
// kept in .cache/bench-cache.
//
//	go run ./orchestrator/cachebench [-days 30] [-scale 41] [-dir .cache/bench-cache]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/stages/cache"
	"github.com/spotlake/spotlake/stages/ingest/gen"
)

// last is the newest day of the benchmark's warehouse; the cache window
// ends the day before it, so refreshing with it is a real daily increment.
var last = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

func main() {
	days := flag.Int("days", 30, "days in the cache window")
	scale := flag.Float64("scale", 35, "events per day as a multiple of the demo day; 35 is about 1M")
	dir := flag.String("dir", ".cache/bench-cache", "project folder (kept between runs)")
	requests := flag.Int("requests", 200, "requests per API call and mode")
	apiOnly := flag.Bool("api-only", false, "measure the API on the cache as it is (no rebuild, no refresh)")
	flag.Parse()
	if err := run(*dir, *days, *scale, *requests, *apiOnly); err != nil {
		fmt.Fprintln(os.Stderr, "cachebench:", err)
		os.Exit(1)
	}
}

func run(dir string, days int, scale float64, requests int, apiOnly bool) error {
	ctx := context.Background()
	cfg, err := project(dir, scale)
	if err != nil {
		return err
	}
	p, err := orchestrator.Open(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := build(ctx, p, cfg, days+1, scale); err != nil {
		return err
	}
	if apiOnly {
		return benchAPI(ctx, p, cfg, days, requests)
	}
	prev := last.AddDate(0, 0, -1)

	// Full rebuild of the window ending the day before the newest.
	full, err := cache.Refresh(ctx, cfg.Cache, p.CacheSource(), cache.RefreshOptions{Days: days, End: prev, Force: true})
	if err != nil {
		return err
	}
	fmt.Printf("full rebuild: %d days, %d events in %.1fs (%.0f events/s)\n", len(full.Loaded), full.Rows, full.Seconds, float64(full.Rows)/full.Seconds)
	// The daily increment: the newest day arrives, the oldest leaves. Then
	// back again, to see it twice.
	var inc []float64
	for i, end := range []time.Time{last, prev, last} {
		r, err := cache.Refresh(ctx, cfg.Cache, p.CacheSource(), cache.RefreshOptions{Days: days, End: end})
		if err != nil {
			return err
		}
		if len(r.Loaded) != 1 {
			return fmt.Errorf("increment %d loaded %v", i, r.Loaded)
		}
		inc = append(inc, r.Seconds)
	}
	best := min(inc[0], inc[1], inc[2])
	fmt.Printf("one-day refresh: %.2fs %.2fs %.2fs (best %.2fs = %.1f%% of the full rebuild; goal under 10%%)\n", inc[0], inc[1], inc[2], best, 100*best/full.Seconds)
	return benchAPI(ctx, p, cfg, days, requests)
}

func project(dir string, scale float64) (*config.Config, error) {
	path := filepath.Join(dir, "spotlake.yaml")
	if _, err := os.Stat(path); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		y := strings.Replace(string(config.InitYAML("cachebench")), "drain_window: 2s", "drain_window: 1ms", 1)
		if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
			return nil, err
		}
	}
	return config.Load(path)
}

// build generates and runs (ingest, detect, oa) every day the warehouse
// lacks, one day at a time, removing each day's logs once ingested.
func build(ctx context.Context, p *orchestrator.Pipeline, cfg *config.Config, n int, scale float64) error {
	for i := n - 1; i >= 0; i-- {
		day := last.AddDate(0, 0, -i)
		marker := filepath.Join(cfg.State, "bench-"+day.Format(time.DateOnly))
		if exists(marker) {
			continue
		}
		start := time.Now()
		if _, err := gen.Generate(gen.Options{Out: cfg.Raw, Days: 1, End: day, Seed: 7 + int64(i), Scale: scale, Anomalies: true}); err != nil {
			return err
		}
		reps, err := p.Run(ctx, []time.Time{day}, orchestrator.RunOptions{Command: "cachebench", Stages: []string{orchestrator.StageIngest, orchestrator.StageDetect, orchestrator.StageOA}})
		if err != nil {
			return err
		}
		if !reps[0].OK() {
			return fmt.Errorf("run %s failed: %+v", day.Format(time.DateOnly), reps[0])
		}
		fmt.Fprintf(os.Stderr, "cachebench: built %s: %d events in %.0fs\n", day.Format(time.DateOnly), reps[0].Stages[0].Rows, time.Since(start).Seconds())
		ms, _ := filepath.Glob(filepath.Join(cfg.Raw, "*", "dt="+day.Format(time.DateOnly)))
		for _, m := range ms {
			os.RemoveAll(m)
		}
		os.WriteFile(marker, nil, 0o644)
	}
	return nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
