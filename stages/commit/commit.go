// Package commit makes a stage's results land exactly once across several
// Iceberg tables, which Iceberg itself cannot commit together.
//
// The protocol is a redo log. A stage writes its data files once, then calls
// Commit with an Intent naming them. Commit first stores the intent durably
// next to the warehouse, then applies it table by table, each table change a
// single Iceberg commit tagged with the intent's id in its snapshot summary,
// then deletes the intent. A process killed at any point leaves either no
// intent (its files are orphans, removed by CleanOrphans) or an intent that
// Recover rolls forward: a table whose snapshots already carry the id is
// skipped, so nothing is applied twice and nothing is lost.
package commit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	icat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/providers/objstore"
)

// IDProperty is the snapshot summary property carrying an intent's id.
const IDProperty = "spotlake.commit-id"

// RunProperty is the snapshot summary property carrying the run id.
const RunProperty = "spotlake.run-id"

// Change is what one commit does to one table.
type Change struct {
	Table string   `json:"table"`
	Add   []string `json:"add"` // data files written for this commit
	// ReplaceDay, when set (YYYY-MM-DD), makes the change an atomic overwrite:
	// every current data file whose rows all have input_day = ReplaceDay is
	// removed in the same snapshot that adds Add.
	ReplaceDay string `json:"replace_day,omitempty"`
}

// Intent is one multi-table commit.
type Intent struct {
	ID      string    `json:"id"`
	RunID   string    `json:"run_id"`
	Created time.Time `json:"created"`
	Changes []Change  `json:"changes"`
}

// Committer applies intents to the tables of one namespace.
type Committer struct {
	Catalog   icat.Catalog
	Namespace string
	// Log stores pending intents (a folder next to the warehouse).
	Log objstore.Store
	// Retries bounds attempts per table on commit conflicts.
	Retries int
}

const intentPrefix = "intents/"

