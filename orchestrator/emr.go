package orchestrator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkemr "github.com/aws/aws-sdk-go-v2/service/emr"
	"github.com/aws/aws-sdk-go-v2/service/emr/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/spotlake/spotlake/providers/compute/emr"
	"github.com/spotlake/spotlake/providers/objstore"
	"github.com/spotlake/spotlake/providers/pricing"
)

// roleStages are the stages each transient role's cluster runs, as steps,
// in order: ingest on small general-purpose nodes, detection and oa on
// memory-optimized ones. The cache stage is a step on the long-running viz
// cluster.
var roleStages = []struct {
	role   string
	stages []string
}{
	{"ingest", []string{StageIngest}},
	{"ml", []string{StageDetect, StageOA}},
}

// RemoteLockLease is how long a run lock on S3 outlives a holder that
// stopped renewing it (a crashed controller).
var RemoteLockLease = 2 * time.Minute

// NewEMRAPI makes the pipeline's EMR client. Tests replace it: with a
// scripted fake, or to wrap moto's client (moto's EMR never runs a step).
var NewEMRAPI = func(cfg aws.Config) emr.API { return sdkemr.NewFromConfig(cfg) }

// Artifacts are what every node of a cluster installs: the spotlake binary
// and the config, content-addressed under aws.artifacts, and the bootstrap
// script that installs them.
type Artifacts struct {
	Binary, Config, Bootstrap string
}

// Controller is the EMR controller of the pipeline's clusters.
func (p *Pipeline) Controller() (*emr.Controller, error) {
	if p.AWS == nil {
		return nil, errors.New("provider aws: no AWS configuration loaded")
	}
	return &emr.Controller{
		API: NewEMRAPI(*p.AWS), Logs: s3Logs{p}, Log: p.Log,
		Poll: p.Config.AWS.PollInterval.Duration, LogWait: p.Config.AWS.LogWait.Duration,
	}, nil
}

// s3Logs reads step logs EMR wrote under aws.logs.
type s3Logs struct{ p *Pipeline }

func (l s3Logs) Tail(ctx context.Context, url string) ([]byte, error) {
	bucket, key, err := objstore.ParseS3URL(url)
	if err != nil {
		return nil, err
	}
	st, err := objstore.NewS3(ctx, "s3://"+bucket, *l.p.AWS)
	if err != nil {
		return nil, err
	}
	rc, err := st.Open(ctx, strings.TrimSuffix(key, "/"))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 8<<20))
}

// UploadArtifacts puts the running binary, the config and the bootstrap
// script under aws.artifacts, each named by its content's hash, so a
// cluster always runs exactly what the controller runs, and an unchanged
// binary is uploaded once.
func (p *Pipeline) UploadArtifacts(ctx context.Context) (Artifacts, error) {
	if p.AWS == nil {
		return Artifacts{}, errors.New("provider aws: no AWS configuration loaded")
	}
	st, err := objstore.NewS3(ctx, p.Config.AWS.Artifacts, *p.AWS)
	if err != nil {
		return Artifacts{}, fmt.Errorf("aws.artifacts: %w", err)
	}
	// The nodes run Linux: a controller on another platform names a Linux
	// build of spotlake in SPOTLAKE_CLUSTER_BINARY.
	exe := os.Getenv("SPOTLAKE_CLUSTER_BINARY")
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return Artifacts{}, err
		}
	}
	cfg, err := os.ReadFile(p.Config.Path)
	if err != nil {
		return Artifacts{}, fmt.Errorf("read the config: %w", err)
	}
	// Content-addressed: an artifact already there is not uploaded again.
	put := func(dir, ext string, sum []byte, upload func(key string) error) (string, error) {
		key := dir + "/" + hex.EncodeToString(sum[:8]) + ext
		url := strings.TrimSuffix(st.URL(), "/") + "/" + key
		if ok, err := st.Exists(ctx, key); err != nil {
			return "", err
		} else if ok {
			return url, nil
		}
		if err := upload(key); err != nil {
			return "", fmt.Errorf("upload %s: %w", key, err)
		}
		return url, nil
	}
	putBytes := func(dir, ext string, b []byte) (string, error) {
		sum := sha256.Sum256(b)
		return put(dir, ext, sum[:], func(key string) error { return st.Put(ctx, key, b) })
	}
	// The binary (about 150 MB) is hashed and uploaded as a stream.
	binSum, err := fileSHA256(exe)
	if err != nil {
		return Artifacts{}, fmt.Errorf("read the spotlake binary: %w", err)
	}
	var a Artifacts
	if a.Binary, err = put("bin", "-spotlake", binSum, func(key string) error { return st.PutFile(ctx, key, exe) }); err != nil {
		return a, err
	}
	if a.Config, err = putBytes("config", ".yaml", cfg); err != nil {
		return a, err
	}
	if a.Bootstrap, err = putBytes("bootstrap", ".sh", emr.BootstrapScript); err != nil {
		return a, err
	}
	return a, nil
}

func fileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// CreatedBy names who starts a cluster, for its tags.
func CreatedBy() string {
	who := "spotlake"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	host, _ := os.Hostname()
	return who + "@" + host
}

// runOnEMR is Run for provider aws: each day, one transient cluster per
// role runs the role's stages as steps (spotlake stage exec) and ends with
// them; the hot cache refresh is a step on the running viz cluster. The
// steps record their own stage rows in runs; the controller adds one row
// per cluster (stage cluster:<role>) with its node-seconds and cost.
func (p *Pipeline) runOnEMR(ctx context.Context, days []time.Time, o RunOptions) ([]RunReport, error) {
	runID := o.RunID
	if runID == "" {
		runID = NewRunID(time.Now())
	}
	host, _ := os.Hostname()
	ctx, release, err := p.lockRun(ctx, LockInfo{
		PID: os.Getpid(), Host: host, RunID: runID, Command: o.Command, Since: time.Now().UTC(),
	}, o.Wait, o.Waiting)
	if err != nil {
		return nil, err
	}
	defer release()
	ctl, err := p.Controller()
	if err != nil {
		return nil, err
	}
	if ids, err := ctl.GC(ctx, p.Config.Pipeline, time.Now()); err != nil {
		p.Log.Warn("could not look for leaked clusters", "error", err)
	} else if len(ids) > 0 {
		p.Log.Warn("terminated clusters past their deadline", "clusters", ids)
	}
	arts, err := p.UploadArtifacts(ctx)
	if err != nil {
		return nil, err
	}
	prices, err := pricing.Load(p.Config.State)
	if err != nil {
		p.Log.Warn("no price table: cluster costs are not recorded", "error", err)
	}
	var reports []RunReport
	for _, day := range days {
		d := day.Format(time.DateOnly)
		rep := RunReport{RunID: runID, Date: d, Status: StatusSucceeded}
		failed := false
		for _, rs := range roleStages {
			var stages []string
			for _, st := range rs.stages {
				if contains(o.Stages, st) {
					stages = append(stages, st)
				}
			}
			if len(stages) == 0 || failed {
				continue
			}
			srs, ok := p.roleCluster(ctx, ctl, arts, prices, rs.role, stages, day, runID, o.Force)
			rep.Stages = append(rep.Stages, srs...)
			if !ok {
				failed = true
				rep.Status = StatusFailed
			}
			if ctx.Err() != nil {
				break
			}
		}
		if contains(o.Stages, StageCache) && !failed && ctx.Err() == nil {
			rep.Stages = append(rep.Stages, p.refreshVizCache(ctx, ctl))
		}
		reports = append(reports, rep)
		if o.OnDay != nil {
			o.OnDay(rep)
		}
		if ctx.Err() != nil {
			return reports, context.Cause(ctx)
		}
	}
	return reports, nil
}

// roleCluster runs stages as the steps of one transient cluster of role
// and reports them.
func (p *Pipeline) roleCluster(ctx context.Context, ctl *emr.Controller, arts Artifacts, prices *pricing.Table, role string, stages []string, day time.Time, runID string, force bool) ([]StageReport, bool) {
	start := time.Now()
	var steps [][]string
	for _, st := range stages {
		args := []string{"stage", "exec", st, "--date", day.Format(time.DateOnly), "--run-id", runID}
		if force && st == StageIngest {
			args = append(args, "--force")
		}
		steps = append(steps, args)
	}
	deadline := time.Time{}
	if mr := p.Config.Clusters[role].MaxRuntime.Duration; mr > 0 {
		deadline = start.Add(mr)
	}
	fail := func(msg string) ([]StageReport, bool) {
		var out []StageReport
		for _, st := range stages {
			out = append(out, StageReport{Name: st, Status: StatusFailed, Message: msg, Seconds: time.Since(start).Seconds()})
		}
		return out, false
	}
	in, err := emr.BuildRunJobFlow(p.Config, role, emr.Spec{
		RunID: runID, CreatedBy: CreatedBy(), Deadline: deadline, Steps: steps,
		BinaryURL: arts.Binary, ConfigURL: arts.Config, BootstrapURL: arts.Bootstrap,
	})
	if err != nil {
		return fail(err.Error())
	}
	runCtx := ctx
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	res, runErr := ctl.Run(runCtx, in)
	secs := time.Since(start).Seconds()
	p.recordCluster(ctx, runID, day, role, res, secs, runErr, prices)
	out := make([]StageReport, 0, len(stages))
	for i, st := range stages {
		sr := StageReport{Name: st, Status: StatusSucceeded, Seconds: secs}
		var step *emr.StepResult
		if i < len(res.Steps) {
			step = &res.Steps[i]
		}
		switch {
		case step != nil && step.State == types.StepStateCompleted:
			sr.Message = fmt.Sprintf("step %s on %s cluster %s", step.ID, role, res.ClusterID)
		case step != nil && step.State == types.StepStateFailed:
			sr.Status, sr.Message = StatusFailed, step.Report()
		case runErr != nil:
			sr.Status, sr.Message = StatusFailed, runErr.Error()
		default:
			sr.Status = StatusFailed
			sr.Message = fmt.Sprintf("cluster %s ended (%s) before this step ran", res.ClusterID, res.State)
		}
		out = append(out, sr)
	}
	return out, runErr == nil && allSucceeded(out)
}

