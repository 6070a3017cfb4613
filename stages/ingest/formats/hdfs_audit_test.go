package formats_test

import (
	"testing"
	"time"

	"github.com/spotlake/spotlake/stages/ingest/formats"
)

func TestHdfsAuditAllocs(t *testing.T) {
	checkAllocs(t, "hdfs_audit", "2015-04-24 12:49:16,145 INFO FSNamesystem.audit: allowed=true\tugi=hdfs (auth:SIMPLE)\tip=/10.0.2.15\tcmd=getfileinfo\tsrc=/tmp\tdst=null\tperm=null\tproto=rpc", 1)
}

// log4j writes the NameNode's local time: FileInfo.Location says which.
func TestHdfsAuditLocation(t *testing.T) {
	f, _ := formats.Lookup("hdfs_audit")
	p, err := f.New(formats.FileInfo{Location: time.FixedZone("PDT", -7*3600)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ev formats.Event
	ev.Reset()
	line := "2015-04-24 12:49:16,145 INFO FSNamesystem.audit: allowed=true\tugi=hdfs (auth:SIMPLE)\tcmd=getfileinfo"
	if err := p.Parse([]byte(line), &ev); err != nil {
		t.Fatal(err)
	}
	if got, want := ev.Time.UTC().Format(time.RFC3339Nano), "2015-04-24T19:49:16.145Z"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
