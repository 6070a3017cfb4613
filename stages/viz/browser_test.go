package viz

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/spotlake/spotlake/stages/viz/browsertest"
)

// TestBrowser drives the dashboard in headless Chromium: log in with the
// token, check the overview chart, sort the suspicious table, open an event,
// label it malicious, and follow an IP to Investigate.
func TestBrowser(t *testing.T) {
	const tok = "browser-token"
	f := newFixture(t, func(o *Options) { o.Token = tok })
	ctx := browsertest.New(t)

	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			browsertest.Screenshot(t, ctx, "", "failed-"+step)
			t.Fatalf("%s: %v", step, err)
		}
	}
	// viewReady waits until the single-page app has rendered the route.
	viewReady := func(name string) error {
		return browsertest.Wait(ctx, `document.querySelector('#view[data-view="`+name+`"]:not([data-loading])') !== null`, 5*time.Second)
	}
	eval := func(step, expr string, want any) {
		t.Helper()
		got, err := browsertest.Eval[any](ctx, expr)
		must(step, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s = %#v, want %#v", step, expr, got, want)
		}
	}

	// Without the cookie the page is refused; /login sets it and redirects.
	must("token page", chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/")))
	eval("token page", `document.body.innerText.includes("Token required")`, true)
	must("login", chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/login?token="+tok)))
	must("overview", viewReady("overview"))
	must("overview chart", chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#chart-events"))))
	eval("overview", `document.querySelector('#total-events').dataset.value`, "810")
	eval("overview", `document.querySelector('#total-rejects').dataset.value`, "5")
	eval("overview", `document.querySelectorAll('#chart-events rect.bar').length`, 7.0)
	eval("overview", `document.querySelector('#chart-events rect[data-cat="2026-11-21"][data-series="fw"]').dataset.value`, "300")
	eval("overview", `document.querySelector('#last-run').dataset.status`, "succeeded")
	eval("overview", `document.querySelector('#last-run-duration').textContent`, "21m 30s")
	eval("overview", `document.querySelectorAll('#rejects-table tbody tr').length`, 2.0)
	browsertest.Screenshot(t, ctx, "", "overview")

	// Suspicious: ranked, then sorted by score descending by clicking twice.
	must("suspicious", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-suspicious"))))
	must("suspicious", viewReady("suspicious"))
	order := `[...document.querySelectorAll('#suspicious-table tr[data-event-id]')].map(r => r.dataset.eventId).join()`
	eval("suspicious", order, "e4,e1,e5,e3")
	eval("suspicious", `document.querySelector('[data-label-for="e5"]').dataset.labelValue`, "benign")
	must("sort", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`th[data-sort="score"]`))))
	must("sort", browsertest.Wait(ctx, `document.querySelector('th[data-sort="score"].sorted') !== null && !document.querySelector('#view[data-loading]')`, 5*time.Second))
	eval("sort asc", order, "e4,e1,e5,e3")
	must("sort", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`th[data-sort="score"]`))))
	must("sort", browsertest.Wait(ctx, `document.querySelector('th[data-sort="score"][aria-sort="descending"]') !== null && !document.querySelector('#view[data-loading]')`, 5*time.Second))
	eval("sort desc", order, "e3,e5,e1,e4")
	browsertest.Screenshot(t, ctx, "", "suspicious")

	// Open e1, label it malicious with a note.
	must("open event", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#suspicious-table tr[data-event-id="e1"] td:first-child`))))
	must("event", viewReady("event"))
	eval("event", `document.querySelector('#event-detail').dataset.eventId`, "e1")
	eval("event", `document.querySelector('#event-raw').textContent`, "fw ACCEPT 10.0.0.5 -> 203.0.113.9:443")
	eval("event", `document.querySelector('#event-label .label').dataset.labelValue`, "")
	must("note", chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#event-note"), "beaconing")))
	must("label", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#event-detail button[data-label="malicious"]`))))
	must("label shown", browsertest.Wait(ctx, `document.querySelector('#event-label .label').dataset.labelValue === "malicious"`, 5*time.Second))
	if calls := f.labeler.Calls(); len(calls) != 1 || calls[0] != [3]string{"e1", "malicious", "beaconing"} {
		t.Errorf("labeler calls %v", calls)
	}
	browsertest.Screenshot(t, ctx, "", "event")

	// Back in the list the label comes from the API.
	must("suspicious again", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-suspicious"))))
	must("suspicious again", browsertest.Wait(ctx,
		`(document.querySelector('#suspicious-table [data-label-for="e1"]') || {dataset: {}}).dataset.labelValue === "malicious"`, 5*time.Second))

	// A row's benign button labels in place.
	must("benign", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#suspicious-table tr[data-event-id="e4"] button[data-label="benign"]`))))
	must("benign shown", browsertest.Wait(ctx, `document.querySelector('[data-label-for="e4"]').dataset.labelValue === "benign"`, 5*time.Second))
	eval("benign", `location.hash.startsWith("#/suspicious")`, true)

	// Follow an IP to Investigate.
	must("investigate", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#suspicious-table tr[data-event-id="e1"] a.entity[data-value="10.0.0.5"]`))))
	must("investigate", viewReady("investigate"))
	must("investigate", chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#chart-timeline"))))
	eval("investigate", `document.querySelector('#inv-events').dataset.value`, "6")
	eval("investigate", `[...document.querySelectorAll('#peers-out tr[data-peer]')].map(r => r.dataset.peer).join()`, "203.0.113.9,198.51.100.7")
	eval("investigate", `document.querySelectorAll('#chart-ports rect.bar').length`, 3.0)
	browsertest.Screenshot(t, ctx, "", "investigate")

	// Events search and alerts render.
	must("events", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-events"))))
	must("events", viewReady("events"))
	eval("events", `document.querySelectorAll('#events-table tr[data-event-id]').length`, 5.0)
	must("events q", chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#events-filter-q"), "DENY"), chromedp.Click(chromedp.CSS("#events-filter-submit"))))
	must("events q", browsertest.Wait(ctx, `location.hash.includes("q=DENY") && !document.querySelector('#view[data-loading]') && document.querySelectorAll('#events-table tr[data-event-id]').length === 1`, 5*time.Second))
	browsertest.Screenshot(t, ctx, "", "events")
	must("alerts", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-alerts"))))
	must("alerts", viewReady("alerts"))
	eval("alerts", `[...document.querySelectorAll('#alerts-table tr[data-alert-id]')].map(r => r.dataset.alertId).join()`, "a1,a2")
	browsertest.Screenshot(t, ctx, "", "alerts")

	// The only expected console error is the 401 of the first, token-less page.
	errs := browsertest.Errors(ctx)
	errs = slices.DeleteFunc(errs, func(e string) bool { return strings.Contains(e, "status of 401") })
	if len(errs) > 0 {
		t.Errorf("browser console errors: %q", errs)
	}
}
