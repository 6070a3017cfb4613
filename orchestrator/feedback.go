package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"

	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/commit"
	"github.com/spotlake/spotlake/stages/tableio"
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
	files, err := tableio.Write(ctx, tbl, func(f arrow.Field, b array.Builder) error {
		str := func(v string) { tableio.AppendString(f, b, v) }
		switch f.Name {
		case "event_id":
			str(fb.EventID)
		case "label":
			str(fb.Label)
		case "note":
			str(fb.Note)
		case "source":
			str(fb.Source)
		case "document":
			str(fb.Document)
		case "word":
			str(fb.Word)
		case "kind":
			str(fb.Kind)
		case "key":
			str(fb.Key)
		case "input_day":
			b.(*array.Date32Builder).Append(arrow.Date32FromTime(fb.Day))
		case "labelled_at":
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(fb.At.UnixMicro()))
		case "analyst":
			str(fb.Analyst)
		default:
			b.AppendNull()
		}
		return nil
	})
	if err != nil {
		return nil, err
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
		var found *Feedback
		err = tableio.Scan(ctx, tbl, filter, nil, func(r tableio.Row) error {
			fb := &Feedback{EventID: eventID, Source: r.Str("source"), Document: r.Str("document"), Word: r.Str("word"), Day: r.Date("input_day")}
			if r.Str("origin") == "heuristic" {
				fb.Kind, fb.Key = r.Str("kind"), r.Str("key")
			}
			if found == nil || fb.Day.After(found.Day) {
				found = fb
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if found != nil {
			return found, nil
		}
	}
	return nil, fmt.Errorf("%s: %w: label an event from `spotlake` suspicious or scores output", eventID, ErrUnknownEvent)
}
