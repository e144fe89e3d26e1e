package main

import (
	"encoding/json"
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
		Twin struct {
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
