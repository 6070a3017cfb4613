// Command quality measures detection on a generated day with planted
// anomalies: per anomaly kind, recall within the top 2x as many results as
// planted (of the suspicious table, and of the LDA scores alone), precision
// of the top N, and the detect stage's size and speed. `make bench` runs it.
//
//	go run ./stages/detect/quality [-scale 40] [-seed 7] [-keep DIR]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
	"github.com/spotlake/spotlake/providers/catalog"
	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/ingest/gen"
)

func main() {
	scale := flag.Float64("scale", 40, "events per day as a multiple of the demo day (~24k events); 400 is ~10M")
	seed := flag.Int64("seed", 7, "generator seed")
	keep := flag.String("keep", "", "project folder to keep (default: a temp folder, removed)")
	asJSON := flag.Bool("json", false, "print JSON")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "quality:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*scale, *seed, *keep, *asJSON); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "quality:", err)
		os.Exit(1)
	}
}

type kindResult struct {
	Kind       string  `json:"kind"`
	Planted    int     `json:"planted"`
	Suspicious float64 `json:"recall_suspicious"`
	LDA        float64 `json:"recall_lda"`
}

type report struct {
	Scale        float64      `json:"scale"`
	Events       int64        `json:"events"`
	Planted      int          `json:"planted"`
	Kinds        []kindResult `json:"kinds"`
	RecallSusp   float64      `json:"recall_at_2k_suspicious"`
	RecallLDA    float64      `json:"recall_at_2k_lda"`
	PrecisionN   float64      `json:"precision_at_n_suspicious"`
	Documents    int          `json:"documents"`
	Words        int          `json:"distinct_words"`
	FitSeconds   float64      `json:"fit_seconds"`
	DetectSecs   float64      `json:"detect_seconds"`
	ScoreRate    float64      `json:"scoring_pass_events_per_second"`
	IngestSecs   float64      `json:"ingest_seconds"`
	IngestRate   float64      `json:"ingest_events_per_second"`
	GenerateSecs float64      `json:"generate_seconds"`
}

