package pacing

import (
	"github.com/outpace-dev/outpace/records"
	"math"
	"testing"
	"time"
)

func TestBins(t *testing.T) {
	for _, x := range []float64{0, 0.01, 0.5, 0.99, 1, 1.03, 2, 7.9, 8, 20.5, 150, 1000, 8191, 9000, 1e9} {
		i, f := binOf(x)
		if i < 0 || i >= numBins || f < 0 || f > 1 {
			t.Fatalf("binOf(%v) = %d, %v", x, i, f)
		}
		if j := binOfNanos(int64(x * 1e9)); x < 8192 && j != i {
			t.Errorf("binOfNanos(%v s) = %d, binOf = %d", x, j, i)
		}
		lo, w := binEdges(i)
		if x < maxBinned && (x < lo-1e-9 || x >= lo+w+1e-9 || math.Abs(lo+f*w-x) > 1e-9) {
			t.Errorf("%v s: bin %d is [%v, %v), fraction %v", x, i, lo, lo+w, f)
		}
		if x >= 1 && x < maxBinned && w > x/16+1e-9 {
			t.Errorf("%v s: bin %d is %v s wide, more than 1/16", x, i, w)
		}
	}
	// The bins tile the line.
	for i := 1; i < numBins; i++ {
		lo, w := binEdges(i - 1)
		if next, _ := binEdges(i); math.Abs(lo+w-next) > 1e-9 {
			t.Fatalf("bin %d ends at %v, bin %d starts at %v", i-1, lo+w, i, next)
		}
	}
}

func TestSurvival(t *testing.T) {
	var h hist
	for i := 1; i <= 100; i++ {
		h.add(float64(i), 1) // uniform on 1..100 s
	}
	var none [numBins]int32
	var s survival
	s.loadKM(&h, 1, &none, 0)
	if math.Abs(s.n-100) > 1e-9 || math.Abs(s.mean-50.5) > 1e-9 {
		t.Fatalf("n %v mean %v", s.n, s.mean)
	}
	for _, c := range []struct{ x, cdf float64 }{{0, 0}, {10.5, 0.1}, {50.5, 0.5}, {101, 1}} {
		if got := s.cdf(c.x); math.Abs(got-c.cdf) > 0.02 {
			t.Errorf("cdf(%v) = %v, want about %v", c.x, got, c.cdf)
		}
	}
	if q := s.quantile(0.5); math.Abs(q-50) > 2 {
		t.Errorf("median %v, want about 50", q)
	}

	// Censoring: 100 durations ended at 10 s while 100 others are still
	// running at 30 s. Kaplan–Meier keeps half the weight beyond 30 s; the
	// ended ones alone would say none.
	var h2 hist
	h2.add(10, 100)
	var cens [numBins]int32
	b, _ := binOf(30)
	cens[b] = 100
	s.loadKM(&h2, 1, &cens, 1)
	if got := s.above(31) / s.n; math.Abs(got-0.5) > 0.01 {
		t.Errorf("with censoring, P(> 31 s) = %v, want 0.5", got)
	}
}

func TestCompeting(t *testing.T) {
	var live, other hist
	live.add(8, 30)   // live answers at 8 s
	other.add(20, 50) // machines at 20 s
	other.add(3, 20)  // busy at 3 s
	var none [numBins]int32
	var all, l survival
	p := loadCompeting(&all, &l, &live, &other, 1, &none, 0)
	if math.Abs(p-0.3) > 1e-9 {
		t.Fatalf("p_live %v, want 0.3", p)
	}
	// A call still ringing at 10 s is past every live answer: it ends as a
	// machine. At 5 s, 30 of the 80 left are live.
	at := func(a float64) float64 { return (l.above(a) - l.above(a+30)) / all.above(a) }
	if got := at(10); got > 1e-9 {
		t.Errorf("P(live | ringing at 10 s) = %v, want 0", got)
	}
	if got := at(5); math.Abs(got-30.0/80) > 1e-9 {
		t.Errorf("P(live | ringing at 5 s) = %v, want 0.375", got)
	}
}

func TestDecay(t *testing.T) {
	d := newDecay(10, time.Minute)
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	var h hist
	for i := range 1000 {
		w, f := d.weight(t0.Add(time.Duration(i) * time.Second))
		if f > 0 {
			h.div(f)
		}
		h.add(1, w)
	}
	// With memory 10 and time decay over a minute, about 10 recent
	// observations' worth of weight (less with the time decay) remains.
	if n := h.sum / d.scale; n < 5 || n > 10.5 {
		t.Errorf("effective count %v, want 5..10.5", n)
	}
}

