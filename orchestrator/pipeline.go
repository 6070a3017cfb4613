// Package orchestrator plans and runs a pipeline: which stages, which days,
// where they run; the run lock, run records, recovery of interrupted commits
// and the cron scheduler. It is the only package that wires stages to
// providers.
package orchestrator

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	icat "github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/spotlake/spotlake/orchestrator/config"
	spaws "github.com/spotlake/spotlake/providers/aws"
	"github.com/spotlake/spotlake/providers/catalog"
	"github.com/spotlake/spotlake/providers/objstore"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/commit"
	"github.com/spotlake/spotlake/stages/ingest"
	"github.com/spotlake/spotlake/stages/ingest/formats"
)

// Pipeline is an opened pipeline: its config, catalog and stores.
type Pipeline struct {
	Config  *config.Config
	Catalog icat.Catalog
	Raw     objstore.Store
	// Books is the bookkeeping store next to the warehouse: commit intents
	// and in-flight markers.
	Books     objstore.Store
	Committer *commit.Committer
	Log       *slog.Logger
	// AWS is the SDK configuration when anything lives on AWS (nil
	// otherwise).
	AWS *aws.Config
}

// Open opens the pipeline's catalog and stores. It creates nothing in the
// catalog; tables are created when a stage first needs them.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Pipeline, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// One SDK configuration (default credential chain) for every AWS client,
	// loaded only when something lives on AWS.
	var awsCfg *aws.Config
	if isS3(cfg.Raw) || isS3(cfg.Warehouse) || cfg.Catalog.Type == "glue" {
		c, err := spaws.Load(ctx, cfg.AWS.Region)
		if err != nil {
			return nil, err
		}
		awsCfg = &c
	}
	raw, err := openStore(ctx, cfg.Raw, awsCfg)
	if err != nil {
		return nil, fmt.Errorf("raw: %w", err)
	}
	books, err := openStore(ctx, strings.TrimSuffix(cfg.Warehouse, "/")+"/_spotlake/"+cfg.Pipeline, awsCfg)
	if err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	cat, err := catalog.Open(ctx, catalog.Options{
		Type: cfg.Catalog.Type, Name: cfg.Catalog.Name, URI: cfg.Catalog.URI, Warehouse: cfg.Warehouse,
		Region: cfg.AWS.Region, AWS: awsCfg,
	})
	if err != nil {
		return nil, err
	}
	return &Pipeline{
		Config: cfg, Catalog: cat, Raw: raw, Books: books, Log: log,
		Committer: &commit.Committer{Catalog: cat, Namespace: cfg.Pipeline, Log: books},
		AWS:       awsCfg,
	}, nil
}

func isS3(loc string) bool { return strings.HasPrefix(loc, "s3://") }

// openStore opens an s3:// location with awsCfg, anything else as a folder.
func openStore(ctx context.Context, loc string, awsCfg *aws.Config) (objstore.Store, error) {
	if isS3(loc) {
		if awsCfg == nil {
			return nil, fmt.Errorf("%s: no AWS configuration loaded", loc)
		}
		return objstore.NewS3(ctx, loc, *awsCfg)
	}
	return objstore.NewLocal(loc)
}

// Close releases the catalog.
func (p *Pipeline) Close() error { return catalog.Close(p.Catalog) }

// Table loads (creating on first use) one of the pipeline's tables.
func (p *Pipeline) Table(ctx context.Context, name string) (*table.Table, error) {
	return catalog.EnsureTable(ctx, p.Catalog, p.Config.Pipeline, name)
}

// IngestSources turns the config's enabled sources into the stage's.
func IngestSources(cfg *config.Config) ([]ingest.Source, error) {
	var out []ingest.Source
	for _, s := range cfg.EnabledSources() {
		f, ok := formats.Lookup(s.Format)
		if !ok {
			return nil, fmt.Errorf("source %s: unknown format %q", s.Name, s.Format)
		}
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		pats := s.Patterns
		if len(pats) == 0 {
			pats = f.Patterns
		}
		var res []*regexp.Regexp
		for _, p := range pats {
			re, err := regexp.Compile(p)
			if err != nil {
				return nil, fmt.Errorf("source %s: pattern %q: %w", s.Name, p, err)
			}
			res = append(res, re)
		}
		out = append(out, ingest.Source{Name: s.Name, Format: f, Prefix: s.Prefix, Patterns: res, Options: s.FormatOptions, Location: loc})
	}
	return out, nil
}

// ingestStage builds the ingest stage with its tables.
func (p *Pipeline) ingestStage(ctx context.Context) (*ingest.Stage, error) {
	srcs, err := IngestSources(p.Config)
	if err != nil {
		return nil, err
	}
	var t ingest.Tables
	for name, dst := range map[string]**table.Table{schemas.Events: &t.Events, schemas.EventsRejected: &t.Rejected, schemas.IngestFiles: &t.Ledger} {
		if *dst, err = p.Table(ctx, name); err != nil {
			return nil, err
		}
	}
	return &ingest.Stage{Raw: p.Raw, Tables: t, Committer: p.Committer, Sources: srcs, Log: p.Log}, nil
}
