package tune

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
)

// The optimum of a Markov twin bounds progressive dialing and stays at the
// cap; a realistic scenario gets a derived twin, said so, which Exact
// refuses; bad settings are refused by name.
func TestSolveBound(t *testing.T) {
	sc := parse(t, fixture("tiny-markov.yaml"))
	b, err := SolveBound(sc, BoundConfig{Cap: 0.03, Tolerance: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Policy) != 4 || !b.Twin.Exact || b.Cap != 0.03 {
		t.Fatalf("bound %+v", b)
	}
	if b.OccupancyAtCap < b.ProgressiveOccupancy || b.OccupancyAtCap > 1 || b.AbandonRate > 0.03+1e-9 {
		t.Errorf("optimum %.4f at abandon %.4f; progressive %.4f", b.OccupancyAtCap, b.AbandonRate, b.ProgressiveOccupancy)
	}
	var text bytes.Buffer
	if err := b.WriteText(&text, sc.Name, true); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tiny-markov is a Markov twin", "optimal occupancy at a 3 % cap", "b=  0 → ", "b=  3 → "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}

	small := parse(t, small, "agents.count=3")
	d, err := SolveBound(small, BoundConfig{Cap: 0.03, Tolerance: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	_ = d.WriteText(&text, small.Name, false)
	if d.Twin.Exact || !strings.Contains(text.String(), "not a Markov twin") || !strings.Contains(text.String(), "derived twin") {
		t.Errorf("realistic bound:\n%s", text.String())
	}
	for _, c := range []struct {
		cfg   BoundConfig
		field string
	}{
		{BoundConfig{Cap: 0.03, Exact: true}, "exact"},
		{BoundConfig{Cap: 3}, "cap"},
		{BoundConfig{Cap: 0.03, Tolerance: -1}, "tolerance"},
	} {
		var e *apierr.Error
		if _, err := SolveBound(small, c.cfg); !errors.As(err, &e) || e.Field != c.field {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.field)
		}
	}
	// A twin too large to solve is refused by the scenario field behind it.
	var e *apierr.Error
	huge := parse(t, fixture("tiny-markov.yaml"), "agents.count=100000")
	if _, err := SolveBound(huge, BoundConfig{Cap: 0.03}); !errors.As(err, &e) || e.Field != "agents.count" {
		t.Errorf("a twin of 100000 agents: error %v, want one naming agents.count", err)
	}
}

// SimulateOptimum runs the policy, and, when the optimum mixes two, the
// policy above and the mix, each judged against the tuner's cap.
func TestSimulateOptimum(t *testing.T) {
	sc := parseMarkov(t) // its optimum at 2.8 % mixes two policies
	for _, cap := range []float64{0.03, 0.028} {
		b, err := SolveBound(sc, BoundConfig{Cap: cap, Tolerance: 1e-4})
		if err != nil {
			t.Fatal(err)
		}
		if err := (&Tuner{Cap: 0.05, Seeds: 1}).SimulateOptimum(sc, &b, 3); err != nil {
			t.Fatal(err)
		}
		runs := 1
		if b.PolicyAbove != nil {
			runs = 2
			if b.Mix > 0 && b.Mix < 1 {
				runs = 3
			}
		}
		if cap == 0.028 && runs != 3 {
			t.Errorf("the optimum at 2.8 %% should mix two policies, got mix %v", b.Mix)
		}
		if len(b.Simulated) != runs || b.SimulateCap != 0.05 {
			t.Fatalf("cap %v: %d runs judged at %v, want %d at 0.05 (mix %v)", cap, len(b.Simulated), b.SimulateCap, runs, b.Mix)
		}
		s := b.Simulated[0]
		if want := "table=" + pacing.FormatTable(optimumTargets(b)); s.Setting != want || s.Occupancy.N != 3 || s.Occupancy.Mean <= 0 ||
			s.Fair != (s.Breaches == 0 && s.FreshWorst <= 0.05) {
			t.Errorf("simulated %+v, want the setting %s on 3 seeds", s, want)
		}
		if runs == 3 && !strings.HasPrefix(b.Simulated[2].Setting, s.Setting+" above=") {
			t.Errorf("the mix runs %q, want the policy with the one above", b.Simulated[2].Setting)
		}
		var text bytes.Buffer
		_ = b.WriteText(&text, sc.Name, false)
		if !strings.Contains(text.String(), "the optimal policy in the simulator, 3 seeds") {
			t.Errorf("text:\n%s", text.String())
		}
	}
}

func optimumTargets(b BoundResult) []int {
	out := make([]int, len(b.Policy))
	for i, r := range b.Policy {
		out[i] = r.Target
	}
	return out
}

// The text of a sweep marks the best setting and the frontier and says how
// to run the best; that of a comparison has a row per mode.
func TestWriteText(t *testing.T) {
	sc := parse(t, small)
	res, err := (&Tuner{Seeds: 2}).SweepGrid(sc, ratioGrid(t, sc, 0.03))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := res.WriteText(&b, sc.Name, 0.9); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{"small: ratio, ratio swept on seeds 1–2, cap 3 %", "best: " + res.Best.Setting,
		"  run it: --set task.pacing.mode=ratio --set task.pacing.ratio=" + res.Best.Setting, "optimum of this Markov twin at the cap: 90.00 %"} {
		if !strings.Contains(text, want) {
			t.Errorf("sweep text lacks %q:\n%s", want, text)
		}
	}
	var rows []string
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(strings.TrimLeft(line, " *+")); len(f) > 2 && f[2] == "%" {
			rows = append(rows, f[0])
		}
	}
	if got := strings.Join(rows, " "); !strings.HasPrefix(got, "1:1 5:7") {
		t.Errorf("rows %q", got)
	}

	c, err := (&Tuner{Seeds: 1, EvalSeeds: 2}).Compare(sc, []records.PacingMode{records.ModeProgressive, records.ModeRatio, "nonsense"})
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := c.WriteText(&b, sc.Agents.Count); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"small, 10 agents: cap 3 %, tuned on seeds 1, evaluated on seeds 101–102", "not a Markov twin",
		"progressive", "ratio", "±", "nonsense: not compared: "} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("comparison text lacks %q:\n%s", want, b.String())
		}
	}
}
