package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
)

// childResult is what a child reports to the parent (through a file, so that
// nothing a library prints on stdout can get in the way).
type childResult struct {
	Rows    int64   `json:"rows"`
	Lines   int64   `json:"lines"`   // lines the engine read (spotlake only)
	Rejects int64   `json:"rejects"` // spotlake only
	Objects int     `json:"objects"` // spotlake only
	Files   int     `json:"files"`   // data files written (spotlake: events files)
	OutMB   float64 `json:"out_mb"`  // Parquet bytes written, MB
	Seconds float64 `json:"seconds"` // the conversion itself, timed inside the child
	// PeakLiveHeapMiB is the largest Go heap still live after a GC, sampled
	// every 20 ms: the memory the work needs, as opposed to what the GC let
	// the heap grow to under GOMEMLIMIT. Go heap only (DuckDB's C++ memory is
	// not in it).
	PeakLiveHeapMiB float64 `json:"peak_live_heap_mib"`
	// Engine spark: what the task processes used, by their own rusage
	// (they are not the child's waited-for descendants, so its rusage
	// misses them).
	TaskCPUS       float64 `json:"task_cpu_s,omitempty"`
	TaskPeakRSSMiB float64 `json:"task_peak_rss_mib,omitempty"`
	Error          string  `json:"error,omitempty"`
}

// childSpec is how the parent starts a child: `<exe> -child <engine> ...`.
type childSpec struct {
	Engine     string // spotlake | duckdb
	Format     string
	Manifest   string // corpus manifest
	Threads    int
	Work       string // scratch folder, removed by the parent
	Result     string // where the child writes its childResult
	CPUProfile string
	MemProfile string // heap profile, written each time the live heap peaks
	// For engine spark.
	SparkSubmit, SpotlakeBin string
}

func (s childSpec) args() []string {
	a := []string{"-child", s.Engine, "-format", s.Format, "-manifest", s.Manifest,
		"-threads", strconv.Itoa(s.Threads), "-work", s.Work, "-result", s.Result}
	if s.CPUProfile != "" {
		a = append(a, "-cpuprofile", s.CPUProfile)
	}
	if s.MemProfile != "" {
		a = append(a, "-memprofile", s.MemProfile)
	}
	if s.Engine == "spark" {
		a = append(a, "-spark-submit", s.SparkSubmit, "-spotlake-bin", s.SpotlakeBin)
	}
	return a
}

// isChild reports whether args (os.Args[1:]) start a child.
func isChild(args []string) bool { return len(args) > 1 && args[0] == "-child" }

// childMain runs one measured side and exits.
func childMain(args []string) {
	fs := flag.NewFlagSet("benchcmp child", flag.ExitOnError)
	var s childSpec
	fs.StringVar(&s.Engine, "child", "", "")
	fs.StringVar(&s.Format, "format", "", "")
	fs.StringVar(&s.Manifest, "manifest", "", "")
	fs.IntVar(&s.Threads, "threads", 1, "")
	fs.StringVar(&s.Work, "work", "", "")
	fs.StringVar(&s.Result, "result", "", "")
	fs.StringVar(&s.CPUProfile, "cpuprofile", "", "")
	fs.StringVar(&s.MemProfile, "memprofile", "", "")
	fs.StringVar(&s.SparkSubmit, "spark-submit", "", "")
	fs.StringVar(&s.SpotlakeBin, "spotlake-bin", "", "")
	fs.Parse(args)

	res, err := runChild(s)
	if err != nil {
		res.Error = err.Error()
	}
	b, _ := json.Marshal(res)
	if werr := os.WriteFile(s.Result, b, 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, "benchcmp child:", werr)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcmp child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runChild(s childSpec) (childResult, error) {
	c, err := loadCorpus(s.Manifest)
	if err != nil {
		return childResult{}, err
	}
	if s.CPUProfile != "" {
		f, err := os.Create(s.CPUProfile)
		if err != nil {
			return childResult{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return childResult{}, err
		}
		defer pprof.StopCPUProfile()
	}
	stop := sampleLiveHeap(s.MemProfile)
	var res childResult
	switch s.Engine {
	case "spotlake", "spark":
		res, err = runSpotlake(c, s)
	case "duckdb":
		res, err = runDuckDB(c, s)
	default:
		err = fmt.Errorf("unknown engine %q", s.Engine)
	}
	res.PeakLiveHeapMiB = float64(stop()) / (1 << 20)
	return res, err
}

// sampleLiveHeap samples /gc/heap/live:bytes until the returned func is
// called, which returns the largest value seen. With a path, it writes a
// heap profile there whenever the live heap grows 5% past the last profile's,
// so the file ends up showing what was live near the peak.
func sampleLiveHeap(profile string) func() uint64 {
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var hi, profiled uint64
		read := func() {
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			v := sample[0].Value.Uint64()
			hi = max(hi, v)
			if profile != "" && v > profiled+profiled/20 && v > 32<<20 {
				profiled = v
				if f, err := os.Create(profile); err == nil {
					pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
			}
		}
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				read()
			case <-done:
				read()
				peak <- hi
				return
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-peak
	}
}

// spotlakeConfig is the bench project's config: one source over the corpus.
func spotlakeConfig(c *corpus, work string, threads int) string {
	q := strconv.Quote // a JSON string is a YAML double-quoted scalar
	return fmt.Sprintf(`apiVersion: spotlake/v1
pipeline: bench
raw: %s
warehouse: %s
state: %s
catalog:
  type: sql
  uri: %s
sources:
  - name: %s
ingest:
  workers: %d
  drain_window: 1ms
  poll_interval: 50ms
`, q(c.Raw), q(filepath.Join(work, "warehouse")), q(filepath.Join(work, "state")), q(filepath.Join(work, "catalog.db")), c.Format, threads)
}

// runSpotlake runs the ingest stage of a fresh project over the corpus: parse,
// normalize, Parquet, Iceberg commit.
//
// With engine spark the same stage runs its objects on local Spark with as
// many executor slots as threads, each by the spotlake CLI; the child's
// resource usage then includes Spark's JVM and the task processes.
func runSpotlake(c *corpus, s childSpec) (childResult, error) {
	ctx := context.Background()
	y := spotlakeConfig(c, s.Work, s.Threads)
	if s.Engine == "spark" {
		y += fmt.Sprintf("engine: spark\nspark:\n  submit: %s\n  master: local[%d]\n  parallelism: %d\n  task_binary: %s\n  conf:\n    spark.ui.enabled: \"false\"\n",
			strconv.Quote(s.SparkSubmit), s.Threads, s.Threads, strconv.Quote(s.SpotlakeBin))
	}
	// A file: Spark's executors read the config too.
	path := filepath.Join(s.Work, "spotlake.yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		return childResult{}, err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return childResult{}, err
	}
	start := time.Now()
	p, err := orchestrator.Open(ctx, cfg, nil)
	if err != nil {
		return childResult{}, err
	}
	defer p.Close()
	reps, err := p.Run(ctx, []time.Time{benchDay}, orchestrator.RunOptions{Stages: []string{orchestrator.StageIngest}, Command: "bench"})
	if err != nil {
		return childResult{}, err
	}
	res := childResult{Seconds: time.Since(start).Seconds()}
	if len(reps) != 1 || len(reps[0].Stages) != 1 {
		return res, fmt.Errorf("unexpected run report: %+v", reps)
	}
	st := reps[0].Stages[0]
	res.Rows, res.Lines, res.Rejects, res.Objects = st.Rows, st.Lines, st.Rejects, st.Objects
	if st.Remote != nil {
		res.TaskCPUS, res.TaskPeakRSSMiB = st.Remote.CPUSeconds, st.Remote.PeakRSSMiB
	}
	if st.Status != orchestrator.StatusSucceeded {
		return res, fmt.Errorf("ingest %s: %s %v", st.Status, st.Message, st.Failures)
	}
	res.Files, res.OutMB = parquetFiles(filepath.Join(s.Work, "warehouse"), "events")
	return res, nil
}

// parquetFiles counts the Parquet files and their size under root whose path
// has a folder named table.
func parquetFiles(root, table string) (int, float64) {
	n, size := 0, int64(0)
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return nil
		}
		if !strings.Contains(filepath.ToSlash(p), "/"+table+"/") {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			n++
			size += fi.Size()
		}
		return nil
	})
	return n, mb(size)
}

