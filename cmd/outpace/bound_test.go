package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestBound(t *testing.T) {
	path := writeScenario(t, tinyMarkov)
	out, _, err := outpace(t, "bound", "-s", path, "--json", "--tolerance", "1e-4")
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Occ    *float64 `json:"occupancy_at_cap"`
		Ab     *float64 `json:"abandon_rate"`
		Policy []struct {
			Busy, Target int
		} `json:"policy"`
		PolicyAbove []struct{} `json:"policy_above"`
		Mix         float64    `json:"mix"`
		Twin        struct {
			Exact bool `json:"exact"`
		} `json:"twin"`
		Progressive float64 `json:"progressive_occupancy"`
	}
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatal(err)
	}
	if b.Occ == nil || b.Ab == nil || len(b.Policy) != 4 || !b.Twin.Exact {
		t.Fatalf("bound %s", out)
	}
	if *b.Occ < b.Progressive || *b.Occ > 1 || *b.Ab > 0.03+1e-9 {
		t.Errorf("optimum %.4f at abandon %.4f; progressive %.4f", *b.Occ, *b.Ab, b.Progressive)
	}

	// A realistic scenario gets a derived twin, said so; --exact refuses it.
	text, _, err := outpace(t, "bound", "-s", writeScenario(t, strings.Replace(tiny, "count: 10", "count: 3", 1)), "--tolerance", "1e-4")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "not a Markov twin") || !strings.Contains(text, "derived twin") {
		t.Errorf("realistic bound output:\n%s", text)
	}
	if _, _, err := outpace(t, "bound", "-s", writeScenario(t, tiny), "--exact"); err == nil || !strings.Contains(err.Error(), "--exact") {
		t.Errorf("--exact on a realistic scenario: %v", err)
	}
}

// --simulate runs the optimal policy (and the policy above it, when the
// optimum mixes two) through the simulator and judges it against the cap.
func TestBoundSimulate(t *testing.T) {
	path := writeScenario(t, tinyMarkov)
	out, _, err := outpace(t, "bound", "-s", path, "--json", "--tolerance", "1e-4", "--simulate", "3", "--simulate-cap", "0.05", "-q")
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Policy []struct {
			Busy, Target int
		} `json:"policy"`
		PolicyAbove []struct{} `json:"policy_above"`
		Mix         float64    `json:"mix"`
		Simulated   []struct {
			Setting   string `json:"setting"`
			Occupancy struct {
				Mean float64 `json:"mean"`
				N    int     `json:"n"`
			} `json:"occupancy"`
			Breaches   int     `json:"breaches"`
			FreshWorst float64 `json:"fresh_worst"`
			Fair       bool    `json:"fair"`
		} `json:"simulated"`
		SimulateCap float64 `json:"simulate_cap"`
	}
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Simulated) == 0 || b.SimulateCap != 0.05 {
		t.Fatalf("bound --simulate: %s", out)
	}
	want := "table="
	for i, r := range b.Policy {
		if i > 0 {
			want += ","
		}
		want += strconv.Itoa(r.Target)
	}
	s := b.Simulated[0]
	if s.Setting != want || s.Occupancy.N != 3 || s.Occupancy.Mean <= 0 || s.FreshWorst <= 0 ||
		s.Fair != (s.Breaches == 0 && s.FreshWorst <= b.SimulateCap) {
		t.Errorf("simulated %+v, want the setting %s on 3 seeds", s, want)
	}
	// A mixed optimum runs its two policies, then the mix itself.
	runs := 1
	if len(b.PolicyAbove) > 0 {
		runs = 2
		if b.Mix > 0 && b.Mix < 1 {
			runs = 3
		}
	}
	if len(b.Simulated) != runs {
		t.Errorf("%d runs simulated, want %d (mix %v)", len(b.Simulated), runs, b.Mix)
	} else if runs == 3 && !strings.HasPrefix(b.Simulated[2].Setting, want+" above=") {
		t.Errorf("the mix runs %q, want the policy with the one above", b.Simulated[2].Setting)
	}

	text, _, err := outpace(t, "bound", "-s", path, "--tolerance", "1e-4", "--simulate", "2", "-q")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "the optimal policy in the simulator, 2 seeds") {
		t.Errorf("bound --simulate text:\n%s", text)
	}
	if _, _, err := outpace(t, "bound", "-s", path, "--simulate", "-1"); err == nil || !strings.Contains(err.Error(), "--simulate") {
		t.Errorf("--simulate -1: %v", err)
	}
}

// --plot draws the optimal policy; a file name without a chart format is
// refused before anything is solved.
func TestBoundPlot(t *testing.T) {
	path := writeScenario(t, tinyMarkov)
	out := filepath.Join(t.TempDir(), "policy.svg")
	if _, _, err := outpace(t, "bound", "-s", path, "--tolerance", "1e-4", "--plot", out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "<svg") || !strings.Contains(string(data), "optimal policy") {
		t.Errorf("not a policy chart (%d bytes)", len(data))
	}
	if _, _, err := outpace(t, "bound", "-s", path, "--plot", "policy.gif"); err == nil || !strings.Contains(err.Error(), "--plot") {
		t.Errorf("--plot policy.gif: %v", err)
	}
}
