package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary serve as the benchmark's child process.
func TestMain(m *testing.M) {
	if isChild(os.Args[1:]) {
		childMain(os.Args[1:])
		return
	}
	os.Exit(m.Run())
}

// TestTinyRun runs the whole benchmark on a tiny corpus of both formats with
// both engines and checks the counts and the outputs, not the timings.
func TestTinyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes and DuckDB")
	}
	out := t.TempDir()
	o, err := parseFlags([]string{"-size", "2MB", "-formats", "cowrie,vpcflow", "-threads", "1,2", "-out", out, "-keep", "-json"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	rep, err := run(o, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if got := len(rep.Results); got != 8 {
		t.Fatalf("%d results, want 8 (2 formats x 2 threads x 2 engines)", got)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, r := range rep.Results {
		name := r.Format + "/" + r.Engine
		if !r.OK || r.Error != "" {
			t.Errorf("%s: not ok: %s", name, r.Error)
		}
		if r.CorpusLines == 0 || r.Rows != r.CorpusLines {
			t.Errorf("%s: %d rows, corpus has %d lines", name, r.Rows, r.CorpusLines)
		}
		if r.InputBytes < o.Size || r.InputFiles != 4 {
			t.Errorf("%s: input %d bytes in %d files, want >= %d in 4", name, r.InputBytes, r.InputFiles, o.Size)
		}
		if r.CPUS <= 0 || r.WallS <= 0 || r.PeakRSSMiB <= 0 {
			t.Errorf("%s: missing measurements: %+v", name, r)
		}
		// The output parses and holds every line.
		var files []string
		switch r.Engine {
		case "duckdb":
			files = []string{filepath.Join(r.Work, "out.parquet")}
		case "spotlake":
			filepath.WalkDir(filepath.Join(r.Work, "warehouse"), func(p string, d os.DirEntry, err error) error {
				if err == nil && strings.HasSuffix(p, ".parquet") && strings.Contains(filepath.ToSlash(p), "/events/data/") {
					files = append(files, p)
				}
				return nil
			})
			if n, _ := parquetFiles(filepath.Join(r.Work, "warehouse"), "events"); len(files) == 0 || n != len(files) {
				t.Errorf("%s: %d event data files, parquetFiles counts %d", name, len(files), n)
			}
		}
		var rows, withTime int64
		q := "SELECT count(*), count(" + map[string]string{"spotlake": "event_time", "duckdb": "*"}[r.Engine] + ") FROM read_parquet(" + sqlList(files) + ")"
		if err := db.QueryRow(q).Scan(&rows, &withTime); err != nil {
			t.Errorf("%s: read the output: %v", name, err)
			continue
		}
		if rows != r.CorpusLines || withTime != rows {
			t.Errorf("%s: output has %d rows (%d with a time), want %d", name, rows, withTime, r.CorpusLines)
		}
	}
	if len(rep.Ratios) != 4 {
		t.Errorf("%d ratios, want 4", len(rep.Ratios))
	}
	for _, r := range rep.Ratios {
		if r.Against != "duckdb" || r.CPUEfficiency <= 0 {
			t.Errorf("ratio %+v: want one against duckdb", r)
		}
	}
	// The table and the JSON both render.
	var txt bytes.Buffer
	rep.print(&txt)
	if !strings.Contains(txt.String(), "spotlake (embedded) over") || strings.Contains(txt.String(), "FAILED") {
		t.Errorf("table:\n%s", txt.String())
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Error(err)
	}

	// A second run reuses the cached corpus.
	log.Reset()
	o.Engines = []string{"duckdb"}
	o.Threads = []int{1}
	o.Keep = false
	if _, err := run(o, &log); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "generating") || !strings.Contains(log.String(), "reusing") {
		t.Errorf("corpus not reused:\n%s", log.String())
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1GiB": 1 << 30, "50MB": 50e6, "2MiB": 2 << 20, "1G": 1 << 30, "512k": 512 << 10, "1000": 1000, "0.5GiB": 1 << 29} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GiB", "-1MB", "10XB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q): no error", bad)
		}
	}
}
