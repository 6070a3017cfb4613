package config_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/orchestrator/testutil"
)

const schemaFile = "../../schemas/config.schema.json"

// The committed schema is the one the code makes (`-update` rewrites it).
func TestJSONSchemaFile(t *testing.T) {
	got, err := config.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	// -update (config_test.go's flag, in this same test binary) refreshes
	// the golden files, this one included.
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s is not what config.JSONSchema makes (run go test ./orchestrator/config -update): %v", schemaFile, err)
	}
}

// An independent validator (python-jsonschema, draft 2020-12) accepts the
// example configs and the one `spotlake init` writes, and refuses unknown
// fields, a bad enum value, a bad duration and a wrong type, at their paths.
func TestJSONSchemaValidates(t *testing.T) {
	py := testutil.Python(t)
	dir := t.TempDir()
	docs := map[string]string{}
	toJSON := func(name string, y []byte) {
		t.Helper()
		var v any
		if err := yaml.Unmarshal(y, &v); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		docs[name] = p
	}
	examples, _ := filepath.Glob("../../examples/*.yaml")
	for _, e := range examples {
		b, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		toJSON(filepath.Base(e), b)
	}
	toJSON("init", config.InitYAML("test"))
	bad := strings.Join([]string{
		"apiVersion: spotlake/v1",
		"engine: sparkle",
		"ingest:",
		"  wrokers: 4",
		"  drain_window: soon",
		"  batch_rows: lots",
		"oa:",
		"  heuristics:",
		"    disable: [portscan]",
		"clusters:",
		"  gpu: {instance_type: p4d.24xlarge}",
	}, "\n")
	toJSON("bad", []byte(bad))

	args := []string{testutil.Script("validate_schema.py"), schemaFile}
	for _, p := range docs {
		args = append(args, p)
	}
	out, err := exec.Command(py, args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("validate_schema.py: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var errs map[string][]string
	if err := json.Unmarshal(out, &errs); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for name, p := range docs {
		if name == "bad" {
			continue
		}
		if len(errs[p]) > 0 {
			t.Errorf("%s does not validate: %v", name, errs[p])
		}
	}
	got := strings.Join(errs[docs["bad"]], "\n")
	for _, want := range []string{"engine: 'sparkle' is not one of", "ingest: Additional properties are not allowed ('wrokers'", "ingest/drain_window: 'soon' does not match",
		"ingest/batch_rows: 'lots' is not of type 'integer'", "oa/heuristics/disable/0: 'portscan' is not one of", "clusters: 'gpu' is not one of"} {
		if !strings.Contains(got, want) {
			t.Errorf("the bad config's errors lack %q:\n%s", want, got)
		}
	}
}
