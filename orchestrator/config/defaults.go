package config

import (
	"runtime"
	"time"
)

// Default fills every unset field with its default. It is the only place
// defaults live.
func (c *Config) Default() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Pipeline, "spotlake")
	def(&c.Provider, "local")
	def(&c.Engine, "embedded")
	def(&c.Warehouse, "warehouse")
	def(&c.Raw, "raw")
	def(&c.Cache, "cache")
	def(&c.State, ".spotlake")
	def(&c.Catalog.Type, "sql")
	def(&c.Catalog.Name, "spotlake")
	if c.Catalog.Type == "sql" {
		def(&c.Catalog.URI, "catalog.db")
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		def(&s.Format, s.Name)
		def(&s.Prefix, s.Name)
		def(&s.Timezone, "UTC")
	}
	in := &c.Ingest
	if in.Workers == 0 {
		in.Workers = runtime.NumCPU()
	}
	if in.DrainWindow.Duration == 0 {
		in.DrainWindow.Duration = 2 * time.Second
	}
	if in.PollInterval.Duration == 0 {
		in.PollInterval.Duration = 500 * time.Millisecond
	}
	if in.CommitEvery == 0 {
		in.CommitEvery = 64
	}
	if in.BatchRows == 0 {
		in.BatchRows = 32768
	}
	if in.MaxLineBytes == 0 {
		in.MaxLineBytes = 1 << 20
	}
	if in.TargetFileMB == 0 {
		in.TargetFileMB = 128
	}
	if in.MemoryLimitMB == 0 {
		in.MemoryLimitMB = 768
	}
	v := &c.Viz
	if v.CacheDays == 0 {
		v.CacheDays = 30
	}
	def(&v.Listen, "127.0.0.1:8787")
	def(&v.TokenEnv, "SPOTLAKE_TOKEN")
	if v.StaleAfter.Duration == 0 {
		v.StaleAfter.Duration = 36 * time.Hour
	}
	if v.ReadyTimeout.Duration == 0 {
		v.ReadyTimeout.Duration = 2 * time.Minute
	}
	d := &c.Detect
	if d.Topics == 0 {
		d.Topics = 20
	}
	if d.Iterations == 0 {
		d.Iterations = 20
	}
	if d.Threshold == 0 {
		d.Threshold = 1e-6
	}
	if d.TopN == 0 {
		d.TopN = 1000
	}
	if d.WindowDays == 0 {
		d.WindowDays = 1
	}
	if d.Workers == 0 {
		d.Workers = runtime.NumCPU()
	}
	if d.Seed == 0 {
		d.Seed = 1
	}
	def(&d.Corpus, "distinct")
	def(&c.OA.WebhookEnv, "SPOTLAKE_WEBHOOK_URL")
	for i := range c.OA.Rules {
		r := &c.OA.Rules[i]
		if r.Window.Duration == 0 && r.Window.bad == "" {
			r.Window.Duration = time.Hour
		}
		def(&r.Severity, "medium")
	}
	def(&c.Schedule.Cron, "30 2 * * *")
	def(&c.Schedule.Timezone, "UTC")
	if c.Schedule.DayOffset == 0 {
		c.Schedule.DayOffset = 1
	}
	if c.Schedule.CatchUpDays == 0 {
		c.Schedule.CatchUpDays = 3
	}
	if c.Clusters == nil {
		c.Clusters = map[string]Role{}
	}
	defaults := map[string]Role{
		"ingest": {InstanceType: "m6i.xlarge", InstanceCount: 2, MaxRuntime: Duration{Duration: 2 * time.Hour}},
		"ml":     {InstanceType: "r6i.2xlarge", InstanceCount: 2, MaxRuntime: Duration{Duration: 3 * time.Hour}},
		"viz":    {InstanceType: "m6i.large", InstanceCount: 1},
	}
	for _, name := range Roles {
		r := c.Clusters[name]
		d := defaults[name]
		def(&r.InstanceType, d.InstanceType)
		if r.InstanceCount == 0 {
			r.InstanceCount = d.InstanceCount
		}
		if r.MaxRuntime.Duration == 0 {
			r.MaxRuntime = d.MaxRuntime
		}
		c.Clusters[name] = r
	}
}
