package lda

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// planted builds groups×docsPer documents; each document of group g draws
// tokens words from group g's own vocabulary of vocab words with Zipf (s=1)
// frequencies. countScale multiplies every count (to exercise blocks).
func planted(groups, docsPer, vocab, tokens int, countScale int, seed uint64) *Corpus {
	r := rand.New(rand.NewPCG(seed, 1))
	cdf := make([]float64, vocab)
	var s float64
	for i := range cdf {
		s += 1 / float64(i+1)
		cdf[i] = s
	}
	c := NewCorpus()
	for g := range groups {
		for i := range docsPer {
			doc := fmt.Sprintf("10.%d.0.%d", g, i)
			for range tokens {
				w, _ := slices.BinarySearch(cdf, r.Float64()*s)
				c.AddN(doc, fmt.Sprintf("g%d_w%d", g, w), countScale)
			}
		}
	}
	return c
}

func fit(t testing.TB, c *Corpus, cfg Config) *Model {
	t.Helper()
	m, err := Fit(context.Background(), c, cfg)
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	return m
}

func argmax(x []float64) int {
	best := 0
	for k, v := range x {
		if v > x[best] {
			best = k
		}
	}
	return best
}

func TestCorpus(t *testing.T) {
	var c Corpus // zero value usable
	c.Add("a", "x")
	c.Add("a", "x")
	c.AddN("a", "y", 3)
	c.AddN("b", "x", 0)  // ignored
	c.AddN("b", "x", -5) // ignored
	c.Add("b", "z")
	if c.Docs() != 2 || c.Words() != 3 || c.Tokens() != 6 || c.Pairs() != 3 {
		t.Fatalf("docs %d words %d tokens %d pairs %d", c.Docs(), c.Words(), c.Tokens(), c.Pairs())
	}
	if c.Count("a", "x") != 2 || c.Count("a", "y") != 3 || c.Count("b", "x") != 0 || c.Count("q", "x") != 0 {
		t.Fatal("counts")
	}
	o := NewCorpus()
	o.AddN("a", "x", 10)
	o.Add("c", "w")
	c.Merge(o)
	if c.Count("a", "x") != 12 || c.Count("c", "w") != 1 || c.Tokens() != 17 || c.Docs() != 3 {
		t.Fatalf("merge: %d %d %d", c.Count("a", "x"), c.Tokens(), c.Docs())
	}
	c.AddN("a", "x", math.MaxInt)
	c.AddN("a", "x", math.MaxInt)
	if c.Count("a", "x") != math.MaxInt64 || c.Tokens() != math.MaxInt64 {
		t.Fatal("counts must saturate")
	}
}

func TestDeterminism(t *testing.T) {
	c := planted(3, 20, 30, 50, 1, 1)
	// Pairs added in another order make the same corpus, hence the same model.
	c2 := NewCorpus()
	for _, g := range []int{2, 0, 1} {
		for i := 19; i >= 0; i-- {
			doc := fmt.Sprintf("10.%d.0.%d", g, i)
			for w := range 30 {
				word := fmt.Sprintf("g%d_w%d", g, w)
				if n := c.Count(doc, word); n > 0 {
					c2.AddN(doc, word, int(n))
				}
			}
		}
	}
	for _, workers := range []int{1, 2, 3} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			cfg := Config{Topics: 5, Iterations: 10, Seed: 42, Workers: workers}
			a, b, b2 := fit(t, c, cfg), fit(t, c, cfg), fit(t, c2, cfg)
			cfg.Seed = 43
			other := fit(t, c, cfg)
			if a.Workers != workers {
				t.Fatalf("workers used %d", a.Workers)
			}
			for _, m := range []*Model{b, b2} {
				if !slices.Equal(a.theta, m.theta) || !slices.Equal(a.phi, m.phi) || !slices.Equal(a.ndk, m.ndk) {
					t.Fatal("same seed, different model")
				}
			}
			if slices.Equal(a.ndk, other.ndk) {
				t.Fatal("different seed, same model")
			}
		})
	}
}

