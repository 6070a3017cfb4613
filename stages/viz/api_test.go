package viz

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

type listResp struct {
	Total int64            `json:"total"`
	Sort  string           `json:"sort"`
	Order string           `json:"order"`
	Rows  []map[string]any `json:"rows"`
	Range struct {
		From, To, FirstDay, LastDay string
	} `json:"range"`
}

func ids(rows []map[string]any, key string) []string {
	out := []string{}
	for _, r := range rows {
		s, _ := r[key].(string)
		out = append(out, s)
	}
	return out
}

func TestOverview(t *testing.T) {
	f := newFixture(t, nil)
	var d struct {
		Days        []string `json:"days"`
		Sources     []string `json:"sources"`
		EventsDaily []struct {
			Day, Source string
			Events      int64
		} `json:"events_daily"`
		RejectsDaily []struct {
			Day, Source string
			Rejects     int64
		} `json:"rejects_daily"`
		Totals struct {
			Events, Rejects, Suspicious, Alerts int64
			EventsBySource                      map[string]int64 `json:"events_by_source"`
		} `json:"totals"`
		LastRun struct {
			RunID           string  `json:"run_id"`
			Status          string  `json:"status"`
			DurationSeconds float64 `json:"duration_seconds"`
			InputDay        string  `json:"input_day"`
			FinishedAt      string  `json:"finished_at"`
			Stages          []struct{ Stage, Status string }
		} `json:"last_run"`
		Cache struct {
			Generation int64 `json:"generation"`
			AgeSeconds int64 `json:"age_seconds"`
		} `json:"cache"`
	}
	f.get(t, "/api/overview", 200, &d)
	if want := []string{"2026-11-19", "2026-11-20", "2026-11-21"}; !reflect.DeepEqual(d.Days, want) {
		t.Errorf("days %v, want %v", d.Days, want)
	}
	if want := []string{"dns", "fw", "proxy"}; !reflect.DeepEqual(d.Sources, want) {
		t.Errorf("sources %v, want %v", d.Sources, want)
	}
	if len(d.EventsDaily) != 7 || d.EventsDaily[0].Day != "2026-11-19" || d.EventsDaily[0].Source != "fw" || d.EventsDaily[0].Events != 100 {
		t.Errorf("events_daily %+v", d.EventsDaily)
	}
	if d.Totals.Events != 810 || d.Totals.Rejects != 5 || d.Totals.Suspicious != 4 || d.Totals.Alerts != 2 {
		t.Errorf("totals %+v, want 810 events, 5 rejects, 4 suspicious, 2 alerts", d.Totals)
	}
	if d.Totals.EventsBySource["fw"] != 600 || d.Totals.EventsBySource["proxy"] != 200 || d.Totals.EventsBySource["dns"] != 10 {
		t.Errorf("by source %v", d.Totals.EventsBySource)
	}
	if len(d.RejectsDaily) != 2 || d.RejectsDaily[0].Rejects != 3 || d.RejectsDaily[1].Source != "fw" {
		t.Errorf("rejects_daily %+v", d.RejectsDaily)
	}
	lr := d.LastRun
	if lr.RunID != "r2" || lr.Status != "succeeded" || lr.DurationSeconds != 1290 || lr.InputDay != "2026-11-21" ||
		lr.FinishedAt != "2026-11-22T01:21:30Z" || len(lr.Stages) != 3 || lr.Stages[0].Stage != "ingest" || lr.Stages[2].Stage != "oa" {
		t.Errorf("last run %+v", lr)
	}
	if d.Cache.Generation != 7 || d.Cache.AgeSeconds != 7200 {
		t.Errorf("cache %+v", d.Cache)
	}

	// An explicit range.
	f.get(t, "/api/overview?from=2026-11-01&to=2026-11-01", 200, &d)
	if d.Totals.Events != 999 || d.Totals.Rejects != 7 || len(d.Days) != 1 {
		t.Errorf("2026-11-01: totals %+v days %v", d.Totals, d.Days)
	}

	// A failed stage makes the run failed.
	if _, err := f.db.Exec(`UPDATE runs SET status = 'failed' WHERE run_id = 'r2' AND stage = 'detect'`); err != nil {
		t.Fatal(err)
	}
	f.get(t, "/api/overview", 200, &d)
	if d.LastRun.Status != "failed" {
		t.Errorf("status %q, want failed", d.LastRun.Status)
	}
	if f.store.acquired != f.store.released {
		t.Errorf("acquired %d, released %d", f.store.acquired, f.store.released)
	}
}

