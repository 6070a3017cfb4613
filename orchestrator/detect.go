package orchestrator

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/apache/iceberg-go"

	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/detect"
	"github.com/spotlake/spotlake/stages/detect/words"
	"github.com/spotlake/spotlake/stages/tableio"
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
	filter := iceberg.NewAnd(tableio.DayFilter(day), iceberg.LessThanEqual(iceberg.Reference("rank"), int32(n)))
	var out []Score
	err = tableio.Scan(ctx, tbl, filter, []string{"rank", "score", "source", "document", "word", "event_id"}, func(r tableio.Row) error {
		out = append(out, Score{Rank: r.Int32("rank"), Score: r.Float64("score"), Source: r.Str("source"),
			Document: r.Str("document"), Word: r.Str("word"), EventID: r.Str("event_id")})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rank < out[j].Rank })
	return out, nil
}
