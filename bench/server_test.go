package bench

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/outpace-dev/outpace/api"
	"github.com/outpace-dev/outpace/engine"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/store"
)

// loadWorld is the simulated carrier and team of the server benchmarks:
// the demo's telemarketing world (S3), whose calls hold a line some 60 s
// on average. Paced predictively, a team of 12 000 agents keeps about
// 11 000 calls in flight and, at speed 6, places some 1 100 dial attempts
// a second of wall time.
const loadWorld = `
name: server-load
seed: 1
agents: {count: 12000, answer_delay: 0s}
outcomes: {live: 0.3, machine: 0.25, no_answer: 0.3, busy: 0.05, invalid: 0.1}
timing:
  live:    {dist: lognormal, mean: 8s, cv: 0.5}
  machine: {dist: uniform, min: 17.5s, max: 23.5s}
  busy:    {dist: constant, value: 3s}
  invalid: {dist: constant, value: 2s}
handling:
  talk: {dist: lognormal, mean: 150s, cv: 1.0}
  wrap: {dist: lognormal, mean: 20s, cv: 0.5}
task: {no_answer_timeout: 22s, connect_deadline: 2s, max_lines_per_agent: 3}
`

// loadTenant owns the benchmark campaign; its app credential is
// loadTenant+"-app" / loadKey.
const (
	loadTenant = "acme"
	loadKey    = "acme-secret-access-key"
)

// envInt and envFloat read a knob of the server benchmarks from the
// environment (OUTPACE_BENCH_AGENTS, _SPEED, _NUMBERS, _WARMUP).
func envFloat(b *testing.B, name string, def float64) float64 {
	s := os.Getenv("OUTPACE_BENCH_" + name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) || v > 1e9 {
		b.Fatalf("OUTPACE_BENCH_%s=%q: want a positive number", name, s)
	}
	return v
}

// load is a campaign served by the real runner on Badger in a temporary
// directory, with the simulated world on a scaled clock as its backend.
type load struct {
	st     *store.Badger
	r      *runner.Runner
	be     *timedBackend
	store  *timedStore
	clock  *runner.Scaled
	queue  records.QueueID
	agents int

	commits, dials, events atomic.Int64
	target                 atomic.Int64 // dials that close reached
	reached                chan struct{}
}

