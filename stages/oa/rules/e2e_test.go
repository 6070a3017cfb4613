package rules

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/spotlake/spotlake/stages/detect/words"
	"github.com/spotlake/spotlake/stages/ingest/formats"
	"github.com/spotlake/spotlake/stages/ingest/gen"
)

// TestGeneratedDay: on a generated day with planted anomalies, rules fire on
// the planted attacks and nowhere in the background: an HDFS mass delete, a
// port scan and an exfiltration.
func TestGeneratedDay(t *testing.T) {
	end := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC) // a Tuesday
	out := t.TempDir()
	sum, err := gen.Generate(gen.Options{Out: out, Days: 1, End: end, Seed: 7, Scale: 1,
		Sources: []string{"hdfs_audit", "navigator", "vpcflow"}, Anomalies: true})
	if err != nil {
		t.Fatal(err)
	}
	truth, err := gen.ReadTruth(sum.TruthFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	type at struct {
		object string
		offset int64
	}
	planted := map[at]string{} // line → kind
	for _, a := range truth {
		planted[at{a.Object, a.Offset}] = a.Kind
	}

	rs := []Rule{
		{Name: "hdfs_mass_delete", Source: "hdfs_audit", GroupBy: []string{"user_name", "event_type"},
			Window: time.Hour, When: "event_type = 'delete' and count > 20", Severity: "high"},
		{Name: "port_scan", Source: "vpcflow", GroupBy: []string{"src_ip"},
			Window: 15 * time.Minute, When: "denied >= 20 and distinct_dst_ports >= 20"},
		{Name: "exfiltration", Source: "vpcflow", GroupBy: []string{"src_ip", "dst_ip"},
			When: "bytes > 100e6"},
	}
	kindOf := map[string]string{"hdfs_mass_delete": gen.KindHDFSMassDelete, "port_scan": gen.KindPortScan, "exfiltration": gen.KindExfiltration}
	e, err := NewEngine(rs)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// The groups (rule, window, group values) that hold a planted line of
	// the rule's kind, and how many.
	plantedIn := map[string]float64{}
	key := func(r Rule, start time.Time, group func(c string) string) string {
		k := r.Name + " " + start.Format("15:04")
		for _, c := range r.GroupBy {
			k += " " + c + "=" + group(c)
		}
		return k
	}
	rows := 0
	for _, f := range sum.Files {
		object, _ := filepath.Rel(out, f.Path)
		fm, ok := formats.Lookup(f.Source)
		if !ok {
			t.Fatalf("no format %s", f.Source)
		}
		p, err := fm.New(formats.FileInfo{Key: object, Day: end, Location: time.UTC}, nil)
		if err != nil {
			t.Fatal(err)
		}
		eachLine(t, f.Path, func(line []byte, offset int64) {
			var ev formats.Event
			ev.Reset()
			kind := planted[at{object, offset}]
			if err := p.Parse(line, &ev); err != nil {
				if !errors.Is(err, formats.ErrSkip) && kind != "" {
					t.Errorf("planted line rejected: %v", err)
				}
				return
			}
			r := toRow(f.Source, f.Source, &ev)
			for _, rule := range rs {
				if kind != "" && kind == kindOf[rule.Name] && rule.Source == r.Source {
					plantedIn[key(rule, r.Time.Truncate(normalize(rule).Window), func(c string) string { return field(&r, c) })]++
				}
			}
			if err := e.Observe(&r); err != nil {
				t.Fatal(err)
			}
			rows++
		})
	}
	start := time.Now()
	hits, err := e.Evaluate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows (%d kept), evaluated in %s", rows, e.Rows(), time.Since(start))
	fired := map[string]int{}
	for _, h := range hits {
		t.Log(h.Reason)
		fired[h.Rule]++
		rule := rs[slices.IndexFunc(rs, func(r Rule) bool { return r.Name == h.Rule })]
		k := key(rule, h.WindowStart, func(c string) string { return h.Group[c] })
		if plantedIn[k] == 0 {
			t.Errorf("hit on the background: %s", h.Reason)
		}
		if h.Rule == "hdfs_mass_delete" && h.Values["count"] < plantedIn[k] {
			t.Errorf("%s: %v planted deletes in the group", h.Reason, plantedIn[k])
		}
	}
	for _, r := range rs {
		if fired[r.Name] == 0 {
			t.Errorf("%s: no hit", r.Name)
		}
	}
}

// field is a group-by column of r, as Hit.Group has it.
func field(r *words.Row, c string) string {
	switch c {
	case "user_name":
		return r.UserName
	case "event_type":
		return r.EventType
	case "src_ip":
		return r.SrcIP
	case "dst_ip":
		return r.DstIP
	}
	panic("field: add " + c)
}

// toRow fills a words.Row from a parsed event as the caller does from the
// events table.
func toRow(source, format string, ev *formats.Event) words.Row {
	return words.Row{
		Source: source, Format: format, Time: ev.Time,
		SrcIP: ev.SrcIP, DstIP: ev.DstIP, Proto: ev.Proto, SrcPort: ev.SrcPort, DstPort: ev.DstPort, SrcHost: ev.SrcHost,
		FlowBytes: ev.FlowBytes, FlowPackets: ev.FlowPackets,
		DNSQuery: ev.DNSQuery, DNSQType: ev.DNSQType, DNSRCode: ev.DNSRCode, DNSFrameLen: ev.DNSFrameLen,
		HTTPMethod: ev.HTTPMethod, HTTPURL: ev.HTTPURL, HTTPHost: ev.HTTPHost, HTTPUserAgent: ev.HTTPUserAgent,
		HTTPContentType: ev.HTTPContentType, HTTPStatus: ev.HTTPStatus,
		EventType: ev.EventType, Action: ev.Action, Severity: ev.Severity, App: ev.App, Message: ev.Message,
		UserName: ev.UserName, FilePath: ev.FilePath, DvcHost: ev.DvcHost,
	}
}

// eachLine calls f with every line of a (possibly gzipped) file and its byte
// offset in the decompressed file.
func eachLine(t *testing.T, path string, f func(line []byte, offset int64)) {
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
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var off int64
	for sc.Scan() {
		line := sc.Bytes()
		f(bytes.TrimSuffix(line, []byte("\r")), off)
		off += int64(len(line)) + 1
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}
