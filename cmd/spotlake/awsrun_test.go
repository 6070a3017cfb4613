package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkemr "github.com/aws/aws-sdk-go-v2/service/emr"
	"github.com/aws/aws-sdk-go-v2/service/emr/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/providers/aws/awstest"
	"github.com/spotlake/spotlake/providers/compute/emr"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/ingest/gen"
)

// stepRunner is moto's EMR over the wire, with the one thing moto cannot
// do done for real: a cluster's steps run, in order, as the spotlake
// command each step names (here, in this process, against the same
// emulated S3 and Glue), and a transient cluster whose steps are done is
// terminated through moto, as EMR terminates it.
type stepRunner struct {
	emr.API
	config string // the local config standing for /etc/spotlake/spotlake.yaml
	t      *testing.T
	mu     sync.Mutex
	ran    map[string]types.StepState // step id → outcome
}

func (s *stepRunner) ListSteps(ctx context.Context, in *sdkemr.ListStepsInput, opt ...func(*sdkemr.Options)) (*sdkemr.ListStepsOutput, error) {
	out, err := s.API.ListSteps(ctx, in, opt...)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// EMR lists the newest step first; steps run oldest first.
	steps := slices.Clone(out.Steps)
	slices.Reverse(steps)
	failed := false
	for _, st := range steps {
		id := aws.ToString(st.Id)
		if _, done := s.ran[id]; !done {
			switch {
			case failed:
				s.ran[id] = types.StepStateCancelled
			default:
				args := st.Config.Args
				if len(args) < 3 || args[0] != "spotlake" || args[1] != "--config" {
					s.t.Errorf("step %s runs %v, not spotlake --config ...", id, args)
					s.ran[id] = types.StepStateFailed
					break
				}
				code, stdout, stderr := cli(s.t, append([]string{"--config", s.config}, args[3:]...)...)
				s.ran[id] = types.StepStateCompleted
				if code != ExitOK {
					s.t.Logf("step %v: exit %d\n%s%s", args[3:], code, stdout, stderr)
					s.ran[id] = types.StepStateFailed
				}
			}
		}
		failed = failed || s.ran[id] == types.StepStateFailed
	}
	for i := range out.Steps {
		st := s.ran[aws.ToString(out.Steps[i].Id)]
		out.Steps[i].Status = &types.StepStatus{State: st}
	}
	return out, nil
}

func (s *stepRunner) DescribeCluster(ctx context.Context, in *sdkemr.DescribeClusterInput, opt ...func(*sdkemr.Options)) (*sdkemr.DescribeClusterOutput, error) {
	out, err := s.API.DescribeCluster(ctx, in, opt...)
	if err != nil || out.Cluster == nil || aws.ToBool(out.Cluster.AutoTerminate) == false {
		return out, err
	}
	steps, err := s.API.ListSteps(ctx, &sdkemr.ListStepsInput{ClusterId: in.ClusterId})
	if err != nil || len(steps.Steps) == 0 {
		return out, err
	}
	s.mu.Lock()
	failed := false
	for _, st := range steps.Steps {
		state, ran := s.ran[aws.ToString(st.Id)]
		if !ran {
			s.mu.Unlock()
			return out, nil
		}
		failed = failed || state == types.StepStateFailed
	}
	s.mu.Unlock()
	if _, err := s.API.TerminateJobFlows(ctx, &sdkemr.TerminateJobFlowsInput{JobFlowIds: []string{aws.ToString(in.ClusterId)}}); err != nil {
		return nil, err
	}
	out.Cluster.Status = &types.ClusterStatus{State: types.ClusterStateTerminated,
		StateChangeReason: &types.ClusterStateChangeReason{Code: types.ClusterStateChangeReasonCodeAllStepsCompleted, Message: aws.String("Steps completed")}}
	if failed {
		out.Cluster.Status.State = types.ClusterStateTerminatedWithErrors
		out.Cluster.Status.StateChangeReason.Code = types.ClusterStateChangeReasonCodeStepFailure
	}
	return out, nil
}