func run(scale float64, seed int64, keep string, asJSON bool) error {
	ctx := context.Background()
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "spotlake-quality-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	y := strings.Replace(string(config.InitYAML("quality")), "drain_window: 2s", "drain_window: 1ms", 1)
	// Score everything: recall@2k needs the full ranking, not Spot's cut.
	y = strings.Replace(y, "threshold: 1e-6 ", "threshold: 1    ", 1)
	y = strings.Replace(y, "top_n: 1000 ", "top_n: 100000 ", 1) // > 2x the planted events at scale 400
	path := filepath.Join(dir, "spotlake.yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	start := time.Now()
	fmt.Fprintf(os.Stderr, "quality: generating a day at scale %g in %s ...\n", scale, dir)
	if _, err := gen.Generate(gen.Options{Out: cfg.Raw, Days: 1, End: day, Seed: seed, Scale: scale, Anomalies: true}); err != nil {
		return err
	}
	rep := report{Scale: scale, GenerateSecs: time.Since(start).Seconds()}
	p, err := orchestrator.Open(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintln(os.Stderr, "quality: running ingest, detect, oa ...")
	runs, err := p.Run(ctx, []time.Time{day}, orchestrator.RunOptions{Command: "quality"})
	if err != nil {
		return err
	}
	if !runs[0].OK() {
		return fmt.Errorf("run failed: %+v", runs[0])
	}
	for _, s := range runs[0].Stages {
		switch s.Name {
		case orchestrator.StageIngest:
			rep.Events, rep.IngestSecs = s.Rows, s.Seconds-s.DrainSeconds
			rep.IngestRate = float64(s.Rows) / rep.IngestSecs
		case orchestrator.StageDetect:
			d := s.Detect
			rep.Documents, rep.Words, rep.FitSeconds, rep.DetectSecs = d.Documents, d.Words, d.FitSeconds, s.Seconds
			rep.ScoreRate = float64(d.Scored) / d.ScoreSeconds
		}
	}
	truth, err := gen.ReadTruth(gen.TruthPath(cfg.Raw, day))
	if err != nil {
		return err
	}
	planted := map[string]string{}
	perKind := map[string]int{}
	for _, a := range truth {
		planted[a.EventID] = a.Kind
		perKind[a.Kind]++
	}
	rep.Planted = len(planted)
	susp, err := ranked(ctx, p, schemas.Suspicious, day)
	if err != nil {
		return err
	}
	lda, err := ranked(ctx, p, schemas.Scores, day)
	if err != nil {
		return err
	}
	k := 2 * len(planted)
	hit := func(ids []string, n int) map[string]int {
		out := map[string]int{}
		for _, id := range ids[:min(n, len(ids))] {
			if kind, ok := planted[id]; ok {
				out[kind]++
			}
		}
		return out
	}
	hs, hl := hit(susp, k), hit(lda, k)
	var kinds []string
	for kind := range perKind {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	var ts, tl int
	for _, kind := range kinds {
		rep.Kinds = append(rep.Kinds, kindResult{kind, perKind[kind], float64(hs[kind]) / float64(perKind[kind]), float64(hl[kind]) / float64(perKind[kind])})
		ts += hs[kind]
		tl += hl[kind]
	}
	rep.RecallSusp = float64(ts) / float64(len(planted))
	rep.RecallLDA = float64(tl) / float64(len(planted))
	n := len(planted)
	tp := 0
	for _, c := range hit(susp, n) {
		tp += c
	}
	rep.PrecisionN = float64(tp) / float64(min(n, len(susp)))
	if asJSON {
		return json.NewEncoder(os.Stdout).Encode(rep)
	}
	fmt.Printf("day of %d events (scale %g), %d planted anomalous events\n\n", rep.Events, scale, rep.Planted)
	fmt.Printf("%-20s %8s %22s %18s\n", "kind", "planted", "recall@2k suspicious", "recall@2k LDA")
	for _, kr := range rep.Kinds {
		fmt.Printf("%-20s %8d %22.2f %18.2f\n", kr.Kind, kr.Planted, kr.Suspicious, kr.LDA)
	}
	fmt.Printf("%-20s %8d %22.2f %18.2f\n\n", "all", rep.Planted, rep.RecallSusp, rep.RecallLDA)
	fmt.Printf("precision of the top %d suspicious: %.2f\n", n, rep.PrecisionN)
	fmt.Printf("detect: %d documents, %d distinct words, fit %.1fs; scoring pass %.0f events/s (read from Iceberg, words, score, keep); stage %.1fs\n",
		rep.Documents, rep.Words, rep.FitSeconds, rep.ScoreRate, rep.DetectSecs)
	fmt.Printf("ingest: %.0f events/s; generate %.1fs\n", rep.IngestRate, rep.GenerateSecs)
	return nil
}

// ranked returns the event ids of a ranked table's day, by rank.
func ranked(ctx context.Context, p *orchestrator.Pipeline, name string, day time.Time) ([]string, error) {
	tbl, err := p.Catalog.LoadTable(ctx, catalog.Ident(p.Config.Pipeline, name))
	if err != nil {
		return nil, err
	}
	filter := iceberg.EqualTo(iceberg.Reference("input_day"), iceberg.Date(day.Unix()/86400))
	_, recs, err := tbl.Scan(table.WithRowFilter(filter), table.WithSelectedFields("event_id", "rank")).ToArrowRecords(ctx)
	if err != nil {
		return nil, err
	}
	type r struct {
		id   string
		rank int32
	}
	var rows []r
	for rec, err := range recs {
		if err != nil {
			return nil, err
		}
		ids, rk := rec.Column(0).(*array.String), rec.Column(1).(*array.Int32)
		for i := 0; i < ids.Len(); i++ {
			rows = append(rows, r{ids.Value(i), rk.Value(i)})
		}
		rec.Release()
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].rank < rows[j].rank })
	out := make([]string, len(rows))
	for i, x := range rows {
		out[i] = x.id
	}
	return out, nil
}
