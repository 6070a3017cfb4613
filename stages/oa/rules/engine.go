package rules

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/zeebo/xxh3"

	"github.com/spotlake/spotlake/stages/detect/words"
)

// Hit is one group of one window for which a rule's When was true.
type Hit struct {
	// ID is stable across runs: hex of xxh3-128 of the rule name, the window
	// start and the group (column names and values). The caller writes a hit
	// to the alerts table only if its ID is not there yet.
	ID                     string
	Rule, Severity         string
	WindowStart, WindowEnd time.Time // UTC
	// Group holds the rule's group-by columns; an absent value is "".
	Group map[string]string
	// Values holds every aggregate of the group (Aggregates).
	Values map[string]float64
	// Reason says it for people: "hdfs_mass_delete: user_name=bob
	// event_type=delete count=12000 in 2026-11-21 10:00–11:00" (the group,
	// then the aggregates the When expression uses).
	Reason string
}

// Engine evaluates rules over buffered rows: Observe the day's rows, then
// Evaluate. Rows are kept in a throwaway in-memory DuckDB (see db.go). An
// Engine is not safe for concurrent use.
//
// Text values are interned in Go and loaded as integer ids (0 for an
// absent value), with a table of the distinct strings: the appender then
// moves only numbers, which is several times cheaper than strings (each
// string is a cgo call), and groups and distinct counts work on integers.
// Absent numbers are loaded as -1.
type Engine struct {
	rules   []compiled
	d       *duck
	conn    driver.Conn
	app     *duckdb.Appender // events
	strApp  *duckdb.Appender // strs
	cols    []column
	vals    []driver.Value
	sources map[string]bool // rows of other sources are skipped; nil: keep all
	rows    int64

	dict   map[string]uint32 // interned text → id
	strs   []string          // id → text; strs[0] is the absent value
	loaded int               // strs loaded into the strs table
}

// column is one column of the events table the engine loads.
type column struct {
	name, typ string
	get       func(e *Engine, r *words.Row) driver.Value
}

func strCol(name string, f func(r *words.Row) string) column {
	return column{name, "UINTEGER", func(e *Engine, r *words.Row) driver.Value { return e.intern(f(r)) }}
}

// eventColumns are the columns the engine can load, by name.
var eventColumns = map[string]column{
	"src_ip":     strCol("src_ip", func(r *words.Row) string { return r.SrcIP }),
	"dst_ip":     strCol("dst_ip", func(r *words.Row) string { return r.DstIP }),
	"user_name":  strCol("user_name", func(r *words.Row) string { return r.UserName }),
	"event_type": strCol("event_type", func(r *words.Row) string { return r.EventType }),
	"action":     strCol("action", func(r *words.Row) string { return r.Action }),
	"source":     strCol("source", func(r *words.Row) string { return r.Source }),
	"format":     strCol("format", func(r *words.Row) string { return r.Format }),
	"proto":      strCol("proto", func(r *words.Row) string { return r.Proto }),
	"dns_qtype":  strCol("dns_qtype", func(r *words.Row) string { return r.DNSQType }),
	"http_host":  strCol("http_host", func(r *words.Row) string { return r.HTTPHost }),
	"app":        strCol("app", func(r *words.Row) string { return r.App }),
	"severity":   strCol("severity", func(r *words.Row) string { return r.Severity }),
	"file_path":  strCol("file_path", func(r *words.Row) string { return r.FilePath }),
	"dvc_host":   strCol("dvc_host", func(r *words.Row) string { return r.DvcHost }),
	"dst_port": {"dst_port", "INTEGER", func(_ *Engine, r *words.Row) driver.Value {
		return max(r.DstPort, -1)
	}},
	"flow_bytes": {"flow_bytes", "BIGINT", func(_ *Engine, r *words.Row) driver.Value {
		return max(r.FlowBytes, -1)
	}},
	"flow_packets": {"flow_packets", "BIGINT", func(_ *Engine, r *words.Row) driver.Value {
		return max(r.FlowPackets, -1)
	}},
	"denied": {"denied", "BOOLEAN", func(_ *Engine, r *words.Row) driver.Value {
		return slices.Contains(DeniedActions, r.Action)
	}},
}

// aggInputs are the columns the aggregates read.
var aggInputs = []string{"src_ip", "dst_ip", "dst_port", "user_name", "denied", "flow_bytes", "flow_packets"}

