package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/orchestrator/config"
)

type initOptions struct {
	dir      string
	pipeline string
	force    bool
	// edit, when set, adjusts the YAML before it is written (the demo's
	// smaller threshold).
	edit func([]byte) []byte
}

func newInitCmd(g *globals) *cobra.Command {
	o := &initOptions{}
	c := &cobra.Command{
		Use:   "init --dir DIR",
		Short: "Create a project for the embedded default (everything on this machine)",
		Long: `init writes DIR/spotlake.yaml: a warehouse in DIR/warehouse, an Iceberg SQL
catalog in DIR/catalog.db (SQLite), raw input in DIR/raw/<source>/dt=YYYY-MM-DD/
and the hot cache in DIR/cache, with one source per supported format.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runInit(g, o) },
	}
	c.Flags().StringVar(&o.dir, "dir", ".", "project folder")
	c.Flags().StringVar(&o.pipeline, "pipeline", "spotlake", "pipeline name (the tables' namespace)")
	c.Flags().BoolVar(&o.force, "force", false, "overwrite an existing spotlake.yaml")
	return c
}

func runInit(g *globals, o *initOptions) error {
	path := filepath.Join(o.dir, "spotlake.yaml")
	if _, err := os.Stat(path); err == nil && !o.force {
		return usagef("%s exists; pass --force to overwrite it", path)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, d := range []string{"warehouse", "raw", "cache"} {
		if err := os.MkdirAll(filepath.Join(o.dir, d), 0o755); err != nil {
			return err
		}
	}
	for _, s := range config.DefaultSources {
		if err := os.MkdirAll(filepath.Join(o.dir, "raw", s), 0o755); err != nil {
			return err
		}
	}
	b := config.InitYAML(o.pipeline)
	if o.edit != nil {
		b = o.edit(b)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	// What init writes must load: catch a template bug here, not at the first run.
	if _, err := config.Load(path); err != nil {
		return fmt.Errorf("the config init wrote does not load (a bug): %w", err)
	}
	if g.json {
		return g.printJSON(map[string]string{"config": path})
	}
	fmt.Fprintf(g.stdout, "wrote %s\ndrop a day of logs into %s/<source>/dt=YYYY-MM-DD/ and run:\n  spotlake --config %s run --date YYYY-MM-DD\n", path, filepath.Join(o.dir, "raw"), path)
	return nil
}
