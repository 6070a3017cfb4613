package heuristics

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/spotlake/spotlake/stages/detect/words"
)

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// rows builds synthetic rows with unique event ids.
type rows struct {
	n   int
	out []words.Row
}

func (b *rows) add(r words.Row) *words.Row {
	b.n++
	r.EventID = fmt.Sprintf("%032x", b.n)
	for _, p := range []*int32{&r.SrcPort, &r.DstPort, &r.HTTPStatus, &r.DNSFrameLen} {
		if *p == 0 {
			*p = -1
		}
	}
	for _, p := range []*int64{&r.FlowBytes, &r.FlowPackets} {
		if *p == 0 {
			*p = -1
		}
	}
	b.out = append(b.out, r)
	return &b.out[len(b.out)-1]
}

func at(d time.Duration) time.Time { return t0.Add(d) }

// probe is a rejected SYN from src to dst:port.
func probe(b *rows, d time.Duration, src, dst string, port int32) {
	b.add(words.Row{Format: "vpcflow", Source: "vpcflow", Time: at(d), SrcIP: src, DstIP: dst, Proto: "tcp",
		SrcPort: 40001, DstPort: port, FlowPackets: 1, FlowBytes: 44, Action: "REJECT"})
}

func web(b *rows, d time.Duration, client, host string) {
	b.add(words.Row{Format: "squid", Source: "squid", Time: at(d), SrcIP: client, HTTPHost: host, DstIP: "198.51.100.80",
		HTTPMethod: "GET", HTTPURL: "http://" + host + "/ping", Action: "TCP_MISS/200"})
}

func dns(b *rows, d time.Duration, client, name string) {
	b.add(words.Row{Format: "dns", Source: "dns", Time: at(d), SrcIP: "10.0.0.2", DstIP: client, DNSQuery: name, DNSQType: "TXT"})
}

func cowrie(b *rows, d time.Duration, ip, eventType string) {
	b.add(words.Row{Format: "cowrie", Source: "cowrie", Time: at(d), SrcIP: ip, DstIP: "10.0.200.11", EventType: eventType,
		DvcHost: "hp-fra-1", UserName: "root"})
}

func sshd(b *rows, d time.Duration, ip, msg, user string) {
	b.add(words.Row{Format: "syslog", Source: "syslog", Time: at(d), App: "sshd", SrcIP: ip, Message: msg, UserName: user,
		DvcHost: "bastion-1"})
}

func hdfs(b *rows, d time.Duration, user, cmd, path string, allowed bool) {
	action := "allowed"
	if !allowed {
		action = "denied"
	}
	b.add(words.Row{Format: "hdfs_audit", Source: "hdfs_audit", Time: at(d), SrcIP: "10.0.5.1", UserName: user, EventType: cmd,
		Action: action, FilePath: path})
}

func flow(b *rows, d time.Duration, format, src, dst string, bytes int64) {
	b.add(words.Row{Format: format, Source: format, Time: at(d), SrcIP: src, DstIP: dst, Proto: "tcp", SrcPort: 50000,
		DstPort: 443, FlowBytes: bytes, FlowPackets: bytes / 1400})
}

