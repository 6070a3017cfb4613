package viz

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/spotlake/spotlake/stages/cache"
)

// fakeStore hands out one DuckDB database.
type fakeStore struct {
	mu       sync.Mutex
	db       *sql.DB
	st       CacheStatus
	err      error
	acquired int
	released int
}

func (s *fakeStore) Acquire(ctx context.Context) (*sql.DB, CacheStatus, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.st, nil, s.err
	}
	s.acquired++
	return s.db, s.st, func() { s.mu.Lock(); s.released++; s.mu.Unlock() }, nil
}

// fakeLabeler records calls; known event ids succeed, "boom" fails.
type fakeLabeler struct {
	mu    sync.Mutex
	known map[string]bool
	calls [][3]string
}

func (l *fakeLabeler) Label(ctx context.Context, eventID, label, note string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, [3]string{eventID, label, note})
	switch {
	case eventID == "boom":
		return errors.New("iceberg commit: conflict with secret details")
	case !l.known[eventID]:
		return fmt.Errorf("label %q: %w", eventID, ErrNotFound)
	}
	return nil
}

func (l *fakeLabeler) Calls() [][3]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][3]string(nil), l.calls...)
}

// fixedNow is the test clock: the morning after the newest day held.
var fixedNow = time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)

var fixtureSQL = []string{
	`INSERT INTO events_daily VALUES
		('2026-11-01', 'fw', 999),
		('2026-11-19', 'fw', 100), ('2026-11-19', 'proxy', 50),
		('2026-11-20', 'fw', 200), ('2026-11-20', 'proxy', 70), ('2026-11-20', 'dns', 10),
		('2026-11-21', 'fw', 300), ('2026-11-21', 'proxy', 80)`,
	`INSERT INTO rejects_daily VALUES ('2026-11-20', 'proxy', 3), ('2026-11-21', 'fw', 2), ('2026-11-01', 'fw', 7)`,
	`INSERT INTO events (event_id, event_time, source, format, input_day, event_type, action, src_ip, src_port, dst_ip, dst_port, user_name, flow_bytes, attrs, raw) VALUES
		('e1', '2026-11-21T10:00:00Z', 'fw', 'csv', '2026-11-21', 'conn', 'accept', '10.0.0.5', 50000, '203.0.113.9', 443, 'alice', 1000, MAP {'rule': 'allow-out', 'zone': 'lan'}, 'fw ACCEPT 10.0.0.5 -> 203.0.113.9:443'),
		('e2', '2026-11-21T10:30:00Z', 'fw', 'csv', '2026-11-21', 'conn', 'accept', '10.0.0.5', 50001, '203.0.113.9', 443, 'alice', 500, NULL, 'fw ACCEPT 10.0.0.5 -> 203.0.113.9:443 again'),
		('e3', '2026-11-21T11:15:00Z', 'fw', 'csv', '2026-11-21', 'conn', 'accept', '10.0.0.5', 50002, '198.51.100.7', 22, 'alice', 42, NULL, 'fw ACCEPT 10.0.0.5 -> 198.51.100.7:22'),
		('e4', '2026-11-21T12:00:00Z', 'proxy', 'squid', '2026-11-21', 'http', 'TCP_MISS', '198.51.100.7', 40000, '10.0.0.5', 8080, 'bob', 10, NULL, 'GET http://evil.example/a_b%c 200'),
		('e5', '2026-11-20T09:00:00Z', 'dns', 'bind', '2026-11-20', 'query', NULL, '10.0.0.6', 5353, '10.0.0.53', 53, NULL, NULL, NULL, 'query evil.example A'),
		('e6', '2026-11-21T23:59:59Z', 'fw', 'csv', '2026-11-21', 'conn', 'deny', '10.0.0.7', 50003, '10.0.0.5', 443, NULL, 7, NULL, 'fw DENY 10.0.0.7 -> 10.0.0.5:443'),
		('e7', '2026-11-19T01:00:00Z', 'fw', 'csv', '2026-11-19', 'conn', 'accept', '10.0.0.5', 50004, '203.0.113.9', 443, 'alice', 1, NULL, 'fw ACCEPT old')`,
	`INSERT INTO scores (event_id, input_day, source, format, event_time, document, word, score, rank, model_version) VALUES
		('e1', '2026-11-21', 'fw', 'csv', '2026-11-21T10:00:00Z', '10.0.0.5', 'dport_443_bytes_9', 0.001, 2, 'm1')`,
	`INSERT INTO suspicious (event_id, input_day, source, event_time, origin, kind, severity, reason, rank, score, src_ip, dst_ip, dst_port, user_name) VALUES
		('e1', '2026-11-21', 'fw', '2026-11-21T10:00:00Z', 'score', 'suspicious_connect', 'high', 'rare connection', 2, 0.001, '10.0.0.5', '203.0.113.9', 443, 'alice'),
		('e4', '2026-11-21', 'proxy', '2026-11-21T12:00:00Z', 'heuristic', 'bad_domain', 'medium', 'known bad domain', 1, 0.0001, '198.51.100.7', '10.0.0.5', 8080, 'bob'),
		('e5', '2026-11-20', 'dns', '2026-11-20T09:00:00Z', 'score', 'suspicious_dns', 'low', 'odd query', 3, 0.01, '10.0.0.6', '10.0.0.53', 53, NULL),
		('e3', '2026-11-21', 'fw', '2026-11-21T11:15:00Z', 'heuristic', 'ssh_out', 'high', 'ssh to the internet', 4, 0.5, '10.0.0.5', '198.51.100.7', 22, 'alice')`,
	`INSERT INTO alerts VALUES
		('a1', '2026-11-21', 'ssh_bruteforce', 'high', '2026-11-21T11:00:00Z', '2026-11-21T12:00:00Z', MAP {'src_ip': '198.51.100.7'}, '{"count": 25}', 'count 25 > 20', true, 'r2'),
		('a2', '2026-11-20', 'mass_delete', 'medium', '2026-11-20T08:00:00Z', '2026-11-20T09:00:00Z', MAP {'user_name': 'carol'}, '{"count": 30}', 'count 30 > 20', false, 'r1'),
		('a0', '2026-11-01', 'old_rule', 'low', '2026-11-01T08:00:00Z', '2026-11-01T09:00:00Z', MAP {'src_ip': '10.0.0.5'}, 'not json', 'old', false, 'r0')`,
	`INSERT INTO runs (run_id, stage, input_day, status, started_at, finished_at, seconds, "rows", rejects) VALUES
		('r1', 'ingest', '2026-11-20', 'succeeded', '2026-11-21T01:00:00Z', '2026-11-21T01:10:00Z', 600, 280, 3),
		('r2', 'ingest', '2026-11-21', 'succeeded', '2026-11-22T01:00:00Z', '2026-11-22T01:05:00Z', 300, 380, 2),
		('r2', 'detect', '2026-11-21', 'succeeded', '2026-11-22T01:05:00Z', '2026-11-22T01:20:00Z', 900, 380, 0),
		('r2', 'oa', '2026-11-21', 'succeeded', '2026-11-22T01:20:00Z', '2026-11-22T01:21:30Z', 90, 4, 0)`,
	`INSERT INTO feedback (event_id, label, note, source, input_day, labelled_at) VALUES
		('e5', 'malicious', 'first look', 'dns', '2026-11-20', '2026-11-21T08:00:00Z'),
		('e5', 'benign', 'known resolver', 'dns', '2026-11-20', '2026-11-21T09:00:00Z')`,
}

