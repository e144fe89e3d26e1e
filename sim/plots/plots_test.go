package plots

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/pacing/optimum"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/sim/tune"
)

const scenario = `
name: plots
seed: 1
duration: 2h
warmup: 5m
agents: {count: 10}
outcomes: {live: 0.3, machine: 0.25, no_answer: 0.3, busy: 0.05, invalid: 0.1}
handling:
  talk: {dist: lognormal, mean: 150s, cv: 1.0}
  wrap: {dist: lognormal, mean: 20s, cv: 0.5}
task:
  pacing: {mode: ratio, ratio: "2:5"}
report: {slice: 10m}
`

func TestRunChart(t *testing.T) {
	sc, err := sim.ParseScenario([]byte(scenario), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sc, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	drawn(t, func(f string) (io.WriterTo, error) { return RunChart(r, f) })
	if _, err := RunChart(r, "gif"); err == nil || !strings.Contains(err.Error(), "gif") {
		t.Errorf("gif: %v", err)
	}
	if _, err := RunChart(&sim.Report{}, "png"); err == nil {
		t.Error("a report without slices was drawn")
	}
}

func TestFrontierCharts(t *testing.T) {
	sc, err := sim.ParseScenario([]byte(scenario), []string{"duration=1h"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tu := &tune.Tuner{Seeds: 2, Optimum: func(tune.Twin, float64) (float64, error) { return 0.9, nil }}
	c, err := tu.Compare(sc, []records.PacingMode{records.ModeProgressive, records.ModeRatio})
	if err != nil {
		t.Fatal(err)
	}
	opt := 0.9
	c.Optimum = &opt // draw the optimum line even though this is no Markov twin
	drawn(t, func(f string) (io.WriterTo, error) { return ComparisonChart(c, f) })
	drawn(t, func(f string) (io.WriterTo, error) { return SweepChart(c.Scenario, c.Modes[1].Sweep, 0, f) })
	// An empty chart still draws.
	if _, err := FrontierChart("empty", nil, 0.03, 0, "svg"); err != nil {
		t.Fatal(err)
	}
}

// drawn renders a chart as PNG and as SVG and checks each.
func drawn(t *testing.T, render func(format string) (io.WriterTo, error)) {
	t.Helper()
	for _, format := range []string{"png", "svg"} {
		wt, err := render(format)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := wt.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		check(t, format, b.Bytes())
	}
}

func check(t *testing.T, format string, data []byte) {
	t.Helper()
	switch format {
	case "png":
		if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) || len(data) < 5000 {
			t.Errorf("not a PNG (%d bytes)", len(data))
		}
	case "svg":
		if !bytes.Contains(data[:min(len(data), 500)], []byte("<svg")) || !bytes.Contains(data, []byte("occupancy")) {
			t.Errorf("not an SVG chart (%d bytes)", len(data))
		}
	}
}

func TestPolicyChart(t *testing.T) {
	// Five agents at a 5 % cap, as small as a twin gets, solved for real.
	res, err := optimum.Solve(optimum.Params{Agents: 5, LiveProb: 0.35, MeanOutcome: 15 * time.Second,
		MeanTalk: 135 * time.Second, Cap: 0.05, Tolerance: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	drawn(t, func(f string) (io.WriterTo, error) { return PolicyChart("five agents", res, 15, f) })
	// Without the policy above, and without a line limit.
	one := res
	one.PolicyAbove, one.Mix = nil, 0
	if _, err := PolicyChart("one policy", one, 0, "svg"); err != nil {
		t.Fatal(err)
	}
	if _, err := PolicyChart("none", optimum.Result{}, 15, "png"); err == nil {
		t.Error("an empty policy was drawn")
	}
	if _, err := PolicyChart("gif", res, 15, "gif"); err == nil {
		t.Error("a gif was drawn")
	}
}

// OptimumChart titles the policy of a scenario's twin with the scenario and
// the cap, and says when the twin is derived.
func TestOptimumChart(t *testing.T) {
	sc, err := sim.ParseScenario([]byte(scenario), []string{"agents.count=4"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tune.SolveBound(sc, tune.BoundConfig{Cap: 0.05, Tolerance: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	wt, err := OptimumChart(sc.Name, b, "svg")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := wt.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "plots (derived twin): the optimal policy at a 5 % cap") {
		t.Errorf("title missing from the chart (%d bytes)", out.Len())
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]string{"a.png": "png", "dir.x/B.SVG": "svg", "c.pdf": "pdf", "d.gif": "", "png": ""} {
		got, err := FormatOf(path)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("%s: %q, %v; want %q", path, got, err, want)
		}
		if err != nil && !strings.Contains(err.Error(), "plot") {
			t.Errorf("%s: error %v does not name the plot", path, err)
		}
	}
}
