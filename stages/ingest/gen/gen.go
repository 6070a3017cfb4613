// Package gen writes realistic, deterministic security logs of the ten
// supported formats for demos and benchmarks: a folder tree of daily files the
// ingest stage can read (Generate), or one format as a byte stream of any size
// (WriteCorpus).
//
// Every source describes the same fictional company (world.go): a few hundred
// hosts in 10.0.0.0/16, its users, the sites they visit, the internet clients
// of its web servers and the attackers of its honeypots. A source's day comes
// from its own random stream, seeded from (seed, source, day), so a file's
// bytes depend on nothing else: not on the other sources chosen, their order,
// or the number of days.
//
// About 0.2% of the lines of every source but jsonl are planted malformed
// (truncated, garbage, a non-numeric field) so that the demo shows rejects;
// FileStat reports them by line number.
//
// With Options.Anomalies, each day also gets planted attacks (anomalies.go:
// a port scan, an exfiltration, beaconing, DNS tunnelling, an SSH brute
// force, an HDFS mass delete, rare admin commands) whose lines Generate lists
// in Out/_truth/truth-YYYY-MM-DD.jsonl. They are drawn from streams of their
// own, so the background lines are the same bytes, in the same order, with
// or without them (only nfdump's summary block counts the planted flows too).
package gen

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spotlake/spotlake/stages/ingest"
)

// Options say what Generate writes.
type Options struct {
	Out     string    // root folder; writes Out/<source>/dt=YYYY-MM-DD/<file>
	Days    int       // number of days, ending at End (inclusive)
	End     time.Time // last day: its calendar date is used, the time of day is ignored
	Seed    int64     // same seed, same bytes
	Scale   float64   // multiplies events per day; 1.0 = a demo-sized day (~30k lines over all sources); 0 means 1
	Sources []string  // format names; empty = all ten
	// Anomalies plants attacks into each day and writes the day's truth file
	// (TruthPath). The background bytes do not depend on it.
	Anomalies bool
}

// FileStat describes one written file.
type FileStat struct {
	Source string
	Path   string // Out/<source>/dt=YYYY-MM-DD/<name>
	Lines  int    // lines in the file, header and summary lines included
	Bad    int    // planted malformed lines
	Skip   int    // lines that carry no event by design (headers, nfdump's summary)
	// BadLines are the 1-based numbers of the planted malformed lines.
	BadLines []int
	Bytes    int64 // size on disk (compressed when Gzip)
	Gzip     bool
	// Anomalies are the planted attack lines of the file, in line order.
	Anomalies []Anomaly
}

// Anomaly is one planted line: a line of a truth file.
type Anomaly struct {
	Kind   string `json:"kind"`   // one of AnomalyKinds
	Source string `json:"source"` // the format, and the source name of the default config
	// Object is the file's key relative to Out (<source>/dt=YYYY-MM-DD/<name>),
	// the ingest's object key when the raw store's root is Out and the
	// source's prefix is its name.
	Object  string `json:"object"`
	Line    int    `json:"line"`     // 1-based
	Offset  int64  `json:"offset"`   // byte offset of the line in the decompressed file
	EventID string `json:"event_id"` // ingest.EventID(Source, Object, Offset)
}

// TruthDir is the folder under Out that holds the truth files; it is no
// source's prefix and holds no dt= folders.
const TruthDir = "_truth"

// TruthPath is where Generate writes the truth file of day under out.
func TruthPath(out string, day time.Time) string {
	return filepath.Join(out, TruthDir, "truth-"+midnight(day).Format("2006-01-02")+".jsonl")
}

