// Package ingest is the ingest stage: it turns a day of raw log objects into
// rows of the events table (and events_rejected), exactly once per object.
//
// The stage is a finisher. It lists the day's objects under every source's
// prefix, hands new ones to a pool of workers, keeps listing while it works,
// and stops once the input is drained: no unclaimed object left and no new
// object for the drain window. Each worker parses one object into Parquet
// data files; the stage commits finished objects in batches through the
// commit package, with the ledger (ingest_files) last, so a rerun or a crash
// never loads an object twice.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/providers/objstore"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/commit"
	"github.com/spotlake/spotlake/stages/ingest/formats"
)

// Source is one configured input stream.
type Source struct {
	Name     string
	Format   formats.Format
	Prefix   string // under the raw store's root; holds dt=YYYY-MM-DD/
	Patterns []*regexp.Regexp
	Options  formats.Options
	Location *time.Location
}

// Tables are the tables the stage writes.
type Tables struct {
	Events, Rejected, Ledger *table.Table
}

// Stage ingests days of input.
type Stage struct {
	Raw       objstore.Store
	Tables    Tables
	Committer *commit.Committer
	Sources   []Source
	Log       *slog.Logger
	// Exec, when set, ingests each object outside this process (engine
	// spark); Options.Workers is then how many run at once.
	Exec Executor
}

// Options tune one run of the stage.
type Options struct {
	Day             time.Time // input day (UTC midnight)
	RunID           string
	Force           bool // replace the day's rows atomically
	Workers         int
	CommitEvery     int
	BatchRows       int
	MaxLineBytes    int
	TargetFileBytes int64
	// FileInputBytes bounds the input read into one data file (0: none).
	FileInputBytes int64
	DrainWindow    time.Duration
	PollInterval   time.Duration
	// Progress, when set, is updated while the stage runs.
	Progress *Progress
}

// Progress counts work done; read it from another goroutine.
type Progress struct {
	ObjectsQueued, ObjectsDone atomic.Int64
	BytesQueued, BytesDone     atomic.Int64
	Lines                      atomic.Int64
}

// SourceResult sums one source's work.
type SourceResult struct {
	Objects  int   `json:"objects"`
	Lines    int64 `json:"lines"`
	Rows     int64 `json:"rows"`
	Rejects  int64 `json:"rejects"`
	Skipped  int64 `json:"skipped_lines"`
	Bytes    int64 `json:"bytes"`
	Failed   int   `json:"failed_objects"`
	Existing int   `json:"already_committed"`
}

// Failure is an object that could not be ingested.
type Failure struct {
	Source string `json:"source"`
	Object string `json:"object"`
	Error  string `json:"error"`
}

// Result is what a run of the stage did.
type Result struct {
	Day      string                   `json:"day"`
	Objects  int                      `json:"objects"`
	Existing int                      `json:"already_committed"`
	Lines    int64                    `json:"lines"`
	Rows     int64                    `json:"rows"`
	Rejects  int64                    `json:"rejects"`
	Skipped  int64                    `json:"skipped_lines"`
	Bytes    int64                    `json:"bytes"`
	Commits  int                      `json:"commits"`
	Failures []Failure                `json:"failures,omitempty"`
	Sources  map[string]*SourceResult `json:"sources"`
	Forced   bool                     `json:"forced,omitempty"`
	// DrainSeconds is the time spent waiting, after the last object was
	// read, for the drain window to pass with no new object.
	DrainSeconds float64 `json:"drain_seconds"`
	Discarded    bool    `json:"discarded,omitempty"` // a forced run that failed and kept the old rows
}

// Complete reports that the run found nothing new: every object of the day
// was already committed.
func (r *Result) Complete() bool { return r.Objects == 0 && len(r.Failures) == 0 && r.Existing > 0 }

type task struct {
	src *Source
	obj objstore.Object
}

type objectResult struct {
	task
	entry       LedgerEntry
	eventFiles  []string
	rejectFiles []string
	err         error
}

// DayPrefix is where a source's objects of day live.
func DayPrefix(src Source, day time.Time) string {
	p := strings.Trim(src.Prefix, "/")
	d := "dt=" + day.Format("2006-01-02") + "/"
	if p == "" {
		return d
	}
	return p + "/" + d
}

