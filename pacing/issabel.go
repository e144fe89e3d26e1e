package pacing

import (
	"fmt"
	"github.com/outpace-dev/outpace/records"
	"math"
	"time"
)

// Fixed parameters of the Issabel overcommit.
const (
	issabelAnswerWindow = 30 * time.Minute // span of the answer ratio
	issabelMinRatio     = 0.2              // floor of the answer ratio
)

// Issabel is the Issabel CallCenter predictor baseline, rebuilt from the
// public description of its dialer, quirks included.
//
// Every Period (5 s) it counts the agents that will want a call: the free
// ones (Ready, not paused and not on a call; after-call work is neither free
// nor about to be), plus, once MinCalls calls have completed, the talking
// agents "about to be free", minus the answered calls already waiting. A
// talking agent is about to be free when, with call durations taken as
// exponential with mean μ (the mean talk time so far), the chance that its
// call is over by the time a new call would be answered, 1 − exp(−(t + a)/μ),
// reaches Threshold; t is how long the agent has been talking and a the mean
// time from dial to live answer so far. It then places that many calls minus
// those still ringing. With Overcommit the count is first divided by the
// answer ratio of the last 30 minutes (live answers over dials, floored at
// 0.2, taken as 1 before any dial in the window) and rounded half away from
// zero.
//
// The control law is open loop: it never looks at abandons, and its only
// prediction is the memoryless one, under which every agent who has talked
// longer than μ·ln(1/(1−Threshold)) − a (3.5 μ − a at 0.97) is as good as
// free. With real talk times, which are far less spread than exponential,
// few agents ever qualify, so without overcommit it dials about one call per
// free agent: progressive dialling with a 5 s lag. Overcommit dials for the
// calls that will not be answered, yet every ringing call is still subtracted
// one for one from the inflated count. μ and a are means over the whole run,
// so they never forget.
//
// Decide places calls only on the loop ticks, started by the first Decide,
// and returns the next tick in Decision.Next; overdue ticks collapse into one.
type Issabel struct {
	cfg records.IssabelConfig

	started bool
	t0      time.Time
	tick    int64 // number of the next loop tick (0 at t0)

	talk   Mean // talk durations, seconds
	answer Mean // dial → live answer, seconds

	dials30, live30 Window

	// last loop step, for Level and String
	target, free, about, waiting int
	ratio                        float64
}

// NewIssabel returns the Issabel baseline.
func NewIssabel(cfg records.IssabelConfig) (Pacer, error) {
	c, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	return &Issabel{
		cfg:     c,
		dials30: NewWindow(issabelAnswerWindow, 60),
		live30:  NewWindow(issabelAnswerWindow, 60),
		ratio:   1,
	}, nil
}

// Observe implements Pacer.
func (p *Issabel) Observe(o Observation) {
	switch o.Kind {
	case ObsDial:
		p.dials30.Add(o.At, 1)
	case ObsOutcome:
		if o.Outcome == records.OutcomeLive {
			p.live30.Add(o.At, 1)
			p.answer.Add(o.Duration.Seconds())
		}
	case ObsTalkEnd:
		p.talk.Add(o.Duration.Seconds())
	}
}

// Decide implements Pacer.
func (p *Issabel) Decide(s *Snapshot) Decision {
	now := s.Now
	if !p.started {
		p.started = true
		p.t0 = now
	}
	if next := p.tickTime(p.tick); next.After(now) {
		return Decision{Next: next, Level: float64(p.target)}
	}
	p.tick = int64(now.Sub(p.t0)/p.cfg.Period) + 1

	p.free, p.waiting, p.about = s.Idle, s.Waiting, 0
	if mu := p.talk.Value(); p.talk.N() >= int64(p.cfg.MinCalls) && mu > 0 {
		a := p.answer.Value()
		for i := range s.Agents {
			ag := &s.Agents[i]
			if ag.Phase != PhaseTalk {
				continue
			}
			t := now.Sub(ag.Call).Seconds()
			if 1-math.Exp(-(t+a)/mu) >= p.cfg.Threshold {
				p.about++
			}
		}
	}
	n := p.free + p.about - p.waiting
	if p.cfg.Overcommit {
		p.ratio = 1
		if dials := p.dials30.Sum(now); dials > 0 {
			p.ratio = float64(p.live30.Sum(now)) / float64(dials)
		}
		p.ratio = max(p.ratio, issabelMinRatio)
		n = int(RoundHalfAway(float64(n) / p.ratio))
	}
	p.target = n
	return Decision{Place: max(0, n-s.Ringing), Next: p.tickTime(p.tick), Level: float64(n)}
}

func (p *Issabel) tickTime(k int64) time.Time {
	return p.t0.Add(time.Duration(k) * p.cfg.Period)
}

// String reports the estimates and the last loop step.
func (p *Issabel) String() string {
	return fmt.Sprintf("completed=%d mu=%.3fs a=%.3fs free=%d about=%d waiting=%d ratio=%.3f target=%d",
		p.talk.N(), p.talk.Value(), p.answer.Value(), p.free, p.about, p.waiting, p.ratio, p.target)
}
