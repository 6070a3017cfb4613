package emr

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emr"
	"github.com/aws/aws-sdk-go-v2/service/emr/types"
)

// LogFetcher reads a log object EMR wrote to S3 (an s3:// URL). It returns
// the object's content as stored (gzip is fine: the controller unpacks it),
// bounded as the fetcher sees fit; any error (a missing object included)
// counts as "not there yet".
type LogFetcher interface {
	Tail(ctx context.Context, s3url string) ([]byte, error)
}

// Controller creates role clusters and watches them to their end. The
// zero value of each tuning field takes its default.
type Controller struct {
	API API
	// Logs fetches failed steps' logs (nil: no log tails in reports).
	Logs LogFetcher
	// Poll is the base interval of cluster polling (aws.poll_interval);
	// each interval is jittered and grows by half up to MaxPoll. Default 30s.
	Poll time.Duration
	// MaxPoll caps the polling interval (and throttling back-off). Default 4×Poll.
	MaxPoll time.Duration
	// LogWait bounds how long a failed step's logs are waited for (EMR
	// uploads them every few minutes). Default 5m.
	LogWait time.Duration
	// TerminateTimeout bounds a termination, which runs on its own
	// context since the run's may be cancelled. Default 2m.
	TerminateTimeout time.Duration
	// Now and Sleep are the clock (tests replace them). Sleep returns
	// ctx.Err() when ctx ends first.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger
}

// Result is what a run did, whatever its outcome.
type Result struct {
	ClusterID string
	Name      string
	// Reused: the cluster existed already (an earlier attempt of the run).
	Reused bool
	// State, Code and Message are the cluster's last seen state and state
	// change reason.
	State     types.ClusterState
	Code      string
	Message   string
	MasterDNS string
	Steps     []StepResult
	// Terminated: spotlake terminated the cluster (TerminateReason says
	// why); TerminateErr is set when that failed.
	Terminated      bool
	TerminateReason string
	TerminateErr    error
}

// StepResult is one step's outcome; a failed step carries EMR's failure
// details and the tail of its logs.
type StepResult struct {
	ID    string
	Name  string
	State types.StepState
	// Reason, Message and LogFile are EMR's FailureDetails.
	Reason, Message, LogFile string
	// Stderr and Stdout are the tails of the step's logs.
	Stderr, Stdout string
	// LogsNote says why the tails are missing.
	LogsNote string
}

// Report is the step's outcome in a few lines.
func (s StepResult) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %s %q: %s", s.ID, s.Name, s.State)
	for _, kv := range [][2]string{{"reason", s.Reason}, {"message", s.Message}, {"log file", s.LogFile}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "\n  %s: %s", kv[0], kv[1])
		}
	}
	if s.Stderr != "" {
		b.WriteString("\n  stderr (tail):\n" + indent(s.Stderr))
	}
	if s.Stdout != "" {
		b.WriteString("\n  stdout (tail):\n" + indent(s.Stdout))
	}
	if s.LogsNote != "" {
		b.WriteString("\n  logs: " + s.LogsNote)
	}
	return b.String()
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}

// ClusterInfo is one of spotlake's clusters as Status lists it.
type ClusterInfo struct {
	ID, Name  string
	State     types.ClusterState
	Pipeline  string
	Role      string
	RunID     string
	CreatedBy string
	// Deadline is zero when the cluster has none.
	Deadline  time.Time
	MasterDNS string
	Tags      map[string]string
}

// ActiveStates are the states of a cluster that is (or will be) running.
var ActiveStates = []types.ClusterState{
	types.ClusterStateStarting, types.ClusterStateBootstrapping,
	types.ClusterStateRunning, types.ClusterStateWaiting,
}

func terminal(s types.ClusterState) bool {
	return s == types.ClusterStateTerminated || s == types.ClusterStateTerminatedWithErrors
}

func (c *Controller) poll() time.Duration {
	if c.Poll > 0 {
		return c.Poll
	}
	return 30 * time.Second
}