func TestSuspicious(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		query string
		want  []string
		total int64
	}{
		{"", []string{"e4", "e1", "e5", "e3"}, 4},
		{"?sort=rank&order=desc", []string{"e3", "e5", "e1", "e4"}, 4},
		{"?sort=score&order=desc", []string{"e3", "e5", "e1", "e4"}, 4},
		{"?sort=score", []string{"e4", "e1", "e5", "e3"}, 4},
		{"?sort=severity", []string{"e1", "e3", "e4", "e5"}, 4},
		{"?sort=event_time", []string{"e4", "e3", "e1", "e5"}, 4},
		{"?sort=source&order=asc", []string{"e5", "e1", "e3", "e4"}, 4},
		{"?sort=kind", []string{"e4", "e3", "e1", "e5"}, 4},
		{"?source=fw", []string{"e1", "e3"}, 2},
		{"?kind=suspicious_dns", []string{"e5"}, 1},
		{"?severity=high&sort=score&order=desc", []string{"e3", "e1"}, 2},
		{"?day=2026-11-20", []string{"e5"}, 1},
		{"?from=2026-11-21&to=2026-11-21", []string{"e4", "e1", "e3"}, 3},
		{"?ip=10.0.0.5", []string{"e4", "e1", "e3"}, 3},
		{"?user=alice", []string{"e1", "e3"}, 2},
		{"?limit=2", []string{"e4", "e1"}, 4},
		{"?limit=2&offset=2", []string{"e5", "e3"}, 4},
		{"?limit=2&offset=4", []string{}, 4},
		{"?day=2026-11-01", []string{}, 0},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var d listResp
			f.get(t, "/api/suspicious"+tc.query, 200, &d)
			if got := ids(d.Rows, "event_id"); !reflect.DeepEqual(got, tc.want) || d.Total != tc.total {
				t.Errorf("got %v total %d, want %v total %d", got, d.Total, tc.want, tc.total)
			}
		})
	}
	var d listResp
	f.get(t, "/api/suspicious", 200, &d)
	r := d.Rows[2]
	if r["label"] != "benign" || r["note"] != "known resolver" || r["input_day"] != "2026-11-20" ||
		r["event_time"] != "2026-11-20T09:00:00.000Z" || r["rank"] != 3.0 || r["dst_port"] != 53.0 {
		t.Errorf("e5 row %v", r)
	}
	if d.Rows[0]["label"] != nil || d.Sort != "rank" || d.Order != "asc" {
		t.Errorf("e4 label %v, sort %s %s", d.Rows[0]["label"], d.Sort, d.Order)
	}
	if _, ok := d.Rows[0]["raw"]; ok {
		t.Error("suspicious rows carry raw")
	}
}

