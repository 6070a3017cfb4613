package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The test binary is also the server: with SPOTLAKE_LOCALTEST_SERVER=1 it
// runs testServer instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("SPOTLAKE_LOCALTEST_SERVER") == "1" {
		os.Exit(testServer())
	}
	os.Exit(m.Run())
}

// testServer is a small `spotlake serve`: it answers "gen=N pid=P" on / and,
// after 300ms, on /slow. LOCALTEST_READY_DELAY simulates loading the cache;
// LOCALTEST_MODE=never never becomes ready, =crash exits at start.
func testServer() int {
	mode := os.Getenv("LOCALTEST_MODE")
	if mode == "crash" {
		fmt.Fprintln(os.Stderr, "localtest: crashing at start as asked")
		return 3
	}
	delay, _ := time.ParseDuration(os.Getenv("LOCALTEST_READY_DELAY"))
	body := fmt.Sprintf("gen=%d pid=%d\n", GenerationFromEnv(), os.Getpid())
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, body)
	})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &Server{
		Addr: "127.0.0.1:0",
		HTTP: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		Load: func(ctx context.Context) error {
			if mode == "never" {
				<-ctx.Done()
				return ctx.Err()
			}
			select {
			case <-time.After(delay):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		Health: func() Health {
			return Health{Ready: true, Detail: map[string]any{"cache": "loaded"}}
		},
		ShutdownTimeout: 10 * time.Second,
		Logf: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "localtest: "+format+"\n", args...)
		},
	}
	if err := srv.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "localtest:", err)
		return 1
	}
	return 0
}

// newSupervisor is a Supervisor running this test binary as the server; every
// server it starts is killed when the test ends, whatever happened.
func newSupervisor(t *testing.T, env ...string) *Supervisor {
	t.Helper()
	s := &Supervisor{
		StateDir:     t.TempDir(),
		Name:         "viz",
		Command:      []string{os.Args[0], "-test.run=^$"},
		Env:          append([]string{"SPOTLAKE_LOCALTEST_SERVER=1", "LOCALTEST_READY_DELAY=150ms"}, env...),
		Addr:         "127.0.0.1:0",
		ReadyTimeout: 20 * time.Second,
		StopTimeout:  15 * time.Second,
	}
	var mu sync.Mutex
	var pids []int
	s.spawned = func(pid int) {
		mu.Lock()
		pids = append(pids, pid)
		mu.Unlock()
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, pid := range pids {
			if alive(pid, 0) {
				killGroup(pid, syscall.SIGKILL)
				waitGone(pid, 0, 5*time.Second)
			}
		}
	})
	return s
}

func get(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	return string(b)
}

func TestUpStatusDown(t *testing.T) {
	ctx := context.Background()
	s := newSupervisor(t)

	st, err := s.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st.URL, "http://127.0.0.1:") || st.PID == 0 || st.Generation != 1 {
		t.Fatalf("state %+v", st)
	}
	rec, err := readState(filepath.Join(s.StateDir, "viz", "server.json"))
	if err != nil || rec == nil || rec.PID != st.PID || rec.Addr != st.Addr || rec.URL != st.URL {
		t.Fatalf("recorded %+v, %v; want %+v", rec, err, st)
	}
	if body := get(t, st.URL+"/"); !strings.HasPrefix(body, fmt.Sprintf("gen=1 pid=%d", st.PID)) {
		t.Fatalf("body %q", body)
	}

	status, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.Phase != Running || status.Server == nil || status.Server.PID != st.PID || status.Health == nil || !status.Health.Ready {
		t.Fatalf("status %+v", status)
	}

	_, err = s.Up(ctx)
	var already *AlreadyRunningError
	if !errors.As(err, &already) || already.State.PID != st.PID || !strings.Contains(err.Error(), st.URL) {
		t.Fatalf("second up: %v", err)
	}

	down, err := s.Down(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if down.Phase != Stopped || !strings.Contains(down.Note, "gracefully") {
		t.Fatalf("down %+v", down)
	}
	if alive(st.PID, 0) {
		t.Fatalf("pid %d still alive after down", st.PID)
	}
	if _, err := os.Stat(st.ControlSocket); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("control socket left: %v", err)
	}
	if _, err := http.Get(st.URL); err == nil {
		t.Fatal("address still answers after down")
	}
	status, err = s.Status(ctx)
	if err != nil || status.Phase != Stopped || status.Server != nil {
		t.Fatalf("status after down %+v, %v", status, err)
	}
	down, err = s.Down(ctx)
	if err != nil || down.Phase != Stopped || down.Note != "was not running" {
		t.Fatalf("second down %+v, %v", down, err)
	}
}

