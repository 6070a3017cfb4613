package words

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/words.golden and the examples in README.md")

const goldenPath = "testdata/words.golden"

// goldenWords makes the words of testdata/events.jsonl (every parsed event of
// the ingest golden files) the way the detect stage does: one Stats for the
// day, Observe every row, then Words for every row. One line per pair,
// "file:line<TAB>doc<TAB>word", or "file:line<TAB>(none)".
func goldenWords(t *testing.T) []byte {
	t.Helper()
	f, err := os.Open("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type rec struct {
		where string
		row   Row
	}
	var recs []rec
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var pos struct {
			File string `json:"file"`
			Line int    `json:"line"`
		}
		if err := json.Unmarshal(sc.Bytes(), &pos); err != nil {
			t.Fatal(err)
		}
		r, _, err := rowFromEvent(sc.Bytes())
		if err != nil {
			t.Fatalf("%s:%d: %v", pos.File, pos.Line, err)
		}
		recs = append(recs, rec{fmt.Sprintf("%s/%s:%d", r.Format, pos.File, pos.Line), r})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	s := NewStats(Options{AllowDomains: []string{"example.com"}})
	for i := range recs {
		s.Observe(&recs[i].row)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "# version %s\n", Version)
	var pairs []Pair
	for i := range recs {
		pairs = s.Words(pairs[:0], &recs[i].row)
		if len(pairs) == 0 {
			fmt.Fprintf(&out, "%s\t(none)\n", recs[i].where)
		}
		for _, p := range pairs {
			fmt.Fprintf(&out, "%s\t%s\t%s\n", recs[i].where, p.Doc, p.Word)
		}
	}
	return out.Bytes()
}

// TestGoldenWords compares the words of the ingest test corpus with
// testdata/words.golden, which records the Version that made them. Words
// that change while Version stays the same fail, and -update refuses to
// record them: bump Version first, so that old and new scores are never
// mixed.
func TestGoldenWords(t *testing.T) {
	got := goldenWords(t)
	want, err := os.ReadFile(goldenPath)
	if err != nil && !*update {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	firstLine := func(b []byte) string { l, _, _ := strings.Cut(string(b), "\n"); return l }
	sameVersion := want != nil && firstLine(got) == firstLine(want)
	if *update {
		if sameVersion {
			t.Fatalf("the words changed but Version is still %q: bump Version, then run go test -update", Version)
		}
		if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if sameVersion {
		t.Errorf("the words changed but Version is still %q: bump Version, then run go test -update and review the diff of %s", Version, goldenPath)
	} else {
		t.Errorf("Version is %q but %s was made by another: run go test -update and review the diff", Version, goldenPath)
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	shown := 0
	for i := 0; i < max(len(gl), len(wl)) && shown < 20; i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Logf("line %d:\n  got  %s\n  want %s", i+1, g, w)
			shown++
		}
	}
}