// sqlList is a DuckDB list literal of string constants.
func sqlList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = sqlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// vpcColumns are the 14 fields of the VPC flow log v2 default format.
const vpcColumns = `{'version': 'INTEGER', 'account_id': 'VARCHAR', 'interface_id': 'VARCHAR', ` +
	`'srcaddr': 'VARCHAR', 'dstaddr': 'VARCHAR', 'srcport': 'INTEGER', 'dstport': 'INTEGER', ` +
	`'protocol': 'INTEGER', 'packets': 'BIGINT', 'bytes': 'BIGINT', 'start': 'BIGINT', 'end': 'BIGINT', ` +
	`'action': 'VARCHAR', 'log_status': 'VARCHAR'}`

// duckdbSource is the table function that reads the corpus.
func duckdbSource(c *corpus) (string, error) {
	files := sqlList(c.paths())
	switch c.Format {
	case "cowrie":
		return fmt.Sprintf("read_json_auto(%s, format='newline_delimited')", files), nil
	case "vpcflow":
		// NODATA and SKIPDATA records have '-' in their numeric fields.
		return fmt.Sprintf("read_csv(%s, delim=' ', header=false, auto_detect=false, quote='', escape='', nullstr='-', columns=%s)", files, vpcColumns), nil
	}
	return "", fmt.Errorf("no DuckDB reader for format %s", c.Format)
}

// runDuckDB converts the corpus to one zstd Parquet file with DuckDB.
func runDuckDB(c *corpus, s childSpec) (childResult, error) {
	from, err := duckdbSource(c)
	if err != nil {
		return childResult{}, err
	}
	start := time.Now()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return childResult{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection, so the SETs apply to the COPY
	out := filepath.Join(s.Work, "out.parquet")
	stmts := []string{
		fmt.Sprintf("SET threads = %d", s.Threads),
		"SET temp_directory = " + sqlString(filepath.Join(s.Work, "duckdb.tmp")),
		fmt.Sprintf("COPY (SELECT * FROM %s) TO %s (FORMAT parquet, COMPRESSION zstd)", from, sqlString(out)),
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			return childResult{}, fmt.Errorf("%s: %w", q, err)
		}
	}
	res := childResult{Seconds: time.Since(start).Seconds(), Files: 1}
	if err := db.QueryRow("SELECT count(*) FROM read_parquet(" + sqlString(out) + ")").Scan(&res.Rows); err != nil {
		return res, err
	}
	if fi, err := os.Stat(out); err == nil {
		res.OutMB = mb(fi.Size())
	} else {
		return res, errors.New("no output file")
	}
	return res, nil
}
