// Package catalog opens the Iceberg catalog a pipeline shares with every other
// engine (an SQL catalog in a SQLite file on one machine; Glue on AWS), and
// creates and evolves spotlake's tables in it from package schemas.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/iceberg-go"
	icat "github.com/apache/iceberg-go/catalog"
	gluecat "github.com/apache/iceberg-go/catalog/glue"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	iceio "github.com/apache/iceberg-go/io"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // s3:// table IO for the Glue catalog
	"github.com/apache/iceberg-go/table"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/uptrace/bun/driver/sqliteshim"

	spaws "github.com/spotlake/spotlake/providers/aws"
	"github.com/spotlake/spotlake/schemas"
)

// Options say which catalog to open.
type Options struct {
	Type      string // sql or glue
	Name      string // catalog name, shared by every engine (sql)
	URI       string // SQLite file path (sql)
	Warehouse string // folder or URL under which new tables are placed (s3://bucket/prefix for glue)
	// Region is the AWS region of the Glue catalog and the warehouse bucket
	// (glue; default: the SDK's, AWS_REGION or the profile's).
	Region string
	// AWS is the SDK configuration for glue (providers/aws.Load); nil loads
	// one for Region. Credentials always come from the SDK's default chain.
	AWS *aws.Config
}

// Open opens (and on first use creates) the catalog.
func Open(ctx context.Context, o Options) (icat.Catalog, error) {
	switch o.Type {
	case "sql":
		return openSQLite(ctx, o)
	case "glue":
		return openGlue(ctx, o)
	default:
		return nil, fmt.Errorf("catalog type %q is not available in this release", o.Type)
	}
}

func openSQLite(ctx context.Context, o Options) (icat.Catalog, error) {
	path := strings.TrimPrefix(o.URI, "file://")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("catalog folder: %w", err)
	}
	wh := o.Warehouse
	if !strings.Contains(wh, "://") {
		abs, err := filepath.Abs(wh)
		if err != nil {
			return nil, err
		}
		wh = "file://" + filepath.ToSlash(abs)
	}
	// WAL and a busy timeout let readers (pyiceberg, `tables list`) and one
	// writer share the file without "database is locked" failures.
	dsn := "file:" + path + "?_pragma=busy_timeout(15000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	cat, err := icat.Load(ctx, o.Name, iceberg.Properties{
		"type":                "sql",
		"uri":                 dsn,
		sqlcat.DriverKey:      sqliteshim.ShimName,
		sqlcat.DialectKey:     string(sqlcat.SQLite),
		"warehouse":           wh,
		"init_catalog_tables": "true",
	})
	if err != nil {
		return nil, fmt.Errorf("open SQLite catalog %s: %w", path, err)
	}
	return cat, nil
}

// openGlue opens the AWS Glue Data Catalog of the account and region: each
// namespace is a Glue database, each table a Glue table of type ICEBERG whose
// metadata and data live under the s3:// warehouse.
//
// The catalog's Glue client uses the SDK configuration as loaded (default
// credential chain, AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_GLUE). Table IO is
// iceberg-go's own S3 client, configured only through properties: it gets
// the region and, when an endpoint is configured (an emulator or a private
// endpoint), s3.endpoint with path-style addressing. It finds credentials
// through the same default chain, so no secret is ever put in a property.
func openGlue(ctx context.Context, o Options) (icat.Catalog, error) {
	wh := strings.TrimSuffix(o.Warehouse, "/")
	if !strings.HasPrefix(wh, "s3://") || len(wh) <= len("s3://") {
		return nil, fmt.Errorf("glue catalog: warehouse %q must be an s3://bucket/prefix URL", o.Warehouse)
	}
	var cfg aws.Config
	if o.AWS != nil {
		cfg = o.AWS.Copy()
		if o.Region != "" {
			cfg.Region = o.Region
		}
	} else {
		var err error
		if cfg, err = spaws.Load(ctx, o.Region); err != nil {
			return nil, fmt.Errorf("glue catalog: %w", err)
		}
	}
	if cfg.Region == "" {
		return nil, errors.New("glue catalog: no AWS region (set aws.region or AWS_REGION)")
	}
	props := iceberg.Properties{
		"warehouse":    wh,
		gluecat.Region: cfg.Region,
		iceio.S3Region: cfg.Region,
	}
	// NewCatalog's Glue client takes cfg, which already resolves the
	// endpoint variables; glue.endpoint is set too so that the properties
	// describe the catalog fully (it is what icat.Load would use).
	if ep := endpoint(cfg, "GLUE"); ep != "" {
		props[gluecat.Endpoint] = ep
	}
	if ep := endpoint(cfg, "S3"); ep != "" {
		props[iceio.S3EndpointURL] = ep
		props[iceio.S3ForceVirtualAddressing] = "false"
	}
	cat, err := gluecat.NewCatalog(gluecat.WithAwsConfig(cfg), gluecat.WithAwsProperties(gluecat.AwsProperties(props)))
	if err != nil {
		return nil, fmt.Errorf("open Glue catalog (%s, warehouse %s): %w", cfg.Region, wh, err)
	}
	return cat, nil
}

