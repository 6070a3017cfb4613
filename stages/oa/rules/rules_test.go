package rules

import (
	"strings"
	"testing"
	"time"
)

func TestValidateGood(t *testing.T) {
	good := []Rule{
		{Name: "hdfs_mass_delete", Source: "hdfs_audit", GroupBy: []string{"user_name", "event_type"}, Window: time.Hour,
			When: "event_type = 'delete' and count > 20", Severity: "high"},
		{Name: "port_scan", GroupBy: []string{"src_ip"}, When: "distinct_dst_ports >= 100 -- a comment\n and src_ip NOT LIKE '10.%'"},
		{Name: "day_total", Window: 24 * time.Hour, When: "count > 1000000"},
		{Name: "exfil", GroupBy: []string{"src_ip", "dst_ip"}, Window: 15 * time.Minute,
			When: "bytes > 1e8 and hour(window_start) between 0 and 5 and window_end - window_start = INTERVAL 15 MINUTE"},
		{Name: "denied_ratio", GroupBy: []string{"user_name"}, When: "denied::DOUBLE / count > 0.5 and count >= 10 and user_name IS NOT NULL"},
		{Name: "odd_ports", GroupBy: []string{"dst_port", "proto"}, When: "dst_port NOT IN (22, 80, 443) AND coalesce(proto, '') = 'tcp' AND packets > 10"},
		{Name: "funcs", GroupBy: []string{"http_host", "dns_qtype"}, Severity: "low",
			When: "regexp_matches(lower(http_host), '\\.(xyz|top)$') or length(http_host) > 60 or starts_with(dns_qtype, 'TX') " +
				"or CASE WHEN distinct_users > 3 THEN true ELSE false END or greatest(distinct_src_ips, distinct_dst_ips) > 500 " +
				"or http_host SIMILAR TO 'a.*' or http_host ~ 'b' or contains(http_host, 'x;y')"},
		{Name: "upper_case_names", GroupBy: []string{"app"}, When: "COUNT > 5 AND App = 'sshd'"},
	}
	if errs := Validate(good); len(errs) > 0 {
		for _, err := range errs {
			t.Error(err)
		}
	}
}

