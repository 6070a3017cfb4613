package rules

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// How a When expression is checked (README.md, "Safety"):
//
//  1. It is wrapped as  SELECT *, (\n<when>\n) AS __when FROM agg  and parsed
//     by DuckDB's parser (json_serialize_sql), which never runs anything.
//  2. The parse tree must be exactly that one SELECT: one statement, the star,
//     one expression, FROM agg and nothing else (no second statement, UNION,
//     WHERE, ORDER BY, CTE, join...: what an expression that "breaks out" of
//     its parentheses would add).
//  3. Every node of the expression must be of an allowed class (columns,
//     constants, comparisons, AND/OR/NOT, IN, BETWEEN, CASE, CAST, IS NULL,
//     COALESCE, COLLATE, functions and operators); every function must be an
//     allowed one called by its bare name; every column one of the rule's.
//     Subqueries (and with them any table function, COPY or ATTACH), window
//     functions, lambdas, parameters and casts to unknown types are refused.
//  4. The SQL that runs is not the text given but DuckDB's rendering of the
//     checked tree (json_deserialize_sql), which is parsed and checked again.
//  5. It is bound against an empty agg relation of the rule's columns: names,
//     function signatures and types are checked, and the result must be
//     BOOLEAN.

// wrapPrefix and wrapSuffix surround a When expression for parsing. The
// newlines end any "--" comment inside it.
const (
	wrapPrefix = "SELECT *, (\n"
	wrapSuffix = "\n) AS __when FROM agg"
)

// operatorFuncs are the functions the parser makes of operators: arithmetic,
// ||, LIKE (~~), ILIKE (~~*), GLOB (~~~), SIMILAR TO and ~ (regexp_full_match)
// and INTERVAL literals (to_hours(trunc(...))).
var operatorFuncs = []string{
	"+", "-", "*", "/", "//", "%", "^", "**", "||",
	"~~", "!~~", "~~*", "!~~*", "~~~", "!~~~",
	"regexp_full_match", "trunc",
	"to_seconds", "to_minutes", "to_hours", "to_days", "to_weeks", "to_months", "to_years",
}

// allowedOperators are the OPERATOR expression types allowed.
var allowedOperators = []string{
	"OPERATOR_NOT", "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL", "COMPARE_IN", "COMPARE_NOT_IN",
	"OPERATOR_COALESCE", "OPERATOR_NULLIF",
}

// queryNodeTypes mark a query inside an expression, wherever it sits.
var queryNodeTypes = []string{
	"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE",
	"BASE_TABLE", "TABLE_FUNCTION", "JOIN", "SUBQUERY", "EXPRESSION_LIST", "EMPTY", "COLUMN_DATA", "PIVOT", "SHOW_REF",
}

// compileWith checks rs in db and compiles the valid ones.
func compileWith(d *duck, rs []Rule) ([]compiled, []error) {
	var errs []error
	var out []compiled
	seen := map[string]int{}
	for i, raw := range rs {
		r := normalize(raw)
		plain := checkPlain(i, r, seen)
		errs = append(errs, plain...)
		// Only allow-listed group-by columns ever reach SQL text; a bad one
		// is reported above and left out here.
		checked := r
		checked.GroupBy = nil
		for _, g := range r.GroupBy {
			if slices.Contains(GroupColumns, g) && !slices.Contains(checked.GroupBy, g) {
				checked.GroupBy = append(checked.GroupBy, g)
			}
		}
		c, err := compileWhen(d, checked)
		if err != nil {
			errs = append(errs, ruleErr(i, r, "when", "%s", err.Error()))
			continue
		}
		if len(plain) == 0 {
			c.index = i
			out = append(out, c)
		}
	}
	return out, errs
}

// whenError is a problem of a When expression, said for people.
type whenError string

func (e whenError) Error() string { return string(e) }

func badf(format string, args ...any) error { return whenError(fmt.Sprintf(format, args...)) }

