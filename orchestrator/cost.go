package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	icat "github.com/apache/iceberg-go/catalog"

	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/providers/catalog"
	"github.com/spotlake/spotlake/providers/pricing"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/tableio"
)

// DefaultPriceRegion prices a config that names no aws.region (provider
// local): the comparison still needs some region's prices.
const DefaultPriceRegion = "us-east-1"

// StageRoles maps each stage to the compute role it runs on with provider
// aws: ingest on the ingest cluster, detect and oa on the ml cluster, the
// hot cache on the viz cluster.
var StageRoles = map[string]string{
	StageIngest: "ingest",
	StageDetect: "ml",
	StageOA:     "ml",
	StageCache:  "viz",
}

// FleetCost prices one instance fleet of a role.
type FleetCost struct {
	Fleet        string `json:"fleet"` // master, core, task
	InstanceType string `json:"instance_type"`
	Count        int    `json:"count"`
	Spot         bool   `json:"spot,omitempty"`
	// NodeHourlyUSD is one node's price per hour: EC2 + EMR fee, EC2 at the
	// spot discount for a spot fleet.
	NodeHourlyUSD float64 `json:"node_hourly_usd"`
}

// RoleCost is the estimated cost of one role's cluster for some hours.
type RoleCost struct {
	Role  string  `json:"role"`
	Hours float64 `json:"hours"`
	Nodes int     `json:"nodes"`
	// NodeHours is Nodes × Hours.
	NodeHours float64 `json:"node_hours"`
	// HourlyUSD is the whole cluster per hour as configured (spot fleets at
	// the estimated spot price).
	HourlyUSD float64 `json:"hourly_usd"`
	// OnDemandHourlyUSD is the same cluster with every node on demand.
	OnDemandHourlyUSD float64 `json:"on_demand_hourly_usd"`
	// USD is HourlyUSD × Hours.
	USD    float64     `json:"usd"`
	Fleets []FleetCost `json:"fleets"`
}

// EstimateRole prices cfg's cluster for role running hours, in cfg's
// aws.region (DefaultPriceRegion when none). Each fleet is priced at its
// first instance type (the preferred one); a spot fleet at the table's spot
// estimate. Provisioning time, EBS and data transfer are not included.
func EstimateRole(cfg *config.Config, prices *pricing.Table, role string, hours float64) (RoleCost, error) {
	r, ok := cfg.Clusters[role]
	if !ok {
		return RoleCost{}, fmt.Errorf("no cluster role %q; roles are %v", role, config.Roles)
	}
	region := priceRegion(cfg)
	rc := RoleCost{Role: role, Hours: hours}
	fleets := []struct {
		name string
		f    *config.Fleet
	}{{"master", &r.Master}, {"core", &r.Core}, {"task", r.Task}}
	for _, fl := range fleets {
		if fl.f == nil || fl.f.Count <= 0 {
			continue
		}
		if len(fl.f.InstanceTypes) == 0 {
			return RoleCost{}, fmt.Errorf("clusters.%s.%s: no instance type to price", role, fl.name)
		}
		it := fl.f.InstanceTypes[0]
		p, err := prices.Lookup(region, it)
		if err != nil {
			return RoleCost{}, fmt.Errorf("clusters.%s.%s: %w", role, fl.name, err)
		}
		node := p.OnDemand()
		if fl.f.Spot {
			node = p.Spot(prices.SpotDiscount)
		}
		rc.Fleets = append(rc.Fleets, FleetCost{Fleet: fl.name, InstanceType: it, Count: fl.f.Count, Spot: fl.f.Spot, NodeHourlyUSD: round6(node)})
		rc.Nodes += fl.f.Count
		rc.HourlyUSD += node * float64(fl.f.Count)
		rc.OnDemandHourlyUSD += p.OnDemand() * float64(fl.f.Count)
	}
	rc.NodeHours = float64(rc.Nodes) * hours
	rc.USD = round2(rc.HourlyUSD * hours)
	rc.HourlyUSD = round6(rc.HourlyUSD)
	rc.OnDemandHourlyUSD = round6(rc.OnDemandHourlyUSD)
	return rc, nil
}

