package orchestrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/spotlake/spotlake/stages/cache"
	"github.com/spotlake/spotlake/stages/viz"
)

// Dashboard is the dashboard's handler over the hot cache r; labels go to
// the pipeline's feedback table.
func (p *Pipeline) Dashboard(r *cache.Reader, token string) (http.Handler, error) {
	return viz.NewHandler(viz.Options{
		Store:      CacheStore(r),
		Labeler:    labeler{p},
		Token:      token,
		Log:        p.Log,
		StaleAfter: p.Config.Viz.StaleAfter.Duration,
	})
}

// CacheStore is the hot cache r as the dashboard's store.
func CacheStore(r *cache.Reader) viz.Store { return cacheStore{r} }

type cacheStore struct{ r *cache.Reader }

func (s cacheStore) Acquire(ctx context.Context) (*sql.DB, viz.CacheStatus, func(), error) {
	snap, release, err := s.r.Acquire(ctx)
	if err != nil {
		return nil, viz.CacheStatus{}, nil, err
	}
	return snap.DB, vizStatus(snap), release, nil
}

type labeler struct{ p *Pipeline }

func (l labeler) Label(ctx context.Context, eventID, label, note string) error {
	if label != LabelBenign && label != LabelMalicious {
		return fmt.Errorf("%w: label %q: use benign or malicious", viz.ErrBadInput, label)
	}
	_, err := l.p.AddFeedback(ctx, eventID, label, note)
	if errors.Is(err, ErrUnknownEvent) {
		return fmt.Errorf("%w: event %s: %v", viz.ErrNotFound, eventID, err)
	}
	return err
}

// CacheHealth describes the cache a server holds, for its health answer.
func CacheHealth(st cache.Status, staleAfter time.Duration) map[string]any {
	h := map[string]any{"loaded": st.Loaded, "generation": st.Generation, "days": len(st.Days)}
	if len(st.Days) > 0 {
		h["newest_day"] = st.Days[len(st.Days)-1]
		h["built_at"] = st.BuiltAt
		h["stale"] = time.Since(st.BuiltAt) > staleAfter
	}
	return h
}

// vizStatus is what the dashboard knows of a snapshot, with the day-file
// pruning of its queries.
func vizStatus(s *cache.Snapshot) viz.CacheStatus {
	st := s.Status
	return viz.CacheStatus{Loaded: st.Loaded, Generation: st.Generation, BuiltAt: st.BuiltAt, Days: st.Days, Relation: s.Relation}
}
