package orchestrator

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/schemas"
)

// Expired is what ExpireSnapshots did to one table.
type Expired struct {
	Table  string `json:"table"`
	Before int    `json:"snapshots_before"`
	After  int    `json:"snapshots_after"`
}

// ExpireSnapshots drops the snapshots of every table older than olderThan,
// keeping at least retainLast per table, and deletes the files only they
// referenced. Every run adds snapshots (one per commit), so metadata grows
// without it. It runs under the run lock and refuses while a commit intent
// is pending: a pending intent is rolled forward by checking the snapshots
// for its id, and expiring them could make a commit look unapplied.
func (p *Pipeline) ExpireSnapshots(ctx context.Context, olderThan time.Duration, retainLast int) ([]Expired, error) {
	if retainLast < 1 {
		return nil, fmt.Errorf("keep at least one snapshot per table (--retain-last 1 or more)")
	}
	host, _ := os.Hostname()
	lock, err := AcquireLock(ctx, p.Config.State, p.Config.Pipeline, LockInfo{
		PID: os.Getpid(), Host: host, RunID: "expire", Command: "tables expire", Since: time.Now().UTC(),
	}, false, nil)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	pending, err := p.Committer.Pending(ctx)
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("%d commit(s) of an interrupted run are pending (first: %s): run `spotlake run` (or any stage) to roll them forward, then expire", len(pending), pending[0].ID)
	}
	var out []Expired
	for _, name := range schemas.Names() {
		tbl, err := p.Table(ctx, name)
		if err != nil {
			return out, err
		}
		e := Expired{Table: name, Before: len(tbl.Metadata().Snapshots())}
		if e.Before <= retainLast {
			e.After = e.Before
			out = append(out, e)
			continue
		}
		txn := tbl.NewTransaction()
		if err := txn.ExpireSnapshots(table.WithOlderThan(olderThan), table.WithRetainLast(retainLast)); err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		nt, err := txn.Commit(ctx)
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		e.After = len(nt.Metadata().Snapshots())
		out = append(out, e)
	}
	return out, nil
}
