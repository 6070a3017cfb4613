package orchestrator_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/schemas"
)

func oaReport(t *testing.T, r orchestrator.RunReport) orchestrator.StageReport {
	t.Helper()
	for _, s := range r.Stages {
		if s.Name == orchestrator.StageOA {
			if s.OA == nil {
				t.Fatalf("oa stage without its report: %+v", s)
			}
			return s
		}
	}
	t.Fatalf("no oa stage in %+v", r)
	return orchestrator.StageReport{}
}

type suspRow struct {
	eventID, source, origin, kind, severity, reason, document, word string
	rank                                                            int32
}

func readSuspicious(t *testing.T, pl *orchestrator.Pipeline, day time.Time) []suspRow {
	t.Helper()
	tbl := testutil.LoadTable(t, pl, schemas.Suspicious)
	if tbl.CurrentSnapshot() == nil {
		return nil
	}
	_, recs, err := tbl.Scan(table.WithRowFilter(iceberg.EqualTo(iceberg.Reference("input_day"), iceberg.Date(day.Unix()/86400)))).ToArrowRecords(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []suspRow
	for rec, err := range recs {
		if err != nil {
			t.Fatal(err)
		}
		idx := map[string]int{}
		for i, f := range rec.Schema().Fields() {
			idx[f.Name] = i
		}
		s := func(c string, i int) string {
			a := rec.Column(idx[c]).(*array.String)
			if a.IsValid(i) {
				return a.Value(i)
			}
			return ""
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			out = append(out, suspRow{s("event_id", i), s("source", i), s("origin", i), s("kind", i), s("severity", i), s("reason", i),
				s("document", i), s("word", i), rec.Column(idx["rank"]).(*array.Int32).Value(i)})
		}
		rec.Release()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rank < out[j].rank })
	return out
}

// TestOAFindsPlantedAttacksAndAlertsOnce: the daily run's oa stage puts the
// planted attacks in suspicious with reasons, raises the configured alert
// once, posts it to the webhook, and a rerun neither re-alerts nor re-posts.
func TestOAFindsPlantedAttacksAndAlertsOnce(t *testing.T) {
	var posts atomic.Int32
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body.Store(string(b))
		posts.Add(1)
	}))
	defer srv.Close()
	t.Setenv("TEST_SPOTLAKE_WEBHOOK", srv.URL+"/hooks/secret-path")

	p := testutil.NewProject(t)
	p.Config.OA.WebhookEnv = "TEST_SPOTLAKE_WEBHOOK"
	p.Config.OA.Rules = []config.AlertRule{{
		Name: "hdfs_mass_delete", Source: "hdfs_audit", GroupBy: []string{"user_name", "event_type"},
		Window: config.Duration{Duration: time.Hour}, When: "event_type = 'delete' and count > 20", Severity: "high",
	}}
	if err := p.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	p.Generate(t, 1, testutil.Day, 1)
	pl := p.Open(t)
	rep := testutil.Run(t, pl, orchestrator.RunOptions{})[0]
	if !rep.OK() {
		t.Fatalf("run: %+v", rep)
	}
	st := oaReport(t, rep)
	if st.OA.Alerts != 1 || st.OA.Notified != 1 || posts.Load() != 1 {
		t.Fatalf("alerts %d notified %d posts %d: %+v", st.OA.Alerts, st.OA.Notified, posts.Load(), st.OA)
	}
	if b, _ := body.Load().(string); !strings.Contains(b, "hdfs_mass_delete") {
		t.Errorf("webhook body lacks the rule: %s", b)
	}

	susp := readSuspicious(t, pl, testutil.Day)
	if len(susp) != st.OA.Suspicious || len(susp) == 0 {
		t.Fatalf("suspicious has %d rows, report %d", len(susp), st.OA.Suspicious)
	}
	for i, s := range susp {
		if s.rank != int32(i+1) || s.reason == "" || s.severity == "" {
			t.Fatalf("row %d: %+v", i, s)
		}
	}
	planted := truth(t, p.Config.Raw, testutil.Day)
	k := min(2*len(planted), len(susp))
	byKind := map[string]int{}
	found := 0
	for _, s := range susp[:k] {
		if kind, ok := planted[s.eventID]; ok {
			byKind[kind]++
			found++
		}
	}
	want := map[string]int{}
	for _, kind := range planted {
		want[kind]++
	}
	recall := float64(found) / float64(len(planted))
	t.Logf("suspicious recall@%d = %.2f; found %v of planted %v", k, recall, byKind, want)
	if recall < 0.8 {
		t.Errorf("recall@2k of suspicious = %.2f, want >= 0.8", recall)
	}
	for _, kind := range []string{"port_scan", "dns_tunneling", "ssh_brute_force", "hdfs_mass_delete", "beaconing", "exfiltration"} {
		if byKind[kind] == 0 {
			t.Errorf("no planted %s in the top of suspicious", kind)
		}
	}
	// Every rare admin command, the world-writable setPermission included
	// (its permission is read from attrs).
	if want["rare_admin_command"] == 0 || byKind["rare_admin_command"] != want["rare_admin_command"] {
		t.Errorf("rare admin commands found %d of %d", byKind["rare_admin_command"], want["rare_admin_command"])
	}
	writable := false
	for _, s := range susp {
		writable = writable || strings.Contains(s.reason, "writable by anyone (rwxrwxrwx)")
	}
	if !writable {
		t.Error("no suspicious row for the world-writable setPermission")
	}

	// Rerun the stage: the alert is known, nothing is posted again.
	again := oaReport(t, testutil.Run(t, pl, orchestrator.RunOptions{Stages: []string{orchestrator.StageOA}})[0])
	if again.OA.Alerts != 0 || again.OA.AlertsKnown != 1 || posts.Load() != 1 {
		t.Errorf("rerun: new %d known %d posts %d", again.OA.Alerts, again.OA.AlertsKnown, posts.Load())
	}
	if n := len(readSuspicious(t, pl, testutil.Day)); n != again.OA.Suspicious {
		t.Errorf("rerun left %d suspicious rows, report %d", n, again.OA.Suspicious)
	}
}

