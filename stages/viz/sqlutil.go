package viz

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// row is one result row, column name to a JSON-ready value.
type row = map[string]any

// where builds a parameterized WHERE clause.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// eq adds "col = ?" when v is not empty.
func (w *where) eq(col, v string) {
	if v != "" {
		w.add(col+" = ?", v)
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// queryRows runs a query and returns its rows as JSON-ready maps: DATE as
// "2006-01-02", timestamps as RFC3339 UTC, MAPs as objects, a column named
// aggregates holding JSON text as that JSON.
func queryRows(ctx context.Context, db *sql.DB, query string, args ...any) ([]row, error) {
	rs, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	types, err := rs.ColumnTypes()
	if err != nil {
		return nil, err
	}
	out := []row{}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		r := make(row, len(cols))
		for i, c := range cols {
			r[c] = jsonValue(types[i].DatabaseTypeName(), c, vals[i])
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

func jsonValue(dbType, col string, v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case time.Time:
		if dbType == "DATE" {
			return v.UTC().Format(dayLayout)
		}
		return v.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	case float32:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil
		}
		return v
	case *big.Int:
		if v.IsInt64() {
			return v.Int64()
		}
		return v.String()
	case []byte:
		return nil // binary columns are not shown
	case duckdb.Map:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[fmt.Sprint(k)] = jsonValue("", "", x)
		}
		return m
	case string:
		if col == "aggregates" && json.Valid([]byte(v)) {
			return json.RawMessage(v)
		}
		return v
	case []any:
		for i := range v {
			v[i] = jsonValue("", "", v[i])
		}
		return v
	}
	return v
}

// scalarInt runs a query returning one integer (NULL as 0).
func scalarInt(ctx context.Context, db *sql.DB, query string, args ...any) (int64, error) {
	var n sql.NullInt64
	if err := db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, err
	}
	return n.Int64, nil
}
