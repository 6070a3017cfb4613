package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/providers/compute/local"
)

type clusterOptions struct {
	action, role string
}

func newClusterCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "cluster up|status|down|recreate ROLE",
		Short: "Start, inspect, stop or recreate (without downtime) a role's compute",
		Long: `cluster manages the compute of a role. On the embedded default (provider
local) the one long-running role is viz: the dashboard server.

  cluster up viz        start spotlake serve in the background; prints its address
  cluster status viz    running, unhealthy or stopped, with its cache's freshness
  cluster down viz      stop it (in-flight requests finish first)
  cluster recreate viz  start a new server with the current config, wait until
                        its cache is loaded and healthy, move traffic to it and
                        stop the old one: the address never refuses a connection

The ingest and ml roles run inside spotlake run on this machine; there is no
cluster to start for them locally.

With provider aws, each role is an EMR cluster sized in clusters.ROLE: up starts
one that waits for work (tagged, with the role's idle auto-termination; viz's
master serves the dashboard), status lists the role's clusters, down terminates
them, and cluster gc terminates tagged clusters past their deadline that nothing
owns any more (a crashed controller's leftovers).`,
	}
	c.AddCommand(&cobra.Command{
		Use:   "gc",
		Short: "Terminate leaked clusters: tagged for this pipeline and past their deadline",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return runClusterGC(c.Context(), g) },
	})
	for _, a := range []struct{ name, short string }{
		{"up", "Start a role's compute (viz: the dashboard server, in the background)"},
		{"status", "Show a role's compute"},
		{"down", "Stop a role's compute"},
		{"recreate", "Replace a role's compute without downtime"},
	} {
		o := &clusterOptions{action: a.name}
		c.AddCommand(&cobra.Command{
			Use:   a.name + " ROLE",
			Short: a.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				o.role = args[0]
				return runCluster(c.Context(), g, o)
			},
		})
	}
	return c
}

func (g *globals) vizSupervisor(cfg *config.Config) (*local.Supervisor, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return &local.Supervisor{
		StateDir:     cfg.State,
		Name:         "viz",
		Command:      []string{exe, "serve", "--config", cfg.Path},
		Addr:         cfg.Viz.Listen,
		ReadyTimeout: cfg.Viz.ReadyTimeout.Duration,
		Progress: func(m string) {
			if !g.json {
				fmt.Fprintln(g.stderr, m)
			}
		},
	}, nil
}

func runCluster(ctx context.Context, g *globals, o *clusterOptions) error {
	if !slices.Contains(config.Roles, o.role) {
		return usagef("unknown role %q; roles are %s", o.role, strings.Join(config.Roles, ", "))
	}
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	if cfg.Provider == "aws" {
		return runClusterAWS(ctx, g, o, cfg)
	}
	if o.role != "viz" {
		return usagef("role %s runs inside `spotlake run` on the embedded default (provider local): there is no cluster to %s", o.role, o.action)
	}
	if _, err := dashboardToken(cfg, cfg.Viz.Listen); err != nil {
		return err
	}
	sup, err := g.vizSupervisor(cfg)
	if err != nil {
		return err
	}
	switch o.action {
	case "up":
		st, err := sup.Up(ctx)
		var ar *local.AlreadyRunningError
		if errors.As(err, &ar) {
			return usageError{err}
		}
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w: another program holds %s; stop it, or set viz.listen to a free address (port 0 picks one)", err, cfg.Viz.Listen)
		}
		if err != nil {
			return err
		}
		if g.json {
			return g.printJSON(st)
		}
		fmt.Fprintln(g.stdout, st.URL)
		return nil
	case "status":
		st, err := sup.Status(ctx)
		if err != nil {
			return err
		}
		if g.json {
			return g.printJSON(st)
		}
		fmt.Fprintf(g.stdout, "viz: %s", st.Phase)
		if st.Server != nil && st.Phase != local.Stopped {
			fmt.Fprintf(g.stdout, " at %s (pid %d, generation %d, log %s)", st.Server.URL, st.Server.PID, st.Server.Generation, st.Server.LogFile)
		}
		fmt.Fprintln(g.stdout)
		if st.Note != "" {
			fmt.Fprintln(g.stdout, "  "+st.Note)
		}
		if st.Health != nil && st.Health.Detail != nil {
			fmt.Fprintf(g.stdout, "  cache: %v\n", st.Health.Detail)
		}
		return nil
	case "down":
		st, err := sup.Down(ctx)
		if err != nil {
			return err
		}
		if g.json {
			return g.printJSON(st)
		}
		msg := "viz stopped"
		if st.Note != "" {
			msg = "viz: " + st.Note
		}
		fmt.Fprintln(g.stdout, msg)
		return nil
	case "recreate":
		r, err := sup.Recreate(ctx)
		if err != nil {
			return err
		}
		if g.json {
			return g.printJSON(r)
		}
		fmt.Fprintf(g.stdout, "%s (pid %d, generation %d)\n", r.State.URL, r.State.PID, r.State.Generation)
		if r.Note != "" {
			fmt.Fprintln(g.stdout, "  "+r.Note)
		}
		return nil
	}
	return usagef("unknown action %q", o.action)
}