func TestValidateBad(t *testing.T) {
	base := Rule{Name: "r", GroupBy: []string{"user_name"}, When: "count > 1"}
	tests := []struct {
		name string
		edit func(r *Rule)
		want string // in the error text
	}{
		{"empty name", func(r *Rule) { r.Name = "" }, "rules[1].name: is empty"},
		{"bad name", func(r *Rule) { r.Name = "Mass-Delete" }, `rules[1] (Mass-Delete).name: "Mass-Delete": use only a-z, 0-9 and _`},
		{"duplicate name", func(r *Rule) { r.Name = "ok" }, `rules[1] (ok).name: "ok" is also the name of rules[0]`},
		{"bad group-by column", func(r *Rule) { r.GroupBy = []string{"raw"} }, `rules[1] (r).group_by[0]: "raw" is not a column rules can group by`},
		{"group-by injection", func(r *Rule) { r.GroupBy = []string{"x FROM read_csv('/etc/passwd') --"} }, `group_by[0]: "x FROM read_csv('/etc/passwd') --" is not a column`},
		{"group-by twice", func(r *Rule) { r.GroupBy = []string{"src_ip", "src_ip"} }, `group_by[1]: "src_ip" is listed twice`},
		{"window not dividing a day", func(r *Rule) { r.Window = 7 * time.Hour }, "rules[1] (r).window: 7h0m0s: must be whole minutes that divide 24h"},
		{"window too short", func(r *Rule) { r.Window = time.Second }, "window: 1s: must be at least 1m"},
		{"negative window", func(r *Rule) { r.Window = -time.Hour }, "window: -1h0m0s: must be at least 1m"},
		{"severity", func(r *Rule) { r.Severity = "critical" }, `rules[1] (r).severity: "critical": want low, medium or high`},
		{"empty when", func(r *Rule) { r.When = "  " }, "rules[1] (r).when: is empty"},
		{"unknown aggregate", func(r *Rule) { r.When = "count_if_delete > 20" }, `rules[1] (r).when: uses unknown column or aggregate "count_if_delete" (known: user_name, count, distinct_dst_ips`},
		{"column not grouped", func(r *Rule) { r.When = "src_ip = '1.2.3.4'" }, "when: uses column src_ip, which is not in group_by"},
		{"raw event column", func(r *Rule) { r.When = "message = 'x'" }, `uses unknown column or aggregate "message"`},
		{"qualified column", func(r *Rule) { r.When = "agg.count > 1" }, "when: uses agg.count: write the bare column name"},
		{"syntax error", func(r *Rule) { r.When = "count > and 1" }, "rules[1] (r).when: syntax error at or near"},
		{"unbalanced", func(r *Rule) { r.When = "(count > 1" }, "when: syntax error"},
		{"drop table", func(r *Rule) { r.When = "1=1; DROP TABLE agg" }, "rules[1] (r).when: contains ';': give one boolean expression, not statements"},
		{"trailing semicolon", func(r *Rule) { r.When = "count > 1;" }, "contains ';'"},
		{"subquery", func(r *Rule) { r.When = "(SELECT 1) = 1" }, "rules[1] (r).when: uses a subquery, which is not allowed"},
		{"exists", func(r *Rule) { r.When = "EXISTS (SELECT * FROM events)" }, "uses a subquery"},
		{"in subquery", func(r *Rule) { r.When = "user_name IN (SELECT user_name FROM events)" }, "uses a subquery"},
		{"read_csv", func(r *Rule) { r.When = "read_csv('/etc/passwd') IS NULL" }, "rules[1] (r).when: uses function read_csv, which is not allowed"},
		{"read_parquet", func(r *Rule) { r.When = "count > (SELECT count(*) FROM read_parquet('s3://b/x.parquet'))" }, "uses a subquery"},
		{"read_parquet scalar", func(r *Rule) { r.When = "read_parquet('x') = 1" }, "uses function read_parquet, which is not allowed"},
		{"glob", func(r *Rule) { r.When = "len(glob('/*')) > 0" }, "uses function len, which is not allowed"},
		{"glob function", func(r *Rule) { r.When = "glob('/*') IS NULL" }, "uses function glob, which is not allowed"},
		{"getenv", func(r *Rule) { r.When = "getenv('AWS_SECRET_ACCESS_KEY') = 'x'" }, "uses function getenv, which is not allowed"},
		{"schema-qualified", func(r *Rule) { r.When = "main.lower(user_name) = 'x'" }, "calls main.lower: call functions by their bare name"},
		{"copy", func(r *Rule) { r.When = "COPY agg TO '/tmp/x.csv'" }, "when: syntax error"},
		{"copy statement", func(r *Rule) { r.When = "true; COPY agg TO '/tmp/x.csv'" }, "contains ';'"},
		{"attach", func(r *Rule) { r.When = "ATTACH '/tmp/x.db'" }, "when: casts to unknown type ATTACH"},
		{"attach statement", func(r *Rule) { r.When = "true; ATTACH '/tmp/x.db' AS x" }, "contains ';'"},
		{"pragma", func(r *Rule) { r.When = "PRAGMA version" }, "when: syntax error"},
		{"set", func(r *Rule) { r.When = "SET enable_external_access = true" }, "when: syntax error"},
		{"breakout union", func(r *Rule) { r.When = "true) AS __when FROM agg UNION ALL SELECT *, (true" }, "must be one boolean expression"},
		{"breakout where", func(r *Rule) { r.When = "true) AS x FROM agg WHERE true UNION SELECT *, (true" }, "must be one boolean expression"},
		{"breakout join", func(r *Rule) { r.When = "true) AS x FROM agg, agg AS b UNION SELECT *, (true" }, "must be one boolean expression"},
		{"breakout subquery", func(r *Rule) { r.When = "true) AS __when, (SELECT 1) AS y, (true" }, "must be one boolean expression"},
		{"postfix", func(r *Rule) { r.When = "count >> > 1" }, "uses postfix operator >>"},
		{"breakout select list", func(r *Rule) { r.When = "true) AS __when, (1" }, "must be one boolean expression"},
		{"unterminated comment", func(r *Rule) { r.When = "count > 1 /* x" }, "unterminated /* comment"},
		{"not boolean", func(r *Rule) { r.When = "count + 1" }, "when: is of type BIGINT, not a boolean"},
		{"aggregate call", func(r *Rule) { r.When = "count(*) > 10" }, "when: calls count(...): the aggregates are columns here"},
		{"sum call", func(r *Rule) { r.When = "sum(bytes) > 10" }, "uses function sum, which is not allowed"},
		{"window function", func(r *Rule) { r.When = "count > avg(count) OVER ()" }, "uses a window function"},
		{"lambda", func(r *Rule) { r.When = "list_filter([1], x -> x > 1) = [2]" }, "not allowed"},
		{"parameter", func(r *Rule) { r.When = "count > $1" }, "uses a parameter"},
		{"star", func(r *Rule) { r.When = "COLUMNS(*) > 1" }, "not allowed"},
		{"bad types", func(r *Rule) { r.When = "lower(count) = 'x'" }, "rules[1] (r).when: Binder Error: No function matches"},
		{"type mismatch", func(r *Rule) { r.When = "window_start > 5" }, "when: "},
		{"current_setting", func(r *Rule) { r.When = "current_setting('threads') = 2" }, "uses function current_setting"},
		{"nul", func(r *Rule) { r.When = "count > 1\x00" }, "contains a NUL byte"},
		{"long", func(r *Rule) { r.When = "count > 1" + strings.Repeat(" or count > 1", maxWhen/10) }, "more than 4096"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			tc.edit(&r)
			errs := Validate([]Rule{{Name: "ok", When: "count > 1"}, r})
			if len(errs) == 0 {
				t.Fatalf("no error, want %q", tc.want)
			}
			var all []string
			for _, err := range errs {
				all = append(all, err.Error())
			}
			got := strings.Join(all, "\n")
			if !strings.Contains(got, tc.want) {
				t.Errorf("got\n  %s\nwant it to contain\n  %s", got, tc.want)
			}
			t.Log(got)
		})
	}
}

