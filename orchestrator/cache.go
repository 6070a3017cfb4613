package orchestrator

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spotlake/spotlake/providers/objstore"
	"github.com/spotlake/spotlake/stages/cache"
)

// StageCache refreshes the hot cache: the last stage of the daily run.
const StageCache = "cache"

// CacheSource lists the pipeline's Iceberg data files for the hot cache.
func (p *Pipeline) CacheSource() cache.Source { return icebergFiles{p} }

type icebergFiles struct{ p *Pipeline }

// Files plans a scan of the table's current snapshot. Each file's
// input_day bounds come from its column statistics, so the cache can tell
// which days a file holds without reading it.
func (s icebergFiles) Files(ctx context.Context, name string) ([]cache.File, error) {
	tbl, err := s.p.Table(ctx, name)
	if err != nil {
		return nil, err
	}
	if tbl.CurrentSnapshot() == nil {
		return nil, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", name, err)
	}
	dayID := -1
	if f, ok := tbl.Schema().FindFieldByName("input_day"); ok {
		dayID = f.ID
	}
	out := make([]cache.File, 0, len(tasks))
	for _, t := range tasks {
		path := dataPath(t.File.FilePath())
		if len(t.DeleteFiles) > 0 {
			return nil, fmt.Errorf("%s: %s has delete files; spotlake writes copy-on-write only, so another engine changed the table: rewrite it with `spotlake tables compact`", name, path)
		}
		f := cache.File{Path: path}
		if dayID >= 0 {
			f.MinDay = dateBound(t.File.LowerBoundValues()[dayID])
			f.MaxDay = dateBound(t.File.UpperBoundValues()[dayID])
			if f.MinDay == "" || f.MaxDay == "" {
				f.MinDay, f.MaxDay = "", ""
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// dateBound decodes an Iceberg date bound: days since 1970 as 4 bytes,
// little-endian.
func dateBound(b []byte) string {
	if len(b) != 4 {
		return ""
	}
	days := int32(binary.LittleEndian.Uint32(b))
	return time.Unix(int64(days)*86400, 0).UTC().Format(time.DateOnly)
}

// dataPath is where a data file is: a local path, or its s3:// URL (Fetch
// copies those).
func dataPath(p string) string { return strings.TrimPrefix(p, "file://") }

// Fetch copies S3 data files into dir (named by a hash of their URL, so a
// file is fetched once) and returns the local paths; local files are read
// in place.
func (s icebergFiles) Fetch(ctx context.Context, dir string, paths []string) ([]string, error) {
	out := make([]string, len(paths))
	stores := map[string]*objstore.S3{}
	for i, p := range paths {
		if !strings.HasPrefix(p, "s3://") {
			out[i] = p
			continue
		}
		sum := sha256.Sum256([]byte(p))
		dst := filepath.Join(dir, hex.EncodeToString(sum[:12])+".parquet")
		out[i] = dst
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		bucket, key, err := objstore.ParseS3URL(p)
		if err != nil {
			return nil, err
		}
		st := stores[bucket]
		if st == nil {
			if s.p.AWS == nil {
				return nil, fmt.Errorf("data file %s: no AWS configuration loaded", p)
			}
			if st, err = objstore.NewS3(ctx, "s3://"+bucket, *s.p.AWS); err != nil {
				return nil, err
			}
			stores[bucket] = st
		}
		if err := fetchTo(ctx, st, strings.TrimSuffix(key, "/"), dst); err != nil {
			return nil, fmt.Errorf("fetch %s: %w", p, err)
		}
	}
	return out, nil
}

func fetchTo(ctx context.Context, st objstore.Store, key, dst string) error {
	rc, err := st.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	tmp := dst + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// RefreshCache brings the hot cache up to date with the tables.
func (p *Pipeline) RefreshCache(ctx context.Context, o cache.RefreshOptions) (*cache.RefreshReport, error) {
	if o.Days == 0 {
		o.Days = p.Config.Viz.CacheDays
	}
	return cache.Refresh(ctx, p.Config.Cache, p.CacheSource(), o)
}

func (p *Pipeline) runCache(ctx context.Context, sr *StageReport, o RunOptions) {
	rep, err := p.RefreshCache(ctx, cache.RefreshOptions{})
	if err != nil {
		sr.Status, sr.Message = StatusFailed, err.Error()
		return
	}
	sr.Cache = rep
	sr.Rows = rep.Rows
	sr.Message = fmt.Sprintf("hot cache generation %d: %d days loaded, %d kept, %d dropped", rep.Generation, len(rep.Loaded), len(rep.Kept), len(rep.Dropped))
}
