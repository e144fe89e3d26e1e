// Package sim is outpace's discrete-event simulator. It drives the real engine
// through the same Step / Ready / Advance loop as the server's runner, and
// plays the world around it (World): a carrier that answers, rings out, is
// busy or fails with the scenario's probabilities and timings, and agents who
// pick up, talk, wrap up, take breaks and log in and out on schedule. The
// world sees only the engine's commands and answers only with the events a
// carrier, phones and agent clients would send; Live runs it on a clock as a
// backend of the runner (outpace serve). In the simulator, virtual time comes
// from a heap of pending happenings ordered by (time, sequence); one goroutine
// runs it all, so the same scenario and seed give the same report, bit for bit.
//
// Random draws come from separate seeded streams (outcomes, ring times, talk,
// wrap, the engine), so that two pacing modes run on the same seed see the same
// sequence of customers: the n-th dial has the same outcome and timing whatever
// the mode (common random numbers).
package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/fsm"
	"github.com/outpace-dev/outpace/records"
)

// Options tunes a run without changing its result.
type Options struct {
	// Progress, if set, is called now and then with the simulated time reached
	// and the total to simulate.
	Progress func(done, total time.Duration)
	// CTIEvents turns on the engine's seed-002 events (slower; for inspection).
	CTIEvents bool
	// Hooks connect the run to a number source and a store other than the
	// scenario's list (tests of the engine's compliance); all are optional.
	Hooks Hooks
	// Task, when set, is the task to run instead of one made from the
	// scenario (its ID, queue, window and settings).
	Task *records.TaskSpec

	// Check, if set, is called with every engine Ready after the simulator has
	// carried it out and before Advance, so a test can assert invariants at
	// every step.
	Check func(s *Sim, rd *engine.Ready) error
}

// Hooks connect a run to a number source and a store.
type Hooks struct {
	// Commit, if set, is called with every engine Ready before its commands
	// are carried out: the records must be durable when it returns.
	Commit func(rd *engine.Ready) error
	// Fetch, if set, supplies the numbers to dial instead of the scenario's
	// list: up to max numbers of task due at now, appended to buf.
	Fetch func(task records.TaskID, now time.Time, max int, buf []records.Number) (nums []records.Number, exhausted bool, err error)
	// DialUntil, if set with Fetch, says with each batch of numbers when the
	// task stops dialing for the day (zero: the day has no end, such as a
	// window that never closes).
	DialUntil func(task records.TaskID, now time.Time) (time.Time, error)
}

// happening kinds in the event heap.
const (
	hOutcome     uint8 = iota + 1 // a dial attempt's outcome becomes known
	hAgentAnswer                  // the offered agent picks up
	hTalkEnd                      // the customer hangs up after talking
	hWrapEnd                      // the agent finishes after-call work
	hTimer                        // an engine timer
	hSchedule                     // an agents.schedule item
	hBreakEnd                     // a break ends
	hSlice                        // a report slice boundary
	hRetryDue                     // a retried number becomes due
	hRefetch                      // ask the Fetch hook again after it had nothing due
)

// refetchEvery is how long after an empty Fetch the simulator asks again.
const refetchEvery = 30 * time.Second

type happening struct {
	at   int64 // ns since the start
	seq  uint64
	kind uint8
	out  records.Outcome
	gen  uint32
	id   uint64
	tm   engine.Timer
}

// Sim is one simulation run.
type Sim struct {
	sc   *Scenario
	opts Options
	eng  *engine.Engine

	start   time.Time
	now     int64 // ns since start
	end     int64
	warm    int64
	heap    eventHeap
	world   *World
	idle    []int64 // per agent, ns since it became idle; -1 when not idle
	taskID  records.TaskID
	queueID records.QueueID

	nextNumber records.NumberID
	retries    retryHeap
	numBuf     []records.Number
	pending    []engine.Event // inputs to step once the current Ready is handled
	rd         engine.Ready

	m metrics
}

