package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/providers/aws"
	"github.com/spotlake/spotlake/providers/pricing"
)

type costOptions struct {
	from, to     string
	spotDiscount float64
	region       string
	refresh      bool
	types        []string
}

// newPricingAPI makes the Price List API client; tests replace it.
var newPricingAPI = func(ctx context.Context) (pricing.PricingAPI, error) {
	cfg, err := aws.Load(ctx, pricing.APIRegion)
	if err != nil {
		return nil, err
	}
	return pricing.NewClient(cfg), nil
}

func newCostCmd(g *globals) *cobra.Command {
	o := &costOptions{}
	c := &cobra.Command{
		Use:   "cost [--from YYYY-MM-DD] [--to YYYY-MM-DD]",
		Short: "Compare what the days cost on transient clusters with one always-on cluster",
		Long: `cost sums the runs table's cluster_seconds and cost_usd per stage and day for
--from..--to (default: the 7 days ending yesterday, UTC), adds the long-running
viz cluster's day (provider aws), and compares the total with the design it
replaces: one always-on cluster sized for the most expensive role, on demand,
24 hours a day.

Prices are list prices (see ` + "`spotlake cost prices`" + `); spot capacity is estimated
at a discount off on-demand EC2. EBS, data transfer, S3 and Glue are left out.
The figures are estimates for comparison, not a bill.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			to := time.Now().UTC().AddDate(0, 0, -1)
			if o.to != "" {
				d, err := parseDay("to", o.to)
				if err != nil {
					return err
				}
				to = d
			}
			from := to.AddDate(0, 0, -6)
			if o.from != "" {
				d, err := parseDay("from", o.from)
				if err != nil {
					return err
				}
				from = d
			}
			if to.Before(from) {
				return usagef("--to %s is before --from %s", o.to, o.from)
			}
			if to.Sub(from) > 3660*24*time.Hour {
				return usagef("--from %s --to %s: at most ten years at a time", o.from, o.to)
			}
			p, err := g.openPipeline(c.Context())
			if err != nil {
				return err
			}
			defer p.Close()
			prices, err := loadPrices(p.Config.State, o)
			if err != nil {
				return err
			}
			rep, err := p.CostWith(c.Context(), from, to, prices)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(rep)
			}
			printCost(g, rep)
			return nil
		},
	}
	c.Flags().StringVar(&o.from, "from", "", "first input day (YYYY-MM-DD)")
	c.Flags().StringVar(&o.to, "to", "", "last input day (YYYY-MM-DD)")
	c.Flags().Float64Var(&o.spotDiscount, "spot-discount", 0, "estimated spot saving off on-demand EC2, 0..1 (default: the price table's)")

	po := &costOptions{}
	prices := &cobra.Command{
		Use:   "prices [--region R] [--refresh]",
		Short: "Show the price table, or refresh it from the AWS Price List API",
		Long: `prices prints the on-demand EC2 (Linux) and EMR prices per instance-hour the
estimates use, with their date and source: the table built into spotlake,
overlaid with <state>/prices.json once refreshed.

--refresh asks the AWS Price List API (pricing:GetProducts, in us-east-1) for
the region's prices of every instance type in the config and the table (or
--types), writes them to <state>/prices.json and prints what changed.
Credentials come from the AWS SDK's default chain.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := optionalConfig(g, c.Flag("config").Changed)
			if err != nil {
				return err
			}
			state := ""
			region := po.region
			if cfg != nil {
				state = cfg.State
				if region == "" {
					region = cfg.AWS.Region
				}
			}
			if po.refresh {
				if state == "" {
					return usagef("--refresh writes <state>/prices.json: it needs a config (--config FILE)")
				}
				if region == "" {
					region = orchestrator.DefaultPriceRegion
				}
				return refreshPrices(c.Context(), g, cfg, state, region, po.types)
			}
			t, err := loadPrices(state, po)
			if err != nil {
				return err
			}
			if region != "" {
				if _, ok := t.Regions[region]; !ok {
					return usagef("--region %s: the table has %s; run `spotlake cost prices --region %s --refresh`", region, strings.Join(t.RegionNames(), ", "), region)
				}
			}
			if g.json {
				if region != "" {
					t = &pricing.Table{Date: t.Date, Source: t.Source, Note: t.Note, Currency: t.Currency, SpotDiscount: t.SpotDiscount,
						Regions: map[string]map[string]pricing.Price{region: t.Regions[region]}}
				}
				return g.printJSON(t)
			}
			printPrices(g, t, region)
			return nil
		},
	}
	prices.Flags().StringVar(&po.region, "region", "", "region (default: the config's aws.region; all regions without a config)")
	prices.Flags().BoolVar(&po.refresh, "refresh", false, "fetch current prices from the AWS Price List API into <state>/prices.json")
	prices.Flags().StringSliceVar(&po.types, "types", nil, "instance types to refresh (default: the config's and the table's)")
	c.AddCommand(prices)
	return c
}