// A whole daily run with provider aws against moto's S3, Glue and EMR:
// clusters are created per role with their tags and steps and are gone
// after; the tables are in Glue with their metadata and data in S3; the
// events read back equal what was generated.
// awsDay sets up a daily run on moto: the example AWS config (edited by
// edit), a generated day of three sources uploaded to S3 where they are
// read, and EMR steps run by stepRunner. It returns the config and the
// number of events generated.
func awsDay(t *testing.T, m *awstest.Moto, edit func(string) string) (string, *config.Config, int) {
	t.Helper()
	ctx := context.Background()
	cfgPath, cfg := testutil.AWSProject(t, m, "../../examples", func(y string) string {
		y = strings.Replace(y, "sources:\n", "ingest:\n  drain_window: 50ms\n  poll_interval: 20ms\nsources:\n", 1)
		if edit != nil {
			y = edit(y)
		}
		return y
	})
	dir := filepath.Dir(cfgPath)
	awsCfg := m.Config(t)
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = true })
	// A day of logs for the config's three sources, uploaded where they read.
	logs := filepath.Join(dir, "logs")
	sum, err := gen.Generate(gen.Options{Out: logs, Days: 1, End: testutil.Day, Seed: 5, Scale: 0.05, Sources: []string{"vpcflow", "apache", "cowrie"}, Anomalies: true})
	if err != nil {
		t.Fatal(err)
	}
	prefix := map[string]string{"vpcflow": "vpcflow", "apache": "nginx", "cowrie": "cowrie"}
	want := 0
	for _, f := range sum.Files {
		rel, _ := filepath.Rel(filepath.Join(logs, f.Source), f.Path)
		body, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		key := "raw/" + prefix[f.Source] + "/" + filepath.ToSlash(rel)
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String(key), Body: strings.NewReader(string(body))}); err != nil {
			t.Fatal(err)
		}
		want += f.Events()
	}
	runner := &stepRunner{config: cfgPath, t: t, ran: map[string]types.StepState{}}
	orig := orchestrator.NewEMRAPI
	orchestrator.NewEMRAPI = func(c aws.Config) emr.API { runner.API = sdkemr.NewFromConfig(c); return runner }
	t.Cleanup(func() { orchestrator.NewEMRAPI = orig })
	return cfgPath, cfg, want
}

