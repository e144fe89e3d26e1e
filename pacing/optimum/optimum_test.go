package optimum

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/apierr"
)

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// twin is one Markov twin of the benchmark: BENCHMARK.md, "Markov twin".
type twin struct {
	name string
	p    Params
	ref  float64 // BENCHMARK.md, optimum column
	got  float64 // what this model gives, pinned
}

var twins = []twin{
	{"S1", Params{Agents: 5, LiveProb: .35, MeanTalk: sec(135), MeanOutcome: sec(15), MaxLinesPerAgent: 3}, 0.812, 0.811487},
	{"S2", Params{Agents: 15, LiveProb: .20, MeanTalk: sec(210), MeanOutcome: sec(17), MaxLinesPerAgent: 3}, 0.874, 0.873911},
	{"S3", Params{Agents: 30, LiveProb: .30, MeanTalk: sec(170), MeanOutcome: sec(15), MaxLinesPerAgent: 3}, 0.916, 0.915534},
	{"S4", Params{Agents: 40, LiveProb: .25, MeanTalk: sec(930), MeanOutcome: sec(18), MaxLinesPerAgent: 2}, 0.962, 0.962214},
	{"S5", Params{Agents: 100, LiveProb: .12, MeanTalk: sec(105), MeanOutcome: sec(16), MaxLinesPerAgent: 3}, 0.951, 0.950923},
	{"S6", Params{Agents: 300, LiveProb: .10, MeanTalk: sec(285), MeanOutcome: sec(18), MaxLinesPerAgent: 2}, 0.982, 0.982059},
}

// small twins for the exhaustive and differential checks.
var smalls = []Params{
	{Agents: 1, LiveProb: .5, MeanTalk: sec(60), MeanOutcome: sec(10), MaxLinesPerAgent: 3},
	{Agents: 2, LiveProb: .3, MeanTalk: sec(100), MeanOutcome: sec(12), MaxLinesPerAgent: 2.5},
	{Agents: 3, LiveProb: .25, MeanTalk: sec(90), MeanOutcome: sec(15), MaxLinesPerAgent: 3},
	{Agents: 4, LiveProb: .6, MeanTalk: sec(40), MeanOutcome: sec(20), MaxLinesPerAgent: 2},
	{Agents: 5, LiveProb: .35, MeanTalk: sec(135), MeanOutcome: sec(15), MaxLinesPerAgent: 3},
	{Agents: 6, LiveProb: .15, MeanTalk: sec(200), MeanOutcome: sec(18), MaxLinesPerAgent: 0.5},
	{Agents: 12, LiveProb: .4, MeanTalk: sec(120), MeanOutcome: sec(9), MaxLinesPerAgent: 1.5},
}

func lines(p Params) int {
	lpa := p.MaxLinesPerAgent
	if lpa == 0 {
		lpa = DefaultMaxLinesPerAgent
	}
	return int(math.Floor(lpa*float64(p.Agents) + 1e-9))
}

func TestEvaluateProgressive(t *testing.T) {
	for _, p := range smalls {
		if lines(p) < p.Agents {
			continue // progressive needs a line per agent
		}
		occ, ab := Evaluate(p, func(b int) int { return p.Agents - b })
		want := Progressive(p)
		if ab != 0 || math.Abs(occ-want) > 1e-6 {
			t.Errorf("%+v: progressive gives occupancy %.9f abandon %g, want %.9f and 0", p, occ, ab, want)
		}
	}
	for _, tw := range twins[:5] {
		occ, ab := Evaluate(tw.p, func(b int) int { return tw.p.Agents - b })
		if want := Progressive(tw.p); ab != 0 || math.Abs(occ-want) > 1e-6 {
			t.Errorf("%s: progressive gives occupancy %.9f abandon %g, want %.9f and 0", tw.name, occ, ab, want)
		}
	}
}

func TestEvaluateAgainstNaive(t *testing.T) {
	for _, p := range smalls[:5] {
		l := lines(p)
		nv := newNaive(p.Agents, l, p.LiveProb, p.MeanOutcome.Seconds(), p.MeanTalk.Seconds(), 0)
		for _, k := range []float64{0.5, 1, 2, 4} {
			target := func(b int) int { return int(math.Ceil(k * float64(p.Agents-b) / p.LiveProb)) }
			occ, ab := Evaluate(p, target)
			wo, wa := nv.evaluate(target)
			if math.Abs(occ-wo) > 1e-9 || math.Abs(ab-wa) > 1e-9 {
				t.Errorf("%+v k=%g: Evaluate %.12f %.12f, naive %.12f %.12f", p, k, occ, ab, wo, wa)
			}
		}
	}
}