func allSucceeded(srs []StageReport) bool {
	for _, s := range srs {
		if s.Status != StatusSucceeded {
			return false
		}
	}
	return true
}

// refreshVizCache adds the cache refresh as a step to the running viz
// cluster: its server picks the new generation up by itself.
func (p *Pipeline) refreshVizCache(ctx context.Context, ctl *emr.Controller) StageReport {
	sr := StageReport{Name: StageCache, Status: StatusSucceeded}
	start := time.Now()
	defer func() { sr.Seconds = time.Since(start).Seconds() }()
	clusters, err := ctl.Status(ctx, p.Config.Pipeline, "viz")
	if err != nil {
		sr.Status, sr.Message = StatusFailed, err.Error()
		return sr
	}
	for _, c := range clusters {
		if c.State != types.ClusterStateWaiting && c.State != types.ClusterStateRunning {
			continue
		}
		ids, err := ctl.Submit(ctx, c.ID, []types.StepConfig{emr.Step([]string{"cache", "refresh"}, types.ActionOnFailureContinue)})
		if err != nil {
			sr.Status, sr.Message = StatusFailed, err.Error()
			return sr
		}
		sr.Message = fmt.Sprintf("cache refresh submitted to viz cluster %s as step %s", c.ID, strings.Join(ids, ","))
		return sr
	}
	sr.Message = "no viz cluster is running, so no cache to refresh (start one with `spotlake cluster up viz`)"
	return sr
}

// recordCluster appends the cluster's own row to runs: what it cost.
func (p *Pipeline) recordCluster(ctx context.Context, runID string, day time.Time, role string, res emr.Result, secs float64, runErr error, prices *pricing.Table) {
	status, msg := StatusSucceeded, fmt.Sprintf("cluster %s %s", res.ClusterID, res.State)
	if runErr != nil {
		status, msg = StatusFailed, runErr.Error()
	}
	var nodes int
	var usd float64
	if prices != nil {
		if rc, err := EstimateRole(p.Config, prices, role, secs/3600); err == nil {
			// Unrounded: a short cluster costs less than a cent.
			nodes, usd = rc.Nodes, rc.HourlyUSD*secs/3600
		}
	}
	r := p.Config.Clusters[role]
	size := fmt.Sprintf("%s: 1 master %v, %d core %v", role, r.Master.InstanceTypes, r.Core.Count, r.Core.InstanceTypes)
	if r.Task != nil && r.Task.Count > 0 {
		size += fmt.Sprintf(", %d task %v (spot %v)", r.Task.Count, r.Task.InstanceTypes, r.Task.Spot)
	}
	err := p.appendRun(ctx, runRow{
		runID: runID, stage: "cluster:" + role, day: day, status: status, seconds: secs, message: msg, host: res.ClusterID,
		clusterType: "emr", clusterSize: size, clusterSeconds: secs * float64(nodes), costUSD: usd,
	}, 9100)
	if err != nil {
		p.Log.Warn("could not record the cluster in the runs table", "role", role, "error", err)
	}
}

// UpCluster starts a cluster of role that waits for work (cluster up): kept
// alive, with the role's idle auto-termination as the backstop, tagged with
// a deadline unless it is the long-running viz cluster, whose master serves
// the dashboard.
func (p *Pipeline) UpCluster(ctx context.Context, role string) (emr.Result, error) {
	ctl, err := p.Controller()
	if err != nil {
		return emr.Result{}, err
	}
	arts, err := p.UploadArtifacts(ctx)
	if err != nil {
		return emr.Result{}, err
	}
	now := time.Now()
	spec := emr.Spec{
		RunID: NewRunID(now), CreatedBy: CreatedBy(), Waiting: true, Serve: role == "viz",
		BinaryURL: arts.Binary, ConfigURL: arts.Config, BootstrapURL: arts.Bootstrap,
	}
	if role != "viz" {
		mr := p.Config.Clusters[role].MaxRuntime.Duration
		if mr <= 0 {
			mr = 4 * time.Hour
		}
		spec.Deadline = now.Add(mr)
	}
	in, err := emr.BuildRunJobFlow(p.Config, role, spec)
	if err != nil {
		return emr.Result{}, err
	}
	return ctl.Up(ctx, in)
}

