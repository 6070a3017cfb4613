package orchestrator

import (
	"context"
	"fmt"
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
	release, err := p.maintain(ctx, "expire")
	if err != nil {
		return nil, err
	}
	defer release()
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