// intern returns the id of s (0 for "").
func (e *Engine) intern(s string) driver.Value {
	if s == "" {
		return uint32(0)
	}
	if id, ok := e.dict[s]; ok {
		return id
	}
	s = strings.Clone(s) // the row's strings may share a reused buffer
	id := uint32(len(e.strs))
	e.strs = append(e.strs, s)
	e.dict[s] = id
	return id
}

// NewEngine checks rs (as Validate does; all problems in one error) and
// returns an engine ready to Observe rows.
func NewEngine(rs []Rule) (*Engine, error) {
	d, err := openDB()
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	cr, errs := compileWith(d, rs)
	if len(errs) > 0 {
		d.Close()
		return nil, errors.Join(errs...)
	}
	e := &Engine{rules: cr, d: d, dict: map[string]uint32{}, strs: []string{""}, loaded: 1}
	// The columns to load: the time, the source where a rule needs it, what
	// the aggregates read and every group-by column.
	names := []string{}
	need := func(c string) {
		if !slices.Contains(names, c) {
			names = append(names, c)
		}
	}
	e.sources = map[string]bool{}
	for _, r := range cr {
		if r.Source == "" {
			e.sources = nil
		} else if e.sources != nil {
			e.sources[r.Source] = true
		}
	}
	if len(cr) > 0 {
		for _, r := range cr {
			if r.Source != "" {
				need("source")
			}
		}
		for _, c := range aggInputs {
			need(c)
		}
		for _, r := range cr {
			for _, c := range r.GroupBy {
				need(c)
			}
		}
	}
	ddl := []string{"us BIGINT NOT NULL"}
	for _, n := range names {
		c := eventColumns[n]
		e.cols = append(e.cols, c)
		ddl = append(ddl, c.name+" "+c.typ+" NOT NULL")
	}
	e.vals = make([]driver.Value, len(e.cols)+1)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE events (" + strings.Join(ddl, ", ") + ")",
		"CREATE TABLE strs (id UINTEGER NOT NULL, v VARCHAR NOT NULL)",
	} {
		if _, err := d.db.ExecContext(ctx, q); err != nil {
			d.Close()
			return nil, fmt.Errorf("rules: %w", err)
		}
	}
	if e.conn, err = d.conn.Connect(ctx); err == nil {
		if e.app, err = duckdb.NewAppenderFromConn(e.conn, "", "events"); err == nil {
			e.strApp, err = duckdb.NewAppenderFromConn(e.conn, "", "strs")
		}
	}
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("rules: appender: %w", err)
	}
	return e, nil
}

// Observe buffers one row. Rows of sources no rule reads are skipped.
func (e *Engine) Observe(r *words.Row) error {
	if e.app == nil {
		return errClosed
	}
	if e.sources != nil && !e.sources[r.Source] {
		return nil
	}
	if r.Time.IsZero() {
		return fmt.Errorf("rules: row %s has no event time", r.EventID)
	}
	e.vals[0] = r.Time.UnixMicro()
	for i, c := range e.cols {
		e.vals[i+1] = c.get(e, r)
	}
	if err := e.app.AppendRow(e.vals...); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	e.rows++
	return nil
}

var errClosed = errors.New("rules: engine is closed")

// Rows is the number of rows buffered.
func (e *Engine) Rows() int64 { return e.rows }

// Evaluate runs every rule over the rows observed so far and returns the
// hits in a deterministic order: by rule (config order), window start, then
// group values.
func (e *Engine) Evaluate(ctx context.Context) ([]Hit, error) {
	if e.app == nil {
		return nil, errClosed
	}
	for ; e.loaded < len(e.strs); e.loaded++ {
		if err := e.strApp.AppendRow(uint32(e.loaded), e.strs[e.loaded]); err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
	}
	if err := errors.Join(e.strApp.Flush(), e.app.Flush()); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	var hits []Hit
	for _, r := range e.rules {
		hs, err := e.evaluate(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("rules[%d] (%s): %w", r.index, r.Name, err)
		}
		hits = append(hits, hs...)
	}
	return hits, nil
}

// aggSQL are the aggregates' definitions over the loaded columns (ids,
// absent values 0 or -1).
var aggSQL = map[string]string{
	"count":              "count(*)",
	"distinct_dst_ips":   "count(DISTINCT nullif(dst_ip, 0))",
	"distinct_dst_ports": "count(DISTINCT nullif(dst_port, -1))",
	"distinct_src_ips":   "count(DISTINCT nullif(src_ip, 0))",
	"distinct_users":     "count(DISTINCT nullif(user_name, 0))",
	"bytes":              "coalesce(sum(nullif(flow_bytes, -1)), 0)::BIGINT",
	"packets":            "coalesce(sum(nullif(flow_packets, -1)), 0)::BIGINT",
	"denied":             "count(*) FILTER (WHERE denied)",
}

