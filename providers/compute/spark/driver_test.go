package spark

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sparkSubmit is the venv's spark-submit (pyspark, installed by `make
// venv`); in CI its absence fails the test.
func sparkSubmit(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", ".venv", "bin", "spark-submit")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: `make test` installs pyspark with `make venv`", p)
		}
		t.Skipf("no spark-submit at %s: run `make venv`", p)
	}
	return p
}

// task: upper-cases its input; "fail" exits 3 with a message, "slow" sleeps.
var task = []string{"sh", "-c", `read x; case "$x" in fail*) echo "boom: $x" >&2; exit 3;; slow*) sleep 30;; esac; echo "$x" | tr a-z A-Z`}

func start(t *testing.T, parallel int) *Driver {
	t.Helper()
	var log strings.Builder
	d, err := Start(context.Background(), Options{Submit: sparkSubmit(t), Master: "local[2]", Parallel: parallel, Command: task, Log: &syncWriter{w: &log},
		Conf: map[string]string{"spark.ui.enabled": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Tasks run concurrently on executors and each gets its own answer; a
// failing task is an error with its stderr and does not stop the others;
// a cancelled task returns at once; Close stops the driver cleanly.
func TestDriverRunsTasks(t *testing.T) {
	d := start(t, 4)
	if !strings.HasPrefix(d.App, "local-") || d.Parallelism != 2 {
		t.Errorf("application id %q, parallelism %d (local[2])", d.App, d.Parallelism)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := d.Run(ctx, []byte(fmt.Sprintf("task-%d\n", i)))
			if err != nil || string(out) != fmt.Sprintf("TASK-%d\n", i) {
				errs <- fmt.Errorf("task %d: %q, %v", i, out, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := d.Run(ctx, []byte("fail now\n"))
		if err == nil || !strings.Contains(err.Error(), "exited with 3") || !strings.Contains(err.Error(), "boom: fail now") {
			errs <- fmt.Errorf("failing task: %v", err)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	began := time.Now()
	if _, err := d.Run(cctx, []byte("slow\n")); !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 10*time.Second {
		t.Errorf("cancelled task: %v after %s", err, time.Since(began))
	}
	if out, err := d.Run(ctx, []byte("after\n")); err != nil || string(out) != "AFTER\n" {
		t.Errorf("task after a cancelled one: %q, %v", out, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Run(ctx, []byte("closed\n")); !errors.Is(err, ErrGone) {
		t.Errorf("task after Close: %v", err)
	}
}

// A driver that dies fails the tasks waiting on it, with its output, rather
// than leaving them hanging.
func TestDriverDies(t *testing.T) {
	d := start(t, 2)
	done := make(chan error, 1)
	go func() {
		_, err := d.Run(context.Background(), []byte("slow\n"))
		done <- err
	}()
	time.Sleep(2 * time.Second)
	pgid := d.cmd.Process.Pid
	d.Kill()
	select {
	case err := <-done:
		if !errors.Is(err, ErrGone) {
			t.Errorf("task of a killed driver: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("task of a killed driver still waiting")
	}
	// Nothing of it is left: spark-submit's JVM, the Python driver, the
	// local executor's Python workers and the task's command.
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatal("processes of a killed driver are still running")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestStartErrors(t *testing.T) {
	_, err := Start(context.Background(), Options{Submit: "no-such-spark-submit", Master: "local[1]", Command: task})
	if err == nil || !strings.Contains(err.Error(), "spark.submit") {
		t.Errorf("missing spark-submit: %v", err)
	}
	// A driver that cannot start (a bad master) says why, from Spark's output.
	_, err = Start(context.Background(), Options{Submit: sparkSubmit(t), Master: "bogus://x", Command: task, StartTimeout: 2 * time.Minute})
	if err == nil || !strings.Contains(err.Error(), "Master must") {
		t.Errorf("bad master: %v", err)
	}
}
