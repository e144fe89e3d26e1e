package pacing

import (
	"fmt"
	"math"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// numHorizons is the number of points at which the forecast is made: the
// quantiles (k+½)/numHorizons of the time a live answer takes to come.
const numHorizons = 8

// numCols is the width of the per-bin probability rows: one column per
// horizon, then one for now (a call's hazard of a live answer per second, an
// agent's chance to be free within the connect deadline).
const (
	numCols = numHorizons + 1
	colNow  = numHorizons
)

// hazardStep is the step, in seconds, over which the live-answer hazard of a
// ringing call is measured.
const hazardStep = 0.5

// Predictive is the predictive pacer. Each decision forecasts, from the live
// state, whether the live answer of one more call would find an agent, and
// places calls while that risk stays under a threshold θ; an outer loop sets θ
// from the abandons measured in the task's window. Three parts, each with its
// essay:
//
//   - estimates (predictive_estimate.go) learn the answer probability, the
//     ring, talk and wrap-up time distributions and the rates, online and in
//     fixed memory, from the observations alone;
//   - forecast (predictive_model.go) turns them and the snapshot into the
//     risk of each further call, and finds the most calls under a threshold;
//   - control (predictive_control.go) sets that threshold from the window's
//     slack, and falls back to progressive dialing when the slack runs out.
//
// Risk against benefit (Pool): the threshold a call is placed under is θ × s,
// s the agents idle now or free within the connect deadline, less the
// customers waiting, over the live answers expected in Pool mean live-answer
// times (at least one), capped at 1. A call is worth the idle time it saves:
// with one agent idle on a floor that sees a live answer a second, the calls
// already ringing fill that agent almost at once and a new call saves next to
// nothing, while with a dozen idle every live answer counts in full. The pacer
// never places fewer calls than progressive dialing would.
//
// The path that led to each of these choices, with the numbers measured then,
// is in docs/decisions/.
type Predictive struct {
	cfg    records.PredictiveConfig
	target float64

	est estimates
	fc  forecast
	ctl control

	decisions, fallbacks int64
	liveRate             float64 // the live-answer rate of the latest decision
}

// NewPredictive returns the predictive pacer for the abandon target (a
// fraction of live answers, such as 0.03). The snapshot's AbandonTarget, when
// set, takes precedence.
func NewPredictive(cfg records.PredictiveConfig, abandonTarget float64) (Pacer, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	if !(abandonTarget > 0 && abandonTarget < 1) {
		return nil, apierr.Invalid("pacing.abandon_target", "must be in (0, 1), got %v", abandonTarget)
	}
	p := &Predictive{cfg: cfg, target: abandonTarget}
	p.est = newEstimates(&p.cfg)
	p.ctl.u = math.Log(cfg.InitialRisk)
	p.fc.ver = 1
	p.fc.stale = true
	return p, nil
}

// Observe implements Pacer.
func (p *Predictive) Observe(o Observation) {
	if o.Kind == ObsAbandon {
		p.ctl.innov++
		return
	}
	if p.est.observe(o, shortMemory(&p.cfg)) {
		p.fc.stale = true
	}
}

// Decide implements Pacer.
func (p *Predictive) Decide(s *Snapshot) Decision {
	p.decisions++
	now := s.Now
	inFlight := s.InFlight()
	prog := max(0, s.Idle-inFlight)
	d := Decision{Place: prog, Next: now.Add(p.cfg.Tick), Level: float64(inFlight + prog)}
	target := s.AbandonTarget
	if target <= 0 {
		target = p.target
	}
	capRate := target * (1 - p.cfg.CapMargin)
	liveRate := p.est.liveRate.get(now)
	p.liveRate = liveRate
	c := &p.ctl
	dt := c.clock(now, &p.cfg, capRate, liveRate, p.fc.abandonRate)

	p.fc.run(s, &p.est, &p.cfg) // also updates the expected and committed abandons
	if p.fc.ok && !c.started && s.Idle+s.Busy > 0 {
		c.start(&p.cfg, p.fc.reachShare(p.cfg.ReactAgents))
	}
	errLog := c.measure(s, &p.cfg, capRate, liveRate, p.fc.committed)
	if c.fallback {
		p.fallbacks++
		c.wasBound = false
		return d
	}
	if !p.fc.ok || s.Idle+s.Busy == 0 {
		c.wasBound = false
		return d
	}

	theta, ramp := c.threshold(s, &p.cfg, &p.est.liveRate, target, errLog, dt)
	limit := maxPlace
	if s.MaxInFlight > 0 {
		limit = min(limit, s.MaxInFlight-inFlight)
	}
	c.share = poolShare(float64(s.Idle)+p.fc.freeSoon-p.fc.waiting, p.cfg.Pool*liveRate*p.fc.sLive.mean)
	n := p.fc.search(theta*c.share, limit)
	c.wasBound = n < limit && n >= prog && ramp >= 1
	n = max(n, prog)
	d.Place = n
	d.Level = float64(inFlight + n)
	return d
}

// String implements fmt.Stringer: the pacer's estimates and loop state.
func (p *Predictive) String() string {
	fc, c := &p.fc, &p.ctl
	state := "predictive"
	switch {
	case c.fallback:
		state = "fallback"
	case !fc.ok:
		state = "cold"
	}
	line := fmt.Sprintf("%s p_live=%.3f outcomes=%.0f ring_mean=%.1fs talk_mean=%.1fs wrap_mean=%.1fs wrap_share=%.2f horizons=%.1fs..%.1fs theta=%.4f pool_share=%.2f slack=%.2f setpoint=%.2f",
		state, fc.pLive, fc.nOut, fc.ringMean, fc.talkMean, fc.wrapMean, fc.wrapShare,
		fc.horizon[0], fc.horizon[numHorizons-1], c.theta, c.share, c.slack, c.setpoint)
	if c.young {
		line += " young"
	}
	if p.est.changes > 0 {
		line += fmt.Sprintf(" hit_rate_changes=%d", p.est.changes)
	}
	if c.guard != c.slack {
		line += fmt.Sprintf(" guard=%.2f", c.guard)
	}
	return line
}

// Estimates implements Estimator: the forecast of the latest decision.
func (p *Predictive) Estimates() records.Estimates {
	fc, c := &p.fc, &p.ctl
	return records.Estimates{
		Known:            fc.ok,
		AnswerRate:       fc.pLive,
		LiveRate:         p.liveRate,
		FreeSoon:         fc.freeSoon,
		ExpectedAbandons: fc.committed,
		Risk:             c.theta * c.share,
		Fallback:         c.fallback,
	}
}