func (c *Controller) maxPoll() time.Duration {
	if c.MaxPoll > 0 {
		return max(c.MaxPoll, c.poll())
	}
	return 4 * c.poll()
}

func (c *Controller) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Controller) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

// sleep waits d, jittered by ±20%.
func (c *Controller) sleep(ctx context.Context, d time.Duration) error {
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// key is what identifies a run's cluster.
type key struct {
	pipeline, role, runID string
	deadline              time.Time
}

func keyOf(in *emr.RunJobFlowInput) (key, error) {
	tm := tagMap(in.Tags)
	k := key{pipeline: tm[TagPipeline], role: tm[TagRole], runID: tm[TagRunID]}
	if k.pipeline == "" || k.role == "" || k.runID == "" {
		return k, fmt.Errorf("emr: the request lacks the %s, %s and %s tags (build it with BuildRunJobFlow)", TagPipeline, TagRole, TagRunID)
	}
	if d, ok := tm[TagDeadline]; ok {
		t, err := time.Parse(time.RFC3339, d)
		if err != nil {
			return k, fmt.Errorf("emr: tag %s=%q: %w", TagDeadline, d, err)
		}
		k.deadline = t
	}
	return k, nil
}

// Run creates the run's cluster (or finds the one an earlier attempt
// created) and watches it until its steps end: for a transient cluster
// until it terminates, for a waiting one until its steps are done. On any
// error, on ctx's end and when the deadline tag passes it terminates the
// cluster (a waiting cluster is left up when only a step failed).
func (c *Controller) Run(ctx context.Context, in *emr.RunJobFlowInput) (Result, error) {
	return c.run(ctx, in, false)
}

// Up creates (or finds) a waiting cluster and returns once it is WAITING,
// with its master's DNS name. If it fails to start, or ctx ends first, a
// cluster this call created is terminated.
func (c *Controller) Up(ctx context.Context, in *emr.RunJobFlowInput) (Result, error) {
	if in.Instances == nil || !aws.ToBool(in.Instances.KeepJobFlowAliveWhenNoSteps) {
		return Result{Name: aws.ToString(in.Name)}, errors.New("emr: Up needs a waiting cluster (Spec.Waiting)")
	}
	return c.run(ctx, in, true)
}

func (c *Controller) run(ctx context.Context, in *emr.RunJobFlowInput, up bool) (Result, error) {
	res := Result{Name: aws.ToString(in.Name)}
	k, err := keyOf(in)
	if err != nil {
		return res, err
	}
	waiting := in.Instances != nil && aws.ToBool(in.Instances.KeepJobFlowAliveWhenNoSteps)
	log := c.log().With("cluster", res.Name)
	if !k.deadline.IsZero() && !c.now().Before(k.deadline) {
		return res, &Error{Kind: KindDeadline, Name: res.Name, Message: "the deadline " + k.deadline.Format(time.RFC3339) + " passed before the cluster was created"}
	}
	id, reused, err := c.findOrCreate(ctx, in, k, &res)
	if err != nil {
		return res, err
	}
	res.ClusterID, res.Reused = id, reused
	log = log.With("id", id)
	if reused {
		log.Info("emr: found the run's cluster; watching it instead of creating another")
	} else {
		log.Info("emr: cluster created", "role", k.role, "run", k.runID)
	}
	err = c.watch(ctx, in, k, id, &res, up, waiting, log)
	if err == nil || terminal(res.State) {
		return res, err
	}
	var e *Error
	stepOnly := errors.As(err, &e) && e.Kind == KindStep
	// Terminate what this run owns: for Up only what this call created; a
	// waiting cluster stays up when only a step failed.
	if (!up || !reused) && !(waiting && stepOnly) {
		reason := "error"
		switch {
		case errors.As(err, &e) && e.Kind == KindDeadline:
			reason = "deadline"
		case errors.As(err, &e) && e.Kind == KindInterrupted:
			reason = "interrupted"
		}
		c.terminate(id, reason, &res, log)
	}
	return res, err
}

// findOrCreate returns the run's active cluster, creating it when there is
// none. RunJobFlow has no idempotency token, so a create whose outcome is
// unknown (timeout, 5xx) is followed by a search by tags before any retry.
func (c *Controller) findOrCreate(ctx context.Context, in *emr.RunJobFlowInput, k key, res *Result) (id string, reused bool, err error) {
	found, err := c.find(ctx, k.pipeline, k.role, k.runID)
	if err != nil {
		return "", false, c.apiErr(ctx, res, "ListClusters", err)
	}
	if len(found) > 0 {
		if len(found) > 1 {
			c.log().Warn("emr: several active clusters carry this run's tags; watching the oldest", "ids", ids(found))
		}
		return found[len(found)-1].ID, true, nil
	}
	backoff := c.poll()
	for attempt := 1; ; attempt++ {
		out, err := c.API.RunJobFlow(ctx, in)
		if err == nil {
			return aws.ToString(out.JobFlowId), false, nil
		}
		if ctx.Err() != nil {
			// The request may have gone through: look with a fresh context
			// and terminate what it made.
			if f, ferr := c.find(context.WithoutCancel(ctx), k.pipeline, k.role, k.runID); ferr == nil {
				for _, ci := range f {
					res.ClusterID = ci.ID
					c.terminate(ci.ID, "interrupted", res, c.log())
				}
			}
			return "", false, &Error{Kind: KindInterrupted, Name: res.Name, Err: ctx.Err()}
		}
		if definite(err) && !IsThrottle(err) {
			return "", false, &Error{Kind: KindValidation, Name: res.Name, Message: "RunJobFlow rejected the request", Err: err}
		}
		if !IsThrottle(err) {
			c.log().Warn("emr: RunJobFlow's outcome is unknown; looking for the cluster by its tags before retrying", "attempt", attempt, "err", err)
			f, ferr := c.find(ctx, k.pipeline, k.role, k.runID)
			if ferr == nil && len(f) > 0 {
				return f[len(f)-1].ID, false, nil
			}
		}
		if attempt >= 4 {
			return "", false, &Error{Kind: KindAPI, Name: res.Name, Message: fmt.Sprintf("RunJobFlow failed %d times", attempt), Err: err}
		}
		if err := c.sleep(ctx, backoff); err != nil {
			return "", false, &Error{Kind: KindInterrupted, Name: res.Name, Err: err}
		}
		backoff = min(2*backoff, c.maxPoll())
	}
}

func ids(cs []ClusterInfo) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func (c *Controller) apiErr(ctx context.Context, res *Result, op string, err error) error {
	if ctx.Err() != nil {
		return &Error{Kind: KindInterrupted, ClusterID: res.ClusterID, Name: res.Name, Err: ctx.Err()}
	}
	return &Error{Kind: KindAPI, ClusterID: res.ClusterID, Name: res.Name, Message: op, Err: err}
}

// watch polls the cluster (one DescribeCluster and one ListSteps per
// interval) until it is done: terminated, or for a waiting cluster WAITING
// with its steps ended (up: WAITING at all).
func (c *Controller) watch(ctx context.Context, in *emr.RunJobFlowInput, k key, id string, res *Result, up, waiting bool, log *slog.Logger) error {
	interval := c.poll()
	fails := 0
	var lastState types.ClusterState
	stepStates := map[string]types.StepState{}
	for {
		if !k.deadline.IsZero() && !c.now().Before(k.deadline) {
			return &Error{Kind: KindDeadline, ClusterID: id, Name: res.Name, Message: "the run's deadline " + k.deadline.Format(time.RFC3339) + " passed"}
		}
		cl, steps, err := c.describe(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return &Error{Kind: KindInterrupted, ClusterID: id, Name: res.Name, Err: ctx.Err()}
			}
			switch {
			case IsThrottle(err):
				interval = min(2*interval, c.maxPoll())
				log.Warn("emr: throttled; backing off", "next", interval)
			case definite(err):
				return &Error{Kind: KindAPI, ClusterID: id, Name: res.Name, Err: err}
			default:
				fails++
				if fails >= 5 {
					return &Error{Kind: KindAPI, ClusterID: id, Name: res.Name, Message: fmt.Sprintf("%d polls in a row failed", fails), Err: err}
				}
				log.Warn("emr: poll failed; retrying", "err", err)
			}
		} else {
			fails = 0
			st := cl.Status
			res.State = st.State
			res.Code, res.Message = reason(st)
			res.MasterDNS = aws.ToString(cl.MasterPublicDnsName)
			res.Steps = res.Steps[:0]
			for _, s := range steps {
				res.Steps = append(res.Steps, stepResult(s))
				if stepStates[aws.ToString(s.Id)] != s.Status.State {
					stepStates[aws.ToString(s.Id)] = s.Status.State
					log.Info("emr: step", "step", aws.ToString(s.Id), "name", aws.ToString(s.Name), "state", s.Status.State)
				}
			}
			if st.State != lastState {
				lastState = st.State
				log.Info("emr: cluster", "state", st.State, "reason", res.Code, "message", res.Message)
			}
			switch {
			case terminal(st.State):
				return c.outcome(ctx, cl, res, log)
			case up && st.State == types.ClusterStateWaiting:
				return nil
			case waiting && !up && st.State == types.ClusterStateWaiting && stepsEnded(res.Steps):
				return c.outcome(ctx, cl, res, log)
			}
		}
		d := interval
		if !k.deadline.IsZero() {
			d = max(min(d, k.deadline.Sub(c.now())), time.Second)
		}
		if err := c.sleep(ctx, d); err != nil {
			return &Error{Kind: KindInterrupted, ClusterID: id, Name: res.Name, Err: err}
		}
		interval = min(interval*3/2, c.maxPoll())
	}
}

