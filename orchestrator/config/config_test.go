package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .errors golden files")

// TestInvalidConfigs: each testdata/invalid-*.yaml reports every problem at
// once, with its path; the messages are golden files (<name>.errors).
func TestInvalidConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	if len(files) == 0 {
		t.Fatal("no invalid configs")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Load(f)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError, got %v", err)
			}
			got := strings.Join(ve.Problems, "\n") + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".errors"
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s (run with -update and review):\n%s", golden, got)
			}
		})
	}
}

func TestManyProblemsAtOnce(t *testing.T) {
	_, err := Load("testdata/invalid-many.yaml")
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	for _, path := range []string{"apiVersion", "pipeline", "provider", "catalog.type", "sources[0].format", "sources[1].name",
		"sources[1].patterns[0]", "sources[1].timezone", "sources[2].format_options.colour", "sources[3].format_options",
		"ingest.workers", "ingest.batch_rows", "ingest.drain_window", "schedule.cron", "schedule.timezone", "clusters.gpu", "clusters.ingest.instance_count", "oa.suppress[0]", "oa.suppress[1].cidr", "oa.rules[0]", "oa.rules[1]", "oa.webhook_env"} {
		found := false
		for _, p := range ve.Problems {
			if strings.HasPrefix(p, path+": ") || strings.HasPrefix(p, path+" (") || strings.HasPrefix(p, path+".") {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem reported at %s", path)
		}
	}
}

// TestValidConfigs: the valid testdata, the config init writes and every
// example config load and validate.
func TestValidConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid-*.yaml")
	examples, _ := filepath.Glob("../../examples/*.yaml")
	files = append(files, examples...)
	if len(examples) == 0 {
		t.Fatal("no example configs found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := Load(f); err != nil {
				t.Fatal(err)
			}
		})
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "spotlake.yaml")
	os.WriteFile(p, InitYAML("demo"), 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatalf("init config: %v", err)
	}
	if len(c.Sources) != len(DefaultSources) {
		t.Errorf("init config has %d sources", len(c.Sources))
	}
	for i, s := range c.Sources {
		if s.Name != DefaultSources[i] || s.Format != s.Name || s.Prefix != s.Name {
			t.Errorf("source %d: %+v", i, s)
		}
	}
	if c.Warehouse != filepath.Join(dir, "warehouse") || c.Catalog.URI != filepath.Join(dir, "catalog.db") || c.Raw != filepath.Join(dir, "raw") || c.Cache != filepath.Join(dir, "cache") {
		t.Errorf("paths not resolved against the config's folder: %+v", c)
	}
}

func TestMissingConfigSaysWhatToDo(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "spotlake init") {
		t.Errorf("error should point to init: %v", err)
	}
}
