package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/providers/aws/awstest"
	"github.com/spotlake/spotlake/providers/objstore"
)

// lockStore is the bookkeeping store of a pipeline on moto's S3, where the
// run lock lives.
func lockStore(t *testing.T) *objstore.S3 {
	t.Helper()
	m := awstest.Start(t)
	m.Bucket(t, "lake")
	store, err := objstore.NewS3(context.Background(), "s3://lake/warehouse/_spotlake/p", m.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// The run lock on S3: one holder at a time across machines, the holder's
// details for whoever finds it taken, renewal while held, and takeover of
// a lock whose holder died.
func TestRemoteLock(t *testing.T) {
	ctx := context.Background()
	store := lockStore(t)
	a := orchestrator.LockInfo{PID: 1, Host: "cron-host", RunID: "rA", Command: "run", Since: time.Now()}
	b := orchestrator.LockInfo{PID: 2, Host: "laptop", RunID: "rB", Command: "stage run ingest", Since: time.Now()}
	lease := 600 * time.Millisecond

	la, err := orchestrator.AcquireRemoteLock(ctx, store, "p", a, lease, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = orchestrator.AcquireRemoteLock(ctx, store, "p", b, lease, false, nil)
	if !errors.Is(err, orchestrator.ErrLocked) || !strings.Contains(err.Error(), "cron-host") || !strings.Contains(err.Error(), "rA") {
		t.Fatalf("second holder: %v", err)
	}
	// Held past its first lease: the holder renews it.
	time.Sleep(2 * lease)
	if _, err := orchestrator.AcquireRemoteLock(ctx, store, "p", b, lease, false, nil); !errors.Is(err, orchestrator.ErrLocked) {
		t.Fatalf("a renewed lock was taken over: %v", err)
	}
	// A waiter gets it once the holder releases.
	got := make(chan error, 1)
	told := make(chan orchestrator.LockInfo, 1)
	go func() {
		lb, err := orchestrator.AcquireRemoteLock(ctx, store, "p", b, lease, true, func(h orchestrator.LockInfo) { told <- h })
		if err == nil {
			err = lb.Release()
		}
		got <- err
	}()
	if h := <-told; h.RunID != "rA" {
		t.Errorf("waiter told of %+v", h)
	}
	if err := la.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	// A holder that died (its lease ran out, nobody renews) is taken over.
	dead := `{"pid":9,"host":"gone","run_id":"rDead","command":"run","since":"2026-11-22T00:00:00Z","expires":"2026-11-22T00:01:00Z"}`
	if err := store.Put(ctx, "lock.json", []byte(dead)); err != nil {
		t.Fatal(err)
	}
	lc, err := orchestrator.AcquireRemoteLock(ctx, store, "p", b, lease, false, nil)
	if err != nil {
		t.Fatalf("take over a dead holder's lock: %v", err)
	}
	rc, err := store.Open(ctx, "lock.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if !strings.Contains(string(body), `"rB"`) {
		t.Errorf("lock after takeover: %s", body)
	}
	lc.Release()
	if _, err := store.Open(ctx, "lock.json"); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("lock left after release: %v", err)
	}
}

// lostResponse is S3 whose answer to a conditional put got lost after the
// put took effect: the SDK's retry then finds the object there (412).
type lostResponse struct{ *objstore.S3 }

func (s lostResponse) PutIfAbsent(ctx context.Context, key string, data []byte) (bool, error) {
	if _, err := s.S3.PutIfAbsent(ctx, key, data); err != nil {
		return false, err
	}
	return s.S3.PutIfAbsent(ctx, key, data)
}

// A retried lock put that finds its own first attempt holds the lock, not
// "locked by" itself.
func TestRemoteLockOwnRetriedPut(t *testing.T) {
	ctx := context.Background()
	store := lockStore(t)
	a := orchestrator.LockInfo{PID: 1, Host: "cron-host", RunID: "rA", Command: "run", Since: time.Now()}
	la, err := orchestrator.AcquireRemoteLock(ctx, lostResponse{store}, "p", a, time.Minute, false, nil)
	if err != nil {
		t.Fatalf("own retried put: %v", err)
	}
	b := orchestrator.LockInfo{PID: 2, Host: "laptop", RunID: "rB", Command: "run", Since: time.Now()}
	if _, err := orchestrator.AcquireRemoteLock(ctx, lostResponse{store}, "p", b, time.Minute, false, nil); !errors.Is(err, orchestrator.ErrLocked) {
		t.Fatalf("another run's retried put got the lock: %v", err)
	}
	if err := la.Release(); err != nil {
		t.Fatal(err)
	}
}

// Of several runs that find the same dead holder's lock at once, exactly
// one takes it over; a holder whose lock was taken over while it stalled
// neither renews over the new holder nor deletes its lock.
func TestRemoteLockTakeover(t *testing.T) {
	ctx := context.Background()
	store := lockStore(t)
	dead := `{"pid":9,"host":"gone","run_id":"rDead","command":"run","since":"2026-11-22T00:00:00Z","expires":"2026-11-22T00:01:00Z"}`
	if err := store.Put(ctx, "lock.json", []byte(dead)); err != nil {
		t.Fatal(err)
	}
	const runs = 6
	type result struct {
		l   *orchestrator.RemoteLock
		err error
	}
	res := make(chan result, runs)
	for i := range runs {
		go func() {
			info := orchestrator.LockInfo{PID: 100 + i, Host: "h", RunID: fmt.Sprintf("r%d", i), Command: "run", Since: time.Now()}
			l, err := orchestrator.AcquireRemoteLock(ctx, store, "p", info, time.Minute, false, nil)
			res <- result{l, err}
		}()
	}
	var winner *orchestrator.RemoteLock
	for range runs {
		r := <-res
		switch {
		case r.err == nil && winner == nil:
			winner = r.l
		case r.err == nil:
			t.Errorf("two runs took the dead holder's lock over")
		case !errors.Is(r.err, orchestrator.ErrLocked):
			t.Errorf("takeover: %v", r.err)
		}
	}
	if winner == nil {
		t.Fatal("no run took the dead holder's lock over")
	}
	winner.Release()

	// A holder stalls past its lease and another run takes the lock over
	// (written here directly): the stalled holder finds out at its next
	// renewal and leaves the new holder's lock alone.
	lease := 600 * time.Millisecond
	la, err := orchestrator.AcquireRemoteLock(ctx, store, "p", orchestrator.LockInfo{PID: 1, Host: "slow", RunID: "rSlow", Command: "run", Since: time.Now()}, lease, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := `{"pid":2,"host":"fast","run_id":"rNew","command":"run","since":"2026-11-22T00:00:00Z","expires":"2099-01-01T00:00:00Z"}`
	if err := store.Put(ctx, "lock.json", []byte(other)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * lease)
	for !la.Lost() && time.Now().Before(deadline) {
		time.Sleep(lease / 10)
	}
	if !la.Lost() {
		t.Fatal("a holder whose lock was taken over does not know it")
	}
	if err := la.Release(); err != nil {
		t.Fatal(err)
	}
	rc, err := store.Open(ctx, "lock.json")
	if err != nil {
		t.Fatalf("the new holder's lock is gone: %v", err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != other {
		t.Errorf("the new holder's lock was overwritten: %s", body)
	}
}
