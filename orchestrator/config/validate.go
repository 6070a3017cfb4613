package config

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/spotlake/spotlake/stages/ingest/formats"
	"github.com/spotlake/spotlake/stages/oa/heuristics"
)

var (
	nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	envRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Validate checks the whole config and returns a *ValidationError listing
// every problem, each prefixed with its YAML path.
func (c *Config) Validate() error {
	var p []string
	add := func(path, format string, args ...any) {
		p = append(p, path+": "+fmt.Sprintf(format, args...))
	}
	oneOf := func(path, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		add(path, "unknown value %q; use one of: %s", v, strings.Join(allowed, ", "))
	}

	if c.APIVersion != APIVersion {
		if c.APIVersion == "" {
			add("apiVersion", "missing; this release reads %q", APIVersion)
		} else {
			add("apiVersion", "%q is not supported; this release reads %q", c.APIVersion, APIVersion)
		}
	}
	if !nameRE.MatchString(c.Pipeline) {
		add("pipeline", "%q must be lower case letters, digits and _ (it names the Iceberg namespace)", c.Pipeline)
	}
	oneOf("provider", c.Provider, "local", "aws")
	oneOf("engine", c.Engine, "embedded", "spark")
	if c.Provider == "aws" {
		if !strings.HasPrefix(c.Warehouse, "s3://") {
			add("warehouse", "%q: provider aws needs an s3:// warehouse", c.Warehouse)
		}
		if !strings.HasPrefix(c.Raw, "s3://") {
			add("raw", "%q: provider aws reads its input from an s3:// prefix", c.Raw)
		}
		if c.Catalog.Type != "glue" {
			add("catalog.type", "%q: provider aws shares its tables through the Glue catalog; use glue", c.Catalog.Type)
		}
		if c.AWS.Region == "" {
			add("aws.region", "required with provider aws (e.g. us-east-1)")
		}
		for _, f := range []struct{ path, v string }{{"aws.artifacts", c.AWS.Artifacts}, {"aws.logs", c.AWS.Logs}} {
			if !strings.HasPrefix(f.v, "s3://") {
				add(f.path, "%q: required with provider aws, an s3:// prefix", f.v)
			}
		}
		if c.AWS.ServiceRole == "" || c.AWS.InstanceProfile == "" {
			add("aws", "service_role and instance_profile are required with provider aws")
		}
	}
	if c.Catalog.Type == "glue" && c.Provider != "aws" {
		add("catalog.type", "glue needs provider aws (its tables live on S3)")
	}
	for k := range c.AWS.Tags {
		if strings.HasPrefix(k, "spotlake:") || strings.HasPrefix(k, "aws:") {
			add("aws.tags."+k, "the spotlake: and aws: prefixes are reserved")
		}
	}
	for _, f := range []struct{ path, v string }{{"warehouse", c.Warehouse}, {"raw", c.Raw}} {
		if isURL(f.v) && !strings.HasPrefix(f.v, "file://") && !strings.HasPrefix(f.v, "s3://") {
			add(f.path, "%q: use a folder, a file:// URL or an s3:// URL", f.v)
		}
	}
	oneOf("catalog.type", c.Catalog.Type, "sql", "glue")
	if c.Catalog.Type == "sql" && c.Catalog.URI == "" {
		add("catalog.uri", "required for a sql catalog: a SQLite file path")
	}
	if c.Catalog.Type == "sql" && isURL(c.Catalog.URI) && !strings.HasPrefix(c.Catalog.URI, "file://") {
		add("catalog.uri", "%q: this release supports SQLite files only (a path)", c.Catalog.URI)
	}
	if !nameRE.MatchString(c.Catalog.Name) {
		add("catalog.name", "%q must be lower case letters, digits and _", c.Catalog.Name)
	}

	if len(c.Sources) == 0 {
		add("sources", "at least one source is required")
	}
	names := map[string]int{}
	for i, s := range c.Sources {
		path := fmt.Sprintf("sources[%d]", i)
		if !nameRE.MatchString(s.Name) {
			add(path+".name", "%q must be lower case letters, digits and _", s.Name)
		}
		if j, dup := names[s.Name]; dup {
			add(path+".name", "%q is already the name of sources[%d]", s.Name, j)
		}
		names[s.Name] = i
		f, ok := formats.Lookup(s.Format)
		if !ok {
			add(path+".format", "unknown format %q; known: %s", s.Format, strings.Join(formats.Names(), ", "))
		} else {
			unknown := false
			for _, k := range sortedKeys(s.FormatOptions) {
				if !optionKnown(f, k) {
					unknown = true
					add(path+".format_options."+k, "unknown option for format %s; known: %s", s.Format, strings.Join(sortedKeys(f.Options), ", "))
				}
			}
			if !unknown {
				if _, err := f.New(formats.FileInfo{Key: "(config check)", Location: time.UTC}, s.FormatOptions); err != nil {
					add(path+".format_options", "%v", err)
				}
			}
		}
		for j, pat := range s.Patterns {
			if _, err := regexp.Compile(pat); err != nil {
				add(fmt.Sprintf("%s.patterns[%d]", path, j), "not a regular expression: %v", err)
			}
		}
		if strings.Contains(s.Prefix, "..") || strings.HasPrefix(s.Prefix, "/") {
			add(path+".prefix", "%q must be relative to raw, without ..", s.Prefix)
		}
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			add(path+".timezone", "unknown time zone %q (use an IANA name like Europe/Paris or UTC)", s.Timezone)
		}
	}

	durations := []struct {
		path string
		d    Duration
	}{{"ingest.drain_window", c.Ingest.DrainWindow}, {"ingest.poll_interval", c.Ingest.PollInterval}, {"spark.start_timeout", c.Spark.StartTimeout},
		{"oa.heuristics.context", c.OA.Heuristics.Context}, {"oa.heuristics.port_scan.window", c.OA.Heuristics.PortScan.Window},
		{"oa.heuristics.beaconing.min_period", c.OA.Heuristics.Beaconing.MinPeriod}, {"oa.heuristics.dns_tunneling.window", c.OA.Heuristics.DNSTunneling.Window},
		{"oa.heuristics.ssh_brute_force.window", c.OA.Heuristics.SSHBruteForce.Window}, {"oa.heuristics.hdfs_mass_delete.window", c.OA.Heuristics.HDFSMassDelete.Window},
		{"oa.heuristics.hdfs_denied_burst.window", c.OA.Heuristics.HDFSDeniedBurst.Window}}
	for _, role := range sortedKeys(c.Clusters) {
		durations = append(durations, struct {
			path string
			d    Duration
		}{"clusters." + role + ".max_runtime", c.Clusters[role].MaxRuntime})
	}
	for _, d := range durations {
		if d.d.bad != "" {
			add(d.path, "%q is not a duration (use 90s, 5m, 1h)", d.d.bad)
		}
	}
	in := c.Ingest
	if in.Workers < 1 || in.Workers > 256 {
		add("ingest.workers", "%d must be between 1 and 256", in.Workers)
	}
	if in.DrainWindow.Duration < 0 {
		add("ingest.drain_window", "must not be negative")
	}
	if in.PollInterval.Duration <= 0 && in.PollInterval.bad == "" {
		add("ingest.poll_interval", "must be positive")
	}
	if in.CommitEvery < 1 {
		add("ingest.commit_every", "must be at least 1")
	}
	if in.BatchRows < 1024 || in.BatchRows > 1<<20 {
		add("ingest.batch_rows", "%d must be between 1024 and 1048576", in.BatchRows)
	}
	if in.MaxLineBytes < 1024 {
		add("ingest.max_line_bytes", "%d must be at least 1024", in.MaxLineBytes)
	}
	if in.TargetFileMB < 1 {
		add("ingest.target_file_mb", "must be at least 1")
	}
	if in.MemoryLimitMB < 64 {
		add("ingest.memory_limit_mb", "must be at least 64")
	}
	if c.Spark.Parallelism < 0 {
		add("spark.parallelism", "%d: must be at least 1 (or 0: every object at once, queued by Spark)", c.Spark.Parallelism)
	}
	if c.Spark.StartTimeout.Duration < 0 {
		add("spark.start_timeout", "must not be negative")
	}
	for k := range c.Spark.Conf {
		if !strings.HasPrefix(k, "spark.") {
			add("spark.conf."+k, "Spark settings start with \"spark.\"")
		}
	}

	d := c.Detect
	if d.Topics < 2 || d.Topics > 1000 {
		add("detect.topics", "%d must be between 2 and 1000", d.Topics)
	}
	if d.Iterations < 1 || d.Iterations > 10000 {
		add("detect.iterations", "%d must be between 1 and 10000", d.Iterations)
	}
	if !(d.Threshold > 0 && d.Threshold <= 1) {
		add("detect.threshold", "%g must be a probability in (0, 1]", d.Threshold)
	}
	if d.TopN < 1 || d.TopN > 1000000 {
		add("detect.top_n", "%d must be between 1 and 1000000", d.TopN)
	}
	if d.WindowDays < 1 || d.WindowDays > 90 {
		add("detect.window_days", "%d must be between 1 and 90", d.WindowDays)
	}
	if d.Workers < 1 || d.Workers > 256 {
		add("detect.workers", "%d must be between 1 and 256", d.Workers)
	}
	oneOf("detect.corpus", d.Corpus, "distinct", "counts")
	for i, dom := range d.AllowDomains {
		if dom == "" || strings.ContainsAny(dom, " /:") {
			add(fmt.Sprintf("detect.allow_domains[%d]", i), "%q is not a domain name", dom)
		}
	}
	for i, r := range c.OA.Suppress {
		path := fmt.Sprintf("oa.suppress[%d]", i)
		if r.Name == "" {
			add(path+".name", "required: it names the rule in the run's counts")
		}
		if r.CIDR == "" && r.DomainSuffix == "" && r.User == "" && r.Port == nil && r.Source == "" {
			add(path, "matches everything: set at least one of cidr, domain_suffix, user, port, source")
		}
		if r.CIDR != "" {
			if _, err := netip.ParsePrefix(r.CIDR); err != nil {
				add(path+".cidr", "%q is not a CIDR prefix (like 10.0.0.0/8 or 2001:db8::/32)", r.CIDR)
			}
		}
		if r.Port != nil && (*r.Port < 0 || *r.Port > 65535) {
			add(path+".port", "%d is not a port", *r.Port)
		}
		if r.Source != "" {
			if _, ok := c.Source(r.Source); !ok {
				add(path+".source", "no source named %q", r.Source)
			}
		}
	}
	for i, r := range c.OA.Rules {
		path := fmt.Sprintf("oa.rules[%d]", i)
		if r.Window.bad != "" {
			add(path+".window", "%q is not a duration (use 10m, 1h)", r.Window.bad)
		}
		if r.Source != "" {
			if _, ok := c.Source(r.Source); !ok {
				add(path+".source", "no source named %q", r.Source)
			}
		}
		oneOf(path+".severity", r.Severity, "low", "medium", "high")
	}
	for _, msg := range validateRules(c.OA.Rules) {
		p = append(p, msg)
	}
	if c.OA.WebhookEnv != "" && !envRE.MatchString(c.OA.WebhookEnv) {
		add("oa.webhook_env", "%q is not an environment variable name", c.OA.WebhookEnv)
	}
	hc := c.OA.Heuristics
	for i, k := range hc.Disable {
		if !slices.Contains(heuristics.Kinds(), k) {
			add(fmt.Sprintf("oa.heuristics.disable[%d]", i), "unknown kind %q; kinds: %s", k, strings.Join(heuristics.Kinds(), ", "))
		}
	}
	for _, n := range []struct {
		path string
		v    float64
	}{
		{"port_scan.ports", float64(hc.PortScan.Ports)}, {"port_scan.probe_max_packets", float64(hc.PortScan.ProbeMaxPackets)},
		{"port_scan.probe_max_bytes", float64(hc.PortScan.ProbeMaxBytes)}, {"beaconing.min_beats", float64(hc.Beaconing.MinBeats)},
		{"beaconing.max_cv", hc.Beaconing.MaxCV}, {"dns_tunneling.min_queries", float64(hc.DNSTunneling.MinQueries)},
		{"dns_tunneling.min_length", float64(hc.DNSTunneling.MinLength)}, {"dns_tunneling.min_entropy", hc.DNSTunneling.MinEntropy},
		{"ssh_brute_force.failures", float64(hc.SSHBruteForce.Failures)}, {"hdfs_mass_delete.deletes", float64(hc.HDFSMassDelete.Deletes)},
		{"hdfs_denied_burst.denied", float64(hc.HDFSDeniedBurst.Denied)}, {"exfiltration.mb", float64(hc.Exfiltration.MB)},
		{"exfiltration.flow_mb", float64(hc.Exfiltration.FlowMB)}, {"exfiltration.min_flows", float64(hc.Exfiltration.MinFlows)},
	} {
		if n.v < 0 {
			add("oa.heuristics."+n.path, "%v must not be negative (0 or left out: the default)", n.v)
		}
	}
	if hc.DNSTunneling.MinEntropy > 8 {
		add("oa.heuristics.dns_tunneling.min_entropy", "%v bits per character is more than a byte holds (at most 8)", hc.DNSTunneling.MinEntropy)
	}
	if _, err := cron.ParseStandard(c.Schedule.Cron); err != nil {
		add("schedule.cron", "%q: %v (use 5 fields: minute hour day-of-month month day-of-week)", c.Schedule.Cron, err)
	}
	if _, err := time.LoadLocation(c.Schedule.Timezone); err != nil {
		add("schedule.timezone", "unknown time zone %q", c.Schedule.Timezone)
	}
	if c.Schedule.DayOffset < 0 || c.Schedule.DayOffset > 30 {
		add("schedule.day_offset", "%d must be between 0 and 30", c.Schedule.DayOffset)
	}
	if c.Schedule.CatchUpDays < 0 || c.Schedule.CatchUpDays > 366 {
		add("schedule.catch_up_days", "%d must be between 0 and 366", c.Schedule.CatchUpDays)
	}
	vz := c.Viz
	if vz.CacheDays < 1 || vz.CacheDays > 366 {
		add("viz.cache_days", "%d must be between 1 and 366", vz.CacheDays)
	}
	if host, port, err := net.SplitHostPort(vz.Listen); err != nil {
		add("viz.listen", "%q: %v (use HOST:PORT, e.g. 127.0.0.1:8787)", vz.Listen, err)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		add("viz.listen", "%q: port must be a number from 0 to 65535", vz.Listen)
	} else if host == "" {
		add("viz.listen", "%q: name the address to bind (127.0.0.1 for this machine only, 0.0.0.0 for every interface)", vz.Listen)
	}
	if !envRE.MatchString(vz.TokenEnv) {
		add("viz.token_env", "%q is not an environment variable name", vz.TokenEnv)
	}
	for _, d := range []struct {
		path string
		d    Duration
	}{{"viz.stale_after", vz.StaleAfter}, {"viz.ready_timeout", vz.ReadyTimeout}} {
		if d.d.bad != "" {
			add(d.path, "%q is not a duration (use 90s, 5m, 1h)", d.d.bad)
		} else if d.d.Duration < 0 {
			add(d.path, "must not be negative")
		}
	}
	for _, role := range sortedKeys(c.Clusters) {
		path := "clusters." + role
		if !contains(Roles, role) {
			add(path, "unknown role; use one of: %s", strings.Join(Roles, ", "))
			continue
		}
		r := c.Clusters[role]
		if r.InstanceCount < 1 {
			add(path+".instance_count", "must be at least 1")
		}
		if role == "ingest" && c.Engine == "spark" && c.Provider == "aws" && len(r.Applications) > 0 && !contains(r.Applications, "Spark") {
			add(path+".applications", "engine spark runs ingest's tasks on the cluster's Spark: add Spark")
		}
		if r.MaxRuntime.Duration < 0 {
			add(path+".max_runtime", "must not be negative")
		}
		task := Fleet{}
		if r.Task != nil {
			task = *r.Task
		}
		for _, f := range []struct {
			name string
			f    Fleet
		}{{"master", r.Master}, {"core", r.Core}, {"task", task}} {
			fp := path + "." + f.name
			if f.f.Count < 0 {
				add(fp+".count", "must not be negative")
			}
			if f.name == "master" && f.f.Count != 1 {
				add(fp+".count", "%d: an EMR cluster has one master node", f.f.Count)
			}
			if f.f.Count > 0 && len(f.f.InstanceTypes) == 0 {
				add(fp+".instance_types", "at least one instance type is required")
			}
			if len(f.f.InstanceTypes) > 5 && !f.f.Spot {
				add(fp+".instance_types", "an on-demand fleet takes at most 5 types")
			}
			if len(f.f.InstanceTypes) > 30 {
				add(fp+".instance_types", "a fleet takes at most 30 types")
			}
			if f.f.Spot && f.name == "master" {
				add(fp+".spot", "the master node runs on demand: a lost master loses the cluster")
			}
			if f.f.SpotTimeout.bad != "" {
				add(fp+".spot_timeout", "%q is not a duration (use 10m)", f.f.SpotTimeout.bad)
			}
		}
		if r.EBSGB < 0 || r.EBSGB > 16384 {
			add(path+".ebs_gb", "%d must be between 0 and 16384", r.EBSGB)
		}
		if r.IdleTimeout.bad != "" {
			add(path+".idle_timeout", "%q is not a duration (use 30m)", r.IdleTimeout.bad)
		} else if r.IdleTimeout.Duration != 0 && (r.IdleTimeout.Duration < time.Minute || r.IdleTimeout.Duration > 7*24*time.Hour) {
			add(path+".idle_timeout", "%s: EMR takes 1m to 7 days", r.IdleTimeout.Duration)
		}
	}
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

func optionKnown(f formats.Format, key string) bool {
	if _, ok := f.Options[key]; ok {
		return true
	}
	for k := range f.Options {
		if strings.HasSuffix(k, ".*") && strings.HasPrefix(key, strings.TrimSuffix(k, "*")) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
