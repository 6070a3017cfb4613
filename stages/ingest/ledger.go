package ingest

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

// Ledger status values.
const (
	StatusCommitted = "committed"
	StatusFailed    = "failed"
)

// LedgerEntry is one row of ingest_files.
type LedgerEntry struct {
	Source, Object                string
	InputDay                      time.Time
	Size                          int64
	ETag, Checksum, Compression   string
	Lines, Rows, Rejects, Skipped int64
	Status, Error, RunID          string
	RecordedAt                    time.Time
}

func ledgerKey(source, object string) string { return source + "\x00" + object }

// ReadLedger returns the ledger rows of one input day, keyed by source and
// object. When an object has several rows (it failed, then succeeded), the
// committed one wins, then the latest.
func ReadLedger(ctx context.Context, tbl *table.Table, day time.Time) (map[string]LedgerEntry, error) {
	out := map[string]LedgerEntry{}
	if tbl.CurrentSnapshot() == nil {
		return out, nil
	}
	lit := iceberg.Date(date32(day))
	_, recs, err := tbl.Scan(table.WithRowFilter(iceberg.EqualTo(iceberg.Reference("input_day"), lit))).ToArrowRecords(ctx)
	if err != nil {
		return nil, fmt.Errorf("read ingest_files: %w", err)
	}
	for rec, err := range recs {
		if err != nil {
			return nil, fmt.Errorf("read ingest_files: %w", err)
		}
		cols := map[string]arrow.Array{}
		for i, f := range rec.Schema().Fields() {
			cols[f.Name] = rec.Column(i)
		}
		s := func(name string, i int) string {
			if c, ok := cols[name].(*array.String); ok && c.IsValid(i) {
				return c.Value(i)
			}
			return ""
		}
		n := func(name string, i int) int64 {
			if c, ok := cols[name].(*array.Int64); ok && c.IsValid(i) {
				return c.Value(i)
			}
			return 0
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			e := LedgerEntry{
				Source: s("source", i), Object: s("object", i), InputDay: day,
				Size: n("size", i), ETag: s("etag", i), Checksum: s("checksum", i), Compression: s("compression", i),
				Lines: n("lines", i), Rows: n("rows", i), Rejects: n("rejects", i), Skipped: n("skipped", i),
				Status: s("status", i), Error: s("error", i), RunID: s("ingest_run_id", i),
			}
			if c, ok := cols["recorded_at"].(*array.Timestamp); ok && c.IsValid(i) {
				e.RecordedAt = c.Value(i).ToTime(arrow.Microsecond)
			}
			k := ledgerKey(e.Source, e.Object)
			prev, seen := out[k]
			switch {
			case !seen:
				out[k] = e
			case prev.Status == StatusCommitted && e.Status != StatusCommitted:
			case e.Status == StatusCommitted && prev.Status != StatusCommitted:
				out[k] = e
			case e.RecordedAt.After(prev.RecordedAt):
				out[k] = e
			}
		}
		rec.Release()
	}
	return out, nil
}

func ledgerBatch(mem memory.Allocator, schema *arrow.Schema, es []LedgerEntry) (arrow.RecordBatch, error) {
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for i, f := range schema.Fields() {
		b := rb.Field(i)
		for _, e := range es {
			sv := func(v string) {
				if v == "" && f.Nullable {
					b.AppendNull()
				} else {
					b.(*array.StringBuilder).Append(v)
				}
			}
			switch f.Name {
			case "source":
				sv(e.Source)
			case "object":
				sv(e.Object)
			case "input_day":
				b.(*array.Date32Builder).Append(date32(e.InputDay))
			case "size":
				b.(*array.Int64Builder).Append(e.Size)
			case "etag":
				sv(e.ETag)
			case "checksum":
				sv(e.Checksum)
			case "compression":
				sv(e.Compression)
			case "lines":
				b.(*array.Int64Builder).Append(e.Lines)
			case "rows":
				b.(*array.Int64Builder).Append(e.Rows)
			case "rejects":
				b.(*array.Int64Builder).Append(e.Rejects)
			case "skipped":
				b.(*array.Int64Builder).Append(e.Skipped)
			case "status":
				sv(e.Status)
			case "error":
				sv(e.Error)
			case "ingest_run_id":
				sv(e.RunID)
			case "recorded_at":
				b.(*array.TimestampBuilder).Append(arrow.Timestamp(e.RecordedAt.UnixMicro()))
			default:
				if !f.Nullable {
					return nil, fmt.Errorf("ingest_files column %s is required but this release cannot fill it", f.Name)
				}
				b.AppendNull()
			}
		}
	}
	return rb.NewRecordBatch(), nil
}