// describe is one DescribeCluster and the cluster's steps (oldest first).
func (c *Controller) describe(ctx context.Context, id string) (*types.Cluster, []types.StepSummary, error) {
	out, err := c.API.DescribeCluster(ctx, &emr.DescribeClusterInput{ClusterId: aws.String(id)})
	if err != nil {
		return nil, nil, err
	}
	if out.Cluster == nil || out.Cluster.Status == nil {
		return nil, nil, fmt.Errorf("emr: DescribeCluster %s: no cluster status in the answer", id)
	}
	var steps []types.StepSummary
	var marker *string
	for page := 0; page < 20; page++ {
		ls, err := c.API.ListSteps(ctx, &emr.ListStepsInput{ClusterId: aws.String(id), Marker: marker})
		if err != nil {
			return nil, nil, err
		}
		steps = append(steps, ls.Steps...)
		if marker = ls.Marker; marker == nil || *marker == "" {
			break
		}
	}
	slices.Reverse(steps) // EMR lists the newest first
	for i := range steps {
		if steps[i].Status == nil {
			steps[i].Status = &types.StepStatus{}
		}
	}
	return out.Cluster, steps, nil
}

func reason(st *types.ClusterStatus) (string, string) {
	if st.StateChangeReason == nil {
		return "", ""
	}
	return string(st.StateChangeReason.Code), aws.ToString(st.StateChangeReason.Message)
}

