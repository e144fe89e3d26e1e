package pacing

import (
	"fmt"
	"time"

	"github.com/outpace-dev/outpace/apierr"
)

// closedFormMinContact floors the measured answer ratio so that a run of
// unanswered calls gives a large but finite number of channels.
const closedFormMinContact = 0.01

// ClosedFormConfig holds the closed-form baseline's knobs. Zero values mean
// the defaults given on each field.
type ClosedFormConfig struct {
	// Aggressiveness multiplies the channel count (default 1.2, at most 10).
	Aggressiveness float64 `yaml:"aggressiveness" json:"aggressiveness,omitempty"`
	// DefaultContact is the answer ratio used until MinOutcomes dial attempts
	// have ended (default 0.28).
	DefaultContact float64 `yaml:"default_contact" json:"default_contact,omitempty"`
	// DefaultRing is the mean dial → outcome time used until MinOutcomes
	// dial attempts have ended (default 18 s).
	DefaultRing time.Duration `yaml:"default_ring" json:"default_ring,omitempty"`
	// DefaultTalk is the mean talk time used until MinTalks conversations
	// have ended (default 180 s).
	DefaultTalk time.Duration `yaml:"default_talk" json:"default_talk,omitempty"`
	// AbandonHold is how long the answer ratio is forced to 1 after an
	// abandon (default 30 s).
	AbandonHold time.Duration `yaml:"abandon_hold" json:"abandon_hold,omitempty"`
	// MinOutcomes is the number of ended dial attempts before the measured
	// answer ratio and ring time replace the defaults (default 20).
	MinOutcomes int `yaml:"min_outcomes" json:"min_outcomes,omitempty"`
	// MinTalks is the number of ended conversations before the measured talk
	// time replaces the default (default 5).
	MinTalks int `yaml:"min_talks" json:"min_talks,omitempty"`
}

// WithDefaults returns the configuration with every knob left out set to
// its default, and an error naming the first knob out of its range (the
// defaults are filled in either way).
func (c ClosedFormConfig) WithDefaults() (ClosedFormConfig, error) {
	orDefault(&c.Aggressiveness, 1.2)
	orDefault(&c.DefaultContact, 0.28)
	orDefault(&c.DefaultRing, 18*time.Second)
	orDefault(&c.DefaultTalk, 180*time.Second)
	orDefault(&c.AbandonHold, 30*time.Second)
	orDefault(&c.MinOutcomes, 20)
	orDefault(&c.MinTalks, 5)
	switch {
	case !(c.Aggressiveness > 0 && c.Aggressiveness <= 10):
		return c, apierr.Invalid("pacing.closedform.aggressiveness", "must be in (0, 10], got %v", c.Aggressiveness)
	case !(c.DefaultContact >= closedFormMinContact && c.DefaultContact <= 1):
		return c, apierr.Invalid("pacing.closedform.default_contact", "must be in [0.01, 1], got %v", c.DefaultContact)
	case c.DefaultRing < 0:
		return c, apierr.Invalid("pacing.closedform.default_ring", "must not be negative, got %v", c.DefaultRing)
	case c.DefaultTalk < time.Second:
		return c, apierr.Invalid("pacing.closedform.default_talk", "must be at least 1s, got %v", c.DefaultTalk)
	case c.AbandonHold < 0:
		return c, apierr.Invalid("pacing.closedform.abandon_hold", "must not be negative, got %v", c.AbandonHold)
	case c.MinOutcomes < 1:
		return c, apierr.Invalid("pacing.closedform.min_outcomes", "must be at least 1, got %d", c.MinOutcomes)
	case c.MinTalks < 1:
		return c, apierr.Invalid("pacing.closedform.min_talks", "must be at least 1, got %d", c.MinTalks)
	}
	return c, nil
}

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
	cfg ClosedFormConfig

	outcomes  Mean  // dial → outcome, seconds, every outcome
	live      int64 // live answers among them
	talk      Mean  // talk time, seconds
	holdUntil time.Time
}

// NewClosedForm returns the closed-form baseline.
func NewClosedForm(cfg ClosedFormConfig) (Pacer, error) {
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
		if o.Outcome == OutcomeLive {
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
		p = max(float64(c.live)/float64(c.outcomes.N()), closedFormMinContact)
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
