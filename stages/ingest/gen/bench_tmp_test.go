package gen

import (
	"io"
	"testing"
	"time"
)

func TestSpeed(t *testing.T) {
	for _, n := range sourceNames {
		st := time.Now()
		lines, err := WriteCorpus(io.Discard, n, 200<<20, 1, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		el := time.Since(st)
		t.Logf("%-10s %7d lines %6.0f MB/s", n, lines, 200/el.Seconds()*1.048576)
	}
}
