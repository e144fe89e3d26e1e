package pacing

import (
	"github.com/outpace-dev/outpace/records"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// outcomes feeds n dial outcomes, rate a second from start, each live with
// probability pLive, to p.
func outcomes(p *Predictive, rng *rand.Rand, start time.Time, rate float64, n int, pLive float64) time.Time {
	at := start
	for range n {
		at = at.Add(time.Duration(rng.ExpFloat64() / rate * 1e9))
		o := Observation{At: at, Kind: ObsOutcome, Outcome: records.OutcomeBusy, Duration: time.Duration((3 + rng.ExpFloat64()*20) * 1e9)}
		if rng.Float64() < pLive {
			o.Outcome, o.Duration = records.OutcomeLive, time.Duration((2+rng.ExpFloat64()*8)*1e9)
		}
		p.Observe(o)
	}
	return at
}

// longP is the long memory's answer probability over completed outcomes.
var changeEpoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func longP(p *Predictive) float64 { return p.est.live.sum / (p.est.live.sum + p.est.other.sum) }

// The long outcome memory keeps a steady hit rate's estimate precise, and
// starts again from the short memory when the hit rate changes.
func TestNoticeChange(t *testing.T) {
	newP := func() *Predictive {
		pc, err := NewPredictive(records.PredictiveConfig{}, 0.03)
		if err != nil {
			t.Fatal(err)
		}
		return pc.(*Predictive)
	}
	// Ten 8 h days of a steady 12 % hit rate at 5 outcomes a second, as on a
	// floor of a hundred agents: few false alarms, and an estimate within
	// 0.01 of the truth at every hour.
	alarms := int64(0)
	worst := 0.0
	for day := range 10 {
		p := newP()
		rng := rand.New(rand.NewPCG(uint64(day), 7))
		at := changeEpoch
		for range 8 {
			at = outcomes(p, rng, at, 5, 18000, 0.12)
			worst = max(worst, math.Abs(longP(p)-0.12))
		}
		alarms += p.est.changes
	}
	t.Logf("steady: %d false alarms in ten days, worst hourly error %.4f", alarms, worst)
	if alarms > 20 || worst > 0.01 {
		t.Errorf("steady: %d false alarms in ten days, worst hourly error %.4f", alarms, worst)
	}

	// The hit rate doubles, then halves back: each change is noticed within
	// 500 outcomes, and 1000 outcomes after it the estimate has covered 3/4
	// of the way (a memory of 1000 outcomes alone covers 1 − 1/e of it).
	p := newP()
	rng := rand.New(rand.NewPCG(1, 7))
	at := outcomes(p, rng, changeEpoch, 5, 36000, 0.12)
	for _, c := range []struct{ from, to float64 }{{0.12, 0.24}, {0.24, 0.12}} {
		before := p.est.changes
		n := 0
		for p.est.changes == before && n < 2000 {
			at = outcomes(p, rng, at, 5, 1, c.to)
			n++
		}
		if n > 500 {
			t.Errorf("%.2f → %.2f: noticed after %d outcomes", c.from, c.to, n)
		}
		at = outcomes(p, rng, at, 5, 1000-n, c.to)
		if got := longP(p); math.Abs(got-c.to) > 0.25*math.Abs(c.to-c.from) {
			t.Errorf("%.2f → %.2f: estimate %.4f after 1000 outcomes", c.from, c.to, got)
		}
		t.Logf("%.2f → %.2f: noticed after %d outcomes, estimate %.4f after 1000", c.from, c.to, n, longP(p))
		at = outcomes(p, rng, at, 5, 36000, c.to)
	}
}
