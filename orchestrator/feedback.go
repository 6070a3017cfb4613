package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/commit"
)

// Feedback labels.
const (
	LabelBenign    = "benign"
	LabelMalicious = "malicious"
)

// ErrUnknownEvent is returned when feedback names an event spotlake never
// showed (it is in neither suspicious nor scores).
var ErrUnknownEvent = errors.New("event not found among suspicious or scored events")

// Feedback is one analyst label and the pattern it applies to.
type Feedback struct {
	EventID  string    `json:"event_id"`
	Label    string    `json:"label"`
	Note     string    `json:"note,omitempty"`
	Source   string    `json:"source"`
	Document string    `json:"document,omitempty"`
	Word     string    `json:"word,omitempty"`
	Kind     string    `json:"kind,omitempty"`
	Key      string    `json:"key,omitempty"`
	Day      time.Time `json:"day"`
	At       time.Time `json:"labelled_at"`
	Analyst  string    `json:"analyst,omitempty"`
}

// AddFeedback labels an event the analyst was shown. The label applies to
// its pattern — the (source, document, word) of a score, the (kind, key) of
// a heuristic finding — in every later run of the OA stage.
func (p *Pipeline) AddFeedback(ctx context.Context, eventID, label, note string) (*Feedback, error) {
	if label != LabelBenign && label != LabelMalicious {
		return nil, fmt.Errorf("label %q: use benign or malicious", label)
	}
	fb, err := p.findShown(ctx, eventID)
	if err != nil {
		return nil, err
	}
	fb.Label, fb.Note, fb.At = label, note, time.Now().UTC()
	if u, err := user.Current(); err == nil {
		fb.Analyst = u.Username
	}
	tbl, err := p.Table(ctx, schemas.Feedback)
	if err != nil {
		return nil, err
	}
	sc, err := table.SchemaToArrowSchema(tbl.Schema(), nil, true, false)
	if err != nil {
		return nil, err
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer rb.Release()
	for i, f := range sc.Fields() {
		b := rb.Field(i)
		s := func(v string) {
			if v == "" && f.Nullable {
				b.AppendNull()
			} else {
				b.(*array.StringBuilder).Append(v)
			}
		}
		switch f.Name {
		case "event_id":
			s(fb.EventID)
		case "label":
			s(fb.Label)
		case "note":
			s(fb.Note)
		case "source":
			s(fb.Source)
		case "document":
			s(fb.Document)
		case "word":
			s(fb.Word)
		case "kind":
			s(fb.Kind)
		case "key":
			s(fb.Key)
		case "input_day":
			b.(*array.Date32Builder).Append(arrow.Date32FromTime(fb.Day))
		case "labelled_at":
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(fb.At.UnixMicro()))
		case "analyst":
			s(fb.Analyst)
		default:
			b.AppendNull()
		}
	}
	rec := rb.NewRecordBatch()
	var files []string
	for df, err := range table.WriteRecords(ctx, tbl, sc, func(yield func(arrow.RecordBatch, error) bool) { yield(rec, nil) }) {
		if err != nil {
			return nil, err
		}
		files = append(files, df.FilePath())
	}
	runID := NewRunID(fb.At)
	if err := p.Committer.Commit(ctx, commit.Intent{ID: commit.NewID(runID, 1), RunID: runID, Created: fb.At,
		Changes: []commit.Change{{Table: schemas.Feedback, Add: files}}}); err != nil {
		return nil, err
	}
	return fb, nil
}

// findShown looks the event up where an analyst could have seen it.
func (p *Pipeline) findShown(ctx context.Context, eventID string) (*Feedback, error) {
	filter := iceberg.EqualTo(iceberg.Reference("event_id"), eventID)
	for _, name := range []string{schemas.Suspicious, schemas.Scores} {
		tbl, err := p.Table(ctx, name)
		if err != nil {
			return nil, err
		}
		if tbl.CurrentSnapshot() == nil {
			continue
		}
		_, recs, err := tbl.Scan(table.WithRowFilter(filter)).ToArrowRecords(ctx)
		if err != nil {
			return nil, err
		}
		var found *Feedback
		for rec, err := range recs {
			if err != nil {
				return nil, err
			}
			idx := map[string]int{}
			for i, f := range rec.Schema().Fields() {
				idx[f.Name] = i
			}
			str := func(col string, i int) string {
				if j, ok := idx[col]; ok {
					if a, ok := rec.Column(j).(*array.String); ok && a.IsValid(i) {
						return a.Value(i)
					}
				}
				return ""
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				fb := &Feedback{EventID: eventID, Source: str("source", i), Document: str("document", i), Word: str("word", i)}
				if str("origin", i) == "heuristic" {
					fb.Kind, fb.Key = str("kind", i), str("key", i)
				}
				if j, ok := idx["input_day"]; ok {
					fb.Day = rec.Column(j).(*array.Date32).Value(i).ToTime()
				}
				if found == nil || fb.Day.After(found.Day) {
					found = fb
				}
			}
			rec.Release()
		}
		if found != nil {
			return found, nil
		}
	}
	return nil, fmt.Errorf("%s: %w: label an event from `spotlake` suspicious or scores output", eventID, ErrUnknownEvent)
}
