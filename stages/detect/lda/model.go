package lda

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"
)

// Model is a fitted LDA model: the final Gibbs sample's counts and the θ and
// φ derived from them. It is read-only after Fit or Read and safe for
// concurrent use.
type Model struct {
	Version     string        // engine that fitted it (EngineVersion)
	Topics      int           // K
	Alpha, Beta float64       // priors
	Trained     time.Time     // when Fit finished (UTC)
	Docs, Words int           // distinct documents and words
	Tokens      int64         // corpus tokens (before any scaling)
	Iterations  int           // Gibbs sweeps
	Seed        int64         // Config.Seed
	Workers     int           // AD-LDA workers actually used
	Scale       int64         // counts were divided by Scale (rounded up) before fitting; 1 normally
	LogLik      float64       // mean per-token log-likelihood of the fitted counts
	FitDuration time.Duration // wall time of Fit

	docNames, wordNames []string // sorted; a name's index is its id
	ndk                 []int32  // Docs×Topics
	nkw                 []int32  // Words×Topics (word-major)

	// Derived. theta has Docs+1 rows (the last, 1/K each, for unseen
	// documents); phi is word-major with Words+1 rows (the last, β/(n_k+Vβ),
	// for unseen words).
	theta, phi []float32

	once   sync.Once
	scorer *Scorer
}

// derive computes θ and φ from the counts. Fit and Read share it, so a model
// read back is bit-for-bit the model written.
func (m *Model) derive() {
	K, D, V := m.Topics, m.Docs, m.Words
	alpha, beta := m.Alpha, m.Beta
	m.theta = make([]float32, (D+1)*K)
	for d := range D {
		row := m.ndk[d*K : d*K+K]
		var nd int64
		for _, x := range row {
			nd += int64(x)
		}
		den := float64(nd) + float64(K)*alpha
		th := m.theta[d*K : d*K+K]
		for k, x := range row {
			th[k] = float32((float64(x) + alpha) / den)
		}
	}
	for k := range K {
		m.theta[D*K+k] = float32(1 / float64(K))
	}
	nk := make([]int64, K)
	for w := range V {
		for k, x := range m.nkw[w*K : w*K+K] {
			nk[k] += int64(x)
		}
	}
	inv := make([]float64, K)
	for k := range K {
		inv[k] = 1 / (float64(nk[k]) + float64(V)*beta)
	}
	m.phi = make([]float32, (V+1)*K)
	for w := range V {
		ph := m.phi[w*K : w*K+K]
		for k, x := range m.nkw[w*K : w*K+K] {
			ph[k] = float32((float64(x) + beta) * inv[k])
		}
	}
	for k := range K {
		m.phi[V*K+k] = float32(beta * inv[k])
	}
}

// Scorer returns the model's scorer (built once, on first use).
func (m *Model) Scorer() *Scorer {
	m.once.Do(func() {
		s := &Scorer{
			k: m.Topics, d: int32(m.Docs), v: int32(m.Words),
			theta: m.theta, phi: m.phi,
			docs:  make(map[string]int32, m.Docs),
			words: make(map[string]int32, m.Words),
		}
		for i, n := range m.docNames {
			s.docs[n] = int32(i)
		}
		for i, n := range m.wordNames {
			s.words[n] = int32(i)
		}
		m.scorer = s
	})
	return m.scorer
}

// Score returns Σ_k θ_dk φ_kw, a probability in (0, 1]. An unseen document
// gets the prior mean θ (1/K each); an unseen word gets φ_kw = β/(n_k+Vβ).
func (m *Model) Score(doc, word string) float64 {
	s := m.Scorer()
	d, _ := s.DocID(doc)
	w, _ := s.WordID(word)
	return s.ScoreIDs(d, w)
}

func (m *Model) scoreIDs(d, w int32) float64 {
	return score(m.theta, m.phi, m.Topics, int(d), int(w))
}

// DocTopics returns θ_d (a copy), or the unseen-document θ and false.
func (m *Model) DocTopics(doc string) ([]float64, bool) {
	d, ok := m.Scorer().DocID(doc)
	if !ok {
		d = int32(m.Docs)
	}
	out := make([]float64, m.Topics)
	for k, x := range m.theta[int(d)*m.Topics:][:m.Topics] {
		out[k] = float64(x)
	}
	return out, ok
}

// WordProb is a word and its probability under one topic.
type WordProb struct {
	Word string
	P    float64
}

// TopWords returns topic k's n most probable words (for reports). It
// returns nil for a topic out of range.
func (m *Model) TopWords(k, n int) []WordProb {
	if k < 0 || k >= m.Topics || n <= 0 {
		return nil
	}
	out := make([]WordProb, 0, m.Words)
	for w, name := range m.wordNames {
		out = append(out, WordProb{name, float64(m.phi[w*m.Topics+k])})
	}
	slices.SortStableFunc(out, func(a, b WordProb) int { return cmp.Compare(b.P, a.P) })
	return out[:min(n, len(out))]
}

// Scorer scores (document, word) pairs by integer ids. It is read-only and
// safe for concurrent use. Ids come from DocID and WordID; an unknown name
// gives id -1 and ok false, and ScoreIDs treats any out-of-range id as
// unseen, so looking up once and scoring many times needs no checks.
type Scorer struct {
	k          int
	d, v       int32 // Docs, Words: also the rows of the unseen document/word
	theta, phi []float32
	docs       map[string]int32
	words      map[string]int32
}

// DocID returns the document's id, or -1 and false if the model has not seen it.
func (s *Scorer) DocID(doc string) (int32, bool) {
	if id, ok := s.docs[doc]; ok {
		return id, true
	}
	return -1, false
}

// WordID returns the word's id, or -1 and false if the model has not seen it.
func (s *Scorer) WordID(word string) (int32, bool) {
	if id, ok := s.words[word]; ok {
		return id, true
	}
	return -1, false
}

// Docs returns the number of known documents (valid ids are 0..Docs-1).
func (s *Scorer) Docs() int { return int(s.d) }

// Words returns the number of known words (valid ids are 0..Words-1).
func (s *Scorer) Words() int { return int(s.v) }

// ScoreIDs returns Σ_k θ_dk φ_kw in (0, 1]; out-of-range ids are unseen.
func (s *Scorer) ScoreIDs(d, w int32) float64 {
	if uint32(d) >= uint32(s.d) {
		d = s.d
	}
	if uint32(w) >= uint32(s.v) {
		w = s.v
	}
	return score(s.theta, s.phi, s.k, int(d), int(w))
}

func score(theta, phi []float32, K, d, w int) float64 {
	th := theta[d*K:][:K]
	ph := phi[w*K:][:len(th)]
	var a0, a1, a2, a3 float64
	k := 0
	for ; k+4 <= len(th); k += 4 {
		a0 += float64(th[k]) * float64(ph[k])
		a1 += float64(th[k+1]) * float64(ph[k+1])
		a2 += float64(th[k+2]) * float64(ph[k+2])
		a3 += float64(th[k+3]) * float64(ph[k+3])
	}
	for ; k < len(th); k++ {
		a0 += float64(th[k]) * float64(ph[k])
	}
	x := (a0 + a1) + (a2 + a3)
	// float32 rounding can push a certain pair a hair above 1, and an
	// extreme β could underflow; keep scores probabilities.
	if x > 1 {
		return 1
	}
	if !(x > 0) {
		return math.SmallestNonzeroFloat64
	}
	return x
}
