package pacing

import "math"

// This file holds the exact form of the forecast for small teams: the
// distributions of the live answers arriving before a new call and of the
// agents free by then, as probability mass functions rather than normal
// approximations. With a handful of agents and calls the counts are small
// and skewed, and the normal difference misplaces the risk of the next call
// by about a call's worth, differently in each state: too cautious with
// two agents idle, too bold with six. The exact form brings the threshold
// rule's policies onto the optimum's for a Markov twin (on S1-markov they are
// the optimum's own; docs/decisions/0002).

const (
	// exactTerms bounds the team for which the forecast is exact: agents
	// logged in plus the lines they may hold (MaxInFlight). The bound is on
	// the team's capacity, not the moment's counts, so that a task keeps one
	// form while its staffing holds; above it the normal form is close and
	// cheaper.
	exactTerms = 64
	// exactSupport bounds the support of one mass function.
	exactSupport = 160
	// pmfTail is the mass below which a mass function's ends are cut.
	pmfTail = 1e-10
)

// pmf is the probability mass function of a count on [lo, lo+n).
type pmf struct {
	lo, n int
	p     [exactSupport]float64
}

func (d *pmf) reset() {
	d.lo, d.n = 0, 1
	d.p[0] = 1
}

// bernoulli adds times independent Bernoulli(q) terms to the count. It
// reports false when the support would outgrow the array.
func (d *pmf) bernoulli(q float64, times int) bool {
	if q <= 0 || times <= 0 {
		return true
	}
	q = min(q, 1)
	r := 1 - q
	for range times {
		if d.n+1 > exactSupport {
			return false
		}
		d.p[d.n] = 0
		for j := d.n; j > 0; j-- {
			d.p[j] = d.p[j]*r + d.p[j-1]*q
		}
		d.p[0] *= r
		d.n++
		d.trim()
	}
	return true
}

// poisson adds a Poisson(f) term to the count; w and out are scratch, of
// which it clears only what it uses.
func (d *pmf) poisson(f float64, w, out *[exactSupport]float64) bool {
	if f <= 0 {
		return true
	}
	k, c := 0, 0.0
	for x := math.Exp(-f); k < exactSupport; k++ {
		w[k] = x
		c += x
		if 1-c < pmfTail && float64(k) > f {
			k++
			break
		}
		x *= f / float64(k+1)
	}
	if d.n+k-1 > exactSupport {
		return false
	}
	clear(out[:d.n+k-1])
	for i := range d.n {
		for j := range k {
			out[i+j] += d.p[i] * w[j]
		}
	}
	d.n += k - 1
	copy(d.p[:d.n], out[:d.n])
	d.trim()
	return true
}

// trim cuts the ends that hold less than pmfTail.
func (d *pmf) trim() {
	for d.n > 1 && d.p[d.n-1] < pmfTail {
		d.n--
	}
	s := 0
	for s < d.n-1 && d.p[s] < pmfTail {
		s++
	}
	if s > 0 {
		copy(d.p[:], d.p[s:d.n])
		d.n -= s
		d.lo += s
	}
}

// exactForecast holds, for each horizon, the arrivals A (calls in flight and
// calls to come) and the agents F free by then (idle ones excluded).
type exactForecast struct {
	on     bool
	arr    [numHorizons]pmf
	free   [numHorizons]pmf
	le0    [numHorizons]float64               // P(D ≤ 0), D = idle + F − A − waiting
	pos    [numHorizons][exactSupport]float64 // P(D = d) for d = 1, 2, …
	posLen [numHorizons]int
	tail   [exactSupport]float64 // scratch: P(O ≥ d) in risk, the Poisson terms in forecast
	conv   [exactSupport]float64 // scratch: a convolution in forecast
}

func (e *exactForecast) reset() {
	for k := range numHorizons {
		e.arr[k].reset()
		e.free[k].reset()
	}
}

// finish turns A and F into the law of the margin D = idle + F − A − waiting,
// which is all the risk needs: the new call is abandoned when the other new
// calls arriving before it number D or more.
func (e *exactForecast) finish(idle, waiting int) {
	for k := range numHorizons {
		a, f := &e.arr[k], &e.free[k]
		base := idle - waiting + f.lo - (a.lo + a.n - 1) // D at f index 0, a index n−1
		le0 := 0.0
		pos := &e.pos[k]
		n := 0
		for i := range f.n {
			for j := a.n - 1; j >= 0; j-- {
				d := base + i + (a.n - 1 - j)
				w := f.p[i] * a.p[j]
				if d <= 0 {
					le0 += w
					continue
				}
				if d > exactSupport {
					continue // the other new calls would need more than the support
				}
				for n < d {
					pos[n] = 0
					n++
				}
				pos[d-1] += w
			}
		}
		e.le0[k], e.posLen[k] = le0, n
	}
}

// risk returns the probability that the m-th new call finds no agent free,
// the others arriving before it at horizon k with probability pi[k] each.
func (e *exactForecast) risk(m int, pi *[numHorizons]float64) float64 {
	others := m - 1
	r := 0.0
	for k := range numHorizons {
		r += e.le0[k]
		n := min(e.posLen[k], others)
		if n == 0 {
			continue
		}
		// P(O ≥ d) for O ~ Binomial(others, π), d = 1 … n.
		q := pi[k]
		if q >= 1 {
			for d := 1; d <= n; d++ {
				r += e.pos[k][d-1]
			}
			continue
		}
		pj := math.Pow(1-q, float64(others)) // P(O = 0)
		cdf := 0.0
		for d := 1; d <= n; d++ {
			cdf += pj
			e.tail[d-1] = max(1-cdf, 0)
			pj *= float64(others-d+1) / float64(d) * q / (1 - q)
		}
		for d := 1; d <= n; d++ {
			r += e.pos[k][d-1] * e.tail[d-1]
		}
	}
	return r / numHorizons
}
