// Package config is spotlake's versioned, strictly decoded configuration
// (apiVersion: spotlake/v1). Load decodes, applies defaults in one place
// (Default), resolves relative paths against the config file's folder and
// validates, reporting every problem at once with its YAML path.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// APIVersion is the only config version this release reads.
const APIVersion = "spotlake/v1"

// Config is the whole configuration of one pipeline.
type Config struct {
	APIVersion string `yaml:"apiVersion"`
	// Pipeline names the pipeline; it is the Iceberg namespace of its tables
	// and the key of its run lock.
	Pipeline string `yaml:"pipeline"`
	// Provider is where compute runs: local (this machine) or aws (EMR).
	Provider string `yaml:"provider"`
	// Engine runs stage tasks: embedded (in this process) or spark.
	Engine string `yaml:"engine"`
	// Warehouse is the root of the table data: a folder, file:// or s3:// URL.
	Warehouse string `yaml:"warehouse"`
	// Raw is the root of the input logs; each source's prefix is under it.
	Raw string `yaml:"raw"`
	// Cache is the folder of the hot cache (a later stage).
	Cache string `yaml:"cache"`
	// State is the folder for the run lock, run records and pending commits'
	// bookkeeping on this machine.
	State    string          `yaml:"state"`
	Catalog  Catalog         `yaml:"catalog"`
	Sources  []Source        `yaml:"sources"`
	Ingest   Ingest          `yaml:"ingest"`
	Detect   Detect          `yaml:"detect"`
	OA       OA              `yaml:"oa"`
	Viz      Viz             `yaml:"viz"`
	Schedule Schedule        `yaml:"schedule"`
	Clusters map[string]Role `yaml:"clusters"`
	// Spark configures engine spark.
	Spark Spark `yaml:"spark"`
	// AWS configures provider aws (and catalog type glue).
	AWS AWS `yaml:"aws"`

	// Path is the file the config was read from ("" when built in code).
	Path string `yaml:"-"`
}

// Catalog selects the Iceberg catalog shared by every engine.
type Catalog struct {
	// Type is sql (SQLite file or Postgres) or glue.
	Type string `yaml:"type"`
	// Name is the catalog name every engine must use to see the same tables
	// in a SQL catalog (it is a key column of the catalog's tables).
	Name string `yaml:"name"`
	// URI is the SQLite file (path) or a postgres:// URL for type sql.
	URI string `yaml:"uri"`
}

// Source is one stream of input logs of one format.
type Source struct {
	Name   string `yaml:"name"`
	Format string `yaml:"format"`
	// Prefix is the folder (or S3 prefix) under Raw holding dt=YYYY-MM-DD/ folders.
	Prefix string `yaml:"prefix"`
	// Patterns are regular expressions on an object's base name (Spot's
	// supported_files); empty means the format's defaults.
	Patterns []string `yaml:"patterns"`
	// FormatOptions are the format's own options.
	FormatOptions map[string]string `yaml:"format_options"`
	// Timezone applies to timestamps that carry no zone.
	Timezone string `yaml:"timezone"`
	// Disabled skips the source without removing it.
	Disabled bool `yaml:"disabled"`
}

// Ingest tunes the ingest stage.
type Ingest struct {
	// Workers is how many objects are read at once.
	Workers int `yaml:"workers"`
	// DrainWindow is how long the input must show no new object before the
	// stage counts as drained and stops (the finisher).
	DrainWindow Duration `yaml:"drain_window"`
	// PollInterval is how often the input is listed while draining.
	PollInterval Duration `yaml:"poll_interval"`
	// CommitEvery commits after this many finished objects (and at the end).
	CommitEvery int `yaml:"commit_every"`
	// BatchRows is the number of rows per Arrow batch handed to the writer.
	BatchRows int `yaml:"batch_rows"`
	// MaxLineBytes bounds one line; a longer line is rejected, not loaded.
	MaxLineBytes int `yaml:"max_line_bytes"`
	// TargetFileMB is the size at which a data file is rolled.
	TargetFileMB int `yaml:"target_file_mb"`
	// MemoryLimitMB sets Go's soft memory limit for the stage (GOMEMLIMIT).
	MemoryLimitMB int `yaml:"memory_limit_mb"`
}