func TestEvents(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"e6", "e4", "e3", "e2", "e1"}}, // the newest day held
		{"?from=2026-11-19&to=2026-11-21", []string{"e6", "e4", "e3", "e2", "e1", "e5", "e7"}},
		{"?from=2026-11-21T10:00:00Z&to=2026-11-21T11:15:00Z", []string{"e2", "e1"}},
		{"?from=2026-11-21T10:00:00%2B01:00&to=2026-11-21T10:00:00Z", []string{}},
		{"?from=2026-11-19&to=2026-11-21&ip=10.0.0.5", []string{"e6", "e4", "e3", "e2", "e1", "e7"}},
		{"?src_ip=10.0.0.5", []string{"e3", "e2", "e1"}},
		{"?dst_ip=10.0.0.5", []string{"e6", "e4"}},
		{"?user=bob", []string{"e4"}},
		{"?port=22", []string{"e3"}},
		{"?source=proxy&event_type=http&action=TCP_MISS", []string{"e4"}},
		{"?q=evil", []string{"e4"}},
		{"?q=evil.EXAMPLE/a_b", []string{}},                  // a capital letter: exact case
		{"?q=GET%20http://evil", []string{"e4"}},             // exact case that matches
		{"?q=get%20http://evil.example/a_b", []string{"e4"}}, // all lower case: any case, _ literal
		{"?q=a%25c", []string{}},                             // % literal, not a wildcard
		{"?q=_", []string{"e4"}},
		{"?q=b%25c", []string{"e4"}},
		{"?limit=2", []string{"e6", "e4"}},
		{"?limit=2&offset=2", []string{"e3", "e2"}},
		{"?from=2026-11-20&to=2026-11-20&q=evil", []string{"e5"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var d listResp
			f.get(t, "/api/events"+tc.query, 200, &d)
			if got := ids(d.Rows, "event_id"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	var d listResp
	f.get(t, "/api/events?q=DENY", 200, &d)
	if len(d.Rows) != 1 || d.Rows[0]["raw"] != "fw DENY 10.0.0.7 -> 10.0.0.5:443" || d.Rows[0]["dst_port"] != 443.0 ||
		d.Range.From != "2026-11-21T00:00:00Z" || d.Range.To != "2026-11-22T00:00:00Z" {
		t.Errorf("DENY: %+v", d)
	}
}

func TestEvent(t *testing.T) {
	f := newFixture(t, nil)
	var d struct {
		Event      map[string]any   `json:"event"`
		Suspicious []map[string]any `json:"suspicious"`
		Scores     []map[string]any `json:"scores"`
		Label      any              `json:"label"`
	}
	for _, path := range []string{"/api/events/e1", "/api/events/e1?day=2026-11-21"} {
		f.get(t, path, 200, &d)
		ev := d.Event
		if ev["event_id"] != "e1" || ev["raw"] != "fw ACCEPT 10.0.0.5 -> 203.0.113.9:443" || ev["src_port"] != 50000.0 ||
			!reflect.DeepEqual(ev["attrs"], map[string]any{"rule": "allow-out", "zone": "lan"}) || ev["input_day"] != "2026-11-21" {
			t.Errorf("%s: event %v", path, ev)
		}
		if _, ok := ev["src_ip_bytes"]; ok {
			t.Errorf("binary column in the answer")
		}
		if len(d.Suspicious) != 1 || d.Suspicious[0]["reason"] != "rare connection" || len(d.Scores) != 1 || d.Scores[0]["word"] != "dport_443_bytes_9" {
			t.Errorf("%s: suspicious %v scores %v", path, d.Suspicious, d.Scores)
		}
	}
	f.get(t, "/api/events/e5", 200, &d)
	if d.Label != "benign" {
		t.Errorf("e5 label %v", d.Label)
	}
	f.get(t, "/api/events/nope", 404, nil)
	f.get(t, "/api/events/e1?day=2026-11-20", 404, nil) // wrong day hint
}

func TestEntity(t *testing.T) {
	f := newFixture(t, nil)
	type peer struct {
		Peer   string
		Events int64
		Bytes  int64
		Ports  int64
	}
	type ent struct {
		Kind, Value, Bucket string
		Events              int64
		PeersOut            []peer `json:"peers_out"`
		PeersIn             []peer `json:"peers_in"`
		Timeline            []struct {
			T      string
			Events int64
		}
		Ports []struct {
			Port   int
			Events int64
		}
		Suspicious []map[string]any
		Alerts     []map[string]any
	}
	var d ent
	f.get(t, "/api/entity?ip=10.0.0.5&from=2026-11-21&to=2026-11-21", 200, &d)
	if d.Kind != "ip" || d.Value != "10.0.0.5" || d.Bucket != "hour" || d.Events != 5 {
		t.Errorf("head %+v", d)
	}
	if want := []peer{{"203.0.113.9", 2, 1500, 1}, {"198.51.100.7", 1, 42, 1}}; !reflect.DeepEqual(d.PeersOut, want) {
		t.Errorf("peers out %+v, want %+v", d.PeersOut, want)
	}
	if want := []peer{{"10.0.0.7", 1, 7, 1}, {"198.51.100.7", 1, 10, 1}}; !reflect.DeepEqual(d.PeersIn, want) {
		t.Errorf("peers in %+v, want %+v", d.PeersIn, want)
	}
	if len(d.Timeline) != 24 || d.Timeline[10].T != "2026-11-21T10:00:00Z" || d.Timeline[10].Events != 2 ||
		d.Timeline[11].Events != 1 || d.Timeline[23].Events != 1 || d.Timeline[0].Events != 0 {
		t.Errorf("timeline %+v", d.Timeline)
	}
	if len(d.Ports) != 3 || d.Ports[0].Port != 443 || d.Ports[0].Events != 3 {
		t.Errorf("ports %+v", d.Ports)
	}
	if got := ids(d.Suspicious, "event_id"); !reflect.DeepEqual(got, []string{"e4", "e1", "e3"}) {
		t.Errorf("suspicious %v", got)
	}
	if len(d.Alerts) != 0 {
		t.Errorf("alerts %v", d.Alerts)
	}

	// Default range: the last 7 days held, bucketed per day.
	f.get(t, "/api/entity?ip=10.0.0.5", 200, &d)
	if d.Bucket != "day" || len(d.Timeline) != 3 || d.Timeline[0].Events != 1 || d.Timeline[2].Events != 5 || d.Events != 6 {
		t.Errorf("default range: %+v", d)
	}
	f.get(t, "/api/entity?ip=198.51.100.7", 200, &d)
	if got := ids(d.Alerts, "alert_id"); !reflect.DeepEqual(got, []string{"a1"}) {
		t.Errorf("alerts of 198.51.100.7: %v", got)
	}
	f.get(t, "/api/entity?user=alice", 200, &d)
	if d.Kind != "user" || d.Events != 4 || len(d.PeersOut) != 2 || d.PeersOut[0].Peer != "203.0.113.9" || d.PeersOut[0].Events != 3 ||
		len(d.PeersIn) != 1 || d.PeersIn[0].Peer != "10.0.0.5" {
		t.Errorf("alice: %+v", d)
	}
	f.get(t, "/api/entity?user=carol", 200, &d)
	if got := ids(d.Alerts, "alert_id"); !reflect.DeepEqual(got, []string{"a2"}) || d.Events != 0 {
		t.Errorf("carol: alerts %v events %d", got, d.Events)
	}
}

func TestAlerts(t *testing.T) {
	f := newFixture(t, nil)
	var d listResp
	f.get(t, "/api/alerts", 200, &d)
	if got := ids(d.Rows, "alert_id"); !reflect.DeepEqual(got, []string{"a1", "a2"}) || d.Total != 2 {
		t.Fatalf("alerts %v total %d", got, d.Total)
	}
	a := d.Rows[0]
	if !reflect.DeepEqual(a["aggregates"], map[string]any{"count": 25.0}) || !reflect.DeepEqual(a["group_values"], map[string]any{"src_ip": "198.51.100.7"}) ||
		a["notified"] != true || a["window_start"] != "2026-11-21T11:00:00.000Z" {
		t.Errorf("a1 %v", a)
	}
	f.get(t, "/api/alerts?rule=mass_delete", 200, &d)
	if got := ids(d.Rows, "alert_id"); !reflect.DeepEqual(got, []string{"a2"}) {
		t.Errorf("rule filter %v", got)
	}
	f.get(t, "/api/alerts?severity=high&limit=1", 200, &d)
	if got := ids(d.Rows, "alert_id"); !reflect.DeepEqual(got, []string{"a1"}) {
		t.Errorf("severity filter %v", got)
	}
	f.get(t, "/api/alerts?from=2026-10-30&to=2026-11-02", 200, &d)
	if len(d.Rows) != 1 || d.Rows[0]["aggregates"] != "not json" {
		t.Errorf("old alert %v", d.Rows)
	}
}

func TestBadParams(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct{ path, want string }{
		{"/api/overview?from=x", `from: not a date or RFC3339 time: "x"; use 2026-11-21 or 2026-11-21T10:00:00Z`},
		{"/api/overview?to=2026-13-01", `to: not a date or RFC3339 time`},
		{"/api/overview?from=2026-11-21&to=2026-11-20", "to: must be after from"},
		{"/api/overview?bogus=1", "bogus: unknown parameter"},
		{"/api/suspicious?sort=reason", `sort: unknown "reason"; use one of rank, score`},
		{"/api/suspicious?sort=rank;DROP%20TABLE%20events", `query string: invalid semicolon`},
		{"/api/suspicious?sort=rank%3BDROP%20TABLE%20events", `sort: unknown "rank;DROP TABLE events"`},
		{"/api/suspicious?order=up", `order: unknown "up"`},
		{"/api/suspicious?limit=0", "limit: want an integer from 1 to 1000"},
		{"/api/suspicious?limit=1001", "limit: want an integer from 1 to 1000"},
		{"/api/suspicious?limit=ten", "limit:"},
		{"/api/suspicious?offset=-1", "offset:"},
		{"/api/suspicious?day=yesterday", `day: not a date: "yesterday"`},
		{"/api/suspicious?day=2026-11-21&from=2026-11-20", "day: give either day or from/to"},
		{"/api/suspicious?ip=10.0.0.999", `ip: not an IP address: "10.0.0.999"`},
		{"/api/suspicious?source=a&source=b", "source: given 2 times"},
		{"/api/events?from=2026-01-01&to=2026-03-01", "to: range from 2026-01-01T00:00:00Z to 2026-03-02T00:00:00Z is over 31 days"},
		{"/api/events?src_ip=not-an-ip", "src_ip: not an IP address"},
		{"/api/events?dst_ip=1.2.3", "dst_ip: not an IP address"},
		{"/api/events?ip=fe80::1%25eth0", "ip: not an IP address"},
		{"/api/events?port=70000", "port: not a port number"},
		{"/api/events?port=-1", "port: not a port number"},
		{"/api/events?q=" + strings.Repeat("a", 300), "q: longer than 256 characters"},
		{"/api/events?user=a%00b", "user: contains control characters"},
		{"/api/events?limit=5000", "limit:"},
		{"/api/events?from=2026-11-21T10:00:00", "from: not a date or RFC3339 time"},
		{"/api/events/e1?day=21.11.2026", "day: not a date"},
		{"/api/entity", "ip: give exactly one of ip and user"},
		{"/api/entity?ip=10.0.0.5&user=alice", "ip: give exactly one of ip and user"},
		{"/api/entity?ip=x", "ip: not an IP address"},
		{"/api/entity?ip=10.0.0.5&from=2026-01-01&to=2026-11-21", "over 31 days"},
		{"/api/alerts?from=2026-11-21&to=x", "to: not a date"},
		{"/api/alerts?limit=0", "limit:"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			code, hdr, b := f.do(t, "GET", tc.path, "", nil)
			var e struct{ Error string }
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			if code != 400 || !strings.Contains(e.Error, tc.want) || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Errorf("status %d error %q, want 400 containing %q", code, e.Error, tc.want)
			}
		})
	}
	code, _, _ := f.do(t, "GET", "/api/nope", "", nil)
	if code != 404 {
		t.Errorf("/api/nope: %d", code)
	}
}