// randName is n random base32 characters.
func randName(r *rand.Rand, n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

func run(cfg Config, rs []words.Row) []Finding {
	s := New(cfg)
	for i := range rs {
		s.Observe(&rs[i])
	}
	return s.Findings()
}

func TestHeuristics(t *testing.T) {
	type want struct {
		kind, key, sev string
		events         int      // -1: do not check
		reason         []string // substrings
	}
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name  string
		build func(b *rows)
		want  []want // nil: no finding
	}{
		{"port scan", func(b *rows) {
			for i := range 30 {
				probe(b, time.Duration(i)*5*time.Second, "203.0.113.5", "10.0.1.20", int32(1000+i))
			}
			// the target answers a probe of port 1003 (a SYN-ACK)
			b.add(words.Row{Format: "vpcflow", Time: at(15*time.Second + 20*time.Millisecond), SrcIP: "10.0.1.20", DstIP: "203.0.113.5",
				Proto: "tcp", SrcPort: 1003, DstPort: 40001, FlowPackets: 1, FlowBytes: 44, Action: "ACCEPT"})
		}, []want{{KindPortScan, "203.0.113.5", SeverityMedium, 31, []string{"30 targets", "10.0.1.20", "2m25s", "30 of 30 probe flows rejected", "answered from port 1003"}}}},
		{"port scan over hosts, tiny accepted flows", func(b *rows) {
			for i := range 25 {
				b.add(words.Row{Format: "nfdump", Time: at(time.Duration(i) * time.Second), SrcIP: "10.0.3.3", DstIP: fmt.Sprintf("10.0.1.%d", i),
					Proto: "tcp", DstPort: 445, FlowPackets: 1, FlowBytes: 40})
			}
		}, []want{{KindPortScan, "10.0.3.3", SeverityHigh, 25, []string{"25 targets", "1 distinct ports on 25 hosts"}}}},
		{"port scan near miss: 24 targets", func(b *rows) {
			for i := range 24 {
				probe(b, time.Duration(i)*5*time.Second, "203.0.113.5", "10.0.1.20", int32(1000+i))
			}
			for range 10 { // repeats add no target
				probe(b, 3*time.Minute, "203.0.113.5", "10.0.1.20", 1000)
			}
		}, nil},
		{"port scan near miss: 40 ports over an hour and a half", func(b *rows) {
			for i := range 40 {
				probe(b, time.Duration(i)*2*time.Minute+time.Duration(i)*time.Second, "203.0.113.5", "10.0.1.20", int32(1000+i))
			}
		}, nil},
		{"port scan near miss: real connections are no probes", func(b *rows) {
			for i := range 40 {
				b.add(words.Row{Format: "vpcflow", Time: at(time.Duration(i) * time.Second), SrcIP: "10.0.3.3", DstIP: "10.0.1.20",
					Proto: "tcp", DstPort: int32(1000 + i), FlowPackets: 8, FlowBytes: 4000, Action: "ACCEPT"})
				b.add(words.Row{Format: "vpcflow", Time: at(time.Duration(i) * time.Second), SrcIP: "10.0.3.4", DstIP: "10.0.1.20",
					Proto: "icmp", DstPort: int32(i), FlowPackets: 1, FlowBytes: 84, Action: "REJECT"})
			}
		}, nil},

		{"beaconing", func(b *rows) {
			for i := range 20 {
				d := time.Duration(i)*5*time.Minute + time.Duration(r.IntN(2000))*time.Millisecond
				web(b, d, "10.0.4.4", "c2.example.xyz")
				if i%5 == 0 { // a retry right after is the same beat
					web(b, d+300*time.Millisecond, "10.0.4.4", "c2.example.xyz")
				}
			}
			for i := range 30 { // an ordinary site, other clients too
				web(b, time.Duration(r.IntN(5*3600))*time.Second, fmt.Sprintf("10.0.4.%d", 10+i%3), "news.example.com")
			}
		}, []want{{KindBeaconing, "10.0.4.4", SeverityHigh, 24, []string{"c2.example.xyz 20 times", "every 5m", "24 requests", "no other client"}}}},
		{"beaconing near miss: jittery", func(b *rows) {
			d := time.Duration(0)
			for range 30 {
				web(b, d, "10.0.4.4", "c2.example.xyz")
				d += time.Duration(150+r.IntN(300)) * time.Second // 150-450 s
			}
		}, nil},
		{"beaconing near miss: 11 beats", func(b *rows) {
			for i := range 11 {
				web(b, time.Duration(i)*10*time.Minute, "10.0.4.4", "c2.example.xyz")
			}
		}, nil},
		{"beaconing near miss: too fast (a page's requests)", func(b *rows) {
			for i := range 50 {
				web(b, time.Duration(i)*5*time.Second, "10.0.4.4", "cdn.example.com")
			}
		}, nil},

		{"dns tunnelling", func(b *rows) {
			for i := range 25 {
				dns(b, time.Duration(i)*2*time.Second, "10.0.2.2", randName(r, 45)+".tun.example.xyz")
			}
		}, []want{{KindDNSTunneling, "10.0.2.2", SeverityMedium, 25, []string{"25 random names under example.xyz", "48s", "subdomains of 49 characters"}}}},
		{"dns near misses", func(b *rows) {
			for i := range 30 {
				d := time.Duration(i) * time.Second
				dns(b, d, "10.0.2.2", randName(r, 20)+".short.example.xyz")                    // short
				dns(b, d, "10.0.2.3", strings.Repeat("ab", 25)+fmt.Sprint(i%2)+".example.xyz") // long, low entropy
				dns(b, d, "10.0.2.4", "k3jd8s7f6g5h4j3k2l1qwertyuiopzxcvbnm.example.xyz")      // one name, repeated
				dns(b, d, "10.0.2.5", randName(r, 45)+".telemetry.allowed.example")            // allow-listed
				dns(b, d, "10.0.2.6", randName(r, 45))                                         // no registrable domain
			}
			for i := range 19 {
				dns(b, time.Duration(i)*time.Second, "10.0.2.7", randName(r, 45)+".example.xyz") // 19 names
			}
		}, nil},

		{"ssh brute force on a honeypot", func(b *rows) {
			cowrie(b, 0, "198.51.100.9", "cowrie.session.connect")
			for i := range 15 {
				cowrie(b, time.Second+time.Duration(i)*2*time.Second, "198.51.100.9", "cowrie.login.failed")
			}
			cowrie(b, 35*time.Second, "198.51.100.9", "cowrie.session.closed")
			cowrie(b, 2*time.Hour, "198.51.100.9", "cowrie.session.connect") // later: not in the finding
		}, []want{{KindSSHBruteForce, "198.51.100.9", SeverityLow, 17, []string{"failed 15 SSH logins in 28s (15 on honeypots)"}}}},
		{"ssh brute force on a host, then a login", func(b *rows) {
			for i := range 14 {
				d := time.Duration(i) * 3 * time.Second
				sshd(b, d, "198.51.100.10", "Invalid user u"+fmt.Sprint(i)+" from 198.51.100.10 port 40000", "u"+fmt.Sprint(i))
				sshd(b, d+time.Second, "198.51.100.10", "Failed password for invalid user u"+fmt.Sprint(i)+" from 198.51.100.10 port 40000 ssh2", "u"+fmt.Sprint(i))
			}
			sshd(b, time.Minute, "198.51.100.10", "Accepted password for deploy from 198.51.100.10 port 40000 ssh2", "deploy")
		}, []want{{KindSSHBruteForce, "198.51.100.10", SeverityHigh, 29, []string{"failed 14 SSH logins", "14 on bastion-1", "logged in as deploy on bastion-1"}}}},
		{"ssh near misses", func(b *rows) {
			for i := range 13 { // 13 failures
				sshd(b, time.Duration(i)*time.Second, "198.51.100.11", "Failed password for root from 198.51.100.11 port 4000 ssh2", "root")
			}
			for i := range 30 { // 30 failures, one every 30 s
				cowrie(b, time.Duration(i)*30*time.Second, "198.51.100.12", "cowrie.login.failed")
			}
			for i := range 20 { // an admin's many logins
				sshd(b, time.Duration(i)*time.Second, "10.0.9.9", "Accepted publickey for ops from 10.0.9.9 port 4000 ssh2", "ops")
			}
			for i := range 20 { // other programs' failures
				b.add(words.Row{Format: "syslog", Time: at(time.Duration(i) * time.Second), App: "su", SrcIP: "198.51.100.13", Message: "Failed su for root"})
			}
		}, nil},

		{"hdfs mass delete", func(b *rows) {
			for i := range 30 {
				hdfs(b, time.Duration(i)*200*time.Millisecond, "mallory", "delete", fmt.Sprintf("/user/hive/warehouse/sales.db/orders/dt=2026-10-%02d", i+1), i%5 != 0)
			}
		}, []want{
			{KindHDFSMassDelete, "mallory", SeverityMedium, 30, []string{"deleted 30 paths in 6s (6 denied)", "/user/hive/warehouse (30)"}},
		}},
		{"hdfs near misses", func(b *rows) {
			for i := range 24 { // 24 paths
				hdfs(b, time.Duration(i)*time.Second, "mallory", "delete", fmt.Sprintf("/data/x/%d", i), true)
			}
			for i := range 200 { // a busy user deleting slowly
				hdfs(b, time.Duration(i)*30*time.Second, "etl", "delete", fmt.Sprintf("/tmp/etl/_temporary/%d", i), true)
			}
			for range 40 { // one path again and again
				hdfs(b, time.Second, "spark", "delete", "/tmp/spark/x", true)
			}
			for i := range 19 { // 19 denied
				hdfs(b, time.Duration(i)*time.Second, "eve", "listStatus", "/user/hive/warehouse/hr.db/employees", false)
			}
		}, nil},
		{"hdfs denied burst", func(b *rows) {
			for i := range 22 {
				cmd := "listStatus"
				if i%2 == 0 {
					cmd = "open"
				}
				hdfs(b, time.Duration(i)*10*time.Second, "eve", cmd, "/user/hive/warehouse/hr.db/employees", false)
			}
		}, []want{{KindHDFSDeniedBurst, "eve", SeverityMedium, 22, []string{"was denied 22 operations in 3m30s (listStatus 11, open 11)", "/user/hive/warehouse (22)"}}}},

		{"exfiltration", func(b *rows) {
			for i := range 4 {
				d := time.Duration(i) * 10 * time.Minute
				for _, f := range []string{"vpcflow", "nfdump"} { // both see each upload
					flow(b, d, f, "10.0.6.6", "198.51.100.200", 30<<20)
				}
				flow(b, d+100*time.Millisecond, "vpcflow", "198.51.100.200", "10.0.6.6", 500<<10) // the acks back
			}
		}, []want{{KindExfiltration, "10.0.6.6", SeverityMedium, 12, []string{"sent 120 MiB to 198.51.100.200 in 4 flows of 30 MiB", "10:00-10:30 UTC", "seen by nfdump, vpcflow"}}}},
		{"exfiltration near misses", func(b *rows) {
			for i := range 3 {
				d := time.Duration(i) * 10 * time.Minute
				flow(b, d, "vpcflow", "10.0.6.6", "198.51.100.200", 30<<20) // 90 MiB
				flow(b, d, "vpcflow", "198.51.100.7", "10.0.6.7", 60<<20)   // a download
				flow(b, d, "vpcflow", "10.0.6.8", "10.0.7.7", 60<<20)       // internal backup
			}
			for i := range 400 { // many small uploads
				flow(b, time.Duration(i)*time.Second, "vpcflow", "10.0.6.9", "198.51.100.201", 500<<10)
			}
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b rows
			c.build(&b)
			cfg := Defaults()
			cfg.TunnelAllowDomains = []string{"allowed.example"}
			fs := run(cfg, b.out)
			if len(fs) != len(c.want) {
				for _, f := range fs {
					t.Logf("got %s %s %s: %s (%d events)", f.Kind, f.Severity, f.Key, f.Reason, len(f.EventIDs))
				}
				t.Fatalf("%d findings, want %d", len(fs), len(c.want))
			}
			for i, w := range c.want {
				f := fs[i]
				if f.Kind != w.kind || f.Key != w.key || f.Severity != w.sev || w.events >= 0 && len(f.EventIDs) != w.events {
					t.Errorf("got %s %s %s with %d events, want %s %s %s with %d\n%s", f.Kind, f.Key, f.Severity, len(f.EventIDs),
						w.kind, w.key, w.sev, w.events, f.Reason)
				}
				for _, sub := range w.reason {
					if !strings.Contains(f.Reason, sub) {
						t.Errorf("reason %q lacks %q", f.Reason, sub)
					}
				}
				checkFinding(t, f, b.out)
			}
		})
	}
}