func TestDailyRunOnAWS(t *testing.T) {
	m := awstest.Start(t)
	ctx := context.Background()
	cfgPath, cfg, want := awsDay(t, m, nil)
	awsCfg := m.Config(t)

	code, out, errs := cli(t, "--config", cfgPath, "run", "--date", "2026-11-21")
	if code != ExitOK {
		t.Fatalf("run on aws: %d\n%s\n%s", code, out, errs)
	}
	for _, st := range []string{"ingest", "detect", "oa"} {
		if !strings.Contains(out, "  "+st+" ") {
			t.Errorf("no %s stage in the report:\n%s", st, out)
		}
	}

	// The clusters: one per role, tagged, all terminated now.
	api := sdkemr.NewFromConfig(awsCfg)
	all, err := api.ListClusters(ctx, &sdkemr.ListClustersInput{ClusterStates: []types.ClusterState{types.ClusterStateTerminated, types.ClusterStateTerminatedWithErrors, types.ClusterStateWaiting, types.ClusterStateRunning, types.ClusterStateStarting}})
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]types.ClusterState{}
	for _, c := range all.Clusters {
		d, err := api.DescribeCluster(ctx, &sdkemr.DescribeClusterInput{ClusterId: c.Id})
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range d.Cluster.Tags {
			if aws.ToString(tg.Key) == emr.TagRole {
				roles[aws.ToString(tg.Value)] = d.Cluster.Status.State
			}
		}
	}
	if len(roles) != 2 || roles["ingest"] != types.ClusterStateTerminated || roles["ml"] != types.ClusterStateTerminated {
		t.Errorf("clusters by role after the run: %v", roles)
	}

	// The tables: in Glue, as Iceberg tables whose metadata is in S3.
	gt, err := glue.NewFromConfig(awsCfg).GetTables(ctx, &glue.GetTablesInput{DatabaseName: aws.String("security")})
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]string{}
	for _, tb := range gt.TableList {
		tables[aws.ToString(tb.Name)] = tb.Parameters["metadata_location"]
	}
	for _, name := range []string{schemas.Events, schemas.EventsRejected, schemas.IngestFiles, schemas.Scores, schemas.Suspicious, schemas.Runs} {
		if !strings.HasPrefix(tables[name], "s3://lake/warehouse/") {
			t.Errorf("glue table %s: metadata_location %q", name, tables[name])
		}
	}
	// ... and readable back, with every generated event.
	pl, err := orchestrator.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	ids := testutil.Strings(t, testutil.LoadTable(t, pl, schemas.Events), "event_id")
	if len(ids) != want || want == 0 {
		t.Fatalf("events read back from S3 through Glue: %d, generated %d", len(ids), want)
	}
	if s := testutil.Strings(t, testutil.LoadTable(t, pl, schemas.Suspicious), "event_id"); len(s) == 0 {
		t.Errorf("no suspicious rows after the ml cluster's steps")
	}

	// Spark, through Iceberg's own GlueCatalog and S3FileIO (what EMR,
	// Athena and Trino use), reads every table as spotlake does.
	counts := testutil.TableCounts(t, pl)
	sample := testutil.SampleEvents(t, pl)
	sampleIDs := make([]string, 0, len(sample))
	for id := range sample {
		sampleIDs = append(sampleIDs, id)
	}
	spark := testutil.SparkRead(t, cfg.Catalog.Name, cfg.Pipeline, sampleIDs,
		"glue", "--warehouse", cfg.Warehouse, "--endpoint", m.Endpoint, "--region", awstest.Region)
	if fmt.Sprint(spark.Tables) != fmt.Sprint(counts) {
		t.Errorf("table row counts through Glue:\n spark    %v\n spotlake %v", spark.Tables, counts)
	}
	if len(sample) != 3 {
		t.Errorf("sampled sources %d, want 3", len(sample))
	}
	testutil.CompareEvents(t, "spark", spark.Sample, sample)

	// What the viz cluster's refresh step does: the hot cache, from the
	// tables on S3 (their files fetched), answering the same count.
	if code, out, errs := cli(t, "--config", cfgPath, "cache", "refresh"); code != ExitOK || !strings.Contains(out, "loaded 1 days") {
		t.Fatalf("cache refresh from S3: %d %s %s", code, out, errs)
	}
	code, out, errs = cli(t, "--config", cfgPath, "query", "--csv", "--sql", "SELECT count(*) AS n FROM events")
	if code != ExitOK || strings.TrimSpace(out) != fmt.Sprintf("n\n%d", want) {
		t.Fatalf("query on the cache: %d %q %s (want %d)", code, out, errs, want)
	}
}

// engine spark on EMR: the ingest step (spotlake stage exec ingest) starts
// Spark in client mode, whose executors run each object with the spotlake
// binary against S3, and the step commits their files through Glue. Here
// Spark is local[2] standing for the cluster's YARN.
func TestDailyRunOnAWSWithSparkEngine(t *testing.T) {
	submit := testutil.SparkSubmit(t)
	t.Setenv("SPOTLAKE_TEST_MAIN", "1") // the executors run this test binary as the CLI
	m := awstest.Start(t)
	cfgPath, cfg, want := awsDay(t, m, func(y string) string {
		y = strings.Replace(y, "engine: embedded", "engine: spark", 1)
		return y + fmt.Sprintf("spark:\n  submit: %s\n  master: local[2]\n  conf:\n    spark.ui.enabled: \"false\"\n", submit)
	})
	if cfg.Engine != "spark" {
		t.Fatalf("engine %q", cfg.Engine)
	}
	code, out, errs := cli(t, "--config", cfgPath, "run", "--date", "2026-11-21")
	if code != ExitOK {
		t.Fatalf("run on aws with engine spark: %d\n%s\n%s", code, out, errs)
	}
	logs, _ := filepath.Glob(filepath.Join(cfg.State, "logs", "spark-*-ingest-2026-11-21.log"))
	if len(logs) != 1 {
		t.Fatalf("no spark driver log for the ingest step: %v", logs)
	}
	pl, err := orchestrator.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	ids := testutil.Strings(t, testutil.LoadTable(t, pl, schemas.Events), "event_id")
	if len(ids) != want || want == 0 {
		t.Fatalf("events through Glue after ingest on spark: %d, generated %d", len(ids), want)
	}
	for _, p := range testutil.Strings(t, testutil.LoadTable(t, pl, schemas.IngestFiles), "status") {
		if p != "committed" {
			t.Errorf("an object's ledger status is %q", p)
		}
	}
}
