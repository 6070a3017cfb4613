package cache

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/spotlake/spotlake/schemas"
)

// File is one data file of an Iceberg table's current snapshot.
type File struct {
	// Path is where DuckDB reads it: a local path.
	Path string
	// MinDay and MaxDay bound the file's input_day ("2006-01-02"); empty
	// when the table has no input_day or the file has no statistics.
	MinDay, MaxDay string
}

// Source is what the cache is filled from: the pipeline's Iceberg tables.
type Source interface {
	// Files lists the data files of table's current snapshot (none when
	// the table does not exist or is empty).
	Files(ctx context.Context, table string) ([]File, error)
}

// Fetcher is a Source whose files are remote (an S3 warehouse): Fetch
// copies them into dir, once each, and returns their local paths in order.
type Fetcher interface {
	Fetch(ctx context.Context, dir string, paths []string) ([]string, error)
}

// local returns paths DuckDB can read: src's own when they are local, or
// copies under dir.
func local(ctx context.Context, src Source, dir string, paths []string) ([]string, error) {
	f, ok := src.(Fetcher)
	if !ok || len(paths) == 0 {
		return paths, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return f.Fetch(ctx, dir, paths)
}

// sourceTables are read for each day: the day tables, plus events_rejected
// for the rejects per day.
var sourceTables = append(append([]string{}, DayTables...), schemas.EventsRejected)

// metaTables are copied whole at every refresh.
var metaTables = []string{schemas.Runs, schemas.Feedback}

// RefreshOptions select what a refresh keeps.
type RefreshOptions struct {
	// Days is the window: the cache holds input days End-Days+1 .. End.
	Days int
	// End is the newest day of the window; zero means the newest input day
	// that has events.
	End time.Time
	// Force rebuilds every day of the window, changed or not.
	Force bool
	// Threads bounds DuckDB's threads (0: all cores).
	Threads int
}

// RefreshReport says what a refresh did.
type RefreshReport struct {
	Generation int64    `json:"generation"`
	Window     []string `json:"window"` // first and last day of the window
	Loaded     []string `json:"loaded"` // days (re)built
	Kept       []string `json:"kept"`   // days unchanged since the last refresh
	Dropped    []string `json:"dropped"`
	Rows       int64    `json:"rows"` // event rows held
	Seconds    float64  `json:"seconds"`
}

// Refresh brings the cache in dir up to date with src: days whose data files
// changed since the last refresh (new days, late data, a forced rerun) are
// rebuilt, unchanged days are kept, days older than the window are dropped.
// The new manifest is the commit point.
func Refresh(ctx context.Context, dir string, src Source, o RefreshOptions) (*RefreshReport, error) {
	start := time.Now()
	if o.Days <= 0 {
		o.Days = 30
	}
	if err := os.MkdirAll(filepath.Join(dir, "days"), 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	old, _, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	staging := filepath.Join(dir, ".staging")
	os.RemoveAll(staging)
	files := map[string][]File{}
	for _, t := range append(append([]string{}, sourceTables...), metaTables...) {
		fs, err := src.Files(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("cache: list %s: %w", t, err)
		}
		files[t] = fs
	}
	end := o.End
	if end.IsZero() {
		end, err = newestDay(files[schemas.Events])
		if err != nil {
			return nil, err
		}
	}
	rep := &RefreshReport{}
	next := Manifest{Version: layoutVersion, Generation: old.Generation + 1, WindowDays: o.Days}
	if !end.IsZero() {
		first := end.AddDate(0, 0, -(o.Days - 1))
		rep.Window = []string{first.Format(time.DateOnly), end.Format(time.DateOnly)}
		for d := first; !d.After(end); d = d.AddDate(0, 0, 1) {
			day := d.Format(time.DateOnly)
			perTable := map[string][]string{}
			any := false
			for _, t := range sourceTables {
				perTable[t] = filesOfDay(files[t], day)
				any = any || len(perTable[t]) > 0
			}
			if !any {
				continue
			}
			fp := fingerprint(day, perTable)
			if e, ok := old.day(day); ok && e.Fingerprint == fp && old.Version == layoutVersion && !o.Force && exists(filepath.Join(dir, e.File)) {
				next.Days = append(next.Days, e)
				rep.Kept = append(rep.Kept, day)
				rep.Rows += e.Rows[schemas.Events]
				continue
			}
			// The fingerprint is of the files' names; what DuckDB reads
			// may be local copies of remote ones.
			read := map[string][]string{}
			for t, ps := range perTable {
				if read[t], err = local(ctx, src, staging, ps); err != nil {
					return nil, fmt.Errorf("cache: fetch %s of %s: %w", t, day, err)
				}
			}
			e, err := buildDay(ctx, dir, day, fp, read, o.Threads)
			os.RemoveAll(staging) // a day's copies are not needed again
			if err != nil {
				return nil, err
			}
			next.Days = append(next.Days, e)
			rep.Loaded = append(rep.Loaded, day)
			rep.Rows += e.Rows[schemas.Events]
		}
	}
	for _, e := range old.Days {
		if _, ok := next.day(e.Day); !ok {
			rep.Dropped = append(rep.Dropped, e.Day)
		}
	}
	metaFiles := map[string][]string{}
	for _, t := range metaTables {
		var paths []string
		for _, f := range files[t] {
			paths = append(paths, f.Path)
		}
		if metaFiles[t], err = local(ctx, src, staging, paths); err != nil {
			return nil, fmt.Errorf("cache: fetch %s: %w", t, err)
		}
	}
	meta, err := buildMeta(ctx, dir, next.Generation, metaFiles, o.Threads)
	os.RemoveAll(staging)
	if err != nil {
		return nil, err
	}
	next.Meta = meta
	next.BuiltAt = time.Now().UTC()
	if err := writeManifest(dir, next); err != nil {
		return nil, fmt.Errorf("cache: commit: %w", err)
	}
	gc(dir, old, next)
	rep.Generation = next.Generation
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func newestDay(fs []File) (time.Time, error) {
	var newest string
	for _, f := range fs {
		if f.MaxDay > newest {
			newest = f.MaxDay
		}
	}
	if newest == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, newest)
}

// filesOfDay are the files that may hold rows of day; the loader filters on
// input_day, so a file without statistics is read for every day.
func filesOfDay(fs []File, day string) []string {
	var out []string
	for _, f := range fs {
		if f.MinDay == "" || (f.MinDay <= day && day <= f.MaxDay) {
			out = append(out, f.Path)
		}
	}
	sort.Strings(out)
	return out
}

func fingerprint(day string, perTable map[string][]string) string {
	h := sha256.New()
	fmt.Fprintf(h, "layout %d\nday %s\n", layoutVersion, day)
	for _, t := range sourceTables {
		fmt.Fprintf(h, "table %s\n", t)
		for _, p := range perTable[t] {
			fmt.Fprintf(h, "%s\n", p)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// buildDay writes one day's file under a temporary name and renames it into
// place; the name carries the fingerprint, so a rebuilt day never overwrites
// a file a reader has open.
func buildDay(ctx context.Context, dir, day, fp string, perTable map[string][]string, threads int) (DayEntry, error) {
	name := filepath.Join("days", day+"-"+fp[:16]+".duckdb")
	final := filepath.Join(dir, name)
	tmp := final + ".tmp"
	os.Remove(tmp)
	db, err := openFile(tmp, threads)
	if err != nil {
		return DayEntry{}, err
	}
	fail := func(err error) (DayEntry, error) {
		db.Close()
		os.Remove(tmp)
		os.Remove(tmp + ".wal")
		return DayEntry{}, fmt.Errorf("cache: day %s: %w", day, err)
	}
	e := DayEntry{Day: day, File: name, Fingerprint: fp, Rows: map[string]int64{}}
	for _, t := range DayTables {
		order := ""
		switch t {
		// events stay in file order: each object is already in time order,
		// which gives DuckDB's zone maps most of what sorting would, and
		// sorting a day costs twice the load (measured).
		case schemas.Scores, schemas.Suspicious:
			order = " ORDER BY rank"
		}
		n, err := loadTable(ctx, db, t, t, perTable[t], "input_day = DATE '"+day+"'", order)
		if err != nil {
			return fail(err)
		}
		e.Rows[t] = n
	}
	stmts := []string{
		"CREATE TABLE " + Entity + " AS SELECT * FROM (" + entitySelect(schemas.Events) + ") ORDER BY kind, key, event_time",
		"CREATE TABLE " + EventsDaily + " AS SELECT input_day AS day, source, count(*)::BIGINT AS events FROM events GROUP BY ALL ORDER BY ALL",
		"CREATE TABLE " + RejectsDaily + " " + extraDDL[RejectsDaily],
	}
	if fs := perTable[schemas.EventsRejected]; len(fs) > 0 {
		stmts = append(stmts, "INSERT INTO "+RejectsDaily+" SELECT input_day, source, count(*)::BIGINT FROM read_parquet("+fileList(fs)+", union_by_name = true, hive_partitioning = false) WHERE input_day = DATE '"+day+"' GROUP BY ALL ORDER BY ALL")
	}
	stmts = append(stmts, "CHECKPOINT")
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fail(err)
		}
	}
	var lo, hi sql.NullTime
	if err := db.QueryRowContext(ctx, "SELECT min(event_time), max(event_time) FROM "+schemas.Events).Scan(&lo, &hi); err != nil {
		return fail(err)
	}
	e.EventsFrom, e.EventsTo = lo.Time.UTC(), hi.Time.UTC()
	if err := db.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(err)
	}
	e.LoadedAt = time.Now().UTC()
	return e, nil
}

// buildMeta copies the small whole tables (runs, feedback) into a file of
// this generation.
func buildMeta(ctx context.Context, dir string, gen int64, files map[string][]string, threads int) (string, error) {
	name := fmt.Sprintf("meta-%d.duckdb", gen)
	final := filepath.Join(dir, name)
	tmp := final + ".tmp"
	os.Remove(tmp)
	db, err := openFile(tmp, threads)
	if err != nil {
		return "", err
	}
	for _, t := range metaTables {
		if _, err := loadTable(ctx, db, t, t, files[t], "", ""); err != nil {
			db.Close()
			os.Remove(tmp)
			return "", fmt.Errorf("cache: %w", err)
		}
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		db.Close()
		return "", err
	}
	if err := db.Close(); err != nil {
		return "", err
	}
	return name, os.Rename(tmp, final)
}

// loadTable creates table as (schema of src) in db and inserts the rows of
// paths that pass where. Files written before a column was added lack it;
// INSERT BY NAME leaves it null.
func loadTable(ctx context.Context, db *sql.DB, table, src string, paths []string, where, order string) (int64, error) {
	ddl, err := ColumnsDDL(src)
	if err != nil {
		return 0, err
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+quoteIdent(table)+" "+ddl); err != nil {
		return 0, fmt.Errorf("create %s: %w", table, err)
	}
	if len(paths) == 0 {
		return 0, nil
	}
	q := "INSERT INTO " + quoteIdent(table) + " BY NAME SELECT * FROM read_parquet(" + fileList(paths) + ", union_by_name = true, hive_partitioning = false)"
	if where != "" {
		q += " WHERE " + where
	}
	q += order
	res, err := db.ExecContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", table, err)
	}
	return res.RowsAffected()
}

func fileList(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func openFile(path string, threads int) (*sql.DB, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	c, err := duckdb.NewConnector(fmt.Sprintf("%s?threads=%d&autoload_known_extensions=false&autoinstall_known_extensions=false", path, threads), nil)
	if err != nil {
		return nil, fmt.Errorf("cache: open %s: %w", path, err)
	}
	db := sql.OpenDB(c)
	// One connection: a build is a sequence of statements, and DuckDB
	// parallelizes each one itself.
	db.SetMaxOpenConns(1)
	return db, nil
}

// gc removes files that neither the new manifest nor the one before it
// names. The previous generation's files stay: a reader that read the old
// manifest a moment ago may be attaching them now.
func gc(dir string, old, next Manifest) {
	keep := map[string]bool{old.Meta: true, next.Meta: true}
	for _, m := range []Manifest{old, next} {
		for _, e := range m.Days {
			keep[e.File] = true
		}
	}
	for _, pat := range []string{"days/*.duckdb", "meta-*.duckdb", "days/*.tmp", "meta-*.tmp", "days/*.wal", "*.wal"} {
		ms, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, m := range ms {
			rel, _ := filepath.Rel(dir, m)
			if !keep[rel] {
				os.Remove(m)
			}
		}
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// lockDir takes the cache's refresh lock: one refresh at a time.
func lockDir(ctx context.Context, dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".refresh.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("cache: lock: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// RefreshMeta rebuilds only the small whole tables (runs, feedback) of the
// cache and commits them as a new generation with the same days: the daily
// run's cache stage records itself in runs after its refresh, and the
// dashboard's "last run" should show it.
func RefreshMeta(ctx context.Context, dir string, src Source, threads int) error {
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	old, ok, err := ReadManifest(dir)
	if err != nil || !ok {
		return err
	}
	staging := filepath.Join(dir, ".staging")
	os.RemoveAll(staging)
	metaFiles := map[string][]string{}
	for _, t := range metaTables {
		fs, err := src.Files(ctx, t)
		if err != nil {
			return fmt.Errorf("cache: list %s: %w", t, err)
		}
		var paths []string
		for _, f := range fs {
			paths = append(paths, f.Path)
		}
		if metaFiles[t], err = local(ctx, src, staging, paths); err != nil {
			return fmt.Errorf("cache: fetch %s: %w", t, err)
		}
	}
	next := old
	next.Generation = old.Generation + 1
	next.Meta, err = buildMeta(ctx, dir, next.Generation, metaFiles, threads)
	os.RemoveAll(staging)
	if err != nil {
		return err
	}
	next.BuiltAt = time.Now().UTC()
	if err := writeManifest(dir, next); err != nil {
		return fmt.Errorf("cache: commit: %w", err)
	}
	gc(dir, old, next)
	return nil
}
