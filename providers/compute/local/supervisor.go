// Package local runs a cluster of the local provider: a background
// `spotlake serve` process (the visualization cluster, "viz") that the CLI
// starts (Up), inspects (Status), stops (Down) and replaces without downtime
// (Recreate).
//
// The listening TCP socket belongs to no single server. Up creates it and
// hands it to the server as an inherited descriptor (fd 3,
// SPOTLAKE_LISTEN_FD=3; the server calls Listener). Every server also answers
// on a unix control socket (SPOTLAKE_CONTROL_SOCKET; the server calls
// ServeControl, or runs a Server that does all of this): "health" and
// "listener", which sends a duplicate of the listening socket with
// SCM_RIGHTS. Recreate takes the socket from the running server, starts the
// new server on it (the same socket and accept queue, so the kernel never
// refuses a connection), waits until the new server reports ready, records
// it, and only then stops the old one with SIGTERM (graceful: it stops
// accepting and finishes its in-flight requests). A new server that fails or
// is not ready in time is killed and the old one keeps serving.
//
// Files, under StateDir/Name: server.json (the running server, replaced
// atomically), lock (flock: one cluster command at a time), server-N.log
// (output of generation N, the last few kept), ctl-N.sock (control sockets;
// under $TMPDIR/spotlake-UID when that path would be too long for a unix
// socket), starting.json (a server being started, so that one left by an
// interrupted command is killed by the next).
package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// Supervisor manages one named cluster's server process.
type Supervisor struct {
	// StateDir is the project's state folder; files go under StateDir/Name.
	StateDir string
	// Name is the cluster's name (default "viz").
	Name string
	// Command is the server's argv, e.g. [spotlake, "serve", "--config", path].
	Command []string
	// Env is added to this process's environment for the server.
	Env []string
	// WorkDir is the server's working directory ("" = this process's).
	WorkDir string
	// Addr is where Up listens, e.g. 127.0.0.1:8787; port 0 picks a free
	// one. Recreate keeps the running server's socket, so a changed Addr
	// takes effect at the next Down and Up.
	Addr string
	// ReadyTimeout bounds the wait for a new server to report ready
	// (default 2m: loading the hot cache).
	ReadyTimeout time.Duration
	// StopTimeout bounds a graceful stop before SIGKILL (default 30s).
	StopTimeout time.Duration
	// LockWait is how long a command waits for another cluster command to
	// finish (default 0: fail at once with a *BusyError).
	LockWait time.Duration
	// Progress, if set, receives what is happening, for the CLI to print.
	Progress func(msg string)

	spawned func(pid int) // tests: every server started
}

// AlreadyRunningError is Up's error when a live server is recorded.
type AlreadyRunningError struct{ State State }

func (e *AlreadyRunningError) Error() string {
	return fmt.Sprintf("cluster %s is already running at %s (pid %d, generation %d); use recreate to replace it", e.State.Name, e.State.URL, e.State.PID, e.State.Generation)
}

// StartError is a new server that did not become ready: it exited, or was
// not ready in time (then it was killed). LogTail is the end of its log.
type StartError struct {
	Name       string
	Generation int
	PID        int
	Reason     string
	LogFile    string
	LogTail    string
}

func (e *StartError) Error() string {
	msg := fmt.Sprintf("cluster %s: new server (pid %d, generation %d) %s", e.Name, e.PID, e.Generation, e.Reason)
	if e.LogTail != "" {
		msg += "\n--- end of " + e.LogFile + ":\n" + e.LogTail
	} else if e.LogFile != "" {
		msg += " (log: " + e.LogFile + ")"
	}
	return msg
}

// Recreated is the outcome of Recreate.
type Recreated struct {
	// State is the server now recorded: the new one, or on failure the old
	// one, still serving.
	State State
	// Previous is the server that was replaced (nil on a cold start).
	Previous *State
	// ColdStart: no live server was recorded, so Recreate started one as Up
	// does.
	ColdStart bool
	// OldStopped says how the previous server ended ("exited gracefully in
	// 80ms", "killed: still running 30s after SIGTERM").
	OldStopped string
	// Note adds what the caller should know (the reason for a cold start, an
	// Addr that differs from the kept socket).
	Note string
}

func (s *Supervisor) readyTimeout() time.Duration {
	if s.ReadyTimeout > 0 {
		return s.ReadyTimeout
	}
	return 2 * time.Minute
}

func (s *Supervisor) stopTimeout() time.Duration {
	if s.StopTimeout > 0 {
		return s.StopTimeout
	}
	return 30 * time.Second
}