// New prepares a run of sc. It checks sc (Scenario.Validate).
func New(sc *Scenario, opts Options) (*Sim, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	s := &Sim{
		sc: sc, opts: opts,
		start:   sc.Start,
		end:     int64(sc.Warmup + sc.Duration),
		warm:    int64(sc.Warmup),
		taskID:  1,
		queueID: 1,
	}
	if opts.Task != nil {
		s.taskID, s.queueID = opts.Task.ID, opts.Task.Queue
	}
	seed := sc.Seed
	s.eng = engine.New(engine.Config{
		Rand:       rand.New(rand.NewPCG(seed, 0x656e67696e65)),
		CTIEvents:  opts.CTIEvents,
		FetchBatch: 64,
	})
	s.m.init(sc)
	if err := s.setup(); err != nil {
		return nil, err
	}
	return s, nil
}

// Engine returns the engine under simulation (for invariant checks).
func (s *Sim) Engine() *engine.Engine { return s.eng }

// Now returns the current simulated time.
func (s *Sim) Now() time.Time { return s.start.Add(time.Duration(s.now)) }

// TaskID and QueueID name the simulated task and its queue.
func (s *Sim) TaskID() records.TaskID   { return s.taskID }
func (s *Sim) QueueID() records.QueueID { return s.queueID }

func (s *Sim) setup() error {
	sc := s.sc
	strategy := records.Strategy(sc.Agents.Strategy)
	if strategy == 0 {
		strategy = records.StrategyLongestIdle
	}
	if err := s.step(engine.Event{Kind: engine.EvCreateQueue, QueueSpec: &records.QueueSpec{ID: s.queueID, Name: "sim", Strategy: strategy}}); err != nil {
		return err
	}
	acw := time.Duration(0)
	if sc.Handling.Wrap.Kind != "constant" || sc.Handling.Wrap.Value > 0 {
		// The simulated agent ends its own wrap-up; the expiry is a safety net.
		acw = 24 * time.Hour
	}
	spec := s.opts.Task
	if spec == nil {
		spec = &records.TaskSpec{
			ID: s.taskID, Name: sc.Name, Queue: s.queueID, Pacing: sc.Task.Pacing,
			NoAnswerTimeout: *sc.Task.NoAnswerTimeout, AllowShortRing: true,
			ConnectDeadline: *sc.Task.ConnectDeadline, AllowZeroDeadline: true,
			ACWTimeout: acw, MaxLinesPerAgent: sc.Task.MaxLinesPerAgent,
			Retry: sc.Task.Retry, CallerIDs: []string{"+15550100000"},
			// The simulated day is the task's calling window: it stops
			// dialing when the run ends, and its pacer may know it.
			DialUntil: sc.Start.Add(sc.Duration),
			// The simulated customers may be called at any hour.
			Window: records.AlwaysOpen,
		}
	}
	if err := s.step(engine.Event{Kind: engine.EvCreateTask, TaskSpec: spec}); err != nil {
		return err
	}
	ids := make([]records.AgentID, sc.Agents.Count)
	s.idle = make([]int64, len(ids))
	for i := range ids {
		ids[i] = records.AgentID(i + 1)
		s.idle[i] = -1
	}
	s.world = newWorld(sc, sc.Seed, ids, spec.ACWTimeout > 0, simHost{s}, simObserver{s})
	for i, id := range ids {
		if err := s.step(engine.Event{Kind: engine.EvCreateAgent, AgentSpec: &records.AgentSpec{ID: id}}); err != nil {
			return err
		}
		if err := s.step(engine.Event{Kind: engine.EvSignIn, Agent: id, Queue: s.queueID}); err != nil {
			return err
		}
		if err := s.world.login(i); err != nil {
			return err
		}
	}
	s.world.scheduleItems()
	for t := s.warm + int64(sc.Report.Slice); t < s.end; t += int64(sc.Report.Slice) {
		s.push(happening{at: t, kind: hSlice})
	}
	return s.step(engine.Event{Kind: engine.EvStartTask, Task: s.taskID})
}

// Run simulates the whole scenario and returns its report.
func (s *Sim) Run() (*Report, error) {
	total := time.Duration(s.end)
	var n int
	for len(s.heap.h) > 0 {
		h := s.pop()
		if h.at >= s.end {
			break
		}
		s.advanceTo(h.at)
		if err := s.handle(&h); err != nil {
			return nil, err
		}
		if n++; n&0xffff == 0 && s.opts.Progress != nil {
			s.opts.Progress(time.Duration(s.now), total)
		}
	}
	s.advanceTo(s.end)
	if s.opts.Progress != nil {
		s.opts.Progress(total, total)
	}
	return s.m.report(s), nil
}