func stepResult(s types.StepSummary) StepResult {
	r := StepResult{ID: aws.ToString(s.Id), Name: aws.ToString(s.Name), State: s.Status.State}
	if fd := s.Status.FailureDetails; fd != nil {
		r.Reason, r.Message, r.LogFile = aws.ToString(fd.Reason), aws.ToString(fd.Message), aws.ToString(fd.LogFile)
	}
	return r
}

func stepsEnded(ss []StepResult) bool {
	for _, s := range ss {
		switch s.State {
		case types.StepStatePending, types.StepStateRunning, types.StepStateCancelPending:
			return false
		}
	}
	return true
}

// outcome judges a cluster that is done: nil when every step completed,
// else an *Error with EMR's reason and a failed step's details and logs.
func (c *Controller) outcome(ctx context.Context, cl *types.Cluster, res *Result, log *slog.Logger) error {
	e := &Error{ClusterID: res.ClusterID, Name: res.Name, Code: res.Code, Message: res.Message}
	for i := range res.Steps {
		s := &res.Steps[i]
		if s.State != types.StepStateFailed {
			continue
		}
		if s.Reason == "" && s.Message == "" {
			if d, err := c.API.DescribeStep(ctx, &emr.DescribeStepInput{ClusterId: aws.String(res.ClusterID), StepId: aws.String(s.ID)}); err == nil && d.Step != nil && d.Step.Status != nil && d.Step.Status.FailureDetails != nil {
				fd := d.Step.Status.FailureDetails
				s.Reason, s.Message, s.LogFile = aws.ToString(fd.Reason), aws.ToString(fd.Message), aws.ToString(fd.LogFile)
			}
		}
		c.stepLogs(ctx, aws.ToString(cl.LogUri), res.ClusterID, s, log)
		e.Kind, e.Step = KindStep, s
		log.Error("emr: step failed", "step", s.ID, "name", s.Name, "reason", s.Reason, "message", s.Message)
		return e
	}
	switch res.State {
	case types.ClusterStateTerminatedWithErrors:
		switch types.ClusterStateChangeReasonCode(res.Code) {
		case types.ClusterStateChangeReasonCodeBootstrapFailure:
			e.Kind = KindBootstrap
		case types.ClusterStateChangeReasonCodeInstanceFleetTimeout:
			e.Kind = KindCapacity
		case types.ClusterStateChangeReasonCodeValidationError:
			e.Kind = KindValidation
		case types.ClusterStateChangeReasonCodeInstanceFailure:
			e.Kind = KindInstance
		case types.ClusterStateChangeReasonCodeInternalError:
			e.Kind = KindInternal
		case types.ClusterStateChangeReasonCodeStepFailure:
			e.Kind = KindStep
		default:
			e.Kind = KindTerminated
		}
		log.Error("emr: cluster failed", "kind", e.Kind, "reason", res.Code, "message", res.Message)
		return e
	case types.ClusterStateTerminated:
		for _, s := range res.Steps {
			if s.State != types.StepStateCompleted {
				e.Kind = KindTerminated
				e.Message = strings.TrimSpace(res.Message + fmt.Sprintf(" (step %s %q was %s)", s.ID, s.Name, s.State))
				return e
			}
		}
	}
	return nil
}

