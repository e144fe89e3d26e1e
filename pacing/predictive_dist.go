package pacing

import (
	"math"
	"math/bits"
	"time"
)

// This file holds the predictive pacer's distribution estimators: decayed
// histograms of durations over fixed log-linear bins. They never allocate and
// read no clock.

// Durations are binned log-linearly, like an HDR histogram: 16 bins of 1/16 s
// below one second, then 16 bins per octave from 1 s up to 8192 s (2 h 16 min).
// The relative width of a bin is at most 1/16, so 8 s is resolved to 0.5 s,
// 20 s to 1 s and 150 s to 8 s. Longer values fall into the last bin.
const (
	binSub    = 16                        // bins per second below 1 s, and per octave above
	binOct    = 13                        // octaves above 1 s
	numBins   = binSub + binSub*binOct    // 224
	maxBinned = float64(1<<binOct) - 1e-9 // seconds; longer values are clamped
)

// binOf returns the bin of x seconds and where x lies inside it (0 at the
// bin's lower edge, 1 at its upper edge).
func binOf(x float64) (int, float64) {
	v := x * binSub
	if !(v > 0) {
		return 0, 0
	}
	if v < binSub {
		i := int(v)
		return i, v - float64(i)
	}
	if x >= maxBinned {
		return numBins - 1, 1
	}
	u := uint64(v)
	shift := bits.Len64(u) - 5 // u has 5+shift significant bits
	sub := (u >> shift) & (binSub - 1)
	i := binSub + shift*binSub + int(sub)
	lo := float64((binSub + sub) << shift)
	// (v − lo) / 2^shift, as an exact multiplication by 2^−shift.
	return i, (v - lo) * math.Float64frombits(uint64(1023-shift)<<52)
}

// binOfNanos returns the bin of a duration given in nanoseconds.
func binOfNanos(ns int64) int {
	if ns <= 0 {
		return 0
	}
	u := uint64(ns) / (1e9 / binSub) // sixteenths of a second
	if u < binSub {
		return int(u)
	}
	if u >= binSub<<binOct {
		return numBins - 1
	}
	shift := bits.Len64(u) - 5
	return binSub + shift*binSub + int((u>>shift)&(binSub-1))
}

// binEdges returns the lower edge and the width of bin i, in seconds.
func binEdges(i int) (lo, width float64) {
	if i < binSub {
		return float64(i) / binSub, 1.0 / binSub
	}
	j := i - binSub
	shift := j / binSub
	sub := j % binSub
	return float64((binSub+sub)<<shift) / binSub, float64(uint64(1)<<shift) / binSub
}

// binMid returns the middle of bin i, in seconds.
func binMid(i int) float64 {
	lo, w := binEdges(i)
	return lo + w/2
}

// decay is the forgetting clock shared by the histograms of one estimator:
// each observation weighs growth times the one before it (so the last
// `memory` observations carry most of the weight), and time multiplies the
// weight of new observations by e^(Δt/τ) (so data older than a few τ fades
// even when observations are rare). Instead of shrinking every old weight, the
// weight of new ones grows; the histograms are rescaled now and then to stay
// in range.
type decay struct {
	scale  float64 // weight of an observation made at last
	growth float64 // per observation
	tau    float64 // seconds; 0 = no time decay
	last   time.Time
}

func newDecay(memory int, tau time.Duration) decay {
	return decay{scale: 1, growth: 1 / (1 - 1/float64(max(memory, 2))), tau: tau.Seconds()}
}

// weight advances the clock to now for one new observation and returns its
// weight. rescale is true when the caller must divide its weights by the
// returned factor first.
func (d *decay) weight(now time.Time) (w float64, rescale float64) {
	if !d.last.IsZero() && d.tau > 0 {
		if dt := now.Sub(d.last).Seconds(); dt > 0 {
			d.scale *= math.Exp(min(dt/d.tau, 50))
		}
	}
	if now.After(d.last) {
		d.last = now
	}
	d.scale *= d.growth
	if d.scale > 1e100 {
		rescale = d.scale
		d.scale = 1
		return 1, rescale
	}
	return d.scale, 0
}

