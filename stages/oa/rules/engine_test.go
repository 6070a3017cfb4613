package rules

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spotlake/spotlake/stages/detect/words"
)

var day = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// row is a synthetic events row: absent numbers -1, absent strings "".
func row(source string, at time.Duration, f func(r *words.Row)) words.Row {
	r := words.Row{Source: source, Format: source, Time: day.Add(at),
		SrcPort: -1, DstPort: -1, FlowBytes: -1, FlowPackets: -1, DNSFrameLen: -1, HTTPStatus: -1}
	if f != nil {
		f(&r)
	}
	return r
}

func evaluate(t *testing.T, rs []Rule, rows []words.Row) []Hit {
	t.Helper()
	e, err := NewEngine(rs)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i := range rows {
		if err := e.Observe(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	hits, err := e.Evaluate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func hdfs(user, cmd string, at time.Duration) words.Row {
	return row("hdfs", at, func(r *words.Row) { r.UserName, r.EventType, r.Action = user, cmd, "allowed" })
}

// TestThresholdsAndWindows: a threshold fires exactly past its boundary, and
// rows fall in the window of their time, boundaries included.
func TestThresholdsAndWindows(t *testing.T) {
	var rows []words.Row
	add := func(user string, n int, at time.Duration) {
		for range n {
			rows = append(rows, hdfs(user, "delete", at))
		}
	}
	add("alice", 20, 10*time.Hour)                                                       // exactly at the threshold: no hit
	add("bob", 21, 10*time.Hour+30*time.Minute)                                          // one more: a hit
	add("carol", 20, 10*time.Hour+59*time.Minute+59*time.Second+999999*time.Microsecond) // last µs of 10:00-11:00
	add("carol", 1, 11*time.Hour)                                                        // first µs of the next window
	add("dave", 30, 23*time.Hour+59*time.Minute)                                         // the day's last window
	for range 25 {
		rows = append(rows, hdfs("erin", "open", 12*time.Hour)) // not a delete
	}
	rs := []Rule{{Name: "hdfs_mass_delete", Source: "hdfs", GroupBy: []string{"user_name", "event_type"},
		When: "event_type = 'delete' and count > 20", Severity: "high"}}
	hits := evaluate(t, rs, rows)
	var got []string
	for _, h := range hits {
		got = append(got, h.Reason)
	}
	want := []string{
		"hdfs_mass_delete: user_name=bob event_type=delete count=21 in 2026-11-21 10:00–11:00",
		"hdfs_mass_delete: user_name=dave event_type=delete count=30 in 2026-11-21 23:00–24:00",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hits\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	h := hits[0]
	if h.Rule != "hdfs_mass_delete" || h.Severity != "high" ||
		!h.WindowStart.Equal(day.Add(10*time.Hour)) || !h.WindowEnd.Equal(day.Add(11*time.Hour)) ||
		!reflect.DeepEqual(h.Group, map[string]string{"user_name": "bob", "event_type": "delete"}) ||
		h.Values["count"] != 21 || h.Values["distinct_users"] != 1 || h.Values["denied"] != 0 || len(h.ID) != 32 {
		t.Errorf("hit %+v", h)
	}

	// >= fires at the boundary; carol's 20+1 are split by the window edge.
	rs[0].When = "event_type = 'delete' and count >= 20"
	got = nil
	for _, h := range evaluate(t, rs, rows) {
		got = append(got, fmt.Sprintf("%s %s %v", h.Group["user_name"], h.WindowStart.Format("15:04"), h.Values["count"]))
	}
	want = []string{"alice 10:00 20", "bob 10:00 21", "carol 10:00 20", "dave 23:00 30"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf(">= 20: %q, want %q", got, want)
	}

	// Other window sizes.
	for _, tc := range []struct {
		w    time.Duration
		want []string
	}{
		{15 * time.Minute, []string{"carol 10:45 20"}},
		{2 * time.Hour, []string{"alice 10:00 20", "bob 10:00 21", "carol 10:00 21", "dave 22:00 30"}},
		{24 * time.Hour, []string{"alice 00:00 20", "bob 00:00 21", "carol 00:00 21", "dave 00:00 30"}},
	} {
		rs[0].Window = tc.w
		got = nil
		for _, h := range evaluate(t, rs, rows) {
			if h.WindowEnd.Sub(h.WindowStart) != tc.w {
				t.Errorf("window %s: %s–%s", tc.w, h.WindowStart, h.WindowEnd)
			}
			got = append(got, fmt.Sprintf("%s %s %v", h.Group["user_name"], h.WindowStart.Format("15:04"), h.Values["count"]))
		}
		if tc.w == 15*time.Minute {
			got = filter(got, "carol")
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("window %s: %q, want %q", tc.w, got, tc.want)
		}
	}
}

func filter(ss []string, prefix string) []string {
	var out []string
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// TestAggregates: every aggregate, typed group values, null groups, the
// source filter.
func TestAggregates(t *testing.T) {
	flow := func(src, dst string, port int32, bytes, packets int64, action string, at time.Duration) words.Row {
		return row("vpc", at, func(r *words.Row) {
			r.SrcIP, r.DstIP, r.DstPort, r.FlowBytes, r.FlowPackets, r.Action, r.Proto = src, dst, port, bytes, packets, action, "tcp"
		})
	}
	rows := []words.Row{
		flow("10.0.0.1", "10.0.0.9", 22, 100, 2, "ACCEPT", time.Minute),
		flow("10.0.0.1", "10.0.0.9", 80, 200, 3, "REJECT", 2*time.Minute),
		flow("10.0.0.1", "10.0.0.8", 80, -1, -1, "REJECT", 3*time.Minute),
		flow("10.0.0.2", "10.0.0.8", 443, 50, 1, "ACCEPT", 4*time.Minute),
		row("vpc", 5*time.Minute, nil), // a row with nothing but a time
		// another source, same addresses: filtered out by Source
		row("cowrie", time.Minute, func(r *words.Row) { r.SrcIP, r.UserName, r.Action = "10.0.0.1", "root", "failed" }),
	}
	rs := []Rule{
		{Name: "by_src", Source: "vpc", GroupBy: []string{"src_ip"}, When: "count >= 1"},
		{Name: "by_port", Source: "vpc", GroupBy: []string{"dst_port", "proto"}, When: "dst_port IS NULL OR dst_port > 22"},
		{Name: "all", When: "true", Window: 24 * time.Hour},
		{Name: "no_rows", Source: "nope", When: "true"},
	}
	hits := evaluate(t, rs, rows)
	var got []string
	for _, h := range hits {
		got = append(got, fmt.Sprintf("%s %v %v", h.Rule, h.Group, h.Values))
	}
	want := []string{
		"by_src map[src_ip:] map[bytes:0 count:1 denied:0 distinct_dst_ips:0 distinct_dst_ports:0 distinct_src_ips:0 distinct_users:0 packets:0]",
		"by_src map[src_ip:10.0.0.1] map[bytes:300 count:3 denied:2 distinct_dst_ips:2 distinct_dst_ports:2 distinct_src_ips:1 distinct_users:0 packets:5]",
		"by_src map[src_ip:10.0.0.2] map[bytes:50 count:1 denied:0 distinct_dst_ips:1 distinct_dst_ports:1 distinct_src_ips:1 distinct_users:0 packets:1]",
		"by_port map[dst_port: proto:] map[bytes:0 count:1 denied:0 distinct_dst_ips:0 distinct_dst_ports:0 distinct_src_ips:0 distinct_users:0 packets:0]",
		"by_port map[dst_port:80 proto:tcp] map[bytes:200 count:2 denied:2 distinct_dst_ips:2 distinct_dst_ports:1 distinct_src_ips:1 distinct_users:0 packets:3]",
		"by_port map[dst_port:443 proto:tcp] map[bytes:50 count:1 denied:0 distinct_dst_ips:1 distinct_dst_ports:1 distinct_src_ips:1 distinct_users:0 packets:1]",
		"all map[] map[bytes:350 count:6 denied:3 distinct_dst_ips:2 distinct_dst_ports:3 distinct_src_ips:2 distinct_users:1 packets:6]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hits\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if r := hits[0].Reason; r != "by_src: src_ip=null count=1 in 2026-11-21 00:00–01:00" {
		t.Errorf("reason %q", r)
	}
	if r := hits[4].Reason; r != "by_port: dst_port=80 proto=tcp count=2 in 2026-11-21 00:00–01:00" {
		t.Errorf("reason %q (no aggregate in when: count)", r)
	}
	if r := hits[6].Reason; r != "all: count=6 in 2026-11-21 00:00–24:00" {
		t.Errorf("reason %q", r)
	}
}

// TestStableIDs: the same rows in another order, in another engine, give the
// same hits with the same ids; ids differ by rule, window and group.
func TestStableIDs(t *testing.T) {
	var rows []words.Row
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		rows = append(rows, row("ssh", time.Duration(rnd.Int64N(int64(24*time.Hour))), func(r *words.Row) {
			r.SrcIP = fmt.Sprintf("198.51.100.%d", rnd.IntN(8))
			r.UserName = []string{"root", "admin", "", "oracle"}[i%4]
			r.Action = []string{"failed", "success"}[rnd.IntN(2)]
		}))
	}
	rs := []Rule{
		{Name: "brute", Source: "ssh", GroupBy: []string{"src_ip"}, When: "denied > 10 and distinct_users >= 2"},
		{Name: "users", GroupBy: []string{"user_name", "src_ip"}, Window: 6 * time.Hour, When: "count > 20"},
	}
	a := evaluate(t, rs, rows)
	rnd.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	b := evaluate(t, rs, rows)
	if len(a) < 20 {
		t.Fatalf("only %d hits", len(a))
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("hits differ between two engines and row orders")
	}
	ids := map[string]bool{}
	for _, h := range a {
		if ids[h.ID] {
			t.Errorf("duplicate id %s (%s)", h.ID, h.Reason)
		}
		ids[h.ID] = true
	}
	// An id depends on the rule name, the window start and the group only.
	h := a[0]
	if id := hitID(h.Rule, h.WindowStart, []string{"src_ip"}, []groupValue{{s: nullString(h.Group["src_ip"])}}); id != h.ID {
		t.Errorf("id %s, recomputed %s", h.ID, id)
	}
	// Known value: ids must not change between releases (alerts dedup on them).
	if id := hitID("brute", day.Add(time.Hour), []string{"src_ip"}, []groupValue{{s: nullString("198.51.100.7")}}); id != "64bb31d86a5076c834f141ac3f88a141" {
		t.Errorf("id %s changed", id)
	}
	if hitID("r", day, []string{"user_name"}, []groupValue{{}}) == hitID("r", day, []string{"user_name"}, []groupValue{{s: nullString("")}}) {
		t.Error("null and empty group values share an id")
	}
}

// TestObserveAfterEvaluate: rows observed after an Evaluate count in the
// next one, new text values included.
func TestObserveAfterEvaluate(t *testing.T) {
	rs := []Rule{{Name: "r", GroupBy: []string{"user_name"}, When: "count >= 2"}}
	rows := []words.Row{hdfs("a", "x", 0), hdfs("b", "x", 0), hdfs("a", "x", 1), hdfs("c", "x", 2), hdfs("c", "x", 3), hdfs("b", "x", 4)}
	want := evaluate(t, rs, rows)
	e, err := NewEngine(rs)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var got []Hit
	for i := range rows {
		if err := e.Observe(&rows[i]); err != nil {
			t.Fatal(err)
		}
		if got, err = e.Evaluate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(want) != 3 || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestObserveZeroTime(t *testing.T) {
	e, err := NewEngine([]Rule{{Name: "r", When: "count > 1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Observe(&words.Row{EventID: "x"}); err == nil {
		t.Error("a row without time was accepted")
	}
}

func TestNewEngineInvalid(t *testing.T) {
	_, err := NewEngine([]Rule{{Name: "a", When: "read_csv('x')"}, {Name: "b", When: "count"}})
	if err == nil || !strings.Contains(err.Error(), "rules[0] (a).when: uses function read_csv") ||
		!strings.Contains(err.Error(), "rules[1] (b).when: is of type BIGINT") {
		t.Errorf("err = %v", err)
	}
}

// TestLockedDown: the engine's database reads no files, and its settings
// cannot be changed back.
func TestLockedDown(t *testing.T) {
	e, err := NewEngine([]Rule{{Name: "r", When: "count > 1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	for _, q := range []string{
		"SELECT * FROM read_csv('/etc/passwd')",
		"COPY events TO '/tmp/spotlake-rules-test.csv'",
		"ATTACH '/tmp/spotlake-rules-test.db' AS x",
		"SET enable_external_access = true",
		"SET lock_configuration = false",
		"INSTALL httpfs",
	} {
		if _, err := e.d.db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

func TestEvaluateCanceled(t *testing.T) {
	e, err := NewEngine([]Rule{{Name: "r", When: "count > 1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := hdfs("a", "x", 0)
	if err := e.Observe(&r); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Evaluate(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestClosed(t *testing.T) {
	e, err := NewEngine([]Rule{{Name: "r", When: "count > 1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	r := hdfs("a", "x", 0)
	if err := e.Observe(&r); err == nil {
		t.Error("Observe after Close")
	}
	if _, err := e.Evaluate(context.Background()); err == nil {
		t.Error("Evaluate after Close")
	}
}
