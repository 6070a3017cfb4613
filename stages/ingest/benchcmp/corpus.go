package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"time"

	"github.com/spotlake/spotlake/stages/ingest/formats"
	"github.com/spotlake/spotlake/stages/ingest/gen"
)

// benchDay is the input day of the corpus (its dt= partition).
var benchDay = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// corpusVersion changes when the corpus layout or generator call changes, so
// a cached corpus of an older layout is regenerated.
const corpusVersion = 1

// corpusFile is one generated file.
type corpusFile struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
	Lines int64  `json:"lines"`
}

// corpus is one format's generated input, described by its manifest.
type corpus struct {
	Version int          `json:"version"`
	Format  string       `json:"format"`
	Size    int64        `json:"size"` // requested size; the files hold a few bytes more
	Seed    int64        `json:"seed"`
	Day     string       `json:"day"`
	Raw     string       `json:"raw"` // the raw root (config raw:)
	Files   []corpusFile `json:"files"`
}

func (c *corpus) bytes() int64 {
	var n int64
	for _, f := range c.Files {
		n += f.Bytes
	}
	return n
}

func (c *corpus) lines() int64 {
	var n int64
	for _, f := range c.Files {
		n += f.Lines
	}
	return n
}

func (c *corpus) paths() []string {
	out := make([]string, len(c.Files))
	for i, f := range c.Files {
		out[i] = f.Path
	}
	return out
}

// fileName names file i of a format so that the format's default patterns
// match it, as a real delivery would be named.
func fileName(format string, i int) string {
	day := benchDay.Format("2006-01-02")
	switch format {
	case "cowrie":
		return fmt.Sprintf("hp-bench-%d.cowrie.json.%s", i+1, day)
	case "vpcflow":
		return fmt.Sprintf("123456789012_vpcflowlogs_us-east-1_fl-0bench%02d_%sT0000Z_%06x.log", i+1, benchDay.Format("20060102"), i+1)
	default:
		// Other formats: a plain name with an extension their patterns take.
		return fmt.Sprintf("%s-bench-%d.log", format, i+1)
	}
}

// ensureCorpus returns the corpus of format under base (files in
// base/raw/<format>/dt=<day>/, manifest base/corpus-<format>.json),
// generating it unless a matching one is already there.
func ensureCorpus(base, format string, size int64, nfiles int, seed int64, logw io.Writer) (*corpus, error) {
	if _, ok := formats.Lookup(format); !ok {
		return nil, fmt.Errorf("unknown format %q (known: %v)", format, formats.Names())
	}
	base, err := filepath.Abs(base)
	if err != nil {
		return nil, err
	}
	raw := filepath.Join(base, "raw")
	dir := filepath.Join(raw, format, "dt="+benchDay.Format("2006-01-02"))
	manifest := filepath.Join(base, "corpus-"+format+".json")
	if c, err := loadCorpus(manifest); err == nil && c.matches(format, size, nfiles, seed, raw) {
		fmt.Fprintf(logw, "benchcmp: reusing the %s corpus in %s (%d files, %.0f MB, %d lines)\n", format, dir, len(c.Files), mb(c.bytes()), c.lines())
		return c, nil
	}
	// Start clean: a stale file of another size would be ingested too.
	os.Remove(manifest)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, _ := formats.Lookup(format)
	c := &corpus{Version: corpusVersion, Format: format, Size: size, Seed: seed, Day: benchDay.Format("2006-01-02"), Raw: raw,
		Files: make([]corpusFile, nfiles)}
	fmt.Fprintf(logw, "benchcmp: generating %.0f MB of %s in %d files under %s\n", mb(size), format, nfiles, dir)
	start := time.Now()
	per := size / int64(nfiles)
	errs := make([]error, nfiles)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range nfiles {
		n := per
		if i == nfiles-1 {
			n = size - per*int64(nfiles-1)
		}
		name := fileName(format, i)
		if !matchesAny(f.Patterns, name) {
			return nil, fmt.Errorf("internal: file name %q does not match the %s patterns %v", name, format, f.Patterns)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c.Files[i], errs[i] = writeCorpusFile(dir, name, format, n, seed+int64(i))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	fmt.Fprintf(logw, "benchcmp: generated %s: %.0f MB, %d lines in %.1fs\n", format, mb(c.bytes()), c.lines(), time.Since(start).Seconds())
	b, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(manifest, append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return c, nil
}

func writeCorpusFile(dir, name, format string, n, seed int64) (corpusFile, error) {
	path := filepath.Join(dir, name)
	// A dot name ending in .tmp matches no format's patterns.
	tmp := filepath.Join(dir, "."+name+".tmp")
	w, err := os.Create(tmp)
	if err != nil {
		return corpusFile{}, err
	}
	lines, err := gen.WriteCorpus(w, format, n, seed, benchDay)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return corpusFile{}, fmt.Errorf("generate %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return corpusFile{}, err
	}
	return corpusFile{Name: name, Path: path, Bytes: st.Size(), Lines: lines}, nil
}

func loadCorpus(manifest string) (*corpus, error) {
	b, err := os.ReadFile(manifest)
	if err != nil {
		return nil, err
	}
	var c corpus
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// matches reports whether the cached corpus is the one asked for and its files
// are still there, whole, and alone in their folder.
func (c *corpus) matches(format string, size int64, nfiles int, seed int64, raw string) bool {
	if c.Version != corpusVersion || c.Format != format || c.Size != size || c.Seed != seed ||
		len(c.Files) != nfiles || c.Raw != raw || c.Day != benchDay.Format("2006-01-02") {
		return false
	}
	dir := ""
	for _, f := range c.Files {
		st, err := os.Stat(f.Path)
		if err != nil || st.Size() != f.Bytes {
			return false
		}
		dir = filepath.Dir(f.Path)
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != len(c.Files) {
		return false
	}
	return true
}

func matchesAny(pats []string, name string) bool {
	for _, p := range pats {
		if regexp.MustCompile(p).MatchString(name) {
			return true
		}
	}
	return false
}

// warm reads the corpus once so that both engines find it in the page cache.
func warm(c *corpus) error {
	buf := make([]byte, 1<<20)
	for _, f := range c.Files {
		r, err := os.Open(f.Path)
		if err != nil {
			return err
		}
		_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
		r.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