// hammer sends GETs to url from several goroutines until stopped: new
// connections, keep-alive connections, and slow requests that are in flight
// when the old server is told to stop.
type hammer struct {
	ok, fail atomic.Int64
	mu       sync.Mutex
	gens     map[string]int
	errs     []string
	stop     chan struct{}
	wg       sync.WaitGroup
}

func startHammer(url string) *hammer {
	h := &hammer{gens: map[string]int{}, stop: make(chan struct{})}
	fresh := &http.Transport{DisableKeepAlives: true}
	keep := &http.Transport{MaxIdleConnsPerHost: 4}
	workers := []struct {
		tr   *http.Transport
		path string
	}{{fresh, "/"}, {fresh, "/"}, {keep, "/"}, {keep, "/"}, {keep, "/slow"}, {fresh, "/slow"}}
	for _, w := range workers {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			c := &http.Client{Transport: w.tr, Timeout: 15 * time.Second}
			for {
				select {
				case <-h.stop:
					return
				default:
				}
				h.do(c, url+w.path)
				time.Sleep(time.Millisecond)
			}
		}()
	}
	return h
}

func (h *hammer) do(c *http.Client, url string) {
	resp, err := c.Get(url)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("status %s", resp.Status)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.fail.Add(1)
		if len(h.errs) < 10 {
			h.errs = append(h.errs, fmt.Sprintf("%s %s: %v", time.Now().Format("15:04:05.000"), url, err))
		}
		return
	}
	h.ok.Add(1)
	gen, _, _ := strings.Cut(string(body), " ")
	h.gens[gen]++
}

func (h *hammer) seen(gen string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gens[gen]
}

