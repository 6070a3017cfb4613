package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"time"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/stages/cache"
	"github.com/spotlake/spotlake/stages/viz"
)

// directStore answers every request from the Iceberg tables: it plans the
// tables and defines views over their data files per request, which is
// what a dashboard without the cache would do.
type directStore struct {
	src      cache.Source
	from, to time.Time
	status   viz.CacheStatus
}

func (d directStore) Acquire(ctx context.Context) (*sql.DB, viz.CacheStatus, func(), error) {
	db, err := cache.Direct(ctx, d.src, d.from, d.to, 0)
	if err != nil {
		return nil, viz.CacheStatus{}, nil, err
	}
	return db, d.status, func() { db.Close() }, nil
}

func benchAPI(ctx context.Context, p *orchestrator.Pipeline, cfg *config.Config, days, requests int) error {
	r, err := cache.OpenReader(ctx, cfg.Cache, 0)
	if err != nil {
		return err
	}
	defer r.Close()
	snap, release, err := r.Acquire(ctx)
	if err != nil {
		return err
	}
	st := snap.Status
	var ip, user, eventID, eventDay, word string
	q := `SELECT src_ip, (SELECT user_name FROM suspicious WHERE user_name IS NOT NULL ORDER BY rank LIMIT 1),
		event_id, strftime(input_day, '%Y-%m-%d') FROM suspicious WHERE src_ip IS NOT NULL ORDER BY input_day DESC, rank LIMIT 1`
	if err := snap.DB.QueryRowContext(ctx, q).Scan(&ip, &user, &eventID, &eventDay); err != nil {
		release()
		return fmt.Errorf("pick a principal: %w", err)
	}
	release()
	word = "Failed password"
	first, newest := st.Days[0], st.Days[len(st.Days)-1]
	fmt.Printf("\ndashboard API over %d days (%s..%s); investigating %s and user %s\n", len(st.Days), first, newest, ip, user)
	calls := []string{
		"/api/overview",
		"/api/overview?from=" + first + "&to=" + newest,
		"/api/suspicious",
		"/api/suspicious?sort=score&order=asc&limit=100",
		"/api/events",
		"/api/events?from=" + newest + "T10:00:00Z&to=" + newest + "T11:00:00Z",
		"/api/events?ip=" + ip,
		"/api/events?user=" + url.QueryEscape(user),
		"/api/events?q=" + url.QueryEscape(word),
		"/api/events/" + eventID + "?day=" + eventDay,
		"/api/entity?ip=" + ip,
		"/api/entity?user=" + url.QueryEscape(user),
		"/api/alerts",
	}
	cached, err := viz.NewHandler(viz.Options{Store: orchestrator.CacheStore(r)})
	if err != nil {
		return err
	}
	from, _ := time.Parse(time.DateOnly, first)
	to, _ := time.Parse(time.DateOnly, newest)
	direct, err := viz.NewHandler(viz.Options{Store: directStore{p.CacheSource(), from, to, viz.CacheStatus{Loaded: st.Loaded, Generation: st.Generation, BuiltAt: st.BuiltAt, Days: st.Days}}})
	if err != nil {
		return err
	}
	directN := max(3, requests/20)
	fmt.Printf("%-62s %9s %9s %11s %11s %8s\n", "call", "cache p50", "cache p95", "direct p50", "direct p95", "speed-up")
	worst := 0.0
	for _, c := range calls {
		c50, c95, err := latency(cached, c, requests)
		if err != nil {
			return err
		}
		d50, d95, err := latency(direct, c, directN)
		if err != nil {
			return err
		}
		worst = max(worst, ms(c95))
		fmt.Printf("%-62s %7.1fms %7.1fms %9.0fms %9.0fms %7.0fx\n", trim(c, 62), ms(c50), ms(c95), ms(d50), ms(d95), float64(d50)/float64(c50))
	}
	fmt.Printf("worst cache p95 %.1fms (goal under 100ms); %d requests per call on the cache, %d direct\n", worst, requests, directN)
	return nil
}

func latency(h http.Handler, path string, n int) (p50, p95 time.Duration, err error) {
	var lat []time.Duration
	for i := 0; i < n; i++ {
		t0 := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		lat = append(lat, time.Since(t0))
		if rec.Code != http.StatusOK {
			return 0, 0, fmt.Errorf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
	slices.Sort(lat)
	return lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*95/100)], nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
