package cache

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/spotlake/spotlake/schemas"
)

// Status is what a reader holds.
type Status struct {
	Loaded     bool      `json:"loaded"`
	Generation int64     `json:"generation"`
	BuiltAt    time.Time `json:"built_at"`
	Days       []string  `json:"days"`
}

// Reader serves the cache to queries. Each generation of the cache is a
// Snapshot: an in-memory DuckDB with the day files attached read-only and
// views over them. When a refresh commits a new manifest, the next Acquire
// opens the new generation; queries still running on the old one finish
// there, and the old one closes when the last of them releases it.
type Reader struct {
	dir     string
	threads int

	mu      sync.Mutex
	cur     *Snapshot
	stamp   string // manifest size+mtime of cur
	checked time.Time
	closed  bool
}

// Snapshot is one generation of the cache, open for queries.
type Snapshot struct {
	DB       *sql.DB
	Manifest Manifest
	Status   Status

	refs   int
	retire bool
	mu     sync.Mutex
}

// OpenReader opens the cache in dir. A cache never refreshed opens empty
// (Status.Loaded false) and is picked up once a refresh commits.
func OpenReader(ctx context.Context, dir string, threads int) (*Reader, error) {
	r := &Reader{dir: dir, threads: threads}
	if _, err := r.reload(ctx, true); err != nil {
		return nil, err
	}
	return r, nil
}

// recheck bounds how often Acquire stats the manifest.
const recheck = 200 * time.Millisecond

// Acquire returns the current snapshot; call release when the query is done.
func (r *Reader) Acquire(ctx context.Context) (*Snapshot, func(), error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, nil, fmt.Errorf("cache reader closed")
	}
	if time.Since(r.checked) > recheck {
		r.mu.Unlock()
		if _, err := r.reload(ctx, false); err != nil {
			// Keep serving the generation we have; the next Acquire retries.
			_ = err
		}
		r.mu.Lock()
	}
	s := r.cur
	s.mu.Lock()
	s.refs++
	s.mu.Unlock()
	r.mu.Unlock()
	var once sync.Once
	return s, func() { once.Do(func() { s.release() }) }, nil
}

// Reload opens the newest generation now if the manifest changed; it
// reports whether it did.
func (r *Reader) Reload(ctx context.Context) (bool, error) { return r.reload(ctx, false) }

func (r *Reader) reload(ctx context.Context, first bool) (bool, error) {
	// Try a few times: a refresh may commit and collect between our reading
	// the manifest and attaching its files.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		stamp := manifestStamp(r.dir)
		r.mu.Lock()
		r.checked = time.Now()
		same := !first && stamp == r.stamp
		r.mu.Unlock()
		if same {
			return false, nil
		}
		m, ok, err := ReadManifest(r.dir)
		if err != nil {
			return false, err
		}
		s, err := openSnapshot(ctx, r.dir, m, ok, r.threads)
		if err != nil {
			lastErr = err
			continue
		}
		r.mu.Lock()
		old := r.cur
		r.cur, r.stamp = s, stamp
		r.mu.Unlock()
		if old != nil {
			old.retireNow()
		}
		return true, nil
	}
	return false, lastErr
}

// Close closes the reader; snapshots in use close when released.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.cur != nil {
		r.cur.retireNow()
	}
	return nil
}

func manifestStamp(dir string) string {
	fi, err := os.Stat(filepath.Join(dir, manifestName))
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d/%d", fi.Size(), fi.ModTime().UnixNano())
}

func (s *Snapshot) release() {
	s.mu.Lock()
	s.refs--
	done := s.retire && s.refs == 0
	s.mu.Unlock()
	if done {
		s.DB.Close()
	}
}

func (s *Snapshot) retireNow() {
	s.mu.Lock()
	s.retire = true
	done := s.refs == 0
	s.mu.Unlock()
	if done {
		s.DB.Close()
	}
}