// TestWebhookFailureNeverFailsTheRun: the alert is stored unposted.
func TestWebhookFailureNeverFailsTheRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer srv.Close()
	t.Setenv("TEST_SPOTLAKE_WEBHOOK", srv.URL)
	p := testutil.NewProject(t)
	p.Config.OA.WebhookEnv = "TEST_SPOTLAKE_WEBHOOK"
	p.Config.OA.Rules = []config.AlertRule{{Name: "many_deletes", Source: "hdfs_audit", GroupBy: []string{"user_name"},
		Window: config.Duration{Duration: time.Hour}, When: "count > 20", Severity: "medium"}}
	p.Generate(t, 1, testutil.Day, 1, "hdfs_audit")
	pl := p.Open(t)
	rep := testutil.Run(t, pl, orchestrator.RunOptions{})[0]
	st := oaReport(t, rep)
	if !rep.OK() || st.OA.Alerts == 0 || st.OA.NotifyFailed != st.OA.Alerts || st.OA.Notified != 0 {
		t.Fatalf("run %v: %+v", rep.Status, st.OA)
	}
	if strings.Contains(st.Message, srv.URL) {
		t.Errorf("the webhook URL leaked into the report: %s", st.Message)
	}
}

// TestSuppressAndFeedback: a suppress rule removes its matches (counted); a
// benign label on day 1 suppresses the pattern on day 2, a malicious label
// puts it first.
func TestSuppressAndFeedback(t *testing.T) {
	p := testutil.NewProject(t)
	p.Config.Detect.Threshold = 1
	p.Config.OA.Suppress = []config.SuppressRule{{Name: "honeypots", Source: "cowrie"}}
	p.Generate(t, 2, testutil.Day, 1)
	pl := p.Open(t)
	day1, day2 := testutil.Day.AddDate(0, 0, -1), testutil.Day
	reps := testutil.Run(t, pl, orchestrator.RunOptions{}, day1, day2)
	st := oaReport(t, reps[0])
	if st.OA.Suppressed["honeypots"] == 0 {
		t.Errorf("suppress rule matched nothing: %+v", st.OA.Suppressed)
	}
	s1, s2 := readSuspicious(t, pl, day1), readSuspicious(t, pl, day2)
	for _, s := range append(s1, s2...) {
		if s.source == "cowrie" {
			t.Fatalf("suppressed source in suspicious: %+v", s)
		}
	}
	// Patterns that recur: a day-1 score row whose (source, document, word) is also on day 2.
	day2Pat := map[string]bool{}
	for _, s := range s2 {
		if s.origin == "score" {
			day2Pat[s.source+"|"+s.document+"|"+s.word] = true
		}
	}
	var recurring []suspRow
	for _, s := range s1 {
		if s.origin == "score" && day2Pat[s.source+"|"+s.document+"|"+s.word] {
			recurring = append(recurring, s)
		}
	}
	if len(recurring) < 2 {
		t.Fatalf("only %d recurring patterns between the days", len(recurring))
	}
	benign, malicious := recurring[0], recurring[len(recurring)-1]
	if _, err := pl.AddFeedback(context.Background(), benign.eventID, orchestrator.LabelBenign, "our backup job"); err != nil {
		t.Fatal(err)
	}
	if _, err := pl.AddFeedback(context.Background(), malicious.eventID, orchestrator.LabelMalicious, "confirmed"); err != nil {
		t.Fatal(err)
	}
	if _, err := pl.AddFeedback(context.Background(), "no-such-event", orchestrator.LabelBenign, ""); err == nil {
		t.Error("feedback on an unknown event was accepted")
	}
	st2 := oaReport(t, testutil.Run(t, pl, orchestrator.RunOptions{Stages: []string{orchestrator.StageOA}}, day2)[0])
	if st2.OA.Suppressed["feedback"] == 0 || st2.OA.Malicious == 0 {
		t.Fatalf("feedback had no effect: %+v", st2.OA)
	}
	after := readSuspicious(t, pl, day2)
	pat := func(s suspRow) string { return s.source + "|" + s.document + "|" + s.word }
	for _, s := range after {
		if pat(s) == pat(benign) {
			t.Errorf("benign pattern still in suspicious: %+v", s)
		}
	}
	if pat(after[0]) != pat(malicious) || after[0].origin != "feedback" || after[0].severity != "high" {
		t.Errorf("malicious pattern not first: %+v (want %s)", after[0], pat(malicious))
	}
}

