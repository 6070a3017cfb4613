package local

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Environment variables set by the Supervisor for the server process.
const (
	// EnvListenFD names the inherited descriptor of the listening socket (3).
	EnvListenFD = "SPOTLAKE_LISTEN_FD"
	// EnvControlSocket is the unix socket path the server answers control
	// requests on (health, listener hand-over).
	EnvControlSocket = "SPOTLAKE_CONTROL_SOCKET"
	// EnvGeneration is the server's generation: 1 for the first server, +1 at
	// every recreate.
	EnvGeneration = "SPOTLAKE_GENERATION"
	// EnvCluster is the cluster's name (viz).
	EnvCluster = "SPOTLAKE_CLUSTER"
)

// Health is a server's answer to a health request.
type Health struct {
	// Ready: the server has loaded what it serves (the hot cache) and accepts
	// requests.
	Ready bool `json:"ready"`
	// Detail is free-form (cache tables and rows, a loading stage, an error).
	Detail any `json:"detail,omitempty"`
	// PID, Addr and Generation are filled in by ServeControl.
	PID        int    `json:"pid"`
	Addr       string `json:"addr"`
	Generation int    `json:"generation,omitempty"`
}

// ControlSocketFromEnv is the control socket path the supervisor gave this
// process, "" when it was not started by a Supervisor.
func ControlSocketFromEnv() string { return os.Getenv(EnvControlSocket) }

// GenerationFromEnv is this server's generation, 0 when it was not started by
// a Supervisor.
func GenerationFromEnv() int {
	n, _ := strconv.Atoi(os.Getenv(EnvGeneration))
	return n
}

// Listener returns the listening socket inherited from the supervisor when
// SPOTLAKE_LISTEN_FD is set (addr is then ignored: the socket is already
// bound), else a new one on addr. It consumes the variable, so a second call
// (or a child process) does not reuse the descriptor.
func Listener(addr string) (net.Listener, error) {
	v := os.Getenv(EnvListenFD)
	if v == "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		return ln, nil
	}
	os.Unsetenv(EnvListenFD)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%s=%q: not a descriptor number", EnvListenFD, v)
	}
	f := os.NewFile(uintptr(fd), "spotlake-listener")
	if f == nil {
		return nil, fmt.Errorf("%s=%d: invalid descriptor", EnvListenFD, fd)
	}
	defer f.Close() // FileListener holds its own duplicate
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("inherited listener (fd %d): %w", fd, err)
	}
	return ln, nil
}

// ServeControl answers control requests on the unix socket path until ctx
// ends: "health" (a JSON Health, with PID, Addr and Generation filled in) and
// "listener" (a duplicate of ln's descriptor, sent with SCM_RIGHTS, so that a
// new server can accept on the same socket). It removes the socket file when
// it returns. health is called concurrently.
func ServeControl(ctx context.Context, path string, ln net.Listener, health func() Health) error {
	ul, err := listenControl(path)
	if err != nil {
		return err
	}
	return serveControl(ctx, ul, ln, health)
}

func listenControl(path string) (*net.UnixListener, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path) // stale, from a server that died
	}
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ul.SetUnlinkOnClose(true)
	os.Chmod(path, 0o600) // whoever can connect can take the listening socket
	return ul, nil
}

func serveControl(ctx context.Context, ul *net.UnixListener, ln net.Listener, health func() Health) error {
	stop := context.AfterFunc(ctx, func() { ul.Close() })
	defer stop()
	defer ul.Close()
	for {
		c, err := ul.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: back off, keep serving
			continue
		}
		go handleControl(c, ln, health)
	}
}

type listenerReply struct {
	OK    bool   `json:"ok"`
	Addr  string `json:"addr,omitempty"`
	PID   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
}

