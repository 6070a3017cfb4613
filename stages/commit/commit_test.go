package commit_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/providers/catalog"
	"github.com/spotlake/spotlake/providers/objstore"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/commit"
)

type fixture struct {
	c   *commit.Committer
	log *objstore.Local
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	cat, err := catalog.Open(ctx, catalog.Options{Type: "sql", Name: "spotlake", URI: dir + "/catalog.db", Warehouse: dir + "/warehouse"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catalog.Close(cat) })
	for _, n := range []string{schemas.EventsRejected, schemas.IngestFiles} {
		if _, err := catalog.EnsureTable(ctx, cat, "ns", n); err != nil {
			t.Fatal(err)
		}
	}
	log, err := objstore.NewLocal(dir + "/books")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{c: &commit.Committer{Catalog: cat, Namespace: "ns", Log: log}, log: log}
}

func (f *fixture) table(t *testing.T, name string) *table.Table {
	t.Helper()
	tbl, err := f.c.Catalog.LoadTable(context.Background(), catalog.Ident("ns", name))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// writeRejects writes n rows of events_rejected for day and returns the files.
func (f *fixture) writeRejects(t *testing.T, day time.Time, n int) []string {
	t.Helper()
	tbl := f.table(t, schemas.EventsRejected)
	sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		t.Fatal(err)
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer rb.Release()
	for i := 0; i < n; i++ {
		for j, fl := range sc.Fields() {
			switch b := rb.Field(j).(type) {
			case *array.StringBuilder:
				b.Append(fl.Name)
			case *array.Int64Builder:
				b.Append(int64(i))
			case *array.BinaryBuilder:
				b.Append([]byte("x"))
			case *array.Date32Builder:
				b.Append(arrow.Date32FromTime(day))
			default:
				t.Fatalf("unexpected builder %T", b)
			}
		}
	}
	rec := rb.NewRecordBatch()
	var files []string
	for df, err := range table.WriteRecords(context.Background(), tbl, sc, func(yield func(arrow.RecordBatch, error) bool) { yield(rec, nil) }) {
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, df.FilePath())
	}
	return files
}

func rows(t *testing.T, tbl *table.Table) int64 {
	t.Helper()
	if tbl.CurrentSnapshot() == nil {
		return 0
	}
	tasks, err := tbl.Scan().PlanFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, tk := range tasks {
		n += tk.File.Count()
	}
	return n
}

var day = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// TestRecoverRollsForwardAPartialCommit: a process died after the first
// table's commit of an intent. Recovery must finish the intent without
// applying the first table's change twice, and a second recovery is a no-op.
func TestRecoverRollsForwardAPartialCommit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	files := f.writeRejects(t, day, 5)
	in := commit.Intent{ID: "run1-0001-aa", RunID: "run1", Created: time.Now(), Changes: []commit.Change{
		{Table: schemas.EventsRejected, Add: files},
		{Table: schemas.IngestFiles, Add: nil},
	}}
	// Simulate the dead process: the intent is stored, and only the first
	// change landed (committed as Commit would, with the intent's id).
	b, _ := json.Marshal(in)
	if err := f.log.Put(ctx, "intents/"+in.ID+".json", b); err != nil {
		t.Fatal(err)
	}
	partial := in
	partial.Changes = in.Changes[:1]
	if err := f.c.Commit(ctx, partial); err != nil {
		t.Fatal(err)
	}
	// Commit deleted the intent file it shares an id with; put it back as
	// the dead process would have left it.
	f.log.Put(ctx, "intents/"+in.ID+".json", b)

	pending, err := f.c.Pending(ctx)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending = %v, %v", pending, err)
	}
	n, err := f.c.Recover(ctx)
	if err != nil || n != 1 {
		t.Fatalf("recover = %d, %v", n, err)
	}
	rj := f.table(t, schemas.EventsRejected)
	if got := rows(t, rj); got != 5 {
		t.Errorf("rows after recovery = %d, want 5 (applied once)", got)
	}
	if !commit.Applied(rj, in.ID) {
		t.Error("snapshot does not carry the commit id")
	}
	if n, err := f.c.Recover(ctx); err != nil || n != 0 {
		t.Errorf("second recover = %d, %v", n, err)
	}
}

// TestCommitTwiceIsIdempotent: applying the same intent again (a retry after
// a lost response) adds nothing.
func TestCommitTwiceIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := commit.Intent{ID: "run2-0001-bb", RunID: "run2", Created: time.Now(),
		Changes: []commit.Change{{Table: schemas.EventsRejected, Add: f.writeRejects(t, day, 3)}}}
	for i := 0; i < 2; i++ {
		if err := f.c.Commit(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if got := rows(t, f.table(t, schemas.EventsRejected)); got != 3 {
		t.Errorf("rows = %d, want 3", got)
	}
}

// TestReplaceDay swaps one day's files in one snapshot and leaves other days.
func TestReplaceDay(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other := day.AddDate(0, 0, -1)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.c.Commit(ctx, commit.Intent{ID: "a", Created: time.Now(), Changes: []commit.Change{{Table: schemas.EventsRejected, Add: f.writeRejects(t, day, 4)}}}))
	must(f.c.Commit(ctx, commit.Intent{ID: "b", Created: time.Now(), Changes: []commit.Change{{Table: schemas.EventsRejected, Add: f.writeRejects(t, other, 2)}}}))
	before := len(f.table(t, schemas.EventsRejected).Metadata().Snapshots())
	must(f.c.Commit(ctx, commit.Intent{ID: "c", Created: time.Now(), Changes: []commit.Change{{Table: schemas.EventsRejected, Add: f.writeRejects(t, day, 7), ReplaceDay: "2026-11-21"}}}))
	tbl := f.table(t, schemas.EventsRejected)
	if got := rows(t, tbl); got != 9 {
		t.Errorf("rows = %d, want 7 (replaced day) + 2 (other day)", got)
	}
	if got := len(tbl.Metadata().Snapshots()); got != before+1 {
		t.Errorf("replace took %d snapshots, want 1", got-before)
	}
	old, err := commit.FilesOfDay(ctx, tbl, "2026-11-20")
	if err != nil || len(old) != 1 || old[0].Count() != 2 {
		t.Errorf("other day's files: %v %v", old, err)
	}
}
