package viz

import (
	"context"
	"database/sql"
	"net/http"
	"slices"
	"strings"
	"time"
)

// rangeJSON describes the range an answer covers.
func rangeJSON(s span) map[string]any {
	return map[string]any{
		"from":      s.from.UTC().Format(time.RFC3339),
		"to":        s.to.UTC().Format(time.RFC3339),
		"first_day": s.firstDay(),
		"last_day":  s.lastDay(),
	}
}

func cacheJSON(st CacheStatus, now time.Time) map[string]any {
	m := map[string]any{
		"loaded":      st.Loaded,
		"generation":  st.Generation,
		"built_at":    nil,
		"age_seconds": nil,
		"days":        nonNil(st.Days),
	}
	if !st.BuiltAt.IsZero() {
		m["built_at"] = st.BuiltAt.UTC().Format(time.RFC3339)
		m["age_seconds"] = int64(now.Sub(st.BuiltAt).Seconds())
	}
	return m
}

// daysIn lists the days of s, ascending (at most maxDaysRange of them).
func daysIn(s span) []string {
	var out []string
	for d := s.from.UTC().Truncate(day); d.Before(s.to) && len(out) <= int(maxDaysRange/day); d = d.Add(day) {
		out = append(out, d.Format(dayLayout))
	}
	return out
}

// GET /api/overview?from=&to=
func (s *server) overview(ctx context.Context, q *query, db *sql.DB, st CacheStatus) (any, error) {
	q.known("from", "to")
	sp := q.span(lastDays(st, defaultDays, q.now), maxDaysRange)
	if err := q.err(); err != nil {
		return nil, err
	}
	dayArgs := []any{sp.firstDay(), sp.lastDay()}
	events, err := queryRows(ctx, db, `SELECT day, source, CAST(sum(events) AS BIGINT) AS events FROM `+st.rel("events_daily", "", sp)+`
		WHERE day >= CAST(? AS DATE) AND day <= CAST(? AS DATE) GROUP BY day, source ORDER BY day, source`, dayArgs...)
	if err != nil {
		return nil, err
	}
	rejects, err := queryRows(ctx, db, `SELECT day, source, CAST(sum(rejects) AS BIGINT) AS rejects FROM `+st.rel("rejects_daily", "", sp)+`
		WHERE day >= CAST(? AS DATE) AND day <= CAST(? AS DATE) GROUP BY day, source ORDER BY day, source`, dayArgs...)
	if err != nil {
		return nil, err
	}
	var totEvents, totRejects int64
	bySource := map[string]int64{}
	var sources []string
	for _, r := range events {
		n, _ := r["events"].(int64)
		src, _ := r["source"].(string)
		totEvents += n
		if _, ok := bySource[src]; !ok {
			sources = append(sources, src)
		}
		bySource[src] += n
	}
	rejectsBySource := map[string]int64{}
	for _, r := range rejects {
		n, _ := r["rejects"].(int64)
		src, _ := r["source"].(string)
		totRejects += n
		rejectsBySource[src] += n
	}
	slices.Sort(sources)
	susp, err := scalarInt(ctx, db, `SELECT count(*) FROM `+st.rel("suspicious", "", sp)+` WHERE input_day >= CAST(? AS DATE) AND input_day <= CAST(? AS DATE)`, dayArgs...)
	if err != nil {
		return nil, err
	}
	alerts, err := scalarInt(ctx, db, `SELECT count(*) FROM `+st.rel("alerts", "", sp)+` WHERE input_day >= CAST(? AS DATE) AND input_day <= CAST(? AS DATE)`, dayArgs...)
	if err != nil {
		return nil, err
	}
	lastRun, err := lastRun(ctx, db)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"range":         rangeJSON(sp),
		"days":          daysIn(sp),
		"sources":       nonNil(sources),
		"events_daily":  events,
		"rejects_daily": rejects,
		"totals": map[string]any{
			"events":            totEvents,
			"rejects":           totRejects,
			"suspicious":        susp,
			"alerts":            alerts,
			"events_by_source":  bySource,
			"rejects_by_source": rejectsBySource,
		},
		"last_run": lastRun,
		"cache":    cacheJSON(st, q.now),
	}, nil
}

