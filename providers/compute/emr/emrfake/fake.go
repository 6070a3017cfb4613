// Package emrfake is a scripted, in-memory EMR behind emr.API for tests of
// spotlake's EMR controller and of the orchestrator above it.
//
// It behaves like EMR where the controller relies on it: ListClusters
// filters by state (and refuses a call without ClusterStates, which would
// list two months of clusters), lists the newest first in pages with a
// Marker; DescribeCluster returns the tags; terminated clusters stay listed
// as TERMINATED; ListSteps lists the newest step first. Each cluster
// follows a Script: every DescribeCluster of it moves it one Tick on (the
// last tick holds). TerminateJobFlows ends a cluster at once (TERMINATED,
// USER_REQUEST; unfinished steps CANCELLED). Errors can be injected per
// call, and a RunJobFlow can "lose" its response: the cluster is created
// but the caller gets an error.
package emrfake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emr"
	"github.com/aws/aws-sdk-go-v2/service/emr/types"
	"github.com/aws/smithy-go"
)

// Tick is one observed state of a cluster and its steps.
type Tick struct {
	State   types.ClusterState
	Code    types.ClusterStateChangeReasonCode
	Message string
	// Steps are the states of the cluster's steps in submission order; nil
	// keeps them as they were, a shorter list leaves the rest as they were.
	Steps []types.StepState
	// Failures are FailureDetails by step index.
	Failures map[int]types.FailureDetails
}

// Script is a cluster's life, one Tick per DescribeCluster.
type Script []Tick

func states(n int, s types.StepState) []types.StepState {
	out := make([]types.StepState, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func progress(n, done int) []types.StepState {
	out := states(n, types.StepStatePending)
	for i := range out {
		switch {
		case i < done:
			out[i] = types.StepStateCompleted
		case i == done:
			out[i] = types.StepStateRunning
		}
	}
	return out
}

func starting(n int) Script {
	return Script{
		{State: types.ClusterStateStarting, Steps: states(n, types.StepStatePending)},
		{State: types.ClusterStateBootstrapping, Steps: states(n, types.StepStatePending)},
	}
}

// Completes: n steps run one after another and the cluster ends by itself.
func Completes(n int) Script {
	s := starting(n)
	for i := 0; i < n; i++ {
		s = append(s, Tick{State: types.ClusterStateRunning, Steps: progress(n, i)})
	}
	done := states(n, types.StepStateCompleted)
	return append(s,
		Tick{State: types.ClusterStateTerminating, Code: types.ClusterStateChangeReasonCodeAllStepsCompleted, Message: "Steps completed", Steps: done},
		Tick{State: types.ClusterStateTerminated, Code: types.ClusterStateChangeReasonCodeAllStepsCompleted, Message: "Steps completed", Steps: done})
}

// StepFails: step failed of n fails with fd, the later ones are cancelled
// and the cluster ends with errors (ActionOnFailure TERMINATE_CLUSTER).
func StepFails(n, failed int, fd types.FailureDetails) Script {
	s := starting(n)
	for i := 0; i <= failed; i++ {
		s = append(s, Tick{State: types.ClusterStateRunning, Steps: progress(n, i)})
	}
	end := progress(n, failed)
	end[failed] = types.StepStateFailed
	for i := failed + 1; i < n; i++ {
		end[i] = types.StepStateCancelled
	}
	msg := "Shut down as step failed"
	f := map[int]types.FailureDetails{failed: fd}
	return append(s,
		Tick{State: types.ClusterStateTerminating, Code: types.ClusterStateChangeReasonCodeStepFailure, Message: msg, Steps: end, Failures: f},
		Tick{State: types.ClusterStateTerminatedWithErrors, Code: types.ClusterStateChangeReasonCodeStepFailure, Message: msg, Steps: end, Failures: f})
}

// Fails: the cluster never runs its n steps and ends with errors for code
// (BOOTSTRAP_FAILURE, INSTANCE_FLEET_TIMEOUT, VALIDATION_ERROR, ...).
func Fails(n int, code types.ClusterStateChangeReasonCode, msg string) Script {
	c := states(n, types.StepStateCancelled)
	return append(starting(n),
		Tick{State: types.ClusterStateTerminating, Code: code, Message: msg, Steps: c},
		Tick{State: types.ClusterStateTerminatedWithErrors, Code: code, Message: msg, Steps: c})
}

// RunsForever: the first of n steps runs and never ends.
func RunsForever(n int) Script {
	return append(starting(n), Tick{State: types.ClusterStateRunning, Steps: progress(n, 0)})
}

// Waits: a waiting cluster starts and, its n steps done, waits.
func Waits(n int) Script {
	return append(starting(n), Tick{State: types.ClusterStateWaiting, Code: "", Message: "Cluster ready to run steps.", Steps: states(n, types.StepStateCompleted)})
}

// Cluster is a fake cluster.
type Cluster struct {
	ID      string
	Name    string
	Input   *emr.RunJobFlowInput
	Tags    []types.Tag
	State   types.ClusterState
	Code    types.ClusterStateChangeReasonCode
	Message string
	Steps   []*Step
	LogURI  string
	DNS     string
	Created time.Time
	Policy  *types.AutoTerminationPolicy
	script  Script
	tick    int
}

// Step is a fake step.
type Step struct {
	ID      string
	Config  types.StepConfig
	State   types.StepState
	Failure *types.FailureDetails
}

// Fake is the scripted EMR. Use New.
type Fake struct {
	mu       sync.Mutex
	clusters []*Cluster
	scripts  []Script
	errs     map[string][]error
	lose     int
	calls    map[string]int
	n        int
	// PageSize is ListClusters' page size (EMR: 50).
	PageSize int
	// Now stamps creation times (default time.Now).
	Now func() time.Time
}

// New returns an empty fake.
func New() *Fake {
	return &Fake{errs: map[string][]error{}, calls: map[string]int{}, PageSize: 50}
}

// Script queues the scripts of the next clusters RunJobFlow creates, in
// order. A cluster without one waits (KeepJobFlowAliveWhenNoSteps) or
// completes its steps.
func (f *Fake) Script(s ...Script) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts = append(f.scripts, s...)
}

// FailNext makes the next calls of op (a method name) fail with errs, one
// per call, without doing anything.
func (f *Fake) FailNext(op string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[op] = append(f.errs[op], errs...)
}

// LoseNextRunJobFlow makes the next RunJobFlow create its cluster and
// then fail as if the response was lost (ErrLost).
func (f *Fake) LoseNextRunJobFlow() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lose++
}