// TestValidateAll: every problem at once, each naming its rule.
func TestValidateAll(t *testing.T) {
	errs := Validate([]Rule{
		{Name: "a", When: "count > 1"},
		{Name: "b", GroupBy: []string{"nope"}, When: "read_csv('x')", Severity: "urgent"},
		{Name: "a", When: "1=1; DROP TABLE agg"},
	})
	want := []string{
		`rules[1] (b).group_by[0]: "nope" is not a column`,
		`rules[1] (b).severity: "urgent"`,
		`rules[1] (b).when: uses function read_csv, which is not allowed`,
		`rules[2] (a).name: "a" is also the name of rules[0]`,
		`rules[2] (a).when: contains ';'`,
	}
	if len(errs) != len(want) {
		t.Fatalf("%d errors, want %d: %v", len(errs), len(want), errs)
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("error %d: %q, want prefix %q", i, errs[i], w)
		}
	}
}

func TestHasSemicolon(t *testing.T) {
	for s, want := range map[string]bool{
		"a = 'x;y'":         false,
		`"we;ird" = 1`:      false,
		"a = 1 -- x;y\n":    false,
		"a = 1 /* ; */ ":    false,
		"a = 1; b":          true,
		"a = 'x' ; b":       true,
		"a = 'it''s'; drop": true,
	} {
		if got := hasSemicolon(s); got != want {
			t.Errorf("hasSemicolon(%q) = %v", s, got)
		}
	}
}
