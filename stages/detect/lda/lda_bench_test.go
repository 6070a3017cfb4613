package lda

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Benchmarks on a synthetic flow-like corpus: documents are IP addresses,
// words are Spot-style flow words ("-1_443_6_14_12_5"). Each document mixes
// one to three of 40 latent behaviours; each behaviour draws words from its
// own Zipf (s = 1.1) ranking of a 50,000-word vocabulary; document lengths
// are log-normal with mean 100 tokens, so 100,000 documents make about 10M
// tokens. Every token is one Corpus.Add, as events arrive.
//
//	go test -run '^$' -bench 'Fit|Score|WriteRead' -benchtime 1x ./stages/detect/lda/

const (
	benchVocab     = 50_000
	benchBehaviors = 40
	benchMeanLen   = 100
)

type benchData struct {
	c       *Corpus
	buildS  float64
	model   *Model
	modelMu sync.Mutex
}

var (
	benchMu    sync.Mutex
	benchCache = map[int]*benchData{}
)

func benchCorpus(b *testing.B, docs int) *benchData {
	benchMu.Lock()
	defer benchMu.Unlock()
	if d, ok := benchCache[docs]; ok {
		return d
	}
	r := rand.New(rand.NewPCG(uint64(docs), 99))
	words := make([]string, benchVocab)
	for i := range words {
		// port, protocol, hour, byte bin, packet bin: flow-word shaped, unique.
		words[i] = fmt.Sprintf("%d_%d_%d_%d_%d_%d", []int{-1, 1}[i%2], i/2%5000, []int{6, 17, 1}[i/10000%3], i%24, i%10, i%7)
	}
	rank := make([][]int32, benchBehaviors)
	for k := range rank {
		rank[k] = make([]int32, benchVocab)
		for i, p := range r.Perm(benchVocab) {
			rank[k][i] = int32(p)
		}
	}
	zipf := rand.NewZipf(r, 1.1, 1, benchVocab-1)
	mu := math.Log(benchMeanLen) - 0.5 // log-normal, σ = 1, mean benchMeanLen
	start := time.Now()
	c := NewCorpus()
	for d := range docs {
		doc := fmt.Sprintf("10.%d.%d.%d", d>>16, d>>8&255, d&255)
		n := max(1, int(math.Exp(mu+r.NormFloat64())))
		nb := 1 + r.IntN(3)
		var beh [3]int
		for i := range nb {
			beh[i] = r.IntN(benchBehaviors)
		}
		for range n {
			k := beh[0]
			if nb > 1 && r.Float64() < 0.3 {
				k = beh[1+r.IntN(nb-1)]
			}
			c.Add(doc, words[rank[k][zipf.Uint64()]])
		}
	}
	d := &benchData{c: c, buildS: time.Since(start).Seconds()}
	benchCache[docs] = d
	return d
}

func BenchmarkFit(b *testing.B) {
	for _, docs := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("docs=%d", docs), func(b *testing.B) {
			data := benchCorpus(b, docs)
			c := data.c
			cfg := Config{Seed: 1} // Spot's defaults: 20 topics, 20 iterations, α = 2.5, β = 0.01
			var m *Model
			for b.Loop() {
				var err error
				if m, err = Fit(context.Background(), c, cfg); err != nil {
					b.Fatal(err)
				}
			}
			s := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(s, "fit_s")
			b.ReportMetric(float64(c.Docs()), "docs")
			b.ReportMetric(float64(c.Words()), "words")
			b.ReportMetric(float64(c.Pairs()), "pairs")
			b.ReportMetric(float64(c.Tokens()), "tokens")
			b.ReportMetric(float64(c.Tokens())/s, "tokens/s")
			b.ReportMetric(float64(c.Tokens())*float64(m.Iterations)/s, "token-sweeps/s")
			b.ReportMetric(float64(c.Tokens())/data.buildS, "adds/s")
			b.ReportMetric(m.LogLik, "loglik")
			b.ReportMetric(float64(m.Workers), "workers")
			data.modelMu.Lock()
			data.model = m
			data.modelMu.Unlock()
		})
	}
}

func benchModel(b *testing.B, docs int) (*benchData, *Model) {
	data := benchCorpus(b, docs)
	data.modelMu.Lock()
	defer data.modelMu.Unlock()
	if data.model == nil {
		m, err := Fit(context.Background(), data.c, Config{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		data.model = m
	}
	return data, data.model
}

// benchPairs returns n (doc, word) pairs of the corpus in random order, most
// of them training pairs and 1% with an unseen word.
func benchPairs(m *Model, n int) (docs, words []string) {
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		d := m.docNames[r.IntN(m.Docs)]
		w := m.wordNames[r.IntN(m.Words)]
		if r.IntN(100) == 0 {
			w = "unseen-word"
		}
		docs = append(docs, d)
		words = append(words, w)
	}
	return docs, words
}

// BenchmarkScore scores 2^20 random (doc, word) pairs of the 100k-document
// model per op (1% with an unseen word), so that -benchtime 1x measures too.
func BenchmarkScore(b *testing.B) {
	_, m := benchModel(b, 100_000)
	const n = 1 << 20
	docs, words := benchPairs(m, n)
	s := m.Scorer()
	dids, wids := make([]int32, n), make([]int32, n)
	for i := range n {
		dids[i], _ = s.DocID(docs[i])
		wids[i], _ = s.WordID(words[i])
	}
	report := func(b *testing.B) {
		scores := float64(b.N) * n
		b.ReportMetric(scores/b.Elapsed().Seconds(), "scores/s")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/scores, "ns/score")
	}
	var sink float64
	b.Run("ids", func(b *testing.B) {
		for b.Loop() {
			for i := range n {
				sink += s.ScoreIDs(dids[i], wids[i])
			}
		}
		report(b)
	})
	b.Run("strings", func(b *testing.B) {
		// Model.Score: two map lookups by name, then ScoreIDs.
		for b.Loop() {
			for i := range n {
				sink += m.Score(docs[i], words[i])
			}
		}
		report(b)
	})
	b.Run("ids-parallel", func(b *testing.B) {
		// All cores at once: scores/s is the machine's total.
		var mu sync.Mutex
		for b.Loop() {
			var wg sync.WaitGroup
			per := n / runtime.GOMAXPROCS(0)
			for g := range runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					var x float64
					for i := g * per; i < (g+1)*per; i++ {
						x += s.ScoreIDs(dids[i], wids[i])
					}
					mu.Lock()
					sink += x
					mu.Unlock()
				})
			}
			wg.Wait()
		}
		report(b)
	})
	_ = sink
}

func BenchmarkWriteRead(b *testing.B) {
	_, m := benchModel(b, 100_000)
	var buf bytes.Buffer
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			buf.Reset()
			if _, err := m.WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(buf.Len()))
		b.ReportMetric(float64(buf.Len())/(1<<20), "file_MiB")
	})
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, err := Read(bytes.NewReader(buf.Bytes())); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(buf.Len()))
	})
}