// newFixtureDB is an in-memory DuckDB with the cache's tables and the
// fixture rows.
func newFixtureDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := cache.CreateEmpty(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, q := range fixtureSQL {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("fixture: %v\n%s", err, q)
		}
	}
	if err := cache.FillEntity(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}

func fixtureStatus() CacheStatus {
	return CacheStatus{Loaded: true, Generation: 7, BuiltAt: fixedNow.Add(-2 * time.Hour),
		Days: []string{"2026-11-19", "2026-11-20", "2026-11-21"}}
}

type fixture struct {
	srv     *httptest.Server
	store   *fakeStore
	labeler *fakeLabeler
	db      *sql.DB
}

// newFixture serves the dashboard over the fixture database.
func newFixture(t testing.TB, mod func(*Options)) *fixture {
	t.Helper()
	db := newFixtureDB(t)
	f := &fixture{db: db, store: &fakeStore{db: db, st: fixtureStatus()},
		labeler: &fakeLabeler{known: map[string]bool{"e1": true, "e2": true, "e3": true, "e4": true, "e5": true, "e6": true, "e7": true}}}
	o := Options{Store: f.store, Labeler: f.labeler}
	if mod != nil {
		mod(&o)
	}
	h, err := NewHandler(o)
	if err != nil {
		t.Fatal(err)
	}
	h.(interface{ setNow(func() time.Time) }).setNow(func() time.Time { return fixedNow })
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// do sends a request and returns the status and the body.
func (f *fixture) do(t testing.TB, method, path string, body string, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// get decodes a JSON answer into v after checking the status.
func (f *fixture) get(t testing.TB, path string, want int, v any) {
	t.Helper()
	code, _, b := f.do(t, "GET", path, "", nil)
	if code != want {
		t.Fatalf("GET %s: status %d, want %d: %s", path, code, want, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
}

func (f *fixture) postFeedback(t testing.TB, body string, hdr map[string]string) (int, []byte) {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range hdr {
		h[k] = v
	}
	code, _, b := f.do(t, "POST", "/api/feedback", body, h)
	return code, b
}