// waitSeen waits until n responses of generation gen have arrived.
func (h *hammer) waitSeen(t *testing.T, gen string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for h.seen(gen) < n {
		if time.Now().After(deadline) {
			t.Fatalf("no responses from %s after 15s (seen %v)", gen, h.snapshot())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *hammer) snapshot() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := map[string]int{}
	for k, v := range h.gens {
		m[k] = v
	}
	return m
}

func (h *hammer) finish(t *testing.T) {
	t.Helper()
	close(h.stop)
	h.wg.Wait()
	t.Logf("requests: %d ok, %d failed; by generation %v", h.ok.Load(), h.fail.Load(), h.snapshot())
	if n := h.fail.Load(); n != 0 {
		t.Errorf("%d requests failed:\n%s", n, strings.Join(h.errs, "\n"))
	}
}

func TestRecreateZeroDowntime(t *testing.T) {
	ctx := context.Background()
	s := newSupervisor(t)
	first, err := s.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := startHammer(first.URL)
	stopped := false
	defer func() {
		if !stopped {
			close(h.stop)
			h.wg.Wait()
		}
	}()
	h.waitSeen(t, "gen=1", 20)

	prev := first
	for gen := 2; gen <= 3; gen++ {
		r, err := s.Recreate(ctx)
		if err != nil {
			t.Fatalf("recreate %d: %v", gen, err)
		}
		if r.ColdStart || r.Previous == nil || r.Previous.PID != prev.PID || r.State.Generation != gen || r.State.Addr != first.Addr || r.State.URL != first.URL {
			t.Fatalf("recreate %d: %+v", gen, r)
		}
		if !strings.Contains(r.OldStopped, "gracefully") {
			t.Fatalf("old server: %q", r.OldStopped)
		}
		if alive(prev.PID, 0) {
			t.Fatalf("old pid %d alive after recreate", prev.PID)
		}
		rec, _ := readState(s.statePath())
		if rec == nil || rec.PID != r.State.PID || rec.Generation != gen {
			t.Fatalf("recorded %+v after recreate %d", rec, gen)
		}
		h.waitSeen(t, fmt.Sprintf("gen=%d", gen), 20)
		prev = r.State
	}
	stopped = true
	h.finish(t)
	if h.seen("gen=1") == 0 || h.seen("gen=3") == 0 {
		t.Fatalf("responses by generation %v", h.snapshot())
	}
	status, err := s.Status(ctx)
	if err != nil || status.Phase != Running || status.Server.Generation != 3 || status.Health.Generation != 3 {
		t.Fatalf("status %+v %v", status, err)
	}
	if _, err := s.Down(ctx); err != nil {
		t.Fatal(err)
	}
	if alive(prev.PID, 0) {
		t.Fatalf("pid %d alive after down", prev.PID)
	}
}

// failedRecreate checks a recreate whose new server does not become ready:
// an error with the new server's log, the new server killed, the old one
// serving throughout and still recorded.
func failedRecreate(t *testing.T, mode string, readyTimeout time.Duration, wantErr string) {
	ctx := context.Background()
	s := newSupervisor(t)
	old, err := s.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(s.statePath())
	h := startHammer(old.URL)
	h.waitSeen(t, "gen=1", 5)

	s.Env = append(s.Env, "LOCALTEST_MODE="+mode)
	s.ReadyTimeout = readyTimeout
	r, err := s.Recreate(ctx)
	var se *StartError
	if !errors.As(err, &se) {
		close(h.stop)
		h.wg.Wait()
		t.Fatalf("recreate: %v, want a StartError", err)
	}
	t.Logf("recreate error (as expected): %v", err)
	if !strings.Contains(err.Error(), wantErr) || se.Generation != 2 {
		t.Errorf("error %q, want %q", err, wantErr)
	}
	if mode == "crash" && !strings.Contains(se.LogTail, "crashing at start") {
		t.Errorf("log tail %q", se.LogTail)
	}
	if r.State.PID != old.PID {
		t.Errorf("result state %+v", r.State)
	}
	if alive(se.PID, 0) {
		t.Errorf("new server pid %d still alive", se.PID)
	}
	if !alive(old.PID, old.PIDStart) {
		t.Fatalf("old server pid %d gone", old.PID)
	}
	after, _ := os.ReadFile(s.statePath())
	if string(before) != string(after) {
		t.Errorf("state changed:\n%s\n%s", before, after)
	}
	n := h.seen("gen=1")
	h.waitSeen(t, "gen=1", n+5)
	h.finish(t)
	if body := get(t, old.URL); !strings.HasPrefix(body, "gen=1 ") {
		t.Fatalf("after failed recreate: %q", body)
	}
	status, err := s.Status(ctx)
	if err != nil || status.Phase != Running || status.Server.PID != old.PID {
		t.Fatalf("status %+v %v", status, err)
	}
	if _, err := os.Stat(s.pendingPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pending record left: %v", err)
	}

	// The next recreate, with a working server, succeeds.
	s.Env = s.Env[:len(s.Env)-1]
	s.ReadyTimeout = 20 * time.Second
	r, err = s.Recreate(ctx)
	if err != nil || r.State.Generation != 3 || alive(old.PID, 0) {
		t.Fatalf("recreate after failure: %+v %v", r, err)
	}
	if body := get(t, old.URL); !strings.HasPrefix(body, "gen=3 ") {
		t.Fatalf("after recreate: %q", body)
	}
}

func TestRecreateNeverReady(t *testing.T) {
	failedRecreate(t, "never", 1500*time.Millisecond, "was not ready after 1.5s")
}

func TestRecreateCrash(t *testing.T) {
	failedRecreate(t, "crash", 20*time.Second, "exited before it was ready")
}

func TestUpFailure(t *testing.T) {
	s := newSupervisor(t, "LOCALTEST_MODE=crash")
	_, err := s.Up(context.Background())
	var se *StartError
	if !errors.As(err, &se) || !strings.Contains(se.LogTail, "crashing at start") {
		t.Fatalf("up: %v", err)
	}
	if rec, _ := readState(s.statePath()); rec != nil {
		t.Fatalf("recorded %+v", rec)
	}
}

func TestStaleState(t *testing.T) {
	ctx := context.Background()
	s := newSupervisor(t)
	st, err := s.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The server dies without a word.
	killGroup(st.PID, syscall.SIGKILL)
	if !waitGone(st.PID, 0, 10*time.Second) {
		t.Fatal("server survives SIGKILL")
	}
	status, err := s.Status(ctx)
	if err != nil || status.Phase != Stopped || !strings.Contains(status.Note, "stale") {
		t.Fatalf("status %+v %v", status, err)
	}
	st2, err := s.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st2.PID == st.PID || st2.Generation != 2 {
		t.Fatalf("new state %+v", st2)
	}
	get(t, st2.URL)

	// A record whose pid now belongs to another process (start time differs).
	rec := st2
	rec.PID = os.Getpid()
	rec.PIDStart = 1
	if err := writeJSONAtomic(s.statePath(), rec); err != nil {
		t.Fatal(err)
	}
	status, err = s.Status(ctx)
	if err != nil || status.Phase != Stopped {
		t.Fatalf("status with reused pid %+v %v", status, err)
	}
	if !alive(os.Getpid(), 0) {
		t.Fatal("test process taken for dead")
	}
	// Put the real record back and stop it.
	if err := writeJSONAtomic(s.statePath(), st2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Down(ctx); err != nil || alive(st2.PID, 0) {
		t.Fatalf("down: %v", err)
	}
}

func TestRecreateColdStart(t *testing.T) {
	ctx := context.Background()
	s := newSupervisor(t)
	r, err := s.Recreate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !r.ColdStart || r.Previous != nil || r.Note == "" || r.State.PID == 0 {
		t.Fatalf("%+v", r)
	}
	get(t, r.State.URL)
	if _, err := s.Down(ctx); err != nil || alive(r.State.PID, 0) {
		t.Fatalf("down: %v", err)
	}
}

func TestLockedAndLongPath(t *testing.T) {
	ctx := context.Background()
	s := newSupervisor(t)
	// A state folder too deep for a unix socket path.
	s.StateDir = filepath.Join(s.StateDir, strings.Repeat("d", 60), strings.Repeat("e", 60))
	unlock, err := s.lock(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Up(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("up while locked: %v", err)
	}
	unlock()
	st, err := s.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.ControlSocket) > maxSocketPath || strings.HasPrefix(st.ControlSocket, s.StateDir) {
		t.Fatalf("control socket %s", st.ControlSocket)
	}
	status, err := s.Status(ctx)
	if err != nil || status.Phase != Running {
		t.Fatalf("status %+v %v", status, err)
	}
	if _, err := s.Down(ctx); err != nil || alive(st.PID, 0) {
		t.Fatalf("down: %v", err)
	}
}

func TestListenerWithoutSupervisor(t *testing.T) {
	t.Setenv(EnvListenFD, "")
	ln, err := Listener("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	path := filepath.Join(t.TempDir(), "c.sock")
	done := make(chan error, 1)
	go func() {
		done <- ServeControl(ctx, path, ln, func() Health { return Health{Ready: true, Detail: "x"} })
	}()
	var h Health
	deadline := time.Now().Add(5 * time.Second)
	for {
		h, err = QueryHealth(ctx, path, time.Second)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	want := Health{Ready: true, Detail: "x", PID: os.Getpid(), Addr: ln.Addr().String()}
	if err != nil || !reflect.DeepEqual(h, want) {
		t.Fatalf("health %+v %v, want %+v", h, err, want)
	}
	f, reply, err := fetchListener(ctx, path, time.Second)
	if err != nil || reply.Addr != ln.Addr().String() {
		t.Fatalf("listener: %+v %v", reply, err)
	}
	f.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left: %v", err)
	}
}

// An Up interrupted while the server loads kills it; a server left starting
// by a command that died (its record in starting.json) is killed by the next
// command.
func TestInterruptedStart(t *testing.T) {
	s := newSupervisor(t, "LOCALTEST_MODE=never")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := s.Up(ctx)
	var se *StartError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("up: %v", err)
	}
	if alive(se.PID, 0) {
		t.Fatalf("pid %d alive", se.PID)
	}
	if rec, _ := readState(s.statePath()); rec != nil {
		t.Fatalf("recorded %+v", rec)
	}

	// A command that died while its server was loading.
	ln, err := Listener("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := dupListener(ln)
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	ctl, _ := s.controlPath(7)
	c, err := s.spawn(f, 7, ctl, s.logPath(7))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer c.kill()
	if err := writeJSONAtomic(s.pendingPath(), pending{PID: c.pid, PIDStart: c.start, Generation: 7, Socket: ctl}); err != nil {
		t.Fatal(err)
	}
	down, err := s.Down(context.Background())
	if err != nil || down.Phase != Stopped {
		t.Fatalf("down %+v %v", down, err)
	}
	if !waitGone(c.pid, c.start, 5*time.Second) {
		t.Fatalf("orphan pid %d alive", c.pid)
	}
	if _, err := os.Stat(s.pendingPath()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pending record left: %v", err)
	}
}
