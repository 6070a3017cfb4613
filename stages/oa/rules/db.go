package rules

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// duck is a throwaway in-memory DuckDB: nothing outside it can be read or
// written (enable_external_access=false: no files, no network, no
// extensions), it never spills to disk (no temp directory), and its
// configuration is locked once set up, so no statement can undo any of that.
type duck struct {
	conn *duckdb.Connector
	db   *sql.DB
}

// setup runs, in order, on the new database before anything else: the temp
// directory must be cleared before external access is turned off, and
// nothing can be changed after the lock.
var setup = []string{
	"SET temp_directory = ''",
	"SET enable_external_access = false",
	"SET lock_configuration = true",
}

func openDB() (*duck, error) {
	threads := min(2, runtime.GOMAXPROCS(0))
	dsn := fmt.Sprintf("?threads=%d&autoload_known_extensions=false&autoinstall_known_extensions=false&preserve_insertion_order=false", threads)
	c, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	db := sql.OpenDB(c) // closes c
	d := &duck{conn: c, db: db}
	ctx := context.Background()
	for _, s := range setup {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, fmt.Errorf("duckdb %s: %w", s, err)
		}
	}
	return d, nil
}

func (d *duck) Close() error { return d.db.Close() }
