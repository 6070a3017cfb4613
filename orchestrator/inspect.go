package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"time"

	"github.com/apache/iceberg-go"
	icat "github.com/apache/iceberg-go/catalog"

	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/providers/catalog"
	"github.com/spotlake/spotlake/providers/pricing"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/ingest"
	"github.com/spotlake/spotlake/stages/tableio"
)

// TableInfo describes a table (the `tables describe --json` contract).
type TableInfo struct {
	Name       string          `json:"name"`
	Rows       int64           `json:"rows"`
	Snapshots  int             `json:"snapshots"`
	Files      int64           `json:"files"`
	Bytes      int64           `json:"bytes"`
	Partitions []PartitionInfo `json:"partitions"`
	Location   string          `json:"location,omitempty"`
	Exists     bool            `json:"exists"`
	Doc        string          `json:"doc,omitempty"`
	Columns    []ColumnInfo    `json:"columns,omitempty"`
}

// PartitionInfo sums one partition.
type PartitionInfo struct {
	Partition string `json:"partition"`
	Rows      int64  `json:"rows"`
	Files     int64  `json:"files"`
	Bytes     int64  `json:"bytes"`
}

// ColumnInfo is one column.
type ColumnInfo struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
	Doc      string `json:"doc,omitempty"`
}

// Tables lists the pipeline's tables (those not yet created too).
func (p *Pipeline) Tables(ctx context.Context, withPartitions bool) ([]TableInfo, error) {
	var out []TableInfo
	for _, name := range schemas.Names() {
		ti, err := p.Describe(ctx, name, withPartitions)
		if err != nil {
			return nil, err
		}
		out = append(out, ti)
	}
	return out, nil
}

// Describe summarizes one table from its current snapshot's files.
func (p *Pipeline) Describe(ctx context.Context, name string, withPartitions bool) (TableInfo, error) {
	def, ok := schemas.Get(name)
	if !ok {
		return TableInfo{}, fmt.Errorf("no table %q; tables are: %v", name, schemas.Names())
	}
	ti := TableInfo{Name: name, Doc: def.Doc, Partitions: []PartitionInfo{}}
	tbl, err := p.Catalog.LoadTable(ctx, catalog.Ident(p.Config.Pipeline, name))
	if errors.Is(err, icat.ErrNoSuchTable) || errors.Is(err, icat.ErrNoSuchNamespace) {
		for _, f := range def.Schema.Fields() {
			ti.Columns = append(ti.Columns, ColumnInfo{f.Name, f.Type.String(), f.Required, f.Doc})
		}
		return ti, nil
	}
	if err != nil {
		return ti, err
	}
	ti.Exists = true
	ti.Location = tbl.Location()
	ti.Snapshots = len(tbl.Metadata().Snapshots())
	for _, f := range tbl.Schema().Fields() {
		ti.Columns = append(ti.Columns, ColumnInfo{f.Name, f.Type.String(), f.Required, f.Doc})
	}
	if tbl.CurrentSnapshot() == nil {
		return ti, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return ti, fmt.Errorf("plan %s: %w", name, err)
	}
	parts := map[string]*PartitionInfo{}
	spec := tbl.Spec()
	for _, t := range tasks {
		f := t.File
		ti.Rows += f.Count()
		ti.Files++
		ti.Bytes += f.FileSizeBytes()
		key := partitionString(spec, f)
		pi := parts[key]
		if pi == nil {
			pi = &PartitionInfo{Partition: key}
			parts[key] = pi
		}
		pi.Rows += f.Count()
		pi.Files++
		pi.Bytes += f.FileSizeBytes()
	}
	if withPartitions {
		for _, pi := range parts {
			ti.Partitions = append(ti.Partitions, *pi)
		}
		sort.Slice(ti.Partitions, func(i, j int) bool { return ti.Partitions[i].Partition < ti.Partitions[j].Partition })
	}
	return ti, nil
}

func partitionString(spec iceberg.PartitionSpec, f iceberg.DataFile) string {
	part := f.Partition()
	s := ""
	for i := 0; i < spec.NumFields(); i++ {
		pf := spec.Field(i)
		v, ok := part[pf.FieldID]
		val := "null"
		if ok && v != nil {
			val = fmtPartValue(pf.Transform, v)
		}
		if s != "" {
			s += "/"
		}
		s += pf.Name + "=" + val
	}
	if s == "" {
		return "(unpartitioned)"
	}
	return s
}

