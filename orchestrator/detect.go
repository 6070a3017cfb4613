package orchestrator

import (
	"context"
	"fmt"
	"time"

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