// Spark configures engine spark: ingest's tasks (one per input object)
// run on Spark's executors, each by the spotlake binary there; the stage
// itself (listing, draining, committing) stays in the spotlake process,
// which starts a small Spark driver with spark-submit in client mode.
type Spark struct {
	// Submit is the spark-submit command: a name on PATH or a path
	// (relative paths are relative to the config file).
	Submit string `yaml:"submit"`
	// Master is Spark's master URL: local[*] by default with provider
	// local, yarn with provider aws (the EMR cluster's).
	Master string `yaml:"master"`
	// Parallelism bounds how many objects are sent to Spark at once (0,
	// the default: all of them; Spark queues them and runs as many as its
	// executors have cores, adding executors under dynamic allocation).
	Parallelism int `yaml:"parallelism"`
	// Conf are extra Spark settings, passed as --conf key=value.
	Conf map[string]string `yaml:"conf"`
	// TaskBinary is the spotlake binary on every executor node (default:
	// the running binary's path, which the EMR bootstrap gives every node).
	TaskBinary string `yaml:"task_binary"`
	// StartTimeout bounds the wait for the driver to be ready.
	StartTimeout Duration `yaml:"start_timeout"`
}

// Detect tunes the machine-learning stage (LDA suspicious connects).
type Detect struct {
	// Topics and Iterations of the LDA fit.
	Topics     int `yaml:"topics"`
	Iterations int `yaml:"iterations"`
	// Threshold keeps events scoring at or below it (Spot's default 1e-6).
	Threshold float64 `yaml:"threshold"`
	// TopN keeps at most this many events per day, lowest scores first.
	TopN int `yaml:"top_n"`
	// WindowDays trains on this many days ending at the scored day.
	WindowDays int `yaml:"window_days"`
	// Workers fit the model in parallel.
	Workers int `yaml:"workers"`
	// Seed makes fits repeatable.
	Seed int64 `yaml:"seed"`
	// Corpus is what the model is fitted on: "distinct" (each document's
	// distinct words once: a burst of identical events stays rare) or
	// "counts" (every event, as Spot did).
	Corpus string `yaml:"corpus"`
	// AllowDomains are registrable domains of your own (example.com): DNS and
	// proxy words class them apart from popular and other domains.
	AllowDomains []string `yaml:"allow_domains"`
}

// OA tunes the operational-analytics stage.
type OA struct {
	// Suppress lists known-benign results: a result matching every field a
	// rule sets is removed from suspicious, and counted.
	Suppress []SuppressRule `yaml:"suppress"`
	// Rules are alert rules: SQL boolean expressions over per-window
	// aggregates; each hit is written to alerts once.
	Rules []AlertRule `yaml:"rules"`
	// WebhookEnv names the environment variable holding a Slack-compatible
	// webhook URL (the URL is a secret: it never goes into config or logs).
	WebhookEnv string `yaml:"webhook_env"`
	// Heuristics tunes the heuristics' thresholds; a field left out (or 0)
	// keeps its default.
	Heuristics Heuristics `yaml:"heuristics"`
}

// Heuristics are the thresholds of oa's heuristics (see
// stages/oa/heuristics/README.md). They are absolute counts per window: a
// busier network needs higher ones, or shorter windows.
type Heuristics struct {
	// Disable lists kinds not to look for.
	Disable []string `yaml:"disable"`
	// Context: events of the key this close to a burst join its finding.
	Context         Duration        `yaml:"context"`
	PortScan        PortScan        `yaml:"port_scan"`
	Beaconing       Beaconing       `yaml:"beaconing"`
	DNSTunneling    DNSTunneling    `yaml:"dns_tunneling"`
	SSHBruteForce   SSHBruteForce   `yaml:"ssh_brute_force"`
	HDFSMassDelete  HDFSMassDelete  `yaml:"hdfs_mass_delete"`
	HDFSDeniedBurst HDFSDeniedBurst `yaml:"hdfs_denied_burst"`
	Exfiltration    Exfiltration    `yaml:"exfiltration"`
}

