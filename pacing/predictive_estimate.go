package pacing

import (
	"github.com/outpace-dev/outpace/records"
	"math"
)

// estimates are what the predictive pacer knows of its task, learnt online
// from the observations alone, in fixed memory: the probability that a dial
// is answered live and the distributions of the time to a live answer and to
// every other outcome; the distributions of talk and wrap-up times and the
// share of calls followed by wrap-up; the rates of live answers and of dials.
//
// How. Each distribution is a histogram over log-linear bins (a sixteenth of
// an octave), decayed so that the last OutcomeMemory outcomes (HandlingMemory
// for handling times) carry most of its weight and anything older than a few
// OutcomeTime (HandlingTime) fades even on a quiet task. Decay is done by
// growing the weight of new observations rather than shrinking old ones, so an
// observation costs one bin update. The forecast reads frozen copies
// (survival) made at most once per Refresh; the calls and agents in progress
// enter those copies as durations still running (Kaplan–Meier, and
// Aalen–Johansen for the two kinds of outcome) while an estimator is young,
// since a young estimator has seen only the short durations that end first.
//
// A change of hit rate. The long memory is precise but slow to follow a
// change; a second memory of a twentieth of its outcomes sees every outcome
// too, and when its answer probability strays from the long one's by more
// than changeZ standard errors, the long memory starts again from the short
// one's outcomes (noticeChange). The estimates then follow the change as fast
// as a short memory would and keep a long memory's precision while the hit
// rate holds.
//
// Why it is stable. An estimate moves by one observation in its memory at a
// time, or jumps once to the short memory's on a change; nothing the pacer
// decides feeds back into an estimator except through the outcomes of the
// calls it places, which take seconds to minutes to come.
type estimates struct {
	// dial outcomes
	outDecay    decay
	live, other hist
	// the same outcomes over a twentieth of the memory, to notice a change of
	// hit rate that the long memory would take long to follow (noticeChange)
	shortDecay            decay
	shortLive, shortOther hist
	changes               int64

	// handling
	handDecay          decay
	talk, wrap         hist
	talkCount, wrapCnt float64 // scaled counts, for the share of calls with wrap-up

	// live answers per second, for the loop gain; dials per second, for the
	// calls still to come
	liveRate, dialRate rate
}

// Time constants of the rate estimators, in seconds.
const (
	liveRateTime = 600
	dialRateTime = 120
)

// newEstimates returns empty estimators with the memories of cfg.
func newEstimates(cfg *records.PredictiveConfig) estimates {
	var e estimates
	e.outDecay = newDecay(cfg.OutcomeMemory, cfg.OutcomeTime)
	e.shortDecay = newDecay(shortMemory(cfg), cfg.OutcomeTime)
	e.handDecay = newDecay(cfg.HandlingMemory, cfg.HandlingTime)
	e.liveRate.tau = liveRateTime
	e.dialRate.tau = dialRateTime
	return e
}

// observe learns from o and reports whether the distributions changed (so
// that the forecast's model is stale). watch is the memory that watches for
// a change of hit rate (shortMemory). Abandons are the outer loop's.
func (e *estimates) observe(o Observation, watch int) bool {
	switch o.Kind {
	case ObsDial:
		e.dialRate.add(o.At)
	case ObsOutcome:
		w, f := e.outDecay.weight(o.At)
		if f > 0 {
			e.live.div(f)
			e.other.div(f)
		}
		ws, fs := e.shortDecay.weight(o.At)
		if fs > 0 {
			e.shortLive.div(fs)
			e.shortOther.div(fs)
		}
		x := o.Duration.Seconds()
		if o.Outcome == records.OutcomeLive {
			e.live.add(x, w)
			e.shortLive.add(x, ws)
			e.liveRate.add(o.At)
		} else {
			e.other.add(x, w)
			e.shortOther.add(x, ws)
		}
		e.noticeChange(watch)
		return true
	case ObsTalkEnd:
		w, f := e.handDecay.weight(o.At)
		if f > 0 {
			e.talk.div(f)
			e.wrap.div(f)
			e.talkCount /= f
			e.wrapCnt /= f
		}
		e.talk.add(o.Duration.Seconds(), w)
		e.talkCount += w
		return true
	case ObsWrapEnd:
		// A wrap-up weighs as much as the talk it followed, the last
		// observation of the handling clock or nearly.
		e.wrap.add(o.Duration.Seconds(), e.handDecay.scale)
		e.wrapCnt += e.handDecay.scale
		return true
	}
	return false
}

// changeShare is how much shorter the memory that watches for a change of
// hit rate is than OutcomeMemory, and changeZ how many standard errors its
// answer probability must stray from the long memory's to be a change: in
// ten 8 h days of a steady hit rate it must raise no false alarm, and a
// doubling or a halving must be noticed within a few hundred outcomes
// (TestNoticeChange).
const (
	changeShare = 20
	changeZ     = 3
)

// shortMemory is the memory that watches for a change of hit rate
// (noticeChange): a twentieth of OutcomeMemory, at least 10.
func shortMemory(c *records.PredictiveConfig) int {
	return max(c.OutcomeMemory/changeShare, 10)
}

// noticeChange compares the answer probability of the last outcomes (a
// twentieth of the memory, watch) with the long memory's. When they
// differ by more than changeZ standard errors of the short estimate, the hit
// rate has changed: the long memory starts again from the short one's
// outcomes.
func (e *estimates) noticeChange(watch int) {
	shortSum := e.shortLive.sum + e.shortOther.sum
	longSum := e.live.sum + e.other.sum
	nShort := shortSum / e.shortDecay.scale
	nLong := longSum / e.outDecay.scale
	if nShort < float64(watch)/2 || nLong < 1.5*nShort {
		return
	}
	pl := min(max(e.live.sum/longSum, 1e-3), 1-1e-3)
	ps := e.shortLive.sum / shortSum
	if math.Abs(ps-pl) <= changeZ*math.Sqrt(pl*(1-pl)/nShort) {
		return
	}
	e.changes++
	f := e.outDecay.scale / e.shortDecay.scale
	e.live.copyScaled(&e.shortLive, f)
	e.other.copyScaled(&e.shortOther, f)
}