// stepLogs fetches the tails of a failed step's stderr and stdout, waiting
// up to LogWait for them to arrive.
func (c *Controller) stepLogs(ctx context.Context, logURI, clusterID string, s *StepResult, log *slog.Logger) {
	if c.Logs == nil {
		s.LogsNote = "no log fetcher configured"
		return
	}
	if logURI == "" {
		s.LogsNote = "the cluster has no log URI"
		return
	}
	base := strings.Replace(logURI, "s3n://", "s3://", 1)
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	base += clusterID + "/steps/" + s.ID + "/"
	wait := c.LogWait
	if wait <= 0 {
		wait = 5 * time.Minute
	}
	until := c.now().Add(wait)
	interval := min(c.poll(), 30*time.Second)
	var lastErr error
	for {
		for _, f := range []struct {
			name string
			dst  *string
		}{{"stderr.gz", &s.Stderr}, {"stdout.gz", &s.Stdout}} {
			if *f.dst != "" {
				continue
			}
			b, err := c.Logs.Tail(ctx, base+f.name)
			if err != nil {
				lastErr = err
				continue
			}
			*f.dst = tailText(b, 40, 8<<10)
			if *f.dst == "" {
				*f.dst = "(empty)"
			}
		}
		if s.Stderr != "" {
			return
		}
		if !c.now().Before(until) {
			s.LogsNote = fmt.Sprintf("the step's logs were not in %s yet after %s (EMR uploads them every few minutes)", base, wait)
			if lastErr != nil {
				s.LogsNote += ": " + lastErr.Error()
			}
			log.Warn("emr: step logs not there yet", "where", base)
			return
		}
		if err := c.sleep(ctx, interval); err != nil {
			s.LogsNote = "stopped waiting for the step's logs: " + err.Error()
			return
		}
	}
}

