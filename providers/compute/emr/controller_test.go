package emr

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emr"
	"github.com/aws/aws-sdk-go-v2/service/emr/types"

	"github.com/spotlake/spotlake/providers/compute/emr/emrfake"
)

var _ API = (*emrfake.Fake)(nil)

// clock is a fake clock: Sleep advances it at once.
type clock struct {
	mu      sync.Mutex
	t       time.Time
	sleeps  int
	slept   []time.Duration
	onSleep func(n int)
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.sleeps++
	c.slept = append(c.slept, d)
	n, hook := c.sleeps, c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

// logs is a fake LogFetcher whose objects appear after a number of tries.
type logs struct {
	mu    sync.Mutex
	objs  map[string][]byte
	after int
	tries map[string]int
}

func (l *logs) Tail(ctx context.Context, url string) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tries[url]++
	b, ok := l.objs[url]
	if !ok || l.tries[url] <= l.after {
		return nil, fmt.Errorf("s3: %s: NoSuchKey", url)
	}
	return b, nil
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

type harness struct {
	f     *emrfake.Fake
	c     *Controller
	clock *clock
	logs  *logs
	cfgIn func(role string, mut func(*Spec)) *emr.RunJobFlowInput
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	cfg := loadExample(t)
	h := &harness{f: emrfake.New(), clock: &clock{t: fixedStart}, logs: &logs{objs: map[string][]byte{}, tries: map[string]int{}}}
	h.f.Now = h.clock.Now
	h.c = &Controller{
		API: h.f, Logs: h.logs, Poll: 30 * time.Second, LogWait: 5 * time.Minute,
		Now: h.clock.Now, Sleep: h.clock.Sleep,
		Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	}
	h.cfgIn = func(role string, mut func(*Spec)) *emr.RunJobFlowInput {
		s := specFor(cfg, role)
		if mut != nil {
			mut(&s)
		}
		in, err := BuildRunJobFlow(cfg, role, s)
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	return h
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func kindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

func (h *harness) only(t *testing.T) emrfake.Cluster {
	t.Helper()
	cs := h.f.Clusters()
	if len(cs) != 1 {
		t.Fatalf("%d clusters exist, want 1", len(cs))
	}
	return cs[0]
}

func TestRunStepsComplete(t *testing.T) {
	h := newHarness(t)
	h.f.Script(emrfake.Completes(2))
	res, err := h.c.Run(context.Background(), h.cfgIn("ml", nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.State != types.ClusterStateTerminated || res.Terminated || res.Reused || len(res.Steps) != 2 {
		t.Fatalf("result %+v", res)
	}
	for _, s := range res.Steps {
		if s.State != types.StepStateCompleted {
			t.Errorf("step %+v", s)
		}
	}
	if !strings.Contains(res.Steps[0].Name, "stage exec detect") || !strings.Contains(res.Steps[1].Name, "stage exec oa") {
		t.Errorf("steps out of order: %+v", res.Steps)
	}
	// One DescribeCluster and one ListSteps per interval, never faster than Poll×0.8.
	if d, l := h.f.Calls("DescribeCluster"), h.f.Calls("ListSteps"); d != l {
		t.Errorf("DescribeCluster %d, ListSteps %d", d, l)
	}
	for _, d := range h.clock.slept {
		if d < 24*time.Second || d > 2*time.Minute+24*time.Second {
			t.Errorf("slept %v: outside the jittered poll interval", d)
		}
	}
	h.only(t)
}

func TestRunStepFailsWithLogs(t *testing.T) {
	h := newHarness(t)
	fd := types.FailureDetails{
		Reason:  aws.String("Unknown error."),
		Message: aws.String("Command exited with status 1"),
		LogFile: aws.String("s3://acme-security-lake/spotlake/emr-logs/security/j-X/steps/s-X/stderr.gz"),
	}
	h.f.Script(emrfake.StepFails(2, 0, fd))
	in := h.cfgIn("ml", nil)
	h.logs.after = 3
	// The step id is known once the cluster exists: serve the logs for
	// every step of it.
	var once sync.Once
	h.clock.onSleep = func(int) {
		once.Do(func() {
			c := h.f.Clusters()[0]
			for _, s := range c.Steps {
				base := "s3://acme-security-lake/spotlake/emr-logs/security/" + c.ID + "/steps/" + s.ID + "/"
				h.logs.mu.Lock()
				h.logs.objs[base+"stderr.gz"] = gz("INFO starting\n" + strings.Repeat("noise\n", 100) + "Error: detect: no events for 2026-11-21\n")
				h.logs.objs[base+"stdout.gz"] = gz("")
				h.logs.mu.Unlock()
			}
		})
	}
	res, err := h.c.Run(context.Background(), in)
	if kindOf(err) != KindStep {
		t.Fatalf("err = %v, want a step failure", err)
	}
	msg := err.Error()
	for _, want := range []string{"Unknown error.", "Command exited with status 1", "stderr.gz", "Error: detect: no events for 2026-11-21", "STEP_FAILURE"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "INFO starting") {
		t.Errorf("the log is not a tail:\n%s", msg)
	}
	if res.Steps[0].State != types.StepStateFailed || res.Steps[1].State != types.StepStateCancelled {
		t.Errorf("steps %+v", res.Steps)
	}
	if res.Terminated || h.f.Calls("TerminateJobFlows") != 0 {
		t.Error("terminated a cluster that had ended by itself")
	}
	t.Log(msg)
}

func TestRunStepLogsNotThereYet(t *testing.T) {
	h := newHarness(t)
	h.f.Script(emrfake.StepFails(1, 0, types.FailureDetails{Reason: aws.String("Unknown error.")}))
	start := h.clock.Now()
	_, err := h.c.Run(context.Background(), h.cfgIn("ingest", nil))
	if kindOf(err) != KindStep || !strings.Contains(err.Error(), "not in s3://acme-security-lake/spotlake/emr-logs/security/j-FAKE") || !strings.Contains(err.Error(), "yet after 5m0s") {
		t.Fatalf("err = %v", err)
	}
	if took := h.clock.Now().Sub(start); took > 15*time.Minute {
		t.Errorf("waited %v for the logs", took)
	}
}

func TestRunClusterFailures(t *testing.T) {
	for _, tc := range []struct {
		code types.ClusterStateChangeReasonCode
		msg  string
		kind Kind
	}{
		{types.ClusterStateChangeReasonCodeBootstrapFailure, "On the master instance (i-0abc), bootstrap action 1 returned a non-zero return code", KindBootstrap},
		{types.ClusterStateChangeReasonCodeInstanceFleetTimeout, "The instance fleet TASK timed out while provisioning: insufficient spot capacity", KindCapacity},
		{types.ClusterStateChangeReasonCodeValidationError, "The subnet subnet-0a1b2c3d4e5f60718 does not exist", KindValidation},
		{types.ClusterStateChangeReasonCodeInstanceFailure, "The master instance failed", KindInstance},
	} {
		t.Run(string(tc.code), func(t *testing.T) {
			h := newHarness(t)
			h.f.Script(emrfake.Fails(1, tc.code, tc.msg))
			res, err := h.c.Run(context.Background(), h.cfgIn("ingest", nil))
			if kindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), string(tc.code)) {
				t.Fatalf("err = %v, want %s with EMR's reason", err, tc.kind)
			}
			if res.State != types.ClusterStateTerminatedWithErrors || res.Terminated {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestRunThrottled(t *testing.T) {
	h := newHarness(t)
	h.f.Script(emrfake.Completes(1))
	th := emrfake.ThrottlingError()
	h.f.FailNext("DescribeCluster", th, th, th, th)
	h.f.FailNext("ListSteps", th)
	res, err := h.c.Run(context.Background(), h.cfgIn("ingest", nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.State != types.ClusterStateTerminated {
		t.Fatalf("result %+v", res)
	}
}

func TestRunLostResponse(t *testing.T) {
	h := newHarness(t)
	h.f.Script(emrfake.Completes(1))
	h.f.LoseNextRunJobFlow()
	res, err := h.c.Run(context.Background(), h.cfgIn("ingest", nil))
	if err != nil {
		t.Fatal(err)
	}
	c := h.only(t)
	if res.ClusterID != c.ID || h.f.Calls("RunJobFlow") != 1 {
		t.Fatalf("result %+v, %d RunJobFlow calls", res, h.f.Calls("RunJobFlow"))
	}
}

func TestRunServerErrorRetries(t *testing.T) {
	h := newHarness(t)
	h.f.FailNext("RunJobFlow", emrfake.ServerError())
	h.f.Script(emrfake.Completes(1))
	if _, err := h.c.Run(context.Background(), h.cfgIn("ingest", nil)); err != nil {
		t.Fatal(err)
	}
	h.only(t)
	if n := h.f.Calls("RunJobFlow"); n != 2 {
		t.Errorf("%d RunJobFlow calls, want 2", n)
	}
}

func TestRunRejected(t *testing.T) {
	h := newHarness(t)
	h.f.FailNext("RunJobFlow", emrfake.InvalidRequest("Instance type m6i.xlarge is not supported"))
	_, err := h.c.Run(context.Background(), h.cfgIn("ingest", nil))
	if kindOf(err) != KindValidation || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("err = %v", err)
	}
	if len(h.f.Clusters()) != 0 || h.f.Calls("RunJobFlow") != 1 {
		t.Error("retried a rejected request")
	}
}

func TestRunReusesTheRunsCluster(t *testing.T) {
	h := newHarness(t)
	in := h.cfgIn("ingest", nil)
	h.f.Script(emrfake.Completes(1))
	// An earlier attempt of the run created it, then crashed.
	if _, err := h.f.RunJobFlow(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	res, err := h.c.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Reused || h.f.Calls("RunJobFlow") != 1 {
		t.Fatalf("reused %v, %d RunJobFlow calls", res.Reused, h.f.Calls("RunJobFlow"))
	}
	h.only(t)
	// Another run id is another cluster.
	h.f.Script(emrfake.RunsForever(1))
	other := h.cfgIn("ingest", func(s *Spec) { s.RunID = "other" })
	ctx, cancel := context.WithCancel(context.Background())
	h.clock.onSleep = func(n int) { cancel() }
	res, _ = h.c.Run(ctx, other)
	if res.Reused || len(h.f.Clusters()) != 2 {
		t.Errorf("run id not part of the key: reused %v, %d clusters", res.Reused, len(h.f.Clusters()))
	}
}

func TestRunInterrupted(t *testing.T) {
	h := newHarness(t)
	h.f.Script(emrfake.RunsForever(1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.clock.onSleep = func(n int) {
		if n == 3 {
			cancel() // SIGINT
		}
	}
	res, err := h.c.Run(ctx, h.cfgIn("ingest", nil))
	if kindOf(err) != KindInterrupted || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	c := h.only(t)
	if !res.Terminated || res.TerminateReason != "interrupted" || c.State != types.ClusterStateTerminated || c.Code != types.ClusterStateChangeReasonCodeUserRequest {
		t.Fatalf("result %+v, cluster %s %s", res, c.State, c.Code)
	}
	if tagMap(c.Tags)[TagTerminateReason] != "interrupted" {
		t.Errorf("tags %v", tagMap(c.Tags))
	}
}

func TestRunInterruptedDuringCreate(t *testing.T) {
	h := newHarness(t)
	h.f.Script(emrfake.RunsForever(1))
	h.f.LoseNextRunJobFlow()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The create went through though the caller gave up: it must not be left running.
	_, err := h.c.Run(ctx, h.cfgIn("ingest", nil))
	if err == nil {
		t.Fatal("no error")
	}
	for _, c := range h.f.Clusters() {
		if c.State != types.ClusterStateTerminated {
			t.Errorf("cluster %s left %s", c.ID, c.State)
		}
	}
}

func TestRunDeadline(t *testing.T) {
	h := newHarness(t)
	h.f.Script(emrfake.RunsForever(1))
	in := h.cfgIn("ingest", func(s *Spec) { s.Deadline = fixedStart.Add(10 * time.Minute) })
	res, err := h.c.Run(context.Background(), in)
	if kindOf(err) != KindDeadline {
		t.Fatalf("err = %v", err)
	}
	if !res.Terminated || h.only(t).State != types.ClusterStateTerminated {
		t.Fatalf("result %+v", res)
	}
	if late := h.clock.Now().Sub(fixedStart.Add(10 * time.Minute)); late > 30*time.Second {
		t.Errorf("noticed the deadline %v late", late)
	}
	// A deadline already past creates nothing.
	_, err = h.c.Run(context.Background(), h.cfgIn("ingest", func(s *Spec) { s.RunID = "late"; s.Deadline = fixedStart }))
	if kindOf(err) != KindDeadline || len(h.f.Clusters()) != 1 {
		t.Errorf("err = %v, %d clusters", err, len(h.f.Clusters()))
	}
}

func TestRunTerminatedByOthers(t *testing.T) {
	h := newHarness(t)
	h.f.Script(emrfake.RunsForever(1))
	h.clock.onSleep = func(n int) {
		if n == 3 {
			h.f.TerminateJobFlows(context.Background(), &emr.TerminateJobFlowsInput{JobFlowIds: []string{h.f.Clusters()[0].ID}})
		}
	}
	_, err := h.c.Run(context.Background(), h.cfgIn("ingest", nil))
	if kindOf(err) != KindTerminated || !strings.Contains(err.Error(), "USER_REQUEST") {
		t.Fatalf("err = %v", err)
	}
}

func TestUpStatusDown(t *testing.T) {
	h := newHarness(t)
	in := h.cfgIn("viz", nil)
	res, err := h.c.Up(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.State != types.ClusterStateWaiting || res.MasterDNS == "" || res.ClusterID == "" {
		t.Fatalf("result %+v", res)
	}
	// Up again finds it.
	again, err := h.c.Up(context.Background(), in)
	if err != nil || !again.Reused || again.ClusterID != res.ClusterID {
		t.Fatalf("second Up: %+v, %v", again, err)
	}
	st, err := h.c.Status(context.Background(), "security", "viz")
	if err != nil || len(st) != 1 || st[0].ID != res.ClusterID || st[0].RunID != "20261122T031500Z-ab12" || st[0].CreatedBy != "ops@scheduler-1" {
		t.Fatalf("status %+v, %v", st, err)
	}
	if _, err := h.c.Up(context.Background(), h.cfgIn("ingest", nil)); err == nil {
		t.Error("Up of a transient cluster: no error")
	}
	if err := h.c.SetIdleTimeout(context.Background(), res.ClusterID, 4*time.Hour); err != nil {
		t.Fatal(err)
	}
	ids, err := h.c.Down(context.Background(), "security", "viz")
	if err != nil || len(ids) != 1 || ids[0] != res.ClusterID {
		t.Fatalf("down %v, %v", ids, err)
	}
	c, _ := h.f.Cluster(res.ClusterID)
	if c.State != types.ClusterStateTerminated || aws.ToInt64(c.Policy.IdleTimeout) != 4*3600 {
		t.Errorf("cluster %+v", c)
	}
	if st, _ := h.c.Status(context.Background(), "security", "viz"); len(st) != 0 {
		t.Errorf("status after down: %+v", st)
	}
}

func TestUpBootstrapFailure(t *testing.T) {
	h := newHarness(t)
	h.f.Script(emrfake.Fails(1, types.ClusterStateChangeReasonCodeBootstrapFailure, "bootstrap action 1 returned a non-zero return code"))
	_, err := h.c.Up(context.Background(), h.cfgIn("viz", nil))
	if kindOf(err) != KindBootstrap {
		t.Fatalf("err = %v", err)
	}
}

func TestGC(t *testing.T) {
	h := newHarness(t)
	h.f.PageSize = 2
	past, future := fixedStart.Add(-time.Hour).Format(time.RFC3339), fixedStart.Add(time.Hour).Format(time.RFC3339)
	tags := func(p, dl string) map[string]string {
		m := map[string]string{TagPipeline: p, TagRole: "ingest", TagRunID: "r"}
		if dl != "" {
			m[TagDeadline] = dl
		}
		return m
	}
	stale := h.f.Add("spotlake-security-ingest-r", types.ClusterStateRunning, tags("security", past))
	stale2 := h.f.Add("spotlake-security-ml-r", types.ClusterStateWaiting, tags("security", past))
	keep := []string{
		h.f.Add("spotlake-security-ingest-r2", types.ClusterStateRunning, tags("security", future)),
		h.f.Add("spotlake-other-ingest-r", types.ClusterStateRunning, tags("other", past)),
		h.f.Add("spotlake-security-viz-r", types.ClusterStateWaiting, tags("security", "")),
		h.f.Add("spotlake-security-ingest-untagged", types.ClusterStateRunning, nil),
		h.f.Add("someone-elses", types.ClusterStateRunning, map[string]string{TagPipeline: "security", TagDeadline: past}),
		h.f.Add("spotlake-security-ingest-old", types.ClusterStateTerminated, tags("security", past)),
	}
	got, err := h.c.GC(context.Background(), "security", fixedStart)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !(got[0] == stale2 && got[1] == stale || got[0] == stale && got[1] == stale2) {
		t.Fatalf("GC terminated %v, want %s and %s", got, stale, stale2)
	}
	for _, id := range keep {
		c, _ := h.f.Cluster(id)
		if c.Code == types.ClusterStateChangeReasonCodeUserRequest {
			t.Errorf("GC terminated %s (%s)", id, c.Name)
		}
	}
	if again, err := h.c.GC(context.Background(), "security", fixedStart); err != nil || len(again) != 0 {
		t.Errorf("second GC: %v, %v", again, err)
	}
}

func TestTailText(t *testing.T) {
	if got := tailText(gz("a\nb\nc\n"), 2, 100); got != "b\nc" {
		t.Errorf("got %q", got)
	}
	if got := tailText([]byte(strings.Repeat("x", 50)+"\nend"), 10, 10); got != "end" {
		t.Errorf("got %q", got)
	}
}