// lastRun summarizes the run with the latest start: its stages, an overall
// status (failed if any stage failed, running if one has not finished) and
// its duration, max(finished_at) - min(started_at).
func lastRun(ctx context.Context, db *sql.DB) (any, error) {
	var runID sql.NullString
	err := db.QueryRowContext(ctx, `SELECT run_id FROM runs WHERE run_id IS NOT NULL
		ORDER BY started_at DESC NULLS LAST, finished_at DESC NULLS LAST LIMIT 1`).Scan(&runID)
	if err == sql.ErrNoRows || (err == nil && !runID.Valid) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	stages, err := queryRows(ctx, db, `SELECT stage, status, input_day, started_at, finished_at, seconds, objects, lines,
		"rows", rejects, failed_objects, cluster_type, cluster_size, cost_usd, message, host
		FROM runs WHERE run_id = ? ORDER BY started_at NULLS LAST, stage LIMIT 100`, runID.String)
	if err != nil {
		return nil, err
	}
	var sum struct {
		start, end sql.NullTime
		day        sql.NullTime
		cost       sql.NullFloat64
	}
	err = db.QueryRowContext(ctx, `SELECT min(started_at), max(finished_at), max(input_day), sum(cost_usd) FROM runs WHERE run_id = ?`,
		runID.String).Scan(&sum.start, &sum.end, &sum.day, &sum.cost)
	if err != nil {
		return nil, err
	}
	status := "succeeded"
	for _, st := range stages {
		switch st["status"] {
		case "failed":
			status = "failed"
		case "succeeded", "skipped":
		default:
			if status != "failed" {
				status = "running"
			}
		}
		if st["finished_at"] == nil && status == "succeeded" {
			status = "running"
		}
	}
	out := map[string]any{
		"run_id":           runID.String,
		"status":           status,
		"stages":           stages,
		"started_at":       nil,
		"finished_at":      nil,
		"duration_seconds": nil,
		"input_day":        nil,
		"cost_usd":         nil,
	}
	if sum.start.Valid {
		out["started_at"] = sum.start.Time.UTC().Format(time.RFC3339)
	}
	if sum.end.Valid {
		out["finished_at"] = sum.end.Time.UTC().Format(time.RFC3339)
	}
	if sum.start.Valid && sum.end.Valid {
		out["duration_seconds"] = sum.end.Time.Sub(sum.start.Time).Seconds()
	}
	if sum.day.Valid {
		out["input_day"] = sum.day.Time.UTC().Format(dayLayout)
	}
	if sum.cost.Valid {
		out["cost_usd"] = sum.cost.Float64
	}
	return out, nil
}

// suspiciousCols are the columns of a suspicious listing.
const suspiciousCols = `s.event_id, s.input_day, s.source, s.event_time, s.origin, s.kind, s.severity, s.reason,
	s.rank, s.score, s.document, s.word, s.key, s.src_ip, s.dst_ip, s.dst_port, s.user_name`

const severityOrder = `CASE lower(s.severity) WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END`

// suspiciousSorts maps sort= to an ORDER BY expression and its default order.
var suspiciousSorts = map[string]struct{ expr, order string }{
	"rank":       {"s.rank", "asc"},
	"score":      {"s.score", "asc"},
	"severity":   {severityOrder, "desc"},
	"event_time": {"s.event_time", "desc"},
	"source":     {"s.source", "asc"},
	"kind":       {"s.kind", "asc"},
}

var suspiciousSortNames = []string{"rank", "score", "severity", "event_time", "source", "kind"}

