package orchestrator

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/apache/iceberg-go/table/compaction"

	"github.com/spotlake/spotlake/schemas"
)

// Compacted is what Compact did (or, with dryRun, would do) to one table.
type Compacted struct {
	Table       string `json:"table"`
	Groups      int    `json:"groups"`
	FilesBefore int    `json:"files_rewritten"`
	FilesAfter  int    `json:"files_written"`
	Bytes       int64  `json:"bytes_rewritten"`
}

// Compact rewrites each table's small data files into files of about
// targetBytes, one atomic snapshot per table. Ingest writes at least one
// file per input object, so a day of many small objects is many small
// files. Files are only merged within one partition AND one input day: a
// forced rerun replaces a day by dropping the files of that day, which
// must never hold another day's rows. Like expire, it holds the run lock
// and refuses while commits are pending.
func (p *Pipeline) Compact(ctx context.Context, names []string, targetBytes int64, dryRun bool) ([]Compacted, error) {
	release, err := p.maintain(ctx, "compact")
	if err != nil {
		return nil, err
	}
	defer release()
	if len(names) == 0 {
		names = schemas.Names()
	}
	cfg := compaction.DefaultConfig()
	cfg.TargetFileSizeBytes = targetBytes
	cfg.MinFileSizeBytes = targetBytes * 3 / 4
	cfg.MaxFileSizeBytes = targetBytes * 9 / 5
	cfg.MinInputFiles = 2
	var out []Compacted
	for _, name := range names {
		if _, ok := schemas.Get(name); !ok {
			return out, fmt.Errorf("unknown table %q; tables are %v", name, schemas.Names())
		}
		tbl, err := p.Table(ctx, name)
		if err != nil {
			return out, err
		}
		c := Compacted{Table: name}
		if tbl.CurrentSnapshot() == nil {
			out = append(out, c)
			continue
		}
		plan, err := compaction.Analyze(ctx, tbl, cfg)
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		groups := byInputDay(tbl, plan.Groups)
		for _, g := range groups {
			c.FilesBefore += len(g.Tasks)
			c.Bytes += g.TotalSizeBytes
		}
		c.Groups = len(groups)
		if dryRun || len(groups) == 0 {
			out = append(out, c)
			continue
		}
		res, err := tbl.RewriteDataFiles(ctx, groups, table.RewriteDataFilesOptions{
			SnapshotProps: iceberg.Properties{"spotlake.operation": "compact"},
			GroupOptions:  []table.CompactionGroupOption{table.WithCompactionTargetFileSize(targetBytes)},
		})
		if err != nil {
			return out, fmt.Errorf("compact %s: %w", name, err)
		}
		c.FilesAfter = res.AddedDataFiles
		out = append(out, c)
	}
	return out, nil
}

// byInputDay splits compaction groups so that no group mixes input days
// (events are partitioned by event day and source, and an input day's late
// events share partitions with the next day's). A file whose rows span
// several input days, or whose day is unknown, is left alone; a group left
// with fewer than two files is dropped.
func byInputDay(tbl *table.Table, groups []compaction.Group) []table.CompactionTaskGroup {
	dayID := -1
	if f, ok := tbl.Schema().FindFieldByName("input_day"); ok {
		dayID = f.ID
	}
	var out []table.CompactionTaskGroup
	for _, g := range groups {
		split := map[int32][]table.FileScanTask{}
		var order []int32
		for _, t := range g.Tasks {
			if len(t.DeleteFiles) > 0 {
				continue
			}
			day := int32(0)
			if dayID >= 0 {
				lo, hi := t.File.LowerBoundValues()[dayID], t.File.UpperBoundValues()[dayID]
				if len(lo) != 4 || len(hi) != 4 || binary.LittleEndian.Uint32(lo) != binary.LittleEndian.Uint32(hi) {
					continue
				}
				day = int32(binary.LittleEndian.Uint32(lo))
			}
			if _, ok := split[day]; !ok {
				order = append(order, day)
			}
			split[day] = append(split[day], t)
		}
		for _, d := range order {
			ts := split[d]
			if len(ts) < 2 {
				continue
			}
			var size int64
			for _, t := range ts {
				size += t.File.FileSizeBytes()
			}
			out = append(out, table.CompactionTaskGroup{PartitionKey: fmt.Sprintf("%s/day=%d", g.PartitionKey, d), Tasks: ts, TotalSizeBytes: size})
		}
	}
	return out
}
