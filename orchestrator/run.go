package orchestrator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/cache"
	"github.com/spotlake/spotlake/stages/commit"
	"github.com/spotlake/spotlake/stages/detect"
	"github.com/spotlake/spotlake/stages/ingest"
	"github.com/spotlake/spotlake/stages/oa"
	"github.com/spotlake/spotlake/stages/tableio"
)

// Stage names, in pipeline order.
const (
	StageIngest = "ingest"
	StageDetect = "detect"
	StageOA     = "oa"
)

// Stages lists the stages of the daily run, in order.
var Stages = []string{StageIngest, StageDetect, StageOA, StageCache}

// Status values of stages and runs.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// StageReport is what one stage did for one day.
type StageReport struct {
	Name    string  `json:"name"`
	Status  string  `json:"status"`
	Lines   int64   `json:"lines"`
	Rows    int64   `json:"rows"`
	Rejects int64   `json:"rejects"`
	Seconds float64 `json:"seconds"`
	Message string  `json:"message,omitempty"`
	// Remote says where the stage's tasks ran when not in this process
	// (engine spark) and what they used.
	Remote   *Remote          `json:"remote,omitempty"`
	Objects  int              `json:"objects"`
	Existing int              `json:"already_committed"`
	Bytes    int64            `json:"bytes"`
	Failures []ingest.Failure `json:"failures,omitempty"`
	// DrainSeconds is the part of Seconds the finisher spent waiting for
	// late objects after the last one was read.
	DrainSeconds float64 `json:"drain_seconds,omitempty"`
	// Detect is the detect stage's own report.
	Detect *detect.Result `json:"detect,omitempty"`
	// OA is the oa stage's own report.
	OA *oa.Result `json:"oa,omitempty"`
	// Cache is the cache stage's own report.
	Cache   *cache.RefreshReport            `json:"cache,omitempty"`
	Sources map[string]*ingest.SourceResult `json:"sources,omitempty"`
}

// RunReport is one run of the pipeline for one day (the --json contract).
type RunReport struct {
	RunID  string        `json:"run_id"`
	Date   string        `json:"date"`
	Status string        `json:"status"`
	Stages []StageReport `json:"stages"`
}

// OK reports whether every stage succeeded.
func (r RunReport) OK() bool { return r.Status == StatusSucceeded }

// RunOptions say what to run.
type RunOptions struct {
	Stages  []string // default: all
	Force   bool
	Wait    bool   // wait for a held lock instead of refusing
	Command string // for the lock file: "run", "stage run ingest", "schedule"
	// Progress receives the ingest's counters while it runs.
	Progress *ingest.Progress
	// Waiting is told once when the lock is held by another run.
	Waiting func(LockInfo)
	// OnDay is called after each day, in order.
	OnDay func(RunReport)
	// Here runs the stages in this process whatever the provider: what an
	// EMR step does (spotlake stage exec).
	Here bool
	// RunID continues a run started elsewhere (the controller's, for the
	// steps of its clusters); empty starts a new one.
	RunID string
}