func handleControl(c *net.UnixConn, ln net.Listener, health func() Health) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(io.LimitReader(c, 256)).ReadString('\n')
	if err != nil {
		return
	}
	switch strings.TrimSpace(line) {
	case "health":
		var h Health
		func() {
			defer func() {
				if r := recover(); r != nil {
					h = Health{Detail: fmt.Sprintf("health check panicked: %v", r)}
				}
			}()
			if health != nil {
				h = health()
			} else {
				h = Health{Ready: true}
			}
		}()
		h.PID = os.Getpid()
		h.Addr = ln.Addr().String()
		h.Generation = GenerationFromEnv()
		b, err := json.Marshal(h)
		if err != nil {
			h.Detail = fmt.Sprint(h.Detail)
			b, _ = json.Marshal(h)
		}
		c.Write(append(b, '\n'))
	case "listener":
		reply := listenerReply{OK: true, Addr: ln.Addr().String(), PID: os.Getpid()}
		sc, ok := ln.(syscall.Conn)
		if !ok {
			writeJSONLine(c, listenerReply{Error: fmt.Sprintf("listener %T has no descriptor", ln)})
			return
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			writeJSONLine(c, listenerReply{Error: err.Error()})
			return
		}
		b, _ := json.Marshal(reply)
		var werr error
		// Control, not File: File's descriptor is put in blocking mode by
		// Fd, and the blocking flag is shared by every process holding it.
		cerr := rc.Control(func(fd uintptr) {
			_, _, werr = c.WriteMsgUnix(append(b, '\n'), syscall.UnixRights(int(fd)), nil)
		})
		if cerr != nil {
			writeJSONLine(c, listenerReply{Error: cerr.Error()})
		}
		_ = werr
	default:
		writeJSONLine(c, listenerReply{Error: fmt.Sprintf("unknown request %q", strings.TrimSpace(line))})
	}
}

func writeJSONLine(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	w.Write(append(b, '\n'))
}

// QueryHealth asks the server behind a control socket for its health.
func QueryHealth(ctx context.Context, socket string, timeout time.Duration) (Health, error) {
	var h Health
	c, err := dialControl(ctx, socket, timeout)
	if err != nil {
		return h, err
	}
	defer c.Close()
	if _, err := c.Write([]byte("health\n")); err != nil {
		return h, fmt.Errorf("control socket %s: %w", socket, err)
	}
	line, err := bufio.NewReader(io.LimitReader(c, 1<<20)).ReadBytes('\n')
	if err != nil {
		return h, fmt.Errorf("control socket %s: %w", socket, err)
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return h, fmt.Errorf("control socket %s: bad answer: %w", socket, err)
	}
	return h, nil
}

func dialControl(ctx context.Context, socket string, timeout time.Duration) (*net.UnixConn, error) {
	if socket == "" {
		return nil, errors.New("no control socket recorded")
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	dl := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	c.SetDeadline(dl)
	return c.(*net.UnixConn), nil
}

// fetchListener asks the server behind socket for a duplicate of its
// listening socket. The returned file is close-on-exec in this process.
func fetchListener(ctx context.Context, socket string, timeout time.Duration) (*os.File, listenerReply, error) {
	var reply listenerReply
	c, err := dialControl(ctx, socket, timeout)
	if err != nil {
		return nil, reply, err
	}
	defer c.Close()
	if _, err := c.Write([]byte("listener\n")); err != nil {
		return nil, reply, fmt.Errorf("control socket %s: %w", socket, err)
	}
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, flags, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, reply, fmt.Errorf("control socket %s: %w", socket, err)
	}
	var fds []int
	if oobn > 0 {
		msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
		if err == nil {
			for i := range msgs {
				if got, err := syscall.ParseUnixRights(&msgs[i]); err == nil {
					fds = append(fds, got...)
				}
			}
		}
	}
	closeFDs := func(fds []int) {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}
	// The reply line normally arrives whole with the descriptor; read on
	// if it did not.
	data := buf[:n]
	for !strings.Contains(string(data), "\n") && len(data) < len(buf) {
		m, err := c.Read(buf[len(data):])
		if err != nil {
			break
		}
		data = buf[:len(data)+m]
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(data))), &reply); err != nil {
		closeFDs(fds)
		return nil, reply, fmt.Errorf("control socket %s: bad answer %q: %w", socket, data, err)
	}
	if !reply.OK {
		closeFDs(fds)
		return nil, reply, fmt.Errorf("server refused to hand over its socket: %s", reply.Error)
	}
	if flags&syscall.MSG_CTRUNC != 0 || len(fds) != 1 {
		closeFDs(fds)
		return nil, reply, fmt.Errorf("control socket %s: expected one descriptor, got %d", socket, len(fds))
	}
	syscall.CloseOnExec(fds[0]) // net already asks for MSG_CMSG_CLOEXEC; make sure
	return os.NewFile(uintptr(fds[0]), "spotlake-listener"), reply, nil
}

