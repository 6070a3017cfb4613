// Package detect is the machine-learning stage: Apache Spot's "suspicious
// connects". Each day's events become (document, word) pairs (package words),
// an LDA model is fitted on them (package lda), every event is scored with
// Σ_k P(topic k | document) · P(word | topic k), and the least likely events
// of the day — at or below a threshold, the lowest first — are written to the
// scores table. The model is kept as a versioned artefact in the warehouse.
package detect

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/providers/objstore"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/commit"
	"github.com/spotlake/spotlake/stages/detect/lda"
	"github.com/spotlake/spotlake/stages/detect/words"
	"github.com/spotlake/spotlake/stages/tableio"
)

// Options tune one run of the stage.
type Options struct {
	Day        time.Time
	RunID      string
	Topics     int
	Iterations int
	Threshold  float64 // keep events scoring at or below it
	TopN       int     // keep at most this many, lowest first
	WindowDays int     // train on this many days ending at Day
	Workers    int
	Seed       int64
	Words      words.Options
	// Presence fits on distinct (document, word) pairs rather than their
	// counts, so that a burst of identical events (a scan, a tunnel) does not
	// teach the model that the burst is its principal's normal behaviour.
	Presence bool
}

// Stage scores days of events.
type Stage struct {
	Events, Scores *table.Table
	Committer      *commit.Committer
	// Models stores the model artefacts (next to the warehouse).
	Models objstore.Store
	Log    *slog.Logger
}

// Result is what a run of the stage did.
type Result struct {
	Day          string  `json:"day"`
	Events       int64   `json:"events"`        // events of the day read
	TrainEvents  int64   `json:"train_events"`  // events of the training window
	NoPrincipal  int64   `json:"no_principal"`  // events that gave no (document, word) pair
	Documents    int     `json:"documents"`     // documents of the model
	Words        int     `json:"words"`         // distinct words of the model
	Tokens       int64   `json:"tokens"`        // (document, word) pairs fitted
	FitSeconds   float64 `json:"fit_seconds"`   // LDA fit
	ScoreSeconds float64 `json:"score_seconds"` // the scoring pass: read, words, score, keep
	Scored       int64   `json:"scored"`        // events scored
	BelowThresh  int64   `json:"below_threshold"`
	Kept         int     `json:"kept"`          // rows written to scores
	ModelVersion string  `json:"model_version"` // "" when nothing was fitted
	Message      string  `json:"message,omitempty"`
}

// ErrNoEvents is returned (wrapped) when the day has nothing to score.
var ErrNoEvents = errors.New("no events to score")

// readColumns are the events columns the stage reads.
var readColumns = []string{"event_id", "event_time", "source", "format", "src_ip", "dst_ip", "proto", "src_port", "dst_port",
	"flow_bytes", "flow_packets", "dns_query", "dns_qtype", "dns_rcode", "dns_frame_len",
	"http_method", "http_url", "http_host", "http_user_agent", "http_content_type", "http_status",
	"event_type", "action", "severity", "app", "message", "user_name", "file_path", "dvc_host", "src_host"}

