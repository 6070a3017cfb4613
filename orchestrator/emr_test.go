package orchestrator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emr/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/providers/aws/awstest"
	"github.com/spotlake/spotlake/providers/compute/emr"
	"github.com/spotlake/spotlake/providers/compute/emr/emrfake"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/tableio"
)

// awsProject is examples/aws.yaml on moto.
func awsProject(t *testing.T, m *awstest.Moto) *config.Config {
	t.Helper()
	_, cfg := testutil.AWSProject(t, m, "../examples", func(y string) string {
		return strings.Replace(y, "zone_id: Z0123456789ABCDEFGHIJ", "zone_id: \"\"", 1)
	})
	return cfg
}

// useFake makes the pipelines of the test drive a scripted fake EMR.
func useFake(t *testing.T) *emrfake.Fake {
	fake := emrfake.New()
	orig := orchestrator.NewEMRAPI
	orchestrator.NewEMRAPI = func(aws.Config) emr.API { return fake }
	t.Cleanup(func() { orchestrator.NewEMRAPI = orig })
	return fake
}

// A daily run with provider aws: one cluster per role, created with its
// steps, watched to its end and gone after; a failed step fails its stage
// and everything after it, and every cluster's cost lands in runs.
func TestRunOnEMR(t *testing.T) {
	m := awstest.Start(t)
	cfg := awsProject(t, m)
	ctx := context.Background()
	pl, err := orchestrator.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	fake := useFake(t)

	// A good day: ingest's one step, then ml's two.
	fake.Script(emrfake.Completes(1), emrfake.Completes(2))
	reps, err := pl.Run(ctx, []time.Time{testutil.Day}, orchestrator.RunOptions{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	r := reps[0]
	var names []string
	for _, s := range r.Stages {
		names = append(names, s.Name+":"+s.Status)
	}
	if !r.OK() || strings.Join(names, ",") != "ingest:succeeded,detect:succeeded,oa:succeeded,cache:succeeded" {
		t.Fatalf("run on EMR: %s\n%+v", strings.Join(names, ","), r)
	}
	if !strings.Contains(r.Stages[3].Message, "no viz cluster is running") {
		t.Errorf("cache stage without a viz cluster: %q", r.Stages[3].Message)
	}
	cs := fake.Clusters()
	if len(cs) != 2 {
		t.Fatalf("%d clusters created, want one per role (2)", len(cs))
	}
	for i, role := range []string{"ingest", "ml"} {
		c := cs[i]
		tags := map[string]string{}
		for _, tg := range c.Tags {
			tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		if tags[emr.TagRole] != role || tags[emr.TagPipeline] != "security" || tags[emr.TagRunID] != r.RunID || tags[emr.TagDeadline] == "" {
			t.Errorf("cluster %d tags %v", i, tags)
		}
		if c.State != types.ClusterStateTerminated {
			t.Errorf("%s cluster ended %s", role, c.State)
		}
		args := strings.Join(c.Steps[0].Config.HadoopJarStep.Args, " ")
		if !strings.Contains(args, "stage exec") || !strings.Contains(args, "--run-id "+r.RunID) || !strings.Contains(args, "--date 2026-11-21") {
			t.Errorf("%s step: %s", role, args)
		}
	}
	// The binary, config and bootstrap are uploaded once, content-addressed.
	client := s3.NewFromConfig(m.Config(t), func(o *s3.Options) { o.UsePathStyle = true })
	objs, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lake"), Prefix: aws.String("artifacts/")})
	if err != nil || len(objs.Contents) != 3 {
		t.Fatalf("artifacts: %v %v", objs, err)
	}
	uploaded := map[string]time.Time{}
	for _, o := range objs.Contents {
		uploaded[aws.ToString(o.Key)] = aws.ToTime(o.LastModified)
	}
	time.Sleep(1100 * time.Millisecond) // S3 times have a second's resolution

	// A failing day: the ml cluster's detect step fails; oa never runs.
	fake.Script(emrfake.Completes(1), emrfake.StepFails(2, 0, types.FailureDetails{Reason: aws.String("out of memory"), Message: aws.String("exit 137")}))
	reps, err = pl.Run(ctx, []time.Time{testutil.Day}, orchestrator.RunOptions{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	r = reps[0]
	// The second run found its artifacts and uploaded nothing.
	objs, err = client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lake"), Prefix: aws.String("artifacts/")})
	if err != nil || len(objs.Contents) != 3 {
		t.Fatalf("artifacts after a second run: %v %v", objs, err)
	}
	for _, o := range objs.Contents {
		if !aws.ToTime(o.LastModified).Equal(uploaded[aws.ToString(o.Key)]) {
			t.Errorf("%s uploaded again", aws.ToString(o.Key))
		}
	}
	names = names[:0]
	for _, s := range r.Stages {
		names = append(names, s.Name+":"+s.Status)
	}
	if r.OK() || strings.Join(names, ",") != "ingest:succeeded,detect:failed,oa:failed" {
		t.Fatalf("failing run: %s", strings.Join(names, ","))
	}
	if !strings.Contains(r.Stages[1].Message, "out of memory") {
		t.Errorf("the failed step's report lacks EMR's reason: %q", r.Stages[1].Message)
	}
	for _, c := range fake.Clusters() {
		if c.State != types.ClusterStateTerminated && c.State != types.ClusterStateTerminatedWithErrors {
			t.Errorf("cluster %s left %s", c.ID, c.State)
		}
	}

	// Each cluster's row in runs carries its node-seconds and cost.
	tbl := testutil.LoadTable(t, pl, schemas.Runs)
	rows := 0
	err = tableio.Scan(ctx, tbl, nil, []string{"stage", "cluster_type", "cluster_seconds", "cost_usd"}, func(row tableio.Row) error {
		if strings.HasPrefix(row.Str("stage"), "cluster:") {
			rows++
			if row.Str("cluster_type") != "emr" || row.Float64("cluster_seconds") <= 0 || row.Float64("cost_usd") <= 0 {
				t.Errorf("cluster row %s: %s %v s $%v", row.Str("stage"), row.Str("cluster_type"), row.Float64("cluster_seconds"), row.Float64("cost_usd"))
			}
		}
		return nil
	})
	if err != nil || rows != 4 {
		t.Fatalf("%d cluster rows in runs (%v), want 4", rows, err)
	}
}

// Recreating the viz cluster: the new one must be healthy before the old
// one goes; a new one that never gets healthy goes instead.
func TestRecreateVizOnEMR(t *testing.T) {
	m := awstest.Start(t)
	cfg := awsProject(t, m)
	// The service name lives in a Route53 zone (moto's).
	r53 := route53.NewFromConfig(m.Config(t))
	zone, err := r53.CreateHostedZone(context.Background(), &route53.CreateHostedZoneInput{Name: aws.String("internal.acme.example"), CallerReference: aws.String("t")})
	if err != nil {
		t.Fatal(err)
	}
	cfg.AWS.Route53.ZoneID = strings.TrimPrefix(aws.ToString(zone.HostedZone.Id), "/hostedzone/")
	cfg.Viz.ReadyTimeout.Duration = 200 * time.Millisecond
	ctx := context.Background()
	pl, err := orchestrator.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	fake := useFake(t)
	orig := orchestrator.VizHealth
	t.Cleanup(func() { orchestrator.VizHealth = orig })
	orchestrator.VizHealth = func(context.Context, string, string, string) error { return errors.New("connection refused") }
	first, err := pl.UpCluster(ctx, "viz")
	if err != nil || first.State != types.ClusterStateWaiting {
		t.Fatalf("up viz: %+v %v", first, err)
	}
	// The next cluster never answers: it is terminated, the first stays.
	if _, err := pl.RecreateViz(ctx, ""); err == nil || !strings.Contains(err.Error(), "did not become healthy") {
		t.Fatalf("recreate with an unhealthy new cluster: %v", err)
	}
	if c, _ := fake.Cluster(first.ClusterID); c.State != types.ClusterStateWaiting {
		t.Fatalf("the serving cluster was touched: %s", c.State)
	}
	cs := fake.Clusters()
	if failed := cs[len(cs)-1]; failed.State != types.ClusterStateTerminated {
		t.Fatalf("the unhealthy new cluster is %s, want terminated", failed.State)
	}
	// Now the new one answers: it takes over, the old one goes.
	orchestrator.VizHealth = func(context.Context, string, string, string) error { return nil }
	r, err := pl.RecreateViz(ctx, "")
	if err != nil || len(r.Old) != 1 || r.Old[0] != first.ClusterID {
		t.Fatalf("recreate: %+v %v", r, err)
	}
	old, _ := fake.Cluster(first.ClusterID)
	nw, _ := fake.Cluster(r.New.ClusterID)
	if old.State != types.ClusterStateTerminated || nw.State != types.ClusterStateWaiting {
		t.Fatalf("after recreate: old %s, new %s", old.State, nw.State)
	}
	active := ""
	for _, tg := range nw.Tags {
		if aws.ToString(tg.Key) == orchestrator.TagActive {
			active = aws.ToString(tg.Value)
		}
	}
	if active != "true" {
		t.Errorf("new viz cluster tags %v: want %s=true", nw.Tags, orchestrator.TagActive)
	}
	rr, err := r53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: zone.HostedZone.Id})
	if err != nil {
		t.Fatal(err)
	}
	target := ""
	for _, rs := range rr.ResourceRecordSets {
		if strings.TrimSuffix(aws.ToString(rs.Name), ".") == "spotlake.internal.acme.example" && len(rs.ResourceRecords) > 0 {
			target = aws.ToString(rs.ResourceRecords[0].Value)
		}
	}
	if target == "" || target != r.New.MasterDNS || r.Name == "" {
		t.Errorf("the service name points at %q, want the new master %q", target, r.New.MasterDNS)
	}
}
