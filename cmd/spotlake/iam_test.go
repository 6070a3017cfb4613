package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotlake/spotlake/orchestrator"
)

func TestIAMPolicyCommand(t *testing.T) {
	cfg := filepath.Join("..", "..", "examples", "aws.yaml")
	code, out, errs := cli(t, "--config", cfg, "iam", "policy", "--account", "123456789012", "--role", "controller")
	if code != ExitOK {
		t.Fatalf("%d %s %s", code, out, errs)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "orchestrator", "testdata", "iam-controller.json"))
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("controller policy differs from the golden file:\n%s", out)
	}
	code, out, errs = cli(t, "--config", cfg, "iam", "policy")
	var all map[string]orchestrator.PolicyDocument
	if err := json.Unmarshal([]byte(out), &all); code != ExitOK || err != nil || len(all) != 3 {
		t.Fatalf("all: %d %v %s %s", code, err, out, errs)
	}
	if !strings.Contains(out, orchestrator.AccountPlaceholder) || !strings.Contains(errs, "--account") {
		t.Errorf("placeholder: %s / %s", out, errs)
	}
	for _, args := range [][]string{{"--role", "admin"}, {"--account", "12"}} {
		if code, out, errs := cli(t, append([]string{"--config", cfg, "iam", "policy"}, args...)...); code != ExitUsage {
			t.Errorf("%v: %d %s %s", args, code, out, errs)
		}
	}
	// A local config has no buckets to scope: a usage error.
	if code, _, errs := cli(t, "--config", initProject(t), "iam", "policy"); code != ExitUsage || !strings.Contains(errs, "aws") {
		t.Errorf("local config: %d %s", code, errs)
	}
}