func TestPlantedTopics(t *testing.T) {
	const groups, docsPer = 3, 30
	for _, tc := range []struct {
		name          string
		cfg           Config
		vocab, tokens int
		scale         int
	}{
		{"K=3", Config{Topics: 3, Alpha: 0.1}, 20, 100, 1},
		{"K=3 all blocks", Config{Topics: 3, Alpha: 0.1}, 20, 100, 50},
		{"K=3 blocks from 2", Config{Topics: 3, Alpha: 0.1, blockMin: 2}, 20, 100, 1},
		{"K=3 Spot alpha", Config{Topics: 3}, 20, 1000, 1},
		{"Spot defaults K=20", Config{}, 50, 1000, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := planted(groups, docsPer, tc.vocab, tc.tokens, tc.scale, 7)
			cfg := tc.cfg
			// Gibbs sampling can settle in a local mode (two groups sharing
			// a topic) for some seeds, exact or block-sampled alike (about 1
			// seed in 12 here); the seed is fixed, so the test is reproducible.
			cfg.Seed, cfg.Workers = 2, 2
			m := fit(t, c, cfg)

			if m.Topics == 3 {
				dom := make([]int, groups)
				for g := range groups {
					for i := range docsPer {
						th, ok := m.DocTopics(fmt.Sprintf("10.%d.0.%d", g, i))
						if !ok {
							t.Fatal("known doc not found")
						}
						k := argmax(th)
						if i == 0 {
							dom[g] = k
						} else if k != dom[g] {
							t.Fatalf("group %d: doc %d dominant topic %d, doc 0 %d", g, i, k, dom[g])
						}
						if th[k] < 0.9 {
							t.Errorf("group %d doc %d: θ = %.2f, want concentrated", g, i, th[k])
						}
					}
				}
				if dom[0] == dom[1] || dom[1] == dom[2] || dom[0] == dom[2] {
					t.Fatalf("groups share a dominant topic: %v", dom)
				}
			}

			// Every event (token) of the corpus, scored as Spot ranks them.
			type ev struct {
				score float64
				n     int64
			}
			var evs []ev
			var total int64
			for g := range groups {
				for i := range docsPer {
					for w := range tc.vocab {
						doc, word := fmt.Sprintf("10.%d.0.%d", g, i), fmt.Sprintf("g%d_w%d", g, w)
						if n := c.Count(doc, word); n > 0 {
							evs = append(evs, ev{m.Score(doc, word), n})
							total += n
						}
					}
				}
			}
			slices.SortFunc(evs, func(a, b ev) int { return cmp.Compare(a.score, b.score) })
			quantile := func(q float64) float64 {
				var acc int64
				for _, e := range evs {
					if acc += e.n; float64(acc) >= q*float64(total) {
						return e.score
					}
				}
				return evs[len(evs)-1].score
			}
			p1, median := quantile(0.01), quantile(0.5)
			// Held-out anomalies: a document using another group's most
			// common (or, with Spot's heavier α smoothing, a mid-frequency)
			// word, or its rarest.
			common := "w0"
			if m.Topics > 3 {
				common = "w5"
			}
			last := fmt.Sprint("w", tc.vocab-1)
			for _, a := range [][2]string{{"10.0.0.5", "g1_" + common}, {"10.0.0.5", "g1_" + last}, {"10.2.0.17", "g0_" + common}} {
				s := m.Score(a[0], a[1])
				if !(s < p1) {
					t.Errorf("anomaly %v scores %.3g, not below the 1st percentile %.3g of events", a, s, p1)
				}
				if !(s*10 < median) {
					t.Errorf("anomaly %v scores %.3g, not far below the median %.3g", a, s, median)
				}
				t.Logf("anomaly %v %.3g", a, s)
			}
			t.Logf("events: p1 %.3g, median %.3g; loglik %.3f", p1, median, m.LogLik)
		})
	}
}

func TestScoresAreProbabilities(t *testing.T) {
	c := planted(3, 10, 15, 40, 1, 2)
	c.AddN("10.0.0.1", "g0_w0", 1000) // a heavy pair
	m := fit(t, c, Config{Topics: 7, Iterations: 5, Seed: 1})
	s := m.Scorer()
	docs := append(slices.Clone(m.docNames), "unseen-doc")
	for _, doc := range docs {
		d, _ := s.DocID(doc)
		var sum float64
		for w := range m.Words {
			x := s.ScoreIDs(d, int32(w))
			if !(x > 0 && x <= 1) {
				t.Fatalf("score(%s, %s) = %v", doc, m.wordNames[w], x)
			}
			sum += x
		}
		// Σ_w Σ_k θ_dk φ_kw = 1 over the vocabulary (up to the unseen-word mass).
		if math.Abs(sum-1) > 1e-3 {
			t.Fatalf("doc %s: Σ_w score = %v, want 1", doc, sum)
		}
	}
	if x := m.Score("nope", "nope"); !(x > 0 && x <= 1) {
		t.Fatalf("unseen pair: %v", x)
	}
}

