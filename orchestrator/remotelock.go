package orchestrator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spotlake/spotlake/providers/objstore"
)

// createOnly is a store that can create an object only if it is absent (S3
// conditional writes): the primitive of a lock every controller sees.
type createOnly interface {
	PutIfAbsent(ctx context.Context, key string, data []byte) (bool, error)
}

// RemoteLock is the run lock of a pipeline whose controllers may run on
// different machines (provider aws: cron on one host, a rerun from a
// laptop): an object next to the warehouse, created only if absent, with a
// lease the holder renews. A holder that dies stops renewing, and once its
// lease has run out the next run takes the lock over.
type RemoteLock struct {
	store objstore.Store
	key   string
	info  remoteLockInfo
	lease time.Duration
	stop  chan struct{}
	done  sync.WaitGroup
}

type remoteLockInfo struct {
	LockInfo
	Expires time.Time `json:"expires"`
}

// lockKey is the lock object under the pipeline's bookkeeping prefix.
const lockKey = "lock.json"

// AcquireRemoteLock takes the lock in store (see RemoteLock). With wait it
// blocks until the lock is free or ctx ends; without, a held lock is a
// *LockedError naming the holder.
func AcquireRemoteLock(ctx context.Context, store objstore.Store, pipeline string, info LockInfo, lease time.Duration, wait bool, waiting func(LockInfo)) (*RemoteLock, error) {
	co, ok := store.(createOnly)
	if !ok {
		return nil, fmt.Errorf("%s: this store cannot create an object only if it is absent, so it cannot hold a lock", store.URL())
	}
	l := &RemoteLock{store: store, key: lockKey, info: remoteLockInfo{LockInfo: info}, lease: lease, stop: make(chan struct{})}
	told := false
acquire:
	for {
		l.info.Expires = time.Now().Add(lease).UTC()
		b, _ := json.Marshal(l.info)
		created, err := co.PutIfAbsent(ctx, l.key, b)
		if err != nil {
			return nil, fmt.Errorf("take the run lock %s/%s: %w", store.URL(), l.key, err)
		}
		if created {
			break
		}
		holder, err := l.read(ctx)
		switch mine, _ := json.Marshal(holder); {
		case errors.Is(err, objstore.ErrNotExist):
			continue // released between our put and our read
		case err != nil:
			return nil, err
		case bytes.Equal(mine, b):
			// Our own write: the SDK retried a put whose first attempt
			// succeeded but whose response was lost.
			break acquire
		case time.Now().After(holder.Expires):
			// The holder stopped renewing: it died. Take over.
			if err := store.Delete(ctx, l.key); err != nil {
				return nil, fmt.Errorf("take over the expired run lock of %s: %w", holder.RunID, err)
			}
			continue
		}
		if !wait {
			return nil, &LockedError{Pipeline: pipeline, Holder: holder.LockInfo, Path: store.URL() + "/" + l.key}
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
	l.done.Add(1)
	go l.renew()
	return l, nil
}

func (l *RemoteLock) read(ctx context.Context) (remoteLockInfo, error) {
	rc, err := l.store.Open(ctx, l.key)
	if err != nil {
		return remoteLockInfo{}, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return remoteLockInfo{}, err
	}
	var h remoteLockInfo
	if err := json.Unmarshal(b, &h); err != nil {
		// Unreadable: treat as expired rather than block every run forever.
		return remoteLockInfo{}, nil
	}
	return h, nil
}

// renew extends the lease at a third of its length until Release.
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
			// Renew only our own lock: after a stall longer than the lease
			// another run may have taken it over, and must keep it.
			if h, err := l.read(ctx); err == nil && h.RunID != l.info.RunID {
				cancel()
				return
			}
			l.info.Expires = time.Now().Add(l.lease).UTC()
			b, _ := json.Marshal(l.info)
			l.store.Put(ctx, l.key, b)
			cancel()
		}
	}
}

// Release stops renewing and removes the lock.
func (l *RemoteLock) Release() error {
	close(l.stop)
	l.done.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return l.store.Delete(ctx, l.key)
}

// lockRun takes the pipeline's run lock: the file lock in the state folder
// and, when the warehouse's bookkeeping store can create objects only if
// absent (S3), the lock object there too, which controllers on other
// machines see.
func (p *Pipeline) lockRun(ctx context.Context, info LockInfo, wait bool, waiting func(LockInfo)) (release func(), err error) {
	lock, err := AcquireLock(ctx, p.Config.State, p.Config.Pipeline, info, wait, waiting)
	if err != nil {
		return nil, err
	}
	if _, ok := p.Books.(createOnly); !ok {
		return func() { lock.Release() }, nil
	}
	remote, err := AcquireRemoteLock(ctx, p.Books, p.Config.Pipeline, info, RemoteLockLease, wait, waiting)
	if err != nil {
		lock.Release()
		return nil, err
	}
	return func() { remote.Release(); lock.Release() }, nil
}

// maintain takes the run lock for table maintenance (compact, expire) and
// refuses while a commit intent is pending: a pending intent is rolled
// forward by looking for its id in the snapshots, which maintenance
// rewrites.
func (p *Pipeline) maintain(ctx context.Context, command string) (release func(), err error) {
	host, _ := os.Hostname()
	release, err = p.lockRun(ctx, LockInfo{PID: os.Getpid(), Host: host, RunID: command, Command: "tables " + command, Since: time.Now().UTC()}, false, nil)
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
