package lda

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
)

// sampler is the collapsed Gibbs state. Documents and words are numbered in
// name order, so the model does not depend on the order pairs were added in.
type sampler struct {
	K, D, V            int
	alpha, beta, vbeta float64
	blockMin           int32
	iters              int
	scale              int64

	docNames, wordNames []string

	// Triples of document d are docTri[d]:docTri[d+1], sorted by word.
	docTri   []int
	triWord  []int32
	triCount []int32
	// A triple with count < blockMin owns count consecutive entries of
	// topics (its tokens' assignments); docTok[d] is document d's first.
	// A triple with count >= blockMin owns K entries of heavy (its per-topic
	// token counts); docHeavy[d] is document d's first such triple.
	docTok   []int
	docHeavy []int
	topics   []uint16
	heavy    []int32

	ndk []int32 // D×K, document-major
	nkw []int32 // V×K, word-major (global counts)
	nk  []int32 // K

	workers []*worker
}

type worker struct {
	id     int
	d0, d1 int // document block
	r      rng
	nkw    []int32 // AD-LDA copy of the topic-word counts (aliases the global with one worker)
	nk     []int32
	q      []float64 // (n_dk + α)/(n_k + Vβ) for the current document
	p      []float64 // cumulative / block weights
	suf    []float64
	hc     []int32
	touch  int32 // sink for the row prefetch loads
}

func newSampler(c *Corpus, cfg Config) (*sampler, error) {
	D, V, K := len(c.docs), len(c.words), cfg.Topics
	if D*K > maxCells || V*K > maxCells {
		return nil, fmt.Errorf("lda: model too large: %d docs and %d words × %d topics exceeds %d cells", D, V, K, maxCells)
	}
	if len(c.pairs) > maxTokens {
		return nil, fmt.Errorf("lda: corpus too large: %d distinct pairs (at most %d)", len(c.pairs), maxTokens)
	}
	st := &sampler{
		K: K, D: D, V: V,
		alpha: cfg.Alpha, beta: cfg.Beta, vbeta: float64(V) * cfg.Beta,
		blockMin: cfg.blockMin, iters: cfg.Iterations, scale: 1,
	}
	var newDoc, newWord []int32
	st.docNames, newDoc = sortNames(c.docs)
	st.wordNames, newWord = sortNames(c.words)

	// Bucket the pairs by (new) document, then sort each document by word.
	type wc struct {
		w int32
		c int64
	}
	st.docTri = make([]int, D+1)
	for key := range c.pairs {
		st.docTri[newDoc[key>>32]+1]++
	}
	for d := range D {
		st.docTri[d+1] += st.docTri[d]
	}
	fill := slices.Clone(st.docTri[:D])
	buf := make([]wc, len(c.pairs))
	for key, n := range c.pairs {
		d := newDoc[key>>32]
		buf[fill[d]] = wc{newWord[uint32(key)], n}
		fill[d]++
	}
	fill = nil
	for d := range D {
		slices.SortFunc(buf[st.docTri[d]:st.docTri[d+1]], func(a, b wc) int { return cmp.Compare(a.w, b.w) })
	}

	// Scale huge corpora down to maxTokens (every count divided by a common
	// factor, rounded up so that no pair disappears).
	if c.tokens > maxTokens {
		st.scale = c.tokens/maxTokens + 1
		for {
			var sum int64
			for _, x := range buf {
				sum += (x.c-1)/st.scale + 1
			}
			if sum <= maxTokens {
				break
			}
			st.scale *= 2
		}
	}

	st.triWord = make([]int32, len(buf))
	st.triCount = make([]int32, len(buf))
	st.docTok = make([]int, D+1)
	st.docHeavy = make([]int, D+1)
	var light, heavy int
	for d := range D {
		st.docTok[d], st.docHeavy[d] = light, heavy
		for t := st.docTri[d]; t < st.docTri[d+1]; t++ {
			n := int32((buf[t].c-1)/st.scale + 1)
			st.triWord[t], st.triCount[t] = buf[t].w, n
			if n >= st.blockMin {
				heavy++
			} else {
				light += int(n)
			}
		}
	}
	st.docTok[D], st.docHeavy[D] = light, heavy
	buf = nil
	st.topics = make([]uint16, light)
	st.heavy = make([]int32, heavy*K)
	st.ndk = make([]int32, D*K)
	st.nkw = make([]int32, V*K)
	st.nk = make([]int32, K)

	// One contiguous document block per worker, balanced by sampling work.
	W := min(cfg.Workers, D)
	cost := func(d int) float64 {
		return float64(st.docTok[d+1]-st.docTok[d]) + float64(K/2+4)*float64(st.docHeavy[d+1]-st.docHeavy[d]) + 1
	}
	var total float64
	for d := range D {
		total += cost(d)
	}
	d0, acc := 0, 0.0
	for i := range W {
		d1 := D
		if i < W-1 {
			target := total * float64(i+1) / float64(W)
			d1 = d0
			for d1 < D-(W-1-i) && (d1 == d0 || acc+cost(d1) <= target) {
				acc += cost(d1)
				d1++
			}
		}
		w := &worker{
			id: i, d0: d0, d1: d1,
			r: newRNG(cfg.Seed, i),
			q: make([]float64, K),
			p: make([]float64, K), suf: make([]float64, K),
			hc: make([]int32, K),
		}
		if W == 1 {
			w.nkw, w.nk = st.nkw, st.nk
		} else {
			w.nkw, w.nk = make([]int32, V*K), make([]int32, K)
		}
		st.workers = append(st.workers, w)
		d0 = d1
	}
	return st, nil
}