// withLabels lists suspicious rows (page of the filtered, ordered rows) with
// their current feedback: the latest feedback row of each event.
func withLabels(ctx context.Context, db *sql.DB, from string, w *where, orderBy string, limit, offset int) ([]row, error) {
	// ORDER BY ... LIMIT is a top-N (a heap of the page), where numbering
	// every row with a window function sorted the whole range; the page is
	// sorted again after the join, which may reorder it.
	sqlText := `WITH page AS (SELECT ` + suspiciousCols + ` FROM ` + from + w.String() + ` ORDER BY ` + orderBy + ` LIMIT ? OFFSET ?),
		fb AS (SELECT event_id, arg_max(label, labelled_at) AS label, arg_max(note, labelled_at) AS note,
			max(labelled_at) AS labelled_at FROM feedback WHERE event_id IN (SELECT event_id FROM page) GROUP BY event_id)
		SELECT s.*, fb.label, fb.note, fb.labelled_at FROM page s LEFT JOIN fb USING (event_id) ORDER BY ` + orderBy + "\n"
	args := append(append([]any{}, w.args...), limit, offset)
	return queryRows(ctx, db, sqlText, args...)
}

// GET /api/suspicious
func (s *server) suspicious(ctx context.Context, q *query, db *sql.DB, st CacheStatus) (any, error) {
	q.known("day", "from", "to", "source", "kind", "severity", "origin", "ip", "user", "sort", "order", "limit", "offset")
	sp, isDay := q.dayParam("day")
	if !isDay {
		sp = q.span(lastDays(st, defaultDays, q.now), maxDaysRange)
	} else if q.v.Has("from") || q.v.Has("to") {
		q.fail("day: give either day or from/to")
	}
	source, kind, severity, origin := q.text("source"), q.text("kind"), q.text("severity"), q.text("origin")
	ip, user := q.ip("ip"), q.text("user")
	sortBy := q.enum("sort", "rank", suspiciousSortNames...)
	order := q.enum("order", suspiciousSorts[sortBy].order, "asc", "desc")
	limit, offset := q.limit(), q.offset()
	if err := q.err(); err != nil {
		return nil, err
	}
	w := &where{}
	w.add("s.input_day >= CAST(? AS DATE) AND s.input_day <= CAST(? AS DATE)", sp.firstDay(), sp.lastDay())
	w.eq("s.source", source)
	w.eq("s.kind", kind)
	w.eq("s.severity", severity)
	w.eq("s.origin", origin)
	if ip != "" {
		w.add("(s.src_ip = ? OR s.dst_ip = ?)", ip, ip)
	}
	w.eq("s.user_name", user)
	from := st.rel("suspicious", "s", sp)
	total, err := scalarInt(ctx, db, `SELECT count(*) FROM `+from+w.String(), w.args...)
	if err != nil {
		return nil, err
	}
	orderBy := suspiciousSorts[sortBy].expr + " " + order + " NULLS LAST, s.rank ASC, s.event_id ASC"
	rows, err := withLabels(ctx, db, from, w, orderBy, limit, offset)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"range":  rangeJSON(sp),
		"total":  total,
		"limit":  limit,
		"offset": offset,
		"sort":   sortBy,
		"order":  order,
		"rows":   rows,
	}, nil
}

// eventListCols are the columns of an event search result.
const eventListCols = `event_id, event_time, source, format, input_day, event_type, action, severity, app, proto,
	src_ip, src_port, dst_ip, dst_port, user_name, flow_bytes, http_method, http_host, http_url, http_status,
	dns_query, file_path, message, raw`