// startLoad stores a tenant with a queue of OUTPACE_BENCH_AGENTS agents
// (default agents) and a predictive task of OUTPACE_BENCH_NUMBERS numbers,
// then runs the runner over it with the world at OUTPACE_BENCH_SPEED
// (default speed) until the benchmark ends. The set-up writes without
// syncing (it is not measured); the runner's store syncs every commit.
func startLoad(b *testing.B, agents int, speed float64) *load {
	b.Helper()
	agents = int(envFloat(b, "AGENTS", float64(agents)))
	speed = envFloat(b, "SPEED", speed)
	numbers := int(envFloat(b, "NUMBERS", 400_000))
	dir := b.TempDir()
	quiet := slog.New(slog.DiscardHandler)

	setup, err := store.Open(store.Config{Dir: dir, Logger: quiet,
		Tune: func(o badger.Options) badger.Options { return o.WithSyncWrites(false) }})
	if err != nil {
		b.Fatal(err)
	}
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, t := range []string{"admin", loadTenant} {
		must(setup.PutTenant(store.Tenant{ID: t, Name: t}))
		must(setup.SetCredential(t, t+"-app", t+"-secret-access-key"))
	}
	ids := make([]records.AgentID, agents)
	for i := range ids {
		a := records.AgentSpec{Tenant: loadTenant, Name: fmt.Sprint(100001 + i), Phone: fmt.Sprint(100001 + i)}
		must(setup.PutAgent(&a))
		ids[i] = a.ID
	}
	q := store.Queue{Spec: records.QueueSpec{Tenant: loadTenant, Name: "sales", Strategy: records.StrategyLongestIdle}, Members: ids}
	must(setup.PutQueue(&q))
	sc, err := sim.ParseScenario([]byte(loadWorld), []string{fmt.Sprintf("agents.count=%d", agents)}, nil)
	must(err)
	task := store.Task{Spec: records.TaskSpec{
		Tenant: loadTenant, Name: "load", Queue: q.Spec.ID,
		Pacing:    records.PacingConfig{Mode: records.ModePredictive, AbandonTarget: 0.03, Ratio: "1:1"},
		CallerIDs: []string{"+14155550100"}, NoAnswerTimeout: *sc.Task.NoAnswerTimeout, ConnectDeadline: *sc.Task.ConnectDeadline,
		ACWTimeout: 10 * time.Minute, MaxLinesPerAgent: sc.Task.MaxLinesPerAgent, SafeHarbor: "safe-harbor",
		AllowShortRing: true,
	}, Window: records.AlwaysOpen}
	must(setup.CreateTask(&task))
	nums := make([]records.Number, 0, 10_000)
	for i := 0; i < numbers; i++ {
		nums = append(nums, records.Number{Phone: fmt.Sprintf("+1415%07d", 1000000+i), TZ: "America/Los_Angeles"})
		if len(nums) == cap(nums) || i == numbers-1 {
			res, err := setup.ImportNumbers(task.Spec.ID, nums)
			must(err)
			if res.Stored != len(nums) {
				b.Fatalf("import: %+v", res)
			}
			nums = nums[:0]
		}
	}
	must(setup.Close())

	st, err := store.Open(store.Config{Dir: dir, Logger: quiet})
	must(err)
	clock := runner.NewScaled(time.Now(), speed)
	l := &load{st: st, clock: clock, queue: q.Spec.ID, agents: agents, reached: make(chan struct{}, 1)}
	l.be = &timedBackend{Backend: sim.NewLive(sc, 1, ids, true, clock)}
	l.store = &timedStore{Badger: st}
	l.r = runner.New(runner.Config{Store: l.store, Backend: l.be, Clock: clock, Seed: 1, Logger: quiet, Observe: l.observe})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = l.r.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		<-l.r.Done()
		st.Close()
	})
	must(l.r.Submit(ctx, engine.Event{Kind: engine.EvStartTask, Task: task.Spec.ID}))
	return l
}

func (l *load) observe(p *runner.Published) {
	l.commits.Add(1)
	l.events.Add(int64(len(p.Events)))
	if d := l.dials.Add(int64(p.Dials)); p.Dials > 0 {
		if t := l.target.Load(); t > 0 && d >= t {
			l.target.Store(0)
			select {
			case l.reached <- struct{}{}:
			default:
			}
		}
	}
}

// warmUp lets the load settle for OUTPACE_BENCH_WARMUP seconds of wall
// time (default warm): the first wave of calls, placed for a whole team
// idle at once, takes some three talk times to even out.
func (l *load) warmUp(b *testing.B, warm time.Duration) {
	b.Helper()
	end := time.Now().Add(time.Duration(envFloat(b, "WARMUP", warm.Seconds()) * float64(time.Second)))
	d0, c0, cpu0, t0 := l.dials.Load(), l.commits.Load(), cpuTime(), time.Now()
	for time.Now().Before(end) {
		time.Sleep(min(10*time.Second, time.Until(end)))
		if err := l.r.Err(); err != nil {
			b.Fatal(err)
		}
		s := l.r.Snapshot()
		d, c, cpu, t := l.dials.Load(), l.commits.Load(), cpuTime(), time.Now()
		sec := t.Sub(t0).Seconds()
		b.Logf("warm-up: %d calls in flight, %d/%d agents busy, %.0f dials/s, %.0f commits/s, %.2f CPU",
			s.ActiveCalls, s.Queues[l.queue].Busy, s.Queues[l.queue].LoggedIn, float64(d-d0)/sec, float64(c-c0)/sec, (cpu-cpu0).Seconds()/sec)
		d0, c0, cpu0, t0 = d, c, cpu, t
	}
}

