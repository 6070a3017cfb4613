package orchestrator

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/detect"
	"github.com/spotlake/spotlake/stages/detect/words"
)

// runDetect runs the detect stage for one day.
func (p *Pipeline) runDetect(ctx context.Context, sr *StageReport, day time.Time, runID string) {
	events, err := p.Table(ctx, schemas.Events)
	if err != nil {
		sr.Status, sr.Message = StatusFailed, err.Error()
		return
	}
	scores, err := p.Table(ctx, schemas.Scores)
	if err != nil {
		sr.Status, sr.Message = StatusFailed, err.Error()
		return
	}
	d := p.Config.Detect
	st := &detect.Stage{Events: events, Scores: scores, Committer: p.Committer, Models: p.Books, Log: p.Log}
	res, err := st.Run(ctx, detect.Options{
		Day: day, RunID: runID, Topics: d.Topics, Iterations: d.Iterations, Threshold: d.Threshold,
		TopN: d.TopN, WindowDays: d.WindowDays, Workers: d.Workers, Seed: d.Seed,
		Words: words.Options{AllowDomains: d.AllowDomains}, Presence: d.Corpus == "distinct",
	})
	if err != nil {
		sr.Status, sr.Message = StatusFailed, err.Error()
		return
	}
	sr.Detect = res
	sr.Lines, sr.Rows = res.Events, int64(res.Kept)
	sr.Message = res.Message
	if sr.Message == "" {
		sr.Message = fmt.Sprintf("%d events scored with %d documents and %d words (fit %.1fs); %d at or below %g, kept %d",
			res.Scored, res.Documents, res.Words, res.FitSeconds, res.BelowThresh, d.Threshold, res.Kept)
	}
}

// Score is one row of the scores table.
type Score struct {
	Rank     int32   `json:"rank"`
	Score    float64 `json:"score"`
	Source   string  `json:"source"`
	Document string  `json:"document"`
	Word     string  `json:"word"`
	EventID  string  `json:"event_id"`
}

// TopScores returns the n lowest scores of day, rank order.
func (p *Pipeline) TopScores(ctx context.Context, day time.Time, n int) ([]Score, error) {
	tbl, err := p.Table(ctx, schemas.Scores)
	if err != nil || tbl.CurrentSnapshot() == nil {
		return nil, err
	}
	filter := iceberg.NewAnd(
		iceberg.EqualTo(iceberg.Reference("input_day"), iceberg.Date(day.Unix()/86400)),
		iceberg.LessThanEqual(iceberg.Reference("rank"), int32(n)))
	_, recs, err := tbl.Scan(table.WithRowFilter(filter), table.WithSelectedFields("rank", "score", "source", "document", "word", "event_id")).ToArrowRecords(ctx)
	if err != nil {
		return nil, err
	}
	var out []Score
	for rec, err := range recs {
		if err != nil {
			return nil, err
		}
		idx := map[string]int{}
		for i, f := range rec.Schema().Fields() {
			idx[f.Name] = i
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			out = append(out, Score{
				Rank:     rec.Column(idx["rank"]).(*array.Int32).Value(i),
				Score:    rec.Column(idx["score"]).(*array.Float64).Value(i),
				Source:   rec.Column(idx["source"]).(*array.String).Value(i),
				Document: rec.Column(idx["document"]).(*array.String).Value(i),
				Word:     rec.Column(idx["word"]).(*array.String).Value(i),
				EventID:  rec.Column(idx["event_id"]).(*array.String).Value(i),
			})
		}
		rec.Release()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rank < out[j].Rank })
	return out, nil
}
