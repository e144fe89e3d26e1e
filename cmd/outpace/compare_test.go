package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCompareJSONAndTable(t *testing.T) {
	path := writeScenario(t, tiny)
	svg := filepath.Join(t.TempDir(), "compare.svg")
	out, _, err := outpace(t, "compare", "-s", path, "--modes", "progressive,ratio,closedform", "--seeds", "2", "--eval-seeds", "3", "--json", "-q", "--plot", svg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cap", "evaluation_seeds", "modes", "scenario", "tuning_seeds", "markov_twin"} {
		if !slices.Contains(keys(t, []byte(out)), want) {
			t.Errorf("comparison lacks %q", want)
		}
	}
	var c struct {
		EvalSeeds []uint64 `json:"evaluation_seeds"`
		Optimum   *float64 `json:"optimum_occupancy"`
		Modes     []struct {
			Mode      string `json:"mode"`
			Setting   string `json:"setting"`
			Occupancy struct {
				Mean, CI95 float64
				N          int
			} `json:"occupancy"`
			AbandonRate struct{ Mean, CI95 float64 } `json:"abandon_rate"`
			Frontier    []json.RawMessage            `json:"frontier"`
		} `json:"modes"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Modes) != 3 || c.Optimum != nil || !slices.Equal(c.EvalSeeds, []uint64{101, 102, 103}) {
		t.Fatalf("comparison %+v", c)
	}
	for _, m := range c.Modes {
		if m.Setting == "" || m.Occupancy.N != 3 || m.Occupancy.Mean <= 0 || len(m.Frontier) == 0 {
			t.Errorf("mode %+v", m)
		}
	}
	if data, err := os.ReadFile(svg); err != nil || !strings.Contains(string(data[:min(len(data), 400)]), "<svg") {
		t.Errorf("no SVG chart written (%v)", err)
	}

	text, _, err := outpace(t, "compare", "-s", path, "--modes", "progressive,ratio", "--seeds", "2", "--eval-seeds", "3", "-q")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mode", "occupancy", "progressive", "ratio", "±", "not a Markov twin"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
}
