package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bound wires its flags to tune.SolveBound, SimulateOptimum and the policy
// chart; what they compute is tested in sim/tune and sim/plots.
func TestBound(t *testing.T) {
	path := writeScenario(t, tinyMarkov)
	svg := filepath.Join(t.TempDir(), "policy.svg")
	out, _, err := outpace(t, "bound", "-s", path, "--json", "--tolerance", "1e-4", "--cap", "0.028",
		"--simulate", "2", "--simulate-cap", "0.05", "-q", "--plot", svg)
	if err != nil {
		t.Fatal(err)
	}
	ks := strings.Join(keys(t, []byte(out)), ",")
	for _, want := range []string{"cap", "occupancy_at_cap", "policy", "progressive_occupancy", "simulate_cap", "simulated", "twin"} {
		if !strings.Contains(","+ks+",", ","+want+",") {
			t.Errorf("bound --json lacks %q: %s", want, ks)
		}
	}
	if !strings.Contains(out, `"cap": 0.028`) || !strings.Contains(out, `"simulate_cap": 0.05`) {
		t.Errorf("caps not passed through:\n%s", out)
	}
	if data, err := os.ReadFile(svg); err != nil || !strings.Contains(string(data), "optimal policy") {
		t.Errorf("no policy chart written (%v)", err)
	}
	text, _, err := outpace(t, "bound", "-s", path, "--tolerance", "1e-4", "--policy")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "is a Markov twin") || !strings.Contains(text, "b=  3 → ") {
		t.Errorf("bound text:\n%s", text)
	}
}

// A scenario whose twin is too large to solve is refused by the scenario
// field, not by a flag that does not exist.
func TestBoundTooLarge(t *testing.T) {
	path := writeScenario(t, tinyMarkov)
	_, _, err := outpace(t, "bound", "-s", path, "--set", "agents.count=100000")
	if err == nil || !strings.Contains(err.Error(), "agents.count") || strings.Contains(err.Error(), "--") {
		t.Fatalf("error %v, want one naming agents.count", err)
	}
}
