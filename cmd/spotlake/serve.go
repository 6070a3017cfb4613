package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/providers/compute/local"
	"github.com/spotlake/spotlake/stages/cache"
)

type serveOptions struct {
	listen    string
	noRefresh bool
}

func newServeCmd(g *globals) *cobra.Command {
	o := &serveOptions{}
	c := &cobra.Command{
		Use:   "serve [--listen HOST:PORT]",
		Short: "Serve the dashboard and its JSON API over the hot cache",
		Long: `serve brings the hot cache up to date (an incremental refresh; --no-refresh
skips it), then serves the dashboard at / and its JSON API under /api/, with
/healthz saying whether the cache is loaded and how fresh it is. A refresh by
the daily run is picked up without a restart.

It binds viz.listen (127.0.0.1:8787). Binding anything but a loopback address
needs a token in the environment variable viz.token_env (SPOTLAKE_TOKEN):
clients send it as "Authorization: Bearer TOKEN", or open /login?token=TOKEN
once in a browser. To run it in the background, and to restart it without
downtime, use spotlake cluster up|recreate viz.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runServe(c.Context(), g, o) },
	}
	c.Flags().StringVar(&o.listen, "listen", "", "address to bind (default: viz.listen)")
	c.Flags().BoolVar(&o.noRefresh, "no-refresh", false, "serve the cache as it is, without refreshing it first")
	return c
}

// dashboardToken reads the token and refuses to expose the dashboard
// beyond this machine without one.
func dashboardToken(cfg *config.Config, addr string) (string, error) {
	token := os.Getenv(cfg.Viz.TokenEnv)
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", usagef("listen address %q: %v", addr, err)
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	if !loopback && token == "" {
		return "", usagef("binding %s exposes the dashboard beyond this machine: set a token in $%s (viz.token_env) first, or bind 127.0.0.1", addr, cfg.Viz.TokenEnv)
	}
	return token, nil
}

func runServe(ctx context.Context, g *globals, o *serveOptions) error {
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	addr := cfg.Viz.Listen
	if o.listen != "" {
		addr = o.listen
	}
	token, err := dashboardToken(cfg, addr)
	if err != nil {
		return err
	}
	p, err := orchestrator.Open(ctx, cfg, g.logger())
	if err != nil {
		return err
	}
	defer p.Close()

	logf := func(format string, args ...any) {
		fmt.Fprintf(g.stderr, "%s serve: %s\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
	}
	// The cache loads before the first connection is accepted: during a
	// recreate the old server takes every connection until this one is
	// ready.
	var loaded atomic.Pointer[cache.Reader]
	defer func() {
		if r := loaded.Load(); r != nil {
			r.Close()
		}
	}()
	var srv *local.Server
	srv = &local.Server{
		Addr: addr,
		HTTP: &http.Server{ReadHeaderTimeout: 10 * time.Second},
		Load: func(ctx context.Context) error {
			if !o.noRefresh {
				rep, err := p.RefreshCache(ctx, cache.RefreshOptions{})
				if err != nil {
					return fmt.Errorf("refresh the hot cache: %w", err)
				}
				logf("hot cache generation %d: loaded %d days, kept %d, dropped %d (%.1fs)", rep.Generation, len(rep.Loaded), len(rep.Kept), len(rep.Dropped), rep.Seconds)
			}
			r, err := cache.OpenReader(ctx, cfg.Cache, 0)
			if err != nil {
				return err
			}
			h, err := p.Dashboard(r, token)
			if err != nil {
				r.Close()
				return err
			}
			srv.HTTP.Handler = h
			loaded.Store(r)
			return nil
		},
		Health: func() local.Health {
			r := loaded.Load()
			if r == nil {
				return local.Health{Detail: "loading the hot cache"}
			}
			snap, release, err := r.Acquire(context.Background())
			if err != nil {
				return local.Health{Detail: err.Error()}
			}
			defer release()
			return local.Health{Ready: true, Detail: orchestrator.CacheHealth(snap.Status, cfg.Viz.StaleAfter.Duration)}
		},
		Logf: logf,
	}
	err = srv.Run(ctx)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: another server holds %s (`spotlake cluster status viz` shows spotlake's own); stop it, or pass --listen HOST:PORT", err, addr)
	}
	return err
}