// PortScan: probes to at least Ports distinct targets within Window; a
// probe is rejected, or at most ProbeMaxPackets of ProbeMaxBytes each.
type PortScan struct {
	Ports           int      `yaml:"ports"`
	Window          Duration `yaml:"window"`
	ProbeMaxPackets int64    `yaml:"probe_max_packets"`
	ProbeMaxBytes   int64    `yaml:"probe_max_bytes"`
}

// Beaconing: at least MinBeats requests to one host at a steady pace (gaps'
// coefficient of variation at most MaxCV, mean gap at least MinPeriod).
type Beaconing struct {
	MinBeats  int      `yaml:"min_beats"`
	MaxCV     float64  `yaml:"max_cv"`
	MinPeriod Duration `yaml:"min_period"`
}

// DNSTunneling: at least MinQueries distinct long (MinLength), random
// (MinEntropy bits per character) names under one domain within Window.
type DNSTunneling struct {
	MinQueries int      `yaml:"min_queries"`
	Window     Duration `yaml:"window"`
	MinLength  int      `yaml:"min_length"`
	MinEntropy float64  `yaml:"min_entropy"`
}

// SSHBruteForce: at least Failures failed logins within Window.
type SSHBruteForce struct {
	Failures int      `yaml:"failures"`
	Window   Duration `yaml:"window"`
}

// HDFSMassDelete: at least Deletes distinct paths deleted within Window.
type HDFSMassDelete struct {
	Deletes int      `yaml:"deletes"`
	Window  Duration `yaml:"window"`
}

// HDFSDeniedBurst: at least Denied denied operations within Window.
type HDFSDeniedBurst struct {
	Denied int      `yaml:"denied"`
	Window Duration `yaml:"window"`
}

// Exfiltration: at least MB to one public address over the day, in at
// least MinFlows flows of FlowMB or more.
type Exfiltration struct {
	MB       int64 `yaml:"mb"`
	FlowMB   int64 `yaml:"flow_mb"`
	MinFlows int   `yaml:"min_flows"`
}

// SuppressRule is one allow/suppress list entry.
type SuppressRule struct {
	Name         string `yaml:"name"`
	CIDR         string `yaml:"cidr"`
	DomainSuffix string `yaml:"domain_suffix"`
	User         string `yaml:"user"`
	Port         *int   `yaml:"port"`
	Source       string `yaml:"source"`
	Note         string `yaml:"note"`
}

// AlertRule is one alert rule.
type AlertRule struct {
	Name     string   `yaml:"name"`
	Source   string   `yaml:"source"`
	GroupBy  []string `yaml:"group_by"`
	Window   Duration `yaml:"window"`
	When     string   `yaml:"when"`
	Severity string   `yaml:"severity"`
}

// Viz configures the hot cache and the dashboard (the visualization role).
type Viz struct {
	// CacheDays is the hot cache's window: the newest N input days.
	CacheDays int `yaml:"cache_days"`
	// Listen is the dashboard's address. Anything but a loopback address
	// needs a token.
	Listen string `yaml:"listen"`
	// TokenEnv names the environment variable holding the dashboard's
	// token (a secret: never in config or logs).
	TokenEnv string `yaml:"token_env"`
	// StaleAfter makes /healthz report "stale" once the cache is older.
	StaleAfter Duration `yaml:"stale_after"`
	// ReadyTimeout bounds how long `cluster up|recreate viz` waits for a new
	// server to load its cache and report healthy.
	ReadyTimeout Duration `yaml:"ready_timeout"`
}

