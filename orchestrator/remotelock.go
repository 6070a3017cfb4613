package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
		switch {
		case errors.Is(err, objstore.ErrNotExist):
			continue // released between our put and our read
		case err != nil:
			return nil, err
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