func TestSolveAgainstNaive(t *testing.T) {
	for _, p := range smalls[:5] {
		for _, cap := range []float64{0.01, 0.03, 0.05} {
			p.Cap = cap
			res, err := Solve(p)
			if err != nil {
				t.Fatal(err)
			}
			nv := newNaive(p.Agents, lines(p), p.LiveProb, p.MeanOutcome.Seconds(), p.MeanTalk.Seconds(), cap)
			want := nv.optimum()
			t.Logf("%d agents cap %g: Solve %.9f naive %.9f", p.Agents, cap, res.OccupancyAtCap, want)
			if math.Abs(res.OccupancyAtCap-want) > 2e-6 {
				t.Errorf("%+v: Solve %.9f, naive dual minimum %.9f", p, res.OccupancyAtCap, want)
			}
		}
	}
}

func TestSolveCapZeroIsProgressive(t *testing.T) {
	for _, p := range append(smalls, twins[0].p, twins[2].p, twins[5].p) {
		p.Cap = 0
		res, err := Solve(p)
		if err != nil {
			t.Fatal(err)
		}
		want := Progressive(p)
		if lines(p) < p.Agents {
			want, _ = Evaluate(p, func(b int) int { return min(p.Agents-b, lines(p)) })
		}
		if res.AbandonRate != 0 || math.Abs(res.OccupancyAtCap-want) > 1e-6 {
			t.Errorf("%+v: cap 0 gives %.9f abandon %g, want progressive %.9f", p, res.OccupancyAtCap, res.AbandonRate, want)
		}
	}
}

// The Lagrangian route reaches the same answer at cap 0 where the needed
// multiplier stays moderate (small twins), and just above it everywhere.
func TestLagrangianCapZero(t *testing.T) {
	for _, p := range smalls[:5] {
		p.Cap = 0
		m, tol, err := validate(p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := solveLagrangian(newSolver(m), tol)
		if err != nil {
			t.Fatal(err)
		}
		if prog := Progressive(p); res.AbandonRate != 0 || math.Abs(res.OccupancyAtCap-prog) > 1e-6 {
			t.Errorf("%+v: Lagrangian at cap 0 gives %.9f abandon %g, want %.9f", p, res.OccupancyAtCap, res.AbandonRate, prog)
		}
	}
	for _, p := range append(smalls[:5], twins[0].p, twins[2].p) {
		p.Cap = 1e-4
		res, err := Solve(p)
		if err != nil {
			t.Fatal(err)
		}
		if prog := Progressive(p); res.OccupancyAtCap < prog-1e-9 {
			t.Errorf("%+v: cap 1e-4 gives %.9f, below progressive %.9f", p, res.OccupancyAtCap, prog)
		}
	}
}

// With fewer lines than agents, no threshold policy that never abandons
// beats dialing one call per idle agent as lines allow.
func TestCapZeroExhaustive(t *testing.T) {
	p := smalls[5] // 6 agents, 3 lines
	n, l := p.Agents, lines(p)
	best, _ := Evaluate(p, func(b int) int { return min(n-b, l) })
	target := make([]int, n+1)
	var walk func(b int)
	walk = func(b int) {
		if b > n {
			occ, ab := Evaluate(p, func(b int) int { return target[b] })
			if ab != 0 {
				t.Fatalf("targets %v abandon %g", target, ab)
			}
			if occ > best+1e-9 {
				t.Errorf("targets %v give %.9f above %.9f", target, occ, best)
			}
			return
		}
		for x := 0; x <= min(n-b, l); x++ {
			target[b] = x
			walk(b + 1)
		}
	}
	walk(0)
	p.Cap = 0
	if res, err := Solve(p); err != nil || math.Abs(res.OccupancyAtCap-best) > 1e-9 {
		t.Errorf("Solve at cap 0: %v %v, want %.9f", res.OccupancyAtCap, err, best)
	}
}

func TestSolveMonotoneInCap(t *testing.T) {
	for _, p := range []Params{smalls[2], smalls[6], twins[1].p} {
		last := -1.0
		for _, cap := range []float64{0, 0.005, 0.01, 0.03, 0.1, 0.3, 0.9} {
			p.Cap = cap
			res, err := Solve(p)
			if err != nil {
				t.Fatal(err)
			}
			if res.OccupancyAtCap < last-1e-7 {
				t.Errorf("%+v: occupancy %.9f at cap %g below %.9f at a lower cap", p, res.OccupancyAtCap, cap, last)
			}
			if res.AbandonRate > cap+1e-9 {
				t.Errorf("%+v: abandon rate %g above cap %g", p, res.AbandonRate, cap)
			}
			last = res.OccupancyAtCap
		}
	}
}

func TestReferenceOptimum(t *testing.T) {
	for _, tw := range twins {
		t.Run(tw.name, func(t *testing.T) {
			if testing.Short() && tw.p.Agents > 100 {
				t.Skip("large twin skipped in -short mode")
			}
			p := tw.p
			p.Cap = 0.03
			start := time.Now()
			res, err := Solve(p)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: occupancy %.6f abandon %.6f lambda %.6g bound %.6f mix %.3f sweeps %d multipliers %d in %v",
				tw.name, res.OccupancyAtCap, res.AbandonRate, res.Lambda, res.Bound, res.Mix, res.Iterations, res.Multipliers, time.Since(start))
			if math.Abs(res.OccupancyAtCap-tw.ref) > 0.002 {
				t.Errorf("occupancy %.6f, BENCHMARK.md says %.3f", res.OccupancyAtCap, tw.ref)
			}
			if math.Abs(res.OccupancyAtCap-tw.got) > 2e-6 {
				t.Errorf("occupancy %.7f, pinned %.6f", res.OccupancyAtCap, tw.got)
			}
			if math.Abs(res.AbandonRate-0.03) > 1e-9 {
				t.Errorf("abandon rate %.12f, want the cap", res.AbandonRate)
			}
			if res.Bound < res.OccupancyAtCap-1e-9 || res.Bound-res.OccupancyAtCap > DefaultTolerance {
				t.Errorf("bound %.9f against occupancy %.9f", res.Bound, res.OccupancyAtCap)
			}
			if !res.Threshold || len(res.Policy) != p.Agents+1 {
				t.Errorf("policy not of threshold form or wrong length: %v", res.Policy)
			}
			if res.Lambda <= 0 || res.Mix < 0 || res.Mix > 1 {
				t.Errorf("lambda %g mix %g", res.Lambda, res.Mix)
			}
			if p.Agents <= 40 {
				checkMix(t, p, res)
			}
		})
	}
}