func fmtPartValue(tr iceberg.Transform, v any) string {
	switch x := v.(type) {
	case iceberg.Date:
		return time.Unix(int64(x)*86400, 0).UTC().Format("2006-01-02")
	case int32:
		if _, ok := tr.(iceberg.DayTransform); ok {
			return time.Unix(int64(x)*86400, 0).UTC().Format("2006-01-02")
		}
		return strconv.Itoa(int(x))
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// SourcePlan is what a run would read from one source.
type SourcePlan struct {
	Source   string `json:"source"`
	Format   string `json:"format"`
	Prefix   string `json:"prefix"`
	Objects  int    `json:"objects"`
	Bytes    int64  `json:"bytes"`
	New      int    `json:"new_objects"`
	NewBytes int64  `json:"new_bytes"`
	Ignored  int    `json:"ignored_objects"` // names that match no pattern
}

// ClusterPlan is the compute a run would provision for one role.
type ClusterPlan struct {
	Role          string `json:"role"`
	Where         string `json:"where"`
	InstanceType  string `json:"instance_type,omitempty"`
	InstanceCount int    `json:"instance_count"`
	MaxRuntime    string `json:"max_runtime,omitempty"`
	Note          string `json:"note,omitempty"`
}

// Plan is what a run of a day would do, computed without writing anything.
type Plan struct {
	Date     string        `json:"date"`
	Pipeline string        `json:"pipeline"`
	Provider string        `json:"provider"`
	Sources  []SourcePlan  `json:"sources"`
	Clusters []ClusterPlan `json:"clusters"`
	Writes   []string      `json:"writes"`
	CostUSD  float64       `json:"cost_usd"`
}

// Plan lists a day's inputs, the compute and the tables a run would write.
// It reads the catalog but creates nothing.
func (p *Pipeline) Plan(ctx context.Context, day time.Time) (*Plan, error) {
	srcs, err := IngestSources(p.Config)
	if err != nil {
		return nil, err
	}
	pl := &Plan{Date: day.Format("2006-01-02"), Pipeline: p.Config.Pipeline, Provider: p.Config.Provider}
	ledger := map[string]ingest.LedgerEntry{}
	if tbl, err := p.Catalog.LoadTable(ctx, catalog.Ident(p.Config.Pipeline, schemas.IngestFiles)); err == nil {
		if ledger, err = ingest.ReadLedger(ctx, tbl, day); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, icat.ErrNoSuchTable) && !errors.Is(err, icat.ErrNoSuchNamespace) {
		return nil, err
	}
	for _, s := range srcs {
		sp := SourcePlan{Source: s.Name, Format: s.Format.Name, Prefix: ingest.DayPrefix(s, day)}
		objs, err := p.Raw.List(ctx, sp.Prefix)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if !ingest.Matches(s.Patterns, path.Base(o.Key)) {
				sp.Ignored++
				continue
			}
			sp.Objects++
			sp.Bytes += o.Size
			if e, ok := ledger[s.Name+"\x00"+o.Key]; !ok || e.Status != ingest.StatusCommitted {
				sp.New++
				sp.NewBytes += o.Size
			}
		}
		pl.Sources = append(pl.Sources, sp)
	}
	if p.Config.Provider == "aws" {
		// One cluster per role: ingest, then ml (detect, oa); the viz
		// cluster runs long and gets the cache refresh as a step.
		for _, role := range config.Roles {
			r := p.Config.Clusters[role]
			nodes := r.Master.Count + r.Core.Count
			if r.Task != nil {
				nodes += r.Task.Count
			}
			cp := ClusterPlan{Role: role, Where: "EMR", InstanceType: r.Core.InstanceTypes[0], InstanceCount: nodes, MaxRuntime: r.MaxRuntime.String()}
			if role == "ingest" && p.Config.Engine == "spark" {
				cp.Note = fmt.Sprintf("objects on the cluster's Spark (%s), %s at once", p.Config.Spark.Master, sparkParallelism(p.Config.Spark.Parallelism))
			}
			pl.Clusters = append(pl.Clusters, cp)
		}
		if prices, err := pricing.Load(p.Config.State); err == nil {
			if est, err := EstimateRun(p.Config, prices); err == nil {
				pl.AddCost(est)
			}
		}
	} else if p.Config.Engine == "spark" {
		pl.Clusters = append(pl.Clusters, ClusterPlan{Role: "ingest", Where: "Spark " + p.Config.Spark.Master + " (engine spark)", InstanceCount: 1,
			Note: fmt.Sprintf("%s objects at once, started with %s", sparkParallelism(p.Config.Spark.Parallelism), p.Config.Spark.Submit)})
	} else {
		pl.Clusters = append(pl.Clusters, ClusterPlan{Role: "ingest", Where: "this machine (embedded engine)", InstanceCount: 1, Note: fmt.Sprintf("%d workers", p.Config.Ingest.Workers)})
	}
	ns := p.Config.Pipeline
	pl.Writes = []string{ns + "." + schemas.Events, ns + "." + schemas.EventsRejected, ns + "." + schemas.IngestFiles, ns + "." + schemas.Runs}
	return pl, nil
}

// DayDone reports whether the day's work (through the oa stage) succeeded.
func (p *Pipeline) DayDone(ctx context.Context, day time.Time) (bool, error) {
	tbl, err := p.Catalog.LoadTable(ctx, catalog.Ident(p.Config.Pipeline, schemas.Runs))
	if errors.Is(err, icat.ErrNoSuchTable) || errors.Is(err, icat.ErrNoSuchNamespace) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// The day's own work ends with oa; the cache stage refreshes a window
	// of days, and the next run's refresh catches up if it failed.
	filter := iceberg.NewAnd(tableio.DayFilter(day), iceberg.EqualTo(iceberg.Reference("stage"), StageOA))
	done := false
	err = tableio.Scan(ctx, tbl, filter, []string{"status"}, func(r tableio.Row) error {
		done = done || r.Str("status") == StatusSucceeded
		return nil
	})
	if err != nil {
		return false, err
	}
	return done, nil
}

// sparkParallelism says how many objects engine spark runs at once.
func sparkParallelism(n int) string {
	if n == 0 {
		return "as many as Spark has cores for"
	}
	return fmt.Sprint(n)
}