// GET /api/events
func (s *server) events(ctx context.Context, q *query, db *sql.DB, st CacheStatus) (any, error) {
	q.known("from", "to", "source", "src_ip", "dst_ip", "ip", "user", "port", "event_type", "action", "q", "limit", "offset")
	sp := q.span(newestDay(st, q.now), maxEventsRange)
	source, user, evType, action, text := q.text("source"), q.text("user"), q.text("event_type"), q.text("action"), q.text("q")
	srcIP, dstIP, ip := q.ip("src_ip"), q.ip("dst_ip"), q.ip("ip")
	port, hasPort := q.port("port")
	limit, offset := q.limit(), q.offset()
	if err := q.err(); err != nil {
		return nil, err
	}
	w := &where{}
	w.add("event_time >= CAST(? AS TIMESTAMPTZ) AND event_time < CAST(? AS TIMESTAMPTZ)", sp.fromTS(), sp.toTS())
	w.eq("source", source)
	w.eq("src_ip", srcIP)
	w.eq("dst_ip", dstIP)
	if ip != "" {
		w.add("(src_ip = ? OR dst_ip = ?)", ip, ip)
	}
	w.eq("user_name", user)
	if hasPort {
		w.add("(dst_port = ? OR src_port = ?)", port, port)
	}
	w.eq("event_type", evType)
	w.eq("action", action)
	if text != "" {
		// Smart case, as in ripgrep and vim: a search with a capital letter
		// matches case exactly, one without ignores case. Exact matching
		// reads a day's raw lines about twice as fast (lower() copies each
		// line), and ILIKE slower still (measured).
		if strings.ToLower(text) != text {
			w.add("contains(raw, ?)", text)
		} else {
			w.add("contains(lower(raw), ?)", text)
		}
	}
	rows, err := topEvents(ctx, db, st.rel("events", "", sp), w, limit, offset)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"range":  rangeJSON(sp),
		"limit":  limit,
		"offset": offset,
		"more":   len(rows) == limit,
		"rows":   rows,
	}, nil
}

// GET /api/events/{id}?day=  (day, the event's input day, is an optional hint)
func (s *server) event(ctx context.Context, q *query, db *sql.DB, st CacheStatus) (any, error) {
	q.known("day")
	id := q.r.PathValue("id")
	if id == "" || len(id) > maxTextLen {
		q.fail("id: want an event id of 1 to %d characters", maxTextLen)
	}
	hint, hasHint := q.dayParam("day")
	if err := q.err(); err != nil {
		return nil, err
	}
	w := &where{}
	w.add("event_id = ?", id)
	if hasHint {
		w.add("input_day = CAST(? AS DATE)", hint.firstDay())
	}
	evFrom := "events"
	if hasHint {
		evFrom = st.rel("events", "", hint)
	}
	evs, err := queryRows(ctx, db, `SELECT * EXCLUDE (src_ip_bytes, dst_ip_bytes) FROM `+evFrom+w.String()+` LIMIT 1`, w.args...)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, &httpError{http.StatusNotFound, "event " + quote(id) + " not found in the cache"}
	}
	ev := evs[0]
	dayOf, _ := ev["input_day"].(string)
	fw := &where{}
	fw.add("s.event_id = ?", id)
	if dayOf != "" {
		fw.add("s.input_day = CAST(? AS DATE)", dayOf)
	}
	daySpan := span{}
	sFrom := "suspicious s"
	if d, err := time.Parse(dayLayout, dayOf); err == nil {
		daySpan = span{d, d.Add(day)}
		sFrom = st.rel("suspicious", "s", daySpan)
	}
	susp, err := withLabels(ctx, db, sFrom, fw, "s.rank", maxLimit, 0)
	if err != nil {
		return nil, err
	}
	var scores []row
	if dayOf != "" {
		scores, err = queryRows(ctx, db, `SELECT document, word, score, rank, model_version, run_id FROM `+st.rel("scores", "", daySpan)+`
			WHERE input_day = CAST(? AS DATE) AND event_id = ? ORDER BY rank LIMIT 100`, dayOf, id)
		if err != nil {
			return nil, err
		}
	}
	feedback, err := queryRows(ctx, db, `SELECT label, note, labelled_at, analyst FROM feedback WHERE event_id = ?
		ORDER BY labelled_at DESC NULLS LAST LIMIT 100`, id)
	if err != nil {
		return nil, err
	}
	var label any
	if len(feedback) > 0 {
		label = feedback[0]["label"]
	}
	return map[string]any{
		"event":      ev,
		"suspicious": susp,
		"scores":     nonNilRows(scores),
		"feedback":   feedback,
		"label":      label,
	}, nil
}

func nonNilRows(r []row) []row {
	if r == nil {
		return []row{}
	}
	return r
}

func quote(s string) string { return sprintf("%q", s) }

