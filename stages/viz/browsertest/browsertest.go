// Package browsertest drives a headless Chromium from Go tests with chromedp:
// it finds the browser, starts it with a fresh profile, collects the page's
// console errors and uncaught exceptions, and saves screenshots.
//
// Usage:
//
//	ctx := browsertest.New(t) // skips the test when no Chromium (fails when CI=true)
//	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#chart-events")))
//	browsertest.Screenshot(t, ctx, "", "overview") // into $SPOTLAKE_TEST_OUT or a temp dir
//	if errs := browsertest.Errors(ctx); len(errs) > 0 { t.Error(errs) }
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// OutEnv names the folder that screenshots go to; without it they go to a
// temporary folder of the test.
const OutEnv = "SPOTLAKE_TEST_OUT"

// ChromiumEnv may name the browser binary; otherwise New looks for chromium,
// chromium-browser, google-chrome and google-chrome-stable in PATH.
const ChromiumEnv = "SPOTLAKE_CHROMIUM"

// Timeout bounds one browser session (every action run on the context New
// returns).
var Timeout = 60 * time.Second

// ChromiumPath finds the browser binary.
func ChromiumPath() (string, bool) {
	if p := os.Getenv(ChromiumEnv); p != "" {
		if lp, err := exec.LookPath(p); err == nil {
			return lp, true
		}
		return "", false
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

type session struct {
	mu   sync.Mutex
	errs []string
}

type sessionKey struct{}

// New starts a headless Chromium with a fresh profile in t.TempDir and returns
// a chromedp context for one tab of it. The browser is started and checked
// before New returns; it stops when the test ends. Without a browser the test
// is skipped, or fails when the environment has CI=true.
func New(t testing.TB) context.Context {
	t.Helper()
	path, ok := ChromiumPath()
	if !ok {
		if os.Getenv("CI") == "true" {
			t.Fatal("browsertest: no chromium in PATH (install Debian's chromium, or set " + ChromiumEnv + ")")
		}
		t.Skip("browsertest: no chromium in PATH; install it or set " + ChromiumEnv)
	}
	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-crash-reporter", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	base, cancelBase := context.WithTimeout(context.Background(), Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	s := &session{}
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	ctx = context.WithValue(ctx, sessionKey{}, s)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		_ = chromedp.Cancel(cctx)
		ccancel()
		cancelCtx()
		cancelAlloc()
		cancelBase()
	})
	// Start the browser and its first tab now, so a failure shows here.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("browsertest: start %s: %v", path, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" {
				s.mu.Lock()
				s.errs = append(s.errs, m.String())
				s.mu.Unlock()
			}
		}
	}()
	return ctx
}

// Errors returns the console errors and uncaught exceptions the pages of ctx
// reported so far.
func Errors(ctx context.Context) []string {
	s, _ := ctx.Value(sessionKey{}).(*session)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

var (
	outMu   sync.Mutex
	outDirs = map[testing.TB]string{}
)

// OutDir is where screenshots go: $SPOTLAKE_TEST_OUT (created if needed), or
// one temporary folder per test.
func OutDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv(OutEnv); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("browsertest: %v", err)
		}
		return d
	}
	outMu.Lock()
	defer outMu.Unlock()
	if d, ok := outDirs[t]; ok {
		return d
	}
	d := t.TempDir()
	outDirs[t] = d
	t.Cleanup(func() { outMu.Lock(); delete(outDirs, t); outMu.Unlock() })
	return d
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves a PNG of the whole page as dir/name.png (dir "" means
// OutDir(t)), prefixed with the test's name, and returns its path. A failure
// is reported with t.Error, not fatal.
func Screenshot(t testing.TB, ctx context.Context, dir, name string) string {
	t.Helper()
	if dir == "" {
		dir = OutDir(t)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("browsertest: screenshot %s: %v", name, err)
		return ""
	}
	file := filepath.Join(dir, unsafeName.ReplaceAllString(t.Name()+"-"+name, "_")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Errorf("browsertest: %v", err)
		return ""
	}
	t.Logf("screenshot %s", file)
	return file
}

// Wait runs a JavaScript predicate until it is truthy, for at most d. A
// page that is still navigating (its JavaScript context replaced under the
// poll, which a busy machine makes likely) is waited out, not an error.
func Wait(ctx context.Context, expr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(time.Until(deadline)), chromedp.WithPollingInterval(20*time.Millisecond)))
		if err == nil {
			return nil
		}
		if navigating(err) && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		return fmt.Errorf("waiting for %s: %w", expr, err)
	}
}

// navigating reports the errors of evaluating in a context that a
// navigation has just replaced.
func navigating(err error) bool {
	m := err.Error()
	return strings.Contains(m, "Cannot find context with specified id") ||
		strings.Contains(m, "Execution context was destroyed") ||
		strings.Contains(m, "Inspected target navigated or closed")
}

// Eval evaluates a JavaScript expression and decodes its value.
// Like Wait, it waits out a navigation in progress (for up to 5s).
func Eval[T any](ctx context.Context, expr string) (T, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
		if err == nil {
			return v, nil
		}
		if navigating(err) && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		var zero T
		return zero, fmt.Errorf("eval %s: %w", expr, err)
	}
}