// Calls is how many times op was called.
func (f *Fake) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Clusters returns copies of every cluster, oldest first.
func (f *Fake) Clusters() []Cluster {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Cluster, len(f.clusters))
	for i, c := range f.clusters {
		out[i] = *c
	}
	return out
}

// Cluster returns a copy of cluster id.
func (f *Fake) Cluster(id string) (Cluster, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.get(id); c != nil {
		return *c, true
	}
	return Cluster{}, false
}

// Add puts a cluster in state (with no steps) directly, as another
// client or an earlier controller would have left it.
func (f *Fake) Add(name string, state types.ClusterState, tags map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.newCluster(name)
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c.Tags = append(c.Tags, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	c.State = state
	c.script = Script{{State: state}}
	return c.ID
}

// ThrottlingError is EMR's throttling answer.
func ThrottlingError() error {
	return &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded", Fault: smithy.FaultClient}
}

// ServerError is a 5xx whose outcome is unknown.
func ServerError() error {
	return &smithy.GenericAPIError{Code: "InternalServerError", Message: "internal error", Fault: smithy.FaultServer}
}

// InvalidRequest is a client fault.
func InvalidRequest(msg string) error {
	return &smithy.GenericAPIError{Code: "InvalidRequestException", Message: msg, Fault: smithy.FaultClient}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "read tcp 10.0.0.1:50312->52.94.0.1:443: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// ErrLost is the error of a RunJobFlow whose response was lost.
var ErrLost error = &net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}

func (f *Fake) enter(op string) error {
	f.calls[op]++
	if q := f.errs[op]; len(q) > 0 {
		f.errs[op] = q[1:]
		return q[0]
	}
	return nil
}

func (f *Fake) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Fake) newCluster(name string) *Cluster {
	f.n++
	c := &Cluster{ID: fmt.Sprintf("j-FAKE%09d", f.n), Name: name, State: types.ClusterStateStarting, Created: f.now()}
	f.clusters = append(f.clusters, c)
	return c
}

