package pacing

import (
	"math/rand/v2"
	"testing"
	"time"
)

// benchPredictive builds a predictive pacer with a few hours of history and a
// snapshot of a 300-agent floor with 900 calls in flight.
func benchPredictive(b testing.TB) (*Predictive, *Snapshot) {
	b.Helper()
	pc, err := NewPredictive(PredictiveConfig{}, 0.03)
	if err != nil {
		b.Fatal(err)
	}
	p := pc.(*Predictive)
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	now := t0
	for range 20000 {
		now = now.Add(100 * time.Millisecond)
		p.Observe(Observation{At: now, Kind: ObsDial})
		out, d := OutcomeNoAnswer, 22*time.Second
		switch u := rng.Float64(); {
		case u < 0.1:
			out, d = OutcomeLive, time.Duration((3+10*rng.Float64())*float64(time.Second))
		case u < 0.4:
			out, d = OutcomeMachine, time.Duration((17.5+6*rng.Float64())*float64(time.Second))
		case u < 0.45:
			out, d = OutcomeBusy, 3*time.Second
		case u < 0.6:
			out, d = OutcomeInvalid, 2*time.Second
		}
		p.Observe(Observation{At: now, Kind: ObsOutcome, Outcome: out, Duration: d})
		if out == OutcomeLive {
			p.Observe(Observation{At: now, Kind: ObsTalkEnd, Duration: time.Duration(rng.ExpFloat64() * 240 * float64(time.Second))})
			p.Observe(Observation{At: now, Kind: ObsWrapEnd, Duration: time.Duration((20 + 50*rng.Float64()) * float64(time.Second))})
		}
	}
	s := &Snapshot{
		Now: now, LoggedIn: 300, Idle: 5, Busy: 295, Ringing: 890, Waiting: 10, MaxInFlight: 1200,
		LiveAnswers: 2000, WindowLiveAnswers: 2000, Abandoned: 20, WindowAbandoned: 20,
		AbandonTarget: 0.03, ConnectDeadline: 2 * time.Second, NoAnswerTimeout: 22 * time.Second,
	}
	for i := range 890 {
		s.Calls = append(s.Calls, Call{State: CallRinging, DialedAt: now.Add(-time.Duration(i) * 25 * time.Millisecond)})
	}
	for range 10 {
		s.Calls = append(s.Calls, Call{State: CallWaiting, DialedAt: now.Add(-9 * time.Second), AnswerAt: now.Add(-time.Second)})
	}
	for i := range 295 {
		since := now.Add(-time.Duration(rng.ExpFloat64() * 240 * float64(time.Second)))
		a := Agent{Phase: PhaseTalk, Since: since, Call: since}
		if i%6 == 0 {
			a = Agent{Phase: PhaseWrap, Since: now.Add(-time.Duration(rng.Float64() * 40 * float64(time.Second)))}
		}
		s.Agents = append(s.Agents, a)
	}
	return p, s
}

// BenchmarkPredictiveDecide measures one decision for 300 agents and 900 calls
// in flight, the clock moving 10 ms per decision and an outcome arriving every
// tenth decision, so the distribution tables are rebuilt once a second as in a
// live run.
func BenchmarkPredictiveDecide(b *testing.B) {
	p, s := benchPredictive(b)
	obs := Observation{Kind: ObsOutcome, Outcome: OutcomeMachine, Duration: 20 * time.Second}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s.Now = s.Now.Add(10 * time.Millisecond)
		if i%10 == 0 {
			obs.At = s.Now
			p.Observe(obs)
		}
		p.Decide(s)
	}
}

// BenchmarkPredictiveDecideRebuild is the worst case: the tables are rebuilt
// for every decision.
func BenchmarkPredictiveDecideRebuild(b *testing.B) {
	p, s := benchPredictive(b)
	obs := Observation{Kind: ObsOutcome, Outcome: OutcomeMachine, Duration: 20 * time.Second}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.Now = s.Now.Add(time.Second)
		obs.At = s.Now
		p.Observe(obs)
		p.Decide(s)
	}
}