func (s *Stage) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Run ingests one day.
func (s *Stage) Run(ctx context.Context, o Options) (*Result, error) {
	if o.Progress == nil {
		o.Progress = &Progress{}
	}
	res := &Result{Day: o.Day.Format("2006-01-02"), Sources: map[string]*SourceResult{}, Forced: o.Force}
	for i := range s.Sources {
		res.Sources[s.Sources[i].Name] = &SourceResult{}
	}
	ledger, err := ReadLedger(ctx, s.Tables.Ledger, o.Day)
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tasks := make(chan task)
	results := make(chan objectResult)
	var wg sync.WaitGroup
	for w := 0; w < max(1, o.Workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				var r objectResult
				if s.Exec != nil {
					r = s.remote(ctx, t, o)
				} else {
					r = s.ingestObject(ctx, t, o)
				}
				select {
				case results <- r:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
	}()

	seen := map[string]bool{}
	var todo []task
	inFlight := 0
	lastNew := time.Now()
	var batch []objectResult
	seq := 0

	commitBatch := func() error {
		if len(batch) == 0 {
			return nil
		}
		seq++
		if err := s.commit(ctx, o, seq, batch); err != nil {
			return err
		}
		res.Commits++
		batch = batch[:0]
		return nil
	}

	list := func() error {
		for i := range s.Sources {
			src := &s.Sources[i]
			objs, err := s.Raw.List(ctx, DayPrefix(*src, o.Day))
			if err != nil {
				return fmt.Errorf("list %s: %w", src.Name, err)
			}
			for _, obj := range objs {
				k := ledgerKey(src.Name, obj.Key)
				if seen[k] || !Matches(src.Patterns, path.Base(obj.Key)) {
					continue
				}
				seen[k] = true
				sr := res.Sources[src.Name]
				if prev, ok := ledger[k]; ok && prev.Status == StatusCommitted && !o.Force {
					if prev.Size != obj.Size {
						f := Failure{src.Name, obj.Key, fmt.Sprintf("object changed since run %s committed it (%d bytes, now %d): rerun the day with --force to replace its rows", prev.RunID, prev.Size, obj.Size)}
						res.Failures = append(res.Failures, f)
						sr.Failed++
						continue
					}
					res.Existing++
					sr.Existing++
					continue
				}
				todo = append(todo, task{src, obj})
				o.Progress.ObjectsQueued.Add(1)
				o.Progress.BytesQueued.Add(obj.Size)
				lastNew = time.Now()
			}
		}
		return nil
	}

	if err := list(); err != nil {
		return nil, err
	}
	poll := time.NewTicker(o.PollInterval)
	defer poll.Stop()
	lastWork := time.Now()
	defer func() { res.DrainSeconds = time.Since(lastWork).Seconds() }()
	for {
		if len(todo) == 0 && inFlight == 0 && time.Since(lastNew) >= o.DrainWindow {
			// Drained. One last look, so an object that landed during the
			// final wait is not left for tomorrow.
			if err := list(); err != nil {
				return nil, err
			}
			if len(todo) == 0 {
				break
			}
		}
		var send chan task
		var next task
		if len(todo) > 0 {
			send, next = tasks, todo[0]
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case send <- next:
			todo = todo[1:]
			inFlight++
		case r := <-results:
			lastWork = time.Now()
			inFlight--
			o.Progress.ObjectsDone.Add(1)
			o.Progress.BytesDone.Add(r.obj.Size)
			s.account(res, r)
			batch = append(batch, r)
			if !o.Force && len(batch) >= o.CommitEvery {
				if err := commitBatch(); err != nil {
					return nil, err
				}
			}
		case <-poll.C:
			if err := list(); err != nil {
				return nil, err
			}
		}
	}
	close(tasks)

	if o.Force {
		if len(res.Failures) > 0 {
			// Replacing the day with some objects missing would lose rows.
			res.Discarded = true
			s.log().Warn("forced rerun discarded: objects failed; the day keeps its previous rows", "day", res.Day, "failed", len(res.Failures))
			return res, nil
		}
		if len(batch) == 0 {
			return res, nil
		}
	}
	if err := commitBatch(); err != nil {
		return nil, err
	}
	return res, nil
}

// Matches reports whether name matches one of pats (all names match none).
func Matches(pats []*regexp.Regexp, name string) bool {
	if len(pats) == 0 {
		return true
	}
	for _, p := range pats {
		if p.MatchString(name) {
			return true
		}
	}
	return false
}

func (s *Stage) account(res *Result, r objectResult) {
	sr := res.Sources[r.src.Name]
	if r.err != nil {
		res.Failures = append(res.Failures, Failure{r.src.Name, r.obj.Key, r.err.Error()})
		sr.Failed++
		s.log().Error("object failed", "source", r.src.Name, "object", r.obj.Key, "error", r.err)
		return
	}
	e := r.entry
	res.Objects++
	res.Lines += e.Lines
	res.Rows += e.Rows
	res.Rejects += e.Rejects
	res.Skipped += e.Skipped
	res.Bytes += r.obj.Size
	sr.Objects++
	sr.Lines += e.Lines
	sr.Rows += e.Rows
	sr.Rejects += e.Rejects
	sr.Skipped += e.Skipped
	sr.Bytes += r.obj.Size
}

// commit lands a batch of finished objects: their event and reject files,
// then their ledger rows (failed objects are recorded too, so an operator sees
// them, but only committed ones are skipped by the next run).
func (s *Stage) commit(ctx context.Context, o Options, seq int, batch []objectResult) error {
	now := time.Now().UTC()
	var events, rejects []string
	entries := make([]LedgerEntry, 0, len(batch))
	for _, r := range batch {
		e := r.entry
		e.RecordedAt = now
		if r.err != nil {
			e = LedgerEntry{
				Source: r.src.Name, Object: r.obj.Key, InputDay: o.Day, Size: r.obj.Size, ETag: r.obj.ETag,
				Status: StatusFailed, Error: r.err.Error(), RunID: o.RunID, RecordedAt: now,
			}
		} else {
			events = append(events, r.eventFiles...)
			rejects = append(rejects, r.rejectFiles...)
		}
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool {
		return ledgerKey(entries[i].Source, entries[i].Object) < ledgerKey(entries[j].Source, entries[j].Object)
	})
	ledgerFiles, err := writeBatch(ctx, s.Tables.Ledger, func(mem memory.Allocator, sc *arrow.Schema) (arrow.RecordBatch, error) {
		return ledgerBatch(mem, sc, entries)
	}, o)
	if err != nil {
		return fmt.Errorf("write ledger rows: %w", err)
	}
	replace := ""
	if o.Force {
		replace = o.Day.Format("2006-01-02")
	}
	in := commit.Intent{
		ID:      commit.NewID(o.RunID, seq),
		RunID:   o.RunID,
		Created: now,
		Changes: []commit.Change{
			{Table: schemas.Events, Add: events, ReplaceDay: replace},
			{Table: schemas.EventsRejected, Add: rejects, ReplaceDay: replace},
			{Table: schemas.IngestFiles, Add: ledgerFiles, ReplaceDay: replace},
		},
	}
	if err := s.Committer.Commit(ctx, in); err != nil {
		return err
	}
	s.log().Info("committed", "day", o.Day.Format("2006-01-02"), "objects", len(batch), "event_files", len(events), "commit", in.ID)
	return nil
}

// writeBatch writes one in-memory record batch to tbl's data files.
func writeBatch(ctx context.Context, tbl *table.Table, build func(memory.Allocator, *arrow.Schema) (arrow.RecordBatch, error), o Options) ([]string, error) {
	sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		return nil, err
	}
	rec, err := build(memory.DefaultAllocator, sc)
	if err != nil {
		return nil, err
	}
	return writeRecords(ctx, tbl, sc, func(yield func(arrow.RecordBatch, error) bool) {
		yield(rec, nil)
	}, o)
}

