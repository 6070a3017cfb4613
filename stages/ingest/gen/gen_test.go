package gen_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spotlake/spotlake/stages/ingest"
	"github.com/spotlake/spotlake/stages/ingest/formats"
	"github.com/spotlake/spotlake/stages/ingest/gen"
)

// patterns are the parsers' default file patterns the generated names must match.
var patterns = map[string]string{
	"vpcflow":    `\.log(\.gz)?$`,
	"apache":     `\.log(\.gz)?$`,
	"syslog":     `\.log(\.gz)?$`,
	"hdfs_audit": `\.log(\.gz)?$`,
	"squid":      `\.log(\.gz)?$`,
	"navigator":  `\.(json|jsonl|log)(\.gz)?$`,
	"cowrie":     `\.json(l)?(\.\d{4}-\d{2}-\d{2})?(\.gz)?$`,
	"nfdump":     `\.csv(\.gz)?$`,
	"dns":        `\.(csv|txt)(\.gz)?$`,
	"jsonl":      `\.(json|jsonl|ndjson)(\.gz)?$`,
}

// end is a day whose set crosses a month and has single-digit days (RFC 3164
// and tshark pad them with a space).
var end = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// treeHash hashes every file's path and bytes under root.
func treeHash(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func generate(t *testing.T, o gen.Options) (string, gen.Summary) {
	t.Helper()
	if o.Out == "" {
		o.Out = t.TempDir()
	}
	s, err := gen.Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	return o.Out, s
}

func TestDeterminism(t *testing.T) {
	base := gen.Options{Days: 2, End: end, Seed: 42, Scale: 0.3}
	ref, _ := generate(t, base)
	refHash := treeHash(t, ref)
	other := func(f func(*gen.Options)) gen.Options { o := base; f(&o); return o }
	tests := []struct {
		name string
		opts gen.Options
		same bool
	}{
		{"same seed", base, true},
		{"other seed", other(func(o *gen.Options) { o.Seed = 43 }), false},
		{"sources listed in another order", other(func(o *gen.Options) { o.Sources = reversed(gen.Sources()) }), true},
		{"other scale", other(func(o *gen.Options) { o.Scale = 0.31 }), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := generate(t, tc.opts)
			if got := treeHash(t, out) == refHash; got != tc.same {
				t.Errorf("same bytes = %v, want %v", got, tc.same)
			}
		})
	}
	t.Run("anomalies", func(t *testing.T) {
		a := other(func(o *gen.Options) { o.Anomalies = true })
		out, _ := generate(t, a)
		h := treeHash(t, out)
		if h == refHash {
			t.Error("same bytes with anomalies planted")
		}
		a.Sources = reversed(gen.Sources())
		again, _ := generate(t, a)
		if treeHash(t, again) != h {
			t.Error("anomalies (and truth files) differ for the same seed")
		}
		a.Seed = 43
		seed43, _ := generate(t, a)
		t1, _ := os.ReadFile(gen.TruthPath(out, end))
		t2, _ := os.ReadFile(gen.TruthPath(seed43, end))
		if bytes.Equal(t1, t2) {
			t.Error("same truth for another seed")
		}
	})
	// A source's files do not depend on the other sources or the number of days.
	t.Run("one source, more days", func(t *testing.T) {
		out, _ := generate(t, other(func(o *gen.Options) { o.Sources, o.Days = []string{"cowrie"}, 3 }))
		for _, day := range []string{"dt=2026-11-01", "dt=2026-11-02"} {
			a, b := filepath.Join(ref, "cowrie", day), filepath.Join(out, "cowrie", day)
			if treeHash(t, a) != treeHash(t, b) {
				t.Errorf("cowrie/%s differs when generated alone over more days", day)
			}
		}
	})
}

func reversed(s []string) []string {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}