// optionalConfig loads the config, or returns nil when the default config
// file does not exist (the built-in table needs none).
// A missing file named with --config is an error.
func optionalConfig(g *globals, named bool) (*config.Config, error) {
	cfg, err := g.loadConfig()
	if err == nil {
		return cfg, nil
	}
	if _, serr := os.Stat(g.configPath); errors.Is(serr, fs.ErrNotExist) && !named {
		return nil, nil
	}
	return nil, err
}

func loadPrices(state string, o *costOptions) (*pricing.Table, error) {
	t, err := pricing.Load(state)
	if err != nil {
		return nil, err
	}
	if o.spotDiscount != 0 {
		if o.spotDiscount < 0 || o.spotDiscount >= 1 {
			return nil, usagef("--spot-discount %v: a fraction in [0, 1)", o.spotDiscount)
		}
		t.SpotDiscount = o.spotDiscount
	}
	return t, nil
}

func refreshPrices(ctx context.Context, g *globals, cfg *config.Config, state, region string, types []string) error {
	before, err := pricing.Load(state)
	if err != nil {
		return err
	}
	if len(types) == 0 {
		types = append(types, before.Types(region)...)
		for _, role := range config.Roles {
			r := cfg.Clusters[role]
			types = append(types, r.Master.InstanceTypes...)
			types = append(types, r.Core.InstanceTypes...)
			if r.Task != nil {
				types = append(types, r.Task.InstanceTypes...)
			}
		}
	}
	api, err := newPricingAPI(ctx)
	if err != nil {
		return err
	}
	fresh, err := pricing.Refresh(ctx, api, region, types)
	if err != nil {
		return err
	}
	// Keep what earlier refreshes wrote for other regions.
	saved := &pricing.Table{Regions: map[string]map[string]pricing.Price{}}
	if b, err := os.ReadFile(pricing.Path(state)); err == nil {
		if t, err := pricing.Parse(b); err == nil {
			saved = t
		}
	}
	if saved.SpotDiscount != 0 && saved.SpotDiscount != pricing.DefaultSpotDiscount {
		fresh.SpotDiscount = saved.SpotDiscount // a hand-set discount survives
	}
	if err := pricing.Save(state, saved.Merge(fresh)); err != nil {
		return err
	}
	after, err := pricing.Load(state)
	if err != nil {
		return err
	}
	changes := pricing.Diff(before, after)
	if g.json {
		return g.printJSON(map[string]any{"path": pricing.Path(state), "region": region, "date": after.Date, "source": after.Source, "types": len(fresh.Regions[region]), "changes": changesOrEmpty(changes)})
	}
	w := g.stdout
	fmt.Fprintf(w, "refreshed %d instance types in %s from the AWS Price List API (published %s) into %s\n", len(fresh.Regions[region]), region, after.Date, pricing.Path(state))
	if len(changes) == 0 {
		fmt.Fprintln(w, "no price changed")
		return nil
	}
	fmt.Fprintf(w, "%d changed:\n", len(changes))
	for _, ch := range changes {
		if ch.Old == nil {
			fmt.Fprintf(w, "  %-12s %-14s new: EC2 $%.4f/h, EMR $%.4f/h\n", ch.Region, ch.InstanceType, ch.New.EC2, ch.New.EMR)
			continue
		}
		fmt.Fprintf(w, "  %-12s %-14s EC2 $%.4f → $%.4f/h, EMR $%.4f → $%.4f/h\n", ch.Region, ch.InstanceType, ch.Old.EC2, ch.New.EC2, ch.Old.EMR, ch.New.EMR)
	}
	return nil
}

