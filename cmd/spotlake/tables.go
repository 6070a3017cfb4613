package main

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/schemas"
)

func newTablesCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "tables", Short: "Show the pipeline's Iceberg tables"}
	var olderThan time.Duration
	var retainLast int
	expire := &cobra.Command{
		Use:   "expire [--older-than 168h] [--retain-last 10]",
		Short: "Drop old snapshots of every table, and the files only they referenced",
		Long: `tables expire drops the snapshots of every table older than --older-than,
keeping at least --retain-last per table, and deletes the metadata and data
files only those snapshots referenced. Every commit adds a snapshot, so run it
now and then (after the daily run, say). Time travel to an expired snapshot is
no longer possible. It takes the run lock and refuses while an interrupted
run's commits are pending.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if olderThan < 0 || retainLast < 1 {
				return usagef("--older-than must not be negative and --retain-last must be at least 1")
			}
			p, err := g.openPipeline(c.Context())
			if err != nil {
				return err
			}
			defer p.Close()
			res, err := p.ExpireSnapshots(c.Context(), olderThan, retainLast)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(res)
			}
			for _, e := range res {
				fmt.Fprintf(g.stdout, "%-18s snapshots %d -> %d\n", e.Table, e.Before, e.After)
			}
			return nil
		},
	}
	expire.Flags().DurationVar(&olderThan, "older-than", 7*24*time.Hour, "expire snapshots older than this")
	expire.Flags().IntVar(&retainLast, "retain-last", 10, "keep at least this many snapshots per table")
	c.AddCommand(expire)
	do := &ddlOptions{}
	ddl := &cobra.Command{
		Use:   "ddl [TABLE...] [--catalog NAME] [--namespace NS]",
		Short: "Print the Spark SQL that creates the tables as spotlake does",
		Long: `tables ddl prints the Spark SQL (CREATE NAMESPACE, then CREATE TABLE ... USING
iceberg) that creates the tables with spotlake's columns, comments, partition
transforms and write properties, in the config's catalog name and namespace.
spotlake creates its tables on first use, and any engine reads them through the
catalog with no DDL; this is for setting a catalog up by hand, or for checking
what an engine would make of the schemas. It needs no catalog connection.`,
		RunE: func(c *cobra.Command, args []string) error {
			do.tables = args
			return runDDL(g, do)
		},
	}
	ddl.Flags().StringVar(&do.catalog, "catalog", "", "catalog name in the statements (default: the config's catalog.name)")
	ddl.Flags().StringVar(&do.namespace, "namespace", "", "namespace (default: the config's pipeline)")
	c.AddCommand(ddl)
	var targetMB int
	var dryRun bool
	compact := &cobra.Command{
		Use:   "compact [TABLE...] [--target-mb 128] [--dry-run]",
		Short: "Merge small data files into files of about --target-mb, one snapshot per table",
		Long: `tables compact rewrites each table's small data files (ingest writes at least
one per input object) into files of about --target-mb, in one atomic snapshot per
table: readers see the old files or the new ones. Files are merged only within a
partition and an input day, so a forced rerun of a day still replaces exactly
that day. It takes the run lock and refuses while an interrupted run's commits
are pending. --dry-run prints what it would do. The files it replaces stay until
tables expire drops the snapshots that reference them.`,
		RunE: func(c *cobra.Command, args []string) error {
			if targetMB < 1 {
				return usagef("--target-mb must be at least 1")
			}
			p, err := g.openPipeline(c.Context())
			if err != nil {
				return err
			}
			defer p.Close()
			res, err := p.Compact(c.Context(), args, int64(targetMB)<<20, dryRun)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(res)
			}
			verb := "rewrote"
			if dryRun {
				verb = "would rewrite"
			}
			for _, r := range res {
				if r.Groups == 0 {
					fmt.Fprintf(g.stdout, "%-18s nothing to compact\n", r.Table)
					continue
				}
				fmt.Fprintf(g.stdout, "%-18s %s %d files (%s) in %d groups", r.Table, verb, r.FilesBefore, humanBytes(float64(r.Bytes)), r.Groups)
				if !dryRun {
					fmt.Fprintf(g.stdout, " into %d", r.FilesAfter)
				}
				fmt.Fprintln(g.stdout)
			}
			return nil
		},
	}
	compact.Flags().IntVar(&targetMB, "target-mb", 128, "size of the files written")
	compact.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be rewritten, rewrite nothing")
	c.AddCommand(compact)
	c.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List tables with rows, snapshots, files and bytes",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			p, err := g.openPipeline(c.Context())
			if err != nil {
				return err
			}
			defer p.Close()
			ts, err := p.Tables(c.Context(), false)
			if err != nil {
				return err
			}
			if g.json {
				for i := range ts {
					ts[i].Columns = nil
				}
				return g.printJSON(ts)
			}
			fmt.Fprintf(g.stdout, "%-18s %12s %10s %8s %12s\n", "table", "rows", "snapshots", "files", "bytes")
			for _, t := range ts {
				if !t.Exists {
					fmt.Fprintf(g.stdout, "%-18s %12s\n", t.Name, "(not created yet)")
					continue
				}
				fmt.Fprintf(g.stdout, "%-18s %12d %10d %8d %12s\n", t.Name, t.Rows, t.Snapshots, t.Files, humanBytes(float64(t.Bytes)))
			}
			return nil
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "describe NAME",
		Short: "Show a table's columns, partitions, files and bytes",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			p, err := g.openPipeline(c.Context())
			if err != nil {
				return err
			}
			defer p.Close()
			t, err := p.Describe(c.Context(), args[0], true)
			if err != nil {
				return usageError{err}
			}
			if g.json {
				return g.printJSON(t)
			}
			w := g.stdout
			fmt.Fprintf(w, "%s.%s — %s\n", p.Config.Pipeline, t.Name, t.Doc)
			if !t.Exists {
				fmt.Fprintln(w, "not created yet: the first run creates it")
			} else {
				fmt.Fprintf(w, "location  %s\nrows      %d\nsnapshots %d\nfiles     %d\nbytes     %s\n", t.Location, t.Rows, t.Snapshots, t.Files, humanBytes(float64(t.Bytes)))
			}
			fmt.Fprintln(w, "\ncolumns:")
			for _, col := range t.Columns {
				req := ""
				if col.Required {
					req = " (required)"
				}
				fmt.Fprintf(w, "  %-18s %-20s %s%s\n", col.Name, col.Type, col.Doc, req)
			}
			if len(t.Partitions) > 0 {
				fmt.Fprintf(w, "\npartitions:\n  %-48s %10s %6s %10s\n", "partition", "rows", "files", "bytes")
				for _, pi := range t.Partitions {
					fmt.Fprintf(w, "  %-48s %10d %6d %10s\n", pi.Partition, pi.Rows, pi.Files, humanBytes(float64(pi.Bytes)))
				}
			}
			return nil
		},
	})
	return c
}

type ddlOptions struct {
	tables             []string
	catalog, namespace string
}

func runDDL(g *globals, o *ddlOptions) error {
	if o.catalog == "" || o.namespace == "" {
		cfg, err := g.loadConfig()
		if err != nil {
			return err
		}
		o.catalog = cmp.Or(o.catalog, cfg.Catalog.Name)
		o.namespace = cmp.Or(o.namespace, cfg.Pipeline)
	}
	if len(o.tables) == 0 {
		out, err := schemas.SparkDDLAll(o.catalog, o.namespace)
		if err != nil {
			return err
		}
		_, err = io.WriteString(g.stdout, out)
		return err
	}
	for i, name := range o.tables {
		t, ok := schemas.Get(name)
		if !ok {
			return usagef("unknown table %q; tables: %s", name, strings.Join(schemas.Names(), ", "))
		}
		out, err := t.SparkDDL(o.catalog, o.namespace)
		if err != nil {
			return err
		}
		if i > 0 {
			io.WriteString(g.stdout, "\n")
		}
		if _, err := io.WriteString(g.stdout, out); err != nil {
			return err
		}
	}
	return nil
}