// NewRunID returns a sortable, unique run id.
func NewRunID(now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return "r" + now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

// Run runs the stages for each day in order under the pipeline's lock. One
// report per day; an error means the run could not go on (lock, catalog),
// not that a stage failed — a failed stage is in its report.
func (p *Pipeline) Run(ctx context.Context, days []time.Time, o RunOptions) ([]RunReport, error) {
	if len(o.Stages) == 0 {
		o.Stages = Stages
	}
	for _, s := range o.Stages {
		if !contains(Stages, s) {
			return nil, fmt.Errorf("unknown stage %q; stages are: %v", s, Stages)
		}
	}
	if p.Config.Provider == "aws" && !o.Here {
		return p.runOnEMR(ctx, days, o)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(p.Config.Ingest.MemoryLimitMB) << 20)
	}
	runID := o.RunID
	if runID == "" {
		runID = NewRunID(time.Now())
	}
	host, _ := os.Hostname()
	// A step of a run started elsewhere (stage exec on an EMR node) runs
	// under that run's lock, held by its controller.
	if !(o.Here && o.RunID != "") {
		locked, release, err := p.lockRun(ctx, LockInfo{
			PID: os.Getpid(), Host: host, RunID: runID, Command: o.Command, Since: time.Now().UTC(),
		}, o.Wait, o.Waiting)
		if err != nil {
			return nil, err
		}
		defer release()
		ctx = locked
	}

	if err := p.recover(ctx); err != nil {
		return nil, err
	}
	marker := "inflight/" + runID
	if err := p.Books.Put(ctx, marker, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		return nil, fmt.Errorf("mark run in flight: %w", err)
	}

	var reports []RunReport
	dirty := false
	for _, day := range days {
		rep := RunReport{RunID: runID, Date: day.Format("2006-01-02"), Status: StatusSucceeded}
		for _, st := range Stages {
			if !contains(o.Stages, st) {
				continue
			}
			sr := p.runStage(ctx, st, day, runID, o)
			if sr.Status != StatusSucceeded {
				rep.Status = StatusFailed
				if len(sr.Failures) > 0 {
					dirty = true
				}
			}
			rep.Stages = append(rep.Stages, sr)
			if err := p.recordStage(ctx, runID, day, sr, host); err != nil {
				p.Log.Warn("could not record the run in the runs table", "error", err)
			} else if st == StageCache && sr.Status == StatusSucceeded {
				// The refresh ran before its own row existed.
				if err := cache.RefreshMeta(ctx, p.Config.Cache, p.CacheSource(), 0); err != nil {
					p.Log.Warn("could not refresh the cache's run history", "error", err)
				}
			}
			if ctx.Err() != nil {
				break
			}
			if sr.Status != StatusSucceeded {
				break // later stages would read an incomplete day
			}
		}
		reports = append(reports, rep)
		if o.OnDay != nil {
			o.OnDay(rep)
		}
		if ctx.Err() != nil {
			return reports, context.Cause(ctx)
		}
	}
	if dirty {
		// Files of objects that failed mid-way were never committed.
		if err := p.CleanOrphans(ctx); err != nil {
			p.Log.Warn("orphan cleanup failed; the next run retries it", "error", err)
			return reports, nil
		}
	}
	p.Books.Delete(ctx, marker)
	return reports, nil
}

// recover rolls forward commits a killed run left pending and, when a run
// did not finish cleanly, removes the data files it wrote but never committed.
func (p *Pipeline) recover(ctx context.Context) error {
	n, err := p.Committer.Recover(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		p.Log.Info("recovered commits of an interrupted run", "commits", n)
	}
	markers, err := p.Books.List(ctx, "inflight/")
	if err != nil {
		return err
	}
	if len(markers) == 0 {
		return nil
	}
	p.Log.Info("a previous run did not finish; removing files it wrote but never committed", "runs", len(markers))
	if err := p.CleanOrphans(ctx); err != nil {
		return fmt.Errorf("clean up after the interrupted run: %w", err)
	}
	for _, m := range markers {
		if err := p.Books.Delete(ctx, m.Key); err != nil {
			return err
		}
	}
	return nil
}

// CleanOrphans deletes data files of the pipeline's tables that no snapshot
// references. Call it only under the run lock with no commit pending.
func (p *Pipeline) CleanOrphans(ctx context.Context) error {
	for _, name := range schemas.Names() {
		tbl, err := p.Table(ctx, name)
		if err != nil {
			return err
		}
		res, err := tbl.DeleteOrphanFiles(ctx, table.WithFilesOlderThan(0))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		if len(res.DeletedFiles) > 0 {
			p.Log.Info("removed uncommitted files", "table", name, "files", len(res.DeletedFiles))
		}
	}
	return nil
}

func (p *Pipeline) runStage(ctx context.Context, name string, day time.Time, runID string, o RunOptions) StageReport {
	start := time.Now()
	sr := StageReport{Name: name, Status: StatusSucceeded}
	p.stage(ctx, &sr, day, runID, o)
	sr.Seconds = time.Since(start).Seconds()
	return sr
}

func (p *Pipeline) stage(ctx context.Context, sr *StageReport, day time.Time, runID string, o RunOptions) {
	switch sr.Name {
	case StageDetect:
		p.runDetect(ctx, sr, day, runID)
	case StageOA:
		p.runOA(ctx, sr, day, runID)
	case StageCache:
		p.runCache(ctx, sr, o)
	case StageIngest:
		st, err := p.ingestStage(ctx)
		if err != nil {
			sr.Status, sr.Message = StatusFailed, err.Error()
			break
		}
		opts := p.ingestOptions(day, runID, o.Force, p.Config.Ingest.Workers)
		opts.Progress = o.Progress
		if p.Config.Engine == "spark" {
			parallel, stop, err := p.sparkIngest(ctx, st, day, runID, o.Here)
			if err != nil {
				sr.Status, sr.Message = StatusFailed, err.Error()
				break
			}
			defer func() { sr.Remote = stop() }()
			opts.Workers = parallel
		}
		res, err := st.Run(ctx, opts)
		if err != nil {
			sr.Status, sr.Message = StatusFailed, err.Error()
			break
		}
		sr.Lines, sr.Rows, sr.Rejects = res.Lines, res.Rows, res.Rejects
		sr.Objects, sr.Existing, sr.Bytes = res.Objects, res.Existing, res.Bytes
		sr.Failures, sr.Sources, sr.DrainSeconds = res.Failures, res.Sources, res.DrainSeconds
		switch {
		case res.Discarded:
			sr.Status = StatusFailed
			sr.Message = fmt.Sprintf("forced rerun discarded: %d objects failed, so the day keeps its previous rows", len(res.Failures))
		case len(res.Failures) > 0:
			sr.Status = StatusFailed
			sr.Message = fmt.Sprintf("%d objects could not be read; they are recorded in ingest_files and retried by the next run", len(res.Failures))
		case res.Complete():
			sr.Message = fmt.Sprintf("day complete: all %d objects were already committed; nothing new (rerun with --force to replace the day)", res.Existing)
		case res.Objects == 0:
			sr.Message = "no input objects for this day"
		case o.Force:
			sr.Message = fmt.Sprintf("replaced the day with %d objects", res.Objects)
		}
	}
}