// TagActive marks the viz cluster that serves the dashboard.
const TagActive = "spotlake:active"

// VizHealth checks a viz cluster's dashboard: its /healthz answers 200 once
// the hot cache is loaded. Tests replace it.
var VizHealth = func(ctx context.Context, masterDNS, listen, token string) error {
	_, port, _ := strings.Cut(listen, ":")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+masterDNS+":"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return nil
}

// Recreated says what RecreateViz did.
type Recreated struct {
	New    emr.Result `json:"new"`
	Old    []string   `json:"old_terminated"`
	Health string     `json:"health"`
	// Name is the Route53 record now pointing at the new cluster.
	Name string `json:"name,omitempty"`
}

// pointName upserts aws.route53's record as a CNAME to target, with a short
// TTL so clients follow a recreate within a minute.
func (p *Pipeline) pointName(ctx context.Context, target string) error {
	if p.AWS == nil {
		return errors.New("no AWS configuration loaded")
	}
	r := p.Config.AWS.Route53
	_, err := route53.NewFromConfig(*p.AWS).ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(r.ZoneID),
		ChangeBatch: &r53types.ChangeBatch{
			Comment: aws.String("spotlake cluster recreate viz"),
			Changes: []r53types.Change{{
				Action: r53types.ChangeActionUpsert,
				ResourceRecordSet: &r53types.ResourceRecordSet{
					Name: aws.String(r.Name), Type: r53types.RRTypeCname, TTL: aws.Int64(60),
					ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(target)}},
				},
			}},
		},
	})
	return err
}

// RecreateViz replaces the viz cluster without downtime: a new cluster with
// the current config and binary, then — only once its dashboard answers
// /healthz — the active tag moves to it and the old clusters are
// terminated. A new cluster that never becomes healthy is terminated and
// the old one keeps serving.
func (p *Pipeline) RecreateViz(ctx context.Context, token string) (Recreated, error) {
	ctl, err := p.Controller()
	if err != nil {
		return Recreated{}, err
	}
	before, err := ctl.Status(ctx, p.Config.Pipeline, "viz")
	if err != nil {
		return Recreated{}, err
	}
	res, err := p.UpCluster(ctx, "viz")
	if err != nil {
		return Recreated{New: res}, err
	}
	out := Recreated{New: res}
	deadline := time.Now().Add(p.Config.Viz.ReadyTimeout.Duration)
	for {
		err = VizHealth(ctx, res.MasterDNS, p.Config.Viz.Listen, token)
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.terminate(ctx, res.ClusterID)
			return out, fmt.Errorf("new viz cluster %s did not become healthy within %s (%v); it was terminated and %d old cluster(s) keep serving", res.ClusterID, p.Config.Viz.ReadyTimeout.Duration, err, len(before))
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(5*time.Second, p.Config.Viz.ReadyTimeout.Duration/10+time.Millisecond)):
		}
	}
	out.Health = "ok"
	if r := p.Config.AWS.Route53; r.ZoneID != "" && r.Name != "" {
		if err := p.pointName(ctx, res.MasterDNS); err != nil {
			return out, fmt.Errorf("point %s at the new viz cluster: %w (the old cluster keeps serving; the new one is %s)", r.Name, err, res.ClusterID)
		}
		out.Name = r.Name
	}
	api := ctl.API
	if _, err := api.AddTags(ctx, &sdkemr.AddTagsInput{ResourceId: &res.ClusterID, Tags: []types.Tag{{Key: ptr(TagActive), Value: ptr("true")}}}); err != nil {
		return out, fmt.Errorf("tag the new viz cluster active: %w (the old one keeps serving; run cluster down viz after checking)", err)
	}
	for _, c := range before {
		if c.ID == res.ClusterID {
			continue
		}
		api.AddTags(ctx, &sdkemr.AddTagsInput{ResourceId: ptr(c.ID), Tags: []types.Tag{{Key: ptr(TagActive), Value: ptr("false")}}})
		p.terminate(ctx, c.ID)
		out.Old = append(out.Old, c.ID)
	}
	return out, nil
}

func (p *Pipeline) terminate(ctx context.Context, id string) {
	ctl, err := p.Controller()
	if err == nil {
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		_, err = ctl.API.TerminateJobFlows(tctx, &sdkemr.TerminateJobFlowsInput{JobFlowIds: []string{id}})
	}
	if err != nil {
		p.Log.Warn("could not terminate cluster", "cluster", id, "error", err)
	}
}

func ptr(s string) *string { return &s }
