package formats_test

import (
	"testing"
	"time"

	"github.com/spotlake/spotlake/stages/ingest/formats"
)

func TestSyslogAllocs(t *testing.T) {
	checkAllocs(t, "syslog", "<166>Jan  5 08:52:35 10.22.8.216 %ASA-6-302021: Teardown ICMP connection for faddr 10.22.8.74/0", 1)
	checkAllocs(t, "syslog", "Feb 23 00:13:35 localhost sshd[7483]: Accepted password for vagrant from 192.168.33.1 port 58803 ssh2", 1)
	checkAllocs(t, "syslog", "<14>1 2014-06-20T09:14:07+00:00 loggregator d0602076 DEA - - Removing instance", 1)
}

// The golden files run in UTC; RFC 3164 times are local to FileInfo.Location,
// RFC 5424 times carry their own offset.
func TestSyslogLocation(t *testing.T) {
	f, _ := formats.Lookup("syslog")
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		loc  *time.Location
		line string
		want string
	}{
		{time.FixedZone("EST", -5*3600), "Nov 21 10:00:00 host app: x", "2026-11-21T15:00:00Z"},
		{nil, "Nov 21 10:00:00 host app: x", "2026-11-21T10:00:00Z"},
		{time.FixedZone("EST", -5*3600), "<14>1 2026-11-21T10:00:00+01:00 host app - - - x", "2026-11-21T09:00:00Z"},
	} {
		p, err := f.New(formats.FileInfo{Day: day, Location: tc.loc}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ev formats.Event
		ev.Reset()
		if err := p.Parse([]byte(tc.line), &ev); err != nil {
			t.Fatal(err)
		}
		if got := ev.Time.UTC().Format(time.RFC3339); got != tc.want {
			t.Errorf("%q in %v: got %s, want %s", tc.line, tc.loc, got, tc.want)
		}
	}
}
