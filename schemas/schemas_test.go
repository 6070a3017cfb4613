package schemas

import "testing"

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
