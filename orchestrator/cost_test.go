package orchestrator_test

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/providers/pricing"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/commit"
	"github.com/spotlake/spotlake/stages/tableio"
)

func awsExample(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "examples", "aws.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.006 }

func TestEstimateRole(t *testing.T) {
	cfg := awsExample(t)
	prices, err := pricing.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	// ingest: m6i.xlarge master + 2 core on demand, 4 spot m6i.xlarge tasks.
	rc, err := orchestrator.EstimateRole(cfg, prices, "ingest", 2)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := prices.Lookup("us-east-1", "m6i.xlarge")
	wantHourly := 3*p.OnDemand() + 4*p.Spot(prices.SpotDiscount)
	if rc.Nodes != 7 || rc.NodeHours != 14 || !near(rc.HourlyUSD, wantHourly) || !near(rc.USD, 2*wantHourly) {
		t.Errorf("ingest: %+v, want 7 nodes, 14 node-hours, $%.4f/h", rc, wantHourly)
	}
	if !near(rc.OnDemandHourlyUSD, 7*p.OnDemand()) || len(rc.Fleets) != 3 || !rc.Fleets[2].Spot {
		t.Errorf("ingest fleets: %+v", rc)
	}
	// viz has no task fleet.
	viz, err := orchestrator.EstimateRole(cfg, prices, "viz", 24)
	if err != nil || viz.Nodes != 2 || len(viz.Fleets) != 2 {
		t.Errorf("viz: %+v %v", viz, err)
	}
	// A type the table lacks is named, with the way to refresh.
	cfg.Clusters["ml"] = withMaster(cfg.Clusters["ml"], "x2iedn.32xlarge")
	if _, err := orchestrator.EstimateRole(cfg, prices, "ml", 1); err == nil || !strings.Contains(err.Error(), "x2iedn.32xlarge") || !strings.Contains(err.Error(), "--refresh") {
		t.Errorf("unknown type: %v", err)
	}

	est, err := orchestrator.EstimateRun(awsExample(t), prices)
	if err != nil {
		t.Fatal(err)
	}
	if len(est.Roles) != 2 || est.Roles[0].Hours != 2 || est.Roles[1].Hours != 3 || len(est.LongRunning) != 1 || est.LongRunning[0].Role != "viz" {
		t.Fatalf("run estimate: %+v", est)
	}
	if !near(est.MaxUSD, est.Roles[0].USD+est.Roles[1].USD) || est.Prices.Region != "us-east-1" || est.Prices.Date == "" {
		t.Errorf("run estimate: %+v", est)
	}
	pl := &orchestrator.Plan{Clusters: []orchestrator.ClusterPlan{{Role: "ingest", Where: "EMR"}}}
	pl.AddCost(est)
	if pl.CostUSD != est.MaxUSD || !strings.Contains(pl.Clusters[0].Note, "for 2h") {
		t.Errorf("plan: %+v", pl)
	}
}

func withMaster(r config.Role, it string) config.Role {
	r.Master.InstanceTypes = []string{it}
	return r
}

type runRow struct {
	run, stage string
	day        time.Time
	seconds    float64
	clusterSec float64
	cost       float64
}

// writeRuns appends rows to the runs table the way recordStage does.
func writeRuns(t *testing.T, pl *orchestrator.Pipeline, rows []runRow) {
	t.Helper()
	ctx := context.Background()
	tbl, err := pl.Table(ctx, schemas.Runs)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i, r := range rows {
		files, err := tableio.Write(ctx, tbl, func(f arrow.Field, b array.Builder) error {
			s := func(v string) { tableio.AppendString(f, b, v) }
			switch f.Name {
			case "run_id":
				s(r.run)
			case "stage":
				s(r.stage)
			case "input_day":
				b.(*array.Date32Builder).Append(arrow.Date32FromTime(r.day))
			case "status":
				s(orchestrator.StatusSucceeded)
			case "started_at", "finished_at":
				b.(*array.TimestampBuilder).Append(arrow.Timestamp(now.Add(time.Duration(i) * time.Minute).UnixMicro()))
			case "seconds":
				b.(*array.Float64Builder).Append(r.seconds)
			case "cluster_seconds":
				b.(*array.Float64Builder).Append(r.clusterSec)
			case "cost_usd":
				b.(*array.Float64Builder).Append(r.cost)
			case "cluster_type":
				s("emr")
			default:
				b.AppendNull()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := pl.Committer.Commit(ctx, commit.Intent{
			ID: commit.NewID(r.run, 9000+i), RunID: r.run, Created: now,
			Changes: []commit.Change{{Table: schemas.Runs, Add: files}},
		}); err != nil {
			t.Fatal(err)
		}
		if tbl, err = pl.Table(ctx, schemas.Runs); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCost(t *testing.T) {
	proj := testutil.NewProject(t)
	pl := proj.Open(t)
	ctx := context.Background()
	prices, err := pricing.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	d1 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	d2, d3, d0 := d1.AddDate(0, 0, 1), d1.AddDate(0, 0, 2), d1.AddDate(0, 0, -1)

	// No runs table yet: the baseline alone.
	rep, err := pl.CostWith(ctx, d1, d3, prices)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Days != 3 || len(rep.PerDay) != 3 || rep.TransientUSD != 0 || rep.Baseline.USD <= 0 || rep.SavingPct != 100 {
		t.Fatalf("empty: %+v", rep)
	}

	writeRuns(t, pl, []runRow{
		{"r0", "ingest", d0, 100, 700, 9.99}, // outside the range
		{"r1", "ingest", d1, 1800, 7 * 1800, 1.25},
		{"r1", "detect", d1, 600, 5 * 600, 0.50},
		{"r1", "oa", d1, 60, 5 * 60, 0.05},
		{"r2", "ingest", d2, 2400, 7 * 2400, 1.50},
		{"r3", "ingest", d2, 300, 7 * 300, 0.20}, // a rerun of the day
	})
	pl.Config.Provider = "aws"
	pl.Config.AWS.Region = "us-east-1"
	rep, err = pl.CostWith(ctx, d1, d3, prices)
	if err != nil {
		t.Fatal(err)
	}
	// Baseline: the ml role (5 × r6i.2xlarge by default) on demand, 72 h.
	ml, _ := prices.Lookup("us-east-1", "r6i.2xlarge")
	if rep.Baseline.Role != "ml" || rep.Baseline.Nodes != 5 || !near(rep.Baseline.HourlyUSD, 5*ml.OnDemand()) || !near(rep.Baseline.USD, 72*5*ml.OnDemand()) || rep.Baseline.Hours != 72 {
		t.Errorf("baseline: %+v", rep.Baseline)
	}
	viz, _ := orchestrator.EstimateRole(pl.Config, prices, "viz", 24)
	if rep.PerDay[0].Day != "2026-03-01" || !near(rep.PerDay[0].RunsUSD, 1.80) || len(rep.PerDay[0].Stages) != 3 || rep.PerDay[0].Stages[1].Stage != "detect" {
		t.Errorf("day 1: %+v", rep.PerDay[0])
	}
	if !near(rep.PerDay[1].RunsUSD, 1.70) || rep.PerDay[1].Stages[0].Rows != 2 || rep.PerDay[1].ClusterSeconds != 7*2700 {
		t.Errorf("day 2: %+v", rep.PerDay[1])
	}
	if rep.PerDay[2].RunsUSD != 0 || len(rep.PerDay[2].Stages) != 0 || !near(rep.PerDay[2].LongRunningUSD, viz.USD) {
		t.Errorf("day 3: %+v", rep.PerDay[2])
	}
	if !near(rep.RunsUSD, 3.50) || !near(rep.LongRunningUSD, 3*viz.USD) || !near(rep.TransientUSD, 3.50+3*viz.USD) {
		t.Errorf("totals: runs %v long %v transient %v", rep.RunsUSD, rep.LongRunningUSD, rep.TransientUSD)
	}
	if !near(rep.SavingUSD, rep.Baseline.USD-rep.TransientUSD) || math.Abs(rep.SavingPct-100*rep.SavingUSD/rep.Baseline.USD) > 0.06 || rep.SavingPct <= 0 {
		t.Errorf("saving %v (%v%%) of %v", rep.SavingUSD, rep.SavingPct, rep.Baseline.USD)
	}
	if len(rep.Stages) != 3 || rep.Stages[0].Stage != "ingest" || rep.Stages[0].Rows != 3 || !near(rep.Stages[0].CostUSD, 2.95) {
		t.Errorf("stages: %+v", rep.Stages)
	}
	if _, err := pl.CostWith(ctx, d3, d1, prices); err == nil {
		t.Error("to before from: no error")
	}

	// The expected run cost from the latest runs' wall time.
	est, err := pl.EstimateRun(ctx, prices)
	if err != nil {
		t.Fatal(err)
	}
	if len(est.Expected) != 2 || est.ExpectedUSD <= 0 || est.ExpectedUSD >= est.MaxUSD {
		t.Fatalf("expected: %+v", est)
	}
	// ingest: runs r0..r3 took 100, 1800, 2400, 300 s: 1150 s on average.
	if got := est.Expected[0].Hours; math.Abs(got-1150.0/3600) > 1e-9 {
		t.Errorf("ingest expected hours %v", got)
	}
}
