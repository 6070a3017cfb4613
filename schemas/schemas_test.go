package schemas

import (
	"os"
	"strings"
	"testing"
)

func TestTablesLoad(t *testing.T) {
	for _, name := range []string{Events, EventsRejected, IngestFiles, Runs} {
		tbl, ok := Get(name)
		if !ok {
			t.Fatalf("table %s missing", name)
		}
		if _, err := tbl.Spec(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, f := range tbl.Schema.Fields() {
			if f.Doc == "" {
				t.Errorf("%s.%s has no doc", name, f.Name)
			}
		}
	}
	ev := MustGet(Events)
	for _, col := range []string{"src_ip", "dst_ip", "src_port", "dvc_host", "user_name", "http_method", "dns_query", "raw", "event_id", "ingest_run_id", "attrs"} {
		if _, ok := ev.Schema.FindFieldByName(col); !ok {
			t.Errorf("events lacks %s", col)
		}
	}
}

// TestReadmeDocumentsEveryColumn keeps schemas/README.md in step with the
// definitions.
func TestReadmeDocumentsEveryColumn(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names() {
		for _, f := range MustGet(name).Schema.Fields() {
			if !strings.Contains(string(b), "| `"+f.Name+"` |") {
				t.Errorf("README.md does not document %s.%s", name, f.Name)
			}
		}
	}
}
