package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// compare wires its flags to tune.Compare, the comparison chart and the
// text; what they compute is tested in sim/tune and sim/plots.
func TestCompare(t *testing.T) {
	path := writeScenario(t, tiny)
	svg := filepath.Join(t.TempDir(), "compare.svg")
	out, _, err := outpace(t, "compare", "-s", path, "--modes", "progressive,ratio", "--seeds", "1", "--eval-seeds", "2", "--json", "-q", "--plot", svg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cap", "evaluation_seeds", "modes", "scenario", "tuning_seeds", "markov_twin"} {
		if !slices.Contains(keys(t, []byte(out)), want) {
			t.Errorf("comparison lacks %q", want)
		}
	}
	var c struct {
		EvalSeeds []uint64          `json:"evaluation_seeds"`
		Modes     []json.RawMessage `json:"modes"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil || !slices.Equal(c.EvalSeeds, []uint64{101, 102}) || len(c.Modes) != 2 {
		t.Errorf("seeds or modes not passed through:\n%.600s", out)
	}
	if data, err := os.ReadFile(svg); err != nil || !strings.Contains(string(data[:min(len(data), 400)]), "<svg") {
		t.Errorf("no SVG chart written (%v)", err)
	}
	text, _, err := outpace(t, "compare", "-s", path, "--modes", "ratio", "--seeds", "1", "--eval-seeds", "2", "-q")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "small, 10 agents: cap 3 %") || !strings.Contains(text, "±") {
		t.Errorf("compare text:\n%s", text)
	}
}