// openSnapshot attaches a generation's files to a fresh in-memory DuckDB
// and defines the reader views over them. feedback is a writable copy, so
// the dashboard can show a label the moment it is recorded.
func openSnapshot(ctx context.Context, dir string, m Manifest, loaded bool, threads int) (*Snapshot, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	c, err := duckdb.NewConnector(fmt.Sprintf("?threads=%d&autoload_known_extensions=false&autoinstall_known_extensions=false", threads), nil)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	db := sql.OpenDB(c)
	fail := func(err error) (*Snapshot, error) {
		db.Close()
		return nil, fmt.Errorf("cache: open generation %d: %w", m.Generation, err)
	}
	var stmts []string
	if !loaded || len(m.Days) == 0 {
		if err := CreateEmpty(ctx, db); err != nil {
			return fail(err)
		}
	} else {
		var dbs []string
		for i, e := range m.Days {
			alias := dayAlias(i)
			stmts = append(stmts, fmt.Sprintf("ATTACH '%s' AS %s (READ_ONLY)", sqlString(filepath.Join(dir, e.File)), alias))
			dbs = append(dbs, alias)
		}
		stmts = append(stmts, fmt.Sprintf("ATTACH '%s' AS meta (READ_ONLY)", sqlString(filepath.Join(dir, m.Meta))))
		for _, t := range append(append([]string{}, DayTables...), EventsDaily, RejectsDaily, Entity) {
			parts := make([]string, len(dbs))
			for i, a := range dbs {
				parts[i] = "SELECT * FROM " + a + "." + t
			}
			stmts = append(stmts, "CREATE VIEW "+t+" AS "+strings.Join(parts, " UNION ALL "))
		}
		stmts = append(stmts,
			"CREATE VIEW "+schemas.Runs+" AS SELECT * FROM meta."+schemas.Runs,
			"CREATE TABLE "+schemas.Feedback+" AS SELECT * FROM meta."+schemas.Feedback,
			"CREATE TABLE "+CacheDays+" "+extraDDL[CacheDays],
		)
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fail(err)
		}
	}
	for _, e := range m.Days {
		if !loaded {
			break
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO "+CacheDays+" VALUES (?, ?, ?, ?, ?, ?)",
			mustDate(e.Day), e.LoadedAt, e.Rows[schemas.Events], e.Rows[schemas.Scores], e.Rows[schemas.Suspicious], e.Rows[schemas.Alerts]); err != nil {
			return fail(err)
		}
	}
	s := &Snapshot{DB: db, Manifest: m}
	s.Status = Status{Loaded: loaded, Generation: m.Generation, BuiltAt: m.BuiltAt, Days: m.DayNames()}
	return s, nil
}

func mustDate(d string) time.Time {
	t, _ := time.Parse(time.DateOnly, d)
	return t
}

func sqlString(s string) string { return strings.ReplaceAll(s, "'", "''") }

func dayAlias(i int) string { return fmt.Sprintf("d%03d", i) }

// byEventTime are the day tables whose rows a query selects by event time;
// the others by input day.
var byEventTime = map[string]bool{schemas.Events: true, Entity: true}

// Relation is the SQL relation (a view name, or a subquery aliased as),
// with table's rows for the window from..to (to exclusive): a union of only
// the day files that can hold a match. Every day file is a branch of the
// table's view, and each branch costs a query about a millisecond even
// when its zone maps skip all of it; a dashboard query over one day of a
// 30-day cache reads one branch instead of thirty.
func (s *Snapshot) Relation(table, as string, from, to time.Time) string {
	if as == "" {
		as = table
	}
	perDay := table == EventsDaily || table == RejectsDaily || byEventTime[table]
	for _, t := range DayTables {
		perDay = perDay || t == table
	}
	if !perDay || !s.Status.Loaded || len(s.Manifest.Days) == 0 {
		return quoteIdent(table) + " AS " + quoteIdent(as)
	}
	var parts []string
	for i, e := range s.Manifest.Days {
		if !e.holds(table, from, to) {
			continue
		}
		parts = append(parts, "SELECT * FROM "+dayAlias(i)+"."+quoteIdent(table))
	}
	switch {
	case len(parts) == len(s.Manifest.Days):
		return quoteIdent(table) + " AS " + quoteIdent(as)
	case len(parts) == 0:
		// The shape of the table, no rows.
		return "(SELECT * FROM " + dayAlias(0) + "." + quoteIdent(table) + " WHERE false) AS " + quoteIdent(as)
	}
	return "(" + strings.Join(parts, " UNION ALL ") + ") AS " + quoteIdent(as)
}

// holds reports whether the day's file can hold rows of table in from..to.
func (e DayEntry) holds(table string, from, to time.Time) bool {
	day, err := time.Parse(time.DateOnly, e.Day)
	if err != nil {
		return true
	}
	if byEventTime[table] {
		lo, hi := e.EventsFrom, e.EventsTo
		if lo.IsZero() || hi.IsZero() { // a manifest from before the bounds were kept
			lo, hi = day.AddDate(0, 0, -1), day.AddDate(0, 0, 2)
		}
		return !hi.Before(from) && lo.Before(to)
	}
	first := from.UTC().Truncate(24 * time.Hour)
	return !day.Before(first) && day.Before(to)
}
