package orchestrator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/providers/aws/awstest"
	"github.com/spotlake/spotlake/providers/objstore"
)

// A run whose S3 lock another run takes over (this one stalled past its
// lease) is cancelled, with ErrLockLost as the cause, rather than going on
// to commit beside the new holder.
func TestLockRunCancelledWhenLockLost(t *testing.T) {
	m := awstest.Start(t)
	ctx := context.Background()
	m.Bucket(t, "lake")
	books, err := objstore.NewS3(ctx, "s3://lake/warehouse/_spotlake/p", m.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	orig := RemoteLockLease
	RemoteLockLease = 600 * time.Millisecond
	t.Cleanup(func() { RemoteLockLease = orig })
	p := &Pipeline{Config: &config.Config{Pipeline: "p", State: t.TempDir()}, Books: books}

	runCtx, release, err := p.lockRun(ctx, LockInfo{PID: 1, Host: "slow", RunID: "rSlow", Command: "run", Since: time.Now()}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	select {
	case <-runCtx.Done():
		t.Fatalf("run cancelled while it held the lock: %v", context.Cause(runCtx))
	case <-time.After(2 * RemoteLockLease):
	}
	if err := books.Put(ctx, lockKey, []byte(`{"pid":2,"host":"fast","run_id":"rNew","command":"run","expires":"2099-01-01T00:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-runCtx.Done():
	case <-time.After(10 * RemoteLockLease):
		t.Fatal("the run went on after its lock was taken over")
	}
	if cause := context.Cause(runCtx); !errors.Is(cause, ErrLockLost) {
		t.Errorf("cause %v, want ErrLockLost", cause)
	}
}
