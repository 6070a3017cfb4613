package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/orchestrator"
)

func newScheduleCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "schedule", Short: "Run the daily pipeline on the config's schedule"}
	var noCatchUp bool
	run := &cobra.Command{
		Use:   "run",
		Short: "Foreground daemon: run the pipeline on schedule.cron, catching up missed days",
		Long: `schedule run stays in the foreground and runs the daily pipeline at every
tick of schedule.cron (in schedule.timezone). Each run processes the scheduled
day plus up to schedule.catch_up_days earlier days that have no successful run.
It never starts a run while one is going, and logs each decision. Stop it with
SIGINT/SIGTERM; a run in progress finishes its current commit first.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			g.verbose = true
			p, err := g.openPipeline(c.Context())
			if err != nil {
				return err
			}
			defer p.Close()
			log := g.logger()
			s := &orchestrator.Scheduler{
				Config: p.Config, Log: log, Now: time.Now,
				Done: p.DayDone,
				Run: func(ctx context.Context, days []time.Time) ([]orchestrator.RunReport, error) {
					return p.Run(ctx, days, orchestrator.RunOptions{Command: "schedule run"})
				},
			}
			return s.Serve(c.Context(), !noCatchUp)
		},
	}
	run.Flags().BoolVar(&noCatchUp, "no-catch-up", false, "don't run at start; wait for the first tick")
	c.AddCommand(run)
	c.AddCommand(&cobra.Command{
		Use:   "crontab",
		Short: "Print the line to install in system cron (it calls scripts/daily.sh)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			// daily.sh ships in the repository's scripts/, next to bin/spotlake.
			script := "/path/to/spotlake/scripts/daily.sh"
			for _, cand := range []string{
				filepath.Join(filepath.Dir(exe), "..", "scripts", "daily.sh"),
				filepath.Join(filepath.Dir(cfg.Path), "scripts", "daily.sh"),
			} {
				if _, err := os.Stat(cand); err == nil {
					script, _ = filepath.Abs(cand)
					break
				}
			}
			tz := ""
			if cfg.Schedule.Timezone != "UTC" {
				tz = "CRON_TZ=" + cfg.Schedule.Timezone + "\n"
			}
			fmt.Fprintf(g.stdout, "# spotlake %s: daily pipeline (install with crontab -e)\n%s%s SPOTLAKE=%s %s %s >> %s 2>&1\n",
				cfg.Pipeline, tz, cfg.Schedule.Cron, exe, script, cfg.Path, filepath.Join(cfg.State, "daily.log"))
			return nil
		},
	})
	return c
}