func TestLayout(t *testing.T) {
	out, sum := generate(t, gen.Options{Days: 3, End: end, Seed: 7, Scale: 0.2})
	stats := map[string]gen.FileStat{}
	for _, f := range sum.Files {
		stats[f.Path] = f
	}
	perDay := map[string]int{}
	var files, gzipped int
	err := filepath.WalkDir(out, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 3 {
			t.Errorf("%s: want <source>/dt=YYYY-MM-DD/<file>", rel)
			return nil
		}
		src, dt, name := parts[0], parts[1], parts[2]
		pat, ok := patterns[src]
		if !ok {
			t.Errorf("%s: unknown source folder %q", rel, src)
			return nil
		}
		if _, err := time.Parse("dt=2006-01-02", dt); err != nil {
			t.Errorf("%s: bad partition folder %q", rel, dt)
		}
		if !regexp.MustCompile(pat).MatchString(name) {
			t.Errorf("%s: name does not match %s", rel, pat)
		}
		if f, ok := formats.Lookup(src); ok {
			if !matchesAny(f.Patterns, name) {
				t.Errorf("%s: name matches none of the parser's patterns %q", rel, f.Patterns)
			}
		}
		st, ok := stats[p]
		if !ok {
			t.Errorf("%s: not in the summary (a leftover temporary file?)", rel)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		isGzip := len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b
		if isGzip != st.Gzip || int64(len(b)) != st.Bytes {
			t.Errorf("%s: gzip %v, %d bytes; summary says gzip %v, %d bytes", rel, isGzip, len(b), st.Gzip, st.Bytes)
		}
		if isGzip {
			gzipped++
			// deterministic header: no mtime, no name
			if mtime := b[4] | b[5] | b[6] | b[7]; mtime != 0 || b[3]&0x08 != 0 {
				t.Errorf("%s: gzip header has an mtime or a name", rel)
			}
		}
		files++
		perDay[src+"/"+dt]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != len(sum.Files) {
		t.Errorf("%d files on disk, %d in the summary", files, len(sum.Files))
	}
	if len(perDay) != 10*3 {
		t.Errorf("%d source days, want 30", len(perDay))
	}
	for k, n := range perDay {
		if n < 2 || n > 4 {
			t.Errorf("%s: %d files, want 2-4", k, n)
		}
	}
	if share := float64(gzipped) / float64(files); share < 0.3 || share > 0.7 {
		t.Errorf("%d of %d files gzipped, want about half", gzipped, files)
	}
}

func matchesAny(pats []string, name string) bool {
	for _, p := range pats {
		if regexp.MustCompile(p).MatchString(name) {
			return true
		}
	}
	return false
}

func TestGenerateOptions(t *testing.T) {
	tests := []struct {
		name string
		opts gen.Options
	}{
		{"no out", gen.Options{Days: 1, End: end}},
		{"no days", gen.Options{Out: "x", End: end}},
		{"no end", gen.Options{Out: "x", Days: 1}},
		{"negative scale", gen.Options{Out: "x", Days: 1, End: end, Scale: -1}},
		{"unknown source", gen.Options{Out: "x", Days: 1, End: end, Sources: []string{"zeek"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := gen.Generate(tc.opts); err == nil {
				t.Error("no error")
			}
		})
	}
	if got := gen.Sources(); len(got) != 10 {
		t.Errorf("Sources() = %v, want ten", got)
	}
}

// missingParsers fails the test when some formats have no registered parser.
func missingParsers(t *testing.T) {
	t.Helper()
	var missing []string
	for _, s := range gen.Sources() {
		if _, ok := formats.Lookup(s); !ok {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("no parser registered for %s: generated lines of these formats are not checked", strings.Join(missing, ", "))
	}
}

// parseFile parses every line of a (possibly gzipped) file and returns the
// 1-based numbers of rejected lines and the count of skipped ones.
func parseFile(t *testing.T, f formats.Format, path string, day time.Time) (rejects []int, skips, events int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := io.Reader(bytes.NewReader(raw))
	if len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	p, err := f.New(formats.FileInfo{Key: path, Day: day, Location: time.UTC}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var ev formats.Event
	n := 0
	for sc.Scan() {
		n++
		ev.Reset()
		err := p.Parse(sc.Bytes(), &ev)
		switch {
		case errors.Is(err, formats.ErrSkip):
			skips++
		case err != nil:
			rejects = append(rejects, n)
		default:
			events++
			if ev.Time.Before(day) || !ev.Time.Before(day.Add(24*time.Hour)) {
				t.Errorf("%s:%d: event time %s outside the day %s", path, n, ev.Time, day.Format("2006-01-02"))
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rejects, skips, events
}

// TestParsers parses every generated line with its format's parser: only the
// planted malformed lines may be rejected, and every one of them must be.
func TestParsers(t *testing.T) {
	defer missingParsers(t)
	_, sum := generate(t, gen.Options{Days: 3, End: end, Seed: 1, Scale: 1, Anomalies: true})
	bySource := map[string][]gen.FileStat{}
	for _, f := range sum.Files {
		bySource[f.Source] = append(bySource[f.Source], f)
	}
	for _, src := range gen.Sources() {
		t.Run(src, func(t *testing.T) {
			f, ok := formats.Lookup(src)
			if !ok {
				t.Fatalf("no parser registered for format %s", src)
			}
			bad := 0
			for _, st := range bySource[src] {
				day, err := time.Parse("2006-01-02", strings.TrimPrefix(filepath.Base(filepath.Dir(st.Path)), "dt="))
				if err != nil {
					t.Fatal(err)
				}
				rejects, skips, events := parseFile(t, f, st.Path, day)
				if !slices.Equal(rejects, st.BadLines) {
					t.Errorf("%s: rejected lines %v, planted %v", st.Path, rejects, st.BadLines)
					showLines(t, st.Path, diff(rejects, st.BadLines))
				}
				if skips != st.Skip || events != st.Events() {
					t.Errorf("%s: %d skipped, %d events; want %d, %d", st.Path, skips, events, st.Skip, st.Events())
				}
				bad += st.Bad
			}
			if src != "jsonl" && bad == 0 {
				t.Errorf("no malformed lines planted in %s", src)
			}
		})
	}
}

func diff(a, b []int) []int {
	var out []int
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, x)
		}
	}
	sort.Ints(out)
	return out
}

// showLines logs the given lines of a file (to see what a parser disagreed on).
func showLines(t *testing.T, path string, nums []int) {
	t.Helper()
	raw, _ := os.ReadFile(path)
	if len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return
		}
		raw, _ = io.ReadAll(zr)
	}
	lines := strings.Split(string(raw), "\n")
	for i, n := range nums {
		if i == 5 {
			t.Logf("  ... %d more", len(nums)-i)
			break
		}
		if n-1 < len(lines) {
			t.Logf("  line %d: %.300s", n, lines[n-1])
		}
	}
}

func TestWriteCorpus(t *testing.T) {
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for _, src := range gen.Sources() {
		t.Run(src, func(t *testing.T) {
			const n = 2 << 20
			var buf bytes.Buffer
			lines, err := gen.WriteCorpus(&buf, src, n, 5, day)
			if err != nil {
				t.Fatal(err)
			}
			if buf.Len() < n {
				t.Errorf("wrote %d bytes, want at least %d", buf.Len(), n)
			}
			if got := int64(bytes.Count(buf.Bytes(), []byte("\n"))); got != lines || buf.Bytes()[buf.Len()-1] != '\n' {
				t.Errorf("returned %d lines, wrote %d", lines, got)
			}
			var again bytes.Buffer
			if _, err := gen.WriteCorpus(&again, src, n, 5, day); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Errorf("not deterministic")
			}
			f, ok := formats.Lookup(src)
			if !ok {
				t.Fatalf("no parser registered for format %s", src)
			}
			path := filepath.Join(t.TempDir(), "corpus")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			rejects, _, events := parseFile(t, f, path, day)
			if len(rejects) > 0 {
				t.Errorf("%d of %d lines rejected", len(rejects), lines)
				showLines(t, path, rejects)
			}
			if events == 0 {
				t.Error("no events")
			}
		})
	}
	if _, err := gen.WriteCorpus(io.Discard, "zeek", 1, 1, day); err == nil {
		t.Error("unknown format: no error")
	}
}

func BenchmarkWriteCorpus(b *testing.B) {
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	const n = 64 << 20
	for _, src := range gen.Sources() {
		b.Run(src, func(b *testing.B) {
			b.SetBytes(n)
			for b.Loop() {
				if _, err := gen.WriteCorpus(io.Discard, src, n, 1, day); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestVolume keeps Scale 1 demo-sized: about 30k lines on a weekday.
func TestVolume(t *testing.T) {
	thursday := time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)
	_, sum := generate(t, gen.Options{Days: 1, End: thursday, Seed: 9, Scale: 1, Anomalies: true})
	total := sum.Totals()
	if total.Lines < 25000 || total.Lines > 40000 {
		t.Errorf("%d lines on a weekday at Scale 1, want about 30k", total.Lines)
	}
	for src, s := range sum.BySource() {
		if s.Lines < 1500 || s.Lines > 6500 {
			t.Errorf("%s: %d lines, want 2-5k", src, s.Lines)
		}
		if rate := float64(s.Bad) / float64(s.Lines); src != "jsonl" && (rate < 0.0003 || rate > 0.006) {
			t.Errorf("%s: %d of %d lines malformed, want about 0.2%%", src, s.Bad, s.Lines)
		}
	}
	// Planted attacks stay small next to the background: about 1% per kind.
	planted := map[string]map[string]int{}
	for _, f := range sum.Files {
		for _, a := range f.Anomalies {
			if planted[a.Source] == nil {
				planted[a.Source] = map[string]int{}
			}
			planted[a.Source][a.Kind]++
		}
	}
	for src, kinds := range planted {
		lines := sum.BySource()[src].Lines
		for kind, n := range kinds {
			if share := float64(n) / float64(lines); share > 0.015 {
				t.Errorf("%s: %d %s lines of %d, want at most about 1%%", src, n, kind, lines)
			}
		}
	}
}

// wantPlanted is how many lines of each kind a source gets on a weekday at
// Scale 0.3 (where the floors that keep each attack's shape apply).
var wantPlanted = map[string]map[string][2]int{
	"vpcflow":    {gen.KindPortScan: {30, 45}, gen.KindExfiltration: {12, 12}},
	"nfdump":     {gen.KindPortScan: {30, 45}, gen.KindExfiltration: {12, 12}},
	"squid":      {gen.KindBeaconing: {12, 20}},
	"dns":        {gen.KindDNSTunneling: {25, 40}},
	"cowrie":     {gen.KindSSHBruteForce: {28, 60}},
	"syslog":     {gen.KindSSHBruteForce: {15, 40}, gen.KindRareAdmin: {2, 2}},
	"hdfs_audit": {gen.KindHDFSMassDelete: {30, 45}},
	"navigator":  {gen.KindRareAdmin: {3, 3}},
}

// TestAnomalies: planting leaves every background line in place (the files
// without the planted lines are those generated without anomalies), and each
// truth line points at a planted line that parses, with the ingest's event id.
func TestAnomalies(t *testing.T) {
	defer missingParsers(t)
	base := gen.Options{Days: 2, End: end, Seed: 3, Scale: 0.3}
	plain, plainSum := generate(t, base)
	base.Anomalies = true
	out, sum := generate(t, base)
	if len(plainSum.TruthFiles) != 0 || plainSum.Planted != nil {
		t.Errorf("truth files %v, planted %v without anomalies", plainSum.TruthFiles, plainSum.Planted)
	}
	if _, err := os.Stat(filepath.Join(plain, gen.TruthDir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a truth folder without anomalies: %v", err)
	}
	days := []time.Time{end.AddDate(0, 0, -1), end}
	if len(sum.TruthFiles) != 2 || sum.TruthFiles[0] != gen.TruthPath(out, days[0]) || sum.TruthFiles[1] != gen.TruthPath(out, days[1]) {
		t.Fatalf("truth files %v", sum.TruthFiles)
	}
	if len(plainSum.Files) != len(sum.Files) {
		t.Fatalf("%d files with anomalies, %d without", len(sum.Files), len(plainSum.Files))
	}

	// The truth files list FileStat.Anomalies, day by day, file by file.
	var listed []gen.Anomaly
	planted := map[string]int{}
	for _, d := range days {
		for _, f := range sum.Files {
			if strings.Contains(f.Path, d.Format("dt=2006-01-02")) {
				listed = append(listed, f.Anomalies...)
			}
		}
	}
	for _, a := range listed {
		planted[a.Kind]++
	}
	var truth []gen.Anomaly
	for _, p := range sum.TruthFiles {
		a, err := gen.ReadTruth(p)
		if err != nil {
			t.Fatal(err)
		}
		truth = append(truth, a...)
	}
	if !slices.Equal(truth, listed) {
		t.Errorf("truth files list %d lines, the summary %d", len(truth), len(listed))
	}
	if !maps.Equal(planted, sum.Planted) {
		t.Errorf("Summary.Planted %v, files have %v", sum.Planted, planted)
	}

	perDay := map[string]map[string]map[string]int{} // day, source, kind
	for i, f := range sum.Files {
		pf := plainSum.Files[i]
		rel, _ := filepath.Rel(out, f.Path)
		obj := filepath.ToSlash(rel)
		if prel, _ := filepath.Rel(plain, pf.Path); prel != rel {
			t.Fatalf("file %d: %s with anomalies, %s without", i, rel, prel)
		}
		data, plainData := readPlain(t, f.Path), readPlain(t, pf.Path)
		lines, plainLines := splitLines(data), splitLines(plainData)
		offsets := make([]int64, len(lines))
		for j := 1; j < len(lines); j++ {
			offsets[j] = offsets[j-1] + int64(len(lines[j-1])) + 1
		}
		isPlanted := map[int]bool{}
		for _, a := range f.Anomalies {
			if a.Source != f.Source || a.Object != obj || a.Line < 1 || a.Line > len(lines) || a.Offset != offsets[a.Line-1] {
				t.Fatalf("%s: truth %+v does not point at a line (%d lines)", obj, a, len(lines))
			}
			if !slices.Contains(gen.AnomalyKinds(), a.Kind) {
				t.Errorf("%s:%d: unknown kind %q", obj, a.Line, a.Kind)
			}
			if id := ingest.EventID(a.Source, a.Object, a.Offset); a.EventID != id {
				t.Errorf("%s:%d: event id %s, ingest says %s", obj, a.Line, a.EventID, id)
			}
			if slices.Contains(f.BadLines, a.Line) {
				t.Errorf("%s:%d: a planted line is also malformed", obj, a.Line)
			}
			isPlanted[a.Line] = true
			day := strings.TrimPrefix(filepath.Base(filepath.Dir(f.Path)), "dt=")
			if perDay[day] == nil {
				perDay[day] = map[string]map[string]int{}
			}
			if perDay[day][f.Source] == nil {
				perDay[day][f.Source] = map[string]int{}
			}
			perDay[day][f.Source][a.Kind]++
		}
		// The background, in order, byte for byte.
		var rest []string
		for j, l := range lines {
			if !isPlanted[j+1] {
				rest = append(rest, l)
			}
		}
		if f.Source == "nfdump" { // its summary block counts the planted flows too
			rest, plainLines = beforeSummary(rest), beforeSummary(plainLines)
		}
		if !slices.Equal(rest, plainLines) {
			t.Errorf("%s: the background differs when anomalies are planted", obj)
		}
		if f.Bad != pf.Bad || f.Skip != pf.Skip {
			t.Errorf("%s: %d malformed, %d skipped; %d, %d without anomalies", obj, f.Bad, f.Skip, pf.Bad, pf.Skip)
		}
		// Every planted line parses, in the day.
		fm, _ := formats.Lookup(f.Source)
		if fm.New == nil {
			continue
		}
		d, _ := time.Parse("2006-01-02", strings.TrimPrefix(filepath.Base(filepath.Dir(f.Path)), "dt="))
		rejects, _, _ := parseFile(t, fm, f.Path, d)
		for _, n := range rejects {
			if isPlanted[n] {
				t.Errorf("%s:%d: planted line rejected: %.200s", obj, n, lines[n-1])
			}
		}
	}

	// Each kind, on a weekday, in sensible numbers.
	for src, kinds := range wantPlanted {
		for kind, want := range kinds {
			if n := perDay["2026-11-02"][src][kind]; n < want[0] || n > want[1] {
				t.Errorf("%s: %d %s lines on a weekday, want %d-%d", src, n, kind, want[0], want[1])
			}
			if n := perDay["2026-11-01"][src][kind]; n == 0 {
				t.Errorf("%s: no %s on a Sunday", src, kind)
			}
		}
		for kind, n := range perDay["2026-11-02"][src] {
			if _, ok := kinds[kind]; !ok {
				t.Errorf("%s: %d unexpected %s lines", src, n, kind)
			}
		}
	}
	for _, src := range []string{"apache", "jsonl"} {
		if len(perDay["2026-11-02"][src]) > 0 {
			t.Errorf("%s: planted %v", src, perDay["2026-11-02"][src])
		}
	}
}

// TestTruthMerge: generating some sources again rewrites only their lines of
// the truth files.
func TestTruthMerge(t *testing.T) {
	o := gen.Options{Days: 1, End: end, Seed: 5, Scale: 0.2, Anomalies: true, Sources: []string{"dns", "squid"}}
	out, _ := generate(t, o)
	path := gen.TruthPath(out, end)
	first, err := gen.ReadTruth(path)
	if err != nil {
		t.Fatal(err)
	}
	sources := func(as []gen.Anomaly) map[string]int {
		m := map[string]int{}
		for _, a := range as {
			m[a.Source]++
		}
		return m
	}
	if m := sources(first); len(m) != 2 || m["dns"] == 0 || m["squid"] == 0 {
		t.Fatalf("truth sources %v", m)
	}
	o.Out, o.Sources, o.Anomalies = out, []string{"dns"}, false
	if _, err := gen.Generate(o); err != nil {
		t.Fatal(err)
	}
	after, err := gen.ReadTruth(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := sources(after); len(m) != 1 || m["squid"] != sources(first)["squid"] {
		t.Errorf("after dns without anomalies: truth sources %v", m)
	}
	o.Anomalies = true
	if _, err := gen.Generate(o); err != nil {
		t.Fatal(err)
	}
	if again, _ := gen.ReadTruth(path); !slices.Equal(again, first) {
		t.Errorf("after dns with anomalies again: %d truth lines, first %d", len(again), len(first))
	}
}

// readPlain returns a file's bytes, decompressed.
func readPlain(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return raw
}

// splitLines splits newline-terminated lines.
func splitLines(b []byte) []string {
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func beforeSummary(lines []string) []string {
	if i := slices.Index(lines, "Summary"); i >= 0 {
		return lines[:i]
	}
	return lines
}
