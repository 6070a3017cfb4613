// Package lda fits latent Dirichlet allocation to a corpus of (document,
// word) token counts and scores pairs by how probable the model finds them:
//
//	score(d, w) = Σ_k θ_dk · φ_kw
//	θ_dk = (n_dk + α) / (n_d + Kα)      φ_kw = (n_kw + β) / (n_k + Vβ)
//
// This is Apache Spot's "suspicious connects" model: documents are principals
// (IP addresses, user names), words are discretised event descriptions, and
// the lowest-scoring events are the suspicious ones.
//
// Fitting is collapsed Gibbs sampling, parallelised with AD-LDA (documents
// are split into one contiguous block per worker; each worker samples its
// block against its own copy of the topic-word counts, and the copies'
// deltas are summed after every iteration). Work is on (doc, word, count)
// triples: a triple with a small count is expanded into tokens, one with a
// large count keeps a per-topic count vector that is resampled as a block
// from a multinomial, so the cost does not grow with repeated events. For a
// fixed corpus, Config and Workers the model is bit-for-bit reproducible.
package lda

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"
)

// Defaults applied to zero Config fields.
const (
	DefaultTopics     = 20
	DefaultIterations = 20
	DefaultBeta       = 0.01
	// MaxTopics is the largest supported topic count (topics are uint16).
	MaxTopics = math.MaxUint16
	// EngineVersion is stored in every model as Model.Version.
	EngineVersion = "spotlake-lda/1 cgs-adlda"
)

const (
	// defaultBlockMin: triples with at least this many tokens are sampled as
	// a block (multinomial) instead of token by token.
	defaultBlockMin = 32
	// maxTokens bounds the number of tokens fitted; larger corpora have every
	// count divided by a common factor (rounded up), recorded in Model.Scale.
	maxTokens = 1 << 30
	// maxCells bounds docs×topics and words×topics (int32 cells each).
	maxCells = 1 << 31
)

// Errors returned by Fit and Read.
var (
	ErrEmptyCorpus        = errors.New("lda: empty corpus (no tokens)")
	ErrUnsupportedVersion = errors.New("lda: unsupported model format version")
	ErrNotModel           = errors.New("lda: not a spotlake LDA model")
	ErrCorrupt            = errors.New("lda: corrupt model")
)

// Config sets the model's size and the sampler. Zero fields take defaults.
type Config struct {
	Topics     int     // K; default 20
	Iterations int     // Gibbs sweeps; default 20
	Alpha      float64 // document-topic prior; default 50/Topics (Griffiths & Steyvers, Spot)
	Beta       float64 // topic-word prior; default 0.01
	Seed       int64   // same corpus + Config + Workers => same model
	Workers    int     // parallel samplers; default runtime.GOMAXPROCS(0); capped at the document count

	blockMin int32 // tests: block-sampling threshold; 0 => defaultBlockMin
}

func (c Config) withDefaults() (Config, error) {
	if c.Topics == 0 {
		c.Topics = DefaultTopics
	}
	if c.Topics < 0 || c.Topics > MaxTopics {
		return c, fmt.Errorf("lda: Topics = %d, want 1..%d", c.Topics, MaxTopics)
	}
	if c.Iterations == 0 {
		c.Iterations = DefaultIterations
	}
	if c.Iterations < 0 {
		return c, fmt.Errorf("lda: Iterations = %d, want > 0", c.Iterations)
	}
	if c.Alpha == 0 {
		c.Alpha = 50 / float64(c.Topics)
	}
	if !(c.Alpha > 0) || math.IsInf(c.Alpha, 0) {
		return c, fmt.Errorf("lda: Alpha = %v, want a finite value > 0", c.Alpha)
	}
	if c.Beta == 0 {
		c.Beta = DefaultBeta
	}
	if !(c.Beta > 0) || math.IsInf(c.Beta, 0) {
		return c, fmt.Errorf("lda: Beta = %v, want a finite value > 0", c.Beta)
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.blockMin <= 0 {
		c.blockMin = defaultBlockMin
	}
	return c, nil
}

// Fit fits a model to the corpus. It returns ErrEmptyCorpus for a corpus
// without tokens and ctx.Err() (wrapped) when ctx is cancelled.
func Fit(ctx context.Context, c *Corpus, cfg Config) (*Model, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if c == nil || c.tokens == 0 {
		return nil, ErrEmptyCorpus
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lda: fit cancelled: %w", err)
	}
	start := time.Now()
	st, err := newSampler(c, cfg)
	if err != nil {
		return nil, err
	}
	if err := st.run(ctx); err != nil {
		return nil, err
	}
	m := &Model{
		Version:    EngineVersion,
		Topics:     st.K,
		Alpha:      cfg.Alpha,
		Beta:       cfg.Beta,
		Trained:    time.Now().UTC().Round(0),
		Docs:       st.D,
		Words:      st.V,
		Tokens:     c.tokens,
		Iterations: cfg.Iterations,
		Seed:       cfg.Seed,
		Workers:    len(st.workers),
		Scale:      st.scale,
		docNames:   st.docNames,
		wordNames:  st.wordNames,
		ndk:        st.ndk,
		nkw:        st.nkw,
	}
	m.derive()
	m.LogLik = st.logLik(m)
	m.FitDuration = time.Since(start)
	return m, nil
}