func TestPredictiveNoAlloc(t *testing.T) {
	t.Run("normal", func(t *testing.T) { checkNoAlloc(t, 300, 900, 1200, 0.1) })
	t.Run("exact", func(t *testing.T) { checkNoAlloc(t, 16, 47, exactTerms-16, 0.35) })
}

func checkNoAlloc(t *testing.T, agents, calls, maxInFlight int, live float64) {
	p, s, _ := benchPredictive(t, agents, calls, maxInFlight, live)
	obs := Observation{Kind: ObsOutcome, Outcome: records.OutcomeLive, Duration: 8 * time.Second}
	allocs := testing.AllocsPerRun(200, func() {
		s.Now = s.Now.Add(300 * time.Millisecond)
		obs.At = s.Now
		p.Observe(obs)
		p.Observe(Observation{At: s.Now, Kind: ObsDial})
		p.Observe(Observation{At: s.Now, Kind: ObsTalkEnd, Duration: time.Minute})
		p.Observe(Observation{At: s.Now, Kind: ObsWrapEnd, Duration: 20 * time.Second})
		p.Decide(s)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per Observe+Decide", allocs)
	}
	if p.fc.exact.on != (agents+maxInFlight <= exactTerms) {
		t.Errorf("exact form on = %v for %d agents and %d lines", p.fc.exact.on, agents, maxInFlight)
	}
}

// TestShortReact checks that a React far shorter than a live answer takes
// leaves the calls to come out of the forecast instead of breaking it: their
// weights underflow to nothing, and the risk stays a number.
func TestShortReact(t *testing.T) {
	for _, react := range []time.Duration{time.Millisecond, time.Nanosecond} {
		p, s, _ := benchPredictiveWith(t, records.PredictiveConfig{React: react, ReactAgents: 1}, 16, 47, exactTerms-16, 0.35)
		var d Decision
		for range 50 { // until every row is built
			s.Now = s.Now.Add(100 * time.Millisecond)
			d = p.Decide(s)
		}
		for k, lead := range p.fc.lead {
			if math.IsNaN(lead) || lead < 0 || lead > 1e-6 {
				t.Errorf("React %v: lead[%d] = %v, want about 0", react, k, lead)
			}
		}
		if r := p.fc.risk(1); math.IsNaN(r) {
			t.Errorf("React %v: risk of one more call is NaN", react)
		}
		if d.Place > s.MaxInFlight {
			t.Errorf("React %v: places %d calls, more than the %d lines", react, d.Place, s.MaxInFlight)
		}
	}
}

// TestPredictiveRowBudget checks that a decision computes at most
// rowsPerDecision rows: the first forecast waits, progressive, until every
// row it needs exists, and after a rebuild the rows catch up over the next
// decisions, every one of them in turn.
func TestPredictiveRowBudget(t *testing.T) {
	p, s, _ := benchPredictive(t, 300, 900, 1200, 0.1)
	current := func() (cur int) {
		for r := range numRows {
			if p.fc.rowVer[r] == p.fc.ver {
				cur++
			}
		}
		return cur
	}
	need := 0
	for i := 0; ; i++ {
		d := p.Decide(s)
		cur := current()
		if cur > (i+1)*rowsPerDecision {
			t.Fatalf("decision %d: %d rows computed, budget %d per decision", i, cur, rowsPerDecision)
		}
		if p.fc.ok {
			need = cur
			if i == 0 {
				t.Fatalf("the first decision forecast with %d rows", cur)
			}
			break
		}
		if prog := max(0, s.Idle-s.InFlight()); d.Place != prog {
			t.Fatalf("decision %d placed %d without its rows, want progressive %d", i, d.Place, prog)
		}
		if i > 20 {
			t.Fatal("the rows never completed")
		}
	}
	if need <= rowsPerDecision {
		t.Fatalf("the test state needs only %d rows; it must need more than %d", need, rowsPerDecision)
	}
	// A rebuild: the decision that makes it recomputes a budget's worth, and
	// the others follow.
	p.Observe(Observation{At: s.Now, Kind: ObsOutcome, Outcome: records.OutcomeLive, Duration: 5 * time.Second})
	p.fc.builtAt = time.Time{}
	ver := p.fc.ver
	for i := 0; ; i++ {
		p.Decide(s)
		if p.fc.ver != ver+1 {
			t.Fatalf("model version %d, want %d", p.fc.ver, ver+1)
		}
		cur := current()
		if cur > (i+1)*rowsPerDecision {
			t.Fatalf("after the rebuild, decision %d: %d rows current", i, cur)
		}
		if !p.fc.ok {
			t.Fatal("a rebuild made the forecast wait")
		}
		if cur == need {
			break
		}
		if i > 20 {
			t.Fatalf("%d of %d rows current after %d decisions", cur, need, i+1)
		}
	}
}

func TestPoolShare(t *testing.T) {
	for _, c := range []struct{ free, pool, want float64 }{
		{3, 0, 1},       // switched off
		{0, 0.5, 1e-3},  // a pool of at least one agent, none free
		{0.5, 0.5, 0.5}, // half an agent of a one-agent pool
		{3, 12, 0.25},   // in proportion below the pool
		{20, 12, 1},     // whole at or above it
		{-2, 12, 1e-3},  // more customers waiting than agents free
	} {
		if got := poolShare(c.free, c.pool); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("poolShare(%v, %v) = %v, want %v", c.free, c.pool, got, c.want)
		}
	}
}

