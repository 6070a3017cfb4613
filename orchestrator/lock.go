package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrLocked is returned when another run holds the pipeline's lock.
var ErrLocked = errors.New("another run holds the pipeline lock")

// LockInfo is written into the lock file for whoever finds it taken.
type LockInfo struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	RunID   string    `json:"run_id"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// Lock is a held run lock. The kernel releases it when the process dies,
// however it dies, so a crashed run never blocks the next one.
type Lock struct {
	f    *os.File
	path string
}

// AcquireLock takes the pipeline's run lock in dir. With wait, it blocks until
// the lock is free or ctx ends; without, a held lock is ErrLocked with the
// holder's details.
func AcquireLock(ctx context.Context, dir, pipeline string, info LockInfo, wait bool, waiting func(LockInfo)) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	path := filepath.Join(dir, pipeline+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	told := false
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		holder := readLockInfo(path)
		if !wait {
			f.Close()
			return nil, &LockedError{Pipeline: pipeline, Holder: holder, Path: path}
		}
		if !told && waiting != nil {
			waiting(holder)
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	b, _ := json.Marshal(info)
	if err := f.Truncate(0); err == nil {
		f.WriteAt(append(b, '\n'), 0)
		f.Sync()
	}
	return &Lock{f: f, path: path}, nil
}

// Release frees the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
	return err
}

func readLockInfo(path string) LockInfo {
	var li LockInfo
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &li)
	}
	return li
}

// LockedError says who holds the lock.
type LockedError struct {
	Pipeline string
	Holder   LockInfo
	Path     string
}

func (e *LockedError) Error() string {
	h := e.Holder
	who := "another spotlake process"
	if h.PID != 0 {
		who = fmt.Sprintf("%s (pid %d on %s, run %s, since %s)", h.Command, h.PID, h.Host, h.RunID, h.Since.Format(time.RFC3339))
	}
	return fmt.Sprintf("pipeline %s is busy: %s holds %s; wait for it to finish or rerun with --wait", e.Pipeline, who, e.Path)
}

func (e *LockedError) Unwrap() error { return ErrLocked }