// compileWhen checks r.When and returns the compiled rule.
func compileWhen(d *duck, r Rule) (compiled, error) {
	c := compiled{Rule: r}
	w := r.When
	switch {
	case w == "":
		return c, badf("is empty: give a boolean expression, e.g. count > 1000")
	case len(w) > maxWhen:
		return c, badf("is %d bytes long, more than %d", len(w), maxWhen)
	case strings.ContainsRune(w, 0):
		return c, badf("contains a NUL byte")
	}
	if hasSemicolon(w) {
		return c, badf("contains ';': give one boolean expression, not statements")
	}
	cols := columnsOf(r)
	ctx := context.Background()
	tree, err := parse(ctx, d, wrapPrefix+w+wrapSuffix)
	if err != nil {
		return c, err
	}
	refs, err := checkTree(tree, r, cols)
	if err != nil {
		return c, err
	}
	// Run DuckDB's rendering of the checked tree, checked again.
	var canon sql.NullString
	if err := d.db.QueryRowContext(ctx, "SELECT json_deserialize_sql(?::VARCHAR::JSON)", string(tree)).Scan(&canon); err != nil || !canon.Valid {
		return c, badf("cannot be rendered back to SQL: %v", err)
	}
	tree2, err := parse(ctx, d, canon.String)
	if err != nil {
		return c, badf("rendered as %q, which does not parse: %v", canon.String, err)
	}
	if _, err := checkTree(tree2, r, cols); err != nil {
		return c, badf("rendered as %q, which fails the checks: %v", canon.String, err)
	}
	c.sel = canon.String
	c.refs = orderRefs(refs, r)
	// Bind against an empty agg of the rule's columns: the result must be boolean.
	q := "SELECT __when FROM (WITH agg AS (" + emptyAgg(r) + ") " + c.sel + ")"
	rows, err := d.db.QueryContext(ctx, q)
	if err != nil {
		return c, badf("%s", duckMessage(err))
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return c, badf("%s", duckMessage(err))
	}
	if t := types[0].DatabaseTypeName(); t != "BOOLEAN" {
		return c, badf("is of type %s, not a boolean: compare it with something (e.g. count > 1000)", t)
	}
	return c, nil
}

// emptyAgg is a relation with agg's columns and types, and no rows.
func emptyAgg(r Rule) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for _, g := range r.GroupBy {
		fmt.Fprintf(&b, "NULL::%s AS %s, ", groupType(g), g)
	}
	b.WriteString("NULL::BIGINT AS __w, NULL::TIMESTAMP AS window_start, NULL::TIMESTAMP AS window_end")
	for _, a := range Aggregates {
		fmt.Fprintf(&b, ", NULL::BIGINT AS %s", a)
	}
	b.WriteString(" WHERE false")
	return b.String()
}

// orderRefs sorts the referenced columns: aggregates in Aggregates order,
// then group-by columns, then window columns.
func orderRefs(refs map[string]bool, r Rule) []string {
	var out []string
	for _, list := range [][]string{Aggregates, r.GroupBy, WindowColumns} {
		for _, c := range list {
			if refs[c] {
				out = append(out, c)
			}
		}
	}
	return out
}

// hasSemicolon reports a ';' outside quotes and comments.
func hasSemicolon(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ';':
			return true
		case '\'', '"':
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
			}
		case '-':
			if i+1 < len(s) && s[i+1] == '-' {
				for i += 2; i < len(s) && s[i] != '\n'; i++ {
				}
			}
		case '/':
			if i+1 < len(s) && s[i+1] == '*' {
				if j := strings.Index(s[i+2:], "*/"); j >= 0 {
					i += j + 3
				} else {
					i = len(s)
				}
			}
		}
	}
	return false
}

