// Package tableio reads and writes rows of spotlake's Iceberg tables by
// column name: the small amount of Arrow plumbing every stage needs, in one
// place.
package tableio

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// Row is one row of a scanned batch, read by column name. Getters return
// the zero value (or -1 for integers) for nulls and absent columns.
type Row struct {
	cols map[string]arrow.Array
	i    int
}

// Str returns a string column.
func (r Row) Str(name string) string {
	if a, ok := r.cols[name].(*array.String); ok && a.IsValid(r.i) {
		return a.Value(r.i)
	}
	return ""
}

// Int32 returns an int column, -1 when null.
func (r Row) Int32(name string) int32 {
	if a, ok := r.cols[name].(*array.Int32); ok && a.IsValid(r.i) {
		return a.Value(r.i)
	}
	return -1
}

// Int64 returns a long column, -1 when null.
func (r Row) Int64(name string) int64 {
	if a, ok := r.cols[name].(*array.Int64); ok && a.IsValid(r.i) {
		return a.Value(r.i)
	}
	return -1
}

// Float64 returns a double column, 0 when null.
func (r Row) Float64(name string) float64 {
	if a, ok := r.cols[name].(*array.Float64); ok && a.IsValid(r.i) {
		return a.Value(r.i)
	}
	return 0
}

// Time returns a timestamp column (UTC), zero when null.
func (r Row) Time(name string) time.Time {
	if a, ok := r.cols[name].(*array.Timestamp); ok && a.IsValid(r.i) {
		return a.Value(r.i).ToTime(arrow.Microsecond)
	}
	return time.Time{}
}

// Date returns a date column (UTC midnight), zero when null.
func (r Row) Date(name string) time.Time {
	if a, ok := r.cols[name].(*array.Date32); ok && a.IsValid(r.i) {
		return a.Value(r.i).ToTime()
	}
	return time.Time{}
}

// Scan calls fn for every row of tbl matching filter (all rows when nil),
// reading only cols (all when none). A table without a snapshot has no rows.
func Scan(ctx context.Context, tbl *table.Table, filter iceberg.BooleanExpression, cols []string, fn func(Row) error) error {
	if tbl.CurrentSnapshot() == nil {
		return nil
	}
	var opts []table.ScanOption
	if filter != nil {
		opts = append(opts, table.WithRowFilter(filter))
	}
	if len(cols) > 0 {
		opts = append(opts, table.WithSelectedFields(cols...))
	}
	_, recs, err := tbl.Scan(opts...).ToArrowRecords(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", tbl.Identifier(), err)
	}
	for rec, err := range recs {
		if err != nil {
			return fmt.Errorf("read %s: %w", tbl.Identifier(), err)
		}
		r := Row{cols: make(map[string]arrow.Array, rec.NumCols())}
		for i, f := range rec.Schema().Fields() {
			r.cols[f.Name] = rec.Column(i)
		}
		for r.i = 0; r.i < int(rec.NumRows()); r.i++ {
			if err := fn(r); err != nil {
				rec.Release()
				return err
			}
		}
		rec.Release()
	}
	return nil
}

// DayFilter selects the rows of one input day.
func DayFilter(day time.Time) iceberg.BooleanExpression {
	return iceberg.EqualTo(iceberg.Reference("input_day"), iceberg.Date(day.Unix()/86400))
}

// Write builds one batch column by column with fill (called once per column
// of the table's schema with its builder) and writes it as data files of
// tbl, uncommitted. An empty batch writes nothing.
func Write(ctx context.Context, tbl *table.Table, fill func(arrow.Field, array.Builder) error) ([]string, error) {
	sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		return nil, err
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer rb.Release()
	for i, f := range sc.Fields() {
		if err := fill(f, rb.Field(i)); err != nil {
			return nil, err
		}
	}
	rec := rb.NewRecordBatch()
	if rec.NumRows() == 0 {
		rec.Release()
		return nil, nil
	}
	var files []string
	for df, err := range table.WriteRecords(ctx, tbl, sc, func(yield func(arrow.RecordBatch, error) bool) { yield(rec, nil) }) {
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", tbl.Identifier(), err)
		}
		files = append(files, df.FilePath())
	}
	return files, nil
}

// AppendString appends v, or a null when v is empty and the column is optional.
func AppendString(f arrow.Field, b array.Builder, v string) {
	if v == "" && f.Nullable {
		b.AppendNull()
		return
	}
	b.(*array.StringBuilder).Append(v)
}