// tailText unpacks gzip (as much as is readable) and keeps the last lines.
func tailText(b []byte, lines, maxBytes int) string {
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			var out bytes.Buffer
			io.Copy(&out, io.LimitReader(zr, 64<<20)) // a truncated object still yields its start
			b = out.Bytes()
		}
	}
	s := strings.TrimRight(string(b), "\n")
	if len(s) > maxBytes {
		s = s[len(s)-maxBytes:]
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	ls := strings.Split(s, "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// terminate ends a cluster on a fresh context (ctx may be cancelled), tags
// it with the reason first, and records the outcome in res.
func (c *Controller) terminate(id, why string, res *Result, log *slog.Logger) {
	err := c.terminateIDs([]string{id}, why)
	res.Terminated, res.TerminateReason, res.TerminateErr = err == nil, why, err
	if err != nil {
		log.Error("emr: could not terminate the cluster; it ends by its idle timeout, or run `spotlake cluster down`", "id", id, "reason", why, "err", err)
		return
	}
	log.Warn("emr: terminated the cluster", "id", id, "reason", why)
}

func (c *Controller) terminateIDs(ids []string, why string) error {
	t := c.TerminateTimeout
	if t <= 0 {
		t = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), t)
	defer cancel()
	for _, id := range ids {
		// Best effort: the reason is for whoever looks at the cluster later.
		c.API.AddTags(ctx, &emr.AddTagsInput{ResourceId: aws.String(id), Tags: []types.Tag{{Key: aws.String(TagTerminateReason), Value: aws.String(why)}}})
	}
	var err error
	backoff := time.Second
	for attempt := 1; attempt <= 5; attempt++ {
		_, err = c.API.TerminateJobFlows(ctx, &emr.TerminateJobFlowsInput{JobFlowIds: ids})
		if err == nil || (definite(err) && !IsThrottle(err)) {
			return err
		}
		if c.sleep(ctx, backoff) != nil {
			break
		}
		backoff *= 2
	}
	return err
}

// find lists the active clusters carrying the tags pipeline, role (unless
// "") and run id (unless ""), newest first. Only clusters whose name
// starts with "spotlake-" are described.
func (c *Controller) find(ctx context.Context, pipeline, role, runID string) ([]ClusterInfo, error) {
	var out []ClusterInfo
	var marker *string
	for page := 0; page < 100; page++ {
		var lc *emr.ListClustersOutput
		err := c.retry(ctx, func() (err error) {
			lc, err = c.API.ListClusters(ctx, &emr.ListClustersInput{ClusterStates: ActiveStates, Marker: marker})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, s := range lc.Clusters {
			if !strings.HasPrefix(aws.ToString(s.Name), "spotlake-") {
				continue
			}
			var dc *emr.DescribeClusterOutput
			err := c.retry(ctx, func() (err error) {
				dc, err = c.API.DescribeCluster(ctx, &emr.DescribeClusterInput{ClusterId: s.Id})
				return err
			})
			if err != nil {
				return nil, err
			}
			ci := info(dc.Cluster)
			if ci.Pipeline != pipeline || (role != "" && ci.Role != role) || (runID != "" && ci.RunID != runID) || terminal(ci.State) {
				continue
			}
			out = append(out, ci)
		}
		if marker = lc.Marker; marker == nil || *marker == "" {
			break
		}
	}
	return out, nil
}

// retry runs one API call, backing off on throttling (up to 6 times) and on
// errors of unknown outcome (up to 3 times): for idempotent calls only.
func (c *Controller) retry(ctx context.Context, f func() error) error {
	backoff := time.Second
	var err error
	for attempt := 1; attempt <= 6; attempt++ {
		if err = f(); err == nil || ctx.Err() != nil || (definite(err) && !IsThrottle(err)) || (!IsThrottle(err) && attempt >= 3) {
			return err
		}
		if c.sleep(ctx, backoff) != nil {
			return err
		}
		backoff = min(2*backoff, c.maxPoll())
	}
	return err
}

func info(cl *types.Cluster) ClusterInfo {
	if cl == nil {
		return ClusterInfo{}
	}
	tm := tagMap(cl.Tags)
	ci := ClusterInfo{
		ID: aws.ToString(cl.Id), Name: aws.ToString(cl.Name),
		Pipeline: tm[TagPipeline], Role: tm[TagRole], RunID: tm[TagRunID], CreatedBy: tm[TagCreatedBy],
		MasterDNS: aws.ToString(cl.MasterPublicDnsName), Tags: tm,
	}
	if cl.Status != nil {
		ci.State = cl.Status.State
	}
	if d, ok := tm[TagDeadline]; ok {
		ci.Deadline, _ = time.Parse(time.RFC3339, d)
	}
	return ci
}

// Status lists the pipeline's active clusters of role ("" for every role).
func (c *Controller) Status(ctx context.Context, pipeline, role string) ([]ClusterInfo, error) {
	return c.find(ctx, pipeline, role, "")
}

// Down terminates the pipeline's active clusters of role and returns their ids.
func (c *Controller) Down(ctx context.Context, pipeline, role string) ([]string, error) {
	if pipeline == "" || role == "" {
		return nil, errors.New("emr: Down needs a pipeline and a role")
	}
	found, err := c.find(ctx, pipeline, role, "")
	if err != nil || len(found) == 0 {
		return nil, err
	}
	ids := ids(found)
	if err := c.terminateIDs(ids, "down"); err != nil {
		return nil, fmt.Errorf("emr: terminate %s: %w", strings.Join(ids, ", "), err)
	}
	c.log().Info("emr: terminated", "pipeline", pipeline, "role", role, "ids", ids)
	return ids, nil
}

// GC terminates the pipeline's active clusters whose deadline tag is past
// now (a crashed controller's leftovers) and returns their ids. Clusters
// without spotlake's tags, of other pipelines, or without a deadline are
// never touched.
func (c *Controller) GC(ctx context.Context, pipeline string, now time.Time) ([]string, error) {
	if pipeline == "" {
		return nil, errors.New("emr: GC needs a pipeline")
	}
	found, err := c.find(ctx, pipeline, "", "")
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, ci := range found {
		if !ci.Deadline.IsZero() && ci.Deadline.Before(now) {
			stale = append(stale, ci.ID)
			c.log().Warn("emr: terminating a cluster past its deadline", "id", ci.ID, "name", ci.Name, "deadline", ci.Deadline)
		}
	}
	if len(stale) == 0 {
		return nil, nil
	}
	if err := c.terminateIDs(stale, "gc: past its deadline"); err != nil {
		return nil, fmt.Errorf("emr: terminate %s: %w", strings.Join(stale, ", "), err)
	}
	return stale, nil
}

// Submit adds steps to a running cluster (a waiting viz cluster's cache
// refresh) and returns their ids; Run or Up's result shows their outcome.
func (c *Controller) Submit(ctx context.Context, clusterID string, steps []types.StepConfig) ([]string, error) {
	out, err := c.API.AddJobFlowSteps(ctx, &emr.AddJobFlowStepsInput{JobFlowId: aws.String(clusterID), Steps: steps})
	if err != nil {
		return nil, fmt.Errorf("emr: add steps to %s: %w", clusterID, err)
	}
	return out.StepIds, nil
}

// SetIdleTimeout changes a cluster's auto-termination idle timeout (EMR
// takes 1m to 7 days).
func (c *Controller) SetIdleTimeout(ctx context.Context, clusterID string, d time.Duration) error {
	_, err := c.API.PutAutoTerminationPolicy(ctx, &emr.PutAutoTerminationPolicyInput{
		ClusterId: aws.String(clusterID), AutoTerminationPolicy: &types.AutoTerminationPolicy{IdleTimeout: aws.Int64(int64(d / time.Second))},
	})
	if err != nil {
		return fmt.Errorf("emr: set the idle timeout of %s: %w", clusterID, err)
	}
	return nil
}
