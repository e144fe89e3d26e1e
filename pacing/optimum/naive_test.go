package optimum

import "math"

// A naive restatement of the model, for differential tests on small twins:
// the chain uniformised at one rate, plain relative value iteration over
// every action c' ≥ c, plain power iteration for stationary laws, and the
// constrained optimum as the minimum over λ of the Lagrangian dual by golden
// section. Slow, short and independent of the solver's tricks (and of its
// scaling of the multiplier, which the minimum does not depend on).

type naive struct {
	n, l    int
	p, r, h float64
	cap     float64
	rate    float64 // uniformisation rate
}

func newNaive(n, l int, p, r, h, cap float64) *naive {
	return &naive{n: n, l: l, p: p, r: r, h: h, cap: cap, rate: (float64(l)/r + float64(n)/h) * 1.05}
}

func (nv *naive) idx(b, c int) int { return b*(nv.l+1) + c }

// next lists the events of post-decision state (b, c): the pre-decision state
// each leads to and its rate.
func (nv *naive) next(b, c int, f func(b2, c2 int, rate float64)) {
	if c > 0 {
		cr := float64(c) / nv.r
		f(b, c-1, (1-nv.p)*cr) // not live
		if b < nv.n {
			f(b+1, c-1, nv.p*cr) // live, connected
		} else {
			f(b, c-1, nv.p*cr) // live, abandoned
		}
	}
	if b > 0 {
		f(b-1, c, float64(b)/nv.h) // talk ends
	}
}

// gain returns the optimal long-run average of
// b/n − lam·(abandon rate − cap·live rate), by relative value iteration.
func (nv *naive) gain(lam float64) float64 {
	s := (nv.n + 1) * (nv.l + 1)
	w := make([]float64, s)
	v := make([]float64, s)
	wn := make([]float64, s)
	for range 2_000_000 {
		for b := 0; b <= nv.n; b++ {
			best := math.Inf(-1)
			for c := nv.l; c >= 0; c-- {
				best = max(best, w[nv.idx(b, c)])
				v[nv.idx(b, c)] = best
			}
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for b := 0; b <= nv.n; b++ {
			for c := 0; c <= nv.l; c++ {
				live := nv.p * float64(c) / nv.r
				ab := 0.0
				if b == nv.n {
					ab = live
				}
				x := float64(b)/float64(nv.n) - lam*(ab-nv.cap*live)
				out := 0.0
				nv.next(b, c, func(b2, c2 int, rate float64) {
					x += rate * v[nv.idx(b2, c2)]
					out += rate
				})
				x += (nv.rate - out) * v[nv.idx(b, c)]
				i := nv.idx(b, c)
				wn[i] = x / nv.rate
				d := wn[i] - w[i]
				lo, hi = min(lo, d), max(hi, d)
			}
		}
		ref := wn[0]
		for i := range w {
			w[i] = wn[i] - ref
		}
		if (hi-lo)*nv.rate < 1e-11 {
			return (lo + hi) / 2 * nv.rate
		}
	}
	panic("naive: value iteration did not converge")
}

// optimum is the constrained optimum: the minimum over λ ≥ 0 of the dual.
func (nv *naive) optimum() float64 {
	a, b := 0.0, 1024.0
	phi := (math.Sqrt(5) - 1) / 2
	x1, x2 := b-phi*(b-a), a+phi*(b-a)
	f1, f2 := nv.gain(x1), nv.gain(x2)
	for b-a > 1e-9 {
		if f1 <= f2 {
			b, x2, f2 = x2, x1, f1
			x1 = b - phi*(b-a)
			f1 = nv.gain(x1)
		} else {
			a, x1, f1 = x1, x2, f2
			x2 = a + phi*(b-a)
			f2 = nv.gain(x2)
		}
	}
	return min(f1, f2, nv.gain(0))
}

// evaluate returns the occupancy and abandon rate of the threshold policy
// target by power iteration from an empty floor.
func (nv *naive) evaluate(target func(int) int) (occ, abandon float64) {
	s := (nv.n + 1) * (nv.l + 1)
	post := func(b, c int) int { return nv.idx(b, max(c, min(max(target(b), 0), nv.l))) }
	pi := make([]float64, s)
	pn := make([]float64, s)
	pi[post(0, 0)] = 1
	for range 50_000_000 {
		clear(pn)
		for b := 0; b <= nv.n; b++ {
			for c := 0; c <= nv.l; c++ {
				m := pi[nv.idx(b, c)]
				if m == 0 {
					continue
				}
				out := 0.0
				nv.next(b, c, func(b2, c2 int, rate float64) {
					pn[post(b2, c2)] += m * rate / nv.rate
					out += rate
				})
				pn[nv.idx(b, c)] += m * (1 - out/nv.rate)
			}
		}
		d := 0.0
		for i := range pi {
			d += math.Abs(pn[i] - pi[i])
		}
		pi, pn = pn, pi
		if d < 1e-14 {
			break
		}
	}
	live, ab := 0.0, 0.0
	for b := 0; b <= nv.n; b++ {
		for c := 0; c <= nv.l; c++ {
			m := pi[nv.idx(b, c)]
			occ += m * float64(b) / float64(nv.n)
			lr := m * nv.p * float64(c) / nv.r
			live += lr
			if b == nv.n {
				ab += lr
			}
		}
	}
	if live == 0 {
		return occ, 0
	}
	return occ, ab / live
}