// advanceTo moves virtual time, integrating agent time for occupancy.
func (s *Sim) advanceTo(t int64) {
	if t <= s.now {
		return
	}
	s.m.integrate(s, s.now, t)
	s.now = t
}

func (s *Sim) at() time.Time { return s.start.Add(time.Duration(s.now)) }

// step feeds one event to the engine and carries out its Ready.
func (s *Sim) step(ev engine.Event) error {
	ev.At = s.at()
	s.m.events++
	if err := s.eng.Step(ev); err != nil {
		return err
	}
	return s.drain()
}

// drain carries out the engine's Ready until it has nothing left. Replies that
// the world gives at once (numbers fetched) are stepped after Advance, never
// from inside the handling of a Ready.
func (s *Sim) drain() error {
	for {
		if !s.eng.HasReady() {
			if len(s.pending) == 0 {
				return nil
			}
			ev := s.pending[0]
			n := copy(s.pending, s.pending[1:])
			s.pending = s.pending[:n]
			ev.At = s.at()
			s.m.events++
			if err := s.eng.Step(ev); err != nil {
				return err
			}
			continue
		}
		s.rd = s.eng.Ready()
		rd := &s.rd
		if s.opts.Hooks.Commit != nil {
			if err := s.opts.Hooks.Commit(rd); err != nil {
				return err
			}
		}
		for i := range rd.Records {
			s.m.record(s, &rd.Records[i])
		}
		for i := range rd.Numbers {
			s.numberUpdate(&rd.Numbers[i])
		}
		for i := range rd.Commands {
			if err := s.command(&rd.Commands[i]); err != nil {
				return err
			}
		}
		if s.opts.Check != nil {
			if err := s.opts.Check(s, rd); err != nil {
				return err
			}
		}
		s.eng.Advance(*rd)
	}
}

func (s *Sim) command(c *engine.Command) error {
	switch c.Kind {
	case engine.CmdSetTimer:
		at := int64(c.At.Sub(s.start))
		s.push(happening{at: max(at, s.now), kind: hTimer, tm: c.Timer})
	case engine.CmdFetchNumbers:
		return s.fetch(c.Count)
	default:
		s.world.command(c)
	}
	return nil
}

func (s *Sim) handle(h *happening) error {
	if ok, err := s.world.handle(h); ok {
		return err
	}
	switch h.kind {
	case hTimer:
		if err := s.step(engine.Event{Kind: engine.EvTimer, Timer: h.tm}); err != nil {
			return err
		}
		if h.tm.Kind == engine.TimerACW {
			if i, ok := s.world.byID[records.AgentID(h.tm.ID)]; ok {
				s.settle(i)
			}
		}
	case hSlice:
		s.m.slice(s)
	case hRetryDue:
		return s.deliverRetries()
	case hRefetch:
		if err := s.fetch(s.eng.Config().FetchBatch); err != nil {
			return err
		}
		return s.drain()
	}
	return nil
}

// simHost runs the world in the simulator's virtual time: its happenings go
// on the simulator's heap and its events straight into the engine.
type simHost struct{ s *Sim }

func (h simHost) now() int64                 { return h.s.now }
func (h simHost) push(hp happening)          { h.s.push(hp) }
func (h simHost) emit(ev engine.Event) error { return h.s.step(ev) }

// simObserver keeps the idle-wait figures: how long an agent waits between
// becoming idle and its next call. It reads the engine, as a measurement
// does; the world itself never does.
type simObserver struct{ s *Sim }

func (o simObserver) dialed() {
	if s := o.s; s.now >= s.warm {
		s.m.dials++
		s.m.sliceDials++
	}
}

func (o simObserver) connected(i int) {
	s := o.s
	if s.idle[i] >= 0 {
		s.m.idleWait(s, s.now-s.idle[i])
		s.idle[i] = -1
	}
}

func (o simObserver) loggedIn(i int)    { o.s.idle[i] = o.s.now }
func (o simObserver) unavailable(i int) { o.s.idle[i] = -1 }
func (o simObserver) settle(i int)      { o.s.settle(i) }

