package tune

import (
	"math"
	"strings"
	"testing"

	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/pacing/optimum"
	"github.com/outpace-dev/outpace/records"
)

// The optimal policy of a Markov twin, run through the simulator as the table
// mode, gives the occupancy and abandon rate the decision process computes
// for it: the simulator and the solver agree on what the optimum is.
func TestSimulateOptimalPolicy(t *testing.T) {
	sc := parseMarkov(t, "duration=2000h")
	tw := MarkovTwin(sc)
	res, err := Bound(tw, 0.03)
	if err != nil {
		t.Fatal(err)
	}
	table := optimum.Targets(res.Policy)
	wantOcc, wantAb := optimum.Evaluate(tw.Params(0.03), func(b int) int { return table[b] })

	tu := &Tuner{Cap: 0.03}
	cfg := records.PacingConfig{Mode: records.ModeTable, Table: table}
	s, err := tu.Simulate(sc, cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	if s.Occupancy.N != 4 || s.Setting != "table="+pacing.FormatTable(table) {
		t.Fatalf("simulated %+v", s)
	}
	if math.Abs(s.Occupancy.Mean-wantOcc) > 0.004 || math.Abs(s.AbandonRate.Mean-wantAb) > 0.002 {
		t.Errorf("policy %v: simulated occupancy %.4f at %.2f %%, the solver says %.4f at %.2f %%",
			table, s.Occupancy.Mean, 100*s.AbandonRate.Mean, wantOcc, 100*wantAb)
	}
	if s.Fair != Fair(s.Breaches, 4) {
		t.Errorf("fair %v with %d breaches of 2", s.Fair, s.Breaches)
	}
	for _, n := range []int{0, -3, MaxEvalSeeds + 1} {
		if _, err := tu.Simulate(sc, cfg, n); err == nil {
			t.Errorf("Simulate on %d seeds: no error", n)
		}
	}
}

// The optimum at a cap of 2.8 % mixes two policies, 57 % of the time on the
// one above; the table mode's time-sharing of them (table_above, table_mix)
// gives, over a long run, the occupancy the solver computes at the cap, at
// the cap.
func TestSimulateOptimalMix(t *testing.T) {
	const cap = 0.028
	sc := parseMarkov(t, "duration=2000h")
	res, err := Bound(MarkovTwin(sc), cap)
	if err != nil {
		t.Fatal(err)
	}
	if res.PolicyAbove == nil || !(res.Mix > 0 && res.Mix < 1) {
		t.Fatalf("the fixture's optimum at 2.8 %% should mix two policies, got mix %v", res.Mix)
	}
	cfg := records.PacingConfig{Mode: records.ModeTable, Table: optimum.Targets(res.Policy), TableAbove: optimum.Targets(res.PolicyAbove), TableMix: res.Mix}
	s, err := (&Tuner{Cap: cap}).Simulate(sc, cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.Occupancy.Mean-res.OccupancyAtCap) > 0.004 || math.Abs(s.AbandonRate.Mean-cap) > 0.001 {
		t.Errorf("the mix (%.3f above): simulated occupancy %.4f at %.2f %%, the solver says %.4f at %.2f %%",
			res.Mix, s.Occupancy.Mean, 100*s.AbandonRate.Mean, res.OccupancyAtCap, 100*cap)
	}
	if !strings.Contains(s.Setting, " above=") || !strings.Contains(s.Setting, " mix=") {
		t.Errorf("setting %q does not name the mix", s.Setting)
	}
}