// Server is the main loop of a `spotlake serve` process: it listens on the
// socket handed over by the Supervisor (or on Addr when run by hand), answers
// the control socket when the Supervisor asked for one, runs Load (e.g. the
// hot cache) BEFORE accepting the first connection — so that, during a
// recreate, the old server keeps taking every connection until the new one is
// ready — then serves HTTP until ctx ends, and shuts down gracefully (stops
// accepting, finishes in-flight requests).
//
// Cancel ctx on SIGTERM and SIGINT (signal.NotifyContext): the Supervisor
// stops servers with SIGTERM.
type Server struct {
	// Addr is where to listen when not started by a Supervisor.
	Addr string
	// HTTP serves the requests; its Addr field is not used. Run wraps its
	// ConnState hook (to know when connections are drained) and calls
	// SetKeepAlivesEnabled(false) at shutdown. Set ReadHeaderTimeout: a
	// connection that never sends its request delays the shutdown.
	HTTP *http.Server
	// Load runs before the server accepts connections; the server reports
	// not ready until it returns. An error ends Run with that error.
	Load func(ctx context.Context) error
	// Health, if set, adds readiness conditions and detail; Run reports
	// ready only once Load is done AND Health().Ready.
	Health func() Health
	// ShutdownTimeout bounds the graceful shutdown (default 20s, below the
	// Supervisor's StopTimeout); requests still running then are cut.
	ShutdownTimeout time.Duration
	// Logf, if set, receives progress lines (the log file of a supervised
	// server is its stderr).
	Logf func(format string, args ...any)

	state atomic.Int32 // 0 loading, 1 serving, 2 shutting down
}

// Run serves until ctx ends or serving fails; see Server.
func (s *Server) Run(ctx context.Context) error {
	if s.HTTP == nil {
		return errors.New("local.Server: HTTP is nil")
	}
	logf := s.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ln, err := Listener(s.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()

	health := func() Health {
		var h Health
		if s.Health != nil {
			h = s.Health()
		} else {
			h.Ready = true
		}
		switch s.state.Load() {
		case 0:
			h.Ready = false
			if h.Detail == nil {
				h.Detail = "loading"
			} else {
				h.Detail = map[string]any{"phase": "loading", "detail": h.Detail}
			}
		case 2:
			h.Ready = false
			h.Detail = "shutting down"
		}
		return h
	}
	ctlDone := make(chan error, 1)
	if path := ControlSocketFromEnv(); path != "" {
		ul, err := listenControl(path) // bind now: fail fast, not at ready timeout
		if err != nil {
			return err
		}
		ctlCtx, stopCtl := context.WithCancel(context.Background())
		go func() { ctlDone <- serveControl(ctlCtx, ul, ln, health) }()
		defer func() { stopCtl(); <-ctlDone }()
	}

	if s.Load != nil {
		logf("loading (pid %d, generation %d)", os.Getpid(), GenerationFromEnv())
		if err := s.Load(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("load: %w", err)
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	conns := trackConns(s.HTTP)
	oln := &onceListener{Listener: ln}
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.HTTP.Serve(oln) }()
	s.state.Store(1)
	logf("serving http://%s (pid %d, generation %d)", ln.Addr(), os.Getpid(), GenerationFromEnv())

	select {
	case err := <-serveErr:
		s.state.Store(2)
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	s.state.Store(2)
	timeout := s.ShutdownTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	deadline := time.Now().Add(timeout)
	logf("shutting down (pid %d): finishing in-flight requests", os.Getpid())
	// Not Shutdown at once: a server in Shutdown drops the first request of
	// a connection it accepted just before (it reads it, sees the shutdown
	// and hangs up), and the client cannot tell whether to retry. So: stop
	// accepting (the socket stays open in the new server, which takes every
	// new connection), close idle keep-alive connections and answer the rest
	// with "Connection: close" (clients retry idempotent requests on a
	// reused connection closed under them), and wait until every connection
	// has had its requests answered.
	oln.Close()
	<-serveErr
	s.HTTP.SetKeepAlivesEnabled(false)
	for conns.busy() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if min := time.Now().Add(time.Second); deadline.Before(min) {
		deadline = min // let Shutdown close what is idle
	}
	sctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	err = s.HTTP.Shutdown(sctx)
	if err != nil {
		s.HTTP.Close()
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	logf("stopped (pid %d)", os.Getpid())
	return nil
}

// onceListener closes its listener once: Run closes it to stop accepting,
// Shutdown closes it again.
type onceListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

// connTracker knows the state of every connection of an http.Server.
type connTracker struct {
	mu    sync.Mutex
	state map[net.Conn]http.ConnState
}

func trackConns(srv *http.Server) *connTracker {
	t := &connTracker{state: map[net.Conn]http.ConnState{}}
	prev := srv.ConnState
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		t.mu.Lock()
		switch st {
		case http.StateClosed, http.StateHijacked:
			delete(t.state, c)
		default:
			t.state[c] = st
		}
		t.mu.Unlock()
		if prev != nil {
			prev(c, st)
		}
	}
	return t
}

// busy counts the connections that are new (their first request not read
// yet) or serving a request.
func (t *connTracker) busy() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, st := range t.state {
		if st == http.StateNew || st == http.StateActive {
			n++
		}
	}
	return n
}
