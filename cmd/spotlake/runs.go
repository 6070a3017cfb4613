package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/orchestrator"
)

type runsOptions struct {
	limit int
	id    string
}

func newRunsCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "runs", Short: "The run history: what ran, when, how long, with what outcome"}
	o := &runsOptions{}
	list := &cobra.Command{
		Use:   "list [--limit N]",
		Short: "List runs, newest first",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return runRunsList(c.Context(), g, o) },
	}
	list.Flags().IntVar(&o.limit, "limit", 20, "runs to list (0: all)")
	show := &cobra.Command{
		Use:   "show RUN_ID",
		Short: "Show one run's stages",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.id = args[0]
			return runRunsShow(c.Context(), g, o)
		},
	}
	c.AddCommand(list, show)
	return c
}

func loadRuns(ctx context.Context, g *globals) ([]orchestrator.RunSummary, error) {
	p, err := g.openPipeline(ctx)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	return p.Runs(ctx)
}

func runRunsList(ctx context.Context, g *globals, o *runsOptions) error {
	if o.limit < 0 {
		return usagef("--limit %d: use 0 (all) or more", o.limit)
	}
	runs, err := loadRuns(ctx, g)
	if err != nil {
		return err
	}
	if o.limit > 0 && len(runs) > o.limit {
		runs = runs[:o.limit]
	}
	if g.json {
		return g.printJSON(runs)
	}
	if len(runs) == 0 {
		fmt.Fprintln(g.stdout, "no runs yet")
		return nil
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tDAYS\tSTATUS\tSTARTED\tDURATION\tSTAGES\tCOST")
	for _, r := range runs {
		var stages []string
		for _, s := range r.Stages {
			stages = append(stages, s.Stage)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t$%.2f\n", r.RunID, strings.Join(r.Days, ","), r.Status,
			r.StartedAt.UTC().Format(time.RFC3339), r.FinishedAt.Sub(r.StartedAt).Round(100*time.Millisecond), strings.Join(stages, ","), r.CostUSD)
	}
	return tw.Flush()
}

func runRunsShow(ctx context.Context, g *globals, o *runsOptions) error {
	runs, err := loadRuns(ctx, g)
	if err != nil {
		return err
	}
	for _, r := range runs {
		if r.RunID != o.id {
			continue
		}
		if g.json {
			return g.printJSON(r)
		}
		fmt.Fprintf(g.stdout, "run %s  days %s  %s  started %s  %s\n", r.RunID, strings.Join(r.Days, ","), strings.ToUpper(r.Status),
			r.StartedAt.UTC().Format(time.RFC3339), r.FinishedAt.Sub(r.StartedAt).Round(100*time.Millisecond))
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  STAGE\tDAY\tSTATUS\tSECONDS\tROWS\tREJECTS\tWHERE\tMESSAGE")
		for _, s := range r.Stages {
			where := s.ClusterType
			if s.ClusterSize != "" {
				where += " (" + s.ClusterSize + ")"
			}
			msg := strings.ReplaceAll(s.Message, "\n", " ")
			if len(msg) > 120 {
				msg = msg[:117] + "..."
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%.1f\t%d\t%d\t%s\t%s\n", s.Stage, s.Day, s.Status, s.Seconds, s.Rows, s.Rejects, where, msg)
		}
		return tw.Flush()
	}
	return usagef("no run %s in the runs table (see spotlake runs list)", o.id)
}