// sortNames returns the names in order and, for each original id, its rank.
func sortNames(names []string) (sorted []string, rank []int32) {
	order := make([]int32, len(names))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(names[a], names[b]) })
	sorted = make([]string, len(names))
	rank = make([]int32, len(names))
	for r, old := range order {
		sorted[r] = names[old]
		rank[old] = int32(r)
	}
	return sorted, rank
}

// run initialises the assignments and performs the Gibbs sweeps.
func (st *sampler) run(ctx context.Context) error {
	done := ctx.Done()
	st.parallel(func(w *worker) bool { w.init(st); return true })
	st.merge()
	for range st.iters {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("lda: fit cancelled: %w", err)
		}
		if !st.parallel(func(w *worker) bool { return w.sweep(st, done) }) {
			return fmt.Errorf("lda: fit cancelled: %w", ctx.Err())
		}
		st.merge()
	}
	return nil
}

// parallel runs f on every worker at once; it reports whether all returned true.
func (st *sampler) parallel(f func(*worker) bool) bool {
	if len(st.workers) == 1 {
		return f(st.workers[0])
	}
	var wg sync.WaitGroup
	ok := make([]bool, len(st.workers))
	for i, w := range st.workers {
		wg.Go(func() { ok[i] = f(w) })
	}
	wg.Wait()
	return !slices.Contains(ok, false)
}

// merge folds the workers' topic-word deltas into the global counts:
// global += Σ_w (local_w - global). With one worker the counts are shared.
func (st *sampler) merge() {
	W := len(st.workers)
	if W == 1 {
		return
	}
	n := len(st.nkw)
	var wg sync.WaitGroup
	for i := range W {
		lo, hi := n*i/W, n*(i+1)/W
		wg.Go(func() {
			for j := lo; j < hi; j++ {
				g := int64(st.nkw[j])
				s := g
				for _, w := range st.workers {
					s += int64(w.nkw[j]) - g
				}
				st.nkw[j] = int32(s)
			}
		})
	}
	wg.Wait()
	for k := range st.nk {
		g := int64(st.nk[k])
		s := g
		for _, w := range st.workers {
			s += int64(w.nk[k]) - g
		}
		st.nk[k] = int32(s)
	}
}

// init assigns random topics to the worker's tokens and counts them (into
// its zeroed local topic-word counts; merge then sums the workers').
func (w *worker) init(st *sampler) {
	K := st.K
	ones := w.p
	for k := range ones {
		ones[k] = 1
	}
	pos, hpos := st.docTok[w.d0], st.docHeavy[w.d0]
	for d := w.d0; d < w.d1; d++ {
		ndk := st.ndk[d*K : d*K+K]
		for t := st.docTri[d]; t < st.docTri[d+1]; t++ {
			row := w.nkw[int(st.triWord[t])*K:][:K]
			cnt := st.triCount[t]
			if cnt >= st.blockMin {
				hc := st.heavy[hpos*K:][:K]
				w.r.multinomial(int64(cnt), ones, w.suf, hc)
				for k, x := range hc {
					ndk[k] += x
					row[k] += x
					w.nk[k] += x
				}
				hpos++
				continue
			}
			for range cnt {
				z := w.r.intn(K)
				st.topics[pos] = uint16(z)
				pos++
				ndk[z]++
				row[z]++
				w.nk[z]++
			}
		}
	}
}