func TestYoungSpan(t *testing.T) {
	epoch := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name         string
		young        time.Duration
		live         int64
		until        time.Duration // from epoch; 0: unknown
		span, credit float64
	}{
		{"end of day unknown", 6 * time.Hour, 100, 0, 0, 0},
		{"switched off", -1, 100, 8 * time.Hour, 0, 0},
		// 0.1 live answers a second: 2 160 in six hours, 3 240 in nine, and
		// 100 + 2 880 by the end of an 8 h day.
		{"long day", 6 * time.Hour, 100, 8 * time.Hour, 2160, 2980},
		// A 2 h day is its own span: 100 + 720.
		{"short day", 6 * time.Hour, 100, 2 * time.Hour, 820, 820},
		{"day over", 6 * time.Hour, 100, -time.Hour, 100, 100},
	} {
		p := &Predictive{cfg: records.PredictiveConfig{YoungWindow: c.young}}
		s := &Snapshot{Now: epoch, WindowLiveAnswers: c.live}
		if c.until != 0 {
			s.DialUntil = epoch.Add(c.until)
		}
		span, credit := youngSpan(s, 0.1, p.cfg.YoungWindow)
		if math.Abs(span-c.span) > 1e-9 || math.Abs(credit-c.credit) > 1e-9 {
			t.Errorf("%s: youngSpan = %v, %v; want %v, %v", c.name, span, credit, c.span, c.credit)
		}
	}
}

// TestCreditFades: the fallback's credit of a young window outlasts it and
// fades as the window fills from the span to the credit, so that the guard
// the fallback reads does not drop at once when the window comes of age.
func TestCreditFades(t *testing.T) {
	pc, err := NewPredictive(records.PredictiveConfig{YoungWindow: time.Hour}, 0.03)
	if err != nil {
		t.Fatal(err)
	}
	p := pc.(*Predictive)
	epoch := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i := range 600 { // a live answer a second for ten minutes
		p.Observe(Observation{At: epoch.Add(time.Duration(i) * time.Second), Kind: ObsOutcome, Outcome: records.OutcomeLive, Duration: 8 * time.Second})
	}
	now := epoch.Add(10 * time.Minute)
	s := &Snapshot{Now: now, DialUntil: now.Add(8 * time.Hour), Idle: 1, AbandonTarget: 0.03}
	span, credit := youngSpan(s, p.est.liveRate.get(now), p.cfg.YoungWindow)
	if span <= 0 || credit <= span {
		t.Fatalf("span %v, credit %v: want 0 < span < credit", span, credit)
	}
	capRate := 0.03 * (1 - p.cfg.CapMargin)
	for _, c := range []struct {
		name  string
		live  float64
		young bool
	}{
		{"young", span / 2, true},
		{"just of age", span + 1, false},
		{"between span and credit", (span + credit) / 2, false},
		{"past the credit", credit + 100, false},
	} {
		s.WindowLiveAnswers = int64(c.live)
		s.WindowAbandoned = int64(capRate * c.live) // at the cap
		p.Decide(s)
		want := capRate * max(credit-float64(s.WindowLiveAnswers), 0)
		if p.ctl.young != c.young || math.Abs(p.ctl.guard-p.ctl.slack-want) > 1e-6 {
			t.Errorf("%s (%d live answers of span %.0f, credit %.0f): young %v, guard − slack %.2f; want %v, %.2f",
				c.name, s.WindowLiveAnswers, span, credit, p.ctl.young, p.ctl.guard-p.ctl.slack, c.young, want)
		}
	}
}

