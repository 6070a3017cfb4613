package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/orchestrator/testutil"
	"github.com/spotlake/spotlake/schemas"
)

// engine spark: ingest's objects run on Spark's executors (local[2]), each
// by this binary's `stage task ingest`, and the tables come out the same as
// the embedded engine's: the same events, rejects and per-object ledger,
// with a broken object failed the same way and reported with its name.
func TestSparkEngineMatchesEmbedded(t *testing.T) {
	submit := testutil.SparkSubmit(t)
	// The executors run this test binary as the CLI (see TestMain).
	t.Setenv("SPOTLAKE_TEST_MAIN", "1")

	project := func(engine string) *testutil.Project {
		p := testutil.NewProject(t)
		p.Generate(t, 1, testutil.Day, 0.05)
		// A gzip file cut short: it must fail as a whole, named, on both.
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(bytes.Repeat([]byte("Nov 21 10:00:00 host sshd[1]: Accepted password for root from 10.0.0.1 port 22 ssh2\n"), 2000))
		zw.Close()
		broken := filepath.Join(p.Config.Raw, "syslog", "dt=2026-11-21", "cut-short.log.gz")
		if err := os.WriteFile(broken, gz.Bytes()[:gz.Len()/2], 0o644); err != nil {
			t.Fatal(err)
		}
		if engine == "spark" {
			y, err := os.ReadFile(p.Config.Path)
			if err != nil {
				t.Fatal(err)
			}
			s := strings.Replace(string(y), "engine: embedded", "engine: spark", 1)
			s += fmt.Sprintf("spark:\n  submit: %s\n  master: local[2]\n  parallelism: 3\n  conf:\n    spark.ui.enabled: \"false\"\n", submit)
			if err := os.WriteFile(p.Config.Path, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			if p.Config, err = config.Load(p.Config.Path); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	emb, spk := project("embedded"), project("spark")

	if code, out, errs := cli(t, "--config", spk.Config.Path, "plan", "--date", "2026-11-21"); code != ExitOK || !strings.Contains(out, "Spark local[2] (engine spark) (3 objects at once") {
		t.Errorf("plan with engine spark: %d\n%s\n%s", code, out, errs)
	}
	var sparkOut string
	for _, p := range []*testutil.Project{emb, spk} {
		code, out, errs := cli(t, "--config", p.Config.Path, "stage", "run", "ingest", "--date", "2026-11-21")
		if code != ExitStageFailed || !strings.Contains(out, "cut-short.log.gz") || !strings.Contains(out, "truncated") {
			t.Fatalf("%s: ingest with one broken object: exit %d\n%s\n%s", p.Config.Engine, code, out, errs)
		}
		sparkOut = out
	}
	ranOn := regexp.MustCompile(`ran on spark local-\S+ \(local\[2\]\): (\d+) tasks, [0-9.]+ CPU-s`).FindStringSubmatch(sparkOut)
	if ranOn == nil {
		t.Fatalf("the spark run does not say where it ran:\n%s", sparkOut)
	}
	logs, _ := filepath.Glob(filepath.Join(spk.Config.State, "logs", "spark-*-ingest-2026-11-21.log"))
	if len(logs) != 1 {
		t.Errorf("spark driver logs: %v", logs)
	}

	ctx := context.Background()
	read := func(p *testutil.Project) (events, rejects, ledger []string) {
		pl, err := orchestrator.Open(ctx, p.Config, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer pl.Close()
		events = testutil.Strings(t, testutil.LoadTable(t, pl, schemas.Events), "event_id")
		rejects = testutil.Rows(t, testutil.LoadTable(t, pl, schemas.EventsRejected), "object", "line_offset", "error")
		ledger = testutil.Rows(t, testutil.LoadTable(t, pl, schemas.IngestFiles), "source", "object", "status", "lines", "rows", "rejects", "checksum")
		return
	}
	runRows := func(p *testutil.Project) []string {
		pl, err := orchestrator.Open(ctx, p.Config, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer pl.Close()
		return testutil.Rows(t, testutil.LoadTable(t, pl, schemas.Runs), "stage", "message")
	}
	if rs := runRows(spk); len(rs) != 1 || !strings.Contains(rs[0], "tasks on spark local-") {
		t.Errorf("the runs row does not say where the tasks ran: %v", rs)
	}
	e1, r1, l1 := read(emb)
	e2, r2, l2 := read(spk)
	if len(e1) == 0 || !slices.Equal(e1, e2) {
		t.Errorf("events: embedded %d, spark %d (or different ids)", len(e1), len(e2))
	}
	if len(r1) == 0 || !slices.Equal(r1, r2) {
		t.Errorf("rejects differ:\n embedded %v\n spark    %v", r1, r2)
	}
	if !slices.Equal(l1, l2) {
		t.Errorf("ingest_files differ:\n embedded %v\n spark    %v", l1, l2)
	}
	if ranOn[1] != strconv.Itoa(len(l2)) {
		t.Errorf("spark ran %s tasks for %d objects", ranOn[1], len(l2))
	}
	failed := 0
	for _, l := range l2 {
		if strings.Contains(l, "cut-short.log.gz") && strings.Contains(l, "|failed|") {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("the broken object is not recorded as failed once: %v", l2)
	}
}

// engine spark with a spark-submit that is not there: the stage fails and
// says which setting to fix.
func TestSparkEngineMissingSubmit(t *testing.T) {
	p := testutil.NewProject(t)
	p.Generate(t, 1, testutil.Day, 0.01, "syslog")
	y, _ := os.ReadFile(p.Config.Path)
	s := strings.Replace(string(y), "engine: embedded", "engine: spark", 1) + "spark:\n  submit: /nonexistent/spark-submit\n"
	os.WriteFile(p.Config.Path, []byte(s), 0o644)
	code, out, errs := cli(t, "--config", p.Config.Path, "stage", "run", "ingest", "--date", "2026-11-21")
	if code != ExitStageFailed || !strings.Contains(out+errs, "spark.submit") {
		t.Fatalf("missing spark-submit: exit %d\n%s\n%s", code, out, errs)
	}
}

// tables ddl: the config's catalog name and namespace, one table or all of
// them, and an unknown table named with what exists.
func TestTablesDDL(t *testing.T) {
	p := testutil.NewProject(t)
	code, out, errs := cli(t, "--config", p.Config.Path, "tables", "ddl", "scores")
	if code != ExitOK || !strings.HasPrefix(out, "CREATE TABLE IF NOT EXISTS `spotlake`.`test`.`scores` (") || !strings.Contains(out, "PARTITIONED BY (`input_day`)") {
		t.Fatalf("tables ddl scores: %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = cli(t, "--config", p.Config.Path, "tables", "ddl", "--namespace", "other")
	if code != ExitOK || !strings.HasPrefix(out, "CREATE NAMESPACE IF NOT EXISTS `spotlake`.`other`;") || strings.Count(out, "CREATE TABLE") != len(schemas.Names()) {
		t.Fatalf("tables ddl: %d\n%s", code, out)
	}
	if code, _, errs := cli(t, "--config", p.Config.Path, "tables", "ddl", "nope"); code != ExitUsage || !strings.Contains(errs, "tables: alerts, events") {
		t.Errorf("unknown table: %d %s", code, errs)
	}
}
