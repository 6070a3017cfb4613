package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/stages/cache"
)

type cacheRefreshOptions struct {
	days  int
	date  string
	force bool
}

func newCacheCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "cache", Short: "The hot cache: the newest days of events, scores, suspicious and alerts in DuckDB"}
	o := &cacheRefreshOptions{}
	refresh := &cobra.Command{
		Use:   "refresh [--days N] [--date D] [--force]",
		Short: "Bring the hot cache up to date with the Iceberg tables",
		Long: `cache refresh copies the newest N input days (viz.cache_days, default 30) of
events, scores, suspicious and alerts from the Iceberg tables into the hot cache.
It is incremental: only days whose data files changed since the last refresh are
loaded (new days, late data, a forced rerun), days older than the window are
dropped. It is atomic: readers (serve, query) see the old cache or the new one.
The daily run ends with this refresh (its cache stage).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runCacheRefresh(c.Context(), g, o) },
	}
	refresh.Flags().IntVar(&o.days, "days", 0, "days to hold (default: viz.cache_days)")
	refresh.Flags().StringVar(&o.date, "date", "", "newest day of the window (default: the newest day with events)")
	refresh.Flags().BoolVar(&o.force, "force", false, "rebuild every day of the window")
	status := &cobra.Command{
		Use:   "status",
		Short: "Show what the hot cache holds",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return runCacheStatus(g) },
	}
	c.AddCommand(refresh, status)
	return c
}

func runCacheRefresh(ctx context.Context, g *globals, o *cacheRefreshOptions) error {
	if o.days < 0 || o.days > 366 {
		return usagef("--days %d: use 1 to 366", o.days)
	}
	ro := cache.RefreshOptions{Days: o.days, Force: o.force}
	if o.date != "" {
		d, err := parseDay("--date", o.date)
		if err != nil {
			return err
		}
		ro.End = d
	}
	p, err := g.openPipeline(ctx)
	if err != nil {
		return err
	}
	defer p.Close()
	rep, err := p.RefreshCache(ctx, ro)
	if err != nil {
		return err
	}
	if g.json {
		return g.printJSON(rep)
	}
	if len(rep.Window) == 0 {
		fmt.Fprintln(g.stdout, "the tables hold no events yet: nothing to cache (run `spotlake run --date D` first)")
		return nil
	}
	fmt.Fprintf(g.stdout, "hot cache generation %d: %s..%s, %d events; loaded %d days %v, kept %d, dropped %d (%.1fs)\n",
		rep.Generation, rep.Window[0], rep.Window[1], rep.Rows, len(rep.Loaded), rep.Loaded, len(rep.Kept), len(rep.Dropped), rep.Seconds)
	return nil
}

func runCacheStatus(g *globals) error {
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	m, ok, err := cache.ReadManifest(cfg.Cache)
	if err != nil {
		return err
	}
	if g.json {
		return g.printJSON(map[string]any{"loaded": ok, "manifest": m})
	}
	if !ok {
		fmt.Fprintf(g.stdout, "the hot cache in %s is empty: run `spotlake cache refresh`\n", cfg.Cache)
		return nil
	}
	fmt.Fprintf(g.stdout, "generation %d, built %s (%s ago), window %d days\n", m.Generation, m.BuiltAt.Format(time.RFC3339), time.Since(m.BuiltAt).Round(time.Second), m.WindowDays)
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DAY\tEVENTS\tSCORES\tSUSPICIOUS\tALERTS\tLOADED")
	for _, d := range m.Days {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", d.Day, d.Rows["events"], d.Rows["scores"], d.Rows["suspicious"], d.Rows["alerts"], d.LoadedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

type queryOptions struct {
	sql      string
	from, to string
	limit    int
	csv      bool
}

func newQueryCmd(g *globals) *cobra.Command {
	o := &queryOptions{}
	c := &cobra.Command{
		Use:   `query --sql "SELECT ..." [--from D --to D]`,
		Short: "Run read-only SQL on the hot cache (or the Iceberg tables for older days)",
		Long: `query runs one read-only statement (SELECT or EXPLAIN, DuckDB SQL) on the hot
cache. Its tables: events, scores, suspicious, alerts, runs, feedback,
events_daily (day, source, events), rejects_daily (day, source, rejects) and
cache_days. Columns are those of the Iceberg tables (see schemas/README.md).

When --from/--to name days older than the cache holds, the same table names
are defined over the Iceberg tables' data files for those days instead, and
query says so on stderr: slower, but nothing is out of reach. Without
--from/--to, the days the SQL names decide: its comparisons of input_day, day
or event_time with a literal date or timestamp (DuckDB parses the SQL). A
query that starts before the cache's oldest day reads from there; one that
names only an upper bound older than the cache gets a note to pass --from.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runQuery(c.Context(), g, o) },
	}
	c.Flags().StringVar(&o.sql, "sql", "", "the statement")
	c.Flags().StringVar(&o.from, "from", "", "first input day the query needs (YYYY-MM-DD)")
	c.Flags().StringVar(&o.to, "to", "", "last input day the query needs (default: --from)")
	c.Flags().IntVar(&o.limit, "limit", 10000, "print at most this many rows (0: all)")
	c.Flags().BoolVar(&o.csv, "csv", false, "print CSV")
	return c
}

