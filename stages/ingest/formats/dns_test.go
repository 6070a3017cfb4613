package formats

import (
	"strings"
	"testing"
	"time"
)

func TestDNSName(t *testing.T) {
	for _, c := range []struct {
		in, want string
		names    map[int64]string
	}{
		{"1", "A", dnsTypes}, {"28", "AAAA", dnsTypes}, {"0x001c", "AAAA", dnsTypes}, {"251", "251", dnsTypes},
		{"0x00fb", "251", dnsTypes}, {"AAAA", "AAAA", dnsTypes}, {"", "", dnsTypes},
		{"0x00000001", "IN", dnsClasses}, {"0x8001", "32769", dnsClasses}, {"3", "CH", dnsClasses},
		{"0", "NOERROR", dnsRCodes}, {"3", "NXDOMAIN", dnsRCodes}, {"5", "REFUSED", dnsRCodes}, {"23", "23", dnsRCodes},
	} {
		if got := dnsName(c.in, c.names); got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDNSSplit(t *testing.T) {
	for in, want := range map[string]string{
		`a,b,,c`:                   `a|b||c`,
		`"a,1",b`:                  `a,1|b`,
		`"a ""q""",b`:              `a "q"|b`,
		`"Jan 10, 2017 x",1.5,"",`: `Jan 10, 2017 x|1.5||`,
		`"unbalanced,b`:            `"unbalanced|b`,
		`x`:                        `x`,
	} {
		if got := strings.Join(dnsSplit(in, nil), "|"); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestDNSFrameTimeFallback(t *testing.T) {
	f, _ := Lookup("dns")
	p, err := f.New(FileInfo{Location: time.UTC}, Options{"fields": "frame.time,ip.src,dns.qry.name"})
	if err != nil {
		t.Fatal(err)
	}
	var ev Event
	ev.Reset()
	if err := p.Parse([]byte(`Jan  5, 2017 16:52:21.593834000 UTC,10.0.0.1,a.example`), &ev); err != nil {
		t.Fatal(err)
	}
	if got := ev.Time.Format(time.RFC3339Nano); got != "2017-01-05T16:52:21.593834Z" || ev.DNSQuery != "a.example" {
		t.Errorf("time %s, query %q", got, ev.DNSQuery)
	}
	if _, err := f.New(FileInfo{}, Options{"fields": "ip.src,dns.a"}); err == nil {
		t.Error("fields without a time accepted")
	}
}