// settle notes when agent i became idle, for the idle-wait figures.
func (s *Sim) settle(i int) {
	st, err := s.eng.AgentStatus(s.world.agents[i].id)
	if err != nil {
		return
	}
	if st.State == fsm.AgentReady && !st.OnCall {
		if s.idle[i] < 0 {
			s.idle[i] = s.now
		}
	} else if !st.OnCall {
		s.idle[i] = -1
	}
}

// ---- the number list (the store's in-memory twin) ------------------------------

func (s *Sim) fetch(count int) error {
	s.numBuf = s.numBuf[:0]
	if f := s.opts.Hooks.Fetch; f != nil {
		nums, exhausted, err := f(s.taskID, s.at(), count, s.numBuf)
		if err != nil {
			return err
		}
		s.numBuf = nums
		if exhausted {
			s.push(happening{at: s.now + int64(refetchEvery), kind: hRefetch})
		}
		ev := engine.Event{Kind: engine.EvNumbers, Task: s.taskID, Numbers: nums, Exhausted: exhausted}
		if du := s.opts.Hooks.DialUntil; du != nil {
			if ev.DialUntil, err = du(s.taskID, s.at()); err != nil {
				return err
			}
			ev.DayKnown = true // zero: the source knows of no end
		}
		s.pending = append(s.pending, ev)
		return nil
	}
	s.dueRetries(count)
	count -= len(s.numBuf)
	for ; count > 0; count-- {
		if s.sc.List.Size > 0 && int(s.nextNumber) >= s.sc.List.Size {
			break
		}
		s.nextNumber++
		s.numBuf = append(s.numBuf, records.Number{ID: s.nextNumber, Task: s.taskID})
	}
	exhausted := len(s.numBuf) == 0
	if exhausted && len(s.retries) > 0 {
		s.push(happening{at: s.retries[0].at, kind: hRetryDue})
	}
	s.pending = append(s.pending, engine.Event{Kind: engine.EvNumbers, Task: s.taskID, Numbers: s.numBuf, Exhausted: exhausted})
	return nil
}

func (s *Sim) deliverRetries() error {
	s.numBuf = s.numBuf[:0]
	s.dueRetries(math.MaxInt)
	if len(s.numBuf) == 0 {
		return nil
	}
	return s.step(engine.Event{Kind: engine.EvAddNumbers, Task: s.taskID, Numbers: s.numBuf})
}

// dueRetries appends up to max retried numbers that are due to s.numBuf.
func (s *Sim) dueRetries(max int) {
	for ; max > 0 && len(s.retries) > 0 && s.retries[0].at <= s.now; max-- {
		r := s.retries.pop()
		s.numBuf = append(s.numBuf, records.Number{ID: r.id, Task: s.taskID, Attempts: r.attempts})
	}
}

func (s *Sim) numberUpdate(u *records.NumberUpdate) {
	switch u.State {
	case records.NumberPending:
		s.retries.push(retry{at: int64(u.NextAt.Sub(s.start)), id: u.Number, attempts: u.Attempts})
	case records.NumberDone:
		s.m.numbersDone++
	}
}

type retry struct {
	at       int64
	id       records.NumberID
	attempts int
}

type retryHeap []retry

func (h *retryHeap) push(r retry) {
	*h = append(*h, r)
	x := *h
	for i := len(x) - 1; i > 0; {
		p := (i - 1) / 2
		if x[p].at < x[i].at || (x[p].at == x[i].at && x[p].id <= x[i].id) {
			break
		}
		x[p], x[i] = x[i], x[p]
		i = p
	}
}

func (h *retryHeap) pop() retry {
	x := *h
	r := x[0]
	n := len(x) - 1
	x[0] = x[n]
	x = x[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r2 := l + 1; r2 < n && (x[r2].at < x[l].at || (x[r2].at == x[l].at && x[r2].id < x[l].id)) {
			m = r2
		}
		if x[i].at < x[m].at || (x[i].at == x[m].at && x[i].id <= x[m].id) {
			break
		}
		x[i], x[m] = x[m], x[i]
		i = m
	}
	*h = x
	return r
}

// ---- the event heap ------------------------------------------------------------

func (s *Sim) push(h happening) { s.heap.push(h) }
func (s *Sim) pop() happening   { return s.heap.pop() }

func less(a, b *happening) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}