func TestSQLInjection(t *testing.T) {
	f := newFixture(t, nil)
	for _, q := range []string{
		"source=fw' OR '1'='1",
		"source=fw'; DROP TABLE events; --",
		"kind=x\" OR 1=1 --",
		"user=' UNION SELECT raw FROM events --",
	} {
		var d listResp
		f.get(t, "/api/suspicious?"+url.PathEscape(q), 200, &d)
		if len(d.Rows) != 0 {
			t.Errorf("%s: %d rows", q, len(d.Rows))
		}
		if strings.HasPrefix(q, "kind=") {
			continue
		}
		f.get(t, "/api/events?from=2026-11-19&to=2026-11-21&"+url.PathEscape(q), 200, &d)
		if len(d.Rows) != 0 {
			t.Errorf("events %s: %d rows", q, len(d.Rows))
		}
	}
	var d listResp
	f.get(t, "/api/events?q="+url.QueryEscape("' OR 1=1; DROP TABLE events; --"), 200, &d)
	if len(d.Rows) != 0 {
		t.Errorf("q injection: %d rows", len(d.Rows))
	}
	f.get(t, "/api/events/"+url.PathEscape("e1' OR '1'='1"), 404, nil)
	f.get(t, "/api/suspicious?sort="+url.QueryEscape("rank; DROP TABLE suspicious"), 400, nil)
	for _, tbl := range []string{"events", "suspicious", "feedback"} {
		var n int
		if err := f.db.QueryRow("SELECT count(*) FROM " + tbl).Scan(&n); err != nil || n == 0 {
			t.Errorf("table %s: %d rows, %v", tbl, n, err)
		}
	}
}