// window is what a measured stretch of the load did.
type window struct {
	wall                   time.Duration
	dials, commits, events int64
	cpu                    time.Duration
	inflightMin            int
	inflightMean           float64
	lat, commitLat         []time.Duration
	outside                []time.Duration // of each of lat, the time outside commits
	waited                 int
}

// measure runs the load until it has placed n more dials and returns what
// it did meanwhile.
func (l *load) measure(b *testing.B, n int) window {
	b.Helper()
	stopSample := make(chan struct{})
	var samples []int
	var sampled sync.WaitGroup
	sampled.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopSample:
				return
			case <-t.C:
				samples = append(samples, l.r.Snapshot().ActiveCalls)
			}
		}
	})
	l.be.reset(true)
	l.store.reset()
	d0, c0, e0, cpu0 := l.dials.Load(), l.commits.Load(), l.events.Load(), cpuTime()
	start := time.Now()
	b.ResetTimer()
	l.target.Store(d0 + int64(n))
	select {
	case <-l.reached:
	case <-l.r.Done():
		b.Fatalf("the runner stopped: %v", l.r.Err())
	}
	b.StopTimer()
	w := window{wall: time.Since(start), cpu: cpuTime() - cpu0,
		dials: l.dials.Load() - d0, commits: l.commits.Load() - c0, events: l.events.Load() - e0}
	w.lat, w.waited = l.be.reset(false)
	w.commitLat = l.store.reset()
	w.outside = outsideCommits(l.be.lastSpans, l.store.lastSpans)
	close(stopSample)
	sampled.Wait()
	samples = append(samples, l.r.Snapshot().ActiveCalls)
	w.inflightMin = slices.Min(samples)
	for _, s := range samples {
		w.inflightMean += float64(s)
	}
	w.inflightMean /= float64(len(samples))
	return w
}

// report sets the window's figures as the benchmark's metrics.
func (w *window) report(b *testing.B) {
	sec := w.wall.Seconds()
	b.ReportMetric(float64(w.dials)/sec, "dials/s")
	b.ReportMetric(w.inflightMean, "inflight")
	b.ReportMetric(float64(w.inflightMin), "inflight-min")
	b.ReportMetric(float64(w.cpu.Microseconds())/float64(max(w.dials, 1)), "cpu-µs/dial")
	b.ReportMetric(float64(w.commits)/sec, "commits/s")
	b.ReportMetric(float64(w.dials)/float64(max(w.commits, 1)), "dials/commit")
	b.ReportMetric(float64(w.events)/sec, "events/s")
	quantiles(b, "connect", w.lat)
	quantiles(b, "commit", w.commitLat)
	quantiles(b, "connect-outside-commit", w.outside)
	b.ReportMetric(float64(len(w.lat)), "connects")
	b.ReportMetric(0, "ns/op")
}

// quantiles reports the median, 99th percentile and maximum of lat, in
// milliseconds, as name-p50-ms and so on.
func quantiles(b *testing.B, name string, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.5), name+"-p50-ms")
	b.ReportMetric(q(0.99), name+"-p99-ms")
	b.ReportMetric(q(1), name+"-max-ms")
}

// timedStore is the Badger store with a stopwatch on Commit.
type timedStore struct {
	*store.Badger
	mu        sync.Mutex
	lat       []time.Duration
	spans     [][2]time.Time // [start, end] of each commit
	lastSpans [][2]time.Time // those of the last stretch that ended
}

func (s *timedStore) Commit(w records.Writes, hooks []store.Webhook, seqs []uint64) ([]uint64, error) {
	t := time.Now()
	seqs, err := s.Badger.Commit(w, hooks, seqs)
	d := time.Since(t)
	s.mu.Lock()
	s.lat = append(s.lat, d)
	s.spans = append(s.spans, [2]time.Time{t, t.Add(d)})
	s.mu.Unlock()
	return seqs, err
}

func (s *timedStore) reset() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	lat := s.lat
	s.lastSpans = s.spans
	s.lat, s.spans = nil, nil
	return lat
}