func runQuery(ctx context.Context, g *globals, o *queryOptions) error {
	if strings.TrimSpace(o.sql) == "" {
		return usagef(`--sql is required, e.g. --sql "SELECT source, count(*) FROM events GROUP BY 1"`)
	}
	if o.to != "" && o.from == "" {
		return usagef("--to needs --from")
	}
	var from, to time.Time
	if o.from != "" {
		var err error
		if from, err = parseDay("--from", o.from); err != nil {
			return err
		}
		to = from
		if o.to != "" {
			if to, err = parseDay("--to", o.to); err != nil {
				return err
			}
		}
		if to.Before(from) {
			return usagef("--to %s is before --from %s", o.to, o.from)
		}
	}
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	r, err := cache.OpenReader(ctx, cfg.Cache, 0)
	if err != nil {
		return err
	}
	defer r.Close()
	snap, release, err := r.Acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	db := snap.DB
	held := "nothing"
	if d := snap.Status.Days; len(d) > 0 {
		held = d[0] + ".." + d[len(d)-1]
	}
	why := "the hot cache holds " + held
	if from.IsZero() {
		// No --from/--to: the days the SQL itself names decide.
		from, to, why = sqlDays(ctx, g, snap, o.sql, held)
	}
	switch {
	case !from.IsZero() && !snap.Status.Covers(from, to):
		fmt.Fprintf(g.stderr, "note: %s: reading %s..%s from the Iceberg tables directly, which is slower\n", why, from.Format(time.DateOnly), to.Format(time.DateOnly))
		p, err := g.openPipeline(ctx)
		if err != nil {
			return err
		}
		defer p.Close()
		direct, err := cache.Direct(ctx, p.CacheSource(), from, to, 0)
		if err != nil {
			return err
		}
		defer direct.Close()
		db = direct
	case !snap.Status.Loaded:
		return fmt.Errorf("the hot cache in %s is empty: run `spotlake cache refresh`, or pass --from/--to to read the Iceberg tables", cfg.Cache)
	}
	res, err := cache.Query(ctx, db, o.sql, o.limit)
	if err != nil {
		return usagef("query: %v", err)
	}
	return printResult(g, o, res)
}

// sqlDays are the days to read from the Iceberg tables for a query given
// no --from/--to: those its SQL names, when they start before the hot
// cache's oldest day (zero otherwise), and the reason to say so. A query
// that names only an upper bound older than the cache gets a note: reading
// all of history unasked could be very slow.
func sqlDays(ctx context.Context, g *globals, snap *cache.Snapshot, q, held string) (from, to time.Time, why string) {
	days, err := cache.SQLDays(ctx, snap.DB, q)
	if err != nil {
		return // the query itself reports its syntax error
	}
	var oldest, newest time.Time
	if d := snap.Status.Days; len(d) > 0 {
		oldest, _ = time.Parse(time.DateOnly, d[0])
		newest, _ = time.Parse(time.DateOnly, d[len(d)-1])
	}
	switch {
	case !days.Lower.IsZero() && (oldest.IsZero() || days.Lower.Before(oldest)):
		from, to = days.Lower, days.Upper
		if to.IsZero() {
			to = newest
			if to.IsZero() {
				to = time.Now().UTC().Truncate(24 * time.Hour)
			}
		}
		if to.Before(from) {
			to = from
		}
		why = fmt.Sprintf("the SQL names days from %s and the hot cache holds %s (--from/--to choose the days)", from.Format(time.DateOnly), held)
	case days.Lower.IsZero() && !days.Upper.IsZero() && !oldest.IsZero() && days.Upper.Before(oldest):
		fmt.Fprintf(g.stderr, "note: the SQL names days up to %s only, and the hot cache holds %s: pass --from (and --to) to read older days from the Iceberg tables\n",
			days.Upper.Format(time.DateOnly), held)
	}
	return from, to, why
}

func printResult(g *globals, o *queryOptions, res *cache.Result) error {
	switch {
	case g.json:
		rows := make([]map[string]any, len(res.Rows))
		for i, r := range res.Rows {
			m := make(map[string]any, len(r))
			for j, c := range res.Columns {
				m[c] = jsonValue(r[j])
			}
			rows[i] = m
		}
		return g.printJSON(map[string]any{"columns": res.Columns, "rows": rows, "truncated": res.Truncated})
	case o.csv:
		w := csv.NewWriter(g.stdout)
		w.Write(res.Columns)
		for _, r := range res.Rows {
			rec := make([]string, len(r))
			for i, v := range r {
				rec[i] = textValue(v)
			}
			w.Write(rec)
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(res.Columns, "\t"))
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(textValue(v))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if res.Truncated {
		fmt.Fprintf(g.stderr, "note: only the first %d rows are printed (--limit)\n", o.limit)
	}
	return nil
}

func textValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Nanosecond() == 0 {
			return v.UTC().Format(time.DateOnly)
		}
		return v.UTC().Format(time.RFC3339Nano)
	case []byte:
		return fmt.Sprintf("%x", v)
	}
	return fmt.Sprint(v)
}

func jsonValue(v any) any {
	switch v := v.(type) {
	case duckdb.Map:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[fmt.Sprint(k)] = jsonValue(x)
		}
		return m
	case []byte:
		return fmt.Sprintf("%x", v)
	case time.Time:
		return v.UTC()
	}
	return v
}