// GET /api/alerts
func (s *server) alerts(ctx context.Context, q *query, db *sql.DB, st CacheStatus) (any, error) {
	q.known("from", "to", "rule", "severity", "limit", "offset")
	sp := q.span(lastDays(st, defaultDays, q.now), maxDaysRange)
	rule, severity := q.text("rule"), q.text("severity")
	limit, offset := q.limit(), q.offset()
	if err := q.err(); err != nil {
		return nil, err
	}
	w := &where{}
	w.add("input_day >= CAST(? AS DATE) AND input_day <= CAST(? AS DATE)", sp.firstDay(), sp.lastDay())
	w.eq("rule", rule)
	w.eq("severity", severity)
	aFrom := st.rel("alerts", "", sp)
	total, err := scalarInt(ctx, db, `SELECT count(*) FROM `+aFrom+w.String(), w.args...)
	if err != nil {
		return nil, err
	}
	rows, err := queryRows(ctx, db, `SELECT alert_id, input_day, rule, severity, window_start, window_end, group_values,
		aggregates, reason, notified, run_id FROM `+aFrom+w.String()+
		` ORDER BY window_start DESC NULLS LAST, alert_id LIMIT ? OFFSET ?`, append(w.args, limit, offset)...)
	if err != nil {
		return nil, err
	}
	return map[string]any{"range": rangeJSON(sp), "total": total, "limit": limit, "offset": offset, "rows": rows}, nil
}

// GET /api/entity?ip=|user=&from=&to=
func (s *server) entity(ctx context.Context, q *query, db *sql.DB, st CacheStatus) (any, error) {
	q.known("ip", "user", "from", "to", "limit")
	ip, user := q.ip("ip"), q.text("user")
	sp := q.span(lastDays(st, defaultDays, q.now), maxEventsRange)
	limit := q.intIn("limit", defaultLimit, 1, maxLimit)
	if q.err() == nil && (ip == "") == (user == "") {
		q.fail("ip: give exactly one of ip and user")
	}
	if err := q.err(); err != nil {
		return nil, err
	}
	// Every query reads the entity table: each event once per principal
	// it involves, sorted by principal, so DuckDB's zone maps skip all but
	// a few row groups of each day.
	kind, value := "ip", ip
	outRole, inRole := "role = 'src'", "role = 'dst'"
	if user != "" {
		kind, value = "user", user
		outRole, inRole = "TRUE", "TRUE"
	}
	ent := st.rel("entity", "", sp)
	base := "kind = ? AND key = ? AND event_time >= CAST(? AS TIMESTAMPTZ) AND event_time < CAST(? AS TIMESTAMPTZ)"
	baseArgs := []any{kind, value, sp.fromTS(), sp.toTS()}
	args := func(extra ...any) []any { return append(append([]any{}, baseArgs...), extra...) }

	// Peers: for an IP, whom it talked to as source (out) and who talked to
	// it (in); for a user, the destinations and the source hosts of its events.
	peersOut, err := queryRows(ctx, db, `SELECT dst_ip AS peer, count(*) AS events, CAST(coalesce(sum(flow_bytes), 0) AS BIGINT) AS bytes,
		count(DISTINCT dst_port) AS ports, min(event_time) AS first_seen, max(event_time) AS last_seen
		FROM `+ent+` WHERE `+base+` AND `+outRole+` AND dst_ip IS NOT NULL AND dst_ip <> ''
		GROUP BY dst_ip ORDER BY events DESC, peer LIMIT ?`, args(limit)...)
	if err != nil {
		return nil, err
	}
	peersIn, err := queryRows(ctx, db, `SELECT src_ip AS peer, count(*) AS events, CAST(coalesce(sum(flow_bytes), 0) AS BIGINT) AS bytes,
		count(DISTINCT dst_port) AS ports, min(event_time) AS first_seen, max(event_time) AS last_seen
		FROM `+ent+` WHERE `+base+` AND `+inRole+` AND src_ip IS NOT NULL AND src_ip <> ''
		GROUP BY src_ip ORDER BY events DESC, peer LIMIT ?`, args(limit)...)
	if err != nil {
		return nil, err
	}

	bucket, step := "hour", time.Hour
	if sp.length() > 2*day {
		bucket, step = "day", day
	}
	secs := int64(step / time.Second)
	tl, err := queryRows(ctx, db, `SELECT CAST(floor(epoch(event_time) / ?) AS BIGINT) * ? AS t, count(*) AS events
		FROM `+ent+` WHERE `+base+` GROUP BY 1 ORDER BY 1 LIMIT 2000`,
		append([]any{secs, secs}, baseArgs...)...)
	if err != nil {
		return nil, err
	}
	counts := map[int64]int64{}
	var total int64
	for _, r := range tl {
		t, _ := r["t"].(int64)
		n, _ := r["events"].(int64)
		counts[t] = n
		total += n
	}
	timeline := []map[string]any{}
	start := sp.from.UTC().Truncate(step)
	for t := start; t.Before(sp.to) && len(timeline) < 2000; t = t.Add(step) {
		timeline = append(timeline, map[string]any{"t": t.Format(time.RFC3339), "events": counts[t.Unix()]})
	}

	ports, err := queryRows(ctx, db, `SELECT dst_port AS port, count(*) AS events FROM `+ent+`
		WHERE `+base+` AND dst_port IS NOT NULL GROUP BY dst_port ORDER BY events DESC, port LIMIT 20`, baseArgs...)
	if err != nil {
		return nil, err
	}

	w := &where{}
	w.add("s.input_day >= CAST(? AS DATE) AND s.input_day <= CAST(? AS DATE)", sp.firstDay(), sp.lastDay())
	if kind == "ip" {
		w.add("(s.src_ip = ? OR s.dst_ip = ?)", ip, ip)
	} else {
		w.add("s.user_name = ?", user)
	}
	susp, err := withLabels(ctx, db, st.rel("suspicious", "s", sp), w, "s.rank ASC, s.event_id", limit, 0)
	if err != nil {
		return nil, err
	}
	alerts, err := queryRows(ctx, db, `SELECT alert_id, input_day, rule, severity, window_start, window_end, group_values,
		aggregates, reason, notified FROM `+st.rel("alerts", "", sp)+`
		WHERE input_day >= CAST(? AS DATE) AND input_day <= CAST(? AS DATE) AND list_contains(map_values(group_values), ?)
		ORDER BY window_start DESC NULLS LAST, alert_id LIMIT ?`, sp.firstDay(), sp.lastDay(), value, limit)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"kind":       kind,
		"value":      value,
		"range":      rangeJSON(sp),
		"bucket":     bucket,
		"events":     total,
		"peers_out":  peersOut,
		"peers_in":   peersIn,
		"timeline":   timeline,
		"ports":      ports,
		"suspicious": susp,
		"alerts":     alerts,
	}, nil
}

