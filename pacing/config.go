package pacing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// DefaultAbandonTarget is the abandon cap of the US and UK rules: 3 % of live answers.
const DefaultAbandonTarget = 0.03

// New returns the Pacer that cfg selects. rng is the seeded source for modes
// that randomise; it may be nil for the others.
func New(cfg records.PacingConfig, rng *rand.Rand) (Pacer, error) {
	if cfg.AbandonTarget == 0 {
		cfg.AbandonTarget = DefaultAbandonTarget
	}
	if !(cfg.AbandonTarget >= 0 && cfg.AbandonTarget < 1) {
		return nil, apierr.Invalid("pacing.abandon_target", "must be in [0, 1), got %v", cfg.AbandonTarget)
	}
	spec, ok := Spec(cfg.Mode)
	if !ok {
		return nil, apierr.Invalid("pacing.mode", "unknown mode %q (want %s)", cfg.Mode, ModeNames((*ModeSpec).Paced, "or"))
	}
	if !spec.Paced() {
		return nil, apierr.Invalid("pacing.mode", "mode %q is not paced by a calculator", cfg.Mode)
	}
	return spec.build(cfg, rng)
}

// ParseRatio parses a taskscale "A:C" (C calls in flight per A idle agents).
// Both parts are positive integers of at most 1000 and C/A is at most 20.
func ParseRatio(s string) (a, c int, err error) {
	l, r, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, 0, apierr.Invalid("taskscale", "want \"A:C\" such as \"1:3\", got %q", s)
	}
	a, err1 := strconv.Atoi(strings.TrimSpace(l))
	c, err2 := strconv.Atoi(strings.TrimSpace(r))
	if err1 != nil || err2 != nil {
		return 0, 0, apierr.Invalid("taskscale", "both parts of %q must be whole numbers", s)
	}
	if a <= 0 || c <= 0 || a > 1000 || c > 1000 {
		return 0, 0, apierr.Invalid("taskscale", "both parts of %q must be between 1 and 1000", s)
	}
	if float64(c)/float64(a) > 20 {
		return 0, 0, apierr.Invalid("taskscale", "%q asks for more than 20 calls per idle agent", s)
	}
	return a, c, nil
}

// Ratio is the fixed-ratio (power) pacer: it keeps round(C/A × idle agents)
// calls in flight. With A = C it is progressive dialing: one call in flight per
// idle agent. It has no state and ignores observations.
type Ratio struct {
	A, C int
}

// NewRatio returns the fixed-ratio pacer for taskscale "a:c".
func NewRatio(a, c int) *Ratio { return &Ratio{A: a, C: c} }

// Observe implements Pacer; the fixed ratio measures nothing.
func (*Ratio) Observe(Observation) {}

// Decide implements Pacer: target = round(C/A × idle), place target − in flight.
// Answered calls waiting for an agent count as in flight, so a ratio above 1
// never piles up waiting customers beyond the target.
func (r *Ratio) Decide(s *Snapshot) Decision {
	level := float64(r.C) / float64(r.A)
	target := int(math.Round(level * float64(s.Idle)))
	return Decision{Place: max(0, target-s.InFlight()), Level: level}
}

// String returns the taskscale, e.g. "1:3".
func (r *Ratio) String() string { return fmt.Sprintf("%d:%d", r.A, r.C) }
