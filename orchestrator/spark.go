package orchestrator

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/spotlake/spotlake/providers/compute/spark"
	"github.com/spotlake/spotlake/stages/ingest"
)

// SparkQueue is how many objects engine spark sends at once when
// spark.parallelism is 0: in effect all of them. Spark queues what its
// executors cannot take yet, and on YARN with dynamic allocation (EMR's
// default) pending tasks are what make it add executors; its default
// parallelism when the driver starts counts only the executors it has then.
const SparkQueue = 256

// ingestOptions are the ingest stage's options from the config, for
// workers objects read at once in this process.
func (p *Pipeline) ingestOptions(day time.Time, runID string, force bool, workers int) ingest.Options {
	in := p.Config.Ingest
	return ingest.Options{
		Day: day, RunID: runID, Force: force,
		Workers: workers, CommitEvery: in.CommitEvery, BatchRows: in.BatchRows,
		MaxLineBytes: in.MaxLineBytes, TargetFileBytes: int64(in.TargetFileMB) << 20,
		// iceberg-go's writer holds on to about 1.5x the input read into
		// an open data file until the file closes (measured; plain
		// pqarrow does not): a quarter of the budget per worker keeps the
		// peak under the limit whatever the object sizes.
		FileInputBytes: int64(in.MemoryLimitMB) << 20 / int64(4*max(1, workers)),
		DrainWindow:    in.DrainWindow.Duration, PollInterval: in.PollInterval.Duration,
	}
}

// sparkIngest makes st run its objects on Spark's executors (engine
// spark): it starts the driver, whose executors run `spotlake stage task
// ingest` with the same config, and returns what stops it. The driver's
// output goes to a log file under the state folder, and also to stderr in
// an EMR step (here), where it becomes the step's log. stop says where the
// tasks ran, for the stage's report. parallel is how many objects to send
// at once: spark.parallelism, or SparkQueue.
func (p *Pipeline) sparkIngest(ctx context.Context, st *ingest.Stage, day time.Time, runID string, here bool) (parallel int, stop func() *Remote, err error) {
	if p.Config.Path == "" {
		return 0, nil, fmt.Errorf("engine spark: the executors read the config from a file, and this pipeline's config has none")
	}
	bin := p.Config.Spark.TaskBinary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return 0, nil, fmt.Errorf("engine spark: find this binary for the executors (set spark.task_binary): %w", err)
		}
	}
	logPath := filepath.Join(p.Config.State, "logs", fmt.Sprintf("spark-%s-ingest-%s.log", runID, day.Format("2006-01-02")))
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return 0, nil, err
	}
	f, err := os.Create(logPath)
	if err != nil {
		return 0, nil, err
	}
	var log io.Writer = f
	if here {
		log = io.MultiWriter(f, os.Stderr)
	}
	sc := p.Config.Spark
	p.Log.Info("starting the spark driver", "master", sc.Master, "parallelism", sc.Parallelism, "log", logPath)
	d, err := spark.Start(ctx, spark.Options{
		Submit: sc.Submit, Master: sc.Master, Conf: sc.Conf, Parallel: sc.Parallelism,
		Command:      []string{bin, "--config", p.Config.Path, "stage", "task", "ingest", "--date", day.Format("2006-01-02"), "--run-id", runID},
		Log:          log,
		StartTimeout: sc.StartTimeout.Duration,
	})
	if err != nil {
		f.Close()
		return 0, nil, fmt.Errorf("engine spark: %w (log: %s)", err, logPath)
	}
	parallel = cmp.Or(sc.Parallelism, SparkQueue)
	p.Log.Info("spark driver ready", "application", d.App, "parallelism", parallel)
	ex := &sparkExecutor{d: d}
	st.Exec = ex
	return parallel, func() *Remote {
		if ctx.Err() != nil {
			d.Kill() // interrupted: do not wait for tasks in flight
		} else if err := d.Close(); err != nil {
			p.Log.Warn("spark driver", "error", err, "log", logPath)
		}
		f.Close()
		ex.mu.Lock()
		defer ex.mu.Unlock()
		return &Remote{Engine: "spark", App: d.App, Master: sc.Master, Log: logPath, Tasks: ex.tasks, CPUSeconds: ex.cpu, PeakRSSMiB: ex.peak}
	}, nil
}

// Remote is where a stage's tasks ran when not in this process (engine
// spark), and what the task processes used: the driver's and executors'
// own JVMs are not counted.
type Remote struct {
	Engine     string  `json:"engine"`
	App        string  `json:"app"`
	Master     string  `json:"master"`
	Log        string  `json:"log"`
	Tasks      int64   `json:"tasks"`
	CPUSeconds float64 `json:"cpu_seconds"`  // summed over the task processes
	PeakRSSMiB float64 `json:"peak_rss_mib"` // the largest task process
}

// sparkExecutor sends ingest tasks to the Spark driver.
type sparkExecutor struct {
	d *spark.Driver

	mu    sync.Mutex
	tasks int64   // answered by an executor
	cpu   float64 // their CPU seconds
	peak  float64 // the largest one's peak RSS, MiB
}

func (e *sparkExecutor) Ingest(ctx context.Context, t ingest.Task) (ingest.TaskResult, error) {
	in, err := json.Marshal(t)
	if err != nil {
		return ingest.TaskResult{}, err
	}
	out, err := e.d.Run(ctx, in)
	if err != nil {
		return ingest.TaskResult{}, fmt.Errorf("on spark: %w", err)
	}
	var res ingest.TaskResult
	if err := json.Unmarshal(out, &res); err != nil {
		return ingest.TaskResult{}, fmt.Errorf("on spark: the executor's answer is not a task result (%v): %.300q", err, out)
	}
	e.mu.Lock()
	e.tasks++
	e.cpu += res.CPUSeconds
	e.peak = max(e.peak, res.PeakRSSMiB)
	e.mu.Unlock()
	return res, nil
}

// IngestTask ingests one object in this process: what `spotlake stage
// task ingest` runs on a Spark executor. The object's data files are
// written, not committed: the run that sent the task commits them.
func (p *Pipeline) IngestTask(ctx context.Context, day time.Time, runID string, t ingest.Task) (ingest.TaskResult, error) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(p.Config.Ingest.MemoryLimitMB) << 20)
	}
	st, err := p.ingestStage(ctx)
	if err != nil {
		return ingest.TaskResult{}, err
	}
	res := st.RunTask(ctx, t, p.ingestOptions(day, runID, false, 1))
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		res.CPUSeconds = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		res.PeakRSSMiB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return res, nil
}
