package rules

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/spotlake/spotlake/stages/detect/words"
)

// benchRows is a day of n mixed rows: flows, HDFS audit, logins.
func benchRows(n int) []words.Row {
	rnd := rand.New(rand.NewPCG(3, 4))
	rows := make([]words.Row, n)
	ips := make([]string, 4000)
	for i := range ips {
		ips[i] = fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256)
	}
	users := make([]string, 500)
	for i := range users {
		users[i] = fmt.Sprintf("user%03d", i)
	}
	for i := range rows {
		r := &rows[i]
		*r = words.Row{Time: day.Add(time.Duration(rnd.Int64N(int64(24 * time.Hour)))),
			SrcPort: -1, DstPort: -1, FlowBytes: -1, FlowPackets: -1, DNSFrameLen: -1, HTTPStatus: -1}
		switch i % 3 {
		case 0:
			r.Source, r.Format = "vpc", "vpcflow"
			r.SrcIP, r.DstIP = ips[rnd.IntN(len(ips))], ips[rnd.IntN(len(ips))]
			r.DstPort, r.Proto = int32(rnd.IntN(1024)), "tcp"
			r.FlowBytes, r.FlowPackets = rnd.Int64N(1e6), rnd.Int64N(1000)
			r.Action = []string{"ACCEPT", "REJECT"}[rnd.IntN(2)]
		case 1:
			r.Source, r.Format = "hdfs", "hdfs_audit"
			r.SrcIP, r.UserName = ips[rnd.IntN(len(ips))], users[rnd.IntN(len(users))]
			r.EventType = []string{"open", "create", "delete", "listStatus", "rename"}[rnd.IntN(5)]
			r.Action = "allowed"
		default:
			r.Source, r.Format = "ssh", "syslog"
			r.SrcIP, r.UserName, r.App = ips[rnd.IntN(len(ips))], users[rnd.IntN(len(users))], "sshd"
			r.Action = []string{"success", "failed"}[rnd.IntN(2)]
		}
	}
	// A few attacks, so that the rules have hits: a port scan, a mass
	// delete, a brute force.
	for i := range min(n, 3000) {
		r := &rows[i]
		switch i / 1000 {
		case 0:
			r.Source, r.SrcIP, r.DstPort, r.Action = "vpc", "203.0.113.9", int32(i), "REJECT"
			r.Time = day.Add(3*time.Hour + time.Duration(i)*time.Second/10)
		case 1:
			r.Source, r.UserName, r.EventType = "hdfs", "mallory", "delete"
			r.Time = day.Add(14*time.Hour + time.Duration(i)*time.Second)
		case 2:
			r.Source, r.SrcIP, r.UserName, r.Action = "ssh", "198.51.100.66", users[i%50], "failed"
			r.Time = day.Add(20*time.Hour + time.Duration(i)*time.Second)
		}
	}
	return rows
}

var benchRules = []Rule{
	{Name: "hdfs_mass_delete", Source: "hdfs", GroupBy: []string{"user_name", "event_type"}, When: "event_type = 'delete' and count > 100"},
	{Name: "port_scan", Source: "vpc", GroupBy: []string{"src_ip"}, Window: 15 * time.Minute, When: "distinct_dst_ports > 50"},
	{Name: "exfil", Source: "vpc", GroupBy: []string{"src_ip", "dst_ip"}, When: "bytes > 5e6"},
	{Name: "brute", Source: "ssh", GroupBy: []string{"src_ip"}, When: "denied > 20 and distinct_users > 5"},
	{Name: "volume", GroupBy: []string{"source"}, When: "count > 100000"},
}

// BenchmarkEngine1M: Observe and Evaluate 1M rows with five rules
// (go test -run X -bench Engine1M -benchtime 1x ./stages/oa/rules/).
func BenchmarkEngine1M(b *testing.B) {
	rows := benchRows(1_000_000)
	for b.Loop() {
		e, err := NewEngine(benchRules)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		for i := range rows {
			if err := e.Observe(&rows[i]); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		hits, err := e.Evaluate(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		b.ReportMetric(t1.Sub(t0).Seconds(), "observe-s")
		b.ReportMetric(t2.Sub(t1).Seconds(), "evaluate-s")
		b.ReportMetric(float64(len(hits)), "hits")
		e.Close()
	}
}