// endpoint is the endpoint URL configured for an AWS service: the
// service's own variable (AWS_ENDPOINT_URL_S3), then the configuration's
// base endpoint (AWS_ENDPOINT_URL or set in code); "" for AWS's own. Like
// the SDK, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores the variables
// (the SDK then leaves BaseEndpoint unset unless code set it).
func endpoint(cfg aws.Config, service string) string {
	if os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") != "true" {
		if ep := os.Getenv("AWS_ENDPOINT_URL_" + service); ep != "" {
			return ep
		}
	}
	return aws.ToString(cfg.BaseEndpoint)
}

// Close releases the catalog's resources when it holds any.
func Close(cat icat.Catalog) error {
	if c, ok := cat.(icat.Closer); ok {
		return c.Close()
	}
	return nil
}

// Ident is the identifier of a pipeline's table.
func Ident(namespace, name string) table.Identifier { return table.Identifier{namespace, name} }

// EnsureTable loads the named spotlake table, creating the namespace and the
// table from its schema on first use and adding columns that a newer schema
// has (schema evolution never rewrites data).
func EnsureTable(ctx context.Context, cat icat.Catalog, namespace, name string) (*table.Table, error) {
	def, ok := schemas.Get(name)
	if !ok {
		return nil, fmt.Errorf("no schema for table %s", name)
	}
	ident := Ident(namespace, name)
	tbl, err := cat.LoadTable(ctx, ident)
	if err == nil {
		return evolve(ctx, tbl, def)
	}
	if !errors.Is(err, icat.ErrNoSuchTable) {
		return nil, fmt.Errorf("load table %s: %w", strings.Join(ident, "."), err)
	}
	if err := cat.CreateNamespace(ctx, table.Identifier{namespace}, nil); err != nil && !errors.Is(err, icat.ErrNamespaceAlreadyExists) {
		return nil, fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	spec, err := def.Spec()
	if err != nil {
		return nil, err
	}
	tbl, err = cat.CreateTable(ctx, ident, def.Schema, icat.WithPartitionSpec(&spec), icat.WithProperties(def.Properties))
	if errors.Is(err, icat.ErrTableAlreadyExists) {
		// Another process created it first: use theirs.
		return cat.LoadTable(ctx, ident)
	}
	if err != nil {
		return nil, fmt.Errorf("create table %s: %w", strings.Join(ident, "."), err)
	}
	return tbl, nil
}

// evolve adds the columns of def missing from tbl, as optional columns, and
// brings the write properties spotlake manages (compression, encodings) up to
// date. Neither rewrites data.
func evolve(ctx context.Context, tbl *table.Table, def schemas.Table) (*table.Table, error) {
	var missing []iceberg.NestedField
	for _, f := range def.Schema.Fields() {
		if _, ok := tbl.Schema().FindFieldByName(f.Name); !ok {
			missing = append(missing, f)
		}
	}
	props := iceberg.Properties{}
	for k, v := range def.Properties {
		if k != "format-version" && tbl.Properties()[k] != v {
			props[k] = v
		}
	}
	if len(missing) == 0 && len(props) == 0 {
		return tbl, nil
	}
	tx := tbl.NewTransaction()
	if len(missing) > 0 {
		up := tx.UpdateSchema(true, false)
		for _, f := range missing {
			up = up.AddColumn([]string{f.Name}, f.Type, f.Doc, false, nil)
		}
		if err := up.Commit(); err != nil {
			return nil, fmt.Errorf("add columns to %s: %w", def.Name, err)
		}
	}
	if len(props) > 0 {
		if err := tx.SetProperties(props); err != nil {
			return nil, fmt.Errorf("set properties of %s: %w", def.Name, err)
		}
	}
	out, err := tx.Commit(ctx)
	if err != nil {
		return nil, fmt.Errorf("commit new columns of %s: %w", def.Name, err)
	}
	return out, nil
}