// Schedule drives `spotlake schedule run` and `schedule crontab`.
type Schedule struct {
	// Cron is a 5-field cron expression.
	Cron string `yaml:"cron"`
	// Timezone of the cron expression and of "today".
	Timezone string `yaml:"timezone"`
	// DayOffset picks the day a run processes: 1 = yesterday.
	DayOffset int `yaml:"day_offset"`
	// CatchUpDays bounds how many missed days a start catches up.
	CatchUpDays int `yaml:"catch_up_days"`
}

// Role sizes the compute of one role (ingest, ml, viz).
type Role struct {
	// InstanceType and InstanceCount are the simple form: the master and
	// InstanceCount core nodes of this type, on demand. Master, Core and
	// Task override them with instance fleets.
	InstanceType  string `yaml:"instance_type"`
	InstanceCount int    `yaml:"instance_count"`
	// MaxRuntime is the orchestrator's own deadline for the role's cluster
	// (0: none, for viz); the cluster is terminated when it passes.
	MaxRuntime Duration `yaml:"max_runtime"`
	// Master, Core and Task are EMR instance fleets (provider aws). A role
	// without task: gets the role's default task fleet; task: {count: 0}
	// has none.
	Master Fleet  `yaml:"master"`
	Core   Fleet  `yaml:"core"`
	Task   *Fleet `yaml:"task"`
	// EBSGB is the gp3 volume per node, in GiB.
	EBSGB int `yaml:"ebs_gb"`
	// Applications are the EMR applications (Spark, Hadoop).
	Applications []string `yaml:"applications"`
	// IdleTimeout is the EMR auto-termination policy's idle timeout: the
	// backstop that ends a cluster nothing uses, whatever happened to the
	// controller.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// ReleaseLabel overrides aws.release_label for this role.
	ReleaseLabel string `yaml:"release_label"`
}

// Fleet is one EMR instance fleet: on-demand, or spot across several
// types with price-capacity-optimized allocation.
type Fleet struct {
	InstanceTypes []string `yaml:"instance_types"`
	// Count is the target capacity in instances (0: no such fleet; master
	// is always 1).
	Count int `yaml:"count"`
	// Spot asks for spot capacity; after SpotTimeout without it, EMR
	// switches to on-demand.
	Spot        bool     `yaml:"spot"`
	SpotTimeout Duration `yaml:"spot_timeout"`
}

// AWS configures provider aws. Credentials never appear here: they come
// from the SDK's default chain (environment, profile, instance role).
type AWS struct {
	Region string `yaml:"region"`
	// Artifacts is the s3:// prefix for the spotlake binary (content
	// addressed), the run's config and the bootstrap script.
	Artifacts string `yaml:"artifacts"`
	// Logs is the s3:// prefix EMR writes cluster and step logs to.
	Logs string `yaml:"logs"`
	// ReleaseLabel is the EMR release (emr-7.5.0).
	ReleaseLabel string `yaml:"release_label"`
	// ServiceRole and InstanceProfile are the EMR service role and the EC2
	// instance profile (names).
	ServiceRole     string `yaml:"service_role"`
	InstanceProfile string `yaml:"instance_profile"`
	// SubnetIDs are the subnets a fleet may use (EMR picks the best).
	SubnetIDs []string `yaml:"subnet_ids"`
	// Tags are added to every cluster, besides spotlake's own.
	Tags map[string]string `yaml:"tags"`
	// Route53 points a name at the active viz cluster (optional).
	Route53 Route53 `yaml:"route53"`
	// PollInterval is the base interval of cluster and step polling
	// (jittered, backing off).
	PollInterval Duration `yaml:"poll_interval"`
	// LogWait bounds how long a failed step's logs are waited for in S3
	// (EMR uploads them every few minutes).
	LogWait Duration `yaml:"log_wait"`
}

// Route53 is the record that names the active viz cluster.
type Route53 struct {
	ZoneID string `yaml:"zone_id"`
	Name   string `yaml:"name"`
}

