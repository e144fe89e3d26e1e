package tune

import (
	"errors"
	"fmt"
	"sync"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
)

// Comparison sets pacing modes side by side on one scenario, each fairly
// tuned to the same cap and then evaluated on fresh seeds.
type Comparison struct {
	Scenario    string   `json:"scenario"`
	Cap         float64  `json:"cap"`
	TuningSeeds []uint64 `json:"tuning_seeds"`
	EvalSeeds   []uint64 `json:"evaluation_seeds"`
	// Twin is the scenario's Markov twin; Optimum is set only when the
	// scenario is its own twin (Twin.Exact), and every gap is measured to it.
	Twin *Twin `json:"markov_twin,omitempty"`
	// Optimum is the optimal occupancy at the cap of the Markov twin.
	Optimum *float64 `json:"optimum_occupancy,omitempty"`
	// OptimumError says why the optimum is missing on a Markov scenario.
	OptimumError string       `json:"optimum_error,omitempty"`
	Modes        []ModeResult `json:"modes"`
}

// ModeResult is one mode of a comparison, evaluated at its tuned setting.
type ModeResult struct {
	Mode    records.PacingMode `json:"mode"`
	Setting string             `json:"setting"`
	// Fair is false when no setting met the cap on the tuning seeds.
	Fair bool `json:"fair"`
	// Error is set when the mode could not run; the other fields are then empty.
	Error string `json:"error,omitempty"`

	// Means over the evaluation seeds, with 95 % confidence intervals.
	Occupancy   Estimate `json:"occupancy"`
	AbandonRate Estimate `json:"abandon_rate"`
	// MaxAbandonRate24h is the worst rolling 24 h window of each seed.
	MaxAbandonRate24h Estimate `json:"max_abandon_rate_24h"`
	// Breaches counts the evaluation seeds whose worst window is over the cap.
	Breaches             int     `json:"breaches"`
	TalkMinPerAgentHour  float64 `json:"talk_min_per_agent_hour"`
	ConnectsPerAgentHour float64 `json:"connects_per_agent_hour"`
	DialsPerAgentHour    float64 `json:"dials_per_agent_hour"`
	// GapToOptimum is 1 − occupancy / optimum, when the optimum is known.
	GapToOptimum *float64 `json:"gap_to_optimum,omitempty"`

	// Frontier is the tuning sweep's frontier.
	Frontier []FrontierPoint `json:"frontier"`
	// Report is the mean report over the evaluation seeds.
	Report *sim.Report `json:"report,omitempty"`

	// Sweep is the whole tuning sweep.
	Sweep Result `json:"-"`
}

// Compare tunes every mode of modes (nil: Modes) fairly to cap on seeds tuning
// seeds (0: DefaultSeeds), then evaluates each best setting on
// max(DefaultEvalSeeds, seeds) fresh seeds. progress may be nil.
func Compare(sc *sim.Scenario, modes []records.PacingMode, cap float64, seeds int, progress func(done, total int)) (Comparison, error) {
	if seeds == 0 {
		seeds = DefaultSeeds
	}
	t := &Tuner{Cap: cap, Seeds: seeds, EvalSeeds: max(DefaultEvalSeeds, seeds), Progress: progress}
	return t.Compare(sc, modes)
}

// Compare tunes and evaluates every mode of modes (nil: Modes). The modes run
// concurrently on the tuner's pool. A mode that fails (for instance one that
// is not available) is reported with its error; Compare itself fails only if
// every mode does.
func (t *Tuner) Compare(sc *sim.Scenario, modes []records.PacingMode) (Comparison, error) {
	if err := t.init(); err != nil {
		return Comparison{}, err
	}
	if len(modes) == 0 {
		modes = Modes
	}
	c := Comparison{
		Scenario:    sc.Name,
		Cap:         t.Cap,
		TuningSeeds: seeds(sc.Seed, t.Seeds),
		EvalSeeds:   seeds(sc.Seed+EvalSeedOffset, t.EvalSeeds),
		Modes:       make([]ModeResult, len(modes)),
	}
	tw := MarkovTwin(sc)
	c.Twin = &tw

	var wg sync.WaitGroup
	if tw.Exact {
		wg.Add(1)
		go func() {
			defer wg.Done()
			solve := t.Optimum
			if solve == nil {
				solve = func(tw Twin, cap float64) (float64, error) {
					res, err := Bound(tw, cap)
					return res.OccupancyAtCap, err
				}
			}
			occ, err := solve(tw, t.Cap)
			if err != nil {
				c.OptimumError = err.Error()
				return
			}
			c.Optimum = &occ
		}()
	}
	errs := make([]error, len(modes))
	for i, m := range modes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Modes[i], errs[i] = t.evaluate(sc, m, c.EvalSeeds)
			if errs[i] != nil {
				c.Modes[i] = ModeResult{Mode: m, Error: errs[i].Error()}
			}
		}()
	}
	wg.Wait()
	if c.Optimum != nil {
		for i := range c.Modes {
			m := &c.Modes[i]
			if m.Error == "" && *c.Optimum > 0 {
				gap := 1 - m.Occupancy.Mean / *c.Optimum
				m.GapToOptimum = &gap
			}
		}
	}
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
		}
	}
	if failed == len(modes) {
		return c, fmt.Errorf("no mode could run on %s: %w", sc.Name, errors.Join(errs...))
	}
	return c, nil
}

// evaluate tunes one mode and runs its best setting on the evaluation seeds.
func (t *Tuner) evaluate(sc *sim.Scenario, mode records.PacingMode, eval []uint64) (ModeResult, error) {
	sw, err := t.Sweep(sc, mode)
	if err != nil {
		return ModeResult{}, err
	}
	t.pool.plan(len(eval))
	reps, err := t.pool.run(sc, []records.PacingConfig{sw.Best.Config}, eval)
	if err != nil {
		return ModeResult{}, err
	}
	rs := reps[0]
	mr := ModeResult{
		Mode:     mode,
		Setting:  sw.Best.Setting,
		Fair:     sw.Best.Fair,
		Frontier: sw.Frontier,
		Sweep:    sw,
	}
	for _, r := range rs {
		r.Setting = sw.Best.Setting
	}
	j := judge(rs, t.Cap)
	mr.Breaches, mr.Occupancy, mr.AbandonRate, mr.MaxAbandonRate24h = j.Breaches, j.Occupancy, j.AbandonRate, j.MaxAbandonRate24h
	mr.Report = meanReport(rs)
	mr.TalkMinPerAgentHour = mr.Report.TalkMinPerAgentHour
	mr.ConnectsPerAgentHour = mr.Report.ConnectsPerAgentHour
	mr.DialsPerAgentHour = mr.Report.DialsPerAgentHour
	return mr, nil
}
