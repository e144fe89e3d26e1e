package pacing

import (
	"github.com/outpace-dev/outpace/records"
	"testing"
	"time"
)

// benchSnapshot is a busy task: 300 agents logged in (30 idle, 20 reserved,
// 200 talking for up to 10 minutes, 50 in wrap-up) and 900 calls in flight
// (850 ringing, 50 waiting).
func benchSnapshot(now time.Time) *Snapshot {
	s := &Snapshot{
		Now: now, LoggedIn: 300, Idle: 30, Ringing: 850, Waiting: 50,
		MaxInFlight: 1200, AbandonTarget: DefaultAbandonTarget,
		ConnectDeadline: 2 * time.Second, NoAnswerTimeout: 30 * time.Second,
	}
	for i := range 20 {
		s.Agents = append(s.Agents, Agent{Phase: PhaseReserved, Since: now.Add(-time.Duration(i) * 100 * time.Millisecond)})
	}
	for i := range 200 {
		start := now.Add(-time.Duration(i) * 3 * time.Second)
		s.Agents = append(s.Agents, Agent{Phase: PhaseTalk, Since: start, Call: start})
	}
	for i := range 50 {
		s.Agents = append(s.Agents, Agent{Phase: PhaseWrap, Since: now.Add(-time.Duration(i) * time.Second)})
	}
	for i := range 850 {
		s.Calls = append(s.Calls, Call{State: CallRinging, DialedAt: now.Add(-time.Duration(i) * 20 * time.Millisecond)})
	}
	for i := range 50 {
		t := now.Add(-time.Duration(i) * 30 * time.Millisecond)
		s.Calls = append(s.Calls, Call{State: CallWaiting, DialedAt: t.Add(-10 * time.Second), AnswerAt: t})
	}
	s.Busy = len(s.Agents)
	return s
}

// peerStep advances the task by 100 ms: a few observations of every kind, then
// one decision. Talking agents keep their start times, so talk ages grow.
func peerStep(p Pacer, s *Snapshot, i int) Decision {
	s.Now = s.Now.Add(100 * time.Millisecond)
	now := s.Now
	p.Observe(Observation{At: now, Kind: ObsDial})
	out := records.OutcomeNoAnswer
	if i%4 == 0 {
		out = records.OutcomeLive
	}
	p.Observe(Observation{At: now, Kind: ObsOutcome, Outcome: out, Duration: 15 * time.Second})
	if i%4 == 1 {
		p.Observe(Observation{At: now, Kind: ObsConnect, Duration: time.Second})
		p.Observe(Observation{At: now, Kind: ObsTalkEnd, Duration: 150 * time.Second})
		p.Observe(Observation{At: now, Kind: ObsAgentFree})
	}
	if i%97 == 0 {
		p.Observe(Observation{At: now, Kind: ObsAbandon, Duration: 2 * time.Second})
	}
	return p.Decide(s)
}

func newPeer(tb testing.TB, mode records.PacingMode) Pacer {
	p, err := New(records.PacingConfig{Mode: mode, Issabel: records.IssabelConfig{Overcommit: true}}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

var peerModes = []records.PacingMode{records.ModeVicidial, records.ModeIssabel, records.ModeClosedForm}

// TestPeersZeroAlloc checks that Observe and Decide allocate nothing in
// steady state.
func TestPeersZeroAlloc(t *testing.T) {
	for _, mode := range peerModes {
		t.Run(string(mode), func(t *testing.T) {
			p := newPeer(t, mode)
			s := benchSnapshot(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
			i := 0
			for ; i < 2000; i++ {
				peerStep(p, s, i)
			}
			allocs := testing.AllocsPerRun(3000, func() {
				peerStep(p, s, i)
				i++
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per step", allocs)
			}
		})
	}
}

func benchmarkPeer(b *testing.B, mode records.PacingMode) {
	p := newPeer(b, mode)
	s := benchSnapshot(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	for i := range 2000 {
		peerStep(p, s, i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		peerStep(p, s, i)
		i++
	}
}

// The benchmarks time one 100 ms step: the step's observations and one
// Decide on a snapshot of 300 agents and 900 calls in flight. Loops that tick
// less often than every step (VICIdial's 1 s sample and 2.5 s dialer tick,
// Issabel's 5 s) are amortised over the steps.
func BenchmarkVicidialDecide(b *testing.B)   { benchmarkPeer(b, records.ModeVicidial) }
func BenchmarkIssabelDecide(b *testing.B)    { benchmarkPeer(b, records.ModeIssabel) }
func BenchmarkClosedFormDecide(b *testing.B) { benchmarkPeer(b, records.ModeClosedForm) }

// BenchmarkPeersTick times the tick itself: every Decide lands on a dialer
// tick (VICIdial every 2.5 s with a sample, Issabel every 5 s).
func BenchmarkPeersTick(b *testing.B) {
	for _, c := range []struct {
		mode records.PacingMode
		step time.Duration
	}{{records.ModeVicidial, 2500 * time.Millisecond}, {records.ModeIssabel, 5 * time.Second}, {records.ModeClosedForm, time.Second}} {
		b.Run(string(c.mode), func(b *testing.B) {
			p := newPeer(b, c.mode)
			s := benchSnapshot(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
			for i := range 200 {
				p.Observe(Observation{At: s.Now, Kind: ObsTalkEnd, Duration: time.Duration(100+i) * time.Second})
				p.Observe(Observation{At: s.Now, Kind: ObsOutcome, Outcome: records.OutcomeLive, Duration: 12 * time.Second})
			}
			b.ReportAllocs()
			for b.Loop() {
				s.Now = s.Now.Add(c.step)
				if d := p.Decide(s); d.Place < 0 {
					b.Fatal("negative placement")
				}
			}
		})
	}
}
