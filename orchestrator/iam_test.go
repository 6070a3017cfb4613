package orchestrator_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spotlake/spotlake/orchestrator"
)

var updateIAM = flag.Bool("update", false, "rewrite the IAM golden files under testdata/")

func TestIAMPoliciesGolden(t *testing.T) {
	pols, err := orchestrator.Policies(awsExample(t), "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	if len(pols) != len(orchestrator.IAMRoles) {
		t.Fatalf("%d documents, want %v", len(pols), orchestrator.IAMRoles)
	}
	for _, role := range orchestrator.IAMRoles {
		got, err := json.MarshalIndent(pols[role], "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "iam-"+role+".json")
		if *updateIAM {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./orchestrator -run TestIAMPoliciesGolden -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (rerun with -update after checking the change):\n%s", role, path, got)
		}
	}
}

// iamMutating are the EMR actions that change something.
var iamMutating = map[string]bool{
	"elasticmapreduce:RunJobFlow": true, "elasticmapreduce:TerminateJobFlows": true,
	"elasticmapreduce:AddJobFlowSteps": true, "elasticmapreduce:AddTags": true,
	"elasticmapreduce:CancelSteps": true, "elasticmapreduce:PutAutoTerminationPolicy": true,
}

func TestIAMPolicyInvariants(t *testing.T) {
	cfg := awsExample(t)
	for _, account := range []string{"", "123456789012"} {
		pols, err := orchestrator.Policies(cfg, account)
		if err != nil {
			t.Fatal(err)
		}
		all, _ := json.Marshal(pols)
		text := string(all)
		if account == "" && !strings.Contains(text, orchestrator.AccountPlaceholder) {
			t.Errorf("no account placeholder in %s", text)
		}
		for role, doc := range pols {
			if doc.Version != "2012-10-17" || len(doc.Statement) == 0 {
				t.Errorf("%s: version %q, %d statements", role, doc.Version, len(doc.Statement))
			}
			sids := map[string]bool{}
			for _, st := range doc.Statement {
				if sids[st.Sid] || !regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(st.Sid) {
					t.Errorf("%s: bad or repeated Sid %q", role, st.Sid)
				}
				sids[st.Sid] = true
				if st.Effect != "Allow" || len(st.Action) == 0 || len(st.Resource) == 0 {
					t.Errorf("%s %s: incomplete %+v", role, st.Sid, st)
				}
				for _, a := range st.Action {
					if strings.Contains(a, "*") {
						t.Errorf("%s %s: wildcard action %s", role, st.Sid, a)
					}
					svc := a[:strings.Index(a, ":")]
					for _, r := range st.Resource {
						star := r == "*" || strings.HasSuffix(r, ":*") || r == "arn:aws:s3:::*"
						switch {
						case (svc == "s3" || svc == "glue" || svc == "iam" || svc == "route53") && star:
							t.Errorf("%s %s: %s on resource %q", role, st.Sid, a, r)
						case iamMutating[a] && star:
							c, _ := json.Marshal(st.Condition)
							if !strings.Contains(string(c), "aws:RequestTag/spotlake:pipeline") {
								t.Errorf("%s %s: %s on %q without the pipeline tag condition", role, st.Sid, a, r)
							}
						case svc == "elasticmapreduce" && !star:
							c, _ := json.Marshal(st.Condition)
							if !strings.Contains(string(c), "Tag/spotlake:pipeline\":\""+cfg.Pipeline) {
								t.Errorf("%s %s: %s not conditioned on the pipeline tag", role, st.Sid, a)
							}
						}
					}
				}
			}
		}
		// Every bucket and prefix of the config appears, in the controller
		// and the nodes' documents.
		for _, role := range []string{orchestrator.IAMController, orchestrator.IAMInstanceProfile} {
			doc, _ := json.Marshal(pols[role])
			for _, u := range []string{cfg.Warehouse, cfg.Raw, cfg.AWS.Artifacts, cfg.AWS.Logs} {
				bucket, prefix, _ := strings.Cut(strings.TrimPrefix(u, "s3://"), "/")
				want := []string{"\"arn:aws:s3:::" + bucket + "\"", "\"" + prefix + "/*\""}
				if u != cfg.Raw || role != orchestrator.IAMController { // the controller only lists raw
					want = append(want, "arn:aws:s3:::"+bucket+"/"+prefix+"/*")
				}
				for _, w := range want {
					if !strings.Contains(string(doc), w) {
						t.Errorf("%s: no %s", role, w)
					}
				}
			}
			if !strings.Contains(string(doc), "database/"+cfg.Pipeline+"\"") || !strings.Contains(string(doc), "table/"+cfg.Pipeline+"/*") {
				t.Errorf("%s: no Glue database/table of %s", role, cfg.Pipeline)
			}
		}
		// The nodes get nothing but S3 and Glue, and never write raw input.
		node, _ := json.Marshal(pols[orchestrator.IAMInstanceProfile])
		for _, a := range regexp.MustCompile(`"([a-z0-9-]+):[A-Za-z]+"`).FindAllStringSubmatch(string(node), -1) {
			if a[1] != "s3" && a[1] != "glue" && a[1] != "aws" {
				t.Errorf("instance profile: %s action", a[0])
			}
		}
		for _, st := range pols[orchestrator.IAMInstanceProfile].Statement {
			for _, r := range st.Resource {
				if strings.Contains(r, "acme-security-logs") && contains(st.Action, "s3:PutObject") {
					t.Errorf("instance profile may write raw: %+v", st)
				}
			}
		}
		// PassRole names exactly the two roles.
		ctl, _ := json.Marshal(pols[orchestrator.IAMController])
		for _, r := range []string{"role/EMR_DefaultRole\"", "role/EMR_EC2_DefaultRole\""} {
			if !strings.Contains(string(ctl), r) {
				t.Errorf("controller: no PassRole for %s", r)
			}
		}
		if !strings.Contains(string(ctl), "hostedzone/"+cfg.AWS.Route53.ZoneID) || !strings.Contains(string(ctl), "pricing:GetProducts") {
			t.Errorf("controller lacks route53 or pricing: %s", ctl)
		}
		// Nothing secret-looking: access keys, long base64 runs, the tokens.
		secret := regexp.MustCompile(`AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|(?i)secret|password|token|webhook`)
		if m := secret.FindString(text); m != "" {
			t.Errorf("secret-looking %q in the policies", m)
		}
		for _, run := range regexp.MustCompile(`[A-Za-z0-9/+=]{32,}`).FindAllString(regexp.MustCompile(`"arn:[^"]*"`).ReplaceAllString(text, `""`), -1) {
			if strings.ContainsAny(run, "/+=") || len(regexp.MustCompile(`[0-9]`).FindAllString(run, -1)) >= 4 {
				t.Errorf("key-like string %q in the policies", run)
			}
		}
	}

	// Route 53 only when configured; no spot role without spot fleets.
	cfg.AWS.Route53.ZoneID = ""
	for name, r := range cfg.Clusters {
		if r.Task != nil {
			t := *r.Task
			t.Spot = false
			r.Task = &t
		}
		cfg.Clusters[name] = r
	}
	pols, err := orchestrator.Policies(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(pols)
	if strings.Contains(string(doc), "route53") || strings.Contains(string(doc), "AWSServiceRoleForEC2Spot") {
		t.Errorf("route53 or spot without config: %s", doc)
	}

	if _, err := orchestrator.Policies(cfg, "12345"); err == nil {
		t.Error("a bad account id: no error")
	}
	cfg.Warehouse = "/var/lib/warehouse"
	if _, err := orchestrator.Policies(cfg, ""); err == nil || !strings.Contains(err.Error(), "warehouse") {
		t.Errorf("a local warehouse: %v", err)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
