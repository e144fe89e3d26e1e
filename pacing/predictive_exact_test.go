package pacing

import (
	"math"
	"testing"
)

// TestExactRiskEnumerated checks the exact form against a brute-force count
// over every outcome of a small state: two calls in flight and three agents
// who may free up, one agent idle, one live answer waiting, and the calls to
// come as a Poisson term.
func TestExactRiskEnumerated(t *testing.T) {
	calls := []float64{0.3, 0.15}
	agents := []float64{0.2, 0.5, 0.05}
	const idle, waiting, future = 1, 1, 0.4
	var pi [numHorizons]float64
	var e exactForecast
	e.reset()
	for k := range numHorizons {
		pi[k] = 0.1 + 0.02*float64(k)
		for _, q := range calls {
			if !e.arr[k].bernoulli(q, 1) {
				t.Fatal("support outgrown")
			}
		}
		e.arr[k].poisson(future, &e.tail, &e.conv)
		for _, q := range agents {
			e.free[k].bernoulli(q, 1)
		}
	}
	e.finish(idle, waiting)

	poisson := func(n int) float64 {
		return math.Exp(-future) * math.Pow(future, float64(n)) / math.Gamma(float64(n)+1)
	}
	binomTail := func(n int, q float64, d int) float64 { // P(Bin(n, q) ≥ d)
		s := 0.0
		for j := max(d, 0); j <= n; j++ {
			s += math.Gamma(float64(n)+1) / math.Gamma(float64(j)+1) / math.Gamma(float64(n-j)+1) * math.Pow(q, float64(j)) * math.Pow(1-q, float64(n-j))
		}
		return s
	}
	for m := 1; m <= 6; m++ {
		want := 0.0
		for mask := range 1 << 5 {
			pr, arr, free := 1.0, 0, 0
			for i, q := range append(append([]float64{}, calls...), agents...) {
				on := mask&(1<<i) != 0
				if on {
					pr *= q
				} else {
					pr *= 1 - q
				}
				if on && i < len(calls) {
					arr++
				} else if on {
					free++
				}
			}
			for f := range 30 {
				d := idle + free - arr - f - waiting // the other new calls must number d or more
				for k := range numHorizons {
					want += pr * poisson(f) * binomTail(m-1, pi[k], d) / numHorizons
				}
			}
		}
		if got := e.risk(m, &pi); math.Abs(got-want) > 1e-9 {
			t.Errorf("risk(%d) = %.12f, enumeration gives %.12f", m, got, want)
		}
	}
}

// TestExactRiskSureAgent: one agent idle and a single call can never be
// abandoned, which the normal form gets wrong by about 1.5 %.
func TestExactRiskSureAgent(t *testing.T) {
	var pi [numHorizons]float64
	var e exactForecast
	e.reset()
	for k := range numHorizons {
		pi[k] = 0.2
		e.free[k].bernoulli(0.1, 14)
	}
	e.finish(1, 0)
	if r := e.risk(1, &pi); r != 0 {
		t.Errorf("risk of the only call with an agent idle = %g, want 0", r)
	}
	if r := e.risk(2, &pi); r <= 0 {
		t.Errorf("risk of a second call = %g, want > 0", r)
	}
}