// cpuTime returns the process's CPU time, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timedBackend is the simulated world with a stopwatch on the seam: it
// notes the wall time at which each live answer and each agent's return to
// ready leave the world, and at which each connect reaches Send. A
// connect's latency runs from the later of its call's answer and its
// agent's ready: the event that let the engine connect, to the command.
type timedBackend struct {
	runner.Backend
	on atomic.Bool

	mu       sync.Mutex
	answered map[records.CallID]time.Time
	ready    map[records.AgentID]time.Time
	lat      []time.Duration
	spans    [][2]time.Time // [answer or ready, connect sent] of each in lat
	// lastSpans are the spans of the last stretch that ended.
	lastSpans [][2]time.Time
	waited    int // connects whose agent became ready after the answer
}

// reset starts (on) or ends a measured stretch and returns the latencies
// of the stretch that ends.
func (t *timedBackend) reset(on bool) ([]time.Duration, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	lat, waited := t.lat, t.waited
	t.lastSpans = t.spans
	t.lat, t.waited, t.spans = nil, 0, nil
	t.on.Store(on)
	return lat, waited
}

func (t *timedBackend) Run(ctx context.Context, emit func(engine.Event)) error {
	t.answered = make(map[records.CallID]time.Time)
	t.ready = make(map[records.AgentID]time.Time)
	return t.Backend.Run(ctx, func(ev engine.Event) {
		switch ev.Kind {
		case engine.EvAnswered, engine.EvAgentReady, engine.EvAgentLogin:
			now := time.Now()
			t.mu.Lock()
			if ev.Kind == engine.EvAnswered {
				if ev.Outcome == records.OutcomeLive {
					t.answered[ev.Call] = now
				}
			} else {
				t.ready[ev.Agent] = now
			}
			t.mu.Unlock()
		}
		emit(ev)
	})
}

func (t *timedBackend) Send(cmds []engine.Command) {
	now := time.Now()
	t.mu.Lock()
	for i := range cmds {
		c := &cmds[i]
		switch c.Kind {
		case engine.CmdConnect:
			at, ok := t.answered[c.Call]
			if !ok {
				continue
			}
			delete(t.answered, c.Call)
			if !t.on.Load() {
				continue
			}
			if r := t.ready[c.Agent]; r.After(at) {
				at = r
				t.waited++
			}
			t.lat = append(t.lat, now.Sub(at))
			t.spans = append(t.spans, [2]time.Time{at, now})
		case engine.CmdPlayHangup, engine.CmdHangup:
			delete(t.answered, c.Call)
		}
	}
	t.mu.Unlock()
	t.Backend.Send(cmds)
}

// BenchmarkServerLoad measures the server's loop under a large team: the
// real runner over Badger on disk (every commit synced), the simulated
// world on a scaled clock as its backend (12 000 agents at speed 6 unless
// OUTPACE_BENCH_AGENTS and OUTPACE_BENCH_SPEED say otherwise), after a
// warm-up. One op is one dial attempt. It reports dials and commits a
// second of wall time, calls in flight, process CPU per dial (the world's
// included), dials per commit, and the wall time from a live answer (or
// the agent's return to ready, when later) leaving the world to the
// connect command reaching the backend's Send.
func BenchmarkServerLoad(b *testing.B) {
	l := startLoad(b, 12_000, 6)
	l.warmUp(b, 90*time.Second)
	b.Run("dials", func(b *testing.B) {
		w := l.measure(b, b.N)
		w.report(b)
		if len(w.lat) > 0 {
			b.Logf("%d dials in %v, %d connects (%d waited for their agent), load %s", w.dials, w.wall.Round(time.Millisecond), len(w.lat), w.waited, loadAvg())
		}
	})
}

// loadAvg returns the machine's load averages, for the log of a figure.
func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil || len(raw) < 14 {
		return "?"
	}
	return string(raw[:14])
}

