package formats

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRegistration checks the names, default file patterns and option keys
// of the formats of this file set.
func TestRegistration(t *testing.T) {
	for _, c := range []struct {
		name, pattern string
		match, miss   []string
		options       []string
	}{
		{"navigator", `\.(json|jsonl|log)(\.gz)?$`,
			[]string{"navigator-audit-20261121T0800.json", "audit.jsonl.gz", "nav.log"}, []string{"audit.csv", "x.json.bz2"}, nil},
		{"cowrie", `\.json(l)?(\.\d{4}-\d{2}-\d{2})?(\.gz)?$`,
			[]string{"cowrie.json", "cowrie.json.2026-11-21", "cowrie.json.2026-11-21.gz", "cowrie.jsonl.gz"}, []string{"cowrie.log", "cowrie.json.1"}, nil},
		{"nfdump", `\.csv(\.gz)?$`, []string{"nfcapd.201605051355.csv", "flows.csv.gz"}, []string{"nfcapd.201605051355"}, []string{"fields"}},
		{"dns", `\.(csv|txt)(\.gz)?$`, []string{"dns-20170110.csv", "dns.txt.gz"}, []string{"dns.pcap"}, []string{"fields"}},
		{"jsonl", `\.(json|jsonl|ndjson)(\.gz)?$`, []string{"app.ndjson", "a.json.gz", "b.jsonl"}, []string{"a.log"}, []string{"map.*", "time_field", "time_format"}},
	} {
		f, ok := Lookup(c.name)
		if !ok {
			t.Fatalf("format %q not registered", c.name)
		}
		if len(f.Patterns) != 1 || f.Patterns[0] != c.pattern {
			t.Errorf("%s: patterns %q, want [%q]", c.name, f.Patterns, c.pattern)
		}
		re := regexp.MustCompile(f.Patterns[0])
		for _, m := range c.match {
			if !re.MatchString(m) {
				t.Errorf("%s: pattern does not match %q", c.name, m)
			}
		}
		for _, m := range c.miss {
			if re.MatchString(m) {
				t.Errorf("%s: pattern matches %q", c.name, m)
			}
		}
		var keys []string
		for k, d := range f.Options {
			keys = append(keys, k)
			if d == "" {
				t.Errorf("%s: option %q has no description", c.name, k)
			}
		}
		if got, want := strings.Join(sorted(keys), ","), strings.Join(c.options, ","); got != want {
			t.Errorf("%s: options %s, want %s", c.name, got, want)
		}
		if f.Description == "" || f.New == nil {
			t.Errorf("%s: no description or constructor", c.name)
		}
		// Every format rejects options it does not know.
		if _, err := f.New(FileInfo{Location: time.UTC}, Options{"bogus": "1"}); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
			t.Errorf("%s: unknown option accepted or not named: %v", c.name, err)
		}
		// A nil Location means UTC.
		if _, err := f.New(FileInfo{}, nil); err != nil {
			t.Errorf("%s: New without location: %v", c.name, err)
		}
	}
}

func sorted(s []string) []string {
	sortStrings(s)
	return s
}

func TestCowrieLocation(t *testing.T) {
	f, _ := Lookup("cowrie")
	p, _ := f.New(FileInfo{Location: time.FixedZone("X", 2*3600)}, nil)
	var ev Event
	ev.Reset()
	// A time with zone ignores the file's zone; one without is read in it.
	if err := p.Parse([]byte(`{"eventid":"e","timestamp":"2026-11-21T10:00:00Z"}`), &ev); err != nil || ev.Time.Hour() != 10 {
		t.Errorf("zoned time: %v %v", ev.Time, err)
	}
	ev.Reset()
	if err := p.Parse([]byte(`{"eventid":"e","timestamp":"2026-11-21T10:00:00"}`), &ev); err != nil || ev.Time.UTC().Hour() != 8 {
		t.Errorf("time without zone: %v %v", ev.Time, err)
	}
}
