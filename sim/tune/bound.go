package tune

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/pacing/optimum"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
)

// BoundConfig asks for the optimum of a scenario's Markov twin
// (`outpace bound`).
type BoundConfig struct {
	// Cap is the abandon cap the optimum is solved at, in (0, 1).
	Cap float64
	// Tolerance is the largest accepted gap between the optimum found and
	// its proven upper bound, in [0, 1) (0: the solver's default).
	Tolerance float64
	// Exact refuses a scenario that is not itself a Markov twin, instead of
	// solving its derived twin.
	Exact bool
}

// BoundResult is the optimum of a scenario's Markov twin: the solver's
// result (occupancy_at_cap, abandon_rate, policy, …) with the cap and the
// twin, and with SimulateOptimum the optimal policy run in the simulator.
// It is the JSON of `outpace bound`.
type BoundResult struct {
	optimum.Result
	Cap float64 `json:"cap"`
	// ProgressiveOccupancy is the closed-form occupancy of progressive
	// dialing on the twin, for scale.
	ProgressiveOccupancy float64 `json:"progressive_occupancy"`
	Twin                 Twin    `json:"twin"`
	// SolveS is the solver's wall time in seconds.
	SolveS float64 `json:"solve_s"`
	// Simulated holds the optimal policy run through the simulator: Policy
	// first, then PolicyAbove when the optimum mixes them, then the mix.
	Simulated []Simulated `json:"simulated,omitempty"`
	// SimulateCap is the cap the simulated seeds were judged against.
	SimulateCap float64 `json:"simulate_cap,omitempty"`
}

// SolveBound solves the optimum of sc's Markov twin (MarkovTwin) at the
// configured cap. Bad settings, and with Exact a scenario that is not a
// Markov twin, are InvalidParams errors naming the setting.
func SolveBound(sc *sim.Scenario, cfg BoundConfig) (BoundResult, error) {
	switch {
	case !(cfg.Cap > 0 && cfg.Cap < 1):
		return BoundResult{}, apierr.Invalid("cap", "must be a fraction in (0, 1), such as 0.03 for 3 %%; got %v", cfg.Cap)
	case !(cfg.Tolerance >= 0 && cfg.Tolerance < 1):
		return BoundResult{}, apierr.Invalid("tolerance", "must be in [0, 1), got %v", cfg.Tolerance)
	}
	tw := MarkovTwin(sc)
	if cfg.Exact && !tw.Exact {
		return BoundResult{}, apierr.Invalid("exact", "%s is not a Markov twin:\n  %s", sc.Name, strings.Join(tw.Derivation[1:], "\n  "))
	}
	p := tw.Params(cfg.Cap)
	p.Tolerance = cfg.Tolerance
	start := time.Now()
	res, err := optimum.Solve(p)
	if err != nil {
		var e *apierr.Error
		if errors.As(err, &e) && e.Code == apierr.InvalidParams {
			if f, ok := twinFields[e.Field]; ok {
				return BoundResult{}, apierr.Invalid(f, "the Markov twin of %s: %s", sc.Name, e.Msg)
			}
		}
		return BoundResult{}, fmt.Errorf("solving the twin of %s: %w", sc.Name, err)
	}
	return BoundResult{Result: res, Cap: cfg.Cap, ProgressiveOccupancy: optimum.Progressive(p), Twin: tw,
		SolveS: time.Since(start).Seconds()}, nil
}

// twinFields names the scenario field behind each optimum.Params field, so
// that a twin the solver refuses is refused by the field the user set.
var twinFields = map[string]string{
	"Agents":           "agents.count",
	"LiveProb":         "outcomes.live",
	"MeanOutcome":      "timing",
	"MeanTalk":         "handling.talk",
	"MaxLinesPerAgent": "task.max_lines_per_agent",
}

// SimulateOptimum runs b's optimal policy through the simulator as the
// table pacing mode on n seeds (Simulate) and judges it against the
// tuner's cap: the policy, then, when the optimum mixes two, the policy
// above it and the mix itself (table_above and table_mix). It sets
// b.Simulated and b.SimulateCap.
func (t *Tuner) SimulateOptimum(sc *sim.Scenario, b *BoundResult, n int) error {
	if err := t.init(); err != nil {
		return err
	}
	cfg := sc.Task.Pacing
	cfg.Mode = records.ModeTable
	runs := []records.PacingConfig{cfg}
	runs[0].Table = optimum.Targets(b.Policy)
	if b.PolicyAbove != nil {
		above, mix := runs[0], runs[0]
		above.Table = optimum.Targets(b.PolicyAbove)
		mix.TableAbove, mix.TableMix = above.Table, b.Mix
		runs = append(runs, above)
		if b.Mix > 0 && b.Mix < 1 {
			runs = append(runs, mix)
		}
	}
	b.Simulated = b.Simulated[:0]
	for _, cfg := range runs {
		s, err := t.Simulate(sc, cfg, n)
		if err != nil {
			return fmt.Errorf("simulating the optimal policy on %s: %w", sc.Name, err)
		}
		b.Simulated = append(b.Simulated, s)
	}
	b.SimulateCap = t.Cap
	return nil
}

// ExactOptimum returns the optimal occupancy at cap of sc when sc is itself
// a Markov twin, so that the optimum bounds every pacer on it; false when
// it is not or the solver fails.
func ExactOptimum(sc *sim.Scenario, cap float64) (float64, bool) {
	tw := MarkovTwin(sc)
	if !tw.Exact {
		return 0, false
	}
	b, err := Bound(tw, cap)
	if err != nil {
		return 0, false
	}
	return b.OccupancyAtCap, true
}