// recordStage appends one row to the runs table.
// stageMessage is the runs row's message: the stage's own, and where its
// tasks ran when not in this process.
func stageMessage(sr StageReport) string {
	if r := sr.Remote; r != nil {
		where := fmt.Sprintf("tasks on %s %s (%s): %d, %.1f CPU-s", r.Engine, r.App, r.Master, r.Tasks, r.CPUSeconds)
		if sr.Message == "" {
			return where
		}
		return sr.Message + "; " + where
	}
	return sr.Message
}

func (p *Pipeline) recordStage(ctx context.Context, runID string, day time.Time, sr StageReport, host string) error {
	r := runRow{
		runID: runID, stage: sr.Name, day: day, status: sr.Status, seconds: sr.Seconds, message: stageMessage(sr), host: host,
		clusterType: p.Config.Provider, clusterSize: "this machine", clusterSeconds: sr.Seconds,
		counts: true, objects: int64(sr.Objects), lines: sr.Lines, rows: sr.Rows, rejects: sr.Rejects, failed: int64(len(sr.Failures)),
	}
	if p.Config.Provider == "aws" {
		// A step on a cluster: the controller's cluster:<role> row has the
		// cluster, its node-seconds and its cost.
		r.clusterSize, r.clusterSeconds = "emr step", 0
	}
	return p.appendRun(ctx, r, 9000)
}

// runRow is one row of the runs table.
type runRow struct {
	runID, stage, status, message, host string
	day                                 time.Time
	seconds                             float64
	clusterType, clusterSize            string
	clusterSeconds, costUSD             float64
	// counts: objects, lines, rows, rejects and failed are known (a
	// cluster's row leaves them null).
	counts                                bool
	objects, lines, rows, rejects, failed int64
}

// appendRun commits one row to the runs table; seq numbers its commit
// among the run's commits.
func (p *Pipeline) appendRun(ctx context.Context, r runRow, seq int) error {
	tbl, err := p.Table(ctx, schemas.Runs)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	started := now.Add(-time.Duration(r.seconds * float64(time.Second)))
	files, err := tableio.Write(ctx, tbl, func(f arrow.Field, b array.Builder) error {
		s := func(v string) { tableio.AppendString(f, b, v) }
		n := func(v int64) {
			if r.counts {
				b.(*array.Int64Builder).Append(v)
			} else {
				b.AppendNull()
			}
		}
		switch f.Name {
		case "run_id":
			s(r.runID)
		case "stage":
			s(r.stage)
		case "input_day":
			b.(*array.Date32Builder).Append(arrow.Date32FromTime(r.day))
		case "status":
			s(r.status)
		case "started_at":
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(started.UnixMicro()))
		case "finished_at":
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(now.UnixMicro()))
		case "seconds":
			b.(*array.Float64Builder).Append(r.seconds)
		case "cluster_seconds":
			b.(*array.Float64Builder).Append(r.clusterSeconds)
		case "objects":
			n(r.objects)
		case "lines":
			n(r.lines)
		case "rows":
			n(r.rows)
		case "rejects":
			n(r.rejects)
		case "failed_objects":
			n(r.failed)
		case "cluster_type":
			s(r.clusterType)
		case "cluster_size":
			s(r.clusterSize)
		case "cost_usd":
			b.(*array.Float64Builder).Append(r.costUSD)
		case "message":
			s(r.message)
		case "host":
			s(r.host)
		default:
			b.AppendNull()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return p.Committer.Commit(ctx, commit.Intent{
		ID: commit.NewID(r.runID, seq), RunID: r.runID, Created: now,
		Changes: []commit.Change{{Table: schemas.Runs, Add: files}},
	})
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