// query is the SQL of rule r over the rows whose source has id src (all
// rows when src is 0). The distinct counts cost most, so it works in two
// steps: agg has count and the aggregates When uses, per group and window,
// with the group values as text (and as ids, __g0...); hit is the groups of
// agg for which the checked SELECT *, (<when>) AS __when FROM agg is true;
// then every aggregate is computed for the hit groups only.
func (r *compiled) query(src uint32) string {
	w := strconv.FormatInt(r.Window.Microseconds(), 10)
	rows := "(SELECT *, us - ((us % " + w + ") + " + w + ") % " + w + " AS w FROM events"
	if src != 0 {
		rows += " WHERE source = " + strconv.FormatUint(uint64(src), 10)
	}
	rows += ")"
	var inner, outer, joins, ids, eg, on strings.Builder
	for i, c := range r.GroupBy {
		gi := "__g" + strconv.Itoa(i)
		inner.WriteString(c + " AS " + gi + ", ")
		if groupType(c) == "INTEGER" {
			outer.WriteString("nullif(g." + gi + ", -1) AS " + c + ", ")
		} else {
			si := "s" + strconv.Itoa(i)
			outer.WriteString(si + ".v AS " + c + ", ")
			joins.WriteString(" LEFT JOIN strs " + si + " ON " + si + ".id = g." + gi)
		}
		ids.WriteString(gi + ", ")
		eg.WriteString("e." + c + ", ")
		on.WriteString(" AND e." + c + " = hit." + gi)
	}
	var some, someNames, all []string
	for _, a := range Aggregates {
		def := aggSQL[a] + " AS " + a
		all = append(all, def)
		if a == "count" || slices.Contains(r.refs, a) {
			some = append(some, def)
			someNames = append(someNames, "g."+a)
		}
	}
	var group, gids strings.Builder
	for i, c := range r.GroupBy {
		group.WriteString(c + ", ")
		gids.WriteString(", g.__g" + strconv.Itoa(i))
	}
	agg := "SELECT " + outer.String() + "g.__w, make_timestamp(g.__w) AS window_start, make_timestamp(g.__w + " + w + ") AS window_end, " +
		strings.Join(someNames, ", ") + gids.String() +
		" FROM (SELECT " + inner.String() + "w AS __w, " + strings.Join(some, ", ") + " FROM " + rows + " GROUP BY " + group.String() + "w) g" + joins.String()
	return "WITH agg AS (" + agg + "), " +
		"hit AS (SELECT " + ids.String() + "__w FROM (" + r.sel + ") WHERE __when) " +
		"SELECT " + eg.String() + "e.w, " + strings.Join(all, ", ") + " FROM " + rows + " e " +
		"SEMI JOIN hit ON e.w = hit.__w" + on.String() + " GROUP BY " + eg.String() + "e.w"
}

// groupValue is one group-by value as read: text, or dst_port.
type groupValue struct {
	s     sql.NullString
	n     sql.NullInt32
	isInt bool
}

func (v groupValue) valid() bool {
	if v.isInt {
		return v.n.Valid
	}
	return v.s.Valid
}

func (v groupValue) String() string {
	switch {
	case !v.valid():
		return ""
	case v.isInt:
		return strconv.Itoa(int(v.n.Int32))
	}
	return v.s.String
}

