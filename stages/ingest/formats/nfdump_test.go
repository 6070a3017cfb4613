package formats

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNfMillis(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "0.000": 0, "1.5": 1500, "5.120": 5120, "2.0005": 2001, "2.0004": 2000, "60.749": 60749, "0.0009": 1,
	} {
		if got, ok := nfMillis(in); !ok || got != want {
			t.Errorf("%s: %d %v, want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "-1", "1.", ".5", "1.2.3", "abc", "1e3"} {
		if _, ok := nfMillis(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNfdumpOptionsAndState(t *testing.T) {
	f, _ := Lookup("nfdump")
	for _, bad := range []string{"ts,,td", "ts,ts"} {
		if _, err := f.New(FileInfo{}, Options{"fields": bad}); err == nil {
			t.Errorf("fields %q accepted", bad)
		}
	}
	p, err := f.New(FileInfo{}, Options{"fields": "td,sa"})
	if err != nil {
		t.Fatal(err)
	}
	var ev Event
	ev.Reset()
	if err := p.Parse([]byte("1.000,10.0.0.1"), &ev); err == nil || !strings.Contains(err.Error(), `"ts"`) {
		t.Errorf("columns without ts: %v", err)
	}
	// A header with ts fixes it; a summary then skips until the next header.
	p, _ = f.New(FileInfo{Location: time.FixedZone("X", 3600)}, nil)
	steps := []struct {
		line string
		skip bool
	}{
		{"ts,td,sa,da,pr", true},
		{"2016-05-05 13:54:58,0.5,10.0.0.1,10.0.0.2,TCP", false},
		{"Summary", true},
		{"2016-05-05 13:54:58,0.5,10.0.0.1,10.0.0.2,TCP", true},
		{"ts,td,sa,da,pr", true},
		{"2016-05-05 13:54:59,0.5,10.0.0.1,10.0.0.2,UDP", false},
	}
	for i, s := range steps {
		ev.Reset()
		err := p.Parse([]byte(s.line), &ev)
		if s.skip != errors.Is(err, ErrSkip) || (!s.skip && err != nil) {
			t.Fatalf("step %d %q: %v", i, s.line, err)
		}
		if !s.skip && (ev.Time.UTC().Hour() != 12 || ev.FlowDurationMs != 500 || ev.Attrs != nil && len(ev.Attrs) != 0) {
			t.Errorf("step %d: %+v", i, ev)
		}
	}
}
