package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/stages/ingest"
)

type runOptions struct {
	date, from, to string
	force, wait    bool
	stages         []string
	command        string
	// here and runID make `stage exec`: the step of an EMR cluster runs the
	// stage in its own process, as part of the controller's run.
	here  bool
	runID string
}

func newRunCmd(g *globals) *cobra.Command {
	o := &runOptions{command: "run"}
	c := &cobra.Command{
		Use:   "run [--date YYYY-MM-DD]",
		Short: "Run the daily pipeline for one day (what cron calls)",
		Long: `run runs every stage of the daily pipeline for one day; without --date, the
day the schedule would pick now (today minus schedule.day_offset, in
schedule.timezone). With --json it prints one JSON object:
{"run_id","date","status","stages":[{"name","status","lines","rows","rejects","seconds"}]}.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runRun(c.Context(), g, o) },
	}
	c.Flags().StringVar(&o.date, "date", "", "day to run (YYYY-MM-DD)")
	c.Flags().BoolVar(&o.force, "force", false, "replace the day's rows atomically, even if it is complete")
	c.Flags().BoolVar(&o.wait, "wait", false, "wait for a run in progress instead of refusing")
	return c
}

func newStageCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "stage", Short: "Rerun or backfill one stage"}
	o := &runOptions{}
	run := &cobra.Command{
		Use:   "run STAGE (--date YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD)",
		Short: "Run one stage for a day or a range of days",
		Long: `stage run reruns one stage. A day that is already complete commits nothing new
and says so; --force replaces the day's rows atomically (one Iceberg commit per
table that swaps the old files for the new, so readers never see the day
half-replaced). A backfill (--from/--to) prints one JSON object per day with --json.

Stages: ` + strings.Join(orchestrator.Stages, ", ") + "\n\n" + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.stages = []string{args[0]}
			o.command = "stage run " + args[0]
			return runRun(c.Context(), g, o)
		},
	}
	run.Flags().StringVar(&o.date, "date", "", "day (YYYY-MM-DD)")
	run.Flags().StringVar(&o.from, "from", "", "first day of a backfill")
	run.Flags().StringVar(&o.to, "to", "", "last day of a backfill (inclusive)")
	run.Flags().BoolVar(&o.force, "force", false, "replace the days' rows atomically")
	run.Flags().BoolVar(&o.wait, "wait", false, "wait for a run in progress instead of refusing")
	eo := &runOptions{here: true}
	exec := &cobra.Command{
		Use:    "exec STAGE --date YYYY-MM-DD --run-id ID",
		Short:  "Run one stage in this process, as a step of a run's cluster (what EMR steps call)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if eo.runID == "" || eo.date == "" {
				return usagef("stage exec needs --date and --run-id (it is a step of a run started elsewhere)")
			}
			eo.stages = []string{args[0]}
			eo.command = "stage exec " + args[0]
			return runRun(c.Context(), g, eo)
		},
	}
	exec.Flags().StringVar(&eo.date, "date", "", "day (YYYY-MM-DD)")
	exec.Flags().StringVar(&eo.runID, "run-id", "", "the run this step belongs to")
	exec.Flags().BoolVar(&eo.force, "force", false, "replace the day's rows atomically")
	to := &taskOptions{}
	task := &cobra.Command{
		Use:    "task ingest --date YYYY-MM-DD --run-id ID",
		Short:  "Run one task of a stage in this process and print its result (what Spark executors call)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			to.stage = args[0]
			return runTask(c.Context(), g, to)
		},
	}
	task.Flags().StringVar(&to.date, "date", "", "day (YYYY-MM-DD)")
	task.Flags().StringVar(&to.runID, "run-id", "", "the run this task belongs to")
	c.AddCommand(run, exec, task)
	return c
}

type taskOptions struct {
	stage, date, runID string
}

// runTask reads one task (JSON) on stdin and prints its result (JSON) on
// stdout. An object that fails is a result with its error, not a failed
// command: only a task that cannot run at all exits non-zero.
func runTask(ctx context.Context, g *globals, o *taskOptions) error {
	if o.stage != orchestrator.StageIngest {
		return usagef("stage task: only ingest has tasks, not %q", o.stage)
	}
	if o.runID == "" || o.date == "" {
		return usagef("stage task needs --date and --run-id (it is a task of a run started elsewhere)")
	}
	day, err := parseDay("date", o.date)
	if err != nil {
		return err
	}
	var t ingest.Task
	if err := json.NewDecoder(g.stdin).Decode(&t); err != nil {
		return usagef("stage task: read the task from stdin: %v", err)
	}
	p, err := g.openPipeline(ctx)
	if err != nil {
		return err
	}
	defer p.Close()
	res, err := p.IngestTask(ctx, day, o.runID, t)
	if err != nil {
		return err
	}
	return json.NewEncoder(g.stdout).Encode(res)
}

func parseDay(flag, s string) (time.Time, error) {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, usagef("--%s %q: use YYYY-MM-DD", flag, s)
	}
	return d, nil
}

// days resolves --date / --from --to, defaulting to the schedule's day.
func (o *runOptions) days(cfg *config.Config, now time.Time) ([]time.Time, error) {
	switch {
	case o.date != "" && (o.from != "" || o.to != ""):
		return nil, usagef("use either --date or --from/--to")
	case o.from != "" || o.to != "":
		if o.from == "" || o.to == "" {
			return nil, usagef("a backfill needs both --from and --to")
		}
		from, err := parseDay("from", o.from)
		if err != nil {
			return nil, err
		}
		to, err := parseDay("to", o.to)
		if err != nil {
			return nil, err
		}
		if to.Before(from) {
			return nil, usagef("--to %s is before --from %s", o.to, o.from)
		}
		if to.Sub(from) > 366*24*time.Hour {
			return nil, usagef("a backfill spans at most 366 days; split it")
		}
		var out []time.Time
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			out = append(out, d)
		}
		return out, nil
	case o.date != "":
		d, err := parseDay("date", o.date)
		if err != nil {
			return nil, err
		}
		return []time.Time{d}, nil
	default:
		return []time.Time{orchestrator.ScheduledDay(cfg, now)}, nil
	}
}

func runRun(ctx context.Context, g *globals, o *runOptions) error {
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	days, err := o.days(cfg, time.Now())
	if err != nil {
		return err
	}
	p, err := orchestrator.Open(ctx, cfg, g.logger())
	if err != nil {
		return err
	}
	defer p.Close()
	prog := &ingest.Progress{}
	stopProgress := startProgress(g, prog)
	failed := 0
	_, err = p.Run(ctx, days, orchestrator.RunOptions{
		Stages: o.stages, Force: o.force, Wait: o.wait, Command: o.command, Progress: prog,
		Here: o.here, RunID: o.runID,
		Waiting: func(h orchestrator.LockInfo) {
			fmt.Fprintf(g.stderr, "waiting for run %s (pid %d on %s) to finish...\n", h.RunID, h.PID, h.Host)
		},
		OnDay: func(r orchestrator.RunReport) {
			stopProgress(false)
			if !r.OK() {
				failed++
			}
			if g.json {
				g.printJSON(r)
			} else {
				printReport(g, r)
			}
		},
	})
	stopProgress(true)
	if err != nil {
		return err
	}
	if failed > 0 {
		return stageFailedError{fmt.Sprintf("%d of %d days failed", failed, len(days))}
	}
	return nil
}

func printReport(g *globals, r orchestrator.RunReport) {
	w := g.stdout
	fmt.Fprintf(w, "run %s  day %s  %s\n", r.RunID, r.Date, strings.ToUpper(r.Status))
	for _, s := range r.Stages {
		if s.OA != nil || s.Name == orchestrator.StageCache {
			fmt.Fprintf(w, "  %-8s %-9s %s  %.1fs\n", s.Name, s.Status, s.Message, s.Seconds)
			continue
		}
		if s.Detect != nil {
			d := s.Detect
			fmt.Fprintf(w, "  %-8s %-9s events %d, %d documents, %d words, fit %.1fs; kept %d of %d at or below the threshold  %.1fs\n",
				s.Name, s.Status, d.Scored, d.Documents, d.Words, d.FitSeconds, d.Kept, d.BelowThresh, s.Seconds)
			if d.Message != "" {
				fmt.Fprintf(w, "    %s\n", d.Message)
			}
			continue
		}
		rate := ""
		if busy := s.Seconds - s.DrainSeconds; busy > 0 && s.Rows > 0 {
			rate = fmt.Sprintf("  %s events/s  %s/s", human(float64(s.Rows)/busy), humanBytes(float64(s.Bytes)/busy))
		}
		drain := ""
		if s.DrainSeconds >= 0.05 {
			drain = fmt.Sprintf(" (%.1fs of it waiting out the drain window)", s.DrainSeconds)
		}
		fmt.Fprintf(w, "  %-8s %-9s objects %d (+%d already committed)  lines %d = rows %d + rejects %d  %.1fs%s%s\n",
			s.Name, s.Status, s.Objects, s.Existing, s.Lines, s.Rows, s.Rejects, s.Seconds, drain, rate)
		if len(s.Sources) > 0 {
			names := make([]string, 0, len(s.Sources))
			for n := range s.Sources {
				names = append(names, n)
			}
			sort.Strings(names)
			fmt.Fprintf(w, "    %-12s %8s %10s %8s %8s\n", "source", "objects", "rows", "rejects", "failed")
			for _, n := range names {
				sr := s.Sources[n]
				fmt.Fprintf(w, "    %-12s %8d %10d %8d %8d\n", n, sr.Objects, sr.Rows, sr.Rejects, sr.Failed)
			}
		}
		if r := s.Remote; r != nil {
			fmt.Fprintf(w, "    ran on %s %s (%s): %d tasks, %.1f CPU-s in the task processes, the largest %.0f MiB; driver log %s\n",
				r.Engine, r.App, r.Master, r.Tasks, r.CPUSeconds, r.PeakRSSMiB, r.Log)
		}
		for _, f := range s.Failures {
			fmt.Fprintf(w, "    FAILED [%s] %s: %s\n", f.Source, f.Object, f.Error)
		}
		if s.Message != "" {
			fmt.Fprintf(w, "    %s\n", s.Message)
		}
	}
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func humanBytes(v float64) string {
	switch {
	case v >= 1<<30:
		return fmt.Sprintf("%.2f GiB", v/(1<<30))
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}