// hist is a histogram of durations with fractional weights.
type hist struct {
	w   [numBins]float64
	sum float64
	sx  float64 // Σ weight × seconds
}

func (h *hist) add(x, w float64) {
	i, _ := binOf(x)
	h.w[i] += w
	h.sum += w
	h.sx += w * min(x, maxBinned)
}

func (h *hist) div(f float64) {
	for i := range h.w {
		h.w[i] /= f
	}
	h.sum /= f
	h.sx /= f
}

// survival is a frozen copy of a hist, normalised to the decay clock so that
// its weights count recent observations, with suffix sums for O(1) lookups.
type survival struct {
	suf  [numBins + 1]float64 // suf[i] = Σ weights of bins ≥ i
	n    float64              // total weight (recent observations)
	mean float64              // mean, seconds
}

// loadKM builds s from the completed durations of h (weights divided by
// scale) and the durations still running, cens[i] of them in bin i, each
// weighing wc: the Kaplan–Meier estimate. Without the running ones, a young
// estimator would only know the short durations, which end first.
func (s *survival) loadKM(h *hist, scale float64, cens *[numBins]int32, wc float64) {
	n := withCensored(h.sum/scale, cens, wc)
	s.n = n
	s.mean = 0
	if h.sum > 0 {
		s.mean = h.sx / h.sum
	}
	surv, risk := 1.0, n
	for i := range numBins {
		s.suf[i] = n * surv
		d, c := h.w[i]/scale, wc*float64(cens[i])
		if at := risk - c/2; d > 0 && at > 0 {
			surv *= max(1-d/at, 0)
		}
		risk -= d + c
	}
	s.suf[numBins] = n * surv
}

// withCensored adds to n the weight of the durations still running, cens[i]
// of them in bin i, each weighing wc; once the estimator holds enough
// completed durations to leave them out (wc = 0) there is nothing to add and
// no loop to run.
func withCensored(n float64, cens *[numBins]int32, wc float64) float64 {
	if wc == 0 {
		return n
	}
	for i := range cens {
		n += wc * float64(cens[i])
	}
	return n
}

// loadCompeting builds the overall survival all and the live-answer
// incidence live of dial outcomes from the completed outcomes (live and
// other) and the calls still ringing (the Aalen–Johansen estimate): all.suf[i]
// is the weight still ringing at the start of bin i, live.suf[i] the weight
// answered live after it. It returns the share of live answers among the
// outcomes resolved.
func loadCompeting(all, live *survival, lh, oh *hist, scale float64, cens *[numBins]int32, wc float64) float64 {
	n := withCensored((lh.sum+oh.sum)/scale, cens, wc)
	last := -1 // the last bin with a completed outcome
	for i := numBins - 1; i >= 0; i-- {
		if lh.w[i]+oh.w[i] > 0 {
			last = i
			break
		}
	}
	surv, risk := 1.0, n
	var inc [numBins]float64
	incL, incAll := 0.0, 0.0
	for i := 0; i <= last; i++ {
		all.suf[i] = n * surv
		dl, do, c := lh.w[i]/scale, oh.w[i]/scale, wc*float64(cens[i])
		if at := risk - c/2; dl+do > 0 && at > 0 {
			hz := min((dl+do)/at, 1)
			inc[i] = surv * hz * dl / (dl + do)
			incL += inc[i]
			incAll += surv * hz
			surv *= 1 - hz
		}
		risk -= dl + do + c
	}
	// Beyond the longest outcome seen, calls still ringing are assumed to end
	// at a constant rate (the mean outcome time so far) and as often live as
	// the outcomes resolved: a young estimator must not take them for dead.
	pl, m := 0.0, 1.0
	if incAll > 0 {
		pl = incL / incAll
	}
	if sum := lh.sum + oh.sum; sum > 0 {
		m = max((lh.sx+oh.sx)/sum, 1)
	}
	hz, hzWidth := 0.0, -1.0
	for i := last + 1; i < numBins; i++ {
		all.suf[i] = n * surv
		if _, w := binEdges(i); w != hzWidth { // one width per octave
			hz, hzWidth = 1-math.Exp(-w/m), w
		}
		inc[i] = surv * hz * pl
		surv *= 1 - hz
	}
	all.suf[numBins] = n * surv
	acc := 0.0
	live.suf[numBins] = 0
	for i := numBins - 1; i >= 0; i-- {
		acc += n * inc[i]
		live.suf[i] = acc
	}
	all.n, live.n = n, acc
	all.mean, live.mean = 0, 0
	if sum := lh.sum + oh.sum; sum > 0 {
		all.mean = (lh.sx + oh.sx) / sum
	}
	if lh.sum > 0 {
		live.mean = lh.sx / lh.sum
	}
	if incAll <= 0 {
		return 0
	}
	return incL / incAll
}