// checkFinding: event ids known, unique, by time; First and Last theirs.
func checkFinding(t *testing.T, f Finding, rs []words.Row) {
	t.Helper()
	byID := map[string]time.Time{}
	for _, r := range rs {
		byID[r.EventID] = r.Time
	}
	seen := map[string]bool{}
	var prev time.Time
	for i, id := range f.EventIDs {
		tm, ok := byID[id]
		switch {
		case !ok:
			t.Errorf("unknown event id %q", id)
		case seen[id]:
			t.Errorf("event %s twice", id)
		case i > 0 && tm.Before(prev):
			t.Errorf("events out of time order at %d", i)
		}
		seen[id] = true
		prev = tm
	}
	if len(f.EventIDs) > 0 && (!f.First.Equal(byID[f.EventIDs[0]]) || !f.Last.Equal(byID[f.EventIDs[len(f.EventIDs)-1]])) {
		t.Errorf("first %s last %s do not match the events", f.First, f.Last)
	}
	if f.First.Location() != time.UTC {
		t.Errorf("first %s not in UTC", f.First)
	}
}

// everything builds one row set with a finding of each kind.
func everything() []words.Row {
	var b rows
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 30 {
		probe(&b, time.Duration(i)*time.Second, "203.0.113.5", "10.0.1.20", int32(1000+i))
		dns(&b, time.Duration(i)*time.Second, "10.0.2.2", randName(r, 40)+".example.xyz")
		hdfs(&b, time.Duration(i)*time.Second, "mallory", "delete", fmt.Sprint("/x/", i), false)
		cowrie(&b, time.Duration(i)*time.Second, "198.51.100.9", "cowrie.login.failed")
		web(&b, time.Duration(i)*10*time.Minute, "10.0.4.4", "c2.example.xyz")
		if i < 5 {
			flow(&b, time.Duration(i)*time.Minute, "vpcflow", "10.0.6.6", "198.51.100.200", 30<<20)
		}
	}
	b.add(words.Row{Format: "navigator", Source: "navigator", Time: at(time.Hour), UserName: "quinn", EventType: "DROPTABLE",
		Action: "allowed", Message: "DROP TABLE finance.ledger PURGE"})
	return b.out
}

