package lda

import "math"

// rng is splitmix64: tiny, fast, inlinable and good enough for Gibbs
// sampling. Each worker owns one, seeded from (Seed, worker index).
type rng struct{ s uint64 }

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func newRNG(seed int64, stream int) rng {
	return rng{s: mix64(uint64(seed)) ^ mix64(uint64(stream)+0x632be59bd9b4e019)}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// float64 returns a uniform number in [0, 1).
func (r *rng) float64() float64 { return float64(r.next()>>11) * (1.0 / (1 << 53)) }

// intn returns a uniform number in [0, n) for 0 < n < 2^32 (Lemire's
// multiply-shift; the bias is below 2^-32 for the n used here).
func (r *rng) intn(n int) int { return int((r.next() >> 32) * uint64(n) >> 32) }

// norm returns a standard normal deviate (Box-Muller).
func (r *rng) norm() float64 {
	u := 1 - r.float64() // (0, 1]
	v := r.float64()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
}

// binomial draws from Binomial(n, p): exact inversion when the mean of the
// smaller tail is small, a continuity-corrected normal approximation
// otherwise (variance >= 15 there, where it is accurate to well under a
// token in expectation).
func (r *rng) binomial(n int64, p float64) int64 {
	if n <= 0 || !(p > 0) {
		return 0
	}
	if p >= 1 {
		return n
	}
	flip := p > 0.5
	if flip {
		p = 1 - p
	}
	var x int64
	if mean := float64(n) * p; mean < 30 {
		q := 1 - p
		s := p / q
		a := float64(n+1) * s
		f := math.Pow(q, float64(n))
		u := r.float64()
		for u > f && x < n {
			u -= f
			x++
			f *= a/float64(x) - s
		}
	} else {
		x = int64(math.Floor(mean + math.Sqrt(mean*(1-p))*r.norm() + 0.5))
		x = min(max(x, 0), n)
	}
	if flip {
		x = n - x
	}
	return x
}

// multinomial distributes n draws over the categories with unnormalised
// weights p (suffix is scratch of len(p)), writing the counts to out.
func (r *rng) multinomial(n int64, p, suffix []float64, out []int32) {
	K := len(p)
	var s float64
	for k := K - 1; k >= 0; k-- {
		s += p[k]
		suffix[k] = s
	}
	rem := n
	for k := 0; k < K-1; k++ {
		if rem == 0 {
			out[k] = 0
			continue
		}
		x := rem
		if suffix[k] > 0 {
			x = r.binomial(rem, p[k]/suffix[k])
		}
		out[k] = int32(x)
		rem -= x
	}
	out[K-1] = int32(rem)
}