// checkMix re-evaluates the two policies of res and mixes them by time share.
func checkMix(t *testing.T, p Params, res Result) {
	t.Helper()
	eval := func(rows []PolicyRow) (occ, live, ab float64) {
		occ, rate := Evaluate(p, func(b int) int { return rows[b].Target })
		// Agents start talks as fast as they end them: connects = E[b]/h,
		// and live answers = connects / (1 − abandon rate).
		live = occ * float64(p.Agents) / p.MeanTalk.Seconds() / (1 - rate)
		return occ, live, rate * live
	}
	ho, hl, ha := eval(res.Policy)
	if ha > 0.03*hl+1e-12 {
		t.Errorf("Policy alone abandons %g > cap", ha/hl)
	}
	if res.PolicyAbove == nil {
		return
	}
	lo, ll, la := eval(res.PolicyAbove)
	a := res.Mix
	occ := a*lo + (1-a)*ho
	rate := (a*la + (1-a)*ha) / (a*ll + (1-a)*hl)
	if math.Abs(occ-res.OccupancyAtCap) > 1e-8 || math.Abs(rate-0.03) > 1e-8 {
		t.Errorf("mix of the policies gives %.9f at %.9f, result says %.9f at %.9f", occ, rate, res.OccupancyAtCap, res.AbandonRate)
	}
}