func writeRecords(ctx context.Context, tbl *table.Table, sc *arrow.Schema, recs func(func(arrow.RecordBatch, error) bool), o Options) ([]string, error) {
	var paths []string
	opts := []table.WriteRecordOption{table.WithMaxWriteWorkers(1), table.WithRecordBatchBufferSize(2)}
	if o.TargetFileBytes > 0 {
		opts = append(opts, table.WithTargetFileSize(o.TargetFileBytes))
	}
	for df, err := range table.WriteRecords(ctx, tbl, sc, recs, opts...) {
		if err != nil {
			return paths, err
		}
		paths = append(paths, df.FilePath())
	}
	return paths, nil
}

// ingestObject reads, parses and writes one object. It never returns a
// partial success: on any read failure the object fails as a whole.
func (s *Stage) ingestObject(ctx context.Context, t task, o Options) (r objectResult) {
	r.task = t
	start := time.Now()
	fail := func(err error) objectResult {
		r.err = fmt.Errorf("%s: %w", t.obj.Key, err)
		return r
	}
	rc, err := s.Raw.Open(ctx, t.obj.Key)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrUnreadable, err))
	}
	defer rc.Close()
	lr, err := newLineReader(rc, o.MaxLineBytes)
	if err != nil {
		return fail(err)
	}
	parser, err := t.src.Format.New(formats.FileInfo{Key: t.obj.Key, Day: o.Day, Location: t.src.Location}, t.src.Options)
	if err != nil {
		return fail(err)
	}
	sc, err := table.SchemaToArrowSchema(s.Tables.Events.Schema(), nil, true, false)
	if err != nil {
		return fail(err)
	}
	rows, err := newEventRows(memory.DefaultAllocator, sc)
	if err != nil {
		return fail(err)
	}
	defer rows.release()
	oc := &objectCtx{source: t.src.Name, format: t.src.Format.Name, object: t.obj.Key, runID: o.RunID, inputDay: date32(o.Day)}
	e := LedgerEntry{Source: t.src.Name, Object: t.obj.Key, InputDay: o.Day, Size: t.obj.Size, ETag: t.obj.ETag, Status: StatusCommitted, RunID: o.RunID}
	var rejects []reject
	var rejectBytes int
	var flushErr error
	// Rejects are few in a healthy log, but a wrong format setting can make
	// every line one: spill them to a data file rather than hold them all.
	flushRejects := func() {
		if len(rejects) == 0 {
			return
		}
		files, err := writeBatch(ctx, s.Tables.Rejected, func(mem memory.Allocator, rsc *arrow.Schema) (arrow.RecordBatch, error) {
			return rejectBatch(mem, rsc, oc, rejects)
		}, o)
		r.rejectFiles = append(r.rejectFiles, files...)
		if err != nil && flushErr == nil {
			flushErr = err
		}
		rejects, rejectBytes = rejects[:0], 0
	}
	var ev formats.Event
	var readErr error
	var linesSinceReport int64

	// A data file holds on to memory in proportion to the rows written to
	// it until it is closed (measured: about the Arrow size of its rows), so
	// an object is split into files of at most FileInputBytes of input: peak
	// memory then depends on the number of workers, not on object sizes.
	eof := false
	var fileStart int64
	records := func(yield func(arrow.RecordBatch, error) bool) {
		fileStart = lr.off
		for {
			if o.FileInputBytes > 0 && lr.off-fileStart >= o.FileInputBytes && rows.n == 0 {
				return // the next call starts a new file
			}
			line, off, tooLong, err := lr.next()
			if errors.Is(err, io.EOF) {
				eof = true
				break
			}
			if err != nil {
				readErr = err
				yield(nil, err)
				return
			}
			if linesSinceReport++; linesSinceReport == 4096 {
				o.Progress.Lines.Add(linesSinceReport)
				linesSinceReport = 0
				if ctx.Err() != nil {
					yield(nil, ctx.Err())
					return
				}
			}
			if len(line) == 0 || isBlank(line) {
				e.Skipped++
				continue
			}
			if tooLong {
				e.Lines++
				e.Rejects++
				rejects = append(rejects, reject{off, lr.lineNo, append([]byte(nil), line...), fmt.Sprintf("line longer than %d bytes (ingest.max_line_bytes); first %d bytes kept", o.MaxLineBytes, len(line))})
				continue
			}
			ev.Reset()
			perr := parser.Parse(line, &ev)
			switch {
			case errors.Is(perr, formats.ErrSkip):
				e.Skipped++
				continue
			case perr == nil && ev.Time.IsZero():
				perr = errors.New("no event time")
			}
			e.Lines++
			if perr != nil {
				e.Rejects++
				rejects = append(rejects, reject{off, lr.lineNo, append([]byte(nil), line...), perr.Error()})
				if rejectBytes += len(line); rejectBytes > 32<<20 {
					flushRejects()
				}
				continue
			}
			rows.add(oc, &ev, off, line)
			e.Rows++
			if rows.n >= o.BatchRows {
				if !yield(rows.flush(), nil) {
					return
				}
			}
		}
		if err := lr.finish(); err != nil {
			readErr = err
			yield(nil, err)
			return
		}
		if rows.n > 0 {
			yield(rows.flush(), nil)
		}
	}
	if o.BatchRows <= 0 {
		o.BatchRows = 32768
	}
	for !eof && err == nil && readErr == nil {
		var files []string
		files, err = writeRecords(ctx, s.Tables.Events, sc, records, o)
		r.eventFiles = append(r.eventFiles, files...)
	}
	o.Progress.Lines.Add(linesSinceReport)
	if readErr != nil {
		return fail(readErr)
	}
	if err != nil {
		return fail(fmt.Errorf("write events: %w", err))
	}
	flushRejects()
	if flushErr != nil {
		return fail(fmt.Errorf("write rejects: %w", flushErr))
	}
	e.Checksum = lr.checksum()
	e.Compression = "none"
	if lr.compressed {
		e.Compression = "gzip"
	}
	r.entry = e
	s.log().Debug("object read", "source", t.src.Name, "object", t.obj.Key, "rows", e.Rows, "rejects", e.Rejects, "seconds", time.Since(start).Seconds())
	return r
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
