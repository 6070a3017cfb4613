package local

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// State is what the supervisor records about the running server, in
// <StateDir>/<Name>/server.json (replaced atomically).
type State struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	// PIDStart is the process's start time in clock ticks since boot
	// (Linux /proc): a recorded pid reused by another process is not taken
	// for the server.
	PIDStart      uint64    `json:"pid_start,omitempty"`
	Addr          string    `json:"addr"`
	URL           string    `json:"url"`
	ControlSocket string    `json:"control_socket"`
	LogFile       string    `json:"log_file"`
	Generation    int       `json:"generation"`
	StartedAt     time.Time `json:"started_at"`
	Command       []string  `json:"command"`
}

// Phase is a server's condition as Status sees it.
type Phase string

const (
	// Running: the process is alive and reports ready.
	Running Phase = "running"
	// Unhealthy: the process is alive but not ready, or does not answer on
	// its control socket.
	Unhealthy Phase = "unhealthy"
	// Stopped: no server process.
	Stopped Phase = "stopped"
)

// Status is the live view of a cluster.
type Status struct {
	Name  string `json:"name"`
	Phase Phase  `json:"phase"`
	// Server is the recorded server (nil when none is recorded). After Down,
	// the server that was stopped.
	Server *State `json:"server,omitempty"`
	// Health is the server's last answer on its control socket.
	Health *Health `json:"health,omitempty"`
	// Note explains the phase in words ("not running", "stale record of pid
	// 123 removed", "exited gracefully in 120ms").
	Note string `json:"note,omitempty"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

func (s *Supervisor) name() string {
	if s.Name == "" {
		return "viz"
	}
	return s.Name
}

// Dir is the folder of this cluster's files: StateDir/Name.
func (s *Supervisor) Dir() string { return filepath.Join(s.StateDir, s.name()) }

func (s *Supervisor) statePath() string { return filepath.Join(s.Dir(), "server.json") }
func (s *Supervisor) pendingPath() string {
	return filepath.Join(s.Dir(), "starting.json")
}
func (s *Supervisor) logPath(gen int) string {
	return filepath.Join(s.Dir(), fmt.Sprintf("server-%d.log", gen))
}

// maxSocketPath leaves room below the 108 bytes of sun_path (104 on BSDs).
const maxSocketPath = 100

// controlPath is the control socket of generation gen: in the cluster's
// folder, or when that path is too long for a unix socket, in a private
// folder under the temporary directory.
func (s *Supervisor) controlPath(gen int) (string, error) {
	p := filepath.Join(s.Dir(), fmt.Sprintf("ctl-%d.sock", gen))
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if len(p) <= maxSocketPath {
		return p, nil
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("spotlake-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("control socket folder: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("control socket folder: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !fi.IsDir() || (ok && int(st.Uid) != os.Getuid()) || fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("control socket folder %s: not a private folder of this user", dir)
	}
	sum := sha256.Sum256([]byte(s.Dir()))
	p = filepath.Join(dir, fmt.Sprintf("%x-%s-%d.sock", sum[:6], s.name(), gen))
	if len(p) > maxSocketPath {
		return "", fmt.Errorf("control socket path %s is too long for a unix socket", p)
	}
	return p, nil
}

// nextGeneration is one more than any generation recorded or logged, so that
// sockets and logs of different servers never share a name.
func (s *Supervisor) nextGeneration(cur *State) int {
	n := 0
	if cur != nil {
		n = cur.Generation
	}
	for _, g := range s.logGenerations() {
		n = max(n, g)
	}
	return n + 1
}

func (s *Supervisor) logGenerations() []int {
	ms, _ := filepath.Glob(filepath.Join(s.Dir(), "server-*.log"))
	var gens []int
	for _, m := range ms {
		g, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "server-"), ".log"))
		if err == nil {
			gens = append(gens, g)
		}
	}
	sort.Ints(gens)
	return gens
}

// pruneLogs keeps the logs of the last keep generations.
func (s *Supervisor) pruneLogs(keep int) {
	gens := s.logGenerations()
	for len(gens) > keep {
		os.Remove(s.logPath(gens[0]))
		gens = gens[1:]
	}
}

func readState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &st, nil
}

// writeJSONAtomic writes v to path through a temporary file and a rename, so
// a reader sees the old content or the new, never a part.
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// ErrBusy is returned when another cluster command holds the cluster's lock.
var ErrBusy = errors.New("another cluster command is in progress")

// BusyError says who holds the lock.
type BusyError struct {
	Name   string
	Holder LockHolder
}

func (e *BusyError) Error() string {
	if e.Holder.PID == 0 {
		return fmt.Sprintf("cluster %s: %v", e.Name, ErrBusy)
	}
	return fmt.Sprintf("cluster %s: %v (%s, pid %d, since %s)", e.Name, ErrBusy, e.Holder.Op, e.Holder.PID, e.Holder.Since.Format(time.RFC3339))
}

func (e *BusyError) Unwrap() error { return ErrBusy }

// LockHolder is the cluster command holding the lock.
type LockHolder struct {
	PID   int       `json:"pid"`
	Op    string    `json:"op"`
	Since time.Time `json:"since"`
}

// lock takes the cluster's lock (flock on <Dir>/lock), waiting up to
// LockWait. The kernel frees it if this process dies.
func (s *Supervisor) lock(ctx context.Context, op string) (func(), error) {
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	path := filepath.Join(s.Dir(), "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	deadline := time.Now().Add(s.LockWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			var li LockHolder
			if b, err := os.ReadFile(path); err == nil {
				json.Unmarshal(b, &li)
			}
			f.Close()
			return nil, &BusyError{Name: s.name(), Holder: li}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	b, _ := json.Marshal(LockHolder{PID: os.Getpid(), Op: op, Since: time.Now()})
	f.Truncate(0)
	f.WriteAt(b, 0)
	return func() {
		f.Truncate(0)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