// oa.heuristics in the config reaches the stage: a disabled kind and one
// whose threshold is out of reach find nothing, the others still do, and
// the same day run with the defaults finds all of them.
func TestHeuristicsFromConfig(t *testing.T) {
	findings := func(edit func(*config.Config)) map[string]int {
		p := testutil.NewProject(t)
		edit(p.Config)
		if err := p.Config.Validate(); err != nil {
			t.Fatal(err)
		}
		p.Generate(t, 1, testutil.Day, 1)
		rep := testutil.Run(t, p.Open(t), orchestrator.RunOptions{})[0]
		if !rep.OK() {
			t.Fatalf("run: %+v", rep)
		}
		return oaReport(t, rep).OA.Findings
	}
	def := findings(func(*config.Config) {})
	tuned := findings(func(c *config.Config) {
		c.OA.Heuristics.Disable = []string{"port_scan"}
		c.OA.Heuristics.SSHBruteForce.Failures = 100_000
	})
	for _, k := range []string{"port_scan", "ssh_brute_force", "beaconing", "dns_tunneling", "hdfs_mass_delete"} {
		if def[k] == 0 {
			t.Errorf("defaults: no %s finding (%v)", k, def)
		}
	}
	if tuned["port_scan"] != 0 || tuned["ssh_brute_force"] != 0 {
		t.Errorf("tuned: port_scan %d, ssh_brute_force %d, want none (%v)", tuned["port_scan"], tuned["ssh_brute_force"], tuned)
	}
	for _, k := range []string{"beaconing", "dns_tunneling", "hdfs_mass_delete"} {
		if tuned[k] != def[k] {
			t.Errorf("tuned: %s %d, defaults %d: an untouched kind changed", k, tuned[k], def[k])
		}
	}
}
