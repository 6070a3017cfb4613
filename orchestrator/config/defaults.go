package config

import (
	"runtime"
	"time"
)

// Default fills every unset field with its default. It is the only place
// defaults live.
func (c *Config) Default() {
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
	def(&in.Workers, runtime.NumCPU())
	def(&in.DrainWindow.Duration, 2*time.Second)
	def(&in.PollInterval.Duration, 500*time.Millisecond)
	def(&in.CommitEvery, 64)
	def(&in.BatchRows, 32768)
	def(&in.MaxLineBytes, 1<<20)
	def(&in.TargetFileMB, 128)
	def(&in.MemoryLimitMB, 768)
	sp := &c.Spark
	def(&sp.Submit, "spark-submit")
	if c.Provider == "aws" {
		def(&sp.Master, "yarn")
	} else {
		def(&sp.Master, "local[*]")
	}
	def(&sp.StartTimeout.Duration, 3*time.Minute)
	a := &c.AWS
	def(&a.ReleaseLabel, "emr-7.5.0")
	def(&a.ServiceRole, "EMR_DefaultRole")
	def(&a.InstanceProfile, "EMR_EC2_DefaultRole")
	def(&a.PollInterval.Duration, 30*time.Second)
	def(&a.LogWait.Duration, 5*time.Minute)
	v := &c.Viz
	def(&v.CacheDays, 30)
	def(&v.Listen, "127.0.0.1:8787")
	def(&v.TokenEnv, "SPOTLAKE_TOKEN")
	def(&v.StaleAfter.Duration, 36*time.Hour)
	def(&v.ReadyTimeout.Duration, 2*time.Minute)
	d := &c.Detect
	def(&d.Topics, 20)
	def(&d.Iterations, 20)
	def(&d.Threshold, 1e-6)
	def(&d.TopN, 1000)
	def(&d.WindowDays, 1)
	def(&d.Workers, runtime.NumCPU())
	def(&d.Seed, 1)
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
	def(&c.Schedule.DayOffset, 1)
	def(&c.Schedule.CatchUpDays, 3)
	if c.Clusters == nil {
		c.Clusters = map[string]Role{}
	}
	defaults := map[string]Role{
		"ingest": {InstanceType: "m6i.xlarge", InstanceCount: 2, MaxRuntime: Duration{Duration: 2 * time.Hour},
			Task:        &Fleet{InstanceTypes: []string{"m6i.xlarge", "m5.xlarge", "m5a.xlarge"}, Count: 2, Spot: true},
			IdleTimeout: Duration{Duration: 30 * time.Minute}},
		"ml": {InstanceType: "r6i.2xlarge", InstanceCount: 2, MaxRuntime: Duration{Duration: 3 * time.Hour},
			Task:        &Fleet{InstanceTypes: []string{"r6i.2xlarge", "r5.2xlarge", "r5a.2xlarge"}, Count: 2, Spot: true},
			IdleTimeout: Duration{Duration: 30 * time.Minute}},
		"viz": {InstanceType: "m6i.large", InstanceCount: 1, Task: &Fleet{}, IdleTimeout: Duration{Duration: 2 * time.Hour}},
	}
	for _, name := range Roles {
		r := c.Clusters[name]
		d := defaults[name]
		def(&r.InstanceType, d.InstanceType)
		def(&r.InstanceCount, d.InstanceCount)
		if r.MaxRuntime.Duration == 0 {
			r.MaxRuntime = d.MaxRuntime
		}
		if len(r.Master.InstanceTypes) == 0 {
			r.Master = Fleet{InstanceTypes: []string{r.InstanceType}, Count: 1}
		}
		if len(r.Core.InstanceTypes) == 0 {
			r.Core = Fleet{InstanceTypes: []string{r.InstanceType}, Count: max(r.InstanceCount, 0)}
		}
		if r.Task == nil {
			t := *d.Task
			t.InstanceTypes = append([]string(nil), d.Task.InstanceTypes...)
			r.Task = &t
		}
		if r.Task.Spot && r.Task.SpotTimeout.Duration == 0 {
			r.Task.SpotTimeout.Duration = 10 * time.Minute
		}
		def(&r.EBSGB, 64)
		if len(r.Applications) == 0 {
			r.Applications = []string{"Hadoop", "Spark"}
		}
		if r.IdleTimeout.Duration == 0 {
			r.IdleTimeout = d.IdleTimeout
		}
		c.Clusters[name] = r
	}
}

// def sets *p to v when it is unset (the zero value).
func def[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}
