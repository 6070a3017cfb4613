package cache

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

func TestCreateEmptyMatchesSchemas(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := CreateEmpty(ctx, db); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'events'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 52 {
		t.Fatalf("events has %d columns in DuckDB, want 52", n)
	}
}
