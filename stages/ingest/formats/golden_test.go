package formats_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotlake/spotlake/stages/ingest/formats"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// goldenLine is what a golden file records for one input line.
type goldenLine struct {
	Line   int            `json:"line"`
	Skip   bool           `json:"skip,omitempty"`
	Reject string         `json:"reject,omitempty"`
	Event  map[string]any `json:"event,omitempty"`
}

// TestGolden parses every testdata/<format>/*.log file with its format's parser
// and compares the result with <name>.golden.json. A <name>.opts.json file
// beside the input holds format options; the input day is 2026-11-21 unless
// <name>.day names another.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*/*.log")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, in := range inputs {
		format := filepath.Base(filepath.Dir(in))
		seen[format] = true
		t.Run(format+"/"+filepath.Base(in), func(t *testing.T) {
			f, ok := formats.Lookup(format)
			if !ok {
				t.Fatalf("testdata folder %q names no registered format", format)
			}
			base := strings.TrimSuffix(in, ".log")
			opts := formats.Options{}
			if b, err := os.ReadFile(base + ".opts.json"); err == nil {
				if err := json.Unmarshal(b, &opts); err != nil {
					t.Fatal(err)
				}
			}
			day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
			if b, err := os.ReadFile(base + ".day"); err == nil {
				day, err = time.Parse("2006-01-02", strings.TrimSpace(string(b)))
				if err != nil {
					t.Fatal(err)
				}
			}
			p, err := f.New(formats.FileInfo{Key: in, Day: day, Location: time.UTC}, opts)
			if err != nil {
				t.Fatal(err)
			}
			got := parseAll(t, p, in)
			golden := base + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the parser's output; run go test ./stages/ingest/formats -update and review the diff\n--- got\n%s", golden, got)
			}
		})
	}
	for _, name := range formats.Names() {
		if !seen[name] {
			t.Errorf("format %q has no golden test under testdata/%s/", name, name)
		}
	}
}

func parseAll(t *testing.T, p formats.Parser, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var ev formats.Event
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		ev.Reset()
		err := p.Parse(line, &ev)
		switch {
		case errors.Is(err, formats.ErrSkip):
			out = append(out, goldenLine{Line: n, Skip: true})
		case err != nil:
			out = append(out, goldenLine{Line: n, Reject: err.Error()})
		default:
			if ev.Time.IsZero() {
				t.Errorf("line %d: parser returned an event without a time", n)
			}
			out = append(out, goldenLine{Line: n, Event: EventMap(&ev)})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// EventMap renders the non-empty fields of ev under their column names.
func EventMap(ev *formats.Event) map[string]any {
	m := map[string]any{"event_time": ev.Time.UTC().Format(time.RFC3339Nano)}
	s := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	i := func(k string, v int64) {
		if v != formats.Absent {
			m[k] = v
		}
	}
	s("event_type", ev.EventType)
	s("action", ev.Action)
	s("severity", ev.Severity)
	s("app", ev.App)
	s("message", ev.Message)
	s("proto", ev.Proto)
	s("src_ip", ev.SrcIP)
	i("src_port", int64(ev.SrcPort))
	s("src_host", ev.SrcHost)
	s("dst_ip", ev.DstIP)
	i("dst_port", int64(ev.DstPort))
	s("dst_host", ev.DstHost)
	s("dvc_host", ev.DvcHost)
	s("dvc_ip", ev.DvcIP)
	s("user_name", ev.UserName)
	s("session_id", ev.SessionID)
	i("flow_bytes", ev.FlowBytes)
	i("flow_packets", ev.FlowPackets)
	i("flow_out_bytes", ev.FlowOutBytes)
	i("flow_out_packets", ev.FlowOutPackets)
	i("flow_duration_ms", ev.FlowDurationMs)
	s("flow_tcp_flags", ev.FlowTCPFlags)
	s("http_method", ev.HTTPMethod)
	s("http_url", ev.HTTPURL)
	s("http_host", ev.HTTPHost)
	i("http_status", int64(ev.HTTPStatus))
	i("http_bytes", ev.HTTPBytes)
	s("http_referrer", ev.HTTPReferrer)
	s("http_user_agent", ev.HTTPUserAgent)
	s("http_content_type", ev.HTTPContentType)
	s("dns_query", ev.DNSQuery)
	s("dns_qtype", ev.DNSQType)
	s("dns_qclass", ev.DNSQClass)
	s("dns_rcode", ev.DNSRCode)
	s("dns_answers", ev.DNSAnswers)
	i("dns_frame_len", int64(ev.DNSFrameLen))
	s("file_path", ev.FilePath)
	s("file_dst", ev.FileDst)
	if len(ev.Attrs) > 0 {
		a := map[string]string{}
		for _, kv := range ev.Attrs {
			a[kv.Key] = kv.Value
		}
		m["attrs"] = a
	}
	return m
}
