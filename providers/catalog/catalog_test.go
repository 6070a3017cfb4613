package catalog_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	icat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/providers/catalog"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/tableio"
)

// env is one catalog implementation under test.
type env struct {
	Cat icat.Catalog
	// Reopen opens a new catalog instance over the same catalog and
	// warehouse (another process, a later run).
	Reopen func(t *testing.T) icat.Catalog
}

// impls are the catalog implementations every suite test runs against;
// glue_test.go adds glue (on moto).
var impls = []struct {
	name string
	open func(t *testing.T) env
}{
	{"sqlite", openSQLite},
	{"glue", openGlue},
}

// forEach runs a suite test against every implementation.
func forEach(t *testing.T, fn func(t *testing.T, e env)) {
	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) { fn(t, im.open(t)) })
	}
}

func mustOpen(t *testing.T, o catalog.Options) icat.Catalog {
	t.Helper()
	cat, err := catalog.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catalog.Close(cat) })
	return cat
}

func openSQLite(t *testing.T) env {
	dir := t.TempDir()
	o := catalog.Options{Type: "sql", Name: "spotlake", URI: dir + "/catalog.db", Warehouse: dir + "/wh"}
	return env{Cat: mustOpen(t, o), Reopen: func(t *testing.T) icat.Catalog { return mustOpen(t, o) }}
}

func TestEnsureTableCreatesFromSchemas(t *testing.T) {
	forEach(t, func(t *testing.T, e env) {
		ctx := context.Background()
		for _, name := range schemas.Names() {
			tbl, err := catalog.EnsureTable(ctx, e.Cat, "p", name)
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
			again, err := catalog.EnsureTable(ctx, e.Cat, "p", name)
			if err != nil || again.Metadata().LastUpdatedMillis() != tbl.Metadata().LastUpdatedMillis() || again.MetadataLocation() != tbl.MetadataLocation() {
				t.Errorf("%s: a second EnsureTable changed the table: %v", name, err)
			}
		}
		// A new instance (another process) sees the same tables unchanged.
		cat2 := e.Reopen(t)
		var got []string
		for id, err := range cat2.ListTables(ctx, table.Identifier{"p"}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, id[len(id)-1])
		}
		sort.Strings(got)
		want := append([]string(nil), schemas.Names()...)
		sort.Strings(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("tables = %v, want %v", got, want)
		}
		for _, name := range schemas.Names() {
			before, err := e.Cat.LoadTable(ctx, catalog.Ident("p", name))
			if err != nil {
				t.Fatal(err)
			}
			after, err := catalog.EnsureTable(ctx, cat2, "p", name)
			if err != nil || after.MetadataLocation() != before.MetadataLocation() {
				t.Errorf("%s: EnsureTable through a new instance changed the table: %v", name, err)
			}
		}
	})
}

// TestEvolveAddsColumns: a table made by an older release (fewer columns)
// gets the new columns, optional, without a new snapshot of data.
func TestEvolveAddsColumns(t *testing.T) {
	forEach(t, func(t *testing.T, e env) {
		cat := e.Cat
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
		check := func(tbl *table.Table) {
			t.Helper()
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
			if tbl.Properties()["write.parquet.compression-codec"] != "zstd" {
				t.Errorf("properties not brought up to date: %v", tbl.Properties())
			}
		}
		check(tbl)
		// The evolution is in the catalog, not only in the returned table.
		reloaded, err := e.Reopen(t).LoadTable(ctx, ident)
		if err != nil {
			t.Fatal(err)
		}
		check(reloaded)
	})
}

var day = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// writeEvents writes n rows of events (source ssh, one a minute from day)
// as data files and commits them the way stages/commit does: data files
// first, then one AddDataFiles transaction.
func writeEvents(t *testing.T, tbl *table.Table, n int) (*table.Table, []string) {
	t.Helper()
	ctx := context.Background()
	files, err := tableio.Write(ctx, tbl, func(f arrow.Field, b array.Builder) error {
		for i := range n {
			switch {
			case f.Name == "source":
				b.(*array.StringBuilder).Append("ssh")
			case f.Name == "message":
				b.(*array.StringBuilder).Append(fmt.Sprintf("message %d", i))
			case f.Nullable:
				b.AppendNull()
			default:
				switch b := b.(type) {
				case *array.StringBuilder:
					b.Append(fmt.Sprintf("%s-%d", f.Name, i))
				case *array.TimestampBuilder:
					b.Append(arrow.Timestamp(day.Add(time.Duration(i) * time.Minute).UnixMicro()))
				case *array.Date32Builder:
					b.Append(arrow.Date32FromTime(day))
				case *array.Int64Builder:
					b.Append(int64(i))
				default:
					return fmt.Errorf("column %s: unexpected builder %T", f.Name, b)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no data files written")
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var dfs []iceberg.DataFile
	for _, p := range files {
		df, err := table.FileToDataFile(ctx, fs, p, tbl.Schema(), tbl.Spec(), 0, tbl.Properties())
		if err != nil {
			t.Fatalf("read footer of %s: %v", p, err)
		}
		dfs = append(dfs, df)
	}
	tx := tbl.NewTransaction()
	if err := tx.AddDataFiles(ctx, dfs, iceberg.Properties{"spotlake.commit-id": "test-1"}); err != nil {
		t.Fatal(err)
	}
	out, err := tx.Commit(ctx)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	return out, files
}

// TestWriteCommitReadBack: rows written and committed through one catalog
// instance are read back through a new one.
func TestWriteCommitReadBack(t *testing.T) {
	forEach(t, func(t *testing.T, e env) {
		ctx := context.Background()
		tbl, err := catalog.EnsureTable(ctx, e.Cat, "p", schemas.Events)
		if err != nil {
			t.Fatal(err)
		}
		committed, _ := writeEvents(t, tbl, 5)
		if committed.CurrentSnapshot() == nil {
			t.Fatal("no snapshot after commit")
		}

		again, err := e.Reopen(t).LoadTable(ctx, catalog.Ident("p", schemas.Events))
		if err != nil {
			t.Fatal(err)
		}
		if again.MetadataLocation() != committed.MetadataLocation() {
			t.Errorf("new instance sees %s, committed %s", again.MetadataLocation(), committed.MetadataLocation())
		}
		var got []string
		err = tableio.Scan(ctx, again, tableio.DayFilter(day), []string{"event_id", "event_time", "source", "line_offset", "message"}, func(r tableio.Row) error {
			got = append(got, fmt.Sprintf("%s|%s|%s|%d|%s", r.Str("event_id"), r.Time("event_time").Format("15:04"), r.Str("source"), r.Int64("line_offset"), r.Str("message")))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		var want []string
		for i := range 5 {
			want = append(want, fmt.Sprintf("event_id-%d|00:%02d|ssh|%d|message %d", i, i, i, i))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("read back\n%v\nwant\n%v", got, want)
		}
	})
}
