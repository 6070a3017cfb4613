// Command benchcmp is spotlake's ingest benchmark (make bench): it converts the
// same generated corpus with spotlake's ingest stage (parse, normalize,
// Parquet, Iceberg commit) and with DuckDB's plain read_json/read_csv →
// Parquet, and prints MB/s, events/s, CPU-seconds and peak memory of both and
// their ratios.
//
//	go run ./stages/ingest/benchcmp [-size 1GiB] [-formats cowrie,vpcflow] [-threads 1[,2]] [-out .cache/bench] [-json]
//	go run ./stages/ingest/benchcmp -memcheck [-size 1GiB]   # spotlake's peak RSS at size/4 and size
//
// The corpus is generated once with gen.WriteCorpus and cached under -out
// (out/raw/<format>/dt=2026-11-21/, several uncompressed files per format).
// Each measured side runs in a child process (this program re-executed with
// a hidden -child flag), so its CPU time (user+sys) and peak RSS come from the
// child's own rusage; wall time is measured by the parent. The child gets
// GOMAXPROCS=threads (unless GOMAXPROCS is set), DuckDB gets SET threads.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	if isChild(os.Args[1:]) {
		childMain(os.Args[1:])
		return
	}
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "benchcmp:", err)
		os.Exit(2)
	}
	rep, err := run(o, os.Stderr)
	if rep != nil {
		if o.JSON {
			// JSON on stdout, the table on stderr.
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			enc.Encode(rep)
			rep.print(os.Stderr)
		} else {
			rep.print(os.Stdout)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcmp:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	Size       int64
	Formats    []string
	Threads    []int
	Engines    []string
	Out        string
	Files      int
	Seed       int64
	JSON       bool
	MemCheck   bool
	CPUProfile string // folder for spotlake's CPU profiles
	MemProfile string // folder for spotlake's heap profiles
	Keep       bool   // keep the children's work folders
	// SparkSubmit and SpotlakeBin are for engine spark: Spark's
	// spark-submit, and the spotlake CLI its executors run.
	SparkSubmit, SpotlakeBin string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("benchcmp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "1GiB", "corpus size per format (e.g. 50MB, 1GiB)")
	formatsF := fs.String("formats", "cowrie,vpcflow", "formats, comma separated")
	threads := fs.String("threads", "1", "threads (ingest workers and GOMAXPROCS; DuckDB threads), comma separated to run several")
	engines := fs.String("engines", "spotlake,duckdb", "engines to run, in this order: spotlake (embedded), duckdb, spark (spotlake's engine spark on local Spark)")
	var o options
	fs.StringVar(&o.SparkSubmit, "spark-submit", ".venv/bin/spark-submit", "spark-submit, for -engines spark")
	fs.StringVar(&o.SpotlakeBin, "spotlake-bin", "bin/spotlake", "the spotlake CLI Spark's executors run, for -engines spark (make build)")
	fs.StringVar(&o.Out, "out", ".cache/bench", "folder of the cached corpus and the scratch space")
	fs.IntVar(&o.Files, "files", 4, "files per format (the ingest reads files in parallel when threads > 1)")
	fs.Int64Var(&o.Seed, "seed", 1, "corpus seed")
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON on stdout (and the table on stderr)")
	fs.BoolVar(&o.MemCheck, "memcheck", false, "run spotlake only, at size/4 and size, to show that peak memory does not grow with the input")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write spotlake's CPU profiles (spotlake-<format>-t<threads>-<size>MB.pprof) into this folder")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write spotlake's heap profiles, taken near the live heap's peak (spotlake-<format>-t<threads>-<size>MB.heap.pprof), into this folder")
	fs.BoolVar(&o.Keep, "keep", false, "keep the children's output (warehouse, Parquet) in out/work-<engine>-<format>-*")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: benchcmp [flags]\n\nConverts a generated corpus with spotlake's ingest and with DuckDB and compares them.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.Size, err = parseSize(*size); err != nil {
		return o, err
	}
	o.Formats = splitList(*formatsF)
	o.Engines = splitList(*engines)
	for _, e := range o.Engines {
		switch e {
		case "spotlake", "duckdb":
		case "spark":
			for _, p := range []*string{&o.SparkSubmit, &o.SpotlakeBin} {
				abs, err := filepath.Abs(*p)
				if err != nil {
					return o, err
				}
				if _, err := os.Stat(abs); err != nil {
					return o, fmt.Errorf("-engines spark: %s is missing (make venv build)", abs)
				}
				*p = abs
			}
		default:
			return o, fmt.Errorf("-engines: unknown engine %q (spotlake, duckdb, spark)", e)
		}
	}
	for _, t := range splitList(*threads) {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > 256 {
			return o, fmt.Errorf("-threads: %q is not a number between 1 and 256", t)
		}
		o.Threads = append(o.Threads, n)
	}
	if len(o.Formats) == 0 || len(o.Threads) == 0 || len(o.Engines) == 0 {
		return o, errors.New("-formats, -threads and -engines must not be empty")
	}
	if o.Files < 1 {
		return o, errors.New("-files must be at least 1")
	}
	if o.MemCheck {
		o.Engines = []string{"spotlake"}
	}
	return o, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseSize reads 1GiB, 512MiB, 50MB, 2e6, 1G (= GiB), 100k (= KiB).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult := map[string]float64{"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || v <= 0 {
		return 0, fmt.Errorf("bad size %q (use e.g. 50MB, 512MiB, 1GiB)", s)
	}
	return int64(v * mult), nil
}

func mb(n int64) float64 { return float64(n) / 1e6 }

// Result is one measured conversion.
type Result struct {
	Format        string  `json:"format"`
	Engine        string  `json:"engine"`
	Threads       int     `json:"threads"`
	InputBytes    int64   `json:"input_bytes"`
	InputMB       float64 `json:"input_mb"` // 10^6 bytes
	InputFiles    int     `json:"input_files"`
	CorpusLines   int64   `json:"corpus_lines"`
	Rows          int64   `json:"rows"`
	Rejects       int64   `json:"rejects,omitempty"`
	WallS         float64 `json:"wall_s"`
	InnerS        float64 `json:"inner_s"` // the conversion as timed inside the child (no process start)
	CPUS          float64 `json:"cpu_s"`   // user + sys of the child
	UserS         float64 `json:"user_s"`
	SysS          float64 `json:"sys_s"`
	PeakRSSMiB    float64 `json:"peak_rss_mib"`
	PeakLiveMiB   float64 `json:"peak_live_heap_mib"` // largest Go heap live after a GC (spotlake's working set; not DuckDB's C++ memory)
	MBps          float64 `json:"mb_per_s"`           // input MB per wall second
	MBperCPUs     float64 `json:"mb_per_cpu_s"`       // input MB per CPU-second
	EventsPerCPUs float64 `json:"events_per_cpu_s"`
	EventsPerS    float64 `json:"events_per_s"`
	OutFiles      int     `json:"out_files"`
	OutMB         float64 `json:"out_mb"`
	Work          string  `json:"work,omitempty"` // the child's output, with -keep
	OK            bool    `json:"ok"`             // finished, and rows == corpus lines
	Error         string  `json:"error,omitempty"`
}

// Ratio compares spotlake with DuckDB on one format and thread count.
type Ratio struct {
	Format  string `json:"format"`
	Threads int    `json:"threads"`
	// Against is the other side: duckdb (the reference), or spark
	// (spotlake's own engine spark, whose cost is the price of scaling out).
	Against string `json:"against"`
	// CPUEfficiency is spotlake's MB per CPU-second over DuckDB's: >= 1
	// meets the goal.
	CPUEfficiency float64 `json:"mb_per_cpu_s_ratio"`
	Speed         float64 `json:"mb_per_s_ratio"` // wall-clock throughput ratio
	PeakRSS       float64 `json:"peak_rss_ratio"`
}

// Report is the whole run.
type Report struct {
	Command  string    `json:"command"`
	Started  time.Time `json:"started"`
	Size     int64     `json:"size_bytes"`
	MemCheck bool      `json:"memcheck,omitempty"`
	Results  []Result  `json:"results"`
	Ratios   []Ratio   `json:"ratios,omitempty"`
}

func run(o options, logw io.Writer) (*Report, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return nil, err
	}
	rep := &Report{Command: strings.Join(append([]string{"benchcmp"}, os.Args[1:]...), " "), Started: time.Now().UTC(), Size: o.Size, MemCheck: o.MemCheck}
	type job struct {
		base    string
		size    int64
		format  string
		threads int
	}
	var jobs []job
	for _, f := range o.Formats {
		for _, t := range o.Threads {
			if o.MemCheck {
				small := o.Size / 4
				jobs = append(jobs, job{filepath.Join(out, "memcheck", strconv.FormatInt(small, 10)), small, f, t})
			}
			jobs = append(jobs, job{out, o.Size, f, t})
		}
	}
	var failed []string
	for _, j := range jobs {
		c, err := ensureCorpus(j.base, j.format, j.size, o.Files, o.Seed, logw)
		if err != nil {
			return rep, err
		}
		if err := warm(c); err != nil {
			return rep, err
		}
		manifest := filepath.Join(j.base, "corpus-"+j.format+".json")
		for _, eng := range o.Engines {
			r := measure(exe, out, manifest, c, eng, j.threads, o, logw)
			rep.Results = append(rep.Results, r)
			if !r.OK {
				failed = append(failed, fmt.Sprintf("%s/%s/t%d: %s", r.Format, r.Engine, r.Threads, r.Error))
			}
		}
	}
	if !o.MemCheck {
		rep.Ratios = ratios(rep.Results)
	}
	if len(failed) > 0 {
		return rep, fmt.Errorf("%d measurements failed:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	return rep, nil
}

// measure runs one child and reads its rusage.
func measure(exe, out, manifest string, c *corpus, engine string, threads int, o options, logw io.Writer) Result {
	r := Result{Format: c.Format, Engine: engine, Threads: threads, InputBytes: c.bytes(), InputMB: mb(c.bytes()),
		InputFiles: len(c.Files), CorpusLines: c.lines()}
	work, err := os.MkdirTemp(filepath.Join(out), "work-"+engine+"-"+c.Format+"-")
	if err != nil {
		r.Error = err.Error()
		return r
	}
	if o.Keep {
		r.Work = work
	} else {
		defer os.RemoveAll(work)
	}
	spec := childSpec{Engine: engine, Format: c.Format, Manifest: manifest, Threads: threads, Work: work, Result: filepath.Join(work, "result.json"),
		SparkSubmit: o.SparkSubmit, SpotlakeBin: o.SpotlakeBin}
	if o.CPUProfile != "" && engine == "spotlake" {
		os.MkdirAll(o.CPUProfile, 0o755)
		spec.CPUProfile, _ = filepath.Abs(filepath.Join(o.CPUProfile, fmt.Sprintf("spotlake-%s-t%d-%.0fMB.pprof", c.Format, threads, r.InputMB)))
	}
	if o.MemProfile != "" && engine == "spotlake" {
		os.MkdirAll(o.MemProfile, 0o755)
		spec.MemProfile, _ = filepath.Abs(filepath.Join(o.MemProfile, fmt.Sprintf("spotlake-%s-t%d-%.0fMB.heap.pprof", c.Format, threads, r.InputMB)))
	}
	cmd := exec.Command(exe, spec.args()...)
	cmd.Env = os.Environ()
	if os.Getenv("GOMAXPROCS") == "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(threads))
	}
	cmd.Stdout, cmd.Stderr = logw, logw
	fmt.Fprintf(logw, "benchcmp: %s %s threads=%d: %.0f MB, %d files...\n", engine, c.Format, threads, r.InputMB, r.InputFiles)
	start := time.Now()
	err = cmd.Run()
	r.WallS = time.Since(start).Seconds()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		r.UserS = tv(ru.Utime)
		r.SysS = tv(ru.Stime)
		r.CPUS = r.UserS + r.SysS
		r.PeakRSSMiB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	var cr childResult
	if b, rerr := os.ReadFile(spec.Result); rerr == nil {
		json.Unmarshal(b, &cr)
	}
	r.Rows, r.Rejects, r.InnerS, r.OutFiles, r.OutMB = cr.Rows, cr.Rejects, cr.Seconds, cr.Files, cr.OutMB
	r.PeakLiveMiB = cr.PeakLiveHeapMiB
	r.CPUS += cr.TaskCPUS
	r.PeakRSSMiB = max(r.PeakRSSMiB, cr.TaskPeakRSSMiB)
	if r.WallS > 0 {
		r.MBps = r.InputMB / r.WallS
		r.EventsPerS = float64(r.Rows) / r.WallS
	}
	if r.CPUS > 0 {
		r.MBperCPUs = r.InputMB / r.CPUS
		r.EventsPerCPUs = float64(r.Rows) / r.CPUS
	}
	switch {
	case cr.Error != "":
		r.Error = cr.Error
	case err != nil:
		r.Error = err.Error()
	case r.Rows != r.CorpusLines:
		r.Error = fmt.Sprintf("%d rows, but the corpus has %d lines", r.Rows, r.CorpusLines)
	case r.Rejects != 0:
		r.Error = fmt.Sprintf("%d rejected lines in a corpus without malformed lines", r.Rejects)
	default:
		r.OK = true
	}
	fmt.Fprintf(logw, "benchcmp:   %.1fs wall, %.1f CPU-s, %.0f MiB peak, %d rows (ok=%v)\n", r.WallS, r.CPUS, r.PeakRSSMiB, r.Rows, r.OK)
	return r
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func ratios(rs []Result) []Ratio {
	var out []Ratio
	for _, s := range rs {
		if s.Engine != "spotlake" || !s.OK {
			continue
		}
		for _, d := range rs {
			if d.Engine == "spark" && d.OK && d.Format == s.Format && d.Threads == s.Threads && d.InputBytes == s.InputBytes {
				out = append(out, Ratio{Format: s.Format, Threads: s.Threads, Against: "spark",
					CPUEfficiency: s.MBperCPUs / d.MBperCPUs, Speed: s.MBps / d.MBps, PeakRSS: s.PeakRSSMiB / d.PeakRSSMiB})
			}
			if d.Engine == "duckdb" && d.OK && d.Format == s.Format && d.Threads == s.Threads && d.InputBytes == s.InputBytes {
				out = append(out, Ratio{Format: s.Format, Threads: s.Threads, Against: "duckdb",
					CPUEfficiency: s.MBperCPUs / d.MBperCPUs, Speed: s.MBps / d.MBps, PeakRSS: s.PeakRSSMiB / d.PeakRSSMiB})
			}
		}
	}
	return out
}

func (rep *Report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "format\tengine\tthreads\tMB in\trows\twall s\tCPU s\tMB/s\tMB/CPU-s\tevents/CPU-s\tpeak RSS MiB\tlive heap MiB\tMB out\tok\t")
	for _, r := range rep.Results {
		live := "-" // DuckDB's memory is C++, not Go heap
		if r.Engine != "duckdb" {
			live = strconv.FormatFloat(r.PeakLiveMiB, 'f', 0, 64)
		}
		ok := "ok"
		if !r.OK {
			ok = "FAILED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f\t%.0f\t%s\t%.0f\t%s\t\n",
			r.Format, r.Engine, r.Threads, r.InputMB, r.Rows, r.WallS, r.CPUS, r.MBps, r.MBperCPUs, r.EventsPerCPUs, r.PeakRSSMiB, live, r.OutMB, ok)
	}
	tw.Flush()
	if len(rep.Ratios) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "format\tthreads\tspotlake (embedded) over\tMB per CPU-s\tMB/s (wall)\tpeak RSS\t")
		for _, r := range rep.Ratios {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%.2f\t%.2f\t%.2f\t\n", r.Format, r.Threads, r.Against, r.CPUEfficiency, r.Speed, r.PeakRSS)
		}
		tw.Flush()
		fmt.Fprintln(w, "(MB = 10^6 bytes of input; goal: MB per CPU-s ratio >= 1, spotlake peak RSS < 1024 MiB)")
		fmt.Fprintln(w, "(spark: CPU is Spark's JVM and Python plus the task processes' own; peak RSS is the larger of the driver side and the largest task process)")
	}
	if rep.MemCheck {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "memcheck: spotlake peak memory by input size (should not grow with it):")
		for _, r := range rep.Results {
			fmt.Fprintf(w, "  %-8s threads=%d  %6.0f MB in -> %5.0f MiB peak RSS, %5.0f MiB peak live Go heap\n", r.Format, r.Threads, r.InputMB, r.PeakRSSMiB, r.PeakLiveMiB)
		}
	}
}