func (s *Supervisor) progress(format string, args ...any) {
	if s.Progress != nil {
		s.Progress(fmt.Sprintf(format, args...))
	}
}

func (s *Supervisor) check() error {
	if s.StateDir == "" {
		return errors.New("local cluster: StateDir is empty")
	}
	if !nameRE.MatchString(s.name()) {
		return fmt.Errorf("local cluster: bad name %q (lower-case letters, digits, - and _)", s.Name)
	}
	return nil
}

// current is the recorded server and whether it is alive.
func (s *Supervisor) current() (*State, bool, error) {
	st, err := readState(s.statePath())
	if err != nil || st == nil {
		return st, false, err
	}
	return st, alive(st.PID, st.PIDStart), nil
}

// removeStale removes the record of a dead server and its control socket.
func (s *Supervisor) removeStale(st *State) {
	if st == nil {
		return
	}
	os.Remove(st.ControlSocket)
	os.Remove(s.statePath())
}

type pending struct {
	PID        int    `json:"pid"`
	PIDStart   uint64 `json:"pid_start,omitempty"`
	Generation int    `json:"generation"`
	Socket     string `json:"control_socket"`
}

// killOrphan kills a server left starting by a command that was
// interrupted (the lock is held, so no command is starting it now).
func (s *Supervisor) killOrphan(recorded *State) {
	var p pending
	b, err := os.ReadFile(s.pendingPath())
	if err != nil {
		return
	}
	if jsonErr := json.Unmarshal(b, &p); jsonErr == nil && p.PID > 0 && (recorded == nil || recorded.PID != p.PID) && alive(p.PID, p.PIDStart) {
		s.progress("killing server pid %d left starting by an interrupted command", p.PID)
		killGroup(p.PID, syscall.SIGKILL)
		waitGone(p.PID, p.PIDStart, 10*time.Second)
		if p.Socket != "" {
			os.Remove(p.Socket)
		}
	}
	os.Remove(s.pendingPath())
}

// Up starts the server in the background and returns once it reports ready.
// With a live server recorded it returns that server's State and an
// *AlreadyRunningError.
func (s *Supervisor) Up(ctx context.Context) (State, error) {
	if err := s.check(); err != nil {
		return State{}, err
	}
	unlock, err := s.lock(ctx, "up")
	if err != nil {
		return State{}, err
	}
	defer unlock()
	return s.up(ctx)
}

func (s *Supervisor) up(ctx context.Context) (State, error) {
	if len(s.Command) == 0 {
		return State{}, errors.New("local cluster: Command is empty")
	}
	cur, live, err := s.current()
	if err != nil {
		return State{}, err
	}
	s.killOrphan(cur)
	if live {
		return *cur, &AlreadyRunningError{State: *cur}
	}
	if cur != nil {
		s.progress("removing stale record of pid %d", cur.PID)
		s.removeStale(cur)
	}
	addr := s.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return State{}, fmt.Errorf("cluster %s: listen %s: %w", s.name(), addr, err)
	}
	defer ln.Close()
	f, err := dupListener(ln)
	if err != nil {
		return State{}, err
	}
	defer f.Close()
	st, err := s.launch(ctx, f, s.nextGeneration(cur))
	if err != nil {
		return State{}, err
	}
	return st, nil
}