func TestUnseen(t *testing.T) {
	c := planted(2, 5, 10, 30, 1, 3)
	m := fit(t, c, Config{Topics: 4, Iterations: 5, Seed: 1})
	s := m.Scorer()
	if _, ok := s.DocID("nope"); ok {
		t.Fatal("unknown doc found")
	}
	if id, ok := s.WordID("nope"); ok || id != -1 {
		t.Fatal("unknown word found")
	}
	word := "g0_w1"
	w, ok := s.WordID(word)
	if !ok {
		t.Fatal("known word missing")
	}
	// Unseen document: θ is the prior mean (1/K each).
	var want float64
	for k := range m.Topics {
		want += float64(m.phi[int(w)*m.Topics+k]) / float64(m.Topics)
	}
	if got := m.Score("nope", word); math.Abs(got-want) > 1e-12 {
		t.Fatalf("unseen doc: %v, want %v", got, want)
	}
	// Unseen word: φ_kw = β/(n_k+Vβ).
	doc := "10.1.0.2"
	th, _ := m.DocTopics(doc)
	nk := make([]float64, m.Topics)
	for i, x := range m.nkw {
		nk[i%m.Topics] += float64(x)
	}
	want = 0
	for k := range m.Topics {
		want += th[k] * m.Beta / (nk[k] + float64(m.Words)*m.Beta)
	}
	if got := m.Score(doc, "nope"); math.Abs(got-want)/want > 1e-6 {
		t.Fatalf("unseen word: %v, want %v", got, want)
	}
	if known := m.Score(doc, "g1_w0"); !(m.Score(doc, "nope") < known) {
		t.Fatal("unseen word should score below a seen one")
	}
	// Out-of-range ids never panic and mean unseen.
	d, _ := s.DocID(doc)
	for _, id := range []int32{-1, -100, int32(m.Words), math.MaxInt32} {
		if s.ScoreIDs(d, id) != m.Score(doc, "nope") {
			t.Fatalf("word id %d", id)
		}
		if s.ScoreIDs(id, w) != m.Score("nope", word) {
			t.Fatalf("doc id %d", id)
		}
	}
	if th, ok := m.DocTopics("nope"); ok || math.Abs(th[0]-0.25) > 1e-7 {
		t.Fatalf("unseen θ %v", th)
	}
	if top := m.TopWords(0, 3); len(top) != 3 || top[0].P < top[2].P {
		t.Fatalf("TopWords %v", top)
	}
	if m.TopWords(-1, 3) != nil || m.TopWords(m.Topics, 3) != nil {
		t.Fatal("TopWords out of range")
	}
}

