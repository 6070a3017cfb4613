package formats_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/spotlake/spotlake/stages/ingest/formats"
)

// benchParseFiles benchmarks a format on the lines of testdata files.
func benchParseFiles(b *testing.B, format string, files ...string) {
	var lines [][]byte
	for _, name := range files {
		lines = append(lines, readBenchLines(b, name)...)
	}
	benchParseLines(b, format, lines)
}

func readBenchLines(b *testing.B, name string) [][]byte {
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if l := bytes.Clone(sc.Bytes()); len(l) > 0 {
			lines = append(lines, l)
		}
	}
	return lines
}

// benchParseLines parses lines in a loop and reports throughput. A fresh
// parser per pass keeps per-file state (a VPC flow header) as in production.
func benchParseLines(b *testing.B, format string, lines [][]byte) {
	f, ok := formats.Lookup(format)
	if !ok {
		b.Fatalf("format %q not registered", format)
	}
	size := 0
	for _, l := range lines {
		size += len(l) + 1
	}
	fi := formats.FileInfo{Day: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Location: time.UTC}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var ev formats.Event
	for b.Loop() {
		p, err := f.New(fi, formats.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range lines {
			ev.Reset()
			if err := p.Parse(l, &ev); err != nil && !errors.Is(err, formats.ErrSkip) {
				b.Fatalf("%s: %v", l, err)
			}
		}
	}
}

func BenchmarkParseApache(b *testing.B) {
	benchParseFiles(b, "apache", "testdata/apache/elastic_examples_apache_logs.log")
}

// checkAllocs fails when parsing line takes more than max allocations: the
// parsers are meant to cost one string copy of the line.
func checkAllocs(t *testing.T, format, line string, max float64) {
	t.Helper()
	f, ok := formats.Lookup(format)
	if !ok {
		t.Fatalf("format %q not registered", format)
	}
	p, err := f.New(formats.FileInfo{Day: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}, formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := []byte(line)
	var ev formats.Event
	ev.Reset()
	if err := p.Parse(b, &ev); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		ev.Reset()
		_ = p.Parse(b, &ev)
	})
	if n > max {
		t.Errorf("%s: %v allocations per line, want at most %v", format, n, max)
	}
}

func TestApacheAllocs(t *testing.T) {
	checkAllocs(t, "apache", `83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /a.png HTTP/1.1" 200 203023 "http://semicomplete.com/" "Mozilla/5.0"`, 1)
}