// dupListener is a close-on-exec duplicate of ln's descriptor as a file that
// Fd (called by os/exec) leaves in non-blocking mode, which the servers
// sharing the socket rely on. (*net.TCPListener).File would not.
func dupListener(ln net.Listener) (*os.File, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("listener %T has no descriptor", ln)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var nfd int
	var derr error
	err = rc.Control(func(fd uintptr) {
		syscall.ForkLock.RLock()
		defer syscall.ForkLock.RUnlock()
		nfd, derr = syscall.Dup(int(fd))
		if derr == nil {
			syscall.CloseOnExec(nfd)
		}
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return nil, fmt.Errorf("duplicate listener: %w", err)
	}
	return os.NewFile(uintptr(nfd), "spotlake-listener"), nil
}

// launch starts generation gen on the listening socket f, waits until it is
// ready and records it. On failure the new server is killed and nothing is
// recorded.
func (s *Supervisor) launch(ctx context.Context, f *os.File, gen int) (State, error) {
	ctl, err := s.controlPath(gen)
	if err != nil {
		return State{}, err
	}
	os.Remove(ctl)
	logPath := s.logPath(gen)
	s.progress("starting %s server generation %d", s.name(), gen)
	c, err := s.spawn(f, gen, ctl, logPath)
	if err != nil {
		return State{}, err
	}
	if err := writeJSONAtomic(s.pendingPath(), pending{PID: c.pid, PIDStart: c.start, Generation: gen, Socket: ctl}); err != nil {
		c.kill()
		return State{}, fmt.Errorf("record starting server: %w", err)
	}
	fail := func(reason string) (State, error) {
		c.kill()
		os.Remove(ctl)
		os.Remove(s.pendingPath())
		return State{}, &StartError{Name: s.name(), Generation: gen, PID: c.pid, Reason: reason, LogFile: logPath, LogTail: logTail(logPath, 20)}
	}
	h, reason := s.waitReady(ctx, c)
	if reason != "" {
		return fail(reason)
	}
	addr := h.Addr
	st := State{
		Name:          s.name(),
		PID:           c.pid,
		PIDStart:      c.start,
		Addr:          addr,
		URL:           urlFor(addr),
		ControlSocket: ctl,
		LogFile:       logPath,
		Generation:    gen,
		StartedAt:     time.Now().UTC().Truncate(time.Millisecond),
		Command:       append([]string(nil), s.Command...),
	}
	if err := writeJSONAtomic(s.statePath(), st); err != nil {
		return fail(fmt.Sprintf("could not be recorded: %v", err))
	}
	os.Remove(s.pendingPath())
	s.pruneLogs(5)
	return st, nil
}

// waitReady polls the child's control socket until it reports ready; reason
// is why it did not.
func (s *Supervisor) waitReady(ctx context.Context, c *child) (Health, string) {
	timeout := s.readyTimeout()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		if c.exited() {
			return Health{}, fmt.Sprintf("exited before it was ready (%v)", c.err)
		}
		h, err := QueryHealth(ctx, c.ctl, 2*time.Second)
		switch {
		case err != nil:
			last = err.Error()
		case h.PID != c.pid:
			last = fmt.Sprintf("control socket answered by pid %d", h.PID)
		case h.Ready:
			return h, ""
		default:
			last = fmt.Sprintf("not ready: %v", h.Detail)
		}
		if time.Now().After(deadline) {
			return Health{}, fmt.Sprintf("was not ready after %s (last: %s); killed it", timeout, last)
		}
		select {
		case <-ctx.Done():
			return Health{}, fmt.Sprintf("start interrupted (%v); killed it", ctx.Err())
		case <-c.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func urlFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			host = "127.0.0.1"
		} else {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Status reads the record and checks the server: pid alive and health on its
// control socket. It takes no lock; it removes a stale record only when no
// other cluster command runs.
func (s *Supervisor) Status(ctx context.Context) (Status, error) {
	if err := s.check(); err != nil {
		return Status{}, err
	}
	out := Status{Name: s.name(), Phase: Stopped}
	cur, live, err := s.current()
	if err != nil {
		return out, err
	}
	if cur == nil {
		out.Note = "not running"
		return out, nil
	}
	out.Server = cur
	if !live {
		out.Note = fmt.Sprintf("not running: recorded pid %d is gone (stale record)", cur.PID)
		if unlock, err := s.lock(ctx, "status"); err == nil {
			if again, live, _ := s.current(); again != nil && !live && again.PID == cur.PID {
				s.removeStale(again)
				out.Note = fmt.Sprintf("not running: recorded pid %d is gone (stale record removed)", cur.PID)
			}
			unlock()
		}
		return out, nil
	}
	h, err := QueryHealth(ctx, cur.ControlSocket, 5*time.Second)
	switch {
	case err != nil:
		out.Phase = Unhealthy
		out.Note = fmt.Sprintf("pid %d is alive but does not answer: %v", cur.PID, err)
	case h.PID != cur.PID:
		out.Phase = Unhealthy
		out.Health = &h
		out.Note = fmt.Sprintf("control socket answered by pid %d, not the recorded pid %d", h.PID, cur.PID)
	case !h.Ready:
		out.Phase = Unhealthy
		out.Health = &h
		out.Note = fmt.Sprintf("pid %d is not ready: %v", cur.PID, h.Detail)
	default:
		out.Phase = Running
		out.Health = &h
		out.Note = fmt.Sprintf("serving %s (pid %d, generation %d)", cur.URL, cur.PID, cur.Generation)
	}
	return out, nil
}

// Down stops the server (SIGTERM, then SIGKILL after StopTimeout) and removes
// its record. With nothing running it is not an error: the Status says so.
func (s *Supervisor) Down(ctx context.Context) (Status, error) {
	if err := s.check(); err != nil {
		return Status{}, err
	}
	out := Status{Name: s.name(), Phase: Stopped}
	unlock, err := s.lock(ctx, "down")
	if err != nil {
		return out, err
	}
	defer unlock()
	cur, live, err := s.current()
	if err != nil {
		return out, err
	}
	s.killOrphan(cur)
	if cur == nil {
		out.Note = "was not running"
		return out, nil
	}
	out.Server = cur
	if !live {
		s.removeStale(cur)
		out.Note = fmt.Sprintf("was not running (stale record of pid %d removed)", cur.PID)
		return out, nil
	}
	s.progress("stopping %s server pid %d", s.name(), cur.PID)
	how, err := stopProcess(cur.PID, cur.PIDStart, s.stopTimeout())
	if err != nil {
		out.Phase = Unhealthy
		return out, err
	}
	s.removeStale(cur)
	out.Note = fmt.Sprintf("pid %d %s", cur.PID, how)
	return out, nil
}

// Recreate replaces the running server by a new one started with the
// current Command and Env, without a moment where the address refuses
// connections: see the package documentation. If the new server fails or is
// not ready within ReadyTimeout, it is killed, the old one keeps serving and
// the error is a *StartError with the new server's log tail. With no live
// server recorded, it starts one as Up does (ColdStart).
func (s *Supervisor) Recreate(ctx context.Context) (Recreated, error) {
	if err := s.check(); err != nil {
		return Recreated{}, err
	}
	unlock, err := s.lock(ctx, "recreate")
	if err != nil {
		return Recreated{}, err
	}
	defer unlock()
	if len(s.Command) == 0 {
		return Recreated{}, errors.New("local cluster: Command is empty")
	}
	old, live, err := s.current()
	if err != nil {
		return Recreated{}, err
	}
	s.killOrphan(old)
	if !live {
		note := "no server was running; started one"
		if old != nil {
			note = fmt.Sprintf("recorded server pid %d was not running; started a new one", old.PID)
		}
		s.progress("%s", note)
		st, err := s.up(ctx)
		return Recreated{State: st, ColdStart: true, Note: note}, err
	}
	out := Recreated{State: *old, Previous: old}
	if s.Addr != "" && !sameAddr(s.Addr, old.Addr) {
		out.Note = fmt.Sprintf("kept the running server's address %s; the configured %s takes effect after down and up", old.Addr, s.Addr)
	}

	s.progress("taking the listening socket from pid %d", old.PID)
	f, reply, err := fetchListener(ctx, old.ControlSocket, 10*time.Second)
	if err != nil {
		return out, fmt.Errorf("cluster %s: cannot take the listening socket from the running server (pid %d): %w; stop it with down, then up", s.name(), old.PID, err)
	}
	defer f.Close()
	if reply.PID != 0 && reply.PID != old.PID {
		return out, fmt.Errorf("cluster %s: control socket %s answered by pid %d, not the recorded pid %d", s.name(), old.ControlSocket, reply.PID, old.PID)
	}
	if ln, err := net.FileListener(f); err == nil {
		got := ln.Addr().String()
		ln.Close()
		if got != old.Addr {
			return out, fmt.Errorf("cluster %s: the running server handed over a socket on %s, not %s", s.name(), got, old.Addr)
		}
	} else {
		return out, fmt.Errorf("cluster %s: handed-over socket: %w", s.name(), err)
	}

	st, err := s.launch(ctx, f, s.nextGeneration(old))
	if err != nil {
		return out, err // old one untouched, still serving
	}
	f.Close() // only the servers hold the socket now
	out.State = st
	s.progress("generation %d ready at %s; stopping pid %d", st.Generation, st.URL, old.PID)
	how, err := stopProcess(old.PID, old.PIDStart, s.stopTimeout())
	if old.ControlSocket != "" {
		os.Remove(old.ControlSocket)
	}
	if err != nil {
		return out, fmt.Errorf("cluster %s: new server is serving, but the old one: %w", s.name(), err)
	}
	out.OldStopped = fmt.Sprintf("pid %d %s", old.PID, how)
	return out, nil
}

func sameAddr(want, got string) bool {
	wh, wp, err1 := net.SplitHostPort(want)
	gh, gp, err2 := net.SplitHostPort(got)
	if err1 != nil || err2 != nil {
		return want == got
	}
	if wp != "0" && wp != gp {
		return false
	}
	if wh == "" || wh == gh {
		return true
	}
	wi, gi := net.ParseIP(wh), net.ParseIP(gh)
	if wi != nil && gi != nil {
		return wi.Equal(gi) || wi.IsUnspecified() && gi.IsUnspecified()
	}
	return strings.EqualFold(wh, gh) || wh == "localhost" && gi != nil && gi.IsLoopback()
}