// ReadTruth reads a truth file.
func ReadTruth(path string) ([]Anomaly, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Anomaly
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var a Anomaly
		if err := dec.Decode(&a); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// Events is the number of lines that carry an event.
func (f FileStat) Events() int { return f.Lines - f.Bad - f.Skip }

// Summary lists the written files, by source (in Sources order), day, name.
type Summary struct {
	Files []FileStat
	// Planted counts the planted lines of each kind (Options.Anomalies).
	Planted map[string]int
	// TruthFiles are the truth files written, one per day, oldest first.
	TruthFiles []string
}

// Totals sums the files.
func (s Summary) Totals() FileStat {
	var t FileStat
	for _, f := range s.Files {
		t.Lines += f.Lines
		t.Bad += f.Bad
		t.Skip += f.Skip
		t.Bytes += f.Bytes
	}
	return t
}

// BySource sums the files of each source.
func (s Summary) BySource() map[string]FileStat {
	m := map[string]FileStat{}
	for _, f := range s.Files {
		t := m[f.Source]
		t.Source = f.Source
		t.Lines += f.Lines
		t.Bad += f.Bad
		t.Skip += f.Skip
		t.Bytes += f.Bytes
		m[f.Source] = t
	}
	return m
}

var sourceNames = []string{"vpcflow", "apache", "syslog", "hdfs_audit", "navigator", "cowrie", "nfdump", "dns", "squid", "jsonl"}

// Sources lists the ten source/format names.
func Sources() []string { return slices.Clone(sourceNames) }

// generator writes one source's day. A new one is made per day (and per
// corpus), so it may keep state such as per-file totals.
type generator interface {
	// layout adds the day's files to d.files (names, compression, headers).
	layout(d *day)
	// activity emits the records of one unit of background activity (a
	// flow, a request, an SSH session) that starts at t, nanoseconds since
	// midnight. It appends each line to d.arena and calls d.emit.
	activity(d *day, t int64)
	// corrupt turns a good line into a malformed one of the given kind
	// (badTruncate, badGarbage, badNumber). It may change line in place
	// and return it or a part of it, or return d.garbage().
	corrupt(d *day, kind int, line []byte) []byte
}

// source declares a generator and the size and shape of its day.
type source struct {
	name    string
	lines   float64      // background lines on a weekday at Scale 1
	per     float64      // average lines per activity
	shape   *[24]float64 // relative activity per hour of the day (UTC)
	weekend float64      // volume factor on Saturdays and Sundays
	noBad   bool         // plant no malformed lines
	new     func(w *world) generator
}

var registry = map[string]*source{}

func register(s *source) { registry[s.name] = s }

// A planter adds planted activity (an attack for the anomaly-detection demo)
// to one source's day, after the background. It draws from d.r, which is then
// a stream of its own, so the background stays byte-identical whatever is
// planted, and it sets d.tag (> 0) while it emits so that its records can be
// told apart (their line numbers become the truth file). They are in
// anomalies.go and run only with Options.Anomalies.
type planter func(d *day)

var planters = map[string][]planter{}

// Hourly activity shapes (UTC). The company works 08-18 UTC.
var (
	office = [24]float64{0.22, 0.18, 0.16, 0.15, 0.16, 0.2, 0.32, 0.55, 0.85, 1, 1, 0.96, 0.82, 0.92, 1, 0.98, 0.9, 0.72, 0.52, 0.42, 0.36, 0.31, 0.27, 0.24}
	// public web shop: evening peak, never quiet
	webShape = [24]float64{0.45, 0.38, 0.32, 0.3, 0.3, 0.33, 0.42, 0.55, 0.68, 0.75, 0.8, 0.83, 0.86, 0.86, 0.85, 0.86, 0.9, 0.95, 1, 1, 0.96, 0.85, 0.7, 0.55}
	// hadoop: nightly ETL batch plus office-hour queries
	batch = [24]float64{0.7, 0.95, 1, 0.95, 0.75, 0.5, 0.4, 0.45, 0.6, 0.7, 0.72, 0.7, 0.62, 0.68, 0.72, 0.7, 0.65, 0.55, 0.45, 0.4, 0.38, 0.4, 0.5, 0.6}
	// the internet at large (honeypots)
	flat = [24]float64{0.92, 0.95, 1, 0.97, 0.93, 0.9, 0.88, 0.9, 0.94, 0.97, 1, 0.98, 0.95, 0.93, 0.92, 0.95, 0.97, 1, 0.98, 0.96, 0.94, 0.92, 0.9, 0.91}
)

const badRate = 0.002 // share of planted malformed lines

// Kinds of malformed lines.
const (
	badTruncate = iota // the line cut short
	badGarbage         // a line of junk
	badNumber          // a numeric field (or the time) with a letter in it
	badKinds
)

// rec is one line of a day, in d.arena[off:off+n].
type rec struct {
	t    int64 // nanoseconds since midnight
	off  int64
	n    int32
	file int16
	bad  bool
	tag  int32
}

// file is one output file of a day.
type file struct {
	name   string
	gzip   bool
	header []string        // lines before the records (ErrSkip lines)
	footer func() []string // lines after them (ErrSkip lines), or nil
}

// day is the state one source's day (or corpus) is generated in.
type day struct {
	src    *source
	gen    generator
	w      *world
	r      *rand.Rand
	dt     dates
	corpus bool
	files  []*file
	cuts   []int64 // with timeSplit: file i covers [cuts[i], cuts[i+1])
	recs   []rec
	arena  []byte
	tag    int32
	cum    [24]float64
	junk   []byte

	// for the planters
	seed       int64
	scale      float64
	background int // records before the planters ran
	sc         *scenario
}

func newDay(src *source, w *world, seed int64, date time.Time, corpus bool) *day {
	date = midnight(date)
	d := &day{src: src, w: w, dt: newDates(date), corpus: corpus, seed: seed}
	stream := src.name
	if corpus {
		stream += "/corpus"
	}
	d.r = rand.New(rand.NewPCG(seedFor(seed, stream, date.Unix()/86400)))
	sum := 0.0
	for h, v := range src.shape {
		sum += v
		d.cum[h] = sum
	}
	d.gen = src.new(w)
	d.gen.layout(d)
	return d
}

// seedFor derives a PCG seed from the user's seed, a stream name and a number.
func seedFor(seed int64, name string, n int64) (uint64, uint64) {
	h := fnv.New64a()
	h.Write([]byte(name))
	s1 := splitmix(uint64(seed) ^ h.Sum64())
	s2 := splitmix(s1 ^ uint64(n)*0x9e3779b97f4a7c15)
	return s1, s2
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// midnight is the UTC midnight of t's calendar date (in t's own location,
// so that a local "2026-11-21 00:00 +0100" still means 2026-11-21).
func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// when draws the start of an activity from the source's hourly shape.
func (d *day) when() int64 {
	u := d.r.Float64() * d.cum[23]
	h := 0
	for h < 23 && u >= d.cum[h] {
		h++
	}
	return int64(h)*3600*nsPerSec + d.r.Int64N(3600*nsPerSec)
}

// clamp keeps t inside the day (sessions that run past midnight).
func (d *day) clamp(t int64) int64 {
	if t >= dayNs {
		return dayNs - 1 - d.r.Int64N(nsPerSec/2)
	}
	return t
}

// mark returns where the next line starts in the arena.
func (d *day) mark() int { return len(d.arena) }

// emit records the line appended to the arena since start, at time t, for
// file f. Some lines are made malformed here.
func (d *day) emit(f int, t int64, start int) {
	rc := rec{t: min(max(t, 0), dayNs-1), off: int64(start), n: int32(len(d.arena) - start), file: int16(f), tag: d.tag}
	if !d.corpus && !d.src.noBad && d.tag == 0 && d.r.Float64() < badRate {
		bad := d.gen.corrupt(d, d.r.IntN(badKinds), d.arena[start:])
		d.arena = append(d.arena[:start], bad...)
		rc.n = int32(len(bad))
		rc.bad = true
	}
	d.recs = append(d.recs, rc)
}

// newFile adds a file to the day and returns its index.
func (d *day) newFile(name string, gz bool, header ...string) int {
	d.files = append(d.files, &file{name: name, gzip: gz, header: header})
	return len(d.files) - 1
}

// fileCount draws how many files a day has (2-4).
func (d *day) fileCount() int { return 2 + d.r.IntN(3) }

// gz decides whether a file is gzipped (about half are) and returns the
// suffix its name gets: most gzipped files end in .gz, some do not (the
// ingest goes by magic bytes).
func (d *day) gz() (bool, string) {
	if d.corpus || d.r.IntN(2) == 0 {
		return false, ""
	}
	if d.r.IntN(4) == 0 {
		return true, ""
	}
	return true, ".gz"
}

// timeSplit cuts the day into k equal windows and returns their starts.
func (d *day) timeSplit(k int) []int64 {
	d.cuts = d.cuts[:0]
	for i := 0; i < k; i++ {
		d.cuts = append(d.cuts, int64(i)*dayNs/int64(k))
	}
	return d.cuts
}

// fileAt is the file of the window t falls in (timeSplit).
func (d *day) fileAt(t int64) int {
	i := len(d.cuts) - 1
	for i > 0 && t < d.cuts[i] {
		i--
	}
	return i
}

// truncate cuts line to between lo bytes and frac of its length.
func (d *day) truncate(line []byte, lo int, frac float64) []byte {
	hi := max(int(float64(len(line))*frac), lo+1)
	n := lo + d.r.IntN(hi-lo)
	return line[:min(n, len(line)-1)]
}

const junkChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789%&*+-/=?@^_~!$"

// garbage returns a line of junk: no separators, no quotes, no time.
func (d *day) garbage() []byte {
	b := append(d.junk[:0], '~', '@')
	for n := between(d.r, 12, 70); n > 0; n-- {
		b = append(b, junkChars[d.r.IntN(len(junkChars))])
	}
	d.junk = b
	return b
}

// breakAt puts a letter into line at i (a digit of a number or a time).
func breakAt(line []byte, i int) []byte {
	if i >= 0 && i < len(line) {
		line[i] = 'x'
	}
	return line
}

// fieldAt returns where field n (0-based) of a sep-separated line starts, or -1.
func fieldAt(line []byte, sep byte, n int) int {
	i := 0
	for ; n > 0; n-- {
		j := bytes.IndexByte(line[i:], sep)
		if j < 0 {
			return -1
		}
		i += j + 1
		if sep == ' ' {
			for i < len(line) && line[i] == ' ' {
				i++
			}
		}
	}
	return i
}

// after returns the index just past the first occurrence of key, or -1.
func after(line []byte, key string) int {
	i := bytes.Index(line, []byte(key))
	if i < 0 {
		return -1
	}
	return i + len(key)
}

// Generate writes Options.Days days of logs of each source under Out and
// returns what it wrote. Each file is written under a temporary name in its
// folder and renamed into place, so a reader never sees half a file. Files
// already there are overwritten, never removed.
func Generate(opts Options) (Summary, error) {
	if opts.Out == "" {
		return Summary{}, errors.New("gen: Out is required")
	}
	if opts.Days <= 0 {
		return Summary{}, fmt.Errorf("gen: Days must be positive, got %d", opts.Days)
	}
	if opts.End.IsZero() {
		return Summary{}, errors.New("gen: End is required")
	}
	if opts.Scale < 0 || math.IsNaN(opts.Scale) || math.IsInf(opts.Scale, 0) {
		return Summary{}, fmt.Errorf("gen: bad Scale %v", opts.Scale)
	}
	if opts.Scale == 0 {
		opts.Scale = 1
	}
	want := map[string]bool{}
	for _, s := range opts.Sources {
		if registry[s] == nil {
			return Summary{}, fmt.Errorf("gen: unknown source %q (known: %s)", s, strings.Join(sourceNames, ", "))
		}
		want[s] = true
	}
	type job struct {
		src  *source
		date time.Time
	}
	var jobs []job
	end := midnight(opts.End)
	for _, name := range sourceNames {
		if len(want) > 0 && !want[name] {
			continue
		}
		for i := opts.Days - 1; i >= 0; i-- {
			jobs = append(jobs, job{registry[name], end.AddDate(0, 0, -i)})
		}
	}
	w := newWorld(opts.Seed)
	results := make([][]FileStat, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], errs[i] = genDay(jobs[i].src, w, opts, jobs[i].date)
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	var sum Summary
	for i := range jobs {
		if errs[i] != nil {
			return sum, errs[i]
		}
		sum.Files = append(sum.Files, results[i]...)
	}
	if opts.Anomalies {
		sum.Planted = map[string]int{}
		for _, f := range sum.Files {
			for _, a := range f.Anomalies {
				sum.Planted[a.Kind]++
			}
		}
	}
	var err error
	sum.TruthFiles, err = writeTruth(opts, end.AddDate(0, 0, -(opts.Days-1)), end, sum.Files)
	return sum, err
}

// writeTruth writes the truth file of each day from first to last. A day's
// file keeps the lines of the sources not generated now (from an earlier run
// into the same Out) and gets those of the sources generated now. Without
// Anomalies, only existing files are rewritten (without the generated
// sources' lines: their files now hold no planted lines).
func writeTruth(opts Options, first, last time.Time, files []FileStat) ([]string, error) {
	generated := map[string]bool{}
	byDay := map[string][]Anomaly{}
	for _, f := range files {
		generated[f.Source] = true
		if len(f.Anomalies) > 0 {
			ymd := filepath.Base(filepath.Dir(f.Path))
			byDay[ymd] = append(byDay[ymd], f.Anomalies...)
		}
	}
	rank := func(src string) int {
		if i := slices.Index(sourceNames, src); i >= 0 {
			return i
		}
		return len(sourceNames)
	}
	var paths []string
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		path := TruthPath(opts.Out, day)
		var all []Anomaly
		old, err := ReadTruth(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if !opts.Anomalies {
				continue
			}
		case err != nil:
			return paths, err
		}
		for _, a := range old {
			if !generated[a.Source] {
				all = append(all, a)
			}
		}
		all = append(all, byDay["dt="+day.Format("2006-01-02")]...)
		slices.SortStableFunc(all, func(a, b Anomaly) int {
			if c := rank(a.Source) - rank(b.Source); c != 0 {
				return c
			}
			if c := strings.Compare(a.Source, b.Source); c != 0 {
				return c
			}
			if c := strings.Compare(a.Object, b.Object); c != 0 {
				return c
			}
			return a.Line - b.Line
		})
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for _, a := range all {
			if err := enc.Encode(a); err != nil {
				return paths, err
			}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return paths, err
		}
		if err := writeAtomic(path, buf.Bytes()); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// activities is how many activities a day of src has.
func (d *day) activities(scale float64) int {
	f := scale * (0.9 + 0.2*d.r.Float64())
	if wd := time.Unix(d.dt.midnight, 0).UTC().Weekday(); wd == time.Saturday || wd == time.Sunday {
		f *= d.src.weekend
	}
	return int(math.Round(d.src.lines * f / d.src.per))
}

func genDay(src *source, w *world, opts Options, date time.Time) ([]FileStat, error) {
	d := newDay(src, w, opts.Seed, date, false)
	for n := d.activities(opts.Scale); n > 0; n-- {
		d.gen.activity(d, d.when())
	}
	if ps := planters[src.name]; opts.Anomalies && len(ps) > 0 {
		d.scale, d.background = opts.Scale, len(d.recs)
		d.r = rand.New(rand.NewPCG(seedFor(opts.Seed, src.name+"/planted", d.dt.midnight/86400)))
		for _, p := range ps {
			p(d)
		}
		d.tag = 0
	}
	slices.SortFunc(d.recs, func(a, b rec) int {
		if a.file != b.file {
			return int(a.file) - int(b.file)
		}
		return byTime(a, b)
	})
	dir := filepath.Join(opts.Out, src.name, "dt="+d.dt.ymd)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var stats []FileStat
	recs := d.recs
	for i, f := range d.files {
		j := 0
		for j < len(recs) && int(recs[j].file) == i {
			j++
		}
		st, err := d.writeFile(dir, f, recs[:j])
		if err != nil {
			return nil, err
		}
		st.Source = src.name
		obj := src.name + "/dt=" + d.dt.ymd + "/" + f.name
		for k := range st.Anomalies {
			a := &st.Anomalies[k]
			a.Source, a.Object, a.EventID = src.name, obj, ingest.EventID(src.name, obj, a.Offset)
		}
		stats = append(stats, st)
		recs = recs[j:]
	}
	slices.SortFunc(stats, func(a, b FileStat) int { return strings.Compare(a.Path, b.Path) })
	return stats, nil
}

func (d *day) writeFile(dir string, f *file, recs []rec) (FileStat, error) {
	st := FileStat{Path: filepath.Join(dir, f.name), Gzip: f.gzip}
	size := 0
	for _, rc := range recs {
		size += int(rc.n) + 1
	}
	buf := make([]byte, 0, size+1024)
	for _, h := range f.header {
		buf = append(append(buf, h...), '\n')
		st.Lines++
		st.Skip++
	}
	for _, rc := range recs {
		off := int64(len(buf))
		buf = append(append(buf, d.arena[rc.off:rc.off+int64(rc.n)]...), '\n')
		st.Lines++
		if rc.bad {
			st.Bad++
			st.BadLines = append(st.BadLines, st.Lines)
		}
		if rc.tag > 0 {
			st.Anomalies = append(st.Anomalies, Anomaly{Kind: anomalyKinds[rc.tag-1], Line: st.Lines, Offset: off})
		}
	}
	if f.footer != nil {
		for _, l := range f.footer() {
			buf = append(append(buf, l...), '\n')
			st.Lines++
			st.Skip++
		}
	}
	if f.gzip {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.DefaultCompression) // zero header: no name, no mtime
		zw.Write(buf)
		if err := zw.Close(); err != nil {
			return st, err
		}
		buf = z.Bytes()
	}
	st.Bytes = int64(len(buf))
	return st, writeAtomic(st.Path, buf)
}

// writeAtomic writes data to a temporary file beside path (a dot name ending
// in .tmp, which no format's file pattern matches) and renames it into place.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// byTime orders records by time, then in the order they were emitted (their
// place in the arena), so that the sort is stable without being a stable sort.
func byTime(a, b rec) int {
	switch {
	case a.t < b.t:
		return -1
	case a.t > b.t:
		return 1
	}
	return int(a.off - b.off)
}

// corpusChunk is how many records WriteCorpus generates and orders at a time.
const corpusChunk = 8192

// WriteCorpus streams lines of one format to w until at least n bytes are
// written, and returns how many lines it wrote. The lines are those of one
// day (times within day, in time order within each chunk of about eight
// thousand lines), of one file layout (the format's header, if it has one,
// comes first; nfdump's trailing summary is left out), deterministic for
// the seed, with no malformed lines.
func WriteCorpus(w io.Writer, format string, n int64, seed int64, day time.Time) (lines int64, err error) {
	src := registry[format]
	if src == nil {
		return 0, fmt.Errorf("gen: unknown format %q (known: %s)", format, strings.Join(sourceNames, ", "))
	}
	if n <= 0 {
		return 0, nil
	}
	d := newDay(src, newWorld(seed), seed, day, true)
	bw := newBufWriter(w)
	for _, h := range d.files[0].header {
		bw.line([]byte(h))
		lines++
	}
	for bw.n < n && bw.err == nil {
		d.recs, d.arena = d.recs[:0], d.arena[:0]
		for len(d.recs) < corpusChunk {
			d.gen.activity(d, d.when())
		}
		slices.SortFunc(d.recs, byTime)
		for _, rc := range d.recs {
			bw.line(d.arena[rc.off : rc.off+int64(rc.n)])
			lines++
			if bw.n >= n {
				break
			}
		}
	}
	bw.flush()
	return lines, bw.err
}

// bufWriter is a minimal buffered line writer that counts bytes.
type bufWriter struct {
	w   io.Writer
	buf []byte
	n   int64
	err error
}

func newBufWriter(w io.Writer) *bufWriter { return &bufWriter{w: w, buf: make([]byte, 0, 1<<20)} }

func (b *bufWriter) line(l []byte) {
	if len(b.buf)+len(l)+1 > cap(b.buf) {
		b.flush()
	}
	b.buf = append(append(b.buf, l...), '\n')
	b.n += int64(len(l) + 1)
}

func (b *bufWriter) flush() {
	if b.err == nil && len(b.buf) > 0 {
		_, b.err = b.w.Write(b.buf)
	}
	b.buf = b.buf[:0]
}