func compareGroup(a, b groupValue) int {
	if c := cmp.Compare(btoi(a.valid()), btoi(b.valid())); c != 0 || !a.valid() {
		return c
	}
	if a.isInt {
		return cmp.Compare(a.n.Int32, b.n.Int32)
	}
	return strings.Compare(a.s.String, b.s.String)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (e *Engine) evaluate(ctx context.Context, r compiled) ([]Hit, error) {
	var src uint32
	if r.Source != "" {
		id, ok := e.dict[r.Source]
		if !ok {
			return nil, nil // no row of its source
		}
		src = id
	}
	rows, err := e.d.db.QueryContext(ctx, r.query(src))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type hitKey struct {
		w     int64
		group []groupValue
		hit   Hit
	}
	var out []hitKey
	ids := make([]int64, len(r.GroupBy))
	for rows.Next() {
		group := make([]groupValue, len(r.GroupBy))
		var w int64
		aggs := make([]int64, len(Aggregates))
		dest := make([]any, 0, len(group)+1+len(aggs))
		for i := range ids {
			dest = append(dest, &ids[i])
		}
		dest = append(dest, &w)
		for i := range aggs {
			dest = append(dest, &aggs[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		for i, c := range r.GroupBy {
			id := ids[i]
			if groupType(c) == "INTEGER" {
				group[i] = groupValue{isInt: true, n: sql.NullInt32{Int32: int32(id), Valid: id >= 0}}
				continue
			}
			if id < 0 || id >= int64(len(e.strs)) {
				return nil, fmt.Errorf("group value id %d out of range", id)
			}
			group[i] = groupValue{s: sql.NullString{String: e.strs[id], Valid: id != 0}}
		}
		out = append(out, hitKey{w: w, group: group, hit: r.hit(w, group, aggs)})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b hitKey) int {
		if c := cmp.Compare(a.w, b.w); c != 0 {
			return c
		}
		for i := range a.group {
			if c := compareGroup(a.group[i], b.group[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	hits := make([]Hit, len(out))
	for i, k := range out {
		hits[i] = k.hit
	}
	return hits, nil
}

// hit makes the Hit of one group of rule r.
func (r *compiled) hit(w int64, group []groupValue, aggs []int64) Hit {
	start := time.UnixMicro(w).UTC()
	h := Hit{
		ID:          hitID(r.Name, start, r.GroupBy, group),
		Rule:        r.Name,
		Severity:    r.Severity,
		WindowStart: start,
		WindowEnd:   start.Add(r.Window),
		Group:       make(map[string]string, len(group)),
		Values:      make(map[string]float64, len(aggs)),
	}
	var b strings.Builder
	b.WriteString(r.Name + ":")
	for i, c := range r.GroupBy {
		h.Group[c] = group[i].String()
		b.WriteString(" " + c + "=" + showValue(group[i]))
	}
	for i, a := range Aggregates {
		h.Values[a] = float64(aggs[i])
	}
	shown := 0
	for _, c := range r.refs {
		if i := slices.Index(Aggregates, c); i >= 0 {
			fmt.Fprintf(&b, " %s=%d", c, aggs[i])
			shown++
		}
	}
	if shown == 0 {
		fmt.Fprintf(&b, " count=%d", aggs[0])
	}
	b.WriteString(" in " + windowText(h.WindowStart, h.WindowEnd))
	h.Reason = b.String()
	return h
}

// showValue writes a group value for Reason: null, or quoted when it has
// spaces or quotes or is empty.
func showValue(v groupValue) string {
	if !v.valid() {
		return "null"
	}
	s := v.String()
	if s == "" || strings.ContainsAny(s, " \t\n\"'=") {
		return strconv.Quote(s)
	}
	return s
}

// windowText: "2026-11-21 10:00–11:00"; an end at the next midnight is 24:00.
func windowText(start, end time.Time) string {
	layout := "15:04"
	if start.Second() != 0 || end.Second() != 0 {
		layout = "15:04:05"
	}
	e := end.Format(layout)
	if !end.Truncate(24*time.Hour).Equal(start.Truncate(24*time.Hour)) && end.Equal(end.Truncate(24*time.Hour)) {
		e = "24:00"
	}
	return start.Format("2006-01-02 "+layout) + "–" + e
}

// hitID is the stable id of a hit: hex of xxh3-128 over the rule name, the
// window start (Unix microseconds) and each group column with its value
// (null distinct from any text), each length-prefixed.
func hitID(rule string, windowStart time.Time, groupBy []string, group []groupValue) string {
	b := make([]byte, 0, 128)
	field := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	field("hit1")
	field(rule)
	b = binary.AppendVarint(b, windowStart.UnixMicro())
	for i, c := range groupBy {
		field(c)
		if !group[i].valid() {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		field(group[i].String())
	}
	sum := xxh3.Hash128(b).Bytes()
	return hex.EncodeToString(sum[:])
}

// Close releases the engine's database.
func (e *Engine) Close() error {
	var errs []error
	if e.app != nil {
		errs = append(errs, e.app.Close())
		e.app = nil
	}
	if e.conn != nil {
		errs = append(errs, e.conn.Close())
		e.conn = nil
	}
	if e.d != nil {
		errs = append(errs, e.d.Close())
		e.d = nil
	}
	return errors.Join(errs...)
}