// sweep resamples every token of the worker's documents once. It returns
// false if done was closed.
func (w *worker) sweep(st *sampler, done <-chan struct{}) bool {
	K := st.K
	if len(st.workers) > 1 {
		copy(w.nkw, st.nkw)
		copy(w.nk, st.nk)
	}
	alpha, beta, vbeta, blockMin := st.alpha, st.beta, st.vbeta, st.blockMin
	nkw, topics, triWord := w.nkw, st.topics, st.triWord
	p, q := w.p[:K], w.q[:K]
	nk := w.nk[:len(p)]
	last := len(p) - 1
	pos, hpos := st.docTok[w.d0], st.docHeavy[w.d0]
	work := 0
	var touch int32
	for d := w.d0; d < w.d1; d++ {
		if work > 1<<16 {
			work = 0
			select {
			case <-done:
				return false
			default:
			}
		}
		ndk := st.ndk[d*K:][:len(p)]
		for k := range q {
			q[k] = (float64(ndk[k]) + alpha) / (float64(nk[k]) + vbeta)
		}
		for t := st.docTri[d]; t < st.docTri[d+1]; t++ {
			// Load the next triple's word row now, so that its likely cache
			// miss overlaps this triple's sampling.
			if t+1 < len(triWord) {
				touch += nkw[int(triWord[t+1])*K]
			}
			row := nkw[int(triWord[t])*K:][:len(p)]
			cnt := st.triCount[t]
			if cnt >= blockMin {
				w.block(st, st.heavy[hpos*K:][:len(p)], ndk, row, cnt)
				hpos++
				work += K
				continue
			}
			work += int(cnt)
			for range cnt {
				// Take the token out of topic z: only row[z] and q[z] enter
				// the conditional; the rest is committed only if it moves.
				z := int(topics[pos])
				qz := q[z]
				row[z]--
				q[z] = (float64(ndk[z]-1) + alpha) / (float64(nk[z]-1) + vbeta)
				var cum float64
				for k := range p {
					cum += q[k] * (float64(row[k]) + beta)
					p[k] = cum
				}
				u := w.r.float64() * cum
				k := 0
				for k < last && p[k] <= u {
					k++
				}
				if k == z {
					row[z]++
					q[z] = qz
				} else {
					ndk[z]--
					nk[z]--
					ndk[k]++
					row[k]++
					nk[k]++
					q[k] = (float64(ndk[k]) + alpha) / (float64(nk[k]) + vbeta)
					topics[pos] = uint16(k)
				}
				pos++
			}
		}
	}
	w.touch = touch
	return true
}

// block resamples the cnt tokens of one heavy triple together: each token's
// conditional is taken with one token's worth (hc/cnt) of the triple's own
// assignments removed, and the new split is drawn from the multinomial.
func (w *worker) block(st *sampler, hc, ndk, row []int32, cnt int32) {
	alpha, beta, vbeta := st.alpha, st.beta, st.vbeta
	p := w.p[:len(hc)]
	nk := w.nk[:len(hc)]
	ndk, row = ndk[:len(hc)], row[:len(hc)]
	c := float64(cnt)
	for k := range p {
		h := float64(hc[k]) / c
		p[k] = (float64(ndk[k]) - h + alpha) * (float64(row[k]) - h + beta) / (float64(nk[k]) - h + vbeta)
	}
	nc := w.hc[:len(hc)]
	w.r.multinomial(int64(cnt), p, w.suf, nc)
	q := w.q[:len(hc)]
	for k, x := range nc {
		if dlt := x - hc[k]; dlt != 0 {
			ndk[k] += dlt
			row[k] += dlt
			nk[k] += dlt
			hc[k] = x
			q[k] = (float64(ndk[k]) + alpha) / (float64(nk[k]) + vbeta)
		}
	}
}

// logLik is the mean per-token log-likelihood of the (scaled) training
// counts under the model.
func (st *sampler) logLik(m *Model) float64 {
	sums := make([]float64, len(st.workers))
	st.parallel(func(w *worker) bool {
		var s float64
		for d := w.d0; d < w.d1; d++ {
			for t := st.docTri[d]; t < st.docTri[d+1]; t++ {
				s += float64(st.triCount[t]) * math.Log(m.scoreIDs(int32(d), st.triWord[t]))
			}
		}
		sums[w.id] = s
		return true
	})
	var s, n float64
	for _, x := range sums {
		s += x
	}
	for _, c := range st.nk {
		n += float64(c)
	}
	return s / n
}
