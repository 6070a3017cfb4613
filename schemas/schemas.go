// Package schemas holds spotlake's table definitions, embedded from
// tables/*.json: each file is one Iceberg schema (in the spec's JSON form),
// its partition fields and table properties. The catalog creates tables from
// them on first use and adds columns that appear in a newer release.
package schemas

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/apache/iceberg-go"
)

//go:embed tables/*.json
var tableFS embed.FS

// Table names, so callers don't spell them.
const (
	Events         = "events"
	EventsRejected = "events_rejected"
	IngestFiles    = "ingest_files"
	Runs           = "runs"
	Scores         = "scores"
	Suspicious     = "suspicious"
	Alerts         = "alerts"
	Feedback       = "feedback"
)

// PartitionField is one partition field of a table definition.
type PartitionField struct {
	Source    string `json:"source"`
	Transform string `json:"transform"`
	Name      string `json:"name"`
}

// Table is one table definition.
type Table struct {
	Name       string             `json:"name"`
	Doc        string             `json:"doc"`
	Schema     *iceberg.Schema    `json:"schema"`
	Partition  []PartitionField   `json:"partition"`
	Properties iceberg.Properties `json:"properties"`
}

// Spec builds the table's partition spec against its own schema.
func (t Table) Spec() (iceberg.PartitionSpec, error) {
	opts := make([]iceberg.PartitionOption, 0, len(t.Partition))
	for _, p := range t.Partition {
		tr, err := iceberg.ParseTransform(p.Transform)
		if err != nil {
			return iceberg.PartitionSpec{}, fmt.Errorf("table %s: partition %s: %w", t.Name, p.Name, err)
		}
		opts = append(opts, iceberg.AddPartitionFieldByName(p.Source, p.Name, tr, t.Schema, nil))
	}
	return iceberg.NewPartitionSpecOpts(opts...)
}

var tables = map[string]Table{}

func init() {
	entries, err := tableFS.ReadDir("tables")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := tableFS.ReadFile(path.Join("tables", e.Name()))
		if err != nil {
			panic(err)
		}
		var t Table
		if err := json.Unmarshal(b, &t); err != nil {
			panic(fmt.Sprintf("schemas: %s: %v", e.Name(), err))
		}
		if t.Name != strings.TrimSuffix(e.Name(), ".json") {
			panic(fmt.Sprintf("schemas: %s declares table %q", e.Name(), t.Name))
		}
		tables[t.Name] = t
	}
}

// Get returns the definition of the named table.
func Get(name string) (Table, bool) {
	t, ok := tables[name]
	return t, ok
}

// MustGet returns the definition of a table spotlake itself names.
func MustGet(name string) Table {
	t, ok := tables[name]
	if !ok {
		panic("schemas: no table " + name)
	}
	return t
}

// Names lists the defined tables, sorted.
func Names() []string {
	out := make([]string, 0, len(tables))
	for n := range tables {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