// outsideCommits returns the part of each connect span spent outside the
// commits: what is left of its latency when the fsyncs it waited for are
// taken out.
func outsideCommits(connects, commits [][2]time.Time) []time.Duration {
	out := make([]time.Duration, 0, len(connects))
	for _, sp := range connects {
		d := sp[1].Sub(sp[0])
		// commits are in time order and do not overlap
		k, _ := slices.BinarySearchFunc(commits, sp[0], func(c [2]time.Time, t time.Time) int { return c[1].Compare(t) })
		for ; k < len(commits) && commits[k][0].Before(sp[1]); k++ {
			a, b := commits[k][0], commits[k][1]
			if a.Before(sp[0]) {
				a = sp[0]
			}
			if b.After(sp[1]) {
				b = sp[1]
			}
			d -= b.Sub(a)
		}
		out = append(out, d)
	}
	return out
}

// serveAPI serves the gRPC API over the load's store and runner on a
// loopback port until the benchmark ends, and returns its address.
func (l *load) serveAPI(b *testing.B) string {
	b.Helper()
	srv, err := api.New(api.Config{Store: l.st, Engine: l.r, AdminTenant: "admin", Rate: -1})
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	b.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// subscribers follow the load tenant's event stream, each over its own
// loopback connection, counting the events they receive.
type subscribers struct {
	got    []atomic.Int64
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// subscribe starts n subscribers and returns once each has received an
// event.
func subscribe(b *testing.B, addr string, n int) *subscribers {
	b.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	resp, err := pb.NewAuthServiceClient(conn).Login(context.Background(), &pb.LoginRequest{AppId: loadTenant + "-app", AccessKey: loadKey})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+resp.GetToken()))
	s := &subscribers{got: make([]atomic.Int64, n), cancel: cancel}
	for i := range n {
		c, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		stream, err := pb.NewEventServiceClient(c).Subscribe(ctx, &pb.SubscribeRequest{})
		if err != nil {
			b.Fatal(err)
		}
		s.done.Go(func() {
			defer c.Close()
			for {
				if _, err := stream.Recv(); err != nil {
					return
				}
				s.got[i].Add(1)
			}
		})
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if slices.Min(s.counts()) > 0 {
			return s
		}
	}
	b.Fatal("a subscriber received no event in 10 s")
	return nil
}

// counts returns what each subscriber has received so far.
func (s *subscribers) counts() []int64 {
	c := make([]int64, len(s.got))
	for i := range s.got {
		c[i] = s.got[i].Load()
	}
	return c
}

func (s *subscribers) stop() {
	s.cancel()
	s.done.Wait()
}

// BenchmarkServerFanout runs the load of BenchmarkServerLoad with the gRPC
// API in front of it, first with no subscriber, then with 100 following
// the tenant's whole event stream over loopback (one connection each),
// then with none again (15 s later), so that the dial rates compare
// within one run.
// One op is one dial attempt; with subscribers it also reports the events
// each received a second (the slowest one's and the mean) against the
// events the runner published.
func BenchmarkServerFanout(b *testing.B) {
	l := startLoad(b, 12_000, 6)
	addr := l.serveAPI(b)
	l.warmUp(b, 90*time.Second)
	for i, n := range []int{0, 100, 0} {
		if i > 0 {
			// The backlog the subscribers left, if any, is cleared
			// before the next stretch is measured.
			time.Sleep(15 * time.Second)
		}
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			var s *subscribers
			var before []int64
			if n > 0 {
				s = subscribe(b, addr, n)
				defer s.stop()
				before = s.counts()
			}
			w := l.measure(b, b.N)
			w.report(b)
			if s == nil {
				return
			}
			after := s.counts()
			sec := w.wall.Seconds()
			slowest, sum := math.MaxFloat64, 0.0
			for i := range after {
				r := float64(after[i]-before[i]) / sec
				slowest = min(slowest, r)
				sum += r
			}
			b.ReportMetric(slowest, "sub-min-events/s")
			b.ReportMetric(sum/float64(n), "sub-mean-events/s")
			b.Logf("%d subscribers, load %s", n, loadAvg())
		})
	}
}