// parse returns DuckDB's parse tree of stmt as JSON, or the parser's error.
func parse(ctx context.Context, d *duck, stmt string) (json.RawMessage, error) {
	var js string
	if err := d.db.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", stmt).Scan(&js); err != nil {
		return nil, badf("cannot be parsed: %s", duckMessage(err))
	}
	var head struct {
		Error    bool   `json:"error"`
		Type     string `json:"error_type"`
		Message  string `json:"error_message"`
		Position string `json:"position"`
	}
	if err := json.Unmarshal([]byte(js), &head); err != nil {
		return nil, badf("cannot be parsed: %v", err)
	}
	if head.Error {
		msg := strings.ReplaceAll(head.Message, wrapSuffix, "")
		if strings.HasPrefix(msg, "Only SELECT statements") {
			msg = "is not an expression"
		}
		if p, err := strconv.Atoi(head.Position); err == nil && p >= len(wrapPrefix) && strings.HasPrefix(stmt, wrapPrefix) {
			if at := p - len(wrapPrefix); at <= len(stmt)-len(wrapPrefix)-len(wrapSuffix) {
				msg += fmt.Sprintf(" (at byte %d)", at)
			}
		}
		return nil, badf("%s", msg)
	}
	return json.RawMessage(js), nil
}

// checkTree checks the parse tree of a wrapped When expression and returns
// the columns it uses.
func checkTree(tree json.RawMessage, r Rule, cols map[string]string) (map[string]bool, error) {
	var top struct {
		Statements []map[string]any `json:"statements"`
	}
	dec := json.NewDecoder(bytes.NewReader(tree))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return nil, badf("cannot be parsed: %v", err)
	}
	notOne := badf("must be one boolean expression (it reads as more than an expression)")
	if len(top.Statements) != 1 {
		return nil, notOne
	}
	st := top.Statements[0]
	node, _ := st["node"].(map[string]any)
	if node == nil || node["type"] != "SELECT_NODE" {
		return nil, notOne
	}
	list, _ := node["select_list"].([]any)
	if len(list) != 2 {
		return nil, notOne
	}
	star, _ := list[0].(map[string]any)
	if star == nil || star["class"] != "STAR" || !onlyEmpty(star, "class", "type", "query_location") {
		return nil, notOne
	}
	expr, _ := list[1].(map[string]any)
	if expr == nil || expr["alias"] != "__when" {
		return nil, notOne
	}
	from, _ := node["from_table"].(map[string]any)
	if from == nil || from["type"] != "BASE_TABLE" || from["table_name"] != "agg" || !onlyEmpty(from, "type", "table_name", "query_location") {
		return nil, notOne
	}
	w := walker{rule: r, cols: cols, refs: map[string]bool{}}
	if err := w.walk(expr); err != nil {
		return nil, err
	}
	for k, v := range st {
		if k != "node" && !isEmpty(v) {
			return nil, notOne
		}
	}
	for k, v := range node {
		switch k {
		case "type", "select_list", "from_table":
		case "aggregate_handling":
			if v != "STANDARD_HANDLING" {
				return nil, notOne
			}
		default:
			if !isEmpty(v) {
				return nil, notOne
			}
		}
	}
	return w.refs, nil
}

// isEmpty: null, false, "", an empty list or object, or an object of empties
// (such as {"map": []}).
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	}
	return false
}

// emptyOrder: a function call's order_bys with no ORDER BY.
func emptyOrder(v any) bool {
	if m, ok := v.(map[string]any); ok {
		return isEmpty(m["orders"])
	}
	return isEmpty(v)
}

// onlyEmpty: every key of m but keep is empty.
func onlyEmpty(m map[string]any, keep ...string) bool {
	for k, v := range m {
		if !slices.Contains(keep, k) && !isEmpty(v) {
			return false
		}
	}
	return true
}

type walker struct {
	rule Rule
	cols map[string]string
	refs map[string]bool
}

