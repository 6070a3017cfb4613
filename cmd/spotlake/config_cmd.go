package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/spotlake/spotlake/orchestrator/config"
)

func newConfigCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Check and show the configuration"}
	c.AddCommand(&cobra.Command{
		Use:   "validate",
		Short: "Report every problem of the config at once, each with its path",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(map[string]any{"config": cfg.Path, "valid": true, "sources": len(cfg.Sources)})
			}
			fmt.Fprintf(g.stdout, "%s is valid: pipeline %s, %d sources, provider %s\n", cfg.Path, cfg.Pipeline, len(cfg.Sources), cfg.Provider)
			return nil
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the config with every default filled in",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(cfg)
			}
			b, err := yaml.Marshal(cfg)
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(b)
			return err
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "schema",
		Short: "Print the config's JSON Schema (for editors: yaml-language-server)",
		Long: `config schema prints the JSON Schema of the config file (also in
schemas/config.schema.json): every field with its type, unknown fields refused,
durations and the fields with a fixed set of values checked. Point an editor at
it with a first line of

  # yaml-language-server: $schema=https://github.com/spotlake/spotlake/schemas/config.schema.json

or a local copy. config validate checks more (ranges, rules between fields).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			b, err := config.JSONSchema()
			if err != nil {
				return err
			}
			_, err = g.stdout.Write(b)
			return err
		},
	})
	return c
}
