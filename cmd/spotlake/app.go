package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
)

// Exit codes, documented in `spotlake --help` and the README.
const (
	ExitOK          = 0   // everything succeeded
	ExitError       = 1   // the command could not do its work (I/O, catalog, bug)
	ExitUsage       = 2   // bad flags, bad arguments or an invalid config
	ExitStageFailed = 3   // the run finished but a stage failed (see its report)
	ExitBusy        = 4   // another run holds the pipeline lock
	ExitInterrupted = 130 // stopped by SIGINT/SIGTERM
)

const exitCodesHelp = `Exit codes:
  0    everything succeeded
  1    the command could not do its work (I/O, catalog, ...)
  2    bad flags or arguments, or an invalid config
  3    the run finished but a stage failed (its report says why)
  4    another run holds the pipeline lock (use --wait)
  130  interrupted (SIGINT/SIGTERM)`

// globals are the flags every command takes.
type globals struct {
	configPath string
	json       bool
	verbose    bool
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
}

// usageError marks errors that are the user's input, for exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// stageFailedError carries exit code 3 after the reports were printed.
type stageFailedError struct{ msg string }

func (e stageFailedError) Error() string { return e.msg }

// Main runs the CLI and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(ctx, err)
	var sf stageFailedError
	if !errors.As(err, &sf) || !g.json {
		fmt.Fprintln(stderr, "spotlake:", err)
	}
	return code
}

func exitCode(ctx context.Context, err error) int {
	var ue usageError
	var ve *config.ValidationError
	var sf stageFailedError
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &ue), errors.As(err, &ve):
		return ExitUsage
	case errors.Is(err, orchestrator.ErrLocked):
		return ExitBusy
	case errors.As(err, &sf):
		return ExitStageFailed
	default:
		return ExitError
	}
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "spotlake",
		Short: "Security-log analytics on transient compute, with Iceberg tables in a shared catalog",
		Long: `spotlake ingests security logs (VPC flow, web access, syslog, HDFS audit,
Navigator, Cowrie, nfdump, DNS, Squid, JSON lines) into Iceberg tables in a
shared catalog, one day at a time, on compute that exists only while it works.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.configPath, "config", "spotlake.yaml", "config file")
	pf.BoolVar(&g.json, "json", false, "print results as JSON")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "log what happens, with details")
	root.AddCommand(
		newInitCmd(g),
		newDemoCmd(g),
		newConfigCmd(g),
		newRunCmd(g),
		newStageCmd(g),
		newPlanCmd(g),
		newTablesCmd(g),
		newScheduleCmd(g),
		newFeedbackCmd(g),
		newCacheCmd(g),
		newQueryCmd(g),
		newServeCmd(g),
		newClusterCmd(g),
		newRunsCmd(g),
		newCostCmd(g),
		newIAMCmd(g),
	)
	return root
}

func (g *globals) logger() *slog.Logger {
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
}

func (g *globals) loadConfig() (*config.Config, error) {
	return config.Load(g.configPath)
}

func (g *globals) openPipeline(ctx context.Context) (*orchestrator.Pipeline, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	return orchestrator.Open(ctx, cfg, g.logger())
}

func (g *globals) printJSON(v any) error {
	enc := json.NewEncoder(g.stdout)
	return enc.Encode(v)
}