func priceRegion(cfg *config.Config) string {
	if cfg.AWS.Region != "" {
		return cfg.AWS.Region
	}
	return DefaultPriceRegion
}

// PriceInfo says which prices an estimate used.
type PriceInfo struct {
	Region       string  `json:"region"`
	Date         string  `json:"date"`
	Source       string  `json:"source"`
	From         string  `json:"from"` // embedded or the refreshed file
	SpotDiscount float64 `json:"spot_discount"`
}

func priceInfo(cfg *config.Config, t *pricing.Table) PriceInfo {
	return PriceInfo{Region: priceRegion(cfg), Date: t.Date, Source: t.Source, From: t.From, SpotDiscount: t.SpotDiscount}
}

// RunEstimate is the estimated compute cost of one daily run on EMR.
type RunEstimate struct {
	Prices PriceInfo `json:"prices"`
	// Roles are the transient roles (those with a max_runtime) at their
	// max_runtime: the upper bound of a run.
	Roles []RoleCost `json:"roles"`
	// MaxUSD is the sum of Roles: a run that hits every deadline.
	MaxUSD float64 `json:"max_usd"`
	// Expected are the same roles for their mean duration over the last
	// runs in the runs table (absent without history).
	Expected    []RoleCost `json:"expected,omitempty"`
	ExpectedUSD float64    `json:"expected_usd,omitempty"`
	// LongRunning are the roles without max_runtime (viz), for 24 hours.
	LongRunning []RoleCost `json:"long_running,omitempty"`
	// DailyUSD is MaxUSD plus the long-running roles' day.
	DailyUSD float64 `json:"daily_usd"`
}

// EstimateRun prices a run of cfg: each role with a max_runtime for that
// long, the others (viz) as long-running for a day.
func EstimateRun(cfg *config.Config, prices *pricing.Table) (*RunEstimate, error) {
	est := &RunEstimate{Prices: priceInfo(cfg, prices)}
	for _, role := range config.Roles {
		r := cfg.Clusters[role]
		if r.MaxRuntime.Duration > 0 {
			rc, err := EstimateRole(cfg, prices, role, r.MaxRuntime.Hours())
			if err != nil {
				return nil, err
			}
			est.Roles = append(est.Roles, rc)
			est.MaxUSD += rc.USD
			continue
		}
		rc, err := EstimateRole(cfg, prices, role, 24)
		if err != nil {
			return nil, err
		}
		est.LongRunning = append(est.LongRunning, rc)
		est.DailyUSD += rc.USD
	}
	est.MaxUSD = round2(est.MaxUSD)
	est.DailyUSD = round2(est.DailyUSD + est.MaxUSD)
	return est, nil
}

// expectedRuns is how many of the latest runs the expected cost averages.
const expectedRuns = 7

