package orchestrator_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
)

func schedConfig(t *testing.T, cron string, catchUp int) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte("apiVersion: spotlake/v1\nsources: [{name: syslog}]\nschedule:\n  cron: \"" + cron + "\"\n  timezone: Europe/Paris\n  catch_up_days: " + string(rune('0'+catchUp)) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestScheduledDayUsesTheScheduleZone(t *testing.T) {
	c := schedConfig(t, "30 2 * * *", 3)
	// 23:30 UTC on the 21st is 00:30 on the 22nd in Paris: yesterday is the 21st.
	now := time.Date(2026, 11, 21, 23, 30, 0, 0, time.UTC)
	if got := orchestrator.ScheduledDay(c, now).Format("2006-01-02"); got != "2026-11-21" {
		t.Errorf("ScheduledDay = %s, want 2026-11-21", got)
	}
}

// TestCatchUpIsBounded: a tick runs the scheduled day plus missed days, at
// most catch_up_days of them, oldest first.
func TestCatchUpIsBounded(t *testing.T) {
	c := schedConfig(t, "30 2 * * *", 3)
	done := map[string]bool{"2026-11-19": true}
	s := &orchestrator.Scheduler{Config: c, Log: slog.New(slog.DiscardHandler),
		Done: func(_ context.Context, d time.Time) (bool, error) { return done[d.Format("2006-01-02")], nil }}
	days, err := s.Days(context.Background(), time.Date(2026, 11, 22, 2, 30, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range days {
		got = append(got, d.Format("2006-01-02"))
	}
	if strings.Join(got, ",") != "2026-11-18,2026-11-20,2026-11-21" {
		t.Errorf("days = %v", got)
	}
}

// TestNeverTwoRunsAtOnce: the daemon, ticking every second, skips ticks while
// a slow run is going, and says so.
func TestNeverTwoRunsAtOnce(t *testing.T) {
	c := schedConfig(t, "@every 1s", 0)
	var logs bytes.Buffer
	var mu sync.Mutex
	var running, maxRunning, runs atomic.Int32
	s := &orchestrator.Scheduler{
		Config: c,
		Log:    slog.New(slog.NewTextHandler(&syncWriter{w: &logs, mu: &mu}, nil)),
		Done:   func(context.Context, time.Time) (bool, error) { return false, nil },
		Run: func(ctx context.Context, days []time.Time) ([]orchestrator.RunReport, error) {
			n := running.Add(1)
			if n > maxRunning.Load() {
				maxRunning.Store(n)
			}
			runs.Add(1)
			time.Sleep(2500 * time.Millisecond)
			running.Add(-1)
			return []orchestrator.RunReport{{Date: days[0].Format("2006-01-02"), Status: "succeeded"}}, nil
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4200*time.Millisecond)
	defer cancel()
	if err := s.Serve(ctx, true); err != nil {
		t.Fatal(err)
	}
	if maxRunning.Load() != 1 {
		t.Errorf("%d runs at once", maxRunning.Load())
	}
	if runs.Load() < 1 || runs.Load() > 2 {
		t.Errorf("%d runs in 4s of 2.5s runs", runs.Load())
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	for _, want := range []string{"scheduler started", "starting scheduled run", "skipping this tick", "day finished"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
