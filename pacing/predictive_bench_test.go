package pacing

import (
	"github.com/outpace-dev/outpace/records"
	"math/rand/v2"
	"testing"
	"time"
)

// benchPredictive builds a predictive pacer with a few hours of history (a
// share live of the dial outcomes) and a snapshot of a floor of the given
// size: 5 agents idle, 10 live answers waiting, the other calls ringing. It
// also returns the history's last dial outcomes, for a benchmark to replay so
// that the estimates hold still while its clock runs.
func benchPredictive(b testing.TB, agents, calls, maxInFlight int, live float64) (*Predictive, *Snapshot, []Observation) {
	b.Helper()
	return benchPredictiveWith(b, records.PredictiveConfig{}, agents, calls, maxInFlight, live)
}

// benchPredictiveWith is benchPredictive with the given knobs.
func benchPredictiveWith(b testing.TB, cfg records.PredictiveConfig, agents, calls, maxInFlight int, live float64) (*Predictive, *Snapshot, []Observation) {
	b.Helper()
	pc, err := NewPredictive(cfg, 0.03)
	if err != nil {
		b.Fatal(err)
	}
	p := pc.(*Predictive)
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	now := t0
	var outs []Observation
	for range 20000 {
		now = now.Add(100 * time.Millisecond)
		p.Observe(Observation{At: now, Kind: ObsDial})
		out, d := records.OutcomeNoAnswer, 22*time.Second
		switch u := rng.Float64(); {
		case u < live:
			out, d = records.OutcomeLive, time.Duration((3+10*rng.Float64())*float64(time.Second))
		case u < live+0.3:
			out, d = records.OutcomeMachine, time.Duration((17.5+6*rng.Float64())*float64(time.Second))
		case u < live+0.35:
			out, d = records.OutcomeBusy, 3*time.Second
		case u < live+0.5:
			out, d = records.OutcomeInvalid, 2*time.Second
		}
		o := Observation{At: now, Kind: ObsOutcome, Outcome: out, Duration: d}
		p.Observe(o)
		outs = append(outs, o)
		if out == records.OutcomeLive {
			p.Observe(Observation{At: now, Kind: ObsTalkEnd, Duration: time.Duration(rng.ExpFloat64() * 240 * float64(time.Second))})
			p.Observe(Observation{At: now, Kind: ObsWrapEnd, Duration: time.Duration((20 + 50*rng.Float64()) * float64(time.Second))})
		}
	}
	s := &Snapshot{
		Now: now, LoggedIn: agents, Idle: 5, Busy: agents - 5, Ringing: calls - 10, Waiting: 10, MaxInFlight: maxInFlight,
		LiveAnswers: 2000, WindowLiveAnswers: 2000, Abandoned: 20, WindowAbandoned: 20,
		AbandonTarget: 0.03, ConnectDeadline: 2 * time.Second, NoAnswerTimeout: 22 * time.Second,
	}
	for i := range calls - 10 {
		s.Calls = append(s.Calls, Call{State: CallRinging, DialedAt: now.Add(-time.Duration(i) * 25 * time.Millisecond)})
	}
	for range 10 {
		s.Calls = append(s.Calls, Call{State: CallWaiting, DialedAt: now.Add(-9 * time.Second), AnswerAt: now.Add(-time.Second)})
	}
	for i := range agents - 5 {
		since := now.Add(-time.Duration(rng.ExpFloat64() * 240 * float64(time.Second)))
		a := Agent{Phase: PhaseTalk, Since: since, Call: since}
		if i%6 == 0 {
			a = Agent{Phase: PhaseWrap, Since: now.Add(-time.Duration(rng.Float64() * 40 * float64(time.Second)))}
		}
		s.Agents = append(s.Agents, a)
	}
	return p, s, outs[len(outs)-1000:]
}

// BenchmarkPredictiveDecide measures one decision for 300 agents and 900 calls
// in flight, the clock moving 10 ms per decision and an outcome arriving every
// tenth decision, so the distribution tables are rebuilt once a second as in a
// live run.
func BenchmarkPredictiveDecide(b *testing.B) { benchDecide(b, 300, 900, 1200, 0.1, false) }

// BenchmarkPredictiveDecideExact is the costliest team for the exact form of
// the forecast: 16 agents with 3 lines each, 47 calls in flight, 35 % of
// dials answered live.
func BenchmarkPredictiveDecideExact(b *testing.B) {
	benchDecide(b, 16, 3*16-1, exactTerms-16, 0.35, false)
}

// benchDecide runs decisions on the state benchPredictive builds. With
// rebuild, the clock holds still and every decision rebuilds the model after
// one replayed outcome; without, the clock runs as described above.
func benchDecide(b *testing.B, agents, calls, maxInFlight int, live float64, rebuild bool) {
	p, s, outs := benchPredictive(b, agents, calls, maxInFlight, live)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if rebuild {
			o := outs[i%len(outs)]
			o.At = s.Now
			p.Observe(o)
			p.fc.builtAt = time.Time{}
			p.Decide(s)
			continue
		}
		s.Now = s.Now.Add(10 * time.Millisecond)
		if i%10 == 0 {
			o := outs[(i/10)%len(outs)]
			o.At = s.Now
			p.Observe(o)
		}
		if i%100 == 99 {
			b.StopTimer()
			shift(s, time.Second)
			b.StartTimer()
		}
		p.Decide(s)
	}
}

// shift moves the calls and agents of s forward by d, so that a benchmark's
// state stays as it was built while its clock runs.
func shift(s *Snapshot, d time.Duration) {
	for i := range s.Calls {
		c := &s.Calls[i]
		c.DialedAt = c.DialedAt.Add(d)
		if !c.AnswerAt.IsZero() {
			c.AnswerAt = c.AnswerAt.Add(d)
		}
	}
	for i := range s.Agents {
		a := &s.Agents[i]
		a.Since, a.Call = a.Since.Add(d), a.Call.Add(d)
	}
}

// BenchmarkPredictiveDecideRebuild is the worst case: the model is rebuilt
// for every decision (the clock held still, the last build forgotten), so
// that every decision recomputes a full budget of rows.
func BenchmarkPredictiveDecideRebuild(b *testing.B) { benchDecide(b, 300, 900, 1200, 0.1, true) }

// BenchmarkPredictiveDecideExactRebuild is the worst case of the exact form.
func BenchmarkPredictiveDecideExactRebuild(b *testing.B) {
	benchDecide(b, 16, 3*16-1, exactTerms-16, 0.35, true)
}

// BenchmarkPredictiveObserve measures one dial outcome's observation: both
// outcome memories take it and the short one is compared with the long one
// (noticeChange).
func BenchmarkPredictiveObserve(b *testing.B) {
	p, s, outs := benchPredictive(b, 300, 900, 1200, 0.1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		o := outs[i%len(outs)]
		o.At = s.Now.Add(time.Duration(i) * 10 * time.Millisecond)
		p.Observe(o)
	}
}