// EstimateRun prices a run of the pipeline's config (EstimateRun) and adds
// the expected cost: each transient role for the mean wall time its stages
// took over the latest runs in the runs table, when there are any.
func (p *Pipeline) EstimateRun(ctx context.Context, prices *pricing.Table) (*RunEstimate, error) {
	est, err := EstimateRun(p.Config, prices)
	if err != nil {
		return nil, err
	}
	tbl, err := p.Catalog.LoadTable(ctx, catalog.Ident(p.Config.Pipeline, schemas.Runs))
	if errors.Is(err, icat.ErrNoSuchTable) || errors.Is(err, icat.ErrNoSuchNamespace) {
		return est, nil
	}
	if err != nil {
		return nil, err
	}
	type run struct {
		last    time.Time
		seconds map[string]float64 // role → seconds
	}
	runs := map[string]*run{}
	err = tableio.Scan(ctx, tbl, nil, []string{"run_id", "stage", "finished_at", "seconds"}, func(r tableio.Row) error {
		role, ok := StageRoles[r.Str("stage")]
		if !ok {
			return nil
		}
		id := r.Str("run_id")
		ru := runs[id]
		if ru == nil {
			ru = &run{seconds: map[string]float64{}}
			runs[id] = ru
		}
		if t := r.Time("finished_at"); t.After(ru.last) {
			ru.last = t
		}
		ru.seconds[role] += r.Float64("seconds")
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return est, nil
	}
	latest := make([]*run, 0, len(runs))
	for _, r := range runs {
		latest = append(latest, r)
	}
	sort.Slice(latest, func(i, j int) bool { return latest[i].last.After(latest[j].last) })
	latest = latest[:min(len(latest), expectedRuns)]
	for _, rc := range est.Roles {
		var sum float64
		for _, r := range latest {
			sum += r.seconds[rc.Role]
		}
		hours := sum / float64(len(latest)) / 3600
		if max := rc.Hours; hours > max {
			hours = max
		}
		e, err := EstimateRole(p.Config, prices, rc.Role, hours)
		if err != nil {
			return nil, err
		}
		est.Expected = append(est.Expected, e)
		est.ExpectedUSD += e.USD
	}
	est.ExpectedUSD = round2(est.ExpectedUSD)
	return est, nil
}

// AddCost puts an estimate into a plan: the run's upper bound in CostUSD and
// each EMR cluster's estimate in its note.
func (pl *Plan) AddCost(est *RunEstimate) {
	pl.CostUSD = est.MaxUSD
	byRole := map[string]RoleCost{}
	for _, rc := range est.Roles {
		byRole[rc.Role] = rc
	}
	for _, rc := range est.LongRunning {
		byRole[rc.Role] = rc
	}
	for i := range pl.Clusters {
		cp := &pl.Clusters[i]
		rc, ok := byRole[cp.Role]
		if !ok || cp.Where != "EMR" {
			continue
		}
		note := fmt.Sprintf("≈ $%.2f/h, at most $%.2f for %s", rc.HourlyUSD, rc.USD, fmtHours(rc.Hours))
		if cp.Note != "" {
			note = cp.Note + "; " + note
		}
		cp.Note = note
	}
}

func fmtHours(h float64) string {
	s := time.Duration(h * float64(time.Hour)).Round(time.Minute).String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// StageCost sums the runs table's rows of one stage.
type StageCost struct {
	Stage string `json:"stage"`
	Rows  int    `json:"rows"`
	// ClusterSeconds is node-seconds of compute.
	ClusterSeconds float64 `json:"cluster_seconds"`
	CostUSD        float64 `json:"cost_usd"`
}

// DayCost is one input day: the transient design's cost from the runs
// table, and the always-on baseline's day.
type DayCost struct {
	Day    string      `json:"day"`
	Stages []StageCost `json:"stages"`
	// ClusterSeconds and RunsUSD sum the stages.
	ClusterSeconds float64 `json:"cluster_seconds"`
	RunsUSD        float64 `json:"runs_usd"`
	// LongRunningUSD is the long-running viz cluster's day (provider aws).
	LongRunningUSD float64 `json:"long_running_usd"`
	// TransientUSD is RunsUSD + LongRunningUSD: what the design costs.
	TransientUSD float64 `json:"transient_usd"`
	BaselineUSD  float64 `json:"baseline_usd"`
}

// Baseline is the Cloudera-era design spotlake replaces: one always-on
// cluster, sized for the largest stage, all on demand, 24 hours a day.
type Baseline struct {
	// Role is the most expensive role; the baseline cluster is its size.
	Role      string      `json:"role"`
	Nodes     int         `json:"nodes"`
	Fleets    []FleetCost `json:"fleets"`
	HourlyUSD float64     `json:"hourly_usd"`
	Hours     float64     `json:"hours"`
	USD       float64     `json:"usd"`
}

// CostReport compares what the days cost on transient clusters with the
// always-on baseline.
type CostReport struct {
	From     string    `json:"from"`
	To       string    `json:"to"`
	Days     int       `json:"days"`
	Provider string    `json:"provider"`
	Prices   PriceInfo `json:"prices"`
	PerDay   []DayCost `json:"per_day"`
	// Stages sums each stage over the days, in pipeline order.
	Stages         []StageCost `json:"stages"`
	ClusterSeconds float64     `json:"cluster_seconds"`
	RunsUSD        float64     `json:"runs_usd"`
	LongRunningUSD float64     `json:"long_running_usd"`
	TransientUSD   float64     `json:"transient_usd"`
	Baseline       Baseline    `json:"baseline"`
	// SavingUSD is Baseline.USD - TransientUSD; SavingPct is it as a
	// percentage of the baseline.
	SavingUSD float64 `json:"saving_usd"`
	SavingPct float64 `json:"saving_pct"`
	// Notes say what the figures leave out.
	Notes []string `json:"notes"`
}

// Cost compares the days from..to (inclusive) as run (the runs table's
// cluster_seconds and cost_usd, per stage and day) with the always-on
// baseline, with the prices of Load(state folder).
func (p *Pipeline) Cost(ctx context.Context, from, to time.Time) (*CostReport, error) {
	prices, err := pricing.Load(p.Config.State)
	if err != nil {
		return nil, err
	}
	return p.CostWith(ctx, from, to, prices)
}

// CostWith is Cost with the given prices.
func (p *Pipeline) CostWith(ctx context.Context, from, to time.Time, prices *pricing.Table) (*CostReport, error) {
	from, to = dayOf(from), dayOf(to)
	if to.Before(from) {
		return nil, fmt.Errorf("cost: --to %s is before --from %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	days := int(to.Sub(from).Hours()/24) + 1
	rep := &CostReport{
		From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Days: days,
		Provider: p.Config.Provider, Prices: priceInfo(p.Config, prices),
	}

	// The baseline: the most expensive role's cluster, all on demand.
	var base RoleCost
	for _, role := range config.Roles {
		rc, err := EstimateRole(p.Config, prices, role, 24)
		if err != nil {
			return nil, err
		}
		if rc.OnDemandHourlyUSD > base.OnDemandHourlyUSD {
			base = rc
		}
	}
	baseDay := base.OnDemandHourlyUSD * 24
	rep.Baseline = Baseline{Role: base.Role, Nodes: base.Nodes, HourlyUSD: base.OnDemandHourlyUSD, Hours: float64(24 * days), USD: round2(baseDay * float64(days))}
	for _, f := range base.Fleets {
		f.Spot = false
		pr, _ := prices.Lookup(priceRegion(p.Config), f.InstanceType)
		f.NodeHourlyUSD = round6(pr.OnDemand())
		rep.Baseline.Fleets = append(rep.Baseline.Fleets, f)
	}

	// The long-running roles (viz) cost their day in the transient design
	// too; the runs table does not record them.
	var longDay float64
	if p.Config.Provider == "aws" {
		for _, role := range config.Roles {
			if p.Config.Clusters[role].MaxRuntime.Duration > 0 {
				continue
			}
			rc, err := EstimateRole(p.Config, prices, role, 24)
			if err != nil {
				return nil, err
			}
			longDay += rc.USD
			rep.Notes = append(rep.Notes, fmt.Sprintf("the long-running %s cluster is estimated at $%.2f/day from its configured size (it is not in the runs table)", role, rc.USD))
		}
	} else {
		rep.Notes = append(rep.Notes, fmt.Sprintf("provider %s: stages ran on this machine, so the runs table records no cloud cost; the baseline is priced as if on EMR", p.Config.Provider))
	}

	per := map[string]map[string]*StageCost{} // day → stage → sums
	unpriced := 0
	tbl, err := p.Catalog.LoadTable(ctx, catalog.Ident(p.Config.Pipeline, schemas.Runs))
	switch {
	case errors.Is(err, icat.ErrNoSuchTable) || errors.Is(err, icat.ErrNoSuchNamespace):
	case err != nil:
		return nil, err
	default:
		filter := iceberg.NewAnd(
			iceberg.GreaterThanEqual(iceberg.Reference("input_day"), iceberg.Date(from.Unix()/86400)),
			iceberg.LessThanEqual(iceberg.Reference("input_day"), iceberg.Date(to.Unix()/86400)))
		err = tableio.Scan(ctx, tbl, filter, []string{"stage", "input_day", "cluster_type", "cluster_seconds", "cost_usd"}, func(r tableio.Row) error {
			day := r.Date("input_day")
			if day.Before(from) || day.After(to) {
				return nil
			}
			d := day.Format(time.DateOnly)
			if per[d] == nil {
				per[d] = map[string]*StageCost{}
			}
			st := r.Str("stage")
			sc := per[d][st]
			if sc == nil {
				sc = &StageCost{Stage: st}
				per[d][st] = sc
			}
			sc.Rows++
			sc.ClusterSeconds += r.Float64("cluster_seconds")
			sc.CostUSD += r.Float64("cost_usd")
			if r.Str("cluster_type") == "emr" && r.Float64("cluster_seconds") > 0 && r.Float64("cost_usd") == 0 {
				unpriced++
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if unpriced > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d EMR stage rows have compute but no cost_usd; they count as $0", unpriced))
	}

	totals := map[string]*StageCost{}
	for i := 0; i < days; i++ {
		d := from.AddDate(0, 0, i).Format(time.DateOnly)
		dc := DayCost{Day: d, Stages: []StageCost{}, LongRunningUSD: round2(longDay), BaselineUSD: round2(baseDay)}
		for _, sc := range sortStages(per[d]) {
			sc.ClusterSeconds = round2(sc.ClusterSeconds)
			dc.Stages = append(dc.Stages, sc)
			dc.ClusterSeconds += sc.ClusterSeconds
			dc.RunsUSD += sc.CostUSD
			t := totals[sc.Stage]
			if t == nil {
				t = &StageCost{Stage: sc.Stage}
				totals[sc.Stage] = t
			}
			t.Rows += sc.Rows
			t.ClusterSeconds += sc.ClusterSeconds
			t.CostUSD += sc.CostUSD
		}
		dc.RunsUSD = round2(dc.RunsUSD)
		dc.TransientUSD = round2(dc.RunsUSD + dc.LongRunningUSD)
		rep.PerDay = append(rep.PerDay, dc)
		rep.ClusterSeconds += dc.ClusterSeconds
		rep.RunsUSD += dc.RunsUSD
		rep.LongRunningUSD += dc.LongRunningUSD
	}
	rep.Stages = sortStages(totals)
	rep.ClusterSeconds = round2(rep.ClusterSeconds)
	rep.RunsUSD = round2(rep.RunsUSD)
	rep.LongRunningUSD = round2(rep.LongRunningUSD)
	rep.TransientUSD = round2(rep.RunsUSD + rep.LongRunningUSD)
	rep.SavingUSD = round2(rep.Baseline.USD - rep.TransientUSD)
	if rep.Baseline.USD > 0 {
		rep.SavingPct = math.Round(rep.SavingUSD/rep.Baseline.USD*1000) / 10
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("baseline: one always-on %s-sized cluster (%d nodes, on demand) for %d days at $%.4f/h", base.Role, base.Nodes, days, base.OnDemandHourlyUSD),
		"list prices of "+prices.Date+"; spot is estimated at "+fmt.Sprintf("%.0f%%", prices.SpotDiscount*100)+" off on-demand EC2; EBS, data transfer, S3 and Glue are not included")
	return rep, nil
}

// sortStages returns the stages in pipeline order, unknown ones after by name.
func sortStages(m map[string]*StageCost) []StageCost {
	out := make([]StageCost, 0, len(m))
	for _, sc := range m {
		s := *sc
		s.CostUSD = round6(s.CostUSD)
		out = append(out, s)
	}
	rank := func(s string) int {
		for i, x := range Stages {
			if x == s {
				return i
			}
		}
		return len(Stages)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := rank(out[i].Stage), rank(out[j].Stage)
		if ri != rj {
			return ri < rj
		}
		return out[i].Stage < out[j].Stage
	})
	return out
}

func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
