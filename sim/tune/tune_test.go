package tune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
)

// small (10 agents, one hour) and, through parseMarkov, tiny-markov (here on 4
// agents with 3 lines each) are the simulator's test scenarios in sim/testdata.
var small = fixture("small.yaml")

func fixture(name string) string {
	data, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		panic(err)
	}
	return string(data)
}

func parseMarkov(t *testing.T, sets ...string) *sim.Scenario {
	t.Helper()
	return parse(t, fixture("tiny-markov.yaml"), append([]string{"agents.count=4", "task.max_lines_per_agent=3"}, sets...)...)
}

func parse(t *testing.T, yml string, sets ...string) *sim.Scenario {
	t.Helper()
	sc, err := sim.ParseScenario([]byte(yml), sets, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// ratioGrid is a small ratio grid, 1.0 to 2.6 by 0.4.
func ratioGrid(t *testing.T, sc *sim.Scenario, cap float64) Grid {
	t.Helper()
	g, err := DefaultGrid(records.ModeRatio, sc.Task.Pacing, cap)
	if err != nil {
		t.Fatal(err)
	}
	var keep []Setting
	for _, s := range g.Settings {
		switch s.Label {
		case "1:1", "5:7", "5:9", "5:11", "5:13":
			keep = append(keep, s)
		}
	}
	g.Settings = keep
	return g
}

func TestGrids(t *testing.T) {
	for _, m := range Modes {
		g, err := DefaultGrid(m, records.PacingConfig{}, 0.03)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		seen := map[string]bool{}
		for _, s := range g.Settings {
			if seen[s.Label] {
				t.Errorf("%s: setting %q twice", m, s.Label)
			}
			seen[s.Label] = true
			if s.Config.Mode != m {
				t.Errorf("%s: setting %q runs mode %q", m, s.Label, s.Config.Mode)
			}
			if _, err := pacing.New(s.Config, nil); err != nil && !strings.Contains(err.Error(), "not available") {
				t.Errorf("%s %s: %v", m, s.Label, err)
			}
		}
		t.Logf("%s: %d settings, %s … %s", m, len(g.Settings), g.Settings[0].Label, g.Settings[len(g.Settings)-1].Label)
	}
	g, _ := DefaultGrid(records.ModeRatio, records.PacingConfig{}, 0.03)
	if g.Settings[0].Label != "1:1" || g.Settings[1].Label != "10:11" || g.Settings[len(g.Settings)-1].Label != "1:20" {
		t.Errorf("ratio grid: %s, %s … %s", g.Settings[0].Label, g.Settings[1].Label, g.Settings[len(g.Settings)-1].Label)
	}
	g, _ = DefaultGrid(records.ModePredictive, records.PacingConfig{}, 0.03)
	if first, last := g.Settings[0].Config.AbandonTarget, g.Settings[len(g.Settings)-1].Config.AbandonTarget; first != 0.005 || last != 0.05 {
		t.Errorf("predictive grid: %v … %v, want 0.005 … 0.05", first, last)
	}
	if _, err := DefaultGrid(records.ModeRatio, records.PacingConfig{}, 0); err == nil {
		t.Error("a zero cap was accepted")
	}
}

// ValuesGrid runs the values asked for, sorted by aggressiveness, on every
// line of the mode's grid, and names a bad value.
func TestValuesGrid(t *testing.T) {
	labels := func(g Grid) string {
		var out []string
		for _, s := range g.Settings {
			out = append(out, fmt.Sprintf("%d:%s", s.Line, s.Label))
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		mode   records.PacingMode
		values []string
		want   string
	}{
		{records.ModeRatio, []string{"1:19", " 18.75", "2:37"}, "0:2:37 0:4:75 0:1:19"},
		{records.ModeRatio, []string{"1.5"}, "0:2:3"},
		{records.ModePredictive, []string{"0.031", "0.0275"}, "0:0.0275 0:0.031"},
		{records.ModeClosedForm, []string{"1.2", "0.8"}, "0:aggressiveness=0.8 0:aggressiveness=1.2"},
		{records.ModeIssabel, []string{"0.9", "0.99"}, "0:threshold=0.99 0:threshold=0.9 1:threshold=0.99,overcommit 1:threshold=0.9,overcommit"},
		{records.ModeVicidial, []string{"2.25"}, "0:max_level=2.25,drop_limit=0.03 1:max_level=2.25,drop_limit=0.024 2:max_level=2.25,drop_limit=0.018"},
	} {
		g, err := ValuesGrid(c.mode, records.PacingConfig{}, 0.03, c.values)
		if err != nil {
			t.Fatalf("%s %v: %v", c.mode, c.values, err)
		}
		if got := labels(g); got != c.want || g.Monotone {
			t.Errorf("%s %v: %s (monotone %v), want %s", c.mode, c.values, got, g.Monotone, c.want)
		}
	}
	g, _ := ValuesGrid(records.ModeRatio, records.PacingConfig{}, 0.03, []string{"18.75"})
	if g.Settings[0].Config.Ratio != "4:75" || g.Settings[0].Config.Mode != records.ModeRatio {
		t.Errorf("18.75 runs %+v", g.Settings[0].Config)
	}
	for _, c := range []struct {
		mode   records.PacingMode
		values []string
		names  string
	}{
		{records.ModeRatio, []string{"18.755"}, "18.755"},
		{records.ModeRatio, []string{"fast"}, "fast"},
		{records.ModeRatio, []string{"1:40"}, "1:40"},
		{records.ModePredictive, []string{"3"}, "abandon_target"},
		{records.ModeIssabel, []string{"1.5"}, "threshold"},
		{records.ModeVicidial, []string{"0.5"}, "max_level=0.5"},
		{records.ModeClosedForm, []string{"NaN"}, "NaN"},
		{records.ModeProgressive, []string{"1"}, "progressive"},
		{records.ModeRatio, nil, "no value"},
	} {
		_, err := ValuesGrid(c.mode, records.PacingConfig{}, 0.03, c.values)
		if err == nil || !strings.Contains(err.Error(), c.names) || !strings.Contains(err.Error(), "values") {
			t.Errorf("%s %v: error %v, want one naming values and %s", c.mode, c.values, err, c.names)
		}
	}
}

func TestFairRule(t *testing.T) {
	for _, c := range []struct {
		breaches, n int
		fair        bool
	}{{0, 1, true}, {1, 5, false}, {0, 19, true}, {1, 19, false}, {1, 20, true}, {2, 20, false}, {2, 40, true}} {
		if got := Fair(c.breaches, c.n); got != c.fair {
			t.Errorf("Fair(%d, %d) = %v, want %v", c.breaches, c.n, got, c.fair)
		}
	}
}

func TestFreshBound(t *testing.T) {
	// mean 3, sd √2.5, t(4 df, 0.95) = 2.1318: 3 + 2.1318·1.5811·√1.2.
	if got, want := FreshBound([]float64{1, 2, 3, 4, 5}), 6.6924; math.Abs(got-want) > 1e-3 {
		t.Errorf("FreshBound(1…5) = %.4f, want %.4f", got, want)
	}
	if got := FreshBound([]float64{0.02}); got != 0.02 {
		t.Errorf("one value: %v", got)
	}
	if got := FreshBound(nil); got != 0 {
		t.Errorf("no value: %v", got)
	}
	// Five seeds all under a 3 % cap, but spread so that a fresh one is
	// likely over it: not fair.
	var reps []*sim.Report
	for _, x := range []float64{0.022, 0.026, 0.029, 0.024, 0.028} {
		reps = append(reps, &sim.Report{MaxAbandonRate24h: x})
	}
	if pt := point(Setting{Label: "x"}, reps, 0.03); pt.Breaches != 0 || pt.Fair || pt.FreshWorst <= 0.03 {
		t.Errorf("spread seeds: breaches %d, fresh worst %.4f, fair %v", pt.Breaches, pt.FreshWorst, pt.Fair)
	}
	for _, r := range reps {
		r.MaxAbandonRate24h -= 0.004
	}
	if pt := point(Setting{Label: "x"}, reps, 0.03); !pt.Fair {
		t.Errorf("the same spread lower: fresh worst %.4f, not fair", pt.FreshWorst)
	}
}

func TestSweepFrontierBestDeterminism(t *testing.T) {
	sc := parse(t, small)
	const cap = 0.03
	var calls, lastDone, lastTotal int
	tu := &Tuner{Cap: cap, Seeds: 3, Progress: func(done, total int) { calls++; lastDone, lastTotal = done, total }}
	res, err := tu.SweepGrid(sc, ratioGrid(t, sc, cap))
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || lastDone != lastTotal || lastTotal != runs(res) {
		t.Errorf("progress ended at %d/%d after %d calls, for %d runs", lastDone, lastTotal, calls, runs(res))
	}
	if len(res.Frontier) == 0 {
		t.Fatal("empty frontier")
	}
	for i := 1; i < len(res.Frontier); i++ {
		a, b := res.Frontier[i-1], res.Frontier[i]
		if b.AbandonRate < a.AbandonRate || b.Occupancy <= a.Occupancy {
			t.Errorf("frontier not sorted at %d: %+v then %+v", i, a, b)
		}
	}
	if !res.Best.Fair {
		t.Fatalf("no fair setting: %+v", res.Points)
	}
	bp := res.Points[res.Best.Index]
	if bp.WorstAbandon > cap {
		t.Errorf("best %s breaches the cap: worst seed %.4f", res.Best.Setting, bp.WorstAbandon)
	}
	for _, p := range res.Points {
		for _, r := range p.Reports {
			if r.MaxAbandonRate24h > cap && p.Fair {
				t.Errorf("%s is called fair with seed %d at %.4f", p.Setting.Label, r.Seed, r.MaxAbandonRate24h)
			}
		}
		if p.Fair && p.Occupancy > bp.Occupancy {
			t.Errorf("fair %s (%.4f) beats best %s (%.4f)", p.Setting.Label, p.Occupancy, res.Best.Setting, bp.Occupancy)
		}
	}
	if res.Best.Report == nil || res.Best.Report.Setting != res.Best.Setting || math.Abs(res.Best.Report.Occupancy-bp.Occupancy) > 1e-12 {
		t.Errorf("best report does not match its point: %+v", res.Best.Report)
	}
	t.Logf("best %s: occupancy %.4f, worst abandon %.4f; frontier %+v", res.Best.Setting, bp.Occupancy, bp.WorstAbandon, res.Frontier)

	// The same sweep on one worker gives the same JSON.
	again, err := (&Tuner{Cap: cap, Seeds: 3, Workers: 1}).SweepGrid(sc, ratioGrid(t, sc, cap))
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(res)
	jb, _ := json.Marshal(again)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("two sweeps differ:\n%s\n%s", ja, jb)
	}
	var shape map[string]json.RawMessage
	if err := json.Unmarshal(ja, &shape); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(shape))
	for k := range shape {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if strings.Join(keys, ",") != "best,cap,frontier,mode" {
		t.Errorf("JSON keys %v", keys)
	}
}

func TestSweepStopsPastTheCap(t *testing.T) {
	sc := parse(t, small)
	g, err := DefaultGrid(records.ModeRatio, sc.Task.Pacing, 0.03)
	if err != nil {
		t.Fatal(err)
	}
	res, err := (&Tuner{Seeds: 2}).SweepGrid(sc, g)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) == len(g.Settings) {
		t.Fatalf("the sweep ran all %d settings", len(g.Settings))
	}
	var grid []Point // the refined points come on top
	for _, p := range res.Points {
		if !p.Setting.Refined {
			grid = append(grid, p)
		}
	}
	n := len(grid)
	if n%chunk != 0 || grid[n-1].AbandonRate <= 0.03 && grid[n-2].AbandonRate <= 0.03 {
		t.Errorf("stopped after %d points", n)
	}
	t.Logf("stopped after %d of %d settings at %s; best %s", n, len(g.Settings), grid[n-1].Setting.Label, res.Best.Setting)
}

// The sweep halves the step after a line's best fair setting RefineSteps
// times, so that the best does not hang on where the grid's steps fall.
func TestSweepRefines(t *testing.T) {
	sc := parse(t, small)
	const cap = 0.03
	g := ratioGrid(t, sc, cap) // 1.0 to 2.6 by 0.4
	if g.Refine != RefineSteps {
		t.Fatalf("DefaultGrid refines %d times", g.Refine)
	}
	coarse := g
	coarse.Refine = 0
	base, err := (&Tuner{Cap: cap, Seeds: 3}).SweepGrid(sc, coarse)
	if err != nil {
		t.Fatal(err)
	}
	bi := base.Best.Index
	if !base.Best.Fair || bi+1 >= len(base.Points) || base.Points[bi+1].Fair {
		t.Fatalf("the coarse sweep's best %s is not followed by an unfair setting: %+v", base.Best.Setting, base.Points)
	}
	var done, total int
	res, err := (&Tuner{Cap: cap, Seeds: 3, Progress: func(d, n int) { done, total = d, n }}).SweepGrid(sc, g)
	if err != nil {
		t.Fatal(err)
	}
	var refined []string
	last := 0.0
	for _, p := range res.Points {
		if p.Setting.Refined {
			refined = append(refined, p.Setting.Label)
		}
		x, _ := knobOf(records.ModeRatio, p.Setting.Config)
		if x <= last {
			t.Errorf("%s out of order after C/A %.4f", p.Setting.Label, last)
		}
		last = x
	}
	if len(refined) != RefineSteps || len(res.Points) != len(base.Points)+RefineSteps {
		t.Errorf("refined %v, %d points against %d", refined, len(res.Points), len(base.Points))
	}
	if res.Best.Report.Occupancy < base.Best.Report.Occupancy {
		t.Errorf("refined best %s (%.4f) below the coarse best %s (%.4f)", res.Best.Setting, res.Best.Report.Occupancy, base.Best.Setting, base.Best.Report.Occupancy)
	}
	lo, _ := knobOf(records.ModeRatio, base.Points[bi].Setting.Config)
	hi, _ := knobOf(records.ModeRatio, base.Points[bi+1].Setting.Config)
	if x, _ := knobOf(records.ModeRatio, res.Best.Config); x < lo || x >= hi {
		t.Errorf("best %s outside [%s, %s)", res.Best.Setting, base.Points[bi].Setting.Label, base.Points[bi+1].Setting.Label)
	}
	for _, p := range res.Points {
		if n := len(p.Confirm); n != 0 && (!p.Setting.Refined || n != 3 || p.Confirm[0].Seed != sc.Seed+3) {
			t.Errorf("%s confirmed on %d seeds from %d", p.Setting.Label, n, p.Confirm[0].Seed)
		}
		if p.Setting.Refined && len(p.Confirm) != 3 {
			t.Errorf("refined %s confirmed on %d seeds", p.Setting.Label, len(p.Confirm))
		}
	}
	if done != total || total != runs(res) || runs(res) != 3*len(res.Points)+3*RefineSteps {
		t.Errorf("progress ended at %d/%d for %d runs", done, total, runs(res))
	}
	t.Logf("coarse best %s (%.4f), refined %v, best %s (%.4f)", base.Best.Setting, base.Best.Report.Occupancy, refined, res.Best.Setting, res.Best.Report.Occupancy)

	// A line whose occupancy falls, fair, past its best (as VICIdial's does
	// when its drop rule slams the level to 1) is refined there too: here
	// the lower ratio 10:11 follows 5:7.
	var fall Grid
	for _, s := range g.Settings {
		if s.Label == "1:1" || s.Label == "5:7" {
			fall.Settings = append(fall.Settings, s)
		}
	}
	lower, _ := ValuesGrid(records.ModeRatio, sc.Task.Pacing, cap, []string{"10:11"})
	fall.Mode, fall.Monotone, fall.Refine = records.ModeRatio, true, RefineSteps
	fall.Settings = append(fall.Settings, lower.Settings...)
	fr, err := (&Tuner{Cap: cap, Seeds: 3}).SweepGrid(sc, fall)
	if err != nil {
		t.Fatal(err)
	}
	if p := fr.Points; len(p) != 3+RefineSteps || !p[2].Setting.Refined || !p[2].Fair || p[len(p)-1].Setting.Label != "10:11" || fr.Best.Setting != "5:7" {
		t.Errorf("falling line: best %s, points %v", fr.Best.Setting, labelsOf(fr))
	}
}

func labelsOf(r Result) []string {
	var out []string
	for _, p := range r.Points {
		out = append(out, fmt.Sprintf("%s(%.4f,%v)", p.Setting.Label, p.Occupancy, p.Fair))
	}
	return out
}

// runs counts the simulations behind a sweep's points.
func runs(r Result) int {
	n := 0
	for _, p := range r.Points {
		n += len(p.Reports) + len(p.Confirm)
	}
	return n
}

// between places a setting halfway between two of a line, on that line.
func TestBetween(t *testing.T) {
	setting := func(mode records.PacingMode, v string, line int) Setting {
		g, err := ValuesGrid(mode, records.PacingConfig{}, 0.03, []string{v})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range g.Settings {
			if s.Line == line {
				return s
			}
		}
		t.Fatalf("%s %s: no line %d", mode, v, line)
		return Setting{}
	}
	for _, c := range []struct {
		mode       records.PacingMode
		a, b, want string
		line       int
	}{
		{records.ModeRatio, "4:75", "1:19", "8:151", 0},
		{records.ModeRatio, "1:1", "10:11", "20:21", 0},
		{records.ModePredictive, "0.0275", "0.03", "0.02875", 0},
		{records.ModeVicidial, "2.5", "3", "max_level=2.75,drop_limit=0.024", 1},
		{records.ModeClosedForm, "1.2", "1.25", "aggressiveness=1.225", 0},
		{records.ModeIssabel, "0.95", "0.94", "threshold=0.945,overcommit", 1},
	} {
		a, b := setting(c.mode, c.a, c.line), setting(c.mode, c.b, c.line)
		m, ok := between(c.mode, a, b)
		if !ok || m.Label != c.want || !m.Refined || m.Line != c.line || m.Config.Mode != c.mode {
			t.Errorf("%s between %s and %s: %+v %v, want %s", c.mode, a.Label, b.Label, m, ok, c.want)
		}
	}
	// Taskscales 999:1000 and 998:999 leave no room between them.
	if m, ok := between(records.ModeRatio, setting(records.ModeRatio, "999:1000", 0), setting(records.ModeRatio, "998:999", 0)); ok {
		t.Errorf("found %s between 999:1000 and 998:999", m.Label)
	}
}

func TestSweepSingleAndErrors(t *testing.T) {
	sc := parse(t, small)
	res, err := Sweep(sc, records.ModeProgressive, 0.03, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 1 || res.Best.Setting != "1:1" || len(res.Frontier) != 1 {
		t.Fatalf("progressive sweep: %+v", res)
	}
	if _, err := Sweep(sc, records.ModeRatio, 0.03, 0, nil); err != nil {
		t.Fatalf("default seeds: %v", err)
	}
	if _, err := Sweep(sc, records.ModeRatio, 1.5, 2, nil); err == nil || !strings.Contains(err.Error(), "cap") {
		t.Errorf("cap 1.5: %v", err)
	}
	if _, err := Sweep(sc, "nonsense", 0.03, 2, nil); err == nil {
		t.Error("unknown mode accepted")
	}
}

func TestCompare(t *testing.T) {
	sc := parseMarkov(t)
	var mu int
	// The optimum solver has tests of its own; a stand-in keeps this one fast.
	const opt = 0.8183
	tu := &Tuner{Seeds: 2, Progress: func(done, total int) { mu = total },
		Optimum: func(tw Twin, cap float64) (float64, error) { return opt, nil }}
	c, err := tu.Compare(sc, []records.PacingMode{records.ModeProgressive, records.ModeRatio, "nonsense"})
	if err != nil {
		t.Fatal(err)
	}
	if mu == 0 {
		t.Error("no progress")
	}
	if len(c.EvalSeeds) != DefaultEvalSeeds || c.EvalSeeds[0] != 101 || c.TuningSeeds[0] != 1 || len(c.TuningSeeds) != 2 {
		t.Errorf("seeds: tuning %v, evaluation %v", c.TuningSeeds, c.EvalSeeds)
	}
	if c.Twin == nil || !c.Twin.Exact {
		t.Fatalf("the Markov scenario was not recognised: %+v", c.Twin)
	}
	if c.Modes[2].Error == "" {
		t.Error("an unknown mode gave no error")
	}
	for _, m := range c.Modes[:2] {
		if m.Error != "" {
			t.Fatalf("%s: %s", m.Mode, m.Error)
		}
		if m.Occupancy.N != DefaultEvalSeeds || m.Occupancy.CI95 <= 0 || m.Occupancy.Mean <= 0 {
			t.Errorf("%s occupancy %+v", m.Mode, m.Occupancy)
		}
		if m.GapToOptimum == nil || math.Abs(*m.GapToOptimum-(1-m.Occupancy.Mean/opt)) > 1e-12 {
			t.Errorf("%s: gap %v to optimum %v", m.Mode, m.GapToOptimum, opt)
		}
	}
	if c.Optimum == nil || *c.Optimum != opt {
		t.Fatalf("optimum %v (%s)", c.Optimum, c.OptimumError)
	}
	// Progressive on a Markov twin has a closed form: h / (h + r/p).
	want := 170 / (170 + 15/0.3)
	if got := c.Modes[0].Occupancy; math.Abs(got.Mean-want) > 2*got.CI95+0.02 {
		t.Errorf("progressive occupancy %.4f ± %.4f, analysis %.4f", got.Mean, got.CI95, want)
	}
	if _, err := tu.Compare(sc, []records.PacingMode{"nonsense"}); err == nil {
		t.Error("a comparison with no working mode succeeded")
	}
}

func TestMarkovTwin(t *testing.T) {
	tw := MarkovTwin(parseMarkov(t))
	if !tw.Exact || tw.LiveProb != 0.3 || tw.MeanOutcomeS != 15 || tw.MeanTalkS != 170 || tw.Agents != 4 {
		t.Errorf("markov: %+v", tw)
	}
	tw = MarkovTwin(parse(t, small))
	if tw.Exact {
		t.Fatal("a realistic scenario was taken for a Markov twin")
	}
	// S3's timings: .3×8 + .25×20.5 + .3×22 + .05×3 + .1×2 = 14.475 s; h = 150 + 20.
	if math.Abs(tw.MeanOutcomeS-14.475) > 1e-9 || tw.MeanTalkS != 170 || tw.LiveProb != 0.3 {
		t.Errorf("derived twin: %+v", tw)
	}
	if len(tw.Derivation) < 3 {
		t.Errorf("derivation too short: %q", tw.Derivation)
	}
	if MarkovTwin(parseMarkov(t, "task.connect_deadline=2s")).Exact {
		t.Error("a connect deadline was ignored")
	}
}

func TestEstimate(t *testing.T) {
	e := estimate([]float64{1, 2, 3, 4, 5})
	// sd = 1.5811, t(0.975, 4) = 2.7764: half-width 1.9632.
	if e.Mean != 3 || math.Abs(e.CI95-1.9632) > 1e-3 || e.Min != 1 || e.Max != 5 || e.N != 5 {
		t.Errorf("estimate %+v", e)
	}
	if e := estimate([]float64{7}); e.Mean != 7 || e.CI95 != 0 {
		t.Errorf("one seed: %+v", e)
	}
}

// Breaking accuses a setting only when its evaluation seeds break the cap
// more often than one in 20 beyond chance.
func TestBreaking(t *testing.T) {
	for _, c := range []struct {
		breaches, n int
		want        bool
	}{
		{0, 20, false}, {1, 20, false}, {2, 20, false}, {3, 20, false}, {4, 20, true}, {20, 20, true},
		{2, 10, false}, {3, 10, true}, {1, 1, false}, {2, 2, true}, {0, 0, false},
	} {
		if got := Breaking(c.breaches, c.n); got != c.want {
			t.Errorf("Breaking(%d, %d) = %v, want %v", c.breaches, c.n, got, c.want)
		}
	}
}