func TestDegenerate(t *testing.T) {
	ctx := context.Background()
	if _, err := Fit(ctx, NewCorpus(), Config{}); !errors.Is(err, ErrEmptyCorpus) {
		t.Fatalf("empty: %v", err)
	}
	if _, err := Fit(ctx, nil, Config{}); !errors.Is(err, ErrEmptyCorpus) {
		t.Fatalf("nil: %v", err)
	}
	zero := NewCorpus()
	zero.AddN("a", "b", 0)
	if _, err := Fit(ctx, zero, Config{}); !errors.Is(err, ErrEmptyCorpus) {
		t.Fatalf("zero counts: %v", err)
	}
	one := NewCorpus()
	one.Add("a", "b")
	for _, cfg := range []Config{
		{Topics: -1}, {Topics: MaxTopics + 1}, {Iterations: -1},
		{Alpha: -1}, {Alpha: math.NaN()}, {Alpha: math.Inf(1)}, {Beta: -0.1}, {Beta: math.NaN()},
	} {
		if _, err := Fit(ctx, one, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}

	huge := NewCorpus()
	huge.AddN("a", "x", 1<<40)
	huge.AddN("a", "y", 1)
	huge.AddN("b", "y", math.MaxInt)
	huge.AddN("b", "x", 5)

	singleDoc := NewCorpus()
	for i := range 20 {
		singleDoc.AddN("only", fmt.Sprint("w", i), i+1)
	}
	singleWord := NewCorpus()
	for i := range 20 {
		singleWord.AddN(fmt.Sprint("d", i), "only", i+1)
	}
	for _, tc := range []struct {
		name string
		c    *Corpus
		cfg  Config
	}{
		{"one token", one, Config{}},
		{"one token one topic", one, Config{Topics: 1}},
		{"one token many workers", one, Config{Workers: 64}},
		{"single doc", singleDoc, Config{Topics: 5}},
		{"single word", singleWord, Config{Topics: 5, Workers: 3}},
		{"topics > words", singleWord, Config{Topics: 200}},
		{"huge counts", huge, Config{Topics: 4, Workers: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := fit(t, tc.c, tc.cfg)
			if m.Docs != tc.c.Docs() || m.Words != tc.c.Words() || m.Tokens != tc.c.Tokens() {
				t.Fatalf("sizes %d %d %d", m.Docs, m.Words, m.Tokens)
			}
			if math.IsNaN(m.LogLik) || m.LogLik > 0 {
				t.Fatalf("loglik %v", m.LogLik)
			}
			for _, doc := range append(slices.Clone(m.docNames), "?") {
				for _, word := range append(slices.Clone(m.wordNames), "?") {
					if x := m.Score(doc, word); !(x > 0 && x <= 1) {
						t.Fatalf("score(%s, %s) = %v", doc, word, x)
					}
				}
			}
			var buf bytes.Buffer
			if _, err := m.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			if _, err := Read(&buf); err != nil {
				t.Fatal(err)
			}
		})
	}
	m := fit(t, huge, Config{Topics: 4})
	if m.Scale < 2 {
		t.Fatalf("huge corpus not scaled: %d", m.Scale)
	}
	// The dominant pair stays the probable one.
	if !(m.Score("b", "y") > 0.9 && m.Score("b", "x") < 0.01) {
		t.Fatalf("b/y %v b/x %v", m.Score("b", "y"), m.Score("b", "x"))
	}
}

func TestCancel(t *testing.T) {
	c := planted(4, 200, 50, 100, 1, 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Fit(ctx, c, Config{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("pre-cancelled: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Fit(ctx, c, Config{Iterations: 1 << 30, Workers: 2})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("Fit took %v to stop", el)
	}
}

func TestLogLikImproves(t *testing.T) {
	c := planted(3, 30, 20, 60, 1, 9)
	short := fit(t, c, Config{Topics: 3, Iterations: 1, Seed: 1})
	long := fit(t, c, Config{Topics: 3, Iterations: 30, Seed: 1})
	if !(long.LogLik > short.LogLik) {
		t.Fatalf("loglik after 30 sweeps %v, after 1 %v", long.LogLik, short.LogLik)
	}
}

func TestBinomial(t *testing.T) {
	r := newRNG(1, 0)
	for _, tc := range []struct {
		n int64
		p float64
	}{{10, 0.3}, {1000, 0.01}, {1000, 0.5}, {1 << 30, 1e-3}, {100, 0.97}, {5, 0}, {5, 1}} {
		const trials = 20000
		var sum, sq float64
		for range trials {
			x := r.binomial(tc.n, tc.p)
			if x < 0 || x > tc.n {
				t.Fatalf("Binomial(%d, %v) = %d", tc.n, tc.p, x)
			}
			sum += float64(x)
			sq += float64(x) * float64(x)
		}
		mean := sum / trials
		want := float64(tc.n) * tc.p
		sd := math.Sqrt(float64(tc.n) * tc.p * (1 - tc.p))
		if math.Abs(mean-want) > 5*sd/math.Sqrt(trials)+1e-9 {
			t.Errorf("Binomial(%d, %v): mean %v, want %v", tc.n, tc.p, mean, want)
		}
		if v := sq/trials - mean*mean; sd > 0 && math.Abs(math.Sqrt(v)-sd) > 0.05*sd {
			t.Errorf("Binomial(%d, %v): sd %v, want %v", tc.n, tc.p, math.Sqrt(v), sd)
		}
	}
	out := make([]int32, 4)
	r.multinomial(1000, []float64{1, 0, 3, 0}, make([]float64, 4), out)
	if out[1] != 0 || out[3] != 0 || out[0]+out[2] != 1000 {
		t.Fatalf("multinomial %v", out)
	}
}

func TestWorkersAgree(t *testing.T) {
	c := planted(3, 40, 20, 100, 1, 11)
	var ll []float64
	for _, w := range []int{1, 2, 4, 7} {
		m := fit(t, c, Config{Topics: 3, Alpha: 0.1, Seed: 2, Workers: w})
		if m.Workers != w {
			t.Fatalf("workers %d used %d", w, m.Workers)
		}
		ll = append(ll, m.LogLik)
	}
	for i, x := range ll {
		if math.Abs(x-ll[0]) > 0.02*math.Abs(ll[0]) {
			t.Fatalf("loglik by workers %v: %d differs", ll, i)
		}
	}
}

func TestConcurrentScore(t *testing.T) {
	c := planted(3, 10, 15, 40, 1, 2)
	m := fit(t, c, Config{Topics: 5, Iterations: 3})
	want := m.Score("10.1.0.1", "g1_w1")
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 1000 {
				if got := m.Score("10.1.0.1", "g1_w1"); got != want {
					errs <- fmt.Errorf("score %v, want %v", got, want)
					return
				}
				m.Scorer().ScoreIDs(-1, -1)
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