// above returns the weight of observations longer than x seconds, spreading
// each bin's weight evenly over its width.
func (s *survival) above(x float64) float64 {
	i, f := binOf(x)
	return s.suf[i+1] + (s.suf[i]-s.suf[i+1])*(1-f)
}

// cdf returns the fraction of observations at most x seconds long.
func (s *survival) cdf(x float64) float64 {
	if s.n <= 0 {
		return 0
	}
	if x <= 0 {
		return 0
	}
	return 1 - s.above(x)/s.n
}

// quantile returns the duration below which a fraction q of the weight lies.
func (s *survival) quantile(q float64) float64 {
	if s.n <= 0 {
		return 0
	}
	target := (1 - q) * s.n // weight above the answer
	lo, hi := 0, numBins-1
	for lo < hi { // first bin i with suf[i+1] <= target
		m := (lo + hi) / 2
		if s.suf[m+1] <= target {
			hi = m
		} else {
			lo = m + 1
		}
	}
	w := s.suf[lo] - s.suf[lo+1]
	edge, width := binEdges(lo)
	f := 1.0
	if w > 0 {
		f = 1 - (target-s.suf[lo+1])/w
	}
	return edge + min(max(f, 0), 1)*width
}

// rate is an exponentially decayed event rate: each event adds 1/τ, and the
// sum decays as e^(−Δt/τ), so it reads events per second over about τ.
type rate struct {
	v   float64
	at  time.Time
	tau float64 // seconds
}

func (r *rate) decayTo(now time.Time) {
	if !r.at.IsZero() {
		if dt := now.Sub(r.at).Seconds(); dt > 0 {
			r.v *= math.Exp(-dt / r.tau)
		}
	}
	if now.After(r.at) {
		r.at = now
	}
}

func (r *rate) add(now time.Time) {
	r.decayTo(now)
	r.v += 1 / r.tau
}

// get returns the rate at now (events per second).
func (r *rate) get(now time.Time) float64 {
	if r.at.IsZero() {
		return 0
	}
	if dt := now.Sub(r.at).Seconds(); dt > 0 {
		return r.v * math.Exp(-dt/r.tau)
	}
	return r.v
}

// since returns the rate at now of events counted from start on, corrected
// for the time the sum has had to build up: over a span T shorter than τ
// it reads only 1 − e^(−T/τ) of the rate.
func (r *rate) since(start, now time.Time) float64 {
	t := now.Sub(start).Seconds()
	if t <= 0 {
		return 0
	}
	return r.get(now) / -math.Expm1(-t/r.tau)
}

// copyScaled sets h to src with every weight multiplied by f.
func (h *hist) copyScaled(src *hist, f float64) {
	for i := range h.w {
		h.w[i] = src.w[i] * f
	}
	h.sum = src.sum * f
	h.sx = src.sx * f
}
