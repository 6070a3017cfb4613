package cache

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/spotlake/spotlake/schemas"
)

// Direct opens an in-memory DuckDB whose views have the cache's names and
// shapes but read the Iceberg tables' data files for input days from..to.
// It is how a query reaches days older than the cache, and the yardstick
// the cache is measured against.
func Direct(ctx context.Context, src Source, from, to time.Time, threads int) (*sql.DB, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	c, err := duckdb.NewConnector(fmt.Sprintf("?threads=%d&autoload_known_extensions=false&autoinstall_known_extensions=false", threads), nil)
	if err != nil {
		return nil, fmt.Errorf("direct: %w", err)
	}
	db := sql.OpenDB(c)
	fail := func(err error) (*sql.DB, error) { db.Close(); return nil, fmt.Errorf("direct: %w", err) }
	f, t := from.Format(time.DateOnly), to.Format(time.DateOnly)
	between := fmt.Sprintf("input_day BETWEEN DATE '%s' AND DATE '%s'", f, t)
	view := func(name, src string, paths []string, where string) error {
		ddl, err := ColumnsDDL(src)
		if err != nil {
			return err
		}
		if len(paths) == 0 {
			_, err := db.ExecContext(ctx, "CREATE TABLE "+quoteIdent(name)+" "+ddl)
			return err
		}
		q := "CREATE VIEW " + quoteIdent(name) + " AS SELECT * FROM read_parquet(" + fileList(paths) + ", union_by_name = true, hive_partitioning = false)"
		if where != "" {
			q += " WHERE " + where
		}
		_, err = db.ExecContext(ctx, q)
		return err
	}
	inRange := func(fs []File) []string {
		var out []string
		for _, x := range fs {
			if x.MinDay == "" || (x.MinDay <= t && f <= x.MaxDay) {
				out = append(out, x.Path)
			}
		}
		return out
	}
	for _, tbl := range append(append([]string{}, DayTables...), schemas.EventsRejected, schemas.Runs, schemas.Feedback) {
		fs, err := src.Files(ctx, tbl)
		if err != nil {
			return fail(err)
		}
		where, paths := between, inRange(fs)
		if tbl == schemas.Runs || tbl == schemas.Feedback {
			where, paths = "", nil
			for _, x := range fs {
				paths = append(paths, x.Path)
			}
		}
		// Remote files are copied once into a folder of this process's
		// temporary space, shared by later direct reads.
		if paths, err = local(ctx, src, filepath.Join(os.TempDir(), "spotlake-direct"), paths); err != nil {
			return fail(err)
		}
		if err := view(tbl, tbl, paths, where); err != nil {
			return fail(err)
		}
	}
	for _, s := range []string{
		"CREATE VIEW " + EventsDaily + " AS SELECT input_day AS day, source, count(*)::BIGINT AS events FROM events GROUP BY ALL",
		"CREATE VIEW " + RejectsDaily + " AS SELECT input_day AS day, source, count(*)::BIGINT AS rejects FROM " + schemas.EventsRejected + " GROUP BY ALL",
		"CREATE TABLE " + CacheDays + " " + extraDDL[CacheDays],
		"CREATE VIEW " + Entity + " AS " + entitySelect(schemas.Events),
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fail(err)
		}
	}
	return db, nil
}

// Result is a query's answer.
type Result struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
	// Truncated is set when more rows matched than the limit.
	Truncated bool `json:"truncated,omitempty"`
}

// Query runs one read-only statement (SELECT, or EXPLAIN of one) and
// returns at most limit rows (0: no limit).
func Query(ctx context.Context, db *sql.DB, q string, limit int) (*Result, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error {
		p, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("driver cannot prepare")
		}
		st, err := p.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		ds, ok := st.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("not a DuckDB statement")
		}
		ty, err := ds.StatementType()
		if err != nil {
			return err
		}
		if ty != duckdb.STATEMENT_TYPE_SELECT && ty != duckdb.STATEMENT_TYPE_EXPLAIN {
			return fmt.Errorf("only one read-only statement (SELECT or EXPLAIN) is allowed; the cache is rebuilt from the Iceberg tables, so change those instead")
		}
		return nil
	}); err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: cols, Rows: [][]any{}}
	for rows.Next() {
		if limit > 0 && len(res.Rows) == limit {
			res.Truncated = true
			break
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

// Covers reports whether the cache holds every day of from..to.
func (s Status) Covers(from, to time.Time) bool {
	if !s.Loaded || len(s.Days) == 0 {
		return false
	}
	have := map[string]bool{}
	for _, d := range s.Days {
		have[d] = true
	}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if !have[d.Format(time.DateOnly)] {
			// A day with no data at all is not in the cache either; only
			// days before the first cached day send a query elsewhere.
			if d.Format(time.DateOnly) < s.Days[0] {
				return false
			}
		}
	}
	return true
}