func (f *Fake) get(id string) *Cluster {
	for _, c := range f.clusters {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func notFound(id string) error {
	return InvalidRequest("Cluster id '" + id + "' is not valid.")
}

func (f *Fake) RunJobFlow(ctx context.Context, in *emr.RunJobFlowInput, _ ...func(*emr.Options)) (*emr.RunJobFlowOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("RunJobFlow"); err != nil {
		return nil, err
	}
	if in.Name == nil || in.Instances == nil || in.ReleaseLabel == nil {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "Name, Instances and ReleaseLabel are required", Fault: smithy.FaultClient}
	}
	c := f.newCluster(aws.ToString(in.Name))
	c.Input, c.LogURI = in, aws.ToString(in.LogUri)
	c.Tags = slices.Clone(in.Tags)
	for _, sc := range in.Steps {
		f.n++
		c.Steps = append(c.Steps, &Step{ID: fmt.Sprintf("s-FAKE%09d", f.n), Config: sc, State: types.StepStatePending})
	}
	if len(f.scripts) > 0 {
		c.script, f.scripts = f.scripts[0], f.scripts[1:]
	} else if aws.ToBool(in.Instances.KeepJobFlowAliveWhenNoSteps) {
		c.script = Waits(len(c.Steps))
	} else {
		c.script = Completes(len(c.Steps))
	}
	c.tick = -1
	if f.lose > 0 {
		f.lose--
		return nil, &smithy.OperationError{ServiceID: "EMR", OperationName: "RunJobFlow", Err: ErrLost}
	}
	return &emr.RunJobFlowOutput{JobFlowId: aws.String(c.ID), ClusterArn: aws.String("arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/" + c.ID)}, nil
}

// advance moves c one tick on its script.
func (c *Cluster) advance() {
	if c.State == types.ClusterStateTerminated && c.Code == types.ClusterStateChangeReasonCodeUserRequest {
		return // terminated by a caller: the script is over
	}
	if len(c.script) == 0 {
		return
	}
	c.tick = min(c.tick+1, len(c.script)-1)
	t := c.script[c.tick]
	c.State, c.Code, c.Message = t.State, t.Code, t.Message
	for i, s := range t.Steps {
		if i < len(c.Steps) {
			c.Steps[i].State = s
		}
	}
	for i, fd := range t.Failures {
		if i < len(c.Steps) {
			fd := fd
			c.Steps[i].Failure = &fd
		}
	}
	if c.DNS == "" && (c.State == types.ClusterStateRunning || c.State == types.ClusterStateWaiting) {
		c.DNS = "ip-10-0-0-" + strconv.Itoa(len(c.ID)%250+1) + "." + c.ID + ".ec2.internal"
	}
}

func (c *Cluster) describe() *types.Cluster {
	return &types.Cluster{
		Id: aws.String(c.ID), Name: aws.String(c.Name), Tags: slices.Clone(c.Tags),
		Status: &types.ClusterStatus{State: c.State, StateChangeReason: &types.ClusterStateChangeReason{Code: c.Code, Message: aws.String(c.Message)}},
		LogUri: aws.String(c.LogURI), MasterPublicDnsName: nilIfEmpty(c.DNS),
	}
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func (f *Fake) DescribeCluster(ctx context.Context, in *emr.DescribeClusterInput, _ ...func(*emr.Options)) (*emr.DescribeClusterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("DescribeCluster"); err != nil {
		return nil, err
	}
	c := f.get(aws.ToString(in.ClusterId))
	if c == nil {
		return nil, notFound(aws.ToString(in.ClusterId))
	}
	c.advance()
	return &emr.DescribeClusterOutput{Cluster: c.describe()}, nil
}

// ErrNoStates answers a ListClusters without ClusterStates.
var ErrNoStates = &smithy.GenericAPIError{Code: "ValidationException", Message: "emrfake: ListClusters without ClusterStates would list every cluster of two months; pass ClusterStates", Fault: smithy.FaultClient}

func (f *Fake) ListClusters(ctx context.Context, in *emr.ListClustersInput, _ ...func(*emr.Options)) (*emr.ListClustersOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("ListClusters"); err != nil {
		return nil, err
	}
	if len(in.ClusterStates) == 0 {
		return nil, ErrNoStates
	}
	var match []types.ClusterSummary
	for i := len(f.clusters) - 1; i >= 0; i-- { // newest first
		c := f.clusters[i]
		if slices.Contains(in.ClusterStates, c.State) {
			d := c.describe()
			match = append(match, types.ClusterSummary{Id: d.Id, Name: d.Name, Status: d.Status})
		}
	}
	start := 0
	if in.Marker != nil {
		n, err := strconv.Atoi(*in.Marker)
		if err != nil || n < 0 || n > len(match) {
			return nil, InvalidRequest("bad marker")
		}
		start = n
	}
	size := f.PageSize
	if size <= 0 {
		size = 50
	}
	end := min(start+size, len(match))
	out := &emr.ListClustersOutput{Clusters: match[start:end]}
	if end < len(match) {
		out.Marker = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (s *Step) summary() types.StepSummary {
	return types.StepSummary{
		Id: aws.String(s.ID), Name: s.Config.Name, ActionOnFailure: s.Config.ActionOnFailure,
		Status: &types.StepStatus{State: s.State, FailureDetails: s.Failure},
	}
}

func (f *Fake) ListSteps(ctx context.Context, in *emr.ListStepsInput, _ ...func(*emr.Options)) (*emr.ListStepsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("ListSteps"); err != nil {
		return nil, err
	}
	c := f.get(aws.ToString(in.ClusterId))
	if c == nil {
		return nil, notFound(aws.ToString(in.ClusterId))
	}
	out := &emr.ListStepsOutput{}
	for i := len(c.Steps) - 1; i >= 0; i-- { // newest first
		out.Steps = append(out.Steps, c.Steps[i].summary())
	}
	return out, nil
}

func (f *Fake) DescribeStep(ctx context.Context, in *emr.DescribeStepInput, _ ...func(*emr.Options)) (*emr.DescribeStepOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("DescribeStep"); err != nil {
		return nil, err
	}
	c := f.get(aws.ToString(in.ClusterId))
	if c == nil {
		return nil, notFound(aws.ToString(in.ClusterId))
	}
	for _, s := range c.Steps {
		if s.ID == aws.ToString(in.StepId) {
			sum := s.summary()
			return &emr.DescribeStepOutput{Step: &types.Step{Id: sum.Id, Name: sum.Name, ActionOnFailure: sum.ActionOnFailure, Status: sum.Status}}, nil
		}
	}
	return nil, InvalidRequest("Step id '" + aws.ToString(in.StepId) + "' is not valid.")
}

func (f *Fake) AddJobFlowSteps(ctx context.Context, in *emr.AddJobFlowStepsInput, _ ...func(*emr.Options)) (*emr.AddJobFlowStepsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("AddJobFlowSteps"); err != nil {
		return nil, err
	}
	c := f.get(aws.ToString(in.JobFlowId))
	if c == nil {
		return nil, notFound(aws.ToString(in.JobFlowId))
	}
	if c.State == types.ClusterStateTerminated || c.State == types.ClusterStateTerminatedWithErrors || c.State == types.ClusterStateTerminating {
		return nil, InvalidRequest("A job flow that is shutting down, terminated, or finished may not be modified.")
	}
	out := &emr.AddJobFlowStepsOutput{}
	for _, sc := range in.Steps {
		f.n++
		s := &Step{ID: fmt.Sprintf("s-FAKE%09d", f.n), Config: sc, State: types.StepStatePending}
		c.Steps = append(c.Steps, s)
		out.StepIds = append(out.StepIds, s.ID)
	}
	return out, nil
}

func (f *Fake) TerminateJobFlows(ctx context.Context, in *emr.TerminateJobFlowsInput, _ ...func(*emr.Options)) (*emr.TerminateJobFlowsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("TerminateJobFlows"); err != nil {
		return nil, err
	}
	for _, id := range in.JobFlowIds {
		if f.get(id) == nil {
			return nil, notFound(id)
		}
	}
	for _, id := range in.JobFlowIds {
		c := f.get(id)
		if c.State == types.ClusterStateTerminated || c.State == types.ClusterStateTerminatedWithErrors {
			continue
		}
		c.State, c.Code, c.Message = types.ClusterStateTerminated, types.ClusterStateChangeReasonCodeUserRequest, "Terminated by user request"
		for _, s := range c.Steps {
			if s.State == types.StepStatePending || s.State == types.StepStateRunning || s.State == types.StepStateCancelPending {
				s.State = types.StepStateCancelled
			}
		}
	}
	return &emr.TerminateJobFlowsOutput{}, nil
}

func (f *Fake) AddTags(ctx context.Context, in *emr.AddTagsInput, _ ...func(*emr.Options)) (*emr.AddTagsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("AddTags"); err != nil {
		return nil, err
	}
	c := f.get(aws.ToString(in.ResourceId))
	if c == nil {
		return nil, notFound(aws.ToString(in.ResourceId))
	}
	for _, t := range in.Tags {
		i := slices.IndexFunc(c.Tags, func(x types.Tag) bool { return aws.ToString(x.Key) == aws.ToString(t.Key) })
		if i >= 0 {
			c.Tags[i] = t
		} else {
			c.Tags = append(c.Tags, t)
		}
	}
	return &emr.AddTagsOutput{}, nil
}

func (f *Fake) PutAutoTerminationPolicy(ctx context.Context, in *emr.PutAutoTerminationPolicyInput, _ ...func(*emr.Options)) (*emr.PutAutoTerminationPolicyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("PutAutoTerminationPolicy"); err != nil {
		return nil, err
	}
	c := f.get(aws.ToString(in.ClusterId))
	if c == nil {
		return nil, notFound(aws.ToString(in.ClusterId))
	}
	if in.AutoTerminationPolicy == nil {
		return nil, errors.New("emrfake: no policy")
	}
	p := *in.AutoTerminationPolicy
	c.Policy = &p
	return &emr.PutAutoTerminationPolicyOutput{}, nil
}