func TestCapNotBinding(t *testing.T) {
	p := smalls[2]
	p.Cap = 0.99
	res, err := Solve(p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Lambda != 0 || res.PolicyAbove != nil || res.AbandonRate > p.Cap {
		t.Errorf("cap 0.99: %+v", res)
	}
	nv := newNaive(p.Agents, lines(p), p.LiveProb, p.MeanOutcome.Seconds(), p.MeanTalk.Seconds(), 0)
	if want := nv.gain(0); math.Abs(res.OccupancyAtCap-want) > 1e-6 {
		t.Errorf("cap 0.99: occupancy %.9f, unconstrained optimum %.9f", res.OccupancyAtCap, want)
	}
}

func TestValidation(t *testing.T) {
	ok := Params{Agents: 5, LiveProb: .3, MeanOutcome: sec(15), MeanTalk: sec(120), Cap: 0.03}
	cases := []struct {
		field string
		edit  func(*Params)
	}{
		{"Agents", func(p *Params) { p.Agents = 0 }},
		{"Agents", func(p *Params) { p.Agents = 2000 }},
		{"LiveProb", func(p *Params) { p.LiveProb = 0 }},
		{"LiveProb", func(p *Params) { p.LiveProb = 1.5 }},
		{"LiveProb", func(p *Params) { p.LiveProb = math.NaN() }},
		{"MeanOutcome", func(p *Params) { p.MeanOutcome = 0 }},
		{"MeanTalk", func(p *Params) { p.MeanTalk = -time.Second }},
		{"Cap", func(p *Params) { p.Cap = -0.1 }},
		{"Cap", func(p *Params) { p.Cap = 1 }},
		{"MaxLinesPerAgent", func(p *Params) { p.MaxLinesPerAgent = -1 }},
		{"MaxLinesPerAgent", func(p *Params) { p.MaxLinesPerAgent = 0.1 }},
		{"Tolerance", func(p *Params) { p.Tolerance = -1e-6 }},
	}
	for _, tc := range cases {
		p := ok
		tc.edit(&p)
		_, err := Solve(p)
		var e *apierr.Error
		if !errors.As(err, &e) || e.Code != apierr.InvalidParams || e.Field != tc.field {
			t.Errorf("%+v: error %v, want InvalidParams on %s", p, err, tc.field)
		}
		if o, a := Evaluate(p, func(int) int { return 1 }); tc.field != "Cap" && tc.field != "Tolerance" && (!math.IsNaN(o) || !math.IsNaN(a)) {
			t.Errorf("%+v: Evaluate gives %g %g, want NaN", p, o, a)
		}
	}
	if _, err := Solve(ok); err != nil {
		t.Errorf("valid params: %v", err)
	}
}

func TestEvaluateNeverDialing(t *testing.T) {
	occ, ab := Evaluate(smalls[2], func(int) int { return 0 })
	if occ != 0 || ab != 0 {
		t.Errorf("never dialing gives %g %g", occ, ab)
	}
}

func TestResultJSON(t *testing.T) {
	res, err := Solve(Params{Agents: 3, LiveProb: .3, MeanOutcome: sec(15), MeanTalk: sec(100), Cap: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"occupancy_at_cap", "abandon_rate", "lambda", "policy", "iterations"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON %s lacks %q", b, k)
		}
	}
	rows := m["policy"].([]any)
	if _, ok := rows[0].(map[string]any)["target"]; !ok {
		t.Errorf("policy rows %v lack target", rows[0])
	}
}

func BenchmarkSolveS3(b *testing.B) {
	p := twins[2].p
	p.Cap = 0.03
	for b.Loop() {
		if _, err := Solve(p); err != nil {
			b.Fatal(err)
		}
	}
}

// Seeded random twins: every solve converges, meets its cap, certifies its
// bound, and beats never abandoning.
func TestRandomTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	cases := 40
	if testing.Short() {
		cases = 10
	}
	for range cases {
		p := Params{
			Agents:           1 + rng.IntN(30),
			LiveProb:         0.03 + 0.9*rng.Float64(),
			MeanOutcome:      sec(3 + 30*rng.Float64()),
			MeanTalk:         sec(20 + 900*rng.Float64()),
			MaxLinesPerAgent: []float64{0.5, 1, 1.5, 2, 3, 4}[rng.IntN(6)],
			Cap:              []float64{0.001, 0.01, 0.03, 0.1, 0.3}[rng.IntN(5)],
		}
		if lines(p) < 1 {
			continue
		}
		res, err := Solve(p)
		if err != nil {
			t.Errorf("%+v: %v", p, err)
			continue
		}
		if res.AbandonRate > p.Cap+1e-9 || res.Bound-res.OccupancyAtCap > DefaultTolerance || res.Bound < res.OccupancyAtCap-1e-9 {
			t.Errorf("%+v: %+v", p, res)
		}
		p0 := p
		p0.Cap = 0
		base, _ := Solve(p0)
		if res.OccupancyAtCap < base.OccupancyAtCap-1e-9 {
			t.Errorf("%+v: %.9f below the cap-0 optimum %.9f", p, res.OccupancyAtCap, base.OccupancyAtCap)
		}
		if !res.Threshold {
			t.Logf("%+v: optimal policy not of threshold form", p)
		}
	}
}

// Both Krylov solvers on a small nonsymmetric system with a known solution.
func TestKrylov(t *testing.T) {
	const n = 60
	rng := rand.New(rand.NewPCG(1, 2))
	a := make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, n)
		for j := range a[i] {
			a[i][j] = -rng.Float64() / n
		}
		a[i][i] += 1.5
	}
	apply := func(dst, src []float64) {
		for i := range dst {
			dst[i] = dot(a[i], src)
		}
	}
	want := make([]float64, n)
	for i := range want {
		want[i] = rng.NormFloat64()
	}
	b := make([]float64, n)
	apply(b, want)
	for name, solve := range map[string]func(x []float64) float64{
		"bicgstab": func(x []float64) float64 { _, rel := newBiCGSTAB(n).solve(apply, b, x, 1e-12, 1000); return rel },
		"gmres":    func(x []float64) float64 { _, rel := newGMRES(n, 8).solve(apply, b, x, 1e-12, 1000); return rel },
	} {
		x := make([]float64, n)
		rel := solve(x)
		for i := range x {
			if math.Abs(x[i]-want[i]) > 1e-9 {
				t.Fatalf("%s: x[%d] = %g, want %g (relative residual %g)", name, i, x[i], want[i], rel)
			}
		}
	}
}
