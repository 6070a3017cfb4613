// Package cache is the hot cache: the last N days of events, scores,
// suspicious and alerts, copied from the Iceberg tables into DuckDB so the
// dashboard answers in milliseconds while the transient clusters come and go.
package cache

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/apache/iceberg-go"

	"github.com/spotlake/spotlake/schemas"
)

// DayTables are the Iceberg tables copied into the cache, one DuckDB file
// per input day; every row keeps the table's columns and types.
var DayTables = []string{schemas.Events, schemas.Scores, schemas.Suspicious, schemas.Alerts}

// Views a reader of the cache sees, besides DayTables (same names as the
// Iceberg tables) and feedback/runs (whole tables, same columns).
const (
	// EventsDaily is (day DATE, source VARCHAR, events BIGINT): events per
	// input day and source.
	EventsDaily = "events_daily"
	// RejectsDaily is (day DATE, source VARCHAR, rejects BIGINT).
	RejectsDaily = "rejects_daily"
	// CacheDays is (day DATE, loaded_at TIMESTAMPTZ, events BIGINT, scores
	// BIGINT, suspicious BIGINT, alerts BIGINT): what the cache holds.
	CacheDays = "cache_days"
	// Entity is (kind, key, role, src_ip, dst_ip, dst_port, flow_bytes,
	// event_time, source): every event once per principal it involves —
	// kind "ip" with role "src" or "dst", kind "user" with role "user" —
	// sorted by principal, so an investigation reads a few row groups of
	// each day instead of every event.
	Entity = "entity"
)

var extraDDL = map[string]string{
	EventsDaily:  "(day DATE, source VARCHAR, events BIGINT)",
	RejectsDaily: "(day DATE, source VARCHAR, rejects BIGINT)",
	CacheDays:    "(day DATE, loaded_at TIMESTAMPTZ, events BIGINT, scores BIGINT, suspicious BIGINT, alerts BIGINT)",
	Entity:       "(kind VARCHAR, key VARCHAR, role VARCHAR, src_ip VARCHAR, dst_ip VARCHAR, dst_port INTEGER, flow_bytes BIGINT, event_time TIMESTAMPTZ, source VARCHAR)",
}

// entitySelect derives Entity's rows from an events relation.
func entitySelect(events string) string {
	cols := "src_ip, dst_ip, dst_port, flow_bytes, event_time, source"
	return "SELECT 'ip' AS kind, src_ip AS key, 'src' AS role, " + cols + " FROM " + events + " WHERE src_ip IS NOT NULL AND src_ip <> ''" +
		" UNION ALL SELECT 'ip', dst_ip, 'dst', " + cols + " FROM " + events + " WHERE dst_ip IS NOT NULL AND dst_ip <> '' AND dst_ip IS DISTINCT FROM src_ip" +
		" UNION ALL SELECT 'user', user_name, 'user', " + cols + " FROM " + events + " WHERE user_name IS NOT NULL AND user_name <> ''"
}

// FillEntity derives the entity table from the events table of db: for
// tests and fixtures that insert events by hand.
func FillEntity(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, "INSERT INTO "+Entity+" "+entitySelect(schemas.Events))
	return err
}

// DuckDBType is the DuckDB type DuckDB's Parquet reader gives an Iceberg
// column written by iceberg-go.
func DuckDBType(t iceberg.Type) (string, error) {
	switch t := t.(type) {
	case iceberg.StringType:
		return "VARCHAR", nil
	case iceberg.BinaryType:
		return "BLOB", nil
	case iceberg.BooleanType:
		return "BOOLEAN", nil
	case iceberg.Int32Type:
		return "INTEGER", nil
	case iceberg.Int64Type:
		return "BIGINT", nil
	case iceberg.Float64Type:
		return "DOUBLE", nil
	case iceberg.DateType:
		return "DATE", nil
	case iceberg.TimestampTzType:
		return "TIMESTAMPTZ", nil
	case iceberg.TimestampType:
		return "TIMESTAMP", nil
	case *iceberg.MapType:
		k, err := DuckDBType(t.KeyType)
		if err != nil {
			return "", err
		}
		v, err := DuckDBType(t.ValueType)
		if err != nil {
			return "", err
		}
		return "MAP(" + k + ", " + v + ")", nil
	}
	return "", fmt.Errorf("no DuckDB type for %s", t)
}

// ColumnsDDL is the column list "(a VARCHAR, b BIGINT, ...)" of an Iceberg
// table or of one of the cache's own views.
func ColumnsDDL(name string) (string, error) {
	if d, ok := extraDDL[name]; ok {
		return d, nil
	}
	t, ok := schemas.Get(name)
	if !ok {
		return "", fmt.Errorf("unknown table %q", name)
	}
	var b strings.Builder
	b.WriteByte('(')
	for i, f := range t.Schema.Fields() {
		if i > 0 {
			b.WriteString(", ")
		}
		ty, err := DuckDBType(f.Type)
		if err != nil {
			return "", fmt.Errorf("%s.%s: %w", name, f.Name, err)
		}
		b.WriteString(quoteIdent(f.Name) + " " + ty)
	}
	b.WriteByte(')')
	return b.String(), nil
}

// ReaderTables are every table a reader of the cache can query.
func ReaderTables() []string {
	return append(append([]string{}, DayTables...), schemas.Runs, schemas.Feedback, EventsDaily, RejectsDaily, CacheDays, Entity)
}

// CreateEmpty creates every reader table, empty, in db: the shape the
// dashboard queries, for tests and for a cache that has no day yet.
func CreateEmpty(ctx context.Context, db *sql.DB) error {
	for _, n := range ReaderTables() {
		ddl, err := ColumnsDDL(n)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE "+quoteIdent(n)+" "+ddl); err != nil {
			return fmt.Errorf("create %s: %w", n, err)
		}
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
