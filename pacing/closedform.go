package pacing

import (
	"fmt"
	"github.com/outpace-dev/outpace/records"
	"time"
)

// ClosedForm is the closed-form ratio baseline in the style of omni-dialer-go:
// one formula, evaluated whenever it is asked, with no loop and no memory
// beyond running means.
//
// It keeps channels = ceil((idle / p) × (1 + ring/talk) × aggressiveness) calls
// in flight (ringing or answered and waiting) and places the difference. Each
// idle agent gets 1/p calls so that one is expected to answer, inflated by the
// share ring/talk of a cycle that a line spends ringing, and by a flat safety
// factor. p is the measured answer ratio (live answers over ended dial
// attempts), ring the mean time from dial to any outcome and talk the mean
// talk time, all since the start; until MinOutcomes attempts (p and ring) or
// MinTalks conversations (talk) have ended, the defaults 0.28, 18 s and 180 s
// stand in. The only feedback from service quality is the abandon hold: after
// any abandon, p is taken as 1 for AbandonHold (30 s), which cuts the channels
// to about 1.3 per idle agent, then snaps back: a bang-bang brake that trips
// on every single abandon however low the rate, and releases regardless of
// how many there were. Nothing in the formula sees busy agents about to free
// up: while every agent is busy it dials nothing, and an agent who frees up
// then waits for the calls dialled on its account to ring and be answered.
//
// A product within 1e-9 above a whole number is taken as that number before
// the ceiling, and the measured answer ratio is floored at 0.01. Decision.Next
// is the end of the abandon hold while one is running, else zero: the formula
// only changes with the snapshot and the observations.
type ClosedForm struct {
	cfg records.ClosedFormConfig

	outcomes  Mean  // dial → outcome, seconds, every outcome
	live      int64 // live answers among them
	talk      Mean  // talk time, seconds
	holdUntil time.Time
}

// NewClosedForm returns the closed-form baseline.
func NewClosedForm(cfg records.ClosedFormConfig) (Pacer, error) {
	c, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	return &ClosedForm{cfg: c}, nil
}

// Observe implements Pacer.
func (c *ClosedForm) Observe(o Observation) {
	switch o.Kind {
	case ObsOutcome:
		c.outcomes.Add(o.Duration.Seconds())
		if o.Outcome == records.OutcomeLive {
			c.live++
		}
	case ObsTalkEnd:
		c.talk.Add(o.Duration.Seconds())
	case ObsAbandon:
		if until := o.At.Add(c.cfg.AbandonHold); until.After(c.holdUntil) {
			c.holdUntil = until
		}
	}
}

// measured returns p, ring and talk: the measured values once there are
// enough of them, else the defaults. The abandon hold is not applied.
func (c *ClosedForm) measured() (p, ring, talk float64) {
	p, ring, talk = c.cfg.DefaultContact, c.cfg.DefaultRing.Seconds(), c.cfg.DefaultTalk.Seconds()
	if c.outcomes.N() >= int64(c.cfg.MinOutcomes) {
		p = max(float64(c.live)/float64(c.outcomes.N()), records.ClosedFormMinContact)
		ring = c.outcomes.Value()
	}
	if c.talk.N() >= int64(c.cfg.MinTalks) && c.talk.Value() > 0 {
		talk = c.talk.Value()
	}
	return p, ring, talk
}

// Decide implements Pacer.
func (c *ClosedForm) Decide(s *Snapshot) Decision {
	p, ring, talk := c.measured()
	held := s.Now.Before(c.holdUntil)
	if held {
		p = 1
	}
	channels := int(ceilEps(float64(s.Idle) / p * (1 + ring/talk) * c.cfg.Aggressiveness))
	d := Decision{
		Place: max(0, channels-s.InFlight()),
		Level: (1 + ring/talk) * c.cfg.Aggressiveness / p,
	}
	if held {
		d.Next = c.holdUntil
	}
	return d
}

// String reports the estimates without the abandon hold.
func (c *ClosedForm) String() string {
	p, ring, talk := c.measured()
	return fmt.Sprintf("outcomes=%d live=%d talks=%d p=%.4f ring=%.3fs talk=%.3fs",
		c.outcomes.N(), c.live, c.talk.N(), p, ring, talk)
}
