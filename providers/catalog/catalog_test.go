package catalog_test

import (
	"context"
	"testing"

	"github.com/apache/iceberg-go"
	icat "github.com/apache/iceberg-go/catalog"

	"github.com/spotlake/spotlake/providers/catalog"
	"github.com/spotlake/spotlake/schemas"
)

func open(t *testing.T) icat.Catalog {
	t.Helper()
	dir := t.TempDir()
	cat, err := catalog.Open(context.Background(), catalog.Options{Type: "sql", Name: "spotlake", URI: dir + "/catalog.db", Warehouse: dir + "/wh"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catalog.Close(cat) })
	return cat
}

func TestEnsureTableCreatesFromSchemas(t *testing.T) {
	cat := open(t)
	ctx := context.Background()
	for _, name := range schemas.Names() {
		tbl, err := catalog.EnsureTable(ctx, cat, "p", name)
		if err != nil {
			t.Fatal(err)
		}
		def := schemas.MustGet(name)
		if len(tbl.Schema().Fields()) != len(def.Schema.Fields()) {
			t.Errorf("%s: %d columns, want %d", name, len(tbl.Schema().Fields()), len(def.Schema.Fields()))
		}
		if spec := tbl.Spec(); spec.NumFields() != len(def.Partition) {
			t.Errorf("%s: %d partition fields, want %d", name, spec.NumFields(), len(def.Partition))
		}
		if tbl.Properties()["write.parquet.compression-codec"] != "zstd" {
			t.Errorf("%s: properties %v", name, tbl.Properties())
		}
		again, err := catalog.EnsureTable(ctx, cat, "p", name)
		if err != nil || again.Metadata().LastUpdatedMillis() != tbl.Metadata().LastUpdatedMillis() {
			t.Errorf("%s: a second EnsureTable changed the table: %v", name, err)
		}
	}
}

// TestEvolveAddsColumns: a table made by an older release (fewer columns)
// gets the new columns, optional, without a new snapshot of data.
func TestEvolveAddsColumns(t *testing.T) {
	cat := open(t)
	ctx := context.Background()
	def := schemas.MustGet(schemas.Runs)
	var old []iceberg.NestedField
	for _, f := range def.Schema.Fields() {
		if f.Name != "host" && f.Name != "message" {
			old = append(old, f)
		}
	}
	ident := catalog.Ident("p", schemas.Runs)
	if err := cat.CreateNamespace(ctx, []string{"p"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateTable(ctx, ident, iceberg.NewSchema(0, old...)); err != nil {
		t.Fatal(err)
	}
	tbl, err := catalog.EnsureTable(ctx, cat, "p", schemas.Runs)
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{"host", "message"} {
		f, ok := tbl.Schema().FindFieldByName(col)
		if !ok || f.Required {
			t.Errorf("column %s not added as optional: %+v", col, f)
		}
	}
	if len(tbl.Metadata().Snapshots()) != 0 {
		t.Error("schema evolution wrote a snapshot")
	}
	if tbl.Schema().ID == 0 {
		t.Error("schema id did not change")
	}
}
