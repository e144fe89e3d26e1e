package tune

import (
	"math"
	"testing"

	"github.com/outpace-dev/outpace/apierr"
)

// TestTunerNumbers: a Tuner refuses a NaN or out-of-range cap, a single
// evaluation seed (no confidence interval), and absurd seed and worker
// counts, naming the setting.
func TestTunerNumbers(t *testing.T) {
	for _, tu := range []*Tuner{
		{Cap: math.NaN()}, {Cap: math.Inf(1)}, {Cap: 1.5},
		{Seeds: -1}, {Seeds: EvalSeedOffset},
		{EvalSeeds: 1}, {EvalSeeds: -2}, {EvalSeeds: MaxEvalSeeds + 1},
		{Workers: -1}, {Workers: MaxWorkers + 1},
	} {
		if err := tu.Check(); apierr.CodeOf(err) != apierr.InvalidParams {
			t.Errorf("%+v: err = %v, want InvalidParams", tu, err)
		}
	}
	if err := (&Tuner{EvalSeeds: 2, Workers: 1}).Check(); err != nil {
		t.Errorf("two evaluation seeds: %v", err)
	}
}