// topEvents lists the newest events matching w in two steps, so the sort of
// a whole day carries two columns only: the ids and times of the page, then
// the page's columns, read from the page's time range alone.
func topEvents(ctx context.Context, db *sql.DB, from string, w *where, limit, offset int) ([]row, error) {
	rs, err := db.QueryContext(ctx, `SELECT event_id, event_time FROM `+from+w.String()+
		` ORDER BY event_time DESC, event_id DESC LIMIT ? OFFSET ?`, append(append([]any{}, w.args...), limit, offset)...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var ids []any
	var lo, hi time.Time
	for rs.Next() {
		var id string
		var t time.Time
		if err := rs.Scan(&id, &t); err != nil {
			return nil, err
		}
		if len(ids) == 0 || t.Before(lo) {
			lo = t
		}
		if len(ids) == 0 || t.After(hi) {
			hi = t
		}
		ids = append(ids, id)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []row{}, nil
	}
	args := append([]any{lo.UTC().Format(time.RFC3339Nano), hi.UTC().Format(time.RFC3339Nano)}, ids...)
	args = append(args, limit)
	return queryRows(ctx, db, `SELECT `+eventListCols+` FROM `+from+`
		WHERE event_time >= CAST(? AS TIMESTAMPTZ) AND event_time <= CAST(? AS TIMESTAMPTZ)
		AND event_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)
		ORDER BY event_time DESC, event_id DESC LIMIT ?`, args...)
}