func runClusterGC(ctx context.Context, g *globals) error {
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	if cfg.Provider != "aws" {
		fmt.Fprintln(g.stdout, "provider local starts no clusters: nothing to collect")
		return nil
	}
	p, err := orchestrator.Open(ctx, cfg, g.logger())
	if err != nil {
		return err
	}
	defer p.Close()
	ctl, err := p.Controller()
	if err != nil {
		return err
	}
	ids, err := ctl.GC(ctx, cfg.Pipeline, time.Now())
	if err != nil {
		return err
	}
	if g.json {
		return g.printJSON(map[string]any{"terminated": ids})
	}
	if len(ids) == 0 {
		fmt.Fprintln(g.stdout, "no leaked clusters")
		return nil
	}
	fmt.Fprintf(g.stdout, "terminated %d clusters past their deadline: %s\n", len(ids), strings.Join(ids, ", "))
	return nil
}

// runClusterAWS manages a role's EMR clusters.
func runClusterAWS(ctx context.Context, g *globals, o *clusterOptions, cfg *config.Config) error {
	p, err := orchestrator.Open(ctx, cfg, g.logger())
	if err != nil {
		return err
	}
	defer p.Close()
	ctl, err := p.Controller()
	if err != nil {
		return err
	}
	switch o.action {
	case "up":
		res, err := p.UpCluster(ctx, o.role)
		if err != nil {
			return err
		}
		if g.json {
			return g.printJSON(res)
		}
		state := "started"
		if res.Reused {
			state = "already running"
		}
		fmt.Fprintf(g.stdout, "%s cluster %s %s (%s), master %s\n", o.role, res.ClusterID, state, res.State, res.MasterDNS)
		if o.role == "viz" && res.MasterDNS != "" {
			_, port, _ := strings.Cut(cfg.Viz.Listen, ":")
			fmt.Fprintf(g.stdout, "dashboard: http://%s:%s\n", res.MasterDNS, port)
		}
		return nil
	case "status":
		cs, err := ctl.Status(ctx, cfg.Pipeline, o.role)
		if err != nil {
			return err
		}
		if g.json {
			return g.printJSON(cs)
		}
		if len(cs) == 0 {
			fmt.Fprintf(g.stdout, "%s: no cluster running\n", o.role)
			return nil
		}
		for _, c := range cs {
			dl := "no deadline"
			if !c.Deadline.IsZero() {
				dl = "deadline " + c.Deadline.Format(time.RFC3339)
			}
			fmt.Fprintf(g.stdout, "%s: %s %s (run %s, by %s, %s, master %s)\n", o.role, c.ID, c.State, c.RunID, c.CreatedBy, dl, c.MasterDNS)
		}
		return nil
	case "down":
		ids, err := ctl.Down(ctx, cfg.Pipeline, o.role)
		if err != nil {
			return err
		}
		if g.json {
			return g.printJSON(map[string]any{"terminated": ids})
		}
		if len(ids) == 0 {
			fmt.Fprintf(g.stdout, "%s: no cluster was running\n", o.role)
			return nil
		}
		fmt.Fprintf(g.stdout, "%s: terminating %s\n", o.role, strings.Join(ids, ", "))
		return nil
	case "recreate":
		if o.role != "viz" {
			return usagef("recreate is for the long-running viz cluster; transient roles are created by every run")
		}
		r, err := p.RecreateViz(ctx, os.Getenv(cfg.Viz.TokenEnv))
		if err != nil {
			return err
		}
		if g.json {
			return g.printJSON(r)
		}
		_, port, _ := strings.Cut(cfg.Viz.Listen, ":")
		fmt.Fprintf(g.stdout, "viz cluster %s is active (healthy), dashboard http://%s:%s; terminated %d old: %s\n",
			r.New.ClusterID, r.New.MasterDNS, port, len(r.Old), strings.Join(r.Old, ", "))
		return nil
	}
	return usagef("unknown action %q", o.action)
}
