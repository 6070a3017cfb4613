package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
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
	return c
}
