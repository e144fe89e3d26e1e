package remote_test

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/api"
	"github.com/outpace-dev/outpace/backend/remote"
	"github.com/outpace-dev/outpace/backend/simulated"
	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/sim/simtest"
	"github.com/outpace-dev/outpace/store"
)

// echo is a backend that fails every call it is given at once: the
// protocol's cost with no telephony behind it.
type echo struct{ emit func(engine.Event) }

func (e *echo) Run(ctx context.Context, emit func(engine.Event)) error {
	e.emit = emit
	<-ctx.Done()
	return nil
}

func (e *echo) Send(cmds []engine.Command) {
	for _, c := range cmds {
		if c.Kind == engine.CmdOriginate {
			e.emit(engine.Event{Kind: engine.EvFailed, Call: c.Call, Outcome: records.OutcomeBusy})
		}
	}
}

// BenchmarkStream measures the stream itself over loopback gRPC: each op
// is one originate from the hub to an attached backend and the failure it
// answers with, two messages (acknowledgements aside).
func BenchmarkStream(b *testing.B) {
	st, err := store.Open(store.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.PutTenant(store.Tenant{ID: "admin", Created: time.Now()}); err != nil {
		b.Fatal(err)
	}
	if err := st.SetCredential("admin", adminApp, adminSecret); err != nil {
		b.Fatal(err)
	}
	srv, err := api.New(api.Config{Store: st, AdminTenant: "admin", Rate: -1})
	if err != nil {
		b.Fatal(err)
	}
	hub := remote.NewHub(remote.HubConfig{})
	hub.Register(srv.GRPC())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	var got atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = hub.Run(ctx, func(engine.Event) { got.Add(1) }) }()
	cfg := clientConfig(lis.Addr().String())
	cfg.Lines, cfg.CallsPerSecond = 0, 0
	attachWith(b, cfg, &echo{})
	for hub.Stats().Attached == 0 {
		time.Sleep(time.Millisecond)
	}
	const batch = 256
	cmds := make([]engine.Command, 0, batch)
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		cmds = append(cmds, engine.Command{Kind: engine.CmdOriginate, Call: records.CallID(i), Phone: "+14155550000", Timeout: time.Hour})
		if len(cmds) == batch || i == b.N {
			hub.Send(cmds)
			cmds = cmds[:0]
			for got.Load() < int64(i)-4*batch {
				time.Sleep(50 * time.Microsecond)
			}
		}
	}
	for got.Load() < int64(b.N) {
		time.Sleep(50 * time.Microsecond)
	}
	b.StopTimer()
	b.ReportMetric(2*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// The team and carrier of BenchmarkDials: simtest.World with a large team
// on longer talks, in time scaled so far that the dialer, not the
// scenario, is the limit.
var benchSets = []string{
	fmt.Sprintf("agents.count=%d", benchAgents),
	"handling.talk={dist: uniform, min: 20s, max: 60s}",
}

const (
	benchAgents = 300
	benchSpeed  = 1000
)

// BenchmarkDials measures dial attempts per wall second through the runner
// on Badger with the simulated world in process, then with the same world
// attached over loopback gRPC as a remote backend, b.N dials each, one
// after the other in the same run: it reports both rates and the remote's
// share of the in-process rate.
func BenchmarkDials(b *testing.B) {
	world := func(clock runner.Clock) *sim.Live {
		sc, err := sim.ParseScenario([]byte(simtest.World), benchSets, nil)
		if err != nil {
			b.Fatal(err)
		}
		return sim.NewLive(sc, 1, simulated.AgentRange(benchAgents), true, clock)
	}
	measure := func(s *server) float64 {
		defer s.stop()
		deadline := time.Now().Add(time.Minute)
		for s.snapshot().Queues[1].LoggedIn < benchAgents {
			if time.Now().After(deadline) {
				b.Fatalf("the team did not log in: %+v", s.snapshot().Queues[1])
			}
			time.Sleep(time.Millisecond)
		}
		s.start()
		base := s.dials.Load()
		t0 := time.Now()
		for s.dials.Load()-base < int64(b.N) {
			if time.Now().After(deadline.Add(time.Minute)) {
				snap := s.snapshot()
				b.Fatalf("%d dials of %d: %+v %+v %d in flight", s.dials.Load()-base, b.N, snap.Tasks[1], snap.Queues[1], snap.ActiveCalls)
			}
			time.Sleep(time.Millisecond)
		}
		return float64(s.dials.Load()-base) / time.Since(t0).Seconds()
	}
	b.StopTimer()
	in := measure(newServerOf(b, b.N+1000, benchAgents, 0, benchSpeed, func(c runner.Clock) runner.Backend { return world(c) }))
	s := newServerOf(b, b.N+1000, benchAgents, time.Hour, benchSpeed, nil)
	cfg := clientConfig(s.addr)
	cfg.Lines, cfg.CallsPerSecond = 0, 0
	attachWith(b, cfg, world(runner.NewScaled(time.Now(), benchSpeed)))
	rem := measure(s)
	b.ReportMetric(in, "inprocess-dials/s")
	b.ReportMetric(rem, "remote-dials/s")
	b.ReportMetric(100*rem/in, "remote-%")
}
