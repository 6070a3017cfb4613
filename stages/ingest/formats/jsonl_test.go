package formats

import (
	"strings"
	"testing"
	"time"
)

func TestJSONLOptionErrors(t *testing.T) {
	f, _ := Lookup("jsonl")
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{"time_fields": "t"}, `jsonl: unknown option "time_fields"`},
		{Options{"map.src_addr": "a"}, `jsonl: option "map.src_addr": no column "src_addr"`},
		{Options{"map.event_time": "a"}, `jsonl: option "map.event_time": the event time is set with time_field`},
		{Options{"map.src_ip": ""}, `jsonl: option "map.src_ip": empty path`},
		{Options{"map.src_ip": "a..b"}, `jsonl: option "map.src_ip": path "a..b" has an empty part`},
		{Options{"time_field": ".t"}, `jsonl: option "time_field": path ".t" has an empty part`},
		{Options{"map.src_ip": "a", "map.dst_ip": "a"}, `jsonl: options "map.dst_ip" and "map.src_ip" name the same path "a"`},
		{Options{"time_field": "t", "map.message": "t"}, `jsonl: options "map.message" and "time_field" name the same path "t"`},
		{Options{"time_format": "rfc3399"}, `jsonl: option "time_format": "rfc3399" is not rfc3339`},
		{Options{"time_format": "15:04:05"}, `jsonl: option "time_format": "15:04:05" is not`},
	} {
		_, err := f.New(FileInfo{Location: time.UTC}, c.opts)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.opts, err, c.want)
		}
	}
	for _, ok := range []Options{
		{"time_format": "unix_ns"}, {"time_format": "RFC3339"}, {"time_format": "2006-01-02 15:04:05"},
		{"map.dns_frame_len": "frame.len", "map.flow_tcp_flags": "tcp.flags", "time_field": "a.b.c"},
	} {
		if _, err := f.New(FileInfo{Location: time.UTC}, ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
}

func TestJSONLKeepsEveryField(t *testing.T) {
	f, _ := Lookup("jsonl")
	p, _ := f.New(FileInfo{Location: time.UTC}, nil)
	var ev Event
	ev.Reset()
	line := `{"ts":1795219200,"a.b":"literal","a":{"b":"nested"},"user":"u1","username":"u2","x":[1,{"y":2}]}`
	if err := p.Parse([]byte(line), &ev); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, kv := range ev.Attrs {
		got[kv.Key] = append(got[kv.Key], kv.Value)
	}
	if strings.Join(got["a.b"], "|") != "literal|nested" || strings.Join(got["username"], "|") != "u2" ||
		strings.Join(got["x"], "|") != `[1,{"y":2}]` || ev.UserName != "u1" || !ev.Time.Equal(time.Unix(1795219200, 0)) {
		t.Errorf("attrs %v, user %q, time %v", got, ev.UserName, ev.Time)
	}
}

func TestJSONLEpochAuto(t *testing.T) {
	for in, want := range map[string]string{
		"1795219200":          "2026-11-21T00:00:00Z",
		"1795219200.25":       "2026-11-21T00:00:00.25Z",
		"1795219200250":       "2026-11-21T00:00:00.25Z",
		"1795219200250000":    "2026-11-21T00:00:00.25Z",
		"1795219200250000000": "2026-11-21T00:00:00.25Z",
		"0":                   "1970-01-01T00:00:00Z",
	} {
		got, ok := jsonlEpochAuto([]byte(in))
		if !ok || got.Format(time.RFC3339Nano) != want {
			t.Errorf("%s: %v %v, want %s", in, got, ok, want)
		}
	}
}
