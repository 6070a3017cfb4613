package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/stages/ingest"
	"github.com/spotlake/spotlake/stages/ingest/gen"
)

type generateOptions struct {
	out       string
	days      int
	date      string
	seed      int64
	scale     float64
	sources   []string
	anomalies bool
}

type demoOptions struct {
	dir   string
	days  int
	seed  int64
	scale float64
	serve bool
}

func newDemoCmd(g *globals) *cobra.Command {
	o := &demoOptions{}
	c := &cobra.Command{
		Use:   "demo",
		Short: "Generate a few days of logs for every format and run the pipeline on the latest",
		Long: `demo creates a project in --dir (like init), generates --days days of realistic
logs for every supported format ending yesterday, runs the daily pipeline for
the latest day (replacing it when the demo ran before) and prints a summary: rows per
source, rejects, time, events/s, and what detection found.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runDemo(c, g, o) },
	}
	c.Flags().StringVar(&o.dir, "dir", "demo", "project folder (created)")
	c.Flags().IntVar(&o.days, "days", 3, "days of logs to generate")
	c.Flags().Int64Var(&o.seed, "seed", 1, "random seed (same seed, same logs)")
	c.Flags().Float64Var(&o.scale, "scale", 1, "events per day, as a multiple of the demo size (~30k lines)")
	c.Flags().BoolVar(&o.serve, "serve", false, "then serve the dashboard in the background (cluster up viz; a running one is recreated)")

	go_ := &generateOptions{}
	gc := &cobra.Command{
		Use:   "generate --out DIR --days N --date YYYY-MM-DD [--seed S]",
		Short: "Write realistic raw logs for every format under DIR/<source>/dt=YYYY-MM-DD/",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return runGenerate(g, go_) },
	}
	gc.Flags().StringVar(&go_.out, "out", "raw", "output folder")
	gc.Flags().IntVar(&go_.days, "days", 1, "number of days, ending at --date")
	gc.Flags().StringVar(&go_.date, "date", "", "last day (YYYY-MM-DD); default yesterday (UTC)")
	gc.Flags().Int64Var(&go_.seed, "seed", 1, "random seed (same seed, same bytes)")
	gc.Flags().Float64Var(&go_.scale, "scale", 1, "events per day, as a multiple of the demo size")
	gc.Flags().StringSliceVar(&go_.sources, "sources", nil, "formats to generate (default all)")
	gc.Flags().BoolVar(&go_.anomalies, "anomalies", true, "plant attacks and list their lines in DIR/_truth/truth-YYYY-MM-DD.jsonl")
	c.AddCommand(gc)
	return c
}

func yesterday() time.Time {
	t := time.Now().UTC().AddDate(0, 0, -1)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func runGenerate(g *globals, o *generateOptions) error {
	end := yesterday()
	if o.date != "" {
		d, err := parseDay("date", o.date)
		if err != nil {
			return err
		}
		end = d
	}
	if o.days < 1 || o.days > 366 {
		return usagef("--days %d: use 1 to 366", o.days)
	}
	if o.scale <= 0 {
		return usagef("--scale must be positive")
	}
	sum, err := gen.Generate(gen.Options{Out: o.out, Days: o.days, End: end, Seed: o.seed, Scale: o.scale, Sources: o.sources, Anomalies: o.anomalies})
	if err != nil {
		return err
	}
	t := sum.Totals()
	planted := 0
	for _, n := range sum.Planted {
		planted += n
	}
	if g.json {
		return g.printJSON(map[string]any{"out": o.out, "files": len(sum.Files), "lines": t.Lines, "malformed": t.Bad, "bytes": t.Bytes,
			"anomalies": planted, "planted": sum.Planted, "truth": sum.TruthFiles})
	}
	fmt.Fprintf(g.stdout, "wrote %d files, %d lines (%d planted malformed), %s under %s\n", len(sum.Files), t.Lines, t.Bad, humanBytes(float64(t.Bytes)), o.out)
	if o.anomalies {
		var kinds []string
		for _, k := range gen.AnomalyKinds() {
			if n := sum.Planted[k]; n > 0 {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
			}
		}
		fmt.Fprintf(g.stdout, "planted %d anomalous lines (%s)\n", planted, strings.Join(kinds, ", "))
	}
	switch n := len(sum.TruthFiles); {
	case n == 1:
		fmt.Fprintf(g.stdout, "truth: %s\n", sum.TruthFiles[0])
	case n > 1:
		fmt.Fprintf(g.stdout, "truth: %d files, %s ... %s\n", n, sum.TruthFiles[0], sum.TruthFiles[n-1])
	}
	return nil
}

func runDemo(c *cobra.Command, g *globals, o *demoOptions) error {
	cfgPath := filepath.Join(o.dir, "spotlake.yaml")
	if _, err := os.Stat(cfgPath); err != nil {
		// A demo day is small: Spot's 1e-6 threshold, made for days of
		// millions of flows, would keep nothing. Keep the 200 least likely.
		demoDetect := func(b []byte) []byte {
			b = bytes.Replace(b, []byte("threshold: 1e-6 "), []byte("threshold: 1e-4 "), 1)
			return bytes.Replace(b, []byte("top_n: 1000 "), []byte("top_n: 200  "), 1)
		}
		if err := runInit(&globals{stdout: devNull{}, stderr: g.stderr}, &initOptions{dir: o.dir, pipeline: "demo", edit: demoDetect}); err != nil {
			return err
		}
	}
	end := yesterday()
	fmt.Fprintf(g.stderr, "generating %d days of logs for %d formats in %s ...\n", o.days, len(config.DefaultSources), filepath.Join(o.dir, "raw"))
	if err := runGenerate(&globals{stdout: g.stderr}, &generateOptions{out: filepath.Join(o.dir, "raw"), days: o.days, date: end.Format("2006-01-02"), seed: o.seed, scale: o.scale, anomalies: true}); err != nil {
		return err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	p, err := orchestrator.Open(c.Context(), cfg, g.logger())
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(g.stderr, "running the daily pipeline for %s ...\n", end.Format("2006-01-02"))
	prog := &ingest.Progress{}
	stop := startProgress(g, prog)
	// The demo regenerates its logs each time (a newer spotlake may generate
	// them differently), so it replaces the day rather than refusing changed
	// objects: --force semantics, atomic as always.
	reports, err := p.Run(c.Context(), []time.Time{end}, orchestrator.RunOptions{Command: "demo", Progress: prog, Force: true})
	stop(true)
	if err != nil {
		return err
	}
	r := reports[0]
	if g.json {
		return g.printJSON(r)
	}
	printReport(g, r)
	if top, err := p.TopSuspicious(c.Context(), end, 12); err == nil && len(top) > 0 {
		fmt.Fprintf(g.stdout, "\nwhat an analyst reads first on %s (the suspicious table):\n", end.Format("2006-01-02"))
		for _, s := range top {
			fmt.Fprintf(g.stdout, "  %3d  %-6s %-10s %s\n", s.Rank, s.Severity, s.Source, s.Reason)
		}
	}
	me := filepath.Clean(os.Args[0])
	if filepath.Base(me) == me {
		me = "spotlake"
	}
	if !r.OK() {
		return stageFailedError{"the demo run failed"}
	}
	if o.serve {
		sup, err := g.vizSupervisor(cfg)
		if err != nil {
			return err
		}
		rec, err := sup.Recreate(c.Context())
		if err != nil {
			return fmt.Errorf("start the dashboard: %w", err)
		}
		fmt.Fprintf(g.stdout, "\ndashboard: %s  (stop it with: %s --config %s cluster down viz)\n", rec.State.URL, me, cfgPath)
	}
	fmt.Fprintf(g.stdout, "\nnext:\n")
	if !o.serve {
		fmt.Fprintf(g.stdout, "  %s --config %s cluster up viz   # the dashboard\n", me, cfgPath)
	}
	fmt.Fprintf(g.stdout, "  %s --config %s query --sql \"SELECT source, count(*) FROM events GROUP BY 1\"\n  %s --config %s tables describe events\n  %s --config %s stage run ingest --from %s --to %s   # backfill the other days\n",
		me, cfgPath, me, cfgPath, me, cfgPath, end.AddDate(0, 0, -(o.days-1)).Format("2006-01-02"), end.AddDate(0, 0, -1).Format("2006-01-02"))
	return nil
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }
