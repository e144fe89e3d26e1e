package tune

import (
	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
)

// Simulated is one pacing configuration run on several seeds and judged
// against the Tuner's cap by the rule of a fair setting.
type Simulated struct {
	Setting           string   `json:"setting"`
	Occupancy         Estimate `json:"occupancy"`
	AbandonRate       Estimate `json:"abandon_rate"`
	MaxAbandonRate24h Estimate `json:"max_abandon_rate_24h"`
	// Breaches counts the seeds whose worst 24 h window is over the cap.
	Breaches int `json:"breaches"`
	// FreshWorst is the 95 % upper prediction bound of a fresh seed's worst
	// window (FreshBound).
	FreshWorst float64 `json:"fresh_worst"`
	// Fair is the rule of a fair setting: at most one seed in twenty over
	// the cap, and FreshWorst at or under it.
	Fair bool `json:"fair"`
}

// Simulate runs cfg on n seeds from the scenario's (s, s+1, …, the tuning
// seeds of a sweep). It is how `outpace bound --simulate` runs the optimal
// policy of a Markov twin through the simulator.
func (t *Tuner) Simulate(sc *sim.Scenario, cfg records.PacingConfig, n int) (Simulated, error) {
	if err := t.init(); err != nil {
		return Simulated{}, err
	}
	if n < 1 || n > MaxEvalSeeds {
		return Simulated{}, apierr.Invalid("seeds", "must be 1–%d, got %d", MaxEvalSeeds, n)
	}
	t.pool.plan(n)
	reps, err := t.pool.run(sc, []records.PacingConfig{cfg}, seeds(sc.Seed, n))
	if err != nil {
		return Simulated{}, err
	}
	s := judge(reps[0], t.Cap)
	s.Setting = sim.Setting(cfg)
	return s, nil
}

// judge summarises the runs of one setting against cap: the means of
// occupancy, abandon rate and worst window, the seeds over the cap, and
// whether the setting is fair. It is the one place the rule is applied.
func judge(rs []*sim.Report, cap float64) Simulated {
	var s Simulated
	for _, r := range rs {
		if r.MaxAbandonRate24h > cap {
			s.Breaches++
		}
	}
	worst := field(rs, func(r *sim.Report) float64 { return r.MaxAbandonRate24h })
	s.FreshWorst = FreshBound(worst)
	s.Fair = Fair(s.Breaches, len(rs)) && s.FreshWorst <= cap
	s.Occupancy = estimate(field(rs, func(r *sim.Report) float64 { return r.Occupancy }))
	s.AbandonRate = estimate(field(rs, func(r *sim.Report) float64 { return r.AbandonRate }))
	s.MaxAbandonRate24h = estimate(worst)
	return s
}
