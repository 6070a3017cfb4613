package ingest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/stages/ingest/gen"
)

var benchDay = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// BenchmarkIngest measures the whole ingest of one worker (parse, normalize,
// Arrow, Parquet, Iceberg commit) on 32 MiB of generated logs per format.
func BenchmarkIngest(b *testing.B) {
	for _, format := range []string{"cowrie", "vpcflow", "apache", "syslog"} {
		b.Run(format, func(b *testing.B) {
			raw := b.TempDir()
			name := map[string]string{"cowrie": "cowrie.json.2026-11-21"}[format]
			if name == "" {
				name = "corpus.log"
			}
			dir := filepath.Join(raw, format, "dt=2026-11-21")
			os.MkdirAll(dir, 0o755)
			f, _ := os.Create(filepath.Join(dir, name))
			w := bufio.NewWriter(f)
			if _, err := gen.WriteCorpus(w, format, 32<<20, 1, benchDay); err != nil {
				b.Fatal(err)
			}
			w.Flush()
			f.Close()
			st, _ := os.Stat(filepath.Join(dir, name))
			b.SetBytes(st.Size())
			var rows int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				proj := b.TempDir()
				c, err := config.Parse([]byte(fmt.Sprintf("apiVersion: spotlake/v1\npipeline: bench\nraw: %s\nsources: [{name: %s}]\ningest: {workers: 1, drain_window: 0s}\n", raw, format)))
				if err != nil {
					b.Fatal(err)
				}
				c.Resolve(proj)
				p, err := orchestrator.Open(context.Background(), c, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				reps, err := p.Run(context.Background(), []time.Time{benchDay}, orchestrator.RunOptions{})
				b.StopTimer()
				if err != nil || !reps[0].OK() {
					b.Fatalf("%v %+v", err, reps)
				}
				rows = reps[0].Stages[0].Rows
				p.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