func changesOrEmpty(c []pricing.Change) []pricing.Change {
	if c == nil {
		return []pricing.Change{}
	}
	return c
}

func printPrices(g *globals, t *pricing.Table, region string) {
	w := g.stdout
	fmt.Fprintf(w, "prices of %s (%s)\nsource: %s\n", t.Date, t.From, t.Source)
	if t.Note != "" {
		fmt.Fprintf(w, "note: %s\n", t.Note)
	}
	fmt.Fprintf(w, "spot: estimated at %.0f%% off on-demand EC2 (the EMR fee is not discounted)\n", t.SpotDiscount*100)
	regions := t.RegionNames()
	if region != "" {
		regions = []string{region}
	}
	for _, r := range regions {
		fmt.Fprintf(w, "\n%s, %s per instance-hour:\n  %-14s %10s %10s %10s %10s\n", r, t.Currency, "type", "EC2", "EMR", "on-demand", "spot est.")
		its := t.Types(r)
		sort.Strings(its)
		for _, it := range its {
			p := t.Regions[r][it]
			fmt.Fprintf(w, "  %-14s %10.4f %10.4f %10.4f %10.4f\n", it, p.EC2, p.EMR, p.OnDemand(), p.Spot(t.SpotDiscount))
		}
	}
}

func printCost(g *globals, rep *orchestrator.CostReport) {
	w := g.stdout
	fmt.Fprintf(w, "cost of %s..%s (%d days), pipeline on provider %s, prices of %s in %s\n\n", rep.From, rep.To, rep.Days, rep.Provider, rep.Prices.Date, rep.Prices.Region)
	fmt.Fprintf(w, "  %-10s %12s %10s %12s %12s %12s %12s\n", "day", "node-hours", "runs $", "long-run $", "transient $", "always-on $", "saving $")
	for _, d := range rep.PerDay {
		fmt.Fprintf(w, "  %-10s %12.1f %10.2f %12.2f %12.2f %12.2f %12.2f\n", d.Day, d.ClusterSeconds/3600, d.RunsUSD, d.LongRunningUSD, d.TransientUSD, d.BaselineUSD, d.BaselineUSD-d.TransientUSD)
	}
	fmt.Fprintf(w, "  %-10s %12.1f %10.2f %12.2f %12.2f %12.2f %12.2f\n", "total", rep.ClusterSeconds/3600, rep.RunsUSD, rep.LongRunningUSD, rep.TransientUSD, rep.Baseline.USD, rep.SavingUSD)
	if len(rep.Stages) > 0 {
		fmt.Fprintf(w, "\nper stage:\n")
		for _, s := range rep.Stages {
			fmt.Fprintf(w, "  %-10s %4d rows %12.1f node-hours  $%.2f\n", s.Stage, s.Rows, s.ClusterSeconds/3600, s.CostUSD)
		}
	}
	var fl []string
	for _, f := range rep.Baseline.Fleets {
		fl = append(fl, fmt.Sprintf("%s %d × %s", f.Fleet, f.Count, f.InstanceType))
	}
	fmt.Fprintf(w, "\nalways-on baseline: one %s-sized cluster (%s), on demand, $%.4f/h × %.0f h = $%.2f\n", rep.Baseline.Role, strings.Join(fl, ", "), rep.Baseline.HourlyUSD, rep.Baseline.Hours, rep.Baseline.USD)
	fmt.Fprintf(w, "transient: $%.2f; saving: $%.2f (%.1f%%)\n", rep.TransientUSD, rep.SavingUSD, rep.SavingPct)
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
