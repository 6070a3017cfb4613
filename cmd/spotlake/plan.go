package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

type planOptions struct{ date string }

func newPlanCmd(g *globals) *cobra.Command {
	o := &planOptions{}
	c := &cobra.Command{
		Use:   "plan [--date YYYY-MM-DD]",
		Short: "Show what a run would read, provision and write, without writing anything",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			ro := &runOptions{date: o.date}
			days, err := ro.days(cfg, time.Now())
			if err != nil {
				return err
			}
			p, err := g.openPipeline(c.Context())
			if err != nil {
				return err
			}
			defer p.Close()
			pl, err := p.Plan(c.Context(), days[0])
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(pl)
			}
			w := g.stdout
			fmt.Fprintf(w, "plan for %s, pipeline %s (provider %s)\n\ninputs:\n", pl.Date, pl.Pipeline, pl.Provider)
			fmt.Fprintf(w, "  %-12s %-11s %8s %12s %8s %12s  %s\n", "source", "format", "objects", "bytes", "new", "new bytes", "prefix")
			var n, nn int
			var b, nb int64
			for _, s := range pl.Sources {
				fmt.Fprintf(w, "  %-12s %-11s %8d %12s %8d %12s  %s\n", s.Source, s.Format, s.Objects, humanBytes(float64(s.Bytes)), s.New, humanBytes(float64(s.NewBytes)), s.Prefix)
				if s.Ignored > 0 {
					fmt.Fprintf(w, "  %-12s %d objects ignored: their names match no pattern\n", "", s.Ignored)
				}
				n, nn, b, nb = n+s.Objects, nn+s.New, b+s.Bytes, nb+s.NewBytes
			}
			fmt.Fprintf(w, "  %-12s %-11s %8d %12s %8d %12s\n\ncompute:\n", "total", "", n, humanBytes(float64(b)), nn, humanBytes(float64(nb)))
			for _, cl := range pl.Clusters {
				fmt.Fprintf(w, "  %-7s %s", cl.Role, cl.Where)
				if cl.InstanceType != "" {
					fmt.Fprintf(w, ": %d x %s, max runtime %s", cl.InstanceCount, cl.InstanceType, cl.MaxRuntime)
				}
				if cl.Note != "" {
					fmt.Fprintf(w, " (%s)", cl.Note)
				}
				fmt.Fprintln(w)
			}
			fmt.Fprintln(w, "\nwrites:")
			for _, t := range pl.Writes {
				fmt.Fprintf(w, "  %s\n", t)
			}
			if cfg := p.Config; cfg.Provider == "aws" {
				fmt.Fprintf(w, "\nestimated cost: at most $%.2f (each transient cluster for its max_runtime, the viz cluster for a day; list prices, see spotlake cost prices)\n", pl.CostUSD)
			} else {
				fmt.Fprintf(w, "\nestimated cost: $%.2f (this machine)\n", pl.CostUSD)
			}
			return nil
		},
	}
	c.Flags().StringVar(&o.date, "date", "", "day to plan (YYYY-MM-DD); default: the scheduled day")
	return c
}
