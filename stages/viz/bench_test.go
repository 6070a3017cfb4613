package viz

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/spotlake/spotlake/stages/cache"
)

// BenchmarkAPI measures each endpoint over a synthetic cache of
// days × perDay events (run with -bench API -benchtime 20x); it reports
// the 95th percentile latency of each.
func BenchmarkAPI(b *testing.B) {
	const days, perDay = 7, 1_000_000
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := cache.CreateEmpty(ctx, db); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO events (event_id, event_time, source, format, input_day, event_type, action, src_ip, src_port, dst_ip, dst_port, user_name, flow_bytes, raw)
		SELECT 'ev' || i, TIMESTAMPTZ '2026-11-15 00:00:00+00' + to_microseconds(CAST(i * (86400000000 // %d) AS BIGINT)),
			['fw','proxy','dns'][1 + i %% 3], 'csv', DATE '2026-11-15' + CAST(i // %d AS INTEGER), 'conn', ['accept','deny'][1 + i %% 2],
			'10.0.' || (i %% 7 // 1) || '.' || (i %% 251), 40000 + i %% 20000, '203.0.113.' || (i %% 97), [22, 80, 443, 53, 8080][1 + i %% 5],
			'user' || (i %% 500), i %% 10000, 'line ' || i || ' from 10.0.' || (i %% 7) || '.' || (i %% 251) || ' GET http://example.com/p' || (i %% 1000)
		FROM range(%d) t(i)`, perDay, perDay, days*perDay),
		`INSERT INTO events_daily SELECT input_day, source, count(*) FROM events GROUP BY ALL`,
		`INSERT INTO suspicious (event_id, input_day, source, event_time, origin, kind, severity, reason, rank, score, src_ip, dst_ip, dst_port, user_name)
		SELECT event_id, input_day, source, event_time, 'score', 'suspicious_connect', 'high', 'rare', row_number() OVER (PARTITION BY input_day ORDER BY event_id), 0.001, src_ip, dst_ip, dst_port, user_name
		FROM events USING SAMPLE 7000 ROWS`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	if err := cache.FillEntity(ctx, db); err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture: %d events in %v", days*perDay, time.Since(start))
	st := CacheStatus{Loaded: true, BuiltAt: time.Now(), Days: []string{"2026-11-15", "2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21"}}
	h, err := NewHandler(Options{Store: &fakeStore{db: db, st: st}})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{
		"/api/overview",
		"/api/suspicious",
		"/api/suspicious?sort=score&order=desc&source=fw",
		"/api/events",
		"/api/events?ip=10.0.3.17",
		"/api/events?q=p999",
		"/api/events?from=2026-11-15&to=2026-11-21&user=user42",
		"/api/events/ev123456?day=2026-11-15",
		"/api/entity?ip=10.0.3.17",
		"/api/entity?ip=10.0.3.17&from=2026-11-21&to=2026-11-21",
		"/api/entity?user=user42",
		"/api/alerts",
	} {
		b.Run(path, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				lat = append(lat, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