func TestFeedback(t *testing.T) {
	f := newFixture(t, nil)
	code, b := f.postFeedback(t, `{"event_id":"e1","label":"malicious","note":"exfil"}`, nil)
	if code != 200 {
		t.Fatalf("status %d: %s", code, b)
	}
	var ok struct {
		OK      bool   `json:"ok"`
		EventID string `json:"event_id"`
		Label   string `json:"label"`
	}
	if err := json.Unmarshal(b, &ok); err != nil || !ok.OK || ok.EventID != "e1" || ok.Label != "malicious" {
		t.Errorf("answer %s", b)
	}
	if calls := f.labeler.Calls(); len(calls) != 1 || calls[0] != [3]string{"e1", "malicious", "exfil"} {
		t.Errorf("labeler calls %v", calls)
	}
	var d listResp
	f.get(t, "/api/suspicious?source=fw", 200, &d)
	if d.Rows[0]["event_id"] != "e1" || d.Rows[0]["label"] != "malicious" || d.Rows[0]["note"] != "exfil" {
		t.Errorf("after feedback: %v", d.Rows[0])
	}
	var src, kind, day string
	if err := f.db.QueryRow(`SELECT source, kind, CAST(input_day AS VARCHAR) FROM feedback WHERE event_id = 'e1'`).Scan(&src, &kind, &day); err != nil ||
		src != "fw" || kind != "suspicious_connect" || day != "2026-11-21" {
		t.Errorf("cached feedback row: %s %s %s %v", src, kind, day, err)
	}
	// Relabel: the latest wins.
	if code, b := f.postFeedback(t, `{"event_id":"e1","label":"benign"}`, map[string]string{"Content-Type": "application/json; charset=utf-8"}); code != 200 {
		t.Fatalf("relabel: %d %s", code, b)
	}
	time.Sleep(2 * time.Millisecond)
	f.get(t, "/api/suspicious?source=fw", 200, &d)
	if d.Rows[0]["label"] != "benign" {
		t.Errorf("after relabel: %v", d.Rows[0]["label"])
	}
	// An event that is not suspicious gets its day from events.
	if code, _ := f.postFeedback(t, `{"event_id":"e2","label":"benign"}`, nil); code != 200 {
		t.Errorf("e2: %d", code)
	}
	if err := f.db.QueryRow(`SELECT source, CAST(input_day AS VARCHAR) FROM feedback WHERE event_id = 'e2'`).Scan(&src, &day); err != nil || src != "fw" || day != "2026-11-21" {
		t.Errorf("e2 feedback row: %s %s %v", src, day, err)
	}

	n := len(f.labeler.Calls())
	for _, tc := range []struct {
		name, body string
		hdr        map[string]string
		code       int
		want       string
	}{
		{"bad label", `{"event_id":"e1","label":"evil"}`, nil, 400, `label: \"evil\"; use benign or malicious`},
		{"no label", `{"event_id":"e1"}`, nil, 400, "label:"},
		{"no event", `{"label":"benign"}`, nil, 400, "event_id:"},
		{"not json", `event_id=e1&label=benign`, nil, 400, "body:"},
		{"two objects", `{"event_id":"e1","label":"benign"}{}`, nil, 400, "body: one JSON object only"},
		{"unknown field", `{"event_id":"e1","label":"benign","admin":true}`, nil, 400, "body:"},
		{"long note", `{"event_id":"e1","label":"benign","note":"` + strings.Repeat("x", 2001) + `"}`, nil, 400, "note:"},
		{"huge body", `{"event_id":"e1","label":"benign","note":"` + strings.Repeat("x", 70<<10) + `"}`, nil, 413, "body: over 64 KiB"},
		{"form content type", `{"event_id":"e1","label":"benign"}`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "Content-Type"},
		{"text content type", `{"event_id":"e1","label":"benign"}`, map[string]string{"Content-Type": "text/plain"}, 415, "Content-Type"},
		{"cross-site", `{"event_id":"e1","label":"benign"}`, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "cross-origin"},
		{"foreign origin", `{"event_id":"e1","label":"benign"}`, map[string]string{"Origin": "https://evil.example"}, 403, "cross-origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b := f.postFeedback(t, tc.body, tc.hdr)
			if code != tc.code || !strings.Contains(string(b), tc.want) {
				t.Errorf("status %d %s, want %d containing %q", code, b, tc.code, tc.want)
			}
		})
	}
	if got := len(f.labeler.Calls()); got != n {
		t.Errorf("refused requests reached the labeler: %d calls, want %d", got, n)
	}
	// Same-origin browser POST passes.
	if code, b := f.postFeedback(t, `{"event_id":"e3","label":"benign"}`, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": f.srv.URL}); code != 200 {
		t.Errorf("same-origin: %d %s", code, b)
	}
	if code, b := f.postFeedback(t, `{"event_id":"zzz","label":"benign"}`, nil); code != 404 || !strings.Contains(string(b), `event_id: \"zzz\" not found`) {
		t.Errorf("unknown event: %d %s", code, b)
	}
	if code, b := f.postFeedback(t, `{"event_id":"boom","label":"benign"}`, nil); code != 500 || strings.Contains(string(b), "secret") {
		t.Errorf("labeler failure: %d %s", code, b)
	}
	code, _, _ = f.do(t, "GET", "/api/feedback", "", nil)
	if code != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/feedback: %d", code)
	}
}