// Run scores one day.
func (s *Stage) Run(ctx context.Context, o Options) (*Result, error) {
	res := &Result{Day: o.Day.Format("2006-01-02")}
	if o.WindowDays < 1 {
		o.WindowDays = 1
	}
	var days []time.Time
	for i := o.WindowDays - 1; i >= 0; i-- {
		days = append(days, o.Day.AddDate(0, 0, -i))
	}
	stats := words.NewStats(o.Words)
	// Pass 1: day-level statistics (user-agent frequencies of web rows):
	// only the columns and rows they need.
	webRows := iceberg.IsIn(iceberg.Reference("format"), "apache", "squid")
	if err := scanDays(ctx, s.Events, days, []string{"format", "source", "http_user_agent"}, webRows, func(r *words.Row) error {
		stats.Observe(r)
		return nil
	}); err != nil {
		return nil, err
	}
	// Pass 2: the corpus (no event ids needed).
	corpus := lda.NewCorpus()
	var pairs []words.Pair
	if err := scanDays(ctx, s.Events, days, readColumns[1:], nil, func(r *words.Row) error {
		res.TrainEvents++
		pairs = stats.Words(pairs[:0], r)
		for _, p := range pairs {
			if o.Presence {
				if corpus.Count(p.Doc, p.Word) > 0 {
					continue
				}
			}
			corpus.Add(p.Doc, p.Word)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if res.TrainEvents == 0 {
		res.Message = "no events in the training window; nothing scored"
		return res, s.replace(ctx, o, "", nil)
	}
	if corpus.Tokens() == 0 {
		res.Message = "no event of the window names a principal (IP or user); nothing scored"
		return res, s.replace(ctx, o, "", nil)
	}
	start := time.Now()
	model, err := lda.Fit(ctx, corpus, lda.Config{Topics: o.Topics, Iterations: o.Iterations, Seed: o.Seed, Workers: o.Workers})
	if err != nil {
		return nil, fmt.Errorf("fit LDA: %w", err)
	}
	res.FitSeconds = time.Since(start).Seconds()
	res.Documents, res.Words, res.Tokens = model.Docs, model.Words, model.Tokens
	res.ModelVersion = fmt.Sprintf("lda/%s/%s", res.Day, o.RunID)
	var buf bytes.Buffer
	if _, err := model.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("save model: %w", err)
	}
	if err := s.Models.Put(ctx, ModelKey(o.Day, o.RunID), buf.Bytes()); err != nil {
		return nil, fmt.Errorf("save model: %w", err)
	}

	// Pass 3: score the day's events, keeping the N lowest.
	scoreStart := time.Now()
	scorer := model.Scorer()
	top := &lowest{max: o.TopN}
	if err := s.scan(ctx, days[len(days)-1:], func(r *words.Row) error {
		res.Events++
		pairs = stats.Words(pairs[:0], r)
		if len(pairs) == 0 {
			res.NoPrincipal++
			return nil
		}
		best := math.Inf(1)
		var bestPair words.Pair
		for _, p := range pairs {
			sc := score(model, scorer, p)
			if sc < best {
				best, bestPair = sc, p
			}
		}
		res.Scored++
		if best <= o.Threshold {
			res.BelowThresh++
			top.offer(hit{row: *r, pair: bestPair, score: best})
		}
		return nil
	}); err != nil {
		return nil, err
	}
	res.ScoreSeconds = time.Since(scoreStart).Seconds()
	hits := top.sorted()
	res.Kept = len(hits)
	if err := s.replace(ctx, o, res.ModelVersion, hits); err != nil {
		return nil, err
	}
	return res, nil
}

func score(m *lda.Model, s *lda.Scorer, p words.Pair) float64 {
	if d, ok := s.DocID(p.Doc); ok {
		if w, ok := s.WordID(p.Word); ok {
			return s.ScoreIDs(d, w)
		}
	}
	return m.Score(p.Doc, p.Word)
}

// ModelKey is where the model of a day and run is stored.
func ModelKey(day time.Time, runID string) string {
	return "models/lda/dt=" + day.Format("2006-01-02") + "/" + runID + ".lda"
}

// replace swaps the day's rows of the scores table for hits (none when
// empty), so a rerun of the day replaces its scores.
func (s *Stage) replace(ctx context.Context, o Options, modelVersion string, hits []hit) error {
	var files []string
	if len(hits) > 0 {
		var err error
		files, err = tableio.Write(ctx, s.Scores, func(f arrow.Field, b array.Builder) error {
			return appendScores(f, b, o, modelVersion, hits)
		})
		if err != nil {
			return fmt.Errorf("write scores: %w", err)
		}
	}
	return s.Committer.Commit(ctx, commit.Intent{
		ID: commit.NewID(o.RunID, 100), RunID: o.RunID, Created: time.Now().UTC(),
		Changes: []commit.Change{{Table: schemas.Scores, Add: files, ReplaceDay: o.Day.Format("2006-01-02")}},
	})
}

// scan calls fn for every event of days.
func (s *Stage) scan(ctx context.Context, days []time.Time, fn func(*words.Row) error) error {
	return ScanDays(ctx, s.Events, days, fn)
}

// ScanDay calls fn for every event of one input day. fn must copy what it
// keeps of the row: the row is reused.
func ScanDay(ctx context.Context, events *table.Table, day time.Time, fn func(*words.Row) error) error {
	return ScanDays(ctx, events, []time.Time{day}, fn)
}

// ScanDays calls fn for every event of the input days.
func ScanDays(ctx context.Context, events *table.Table, days []time.Time, fn func(*words.Row) error) error {
	return scanDays(ctx, events, days, readColumns, nil, fn)
}

// scanDays reads only cols (the rest of the row stays empty) of the rows of
// days that match where (all when nil).
func scanDays(ctx context.Context, events *table.Table, days []time.Time, cols []string, where iceberg.BooleanExpression, fn func(*words.Row) error) error {
	if events.CurrentSnapshot() == nil {
		return nil
	}
	var filter iceberg.BooleanExpression = iceberg.AlwaysFalse{}
	for _, d := range days {
		filter = iceberg.NewOr(filter, iceberg.EqualTo(iceberg.Reference("input_day"), iceberg.Date(d.Unix()/86400)))
	}
	if where != nil {
		filter = iceberg.NewAnd(filter, where)
	}
	_, recs, err := events.Scan(table.WithRowFilter(filter), table.WithSelectedFields(cols...)).ToArrowRecords(ctx)
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	var r words.Row
	for rec, err := range recs {
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		cols := newColumns(rec)
		for i := 0; i < int(rec.NumRows()); i++ {
			cols.row(i, &r)
			if err := fn(&r); err != nil {
				rec.Release()
				return err
			}
		}
		rec.Release()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// columns gives typed access to a batch of events.
type columns struct {
	str map[string]*array.String
	i32 map[string]*array.Int32
	i64 map[string]*array.Int64
	ts  *array.Timestamp
}

func newColumns(rec arrow.RecordBatch) *columns {
	c := &columns{str: map[string]*array.String{}, i32: map[string]*array.Int32{}, i64: map[string]*array.Int64{}}
	for i, f := range rec.Schema().Fields() {
		switch a := rec.Column(i).(type) {
		case *array.String:
			c.str[f.Name] = a
		case *array.Int32:
			c.i32[f.Name] = a
		case *array.Int64:
			c.i64[f.Name] = a
		case *array.Timestamp:
			c.ts = a
		}
	}
	return c
}

func (c *columns) s(name string, i int) string {
	if a := c.str[name]; a != nil && a.IsValid(i) {
		return a.Value(i)
	}
	return ""
}

func (c *columns) n32(name string, i int) int32 {
	if a := c.i32[name]; a != nil && a.IsValid(i) {
		return a.Value(i)
	}
	return -1
}

func (c *columns) n64(name string, i int) int64 {
	if a := c.i64[name]; a != nil && a.IsValid(i) {
		return a.Value(i)
	}
	return -1
}

func (c *columns) row(i int, r *words.Row) {
	*r = words.Row{
		EventID: c.s("event_id", i), Source: c.s("source", i), Format: c.s("format", i),
		SrcIP: c.s("src_ip", i), DstIP: c.s("dst_ip", i), Proto: c.s("proto", i),
		SrcPort: c.n32("src_port", i), DstPort: c.n32("dst_port", i),
		FlowBytes: c.n64("flow_bytes", i), FlowPackets: c.n64("flow_packets", i),
		DNSQuery: c.s("dns_query", i), DNSQType: c.s("dns_qtype", i), DNSRCode: c.s("dns_rcode", i), DNSFrameLen: c.n32("dns_frame_len", i),
		HTTPMethod: c.s("http_method", i), HTTPURL: c.s("http_url", i), HTTPHost: c.s("http_host", i),
		HTTPUserAgent: c.s("http_user_agent", i), HTTPContentType: c.s("http_content_type", i), HTTPStatus: c.n32("http_status", i),
		EventType: c.s("event_type", i), Action: c.s("action", i), Severity: c.s("severity", i), App: c.s("app", i),
		Message: c.s("message", i), UserName: c.s("user_name", i), FilePath: c.s("file_path", i), DvcHost: c.s("dvc_host", i),
		SrcHost: c.s("src_host", i),
	}
	if c.ts != nil && c.ts.IsValid(i) {
		r.Time = c.ts.Value(i).ToTime(arrow.Microsecond)
	}
}

type hit struct {
	row   words.Row
	pair  words.Pair
	score float64
}

// lowest keeps the max lowest-scoring hits (a max-heap on score; ties broken
// by event id so the result does not depend on read order).
type lowest struct {
	max int
	h   []hit
}

func (l *lowest) Len() int { return len(l.h) }
func (l *lowest) Less(i, j int) bool {
	if l.h[i].score != l.h[j].score {
		return l.h[i].score > l.h[j].score
	}
	return l.h[i].row.EventID > l.h[j].row.EventID
}
func (l *lowest) Swap(i, j int) { l.h[i], l.h[j] = l.h[j], l.h[i] }
func (l *lowest) Push(x any)    { l.h = append(l.h, x.(hit)) }
func (l *lowest) Pop() any {
	x := l.h[len(l.h)-1]
	l.h = l.h[:len(l.h)-1]
	return x
}

func (l *lowest) offer(h hit) {
	if l.max <= 0 {
		return
	}
	if len(l.h) < l.max {
		heap.Push(l, h)
		return
	}
	top := l.h[0]
	if h.score < top.score || (h.score == top.score && h.row.EventID < top.row.EventID) {
		l.h[0] = h
		heap.Fix(l, 0)
	}
}

// sorted returns the hits, lowest score first.
func (l *lowest) sorted() []hit {
	out := make([]hit, len(l.h))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(l).(hit)
	}
	return out
}

// appendScores fills one column of the scores batch.
func appendScores(f arrow.Field, b array.Builder, o Options, modelVersion string, hits []hit) error {
	day := arrow.Date32FromTime(o.Day)
	str := func(v string) { tableio.AppendString(f, b, v) }
	for rank, h := range hits {
		switch f.Name {
		case "event_id":
			str(h.row.EventID)
		case "input_day":
			b.(*array.Date32Builder).Append(day)
		case "source":
			str(h.row.Source)
		case "format":
			str(h.row.Format)
		case "event_time":
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(h.row.Time.UnixMicro()))
		case "document":
			str(h.pair.Doc)
		case "word":
			str(h.pair.Word)
		case "score":
			b.(*array.Float64Builder).Append(h.score)
		case "rank":
			b.(*array.Int32Builder).Append(int32(rank + 1))
		case "src_ip":
			str(h.row.SrcIP)
		case "dst_ip":
			str(h.row.DstIP)
		case "dst_port":
			if h.row.DstPort < 0 {
				b.AppendNull()
			} else {
				b.(*array.Int32Builder).Append(h.row.DstPort)
			}
		case "user_name":
			str(h.row.UserName)
		case "model_version":
			str(modelVersion)
		case "words_version":
			str(words.Version)
		case "run_id":
			str(o.RunID)
		default:
			if !f.Nullable {
				return fmt.Errorf("scores column %s is required but this release cannot fill it", f.Name)
			}
			b.AppendNull()
		}
	}
	return nil
}

// EventAttrs reads one attribute of the events of day that match where:
// event id → the value of the first of keys the event's attrs have. It
// reads only event_id and attrs, for the few events a heuristic needs an
// attribute of (the attrs map is the costliest column to read for all).
func EventAttrs(ctx context.Context, events *table.Table, day time.Time, where iceberg.BooleanExpression, keys ...string) (map[string]string, error) {
	out := map[string]string{}
	if events.CurrentSnapshot() == nil {
		return out, nil
	}
	filter := iceberg.NewAnd(iceberg.EqualTo(iceberg.Reference("input_day"), iceberg.Date(day.Unix()/86400)), where)
	_, recs, err := events.Scan(table.WithRowFilter(filter), table.WithSelectedFields("event_id", "attrs")).ToArrowRecords(ctx)
	if err != nil {
		return nil, fmt.Errorf("read events' attributes: %w", err)
	}
	for rec, err := range recs {
		if err != nil {
			return nil, fmt.Errorf("read events' attributes: %w", err)
		}
		var ids *array.String
		var attrs *array.Map
		for i, f := range rec.Schema().Fields() {
			switch f.Name {
			case "event_id":
				ids, _ = rec.Column(i).(*array.String)
			case "attrs":
				attrs, _ = rec.Column(i).(*array.Map)
			}
		}
		if ids == nil || attrs == nil {
			rec.Release()
			return nil, fmt.Errorf("read events' attributes: no event_id or attrs column")
		}
		mk, _ := attrs.Keys().(*array.String)
		mv, _ := attrs.Items().(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			if !attrs.IsValid(i) || mk == nil || mv == nil {
				continue
			}
			start, end := attrs.ValueOffsets(i)
		keys:
			for _, k := range keys {
				for j := start; j < end; j++ {
					if mk.Value(int(j)) == k && mv.IsValid(int(j)) {
						out[strings.Clone(ids.Value(i))] = strings.Clone(mv.Value(int(j)))
						break keys
					}
				}
			}
		}
		rec.Release()
	}
	return out, nil
}