// Roles are the compute roles, in pipeline order.
var Roles = []string{"ingest", "ml", "viz"}

// Duration is a time.Duration written as "90s", "2m", "1h30m".
type Duration struct {
	time.Duration
	bad string // the text when it is not a duration; Validate reports it
}

// UnmarshalYAML reads a Go duration string. A bad one is kept for Validate,
// so that it is reported with its path alongside every other problem.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		d.bad = n.Value
		if d.bad == "" {
			d.bad = "(not a scalar)"
		}
		return nil
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Load reads, defaults, resolves and validates the config at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no config at %s: create one with `spotlake init --dir DIR` or pass --config FILE", path)
		}
		return nil, err
	}
	c, err := Parse(b)
	var ve *ValidationError
	if err != nil && !errors.As(err, &ve) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c.Path = abs
	c.Resolve(filepath.Dir(abs))
	// Report decoding and validation problems together.
	var all []string
	if ve != nil {
		all = ve.Problems
	}
	if err := c.Validate(); err != nil {
		all = append(all, err.(*ValidationError).Problems...)
	}
	if len(all) > 0 {
		return nil, fmt.Errorf("%s: %w", path, &ValidationError{Problems: all})
	}
	return c, nil
}

// Parse decodes b strictly (unknown fields are errors) and applies defaults.
// It does not validate. On a *ValidationError it still returns what decoded.
func Parse(b []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	// Unknown fields are errors, reported with their paths (yaml.v3's own
	// strict mode gives line numbers only and stops at type errors).
	var problems []string
	if len(root.Content) > 0 {
		problems = unknownFields(root.Content[0], reflect.TypeOf(Config{}), "")
	}
	var c Config
	if err := root.Decode(&c); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("not valid YAML: %w", err)
		}
		problems = append(problems, te.Errors...)
	}
	c.Default()
	if len(problems) > 0 {
		// The config is returned too, so callers can validate the rest.
		return &c, &ValidationError{Problems: problems}
	}
	return &c, nil
}

// Resolve makes relative local paths absolute against dir.
func (c *Config) Resolve(dir string) {
	abs := func(p string) string {
		if p == "" || isURL(p) || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.Warehouse = abs(c.Warehouse)
	c.Raw = abs(c.Raw)
	c.Cache = abs(c.Cache)
	c.State = abs(c.State)
	if c.Catalog.Type == "sql" && !isURL(c.Catalog.URI) {
		c.Catalog.URI = abs(c.Catalog.URI)
	}
	if strings.Contains(c.Spark.Submit, "/") {
		c.Spark.Submit = abs(c.Spark.Submit)
	}
	c.Spark.TaskBinary = abs(c.Spark.TaskBinary)
}

func isURL(p string) bool { return strings.Contains(p, "://") }

// ValidationError lists every problem of a config, each with its path.
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid config: " + e.Problems[0]
	}
	return fmt.Sprintf("invalid config, %d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// EnabledSources returns the sources that are not disabled.
func (c *Config) EnabledSources() []Source {
	out := make([]Source, 0, len(c.Sources))
	for _, s := range c.Sources {
		if !s.Disabled {
			out = append(out, s)
		}
	}
	return out
}

// Source returns the named source.
func (c *Config) Source(name string) (Source, bool) {
	for _, s := range c.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// unknownFields walks a mapping node against the struct type t and lists keys
// that have no field, with their paths.
func unknownFields(n *yaml.Node, t reflect.Type, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	switch {
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct && t != reflect.TypeOf(Duration{}):
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = t.Field(i).Type
			names = append(names, tag)
		}
		sort.Strings(names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			p := join(path, k)
			ft, ok := fields[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s: unknown field (line %d); known fields here: %s", p, n.Content[i].Line, strings.Join(names, ", ")))
				continue
			}
			out = append(out, unknownFields(n.Content[i+1], ft, p)...)
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, unknownFields(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))...)
		}
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, c := range n.Content {
			out = append(out, unknownFields(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return out
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