func TestFeedbackBadInputFromLabeler(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Labeler = labelerFunc(func(ctx context.Context, id, label, note string) error {
			return errors.Join(errors.New("label on a deleted event"), ErrBadInput)
		})
	})
	if code, b := f.postFeedback(t, `{"event_id":"e1","label":"benign"}`, nil); code != 400 || !strings.Contains(string(b), "deleted event") {
		t.Errorf("%d %s", code, b)
	}
}

type labelerFunc func(ctx context.Context, id, label, note string) error

func (f labelerFunc) Label(ctx context.Context, id, label, note string) error {
	return f(ctx, id, label, note)
}

func TestToken(t *testing.T) {
	const tok = "s3cret-token"
	f := newFixture(t, func(o *Options) { o.Token = tok })
	for _, tc := range []struct {
		name, method, path string
		hdr                map[string]string
		code               int
		want               string
	}{
		{"api without", "GET", "/api/overview", nil, 401, `"error"`},
		{"api wrong", "GET", "/api/overview", map[string]string{"Authorization": "Bearer nope"}, 401, "token required"},
		{"api basic", "GET", "/api/overview", map[string]string{"Authorization": "Basic " + tok}, 401, "token required"},
		{"api bearer", "GET", "/api/overview", map[string]string{"Authorization": "Bearer " + tok}, 200, `"totals"`},
		{"api cookie", "GET", "/api/overview", map[string]string{"Cookie": CookieName + "=" + tok}, 200, `"totals"`},
		{"api wrong cookie", "GET", "/api/overview", map[string]string{"Cookie": CookieName + "=x"}, 401, "token"},
		{"page without", "GET", "/", map[string]string{"Accept": "text/html"}, 401, "Token required"},
		{"page bearer", "GET", "/", map[string]string{"Authorization": "Bearer " + tok}, 200, "<title>spotlake</title>"},
		{"js without", "GET", "/app.js", nil, 401, "token"},
		{"post without", "POST", "/api/feedback", map[string]string{"Content-Type": "application/json"}, 401, "token"},
		{"healthz without", "GET", "/healthz", nil, 200, `"status":"ok"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := ""
			if tc.method == "POST" {
				body = `{"event_id":"e1","label":"benign"}`
			}
			code, _, b := f.do(t, tc.method, tc.path, body, tc.hdr)
			if code != tc.code || !strings.Contains(string(b), tc.want) {
				t.Errorf("status %d %.200s, want %d containing %q", code, b, tc.code, tc.want)
			}
		})
	}
	if len(f.labeler.Calls()) != 0 {
		t.Error("unauthenticated POST reached the labeler")
	}

	// /login sets the cookie and redirects; a wrong token does not.
	client := f.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(f.srv.URL + "/login?token=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || len(cookies) != 1 {
		t.Fatalf("login: %d %v %v", resp.StatusCode, resp.Header, cookies)
	}
	c := cookies[0]
	if c.Name != CookieName || c.Value != tok || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie %+v", c)
	}
	resp, err = client.Get(f.srv.URL + "/login?token=wrong")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || len(resp.Cookies()) != 0 {
		t.Errorf("wrong login: %d %v", resp.StatusCode, resp.Cookies())
	}
}

func TestHealthz(t *testing.T) {
	f := newFixture(t, nil)
	var d struct {
		Status     string   `json:"status"`
		Loaded     bool     `json:"loaded"`
		Generation int64    `json:"generation"`
		BuiltAt    string   `json:"built_at"`
		AgeSeconds int64    `json:"age_seconds"`
		Days       []string `json:"days"`
		NewestDay  string   `json:"newest_day"`
	}
	f.get(t, "/healthz", 200, &d)
	if d.Status != "ok" || !d.Loaded || d.Generation != 7 || d.AgeSeconds != 7200 || d.NewestDay != "2026-11-21" ||
		len(d.Days) != 3 || d.BuiltAt != "2026-11-22T04:00:00Z" {
		t.Errorf("healthz %+v", d)
	}
	f.store.st.BuiltAt = fixedNow.Add(-40 * time.Hour)
	f.get(t, "/healthz", 200, &d)
	if d.Status != "stale" || !d.Loaded {
		t.Errorf("stale: %+v", d)
	}
	f.store.st = CacheStatus{}
	f.get(t, "/healthz", 503, &d)
	if d.Status != "loading" || d.Loaded {
		t.Errorf("not loaded: %+v", d)
	}
	f.store.err = errors.New("no cache file")
	f.get(t, "/healthz", 503, &d)
	f.get(t, "/api/overview", 503, nil)
}

func TestStaticAndHeaders(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct{ path, ctype, want string }{
		{"/", "text/html", `<script src="/app.js" defer></script>`},
		{"/app.js", "javascript", "function render()"},
		{"/style.css", "text/css", ":root"},
		{"/api/overview", "application/json", `"totals"`},
		{"/healthz", "application/json", `"status"`},
	} {
		code, hdr, b := f.do(t, "GET", tc.path, "", nil)
		if code != 200 || !strings.Contains(hdr.Get("Content-Type"), tc.ctype) || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %q %.100s", tc.path, code, hdr.Get("Content-Type"), b)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if hdr.Get(k) != v {
				t.Errorf("%s: %s = %q", tc.path, k, hdr.Get(k))
			}
		}
		if csp := hdr.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", tc.path, csp)
		}
	}
	// No inline script or style attributes in the page (the CSP would block them).
	_, _, b := f.do(t, "GET", "/", "", nil)
	page := string(b)
	if strings.Contains(page, "<script>") || strings.Contains(page, " style=") || strings.Contains(page, "onclick=") {
		t.Error("index.html has inline script or style")
	}
	code, _, _ := f.do(t, "GET", "/nope.html", "", nil)
	if code != 404 {
		t.Errorf("/nope.html: %d", code)
	}
}

func TestCancelledRequest(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/api/overview", nil)
	if _, err := f.srv.Client().Do(req); err == nil {
		t.Error("cancelled request succeeded")
	}
	// The handler itself, given a cancelled context, does not answer 200.
	h, _ := NewHandler(Options{Store: f.store})
	rec := httptest.NewRecorder()
	r, _ := http.NewRequestWithContext(ctx, "GET", "/api/events?from=2026-11-19&to=2026-11-21", nil)
	h.ServeHTTP(rec, r)
	if rec.Code == 200 {
		t.Errorf("cancelled query answered 200")
	}
	if f.store.acquired != f.store.released {
		t.Errorf("acquired %d, released %d", f.store.acquired, f.store.released)
	}
}
