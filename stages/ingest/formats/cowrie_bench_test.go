package formats_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/spotlake/spotlake/stages/ingest/formats"
)

// benchLines reads the non-empty lines of a testdata file.
func benchLines(b *testing.B, path string) [][]byte {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			lines = append(lines, l)
		}
	}
	return lines
}

// benchParse parses lines over and over as the ingest stage does: one
// parser, one Event reset before each line. Rejected lines fail the benchmark
// unless allowReject.
func benchParse(b *testing.B, format string, opts formats.Options, lines [][]byte) {
	b.Helper()
	f, ok := formats.Lookup(format)
	if !ok {
		b.Fatalf("no format %q", format)
	}
	p, err := f.New(formats.FileInfo{Key: "bench", Day: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Location: time.UTC}, opts)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, l := range lines {
		n += int64(len(l)) + 1
	}
	var ev formats.Event
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			ev.Reset()
			if err := p.Parse(l, &ev); err != nil && err != formats.ErrSkip {
				b.Fatalf("%s: %v", l, err)
			}
		}
	}
}

// BenchmarkParseCowrie parses the real Cowrie lines of testdata/cowrie/carme8.log.
func BenchmarkParseCowrie(b *testing.B) {
	benchParse(b, "cowrie", nil, benchLines(b, "testdata/cowrie/carme8.log"))
}

// BenchmarkParseCorpus parses $SPOTLAKE_BENCH_DIR/<format>.log for each of
// these formats when the variable is set, e.g. files written by gen's
// WriteCorpus; it is skipped otherwise.
func BenchmarkParseCorpus(b *testing.B) {
	dir := os.Getenv("SPOTLAKE_BENCH_DIR")
	if dir == "" {
		b.Skip("SPOTLAKE_BENCH_DIR not set")
	}
	for _, f := range []string{"cowrie", "navigator", "nfdump", "dns", "jsonl"} {
		path := dir + "/" + f + ".log"
		if _, err := os.Stat(path); err != nil {
			continue
		}
		b.Run(f, func(b *testing.B) {
			lines := benchLines(b, path)
			benchParseLenient(b, f, lines)
		})
	}
}

// benchParseLenient is benchParse for corpora with planted bad lines.
func benchParseLenient(b *testing.B, format string, lines [][]byte) {
	f, _ := formats.Lookup(format)
	p, err := f.New(formats.FileInfo{Key: "bench", Location: time.UTC}, nil)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, l := range lines {
		n += int64(len(l)) + 1
	}
	var ev formats.Event
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			ev.Reset()
			_ = p.Parse(l, &ev)
		}
	}
}
