package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spotlake/spotlake/providers/objstore"
)

// Task is one object to ingest, as handed to an executor outside this
// process.
type Task struct {
	Source  string    `json:"source"`
	Key     string    `json:"key"`
	Size    int64     `json:"size"`
	ETag    string    `json:"etag"`
	ModTime time.Time `json:"mod_time"`
}

// TaskResult is what ingesting one object produced: its ingest_files row
// and the data files it wrote, which the stage (not the executor) commits.
// Error is set when the object failed; its files, if any, are orphans.
type TaskResult struct {
	Entry       LedgerEntry `json:"entry"`
	EventFiles  []string    `json:"event_files"`
	RejectFiles []string    `json:"reject_files"`
	Error       string      `json:"error,omitempty"`
	// What the task's process used (set by the process that ran it).
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	PeakRSSMiB float64 `json:"peak_rss_mib,omitempty"`
}

// Executor runs ingest tasks outside this process (engine spark: each on a
// Spark executor, by the spotlake binary there). The stage still lists the
// input, waits for it to drain and commits, so the result is the same
// tables as in-process workers write.
type Executor interface {
	Ingest(ctx context.Context, t Task) (TaskResult, error)
}

// RunTask ingests one object in this process: what an executor runs.
func (s *Stage) RunTask(ctx context.Context, t Task, o Options) TaskResult {
	if o.Progress == nil {
		o.Progress = &Progress{}
	}
	var src *Source
	for i := range s.Sources {
		if s.Sources[i].Name == t.Source {
			src = &s.Sources[i]
		}
	}
	if src == nil {
		return TaskResult{Error: fmt.Sprintf("%s: source %q is not in this config: the executors must read the controller's config", t.Key, t.Source)}
	}
	r := s.ingestObject(ctx, task{src, objstore.Object{Key: t.Key, Size: t.Size, ETag: t.ETag, ModTime: t.ModTime}}, o)
	out := TaskResult{Entry: r.entry, EventFiles: r.eventFiles, RejectFiles: r.rejectFiles}
	if r.err != nil {
		out.Error = r.err.Error()
	}
	return out
}

// remote ingests one object through the stage's Executor.
func (s *Stage) remote(ctx context.Context, t task, o Options) objectResult {
	r := objectResult{task: t}
	res, err := s.Exec.Ingest(ctx, Task{Source: t.src.Name, Key: t.obj.Key, Size: t.obj.Size, ETag: t.obj.ETag, ModTime: t.obj.ModTime})
	switch {
	case err != nil:
		r.err = fmt.Errorf("%s: %w", t.obj.Key, err)
	case res.Error != "":
		r.err = errors.New(res.Error)
		// Written before the failure: orphans, removed after the run.
		r.eventFiles, r.rejectFiles = res.EventFiles, res.RejectFiles
	default:
		r.entry, r.eventFiles, r.rejectFiles = res.Entry, res.EventFiles, res.RejectFiles
		o.Progress.Lines.Add(res.Entry.Lines)
	}
	return r
}