// Commit makes in durable and applies it.
func (c *Committer) Commit(ctx context.Context, in Intent) error {
	if in.ID == "" {
		return errors.New("commit: intent without id")
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	key := intentPrefix + in.ID + ".json"
	if err := c.Log.Put(ctx, key, b); err != nil {
		return fmt.Errorf("store commit intent: %w", err)
	}
	if err := c.apply(ctx, in); err != nil {
		return err
	}
	return c.Log.Delete(ctx, key)
}

// Pending lists the intents not yet fully applied, oldest first.
func (c *Committer) Pending(ctx context.Context) ([]Intent, error) {
	objs, err := c.Log.List(ctx, intentPrefix)
	if err != nil {
		return nil, err
	}
	var out []Intent
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, ".json") {
			continue
		}
		rc, err := c.Log.Open(ctx, o.Key)
		if err != nil {
			return nil, err
		}
		var in Intent
		err = json.NewDecoder(rc).Decode(&in)
		rc.Close()
		if err != nil {
			// A torn write cannot happen (Put is atomic); a corrupt file is a
			// human's doing and must not be silently dropped.
			return nil, fmt.Errorf("commit intent %s is not valid JSON (%v): inspect and remove it by hand", o.Key, err)
		}
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// Recover rolls every pending intent forward and returns how many it applied.
func (c *Committer) Recover(ctx context.Context) (int, error) {
	pending, err := c.Pending(ctx)
	if err != nil {
		return 0, err
	}
	for _, in := range pending {
		if err := c.apply(ctx, in); err != nil {
			return 0, fmt.Errorf("recover commit %s of run %s: %w", in.ID, in.RunID, err)
		}
		if err := c.Log.Delete(ctx, intentPrefix+in.ID+".json"); err != nil {
			return 0, err
		}
	}
	return len(pending), nil
}

func (c *Committer) apply(ctx context.Context, in Intent) error {
	for _, ch := range in.Changes {
		if len(ch.Add) == 0 && ch.ReplaceDay == "" {
			continue
		}
		if err := c.applyChange(ctx, in, ch); err != nil {
			return fmt.Errorf("commit %s to %s: %w", in.ID, ch.Table, err)
		}
	}
	return nil
}

func (c *Committer) applyChange(ctx context.Context, in Intent, ch Change) error {
	ident := table.Identifier{c.Namespace, ch.Table}
	retries := c.Retries
	if retries <= 0 {
		retries = 8
	}
	var lastErr error
	for attempt := 0; attempt < retries; attempt++ {
		if attempt > 0 {
			// Back off with jitter: the other writer needs time to finish.
			d := time.Duration(50<<min(attempt, 6)) * time.Millisecond
			d += time.Duration(rand.Int64N(int64(d)))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		tbl, err := c.Catalog.LoadTable(ctx, ident)
		if err != nil {
			return err
		}
		if Applied(tbl, in.ID) {
			return nil
		}
		err = c.tryChange(ctx, tbl, in, ch)
		if err == nil {
			return nil
		}
		lastErr = err
		if !retryable(err) {
			return err
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", retries, lastErr)
}

func retryable(err error) bool {
	if errors.Is(err, table.ErrCommitFailed) {
		return true
	}
	msg := err.Error()
	// The SQL catalog reports a lost race as a failed requirement or a busy database.
	for _, s := range []string{"requirement failed", "conflict", "database is locked", "busy", "has been updated", "concurrent"} {
		if strings.Contains(strings.ToLower(msg), s) {
			return true
		}
	}
	return false
}

func (c *Committer) tryChange(ctx context.Context, tbl *table.Table, in Intent, ch Change) error {
	fs, err := tbl.FS(ctx)
	if err != nil {
		return err
	}
	spec := tbl.Spec()
	add := make([]iceberg.DataFile, 0, len(ch.Add))
	for _, p := range ch.Add {
		df, err := table.FileToDataFile(ctx, fs, p, tbl.Schema(), spec, 0, tbl.Properties())
		if err != nil {
			return fmt.Errorf("read footer of %s: %w", p, err)
		}
		add = append(add, df)
	}
	props := iceberg.Properties{IDProperty: in.ID, RunProperty: in.RunID}
	tx := tbl.NewTransaction()
	if ch.ReplaceDay != "" {
		old, err := FilesOfDay(ctx, tbl, ch.ReplaceDay)
		if err != nil {
			return err
		}
		if len(old) == 0 && len(add) == 0 {
			return nil
		}
		if len(old) == 0 {
			err = tx.AddDataFiles(ctx, add, props)
		} else {
			err = tx.ReplaceDataFilesWithDataFiles(ctx, old, add, props)
		}
		if err != nil {
			return err
		}
	} else if err := tx.AddDataFiles(ctx, add, props); err != nil {
		return err
	}
	_, err = tx.Commit(ctx)
	return err
}

// Applied reports whether a snapshot of tbl carries commit id.
func Applied(tbl *table.Table, id string) bool {
	for _, s := range tbl.Metadata().Snapshots() {
		if s.Summary != nil && s.Summary.Properties[IDProperty] == id {
			return true
		}
	}
	return false
}

// FilesOfDay returns the current data files of tbl whose input_day is day.
// spotlake writes each data file from one input object, so a file's rows
// share one input_day and its bounds decide.
func FilesOfDay(ctx context.Context, tbl *table.Table, day string) ([]iceberg.DataFile, error) {
	if tbl.CurrentSnapshot() == nil {
		return nil, nil
	}
	d, err := time.Parse("2006-01-02", day)
	if err != nil {
		return nil, err
	}
	lit := iceberg.Date(d.Unix() / 86400)
	tasks, err := tbl.Scan(table.WithRowFilter(iceberg.EqualTo(iceberg.Reference("input_day"), lit))).PlanFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan files of day %s: %w", day, err)
	}
	out := make([]iceberg.DataFile, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, t.File)
	}
	return out, nil
}

// NewID returns a fresh commit id for a run.
func NewID(runID string, seq int) string {
	return fmt.Sprintf("%s-%04d-%08x", runID, seq, rand.Uint32())
}

// LogKey is where an intent of namespace ns lives under the bookkeeping root.
func LogKey(ns string) string { return path.Join(ns, "commits") + "/" }
