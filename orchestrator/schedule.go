package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/spotlake/spotlake/orchestrator/config"
)

// ScheduledDay is the day a run started at now processes: today minus the
// schedule's day offset, in the schedule's time zone.
func ScheduledDay(cfg *config.Config, now time.Time) time.Time {
	loc, err := time.LoadLocation(cfg.Schedule.Timezone)
	if err != nil {
		loc = time.UTC
	}
	t := now.In(loc).AddDate(0, 0, -cfg.Schedule.DayOffset)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// DayRunner runs the pipeline for some days; the scheduler calls it.
type DayRunner func(ctx context.Context, days []time.Time) ([]RunReport, error)

// DayDone tells the scheduler which days are already done, for catch-up.
type DayDone func(ctx context.Context, day time.Time) (bool, error)

// Scheduler runs the daily pipeline on the config's cron expression. It is
// the foreground daemon behind `spotlake schedule run`.
type Scheduler struct {
	Config *config.Config
	Run    DayRunner
	Done   DayDone
	Log    *slog.Logger
	// Now is the clock (tests replace it).
	Now func() time.Time

	mu      sync.Mutex
	running bool
}

// Days returns the days a tick at now should run: the scheduled day plus up
// to CatchUpDays earlier days that are not done, oldest first.
func (s *Scheduler) Days(ctx context.Context, now time.Time) ([]time.Time, error) {
	latest := ScheduledDay(s.Config, now)
	var out []time.Time
	for i := s.Config.Schedule.CatchUpDays; i >= 1; i-- {
		d := latest.AddDate(0, 0, -i)
		done, err := s.Done(ctx, d)
		if err != nil {
			return nil, err
		}
		if !done {
			out = append(out, d)
		}
	}
	return append(out, latest), nil
}

// Tick runs one scheduled run unless one is still going.
func (s *Scheduler) Tick(ctx context.Context) {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		s.Log.Warn("skipping this tick: the previous run is still going")
		return
	}
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
	days, err := s.Days(ctx, s.Now())
	if err != nil {
		s.Log.Error("cannot decide which days to run", "error", err)
		return
	}
	s.Log.Info("starting scheduled run", "days", fmtDays(days))
	reports, err := s.Run(ctx, days)
	if errors.Is(err, ErrLocked) {
		s.Log.Warn("skipping this tick: another run holds the pipeline lock", "error", err)
		return
	}
	if err != nil {
		s.Log.Error("scheduled run failed", "error", err)
		return
	}
	for _, r := range reports {
		s.Log.Info("day finished", "day", r.Date, "status", r.Status, "run_id", r.RunID)
	}
}

// Serve runs ticks on the cron schedule until ctx ends. With catchUp it
// runs once at start, so days missed while the daemon was down are done.
func (s *Scheduler) Serve(ctx context.Context, catchUp bool) error {
	loc, err := time.LoadLocation(s.Config.Schedule.Timezone)
	if err != nil {
		return err
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	c := cron.New(cron.WithLocation(loc), cron.WithLogger(cron.DiscardLogger))
	if _, err := c.AddFunc(s.Config.Schedule.Cron, func() { s.Tick(ctx) }); err != nil {
		return fmt.Errorf("schedule.cron: %w", err)
	}
	if catchUp {
		go s.Tick(ctx)
	}
	c.Start()
	next := c.Entries()[0].Next
	s.Log.Info("scheduler started", "cron", s.Config.Schedule.Cron, "timezone", loc.String(), "next", next.Format(time.RFC3339))
	<-ctx.Done()
	s.Log.Info("scheduler stopping; waiting for a run in progress")
	<-c.Stop().Done()
	return nil
}

func fmtDays(days []time.Time) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = d.Format("2006-01-02")
	}
	return out
}
