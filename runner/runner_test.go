package runner_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/sim/simtest"
	"github.com/outpace-dev/outpace/store"
)

// The simulated team and carrier of these tests: simtest.World with long
// talks and wraps, so that agents stay busy.
var worldSets = []string{
	"handling.talk={dist: uniform, min: 20s, max: 60s}",
	"handling.wrap={dist: constant, value: 5s}",
}

var start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// campaign stores a tenant with a queue of five agents and a task of n
// numbers (no retries) paced by mode, and returns the agents.
func campaign(t testing.TB, st *store.Badger, n int, mode records.PacingMode) []records.AgentID {
	t.Helper()
	if err := st.PutTenant(store.Tenant{ID: "t", Created: start}); err != nil {
		t.Fatal(err)
	}
	var ids []records.AgentID
	for i := range agentsOf(t) {
		a := records.AgentSpec{Tenant: "t", Name: fmt.Sprint(1001 + i), Phone: fmt.Sprint(1001 + i)}
		if err := st.PutAgent(&a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	q := store.Queue{Spec: records.QueueSpec{Tenant: "t", Name: "q", Strategy: records.StrategyLongestIdle}, Members: ids}
	if err := st.PutQueue(&q); err != nil {
		t.Fatal(err)
	}
	task := store.Task{Spec: records.TaskSpec{
		Tenant: "t", Name: "c", Queue: q.Spec.ID, Pacing: records.PacingConfig{Mode: mode, Ratio: "1:2", AbandonTarget: 0.03},
		CallerIDs: []string{"+14155550100"}, NoAnswerTimeout: 20 * time.Second, AllowShortRing: true,
		ConnectDeadline: 2 * time.Second, ACWTimeout: time.Minute,
	}, Window: records.AlwaysOpen, Created: start}
	if err := st.CreateTask(&task); err != nil {
		t.Fatal(err)
	}
	nums := make([]records.Number, n)
	for i := range nums {
		nums[i] = records.Number{Phone: phone(i), TZ: "America/Los_Angeles"}
	}
	if res, err := st.ImportNumbers(task.Spec.ID, nums); err != nil || res.Stored != n {
		t.Fatalf("import: %+v %v", res, err)
	}
	return ids
}

// campaignDir stores the campaign of n numbers paced by ratio in a new
// Badger directory, closes it and returns the directory.
func campaignDir(t testing.TB, n int) string {
	t.Helper()
	dir := t.TempDir()
	bst, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	campaign(t, bst, n, records.ModeRatio)
	bst.Close()
	return dir
}

func phone(i int) string { return fmt.Sprintf("+1415%07d", 2000000+i) }

// recStore is the real store with a record of which calls were durably
// marked Dialing, to check that no originate leaves before its commit.
type recStore struct {
	*store.Badger
	mu      sync.Mutex
	dialing map[records.CallID]bool
	ended   map[records.CallID]bool // calls whose record is durable
}

func (s *recStore) Commit(rd records.Writes, hooks []store.Webhook, seqs []uint64) ([]uint64, error) {
	seqs, err := s.Badger.Commit(rd, hooks, seqs)
	if err == nil {
		s.mu.Lock()
		for _, u := range rd.Numbers {
			if u.State == records.NumberDialing {
				s.dialing[u.Call] = true
			}
		}
		for _, r := range rd.Records {
			s.ended[r.Call] = true
		}
		s.mu.Unlock()
	}
	return seqs, err
}

// recBackend is the simulated world with a record of what it was sent.
type recBackend struct {
	*sim.Live
	st    *recStore
	clock *runner.Manual

	mu          sync.Mutex
	early       []records.CallID // originates sent before their number was durable
	originateAt []time.Time
	sent        map[records.CallID]bool
	maxInFlight int
	connects    map[records.CallID]int

	lines int
	cps   float64
}

func (b *recBackend) Send(cmds []engine.Command) {
	b.mu.Lock()
	for _, c := range cmds {
		switch c.Kind {
		case engine.CmdOriginate:
			b.st.mu.Lock()
			if !b.st.dialing[c.Call] {
				b.early = append(b.early, c.Call)
			}
			b.sent[c.Call] = true
			b.originateAt = append(b.originateAt, b.clock.Now())
			inFlight := 0
			if b.lines > 0 { // counted under a limit only
				for call := range b.sent {
					if !b.st.ended[call] {
						inFlight++
					}
				}
			}
			b.st.mu.Unlock()
			if inFlight > b.maxInFlight {
				b.maxInFlight = inFlight
			}
		case engine.CmdConnect:
			b.connects[c.Call]++
		}
	}
	b.mu.Unlock()
	b.Live.Send(cmds)
}

// limited is recBackend announcing a capacity.
type limited struct{ *recBackend }

func (l limited) Capacity() (int, float64) { return l.lines, l.cps }

// agentsOf is the team size: five, or more in benchmarks.
func agentsOf(t testing.TB) int {
	if _, ok := t.(*testing.B); ok {
		return 50
	}
	return 5
}

type harness struct {
	t      testing.TB
	dir    string
	clock  *runner.Manual
	st     *recStore
	be     *recBackend
	r      *runner.Runner
	cancel context.CancelFunc
	ctx    context.Context
}

func newHarness(t testing.TB, dir string, clock *runner.Manual, seed uint64, limit bool) *harness {
	t.Helper()
	bst, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, clock: clock, st: &recStore{Badger: bst, dialing: map[records.CallID]bool{}, ended: map[records.CallID]bool{}}}
	tasks, err := bst.ListTasks("t")
	if err != nil {
		t.Fatal(err)
	}
	q, err := bst.GetQueue("t", tasks[0].Spec.Queue)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sim.ParseScenario([]byte(simtest.World), append(worldSets, fmt.Sprintf("agents.count=%d", agentsOf(t))), nil)
	if err != nil {
		t.Fatal(err)
	}
	h.be = &recBackend{Live: sim.NewLive(sc, seed, q.Members, true, clock), st: h.st, clock: clock,
		sent: map[records.CallID]bool{}, connects: map[records.CallID]int{}}
	var be runner.Backend = h.be
	if limit {
		h.be.lines, h.be.cps = 3, 0.5
		be = limited{h.be}
	}
	h.r = runner.New(runner.Config{Store: h.st, Backend: be, Clock: clock, Seed: seed})
	h.ctx, h.cancel = context.WithCancel(context.Background())
	go func() { _ = h.r.Run(h.ctx) }()
	t.Cleanup(h.stop)
	// Wait for the team to log in (the world does it when it starts).
	for {
		h.flush()
		if s := h.r.Snapshot(); len(s.Queues) == 1 && s.Queues[q.Spec.ID].LoggedIn == agentsOf(t) {
			break
		}
		runtime.Gosched()
	}
	if tk, _ := bst.GetTask("t", 1); tk.Status == records.TaskCreated {
		if err := h.r.Submit(h.ctx, engine.Event{Kind: engine.EvStartTask, Task: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (h *harness) flush() {
	h.t.Helper()
	if err := h.r.Flush(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

// advance moves the clock by d in steps of a second, letting the runner
// catch up after each.
func (h *harness) advance(d time.Duration) {
	for end := h.clock.Now().Add(d); h.clock.Now().Before(end); {
		h.clock.Advance(time.Second)
		select {
		case <-h.r.Done():
			return
		default:
		}
		if err := h.r.Flush(h.ctx); err != nil && err != runner.ErrStopped {
			h.t.Fatal(err)
		}
	}
}

// stop stops the runner at once (a crash, as far as the store can tell)
// and closes the store.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	<-h.r.Done()
	h.cancel = nil
	h.st.Close()
}

func (h *harness) stats() engine.TaskStats { return h.r.Snapshot().Tasks[1] }

// TestCampaignRunsToItsEnd runs a small campaign on Badger with the
// simulated world until its list is used up: every number is dialled once,
// every originate left after its number was durably Dialing, and no machine
// answer reached an agent.
func TestCampaignRunsToItsEnd(t *testing.T) {
	dir := campaignDir(t, 60)

	h := newHarness(t, dir, runner.NewManual(start), 7, false)
	slow, _ := h.r.Subscribe(1)         // never read: dropped, never waited for
	all, stop := h.r.Subscribe(1 << 16) // read at the end
	defer stop()
	for i := 0; i < 120 && !(h.stats().Exhausted && h.r.Snapshot().ActiveCalls == 0); i++ {
		h.advance(time.Minute)
	}
	if s := h.stats(); !s.Exhausted || h.r.Snapshot().ActiveCalls != 0 {
		t.Fatalf("the campaign did not end in two hours: %+v", s)
	}
	for range slow { // closed once its buffer overflowed
	}
	var last uint64
	var events int
	for len(all) > 0 {
		p := <-all
		if len(p.Seqs) != len(p.Events) {
			t.Fatalf("%d events with %d sequence numbers", len(p.Events), len(p.Seqs))
		}
		for _, seq := range p.Seqs {
			if last != 0 && seq != last+1 { // one tenant: one sequence

				t.Fatalf("event sequence %d after %d", seq, last)
			}
			last = seq
			events++
		}
	}
	if events == 0 {
		t.Error("no event published")
	}
	h.be.mu.Lock()
	if len(h.be.early) > 0 {
		t.Errorf("originates sent before their number was durable: %v", h.be.early)
	}
	if len(h.be.sent) != 60 {
		t.Errorf("%d originates, want 60 (one per number)", len(h.be.sent))
	}
	h.be.mu.Unlock()
	h.stop()

	bst, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	machines := map[records.CallID]bool{}
	q := store.RecordQuery{Tenant: "t", Limit: store.MaxPage, Peek: true}
	page, err := bst.QueryRecords(q)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 60 {
		t.Errorf("%d call records, want 60", len(page.Records))
	}
	var connected int
	for _, r := range page.Records {
		if r.Machine {
			machines[r.Call] = true
		}
		if r.Result == records.ResultBoth {
			connected++
		}
	}
	for call := range machines {
		if h.be.connects[call] > 0 {
			t.Errorf("machine answer %d was connected to an agent", call)
		}
	}
	if connected == 0 {
		t.Error("no call reached an agent")
	}
	for i := range 60 {
		n, err := bst.FindNumber(1, phone(i))
		if err != nil {
			t.Fatal(err)
		}
		if n.State != records.NumberDone {
			t.Errorf("%s: state %d, want done", phone(i), n.State)
		}
	}
}

// TestDrainThenRestart drains a running campaign (no new call, the calls in
// flight end), then stops one at once and checks that the next start closes
// the calls it left and goes on where it stopped: no number dialled twice.
func TestDrainThenRestart(t *testing.T) {
	dir := campaignDir(t, 200)

	clock := runner.NewManual(start)
	h := newHarness(t, dir, clock, 1, false)
	h.advance(5 * time.Minute)
	h.r.Drain()
	h.advance(10 * time.Minute)
	select {
	case <-h.r.Done():
	default:
		t.Fatalf("the drain did not end in 10 minutes: %d calls in flight", h.r.Snapshot().ActiveCalls)
	}
	if err := h.r.Err(); err != nil {
		t.Fatal(err)
	}
	first := len(h.be.sent)
	h.stop()
	rs := recoverState(t, dir)
	if len(rs.Interrupted) != 0 {
		t.Errorf("%d calls left in flight by a drained stop", len(rs.Interrupted))
	}

	// A hard stop with calls in flight, then a restart.
	h = newHarness(t, dir, clock, 2, false)
	h.advance(3 * time.Minute)
	if h.r.Snapshot().ActiveCalls == 0 {
		t.Fatal("no call in flight to interrupt")
	}
	second := len(h.be.sent)
	h.stop()
	h = newHarness(t, dir, clock, 3, false)
	h.advance(time.Minute)
	third := len(h.be.sent)
	h.stop()
	if first == 0 || second == 0 || third == 0 {
		t.Fatalf("dials per run: %d, %d, %d", first, second, third)
	}

	bst, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	page, err := bst.QueryRecords(store.RecordQuery{Tenant: "t", Limit: store.MaxPage, Peek: true})
	if err != nil {
		t.Fatal(err)
	}
	called := map[string]int{}
	var interrupted int
	for _, r := range page.Records {
		called[r.Called]++
		if r.Disposition == store.DispositionInterrupted {
			interrupted++
		}
	}
	for p, n := range called {
		if n > 1 {
			t.Errorf("%s dialled %d times", p, n)
		}
	}
	if interrupted == 0 {
		t.Error("the hard stop left no interrupted call record")
	}
}

func recoverState(t *testing.T, dir string) store.RecoveredState {
	t.Helper()
	bst, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	rs, err := bst.Recover(start)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestLimiter runs a campaign on a backend of 3 lines and half a call a
// second: the runner never has more calls out, nor starts them faster.
func TestLimiter(t *testing.T) {
	dir := campaignDir(t, 100)
	h := newHarness(t, dir, runner.NewManual(start), 1, true)
	h.advance(10 * time.Minute)
	h.be.mu.Lock()
	defer h.be.mu.Unlock()
	if h.be.maxInFlight > 3 {
		t.Errorf("%d calls in flight on 3 lines", h.be.maxInFlight)
	}
	if len(h.be.originateAt) < 20 {
		t.Fatalf("only %d dials in 10 minutes", len(h.be.originateAt))
	}
	for i := 1; i < len(h.be.originateAt); i++ {
		if gap := h.be.originateAt[i].Sub(h.be.originateAt[i-1]); gap < 2*time.Second {
			t.Fatalf("originates %d and %d %v apart at 0.5 calls a second", i-1, i, gap)
		}
	}
}

// TestSubmitAndStartDrained checks the API path: a rejected request comes
// back with the engine's error, an accepted one is durable when Submit
// returns; and a runner asked to drain before it starts places no call.
func TestSubmitAndStartDrained(t *testing.T) {
	dir := campaignDir(t, 20)
	h := newHarness(t, dir, runner.NewManual(start), 1, false)
	if err := h.r.Submit(h.ctx, engine.Event{Kind: engine.EvStartTask, Task: 1}); err == nil {
		t.Error("starting a running task was accepted")
	}
	if err := h.r.Submit(h.ctx, engine.Event{Kind: engine.EvPauseTask, Task: 1}); err != nil {
		t.Fatal(err)
	}
	tk, err := h.st.GetTask("t", 1)
	if err != nil || tk.Status != records.TaskPaused {
		t.Fatalf("after Submit(pause): %v %v", tk.Status, err)
	}
	h.stop()

	clock := runner.NewManual(start)
	bst, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	if err := bst.UpdateTask(&tk); err != nil {
		t.Fatal(err)
	}
	sc, _ := sim.ParseScenario([]byte(simtest.World), worldSets, nil)
	q, _ := bst.GetQueue("t", tk.Spec.Queue)
	be := &recBackend{Live: sim.NewLive(sc, 1, q.Members, true, clock), st: &recStore{Badger: bst, dialing: map[records.CallID]bool{}, ended: map[records.CallID]bool{}},
		clock: clock, sent: map[records.CallID]bool{}, connects: map[records.CallID]int{}}
	r := runner.New(runner.Config{Store: be.st, Backend: be, Clock: clock})
	r.Drain()
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background()) }()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(be.sent) != 0 {
		t.Errorf("%d calls placed by a runner drained before it started", len(be.sent))
	}
}

// BenchmarkCampaign measures the wall time per dial through the whole loop:
// the runner, Badger on disk (one synced commit per Ready) and the simulated
// world, fifty agents on a ratio of 1:2, the clock advanced a second at a
// time.
func BenchmarkCampaign(b *testing.B) {
	dir := campaignDir(b, b.N+1000)
	h := newHarness(b, dir, runner.NewManual(start), 1, false)
	b.ResetTimer()
	for h.countSent() < b.N {
		h.advance(10 * time.Second)
	}
	b.StopTimer()
	b.ReportMetric(float64(h.countSent())/b.Elapsed().Seconds(), "dials/s")
}

func (h *harness) countSent() int {
	h.be.mu.Lock()
	defer h.be.mu.Unlock()
	return len(h.be.sent)
}