// walk checks every expression node anywhere under v: any object with a
// "class" is an expression; any object typed as a query node is refused.
func (w *walker) walk(v any) error {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err := w.walk(e); err != nil {
				return err
			}
		}
	case map[string]any:
		if t, ok := x["type"].(string); ok && slices.Contains(queryNodeTypes, t) {
			return badf("uses a subquery, which is not allowed")
		}
		if _, ok := x["class"]; ok {
			if err := w.node(x); err != nil {
				return err
			}
		}
		// Deterministic: the first problem in key order.
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := w.walk(x[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// node checks one expression node (not its children).
func (w *walker) node(x map[string]any) error {
	class, _ := x["class"].(string)
	typ, _ := x["type"].(string)
	switch class {
	case "CONSTANT", "COMPARISON", "CONJUNCTION", "CASE", "BETWEEN", "COLLATE":
		return nil
	case "COLUMN_REF":
		names, _ := x["column_names"].([]any)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i], _ = n.(string)
		}
		if len(parts) != 1 {
			return badf("uses %s: write the bare column name", strings.Join(parts, "."))
		}
		name := strings.ToLower(parts[0])
		if _, ok := w.cols[name]; ok {
			w.refs[name] = true
			return nil
		}
		if slices.Contains(GroupColumns, name) {
			return badf("uses column %s, which is not in group_by (only group-by columns and aggregates are known per group)", name)
		}
		return badf("uses unknown column or aggregate %q (known: %s)", parts[0], strings.Join(w.known(), ", "))
	case "OPERATOR":
		if !slices.Contains(allowedOperators, typ) {
			return badf("uses operator %s, which is not allowed", strings.TrimPrefix(typ, "OPERATOR_"))
		}
		return nil
	case "CAST":
		ct, _ := x["cast_type"].(map[string]any)
		if id, _ := ct["id"].(string); id == "USER" || id == "" || id == "INVALID" {
			name := "?"
			if ti, ok := ct["type_info"].(map[string]any); ok {
				if n, ok := ti["user_type_name"].(string); ok {
					name = n
				}
			}
			return badf("casts to unknown type %s (is it a statement? only an expression is allowed)", name)
		}
		return nil
	case "FUNCTION":
		name, _ := x["function_name"].(string)
		lname := strings.ToLower(name)
		schema, _ := x["schema"].(string)
		catalog, _ := x["catalog"].(string)
		switch {
		case strings.HasSuffix(lname, "__postfix"):
			return badf("uses postfix operator %s, which is not allowed (a typo?)", strings.TrimSuffix(name, "__postfix"))
		case lname == "count_star" || slices.Contains(Aggregates, lname):
			return badf("calls %s(...): the aggregates are columns here, write e.g. count > 100", strings.TrimSuffix(lname, "_star"))
		case !slices.Contains(Functions, lname) && !slices.Contains(operatorFuncs, lname):
			return badf("uses function %s, which is not allowed (allowed: %s)", name, strings.Join(Functions, ", "))
		case schema != "" || catalog != "":
			return badf("calls %s.%s: call functions by their bare name", strings.Trim(catalog+"."+schema, "."), name)
		case x["distinct"] == true || x["export_state"] == true || !isEmpty(x["filter"]) || !emptyOrder(x["order_bys"]):
			return badf("calls %s with DISTINCT, FILTER or ORDER BY, which are for aggregates", name)
		}
		return nil
	case "SUBQUERY":
		return badf("uses a subquery, which is not allowed")
	case "WINDOW":
		return badf("uses a window function, which is not allowed")
	case "LAMBDA", "LAMBDA_REF":
		return badf("uses a lambda, which is not allowed")
	case "PARAMETER":
		return badf("uses a parameter (?, $1), which is not allowed")
	case "STAR":
		return badf("uses *, which is not allowed")
	}
	return badf("uses a %s expression, which is not allowed", strings.ToLower(class))
}

func (w *walker) known() []string {
	var out []string
	out = append(out, w.rule.GroupBy...)
	out = append(out, Aggregates...)
	return append(out, WindowColumns...)
}

// duckMessage is the first line of a DuckDB error, without the
// driver's prefix.
func duckMessage(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
