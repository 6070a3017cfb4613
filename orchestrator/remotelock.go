package orchestrator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spotlake/spotlake/providers/objstore"
)

// RemoteLock is the run lock of a pipeline whose controllers may run on
// different machines (provider aws: cron on one host, a rerun from a
// laptop): an object next to the warehouse, created only if absent, with a
// lease the holder renews. A holder that dies stops renewing, and once its
// lease has run out the next run takes the lock over.
type RemoteLock struct {
	store   objstore.Versioned
	url     string
	key     string
	info    remoteLockInfo
	lease   time.Duration
	stop    chan struct{}
	done    sync.WaitGroup
	mu      sync.Mutex
	version string        // of the lock object as we last wrote it
	lost    bool          // another run took the lock over
	lostC   chan struct{} // closed when lost
}

// ErrLockLost cancels a run whose remote lock another run took over: this
// run stalled past its lease (a suspended laptop, a long network outage),
// and the other run now owns the tables.
var ErrLockLost = errors.New("the run lock was taken over by another run")

type remoteLockInfo struct {
	LockInfo
	Expires time.Time `json:"expires"`
}

// lockKey is the lock object under the pipeline's bookkeeping prefix.
const lockKey = "lock.json"

// AcquireRemoteLock takes the lock in store (see RemoteLock). With wait it
// blocks until the lock is free or ctx ends; without, a held lock is a
// *LockedError naming the holder.
//
// Every change is a compare-and-swap on the lock object's version, so of
// two runs that find the same expired lock only one takes it over, and a
// holder that stalled past its lease neither renews nor deletes the lock
// another run has taken since.
func AcquireRemoteLock(ctx context.Context, store objstore.Store, pipeline string, info LockInfo, lease time.Duration, wait bool, waiting func(LockInfo)) (*RemoteLock, error) {
	vs, ok := store.(objstore.Versioned)
	if !ok {
		return nil, fmt.Errorf("%s: this store cannot replace an object only at a known version, so it cannot hold a lock", store.URL())
	}
	l := &RemoteLock{store: vs, url: strings.TrimSuffix(store.URL(), "/"), key: lockKey, info: remoteLockInfo{LockInfo: info}, lease: lease, stop: make(chan struct{}), lostC: make(chan struct{})}
	told := false
	for {
		l.info.Expires = time.Now().Add(lease).UTC()
		mine, _ := json.Marshal(l.info)
		if _, err := vs.PutIfAbsent(ctx, l.key, mine); err != nil {
			return nil, fmt.Errorf("take the run lock %s/%s: %w", l.url, l.key, err)
		}
		// Read back rather than trust PutIfAbsent's answer: the SDK may
		// have retried a put whose first attempt took effect but whose
		// response was lost, and the retry then answers "exists".
		cur, version, err := vs.GetVersion(ctx, l.key)
		switch {
		case errors.Is(err, objstore.ErrNotExist):
			continue // released between our put and our read
		case err != nil:
			return nil, fmt.Errorf("read the run lock %s/%s: %w", l.url, l.key, err)
		case bytes.Equal(cur, mine):
			l.version = version
			l.done.Add(1)
			go l.renew()
			return l, nil
		}
		var holder remoteLockInfo
		if json.Unmarshal(cur, &holder) != nil || time.Now().After(holder.Expires) {
			// The holder stopped renewing (it died), or the object is not a
			// lock: take over, unless another run does so first.
			v, ok, err := vs.PutIfMatch(ctx, l.key, mine, version)
			if err != nil {
				return nil, fmt.Errorf("take over the expired run lock of %s: %w", holder.RunID, err)
			}
			if ok {
				l.version = v
				l.done.Add(1)
				go l.renew()
				return l, nil
			}
			continue
		}
		if !wait {
			return nil, &LockedError{Pipeline: pipeline, Holder: holder.LockInfo, Path: l.url + "/" + l.key}
		}
		if !told && waiting != nil {
			waiting(holder.LockInfo)
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(lease/4, 5*time.Second)):
		}
	}
}

// renew extends the lease at a third of its length until Release or until
// another run has taken the lock over. A failed renewal is tried again at
// the next tick: the lease is three ticks long.
func (l *RemoteLock) renew() {
	defer l.done.Done()
	t := time.NewTicker(l.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), l.lease/3)
			l.mu.Lock()
			l.info.Expires = time.Now().Add(l.lease).UTC()
			b, _ := json.Marshal(l.info)
			v, ok, err := l.store.PutIfMatch(ctx, l.key, b, l.version)
			switch {
			case err != nil:
			case ok:
				l.version = v
			default:
				l.lost = true
				close(l.lostC)
			}
			lost := l.lost
			l.mu.Unlock()
			cancel()
			if lost {
				return
			}
		}
	}
}

// Lost reports whether another run has taken the lock over (this one
// stalled past its lease).
func (l *RemoteLock) Lost() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// LostC is closed when another run takes the lock over.
func (l *RemoteLock) LostC() <-chan struct{} { return l.lostC }

// Release stops renewing and removes the lock if it is still ours.
func (l *RemoteLock) Release() error {
	close(l.stop)
	l.done.Wait()
	if l.Lost() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := l.store.DeleteIfMatch(ctx, l.key, l.version)
	return err
}

// lockRun takes the pipeline's run lock: the file lock in the state folder
// and, when the warehouse's bookkeeping store can create objects only if
// absent (S3), the lock object there too, which controllers on other
// machines see.
//
// The returned context is ctx, cancelled with ErrLockLost as its cause if
// another run takes the remote lock over.
func (p *Pipeline) lockRun(ctx context.Context, info LockInfo, wait bool, waiting func(LockInfo)) (context.Context, func(), error) {
	lock, err := AcquireLock(ctx, p.Config.State, p.Config.Pipeline, info, wait, waiting)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := p.Books.(objstore.Versioned); !ok {
		return ctx, func() { lock.Release() }, nil
	}
	remote, err := AcquireRemoteLock(ctx, p.Books, p.Config.Pipeline, info, RemoteLockLease, wait, waiting)
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	released := make(chan struct{})
	go func() {
		select {
		case <-remote.LostC():
			cancel(fmt.Errorf("%w (%s/%s): this run stalled past its %s lease; check `spotlake runs list` before running again", ErrLockLost, remote.url, remote.key, remote.lease))
		case <-released:
		}
	}()
	return ctx, func() {
		close(released)
		remote.Release()
		lock.Release()
		cancel(nil)
	}, nil
}

// maintain takes the run lock for table maintenance (compact, expire) and
// refuses while a commit intent is pending: a pending intent is rolled
// forward by looking for its id in the snapshots, which maintenance
// rewrites.
func (p *Pipeline) maintain(ctx context.Context, command string) (release func(), err error) {
	host, _ := os.Hostname()
	_, release, err = p.lockRun(ctx, LockInfo{PID: os.Getpid(), Host: host, RunID: command, Command: "tables " + command, Since: time.Now().UTC()}, false, nil)
	if err != nil {
		return nil, err
	}
	pending, err := p.Committer.Pending(ctx)
	if err == nil && len(pending) > 0 {
		err = fmt.Errorf("%d commit(s) of an interrupted run are pending (first: %s): run `spotlake run` (or any stage) to roll them forward, then %s", len(pending), pending[0].ID, command)
	}
	if err != nil {
		release()
		return nil, err
	}
	return release, nil
}
