package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/viz/browsertest"
)

// The whole visualization path through the real binary: the daily run
// fills the hot cache, `cluster up viz` serves it in the background, an
// analyst labels a suspicious event in Chromium and the label lands in the
// feedback Iceberg table, `cluster recreate viz` replaces the server while
// clients hammer it without a single failed request, and `cluster down`
// stops it.
func TestDashboardEndToEnd(t *testing.T) {
	_, cfgPath := project(t, 1, "")
	b, _ := os.ReadFile(cfgPath)
	y := strings.Replace(string(b), "listen: 127.0.0.1:8787", "listen: 127.0.0.1:0", 1)
	y = strings.Replace(y, "ready_timeout: 2m", "ready_timeout: 90s", 1)
	os.WriteFile(cfgPath, []byte(y), 0o644)
	if code, out, errs := cli(t, "--config", cfgPath, "run", "--date", "2026-11-21"); code != ExitOK {
		t.Fatalf("run: %d\n%s\n%s", code, out, errs)
	}
	// The supervisor starts this test binary as `spotlake serve`.
	t.Setenv("SPOTLAKE_TEST_MAIN", "1")
	t.Cleanup(func() { cli(t, "--config", cfgPath, "cluster", "down", "viz") })
	code, out, errs := cli(t, "--config", cfgPath, "cluster", "up", "viz")
	if code != ExitOK || !strings.HasPrefix(out, "http://127.0.0.1:") {
		t.Fatalf("cluster up viz: %d %q %s", code, out, errs)
	}
	url := strings.TrimSpace(out)
	if code, out, _ := cli(t, "--config", cfgPath, "cluster", "status", "viz"); code != ExitOK || !strings.Contains(out, "viz: running at "+url) {
		t.Fatalf("status: %d %s", code, out)
	}
	if code, _, errs := cli(t, "--config", cfgPath, "cluster", "up", "viz"); code != ExitUsage || !strings.Contains(errs, url) {
		t.Errorf("second up: %d %s", code, errs)
	}
	var health struct {
		Status string   `json:"status"`
		Loaded bool     `json:"loaded"`
		Days   []string `json:"days"`
	}
	getJSON(t, url+"/healthz", &health)
	if health.Status != "ok" || !health.Loaded || len(health.Days) != 1 || health.Days[0] != "2026-11-21" {
		t.Fatalf("healthz: %+v", health)
	}

	// The analyst's path, in a real browser.
	ctx := browsertest.New(t)
	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			browsertest.Screenshot(t, ctx, "", "e2e-failed-"+step)
			t.Fatalf("%s: %v", step, err)
		}
	}
	viewReady := func(name string) error {
		return browsertest.Wait(ctx, `document.querySelector('#view[data-view="`+name+`"]:not([data-loading])') !== null`, 15*time.Second)
	}
	must("overview", chromedp.Do(ctx, chromedp.Navigate(url+"/")))
	must("overview", viewReady("overview"))
	must("overview chart", chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#chart-events"))))
	events, err := browsertest.Eval[string](ctx, `document.querySelector('#total-events').dataset.value`)
	must("overview total", err)
	if events == "" || events == "0" {
		t.Fatalf("overview shows %q events", events)
	}
	browsertest.Screenshot(t, ctx, "", "e2e-overview")
	must("suspicious", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-suspicious"))))
	must("suspicious", viewReady("suspicious"))
	eventID, err := browsertest.Eval[string](ctx, `document.querySelector('#suspicious-table tr[data-event-id]').dataset.eventId`)
	must("first suspicious", err)
	browsertest.Screenshot(t, ctx, "", "e2e-suspicious")
	must("open event", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#suspicious-table tr[data-event-id="`+eventID+`"] td:first-child`))))
	must("event", viewReady("event"))
	must("label", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#event-detail button[data-label="malicious"]`))))
	must("label shown", browsertest.Wait(ctx, `document.querySelector('#event-label .label').dataset.labelValue === "malicious"`, 15*time.Second))
	browsertest.Screenshot(t, ctx, "", "e2e-event-labelled")
	if errs := browsertest.Errors(ctx); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := orchestrator.Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	labelled := testutil.Strings(t, testutil.LoadTable(t, pl, schemas.Feedback), "event_id")
	if len(labelled) != 1 || labelled[0] != eventID {
		t.Fatalf("feedback table holds %v, want the event labelled in the browser (%s)", labelled, eventID)
	}

	// Recreate under load: not one request may fail.
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			if i%2 == 1 { // a new connection for every request
				client.Transport = &http.Transport{DisableKeepAlives: true}
			}
			paths := []string{"/healthz", "/api/overview", "/api/suspicious?limit=20", "/"}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(url + paths[n%len(paths)])
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = &statusError{resp.StatusCode}
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		}(i)
	}
	// Through the script operators run (scripts/recreate-viz.sh), with this
	// test binary as spotlake.
	time.Sleep(300 * time.Millisecond)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := exec.Command("bash", filepath.Join("..", "..", "scripts", "recreate-viz.sh"), cfgPath)
	script.Env = append(os.Environ(), "SPOTLAKE="+exe)
	sout, err := script.CombinedOutput()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if err != nil || !strings.Contains(string(sout), url+" (pid ") || !strings.Contains(string(sout), "generation 2") || !strings.Contains(string(sout), "viz: running at "+url) {
		t.Fatalf("recreate-viz.sh: %v\n%s", err, sout)
	}
	if failed.Load() != 0 || ok.Load() < 20 {
		t.Fatalf("during the recreate: %d requests answered, %d failed (first: %v)", ok.Load(), failed.Load(), firstErr.Load())
	}
	t.Logf("recreate under load: %d requests, 0 failed", ok.Load())
	// The new server has the label too: it is in the table the cache reads.
	var susp struct {
		Rows []struct {
			EventID string `json:"event_id"`
			Label   string `json:"label"`
		} `json:"rows"`
	}
	getJSON(t, url+"/api/suspicious?limit=1000", &susp)
	found := false
	for _, r := range susp.Rows {
		if r.EventID == eventID {
			found = r.Label == "malicious"
		}
	}
	if !found {
		t.Errorf("after the recreate, %s is not shown as malicious", eventID)
	}

	if code, out, _ := cli(t, "--config", cfgPath, "cluster", "down", "viz"); code != ExitOK || !strings.Contains(out, "stopped") && !strings.Contains(out, "exited") {
		t.Fatalf("down: %d %s", code, out)
	}
	if code, out, _ := cli(t, "--config", cfgPath, "cluster", "status", "viz"); code != ExitOK || !strings.Contains(out, "viz: stopped") {
		t.Fatalf("status after down: %d %s", code, out)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Errorf("%s still answers after down", url)
	}
}

type statusError struct{ code int }

func (e *statusError) Error() string { return http.StatusText(e.code) }

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}
