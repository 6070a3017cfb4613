package emr

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emr"
	"github.com/aws/aws-sdk-go-v2/service/emr/types"

	"github.com/spotlake/spotlake/providers/aws/awstest"
)

// moto's EMR: clusters go to WAITING at once, steps never complete and
// fleets and auto-termination policies are ignored, so these tests cover
// the wire: the built requests are accepted, the clusters are found by
// their tags, terminated, and garbage-collected.

func motoController(t *testing.T) (*Controller, *emr.Client) {
	t.Helper()
	m := awstest.Start(t)
	client := emr.NewFromConfig(m.Config(t))
	return &Controller{API: client, Poll: 100 * time.Millisecond, MaxPoll: 300 * time.Millisecond, TerminateTimeout: 10 * time.Second}, client
}

func describeState(t *testing.T, client *emr.Client, id string) (types.ClusterState, map[string]string) {
	t.Helper()
	out, err := client.DescribeCluster(context.Background(), &emr.DescribeClusterInput{ClusterId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Cluster.Status.State, tagMap(out.Cluster.Tags)
}

func TestMotoRunJobFlowEveryRole(t *testing.T) {
	ctl, client := motoController(t)
	ctx := context.Background()
	cfg := loadExample(t)
	for _, role := range []string{"ingest", "ml"} {
		in, err := BuildRunJobFlow(cfg, role, specFor(cfg, role))
		if err != nil {
			t.Fatal(err)
		}
		out, err := client.RunJobFlow(ctx, in)
		if err != nil {
			t.Fatalf("%s: moto rejected the built request: %v", role, err)
		}
		id := aws.ToString(out.JobFlowId)
		_, tags := describeState(t, client, id)
		for _, want := range in.Tags {
			if tags[aws.ToString(want.Key)] != aws.ToString(want.Value) {
				t.Errorf("%s: tag %s = %q, want %q", role, aws.ToString(want.Key), tags[aws.ToString(want.Key)], aws.ToString(want.Value))
			}
		}
		// Listed among the active clusters, and found by its tags.
		lc, err := client.ListClusters(ctx, &emr.ListClustersInput{ClusterStates: ActiveStates})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(lc.Clusters, func(c types.ClusterSummary) bool { return aws.ToString(c.Id) == id }) {
			t.Errorf("%s: %s not listed as active", role, id)
		}
		found, err := ctl.find(ctx, "security", role, specFor(cfg, role).RunID)
		if err != nil || len(found) != 1 || found[0].ID != id {
			t.Fatalf("%s: find by tags: %+v, %v", role, found, err)
		}
		ls, err := client.ListSteps(ctx, &emr.ListStepsInput{ClusterId: aws.String(id)})
		if err != nil || len(ls.Steps) != len(in.Steps) {
			t.Errorf("%s: steps %+v, %v", role, ls, err)
		}
	}

	// viz: Up creates it and returns once WAITING (at once on moto); a
	// second Up finds it; Down terminates it.
	viz, err := BuildRunJobFlow(cfg, "viz", specFor(cfg, "viz"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := ctl.Up(ctx, viz)
	if err != nil {
		t.Fatalf("viz: %v", err)
	}
	if res.State != types.ClusterStateWaiting || res.Reused {
		t.Fatalf("viz: %+v", res)
	}
	again, err := ctl.Up(ctx, viz)
	if err != nil || !again.Reused || again.ClusterID != res.ClusterID {
		t.Fatalf("second Up: %+v, %v", again, err)
	}
	if err := ctl.SetIdleTimeout(ctx, res.ClusterID, time.Hour); err != nil {
		t.Logf("PutAutoTerminationPolicy (moto answers 500): %v", err)
	}
	st, err := ctl.Status(ctx, "security", "")
	if err != nil || len(st) != 3 {
		t.Fatalf("status: %+v, %v", st, err)
	}
	for _, role := range config3 {
		ids, err := ctl.Down(ctx, "security", role)
		if err != nil || len(ids) != 1 {
			t.Fatalf("down %s: %v, %v", role, ids, err)
		}
		if s, tags := describeState(t, client, ids[0]); (s != types.ClusterStateTerminated && s != types.ClusterStateTerminating) || tags[TagTerminateReason] != "down" {
			t.Errorf("%s after down: %s, tags %v", role, s, tags)
		}
	}
	lc, err := client.ListClusters(ctx, &emr.ListClustersInput{ClusterStates: []types.ClusterState{types.ClusterStateTerminated}})
	if err != nil || len(lc.Clusters) != 3 {
		t.Errorf("terminated clusters listed: %d, %v", len(lc.Clusters), err)
	}
}

var config3 = []string{"ingest", "ml", "viz"}

func TestMotoRunDeadlineTerminates(t *testing.T) {
	ctl, client := motoController(t)
	cfg := loadExample(t)
	spec := specFor(cfg, "ingest")
	spec.Deadline = time.Now().Add(2 * time.Second)
	in, err := BuildRunJobFlow(cfg, "ingest", spec)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ctl.Run(context.Background(), in)
	if kindOf(err) != KindDeadline || !res.Terminated {
		t.Fatalf("err = %v, result %+v", err, res)
	}
	if s, _ := describeState(t, client, res.ClusterID); s != types.ClusterStateTerminated && s != types.ClusterStateTerminating {
		t.Errorf("state %s", s)
	}
}

func TestMotoInterruptTerminates(t *testing.T) {
	ctl, client := motoController(t)
	cfg := loadExample(t)
	in, err := BuildRunJobFlow(cfg, "ml", specFor(cfg, "ml"))
	if err != nil {
		t.Fatal(err)
	}
	in.Tags = slices.DeleteFunc(in.Tags, func(t types.Tag) bool { return aws.ToString(t.Key) == TagDeadline })
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond) // as SIGINT would
	defer cancel()
	res, err := ctl.Run(ctx, in)
	if kindOf(err) != KindInterrupted || !res.Terminated {
		t.Fatalf("err = %v, result %+v", err, res)
	}
	if s, tags := describeState(t, client, res.ClusterID); (s != types.ClusterStateTerminated && s != types.ClusterStateTerminating) || tags[TagTerminateReason] != "interrupted" {
		t.Errorf("state %s, tags %v", s, tags)
	}
}

func TestMotoGC(t *testing.T) {
	ctl, client := motoController(t)
	ctx := context.Background()
	cfg := loadExample(t)
	now := time.Now()
	mk := func(runID string, deadline time.Time, strip bool, pipeline string) string {
		spec := specFor(cfg, "ingest")
		spec.RunID, spec.Deadline = runID, deadline
		c := *cfg
		c.Pipeline = pipeline
		in, err := BuildRunJobFlow(&c, "ingest", spec)
		if err != nil {
			t.Fatal(err)
		}
		if strip {
			in.Tags = nil
		}
		out, err := client.RunJobFlow(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.JobFlowId)
	}
	stale := mk("stale", now.Add(-time.Hour), false, "security")
	fresh := mk("fresh", now.Add(time.Hour), false, "security")
	untagged := mk("untagged", now.Add(-time.Hour), true, "security")
	other := mk("other", now.Add(-time.Hour), false, "other")
	got, err := ctl.GC(ctx, "security", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != stale {
		t.Fatalf("GC terminated %v, want [%s]", got, stale)
	}
	for _, id := range []string{fresh, untagged, other} {
		if s, _ := describeState(t, client, id); s != types.ClusterStateWaiting {
			t.Errorf("%s is %s: GC touched it", id, s)
		}
	}
}
