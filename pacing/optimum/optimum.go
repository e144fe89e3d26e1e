package optimum

import (
	"math"
	"time"

	"github.com/outpace-dev/outpace/apierr"
)

// DefaultMaxLinesPerAgent is the line limit per agent used when
// Params.MaxLinesPerAgent is zero.
const DefaultMaxLinesPerAgent = 3

// DefaultTolerance is the optimality gap used when Params.Tolerance is zero.
const DefaultTolerance = 1e-6

// maxStates bounds the grid (agents+1) × (lines+1) that Solve and Evaluate
// accept (about 300 MB of working memory at the bound).
const maxStates = 1_000_000

// Params describes one Markov twin and the abandon cap.
type Params struct {
	// Agents is the number of logged-in agents N (at least 1).
	Agents int
	// LiveProb is the probability p that a call's outcome is a live answer;
	// every other outcome frees the line and nothing else.
	LiveProb float64
	// MeanOutcome is the mean r of the exponential time from dial to outcome.
	MeanOutcome time.Duration
	// MeanTalk is the mean h of the exponential talk time (no wrap).
	MeanTalk time.Duration
	// Cap is the abandon cap, abandoned / live answers, in [0, 1).
	Cap float64
	// MaxLinesPerAgent bounds the calls in flight by
	// floor(MaxLinesPerAgent × Agents); zero means DefaultMaxLinesPerAgent.
	MaxLinesPerAgent float64
	// Tolerance is the largest accepted gap between the occupancy returned
	// and the proven upper bound, in [1e-9, 0.1]; zero means DefaultTolerance.
	Tolerance float64
}

// Result is the optimum of a Markov twin at its abandon cap.
type Result struct {
	// OccupancyAtCap is the largest long-run occupancy E[b]/N of any dialing
	// policy whose long-run abandon rate is at most the cap. When it lies
	// between two deterministic policies it is reached by sharing time between
	// them (see Mix).
	OccupancyAtCap float64 `json:"occupancy_at_cap"`
	// AbandonRate is the long-run abandoned / live answers of that policy:
	// the cap itself when the constraint binds.
	AbandonRate float64 `json:"abandon_rate"`
	// Lambda is the Lagrange multiplier of the abandon constraint: the
	// objective it prices is occupancy − Lambda·(abandons − Cap·live
	// answers)·h/N per unit time (see the package comment). It is zero when
	// the cap does not bind, and for Cap = 0, which is answered without one.
	Lambda float64 `json:"lambda"`
	// Policy is the optimal deterministic policy that meets the cap, one row
	// per number of busy agents 0..N.
	Policy []PolicyRow `json:"policy"`
	// Iterations counts the Gauss–Seidel sweeps over the state space (of
	// values or of stationary masses) spent over all the multipliers tried:
	// the unit of work of the solver.
	Iterations int `json:"iterations"`

	// PolicyAbove is the deterministic policy, optimal at the same Lambda,
	// that exceeds the cap; nil when Policy alone attains the optimum.
	PolicyAbove []PolicyRow `json:"policy_above,omitempty"`
	// Mix is the long-run share of time given to PolicyAbove (the rest to
	// Policy) so that the abandon rate equals the cap; zero when PolicyAbove
	// is nil.
	Mix float64 `json:"mix"`
	// Bound is a proven upper bound on the optimal occupancy at the cap (the
	// Lagrangian dual value); Bound − OccupancyAtCap is at most the tolerance.
	Bound float64 `json:"bound"`
	// Multipliers counts the values of Lambda for which the Lagrangian
	// problem was solved.
	Multipliers int `json:"multipliers"`
	// Threshold reports whether Policy (and PolicyAbove) are threshold
	// policies: with b busy agents, dial up to the target and never more.
	// It has held on every Markov twin tried; when false, a row's Target is
	// the count chosen from zero calls in flight, and with more calls in
	// flight the policy may still top up further.
	Threshold bool `json:"threshold"`
}

// PolicyRow is the action of a threshold policy on one level: with Busy
// agents in a call, the dialer tops the calls in flight up to Target and
// places nothing when Target calls or more are already in flight.
type PolicyRow struct {
	Busy   int `json:"busy"`
	Target int `json:"target"`
}

// Targets returns a policy's targets by busy agents, the entries of the
// table pacing mode that runs it.
func Targets(rows []PolicyRow) []int {
	t := make([]int, len(rows))
	for i, r := range rows {
		t[i] = r.Target
	}
	return t
}

// Progressive returns the closed-form occupancy h / (h + r/p) of progressive
// dialing (one call in flight per idle agent), which never abandons: each
// agent alternates a geometric number of attempts of mean length r until a
// live answer, then a talk of mean h. It assumes at least one line per agent.
func Progressive(p Params) float64 {
	h := p.MeanTalk.Seconds()
	r := p.MeanOutcome.Seconds()
	return h / (h + r/p.LiveProb)
}

// Lines returns the most calls the twin may have in flight:
// floor(MaxLinesPerAgent × Agents), DefaultMaxLinesPerAgent lines an agent
// when MaxLinesPerAgent is zero.
func (p Params) Lines() int {
	lpa := p.MaxLinesPerAgent
	if lpa == 0 {
		lpa = DefaultMaxLinesPerAgent
	}
	return int(math.Floor(lpa*float64(p.Agents) + 1e-9))
}

// validate checks p and returns the model it describes and the tolerance.
func validate(p Params) (*model, float64, error) {
	if p.Agents < 1 {
		return nil, 0, apierr.Invalid("Agents", "must be at least 1, got %d", p.Agents)
	}
	if !(p.LiveProb > 0 && p.LiveProb <= 1) {
		return nil, 0, apierr.Invalid("LiveProb", "must be in (0, 1], got %g", p.LiveProb)
	}
	if p.MeanOutcome <= 0 {
		return nil, 0, apierr.Invalid("MeanOutcome", "must be positive, got %v", p.MeanOutcome)
	}
	if p.MeanTalk <= 0 {
		return nil, 0, apierr.Invalid("MeanTalk", "must be positive, got %v", p.MeanTalk)
	}
	if !(p.Cap >= 0 && p.Cap < 1) {
		return nil, 0, apierr.Invalid("Cap", "must be in [0, 1), got %g", p.Cap)
	}
	lpa := p.MaxLinesPerAgent
	if lpa == 0 {
		lpa = DefaultMaxLinesPerAgent
	}
	if !(lpa > 0) || math.IsInf(lpa, 0) {
		return nil, 0, apierr.Invalid("MaxLinesPerAgent", "must be positive, got %g", p.MaxLinesPerAgent)
	}
	lines := float64(p.Lines())
	if lines < 1 {
		return nil, 0, apierr.Invalid("MaxLinesPerAgent", "allows no line for %d agents (%g per agent)", p.Agents, lpa)
	}
	if (lines+1)*float64(p.Agents+1) > maxStates {
		return nil, 0, apierr.Invalid("Agents", "%d agents with %g lines give more than %d states", p.Agents, lines, maxStates)
	}
	tol := p.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	if !(tol >= 1e-9 && tol <= 0.1) {
		return nil, 0, apierr.Invalid("Tolerance", "must be in [1e-9, 0.1], got %g", p.Tolerance)
	}
	m := newModel(p.Agents, int(lines), p.LiveProb, p.MeanOutcome.Seconds(), p.MeanTalk.Seconds(), p.Cap)
	return m, tol, nil
}

// Evaluate returns the exact long-run occupancy E[b]/N and abandon rate
// (abandoned / live answers) of the threshold policy that, with b busy
// agents, tops the calls in flight up to target(b), clamped to [0, lines].
// The run starts from an empty floor. Params.Cap and Params.Tolerance are
// not used. It returns NaN, NaN when p is invalid; the abandon rate is 0 when
// the policy never dials.
func Evaluate(p Params, target func(busy int) int) (occ, abandon float64) {
	pc := p
	pc.Cap, pc.Tolerance = 0, 0
	m, _, err := validate(pc)
	if err != nil {
		return math.NaN(), math.NaN()
	}
	sv := newSolver(m)
	for b := 0; b <= m.n; b++ {
		t := min(max(target(b), 0), m.l)
		row := b * m.width
		for c := 0; c <= m.l; c++ {
			sv.act[row+c] = int32(max(c, t))
		}
	}
	if sv.act[0] == 0 {
		return 0, 0 // nothing is ever dialed from an empty floor
	}
	sv.plainStationary(sv.act, 50, 0)
	sv.ref = sv.argmaxPi()
	sv.solveStationary(sv.act)
	occ, live, ab := sv.measures()
	if live == 0 {
		return occ, 0
	}
	return occ, ab / live
}