// TestOrder: the same findings whatever the order of the rows, sorted by
// kind, key and first time.
func TestOrder(t *testing.T) {
	rs := everything()
	want := run(Defaults(), rs)
	var kinds []string
	for _, f := range want {
		kinds = append(kinds, f.Kind)
	}
	if !slices.Equal(kinds, Kinds()) {
		t.Fatalf("kinds %v, want one of each of %v", kinds, Kinds())
	}
	if !slices.IsSortedFunc(want, func(a, b Finding) int {
		return strings.Compare(a.Kind+"\x00"+a.Key, b.Kind+"\x00"+b.Key)
	}) {
		t.Error("findings not sorted")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 3 {
		r.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
		if got := run(Defaults(), rs); !reflect.DeepEqual(got, want) {
			t.Fatal("findings depend on the order of the rows")
		}
	}
	// Observing the rows twice changes nothing.
	if got := run(Defaults(), append(slices.Clone(rs), rs...)); !reflect.DeepEqual(got, want) {
		t.Error("a row observed twice changes the findings")
	}
}

// TestCopies: Observe keeps no reference into the caller's strings.
func TestCopies(t *testing.T) {
	want := run(Defaults(), everything())
	s := New(Defaults())
	var buf []byte
	var r words.Row
	alias := func(v string) string { // v in a buffer the caller overwrites
		if v == "" {
			return ""
		}
		buf = append(buf[:0], v...)
		return unsafe.String(&buf[0], len(buf))
	}
	for _, row := range everything() {
		r = row
		// Each field in a buffer of its own, wiped after Observe.
		var bufs [][]byte
		for _, p := range []*string{&r.EventID, &r.Source, &r.SrcIP, &r.DstIP, &r.HTTPHost, &r.DNSQuery, &r.UserName,
			&r.EventType, &r.Action, &r.FilePath, &r.DvcHost, &r.Message, &r.Proto, &r.App} {
			buf = nil
			*p = alias(*p)
			bufs = append(bufs, buf)
		}
		s.Observe(&r)
		for _, b := range bufs {
			for i := range b {
				b[i] = '#'
			}
		}
	}
	if got := s.Findings(); !reflect.DeepEqual(got, want) {
		t.Error("findings changed when the caller reused its buffers")
		for _, f := range got {
			t.Logf("%s %s: %s", f.Kind, f.Key, f.Reason)
		}
	}
}

func TestCap(t *testing.T) {
	var b rows
	for i := range 60 {
		hdfs(&b, time.Duration(i)*time.Second, "mallory", "delete", fmt.Sprint("/x/", i), true)
	}
	cfg := Defaults()
	cfg.MaxEventsPerKey = 40
	s := New(cfg)
	for i := range b.out {
		s.Observe(&b.out[i])
	}
	fs := s.Findings()
	if len(fs) != 1 || len(fs[0].EventIDs) != 40 || !strings.Contains(fs[0].Reason, "only the first 40 events of mallory kept; 20 more not") {
		t.Fatalf("%+v", fs)
	}
	if st := s.Stats(); st.Rows != 60 || st.Kept != 40 || st.DroppedEvents != 20 {
		t.Errorf("stats %+v", st)
	}

	// Pairs beyond BeaconMaxPairs are not followed.
	cfg = Defaults()
	cfg.BeaconMaxPairs = 2
	s = New(cfg)
	b = rows{}
	for i := range 5 {
		web(&b, time.Duration(i)*time.Minute, "10.0.4.4", fmt.Sprint("h", i%3, ".example.com"))
	}
	for i := range b.out {
		s.Observe(&b.out[i])
	}
	if st := s.Stats(); st.DroppedPairs != 1 || st.Kept != 4 {
		t.Errorf("stats %+v", st)
	}
}

func TestIgnored(t *testing.T) {
	var b rows
	for i := range 30 {
		probe(&b, time.Duration(i)*time.Second, "203.0.113.5", "10.0.1.20", int32(1000+i))
	}
	no := slices.Clone(b.out)
	for i := range no {
		if i%2 == 0 {
			no[i].Time = time.Time{}
		} else {
			no[i].EventID = ""
		}
	}
	if fs := run(Defaults(), no); len(fs) != 0 {
		t.Errorf("rows without time or id: %v", fs)
	}
	if fs := run(Config{Disable: []string{KindPortScan}}, b.out); len(fs) != 0 {
		t.Errorf("disabled port scans: %v", fs)
	}
	// Odd event ids are kept as they are.
	for i := range b.out {
		b.out[i].EventID = fmt.Sprint("ID-", i)
	}
	fs := run(Config{}, b.out)
	if len(fs) != 1 || fs[0].EventIDs[0] != "ID-0" {
		t.Errorf("odd ids: %+v", fs)
	}
}

func TestValidate(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	c := Config{PortScanPorts: -1, BeaconMaxCV: 2, TunnelWindow: 48 * time.Hour, ExfilFlowBytes: 1 << 40,
		Disable: []string{"port_scans"}, TunnelAllowDomains: []string{" . "}, BeaconMin: 2}
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"port_scan_ports is -1", "beacon_max_cv is 2", "tunnel_window is 48h0m0s", "exfil_flow_bytes",
		`unknown kind "port_scans"`, `" . " is no domain`, "beacon_min is 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		us   int64
		want string
	}{{850_000, "850ms"}, {45_000_000, "45s"}, {192_000_000, "3m12s"}, {180_000_000, "3m"}, {7_500_000_000, "2h5m"}, {7_200_000_000, "2h"}} {
		if got := fmtDur(c.us); got != c.want {
			t.Errorf("fmtDur(%d) = %q, want %q", c.us, got, c.want)
		}
	}
	for _, c := range []struct {
		n    int64
		want string
	}{{512, "512 B"}, {3277, "3.2 KiB"}, {480 << 20, "480 MiB"}, {1288490189, "1.2 GiB"}} {
		if got := fmtBytes(c.n); got != c.want {
			t.Errorf("fmtBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	for _, c := range []struct{ name, reg, sub string }{
		{"a.b.example.co.uk", "example.co.uk", "a.b"},
		{"x.bucket.s3.amazonaws.com", "amazonaws.com", "x.bucket.s3"},
		{"example.com", "example.com", ""},
		{"com", "", ""},
		{"10.0.0.1", "", ""},
	} {
		if reg, sub := words.SplitDomain(c.name); reg != c.reg || sub != c.sub {
			t.Errorf("SplitDomain(%q) = %q, %q", c.name, reg, sub)
		}
	}
	if h := entropy("aabb"); h != 1 {
		t.Errorf("entropy(aabb) = %g", h)
	}
}
