package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkemr "github.com/aws/aws-sdk-go-v2/service/emr"
	"github.com/aws/aws-sdk-go-v2/service/emr/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/providers/aws/awstest"
	"github.com/spotlake/spotlake/providers/compute/emr"
)

// The cluster commands against moto's EMR, S3 and Glue, over the wire:
// up creates a tagged cluster that waits for work, with its artifacts
// uploaded; status shows it; down terminates it; gc terminates a leaked
// cluster past its deadline and nothing else.
func TestClusterCommandsOnEMR(t *testing.T) {
	m := awstest.Start(t)
	ctx := context.Background()
	cfg, _ := testutil.AWSProject(t, m, "../../examples", nil)
	awsCfg := m.Config(t)
	api := sdkemr.NewFromConfig(awsCfg)
	active := func() []types.ClusterSummary {
		out, err := api.ListClusters(ctx, &sdkemr.ListClustersInput{ClusterStates: emr.ActiveStates})
		if err != nil {
			t.Fatal(err)
		}
		return out.Clusters
	}

	// plan names one EMR cluster per role and prices the run.
	code, out, errs := cli(t, "--config", cfg, "plan", "--date", "2026-11-21")
	if code != ExitOK || strings.Count(out, "EMR") < 3 || !strings.Contains(out, "estimated cost: at most $") || strings.Contains(out, "at most $0.00") {
		t.Fatalf("plan: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = cli(t, "--config", cfg, "cluster", "up", "ingest")
	if code != ExitOK || !strings.Contains(out, "ingest cluster j-") || !strings.Contains(out, "started (WAITING)") {
		t.Fatalf("cluster up ingest: %d %s %s", code, out, errs)
	}
	cs := active()
	if len(cs) != 1 {
		t.Fatalf("%d active clusters after up, want 1", len(cs))
	}
	desc, err := api.DescribeCluster(ctx, &sdkemr.DescribeClusterInput{ClusterId: cs[0].Id})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tg := range desc.Cluster.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if tags[emr.TagPipeline] != "security" || tags[emr.TagRole] != "ingest" || tags[emr.TagDeadline] == "" || tags[emr.TagCreatedBy] == "" || tags["team"] != "secops" {
		t.Errorf("tags %v", tags)
	}
	objs, err := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = true }).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lake"), Prefix: aws.String("artifacts/")})
	if err != nil || len(objs.Contents) != 3 {
		t.Fatalf("artifacts uploaded: %v %v", objs, err)
	}
	code, out, _ = cli(t, "--config", cfg, "cluster", "status", "ingest")
	if code != ExitOK || !strings.Contains(out, aws.ToString(cs[0].Id)+" WAITING") {
		t.Fatalf("status: %d %s", code, out)
	}
	code, out, _ = cli(t, "--config", cfg, "cluster", "down", "ingest")
	if code != ExitOK || !strings.Contains(out, "terminating "+aws.ToString(cs[0].Id)) || len(active()) != 0 {
		t.Fatalf("down: %d %s (%d active)", code, out, len(active()))
	}
	if code, out, _ := cli(t, "--config", cfg, "cluster", "status", "ingest"); code != ExitOK || !strings.Contains(out, "no cluster running") {
		t.Fatalf("status after down: %d %s", code, out)
	}

	// A crashed controller's cluster, past its deadline, and two that gc
	// must leave alone: another pipeline's, and one without tags.
	run := func(name string, tags map[string]string) string {
		var ts []types.Tag
		for k, v := range tags {
			ts = append(ts, types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		o, err := api.RunJobFlow(ctx, &sdkemr.RunJobFlowInput{
			Name: aws.String(name), ReleaseLabel: aws.String("emr-7.5.0"), ServiceRole: aws.String("EMR_DefaultRole"), JobFlowRole: aws.String("EMR_EC2_DefaultRole"),
			Instances: &types.JobFlowInstancesConfig{MasterInstanceType: aws.String("m6i.xlarge"), InstanceCount: aws.Int32(1), KeepJobFlowAliveWhenNoSteps: aws.Bool(true)},
			Tags:      ts,
		})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(o.JobFlowId)
	}
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	leaked := run("spotlake-security-ingest-old", map[string]string{emr.TagPipeline: "security", emr.TagRole: "ingest", emr.TagRunID: "r1", emr.TagDeadline: past})
	other := run("spotlake-other-ingest-old", map[string]string{emr.TagPipeline: "other", emr.TagRole: "ingest", emr.TagRunID: "r2", emr.TagDeadline: past})
	untagged := run("spotlake-untagged", nil)
	code, out, errs = cli(t, "--config", cfg, "--json", "cluster", "gc")
	var gc struct {
		Terminated []string `json:"terminated"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &gc) != nil || len(gc.Terminated) != 1 || gc.Terminated[0] != leaked {
		t.Fatalf("gc: %d %s %s", code, out, errs)
	}
	left := map[string]bool{}
	for _, c := range active() {
		left[aws.ToString(c.Id)] = true
	}
	if left[leaked] || !left[other] || !left[untagged] {
		t.Errorf("after gc, active: %v (leaked %s, other %s, untagged %s)", left, leaked, other, untagged)
	}
	if code, _, errs := cli(t, "--config", cfg, "cluster", "up", "nope"); code != ExitUsage || !strings.Contains(errs, "unknown role") {
		t.Errorf("unknown role: %d %s", code, errs)
	}
}