// TestBurstMargin: at the end of a known day the margin follows the team's
// bursts of abandons, whole from about 35 agents up and 62 % on five, and
// counts at least one burst; a window with no known end keeps √E, E at
// least minExpect.
func TestBurstMargin(t *testing.T) {
	const capRate = 0.03 * 0.97
	for _, c := range []struct {
		team   int
		expect float64
		want   float64
	}{
		{0, 3, 0.9258}, {5, 3, 1.0811}, {15, 3, 1.3389}, {34, 3, 1.8567}, {35, 3, 1.8708}, {300, 3, 1.8708},
		{300, 10, math.Sqrt(10)}, {40, 1, 1.8708},
		{5, 1.6, 0.7895}, {5, 1, 0.7290}, // five agents: E ≈ 1.6, and a burst is 1.36
	} {
		if got := burstSpread(c.expect, capRate, c.team); math.Abs(got-c.want) > 1e-4 {
			t.Errorf("burstSpread(E %v, %d agents) = %.4f, want %.4f", c.expect, c.team, got, c.want)
		}
	}

	// A live answer a second for ten minutes, then 100 in the window.
	epoch := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	now := epoch.Add(10 * time.Minute)
	for _, c := range []struct {
		name  string
		team  int
		until time.Duration // from now; 0: unknown
		burst bool
	}{
		{"five agents, no end of day", 5, 0, false},
		{"forty agents, 8 h day", 40, 8 * time.Hour, true},
		{"five agents, 8 h day", 5, 8 * time.Hour, true},
		{"five agents, 2 h day", 5, 2 * time.Hour, true},
	} {
		pc, err := NewPredictive(records.PredictiveConfig{}, 0.03)
		if err != nil {
			t.Fatal(err)
		}
		p := pc.(*Predictive)
		for i := range 600 {
			p.Observe(Observation{At: epoch.Add(time.Duration(i) * time.Second), Kind: ObsOutcome, Outcome: records.OutcomeLive, Duration: 8 * time.Second})
		}
		s := &Snapshot{Now: now, Idle: c.team, LoggedIn: c.team, AbandonTarget: 0.03, WindowLiveAnswers: 100}
		if c.until != 0 {
			s.DialUntil = now.Add(c.until)
		}
		p.Decide(s)
		lr := p.est.liveRate.get(now)
		e := capRate * lr * 1800
		want := 1 + 2.5*math.Sqrt(max(e, minExpect))
		if c.burst {
			want = 1 + 2.5*burstSpread(e, capRate, c.team)
		}
		if span, _ := youngSpan(s, lr, p.cfg.YoungWindow); 100 < span {
			want *= 100 / span
		}
		if math.Abs(p.ctl.setpoint-want) > 1e-9 {
			t.Errorf("%s: setpoint %.4f, want %.4f", c.name, p.ctl.setpoint, want)
		}
	}
}

// rate.since reads a steady rate from the first events on, where the raw
// sum reads only the share 1 − e^(−T/τ) of it.
func TestRateSince(t *testing.T) {
	epoch := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	r := rate{tau: 600}
	for i := range 60 { // one event a second for a minute
		r.add(epoch.Add(time.Duration(i+1) * time.Second))
	}
	now := epoch.Add(time.Minute)
	if got := r.get(now); got > 0.1 {
		t.Errorf("raw rate %v after a minute, want about 0.05", got)
	}
	if got := r.since(epoch, now); math.Abs(got-1) > 0.05 {
		t.Errorf("since = %v, want about 1", got)
	}
	if got := r.since(now, now); got != 0 {
		t.Errorf("since at its own start = %v", got)
	}
}

// The ramp takes at most a quarter of a known day's live answers.
func TestRampLength(t *testing.T) {
	epoch := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	p := &Predictive{cfg: records.PredictiveConfig{Ramp: 100}}
	p.ctl.bornAt = epoch
	p.est.liveRate.tau = liveRateTime
	for i := range 30 { // a live answer every 60 s for half an hour
		p.est.liveRate.add(epoch.Add(time.Duration(i+1) * time.Minute))
	}
	now := epoch.Add(30 * time.Minute)
	for _, c := range []struct {
		name  string
		until time.Duration // from now; 0: unknown
		want  float64
	}{
		{"end of day unknown", 0, 100},
		// 30 so far and one a minute for 7.5 h more: 480, a quarter 120.
		{"long day", 450 * time.Minute, 100},
		// 30 and 90 more: a quarter of 120.
		{"short day", 90 * time.Minute, 30},
		{"day over", -time.Minute, 7.5},
	} {
		s := &Snapshot{Now: now, WindowLiveAnswers: 30}
		if c.until != 0 {
			s.DialUntil = now.Add(c.until)
		}
		if got := p.ctl.rampLength(s, p.cfg.Ramp, &p.est.liveRate); math.Abs(got-c.want) > 0.05*c.want {
			t.Errorf("%s: rampLength = %.2f, want %.2f", c.name, got, c.want)
		}
	}
}
