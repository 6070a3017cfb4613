package config

import (
	"bytes"
	"text/template"
)

// DefaultSources are the sources `spotlake init` declares: one per supported
// format, named after it, reading raw/<name>/dt=YYYY-MM-DD/.
var DefaultSources = []string{"vpcflow", "apache", "syslog", "hdfs_audit", "navigator", "cowrie", "nfdump", "dns", "squid", "jsonl"}

var initTemplate = template.Must(template.New("init").Parse(`# spotlake configuration — the embedded default: everything on this machine.
# Reference: README.md#configuration. Check it with: spotlake config validate
apiVersion: spotlake/v1
pipeline: {{.Pipeline}}        # Iceberg namespace of this pipeline's tables
provider: local                # local (this machine) | aws (EMR)
engine: embedded               # embedded (in-process) | spark

# Relative paths are relative to this file.
warehouse: warehouse           # table data (Parquet) and metadata; file:// or s3:// also work
raw: raw                       # input logs: raw/<source>/dt=YYYY-MM-DD/<files>
cache: cache                   # hot cache for the dashboard
state: .spotlake               # run lock and local bookkeeping

catalog:
  type: sql                    # Iceberg SQL catalog (pyiceberg's SqlCatalog and Java's JdbcCatalog read it)
  name: spotlake               # every engine must use this catalog name
  uri: catalog.db              # SQLite file

sources:
{{- range .Sources}}
  - name: {{.}}
    format: {{.}}
    prefix: {{.}}
{{- if eq . "jsonl"}}
    format_options:
      time_field: time
{{- end}}
{{- end}}

ingest:
  workers: 2                   # objects read at once
  drain_window: 2s             # stop once no new object appeared for this long
  poll_interval: 500ms
  commit_every: 64             # objects per Iceberg commit

detect:
  topics: 20                   # LDA topics
  iterations: 20
  threshold: 1e-6              # keep events scoring at or below this
  top_n: 1000                  # per day, lowest scores first
  window_days: 1               # train on this many days ending at the scored one
  corpus: distinct             # fit on distinct (document, word) pairs; "counts" as Spot did
  allow_domains: []            # your own domains (example.com), classed apart in DNS/proxy words

oa:
  webhook_env: SPOTLAKE_WEBHOOK_URL  # env var with a Slack-compatible webhook URL (unset: no posts)
  suppress: []                 # known-benign results: [{name, cidr, domain_suffix, user, port, source}]
  rules: []                    # alert rules: [{name, source, group_by, window, when, severity}]

viz:
  cache_days: 30               # the hot cache holds the newest 30 input days
  listen: 127.0.0.1:8787       # dashboard address; anything but loopback needs a token
  token_env: SPOTLAKE_TOKEN    # env var with the dashboard token (required off loopback)
  stale_after: 36h             # /healthz says "stale" once the cache is older
  ready_timeout: 2m            # cluster up/recreate viz waits this long for a healthy server

schedule:
  cron: "30 2 * * *"           # every day at 02:30
  timezone: UTC
  day_offset: 1                # process yesterday
  catch_up_days: 3             # missed days caught up at most
`))

// InitYAML is the config `spotlake init` writes.
func InitYAML(pipeline string) []byte {
	var b bytes.Buffer
	if err := initTemplate.Execute(&b, struct {
		Pipeline string
		Sources  []string
	}{pipeline, DefaultSources}); err != nil {
		panic(err)
	}
	return b.Bytes()
}
