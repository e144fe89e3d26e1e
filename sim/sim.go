// Package sim is outpace's discrete-event simulator. It drives the real engine
// through the same Step / Ready / Advance loop the server uses, and plays the
// world around it: a carrier that answers, rings out, is busy or fails with the
// scenario's probabilities and timings, and agents who pick up, talk, wrap up,
// take breaks and log in and out on schedule. Virtual time comes from a heap of
// pending happenings ordered by (time, sequence); one goroutine runs it all, so
// the same scenario and seed give the same report, bit for bit.
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
	// Hooks connect the run to the world outside (a server's store and event
	// log); all are optional.
	Hooks Hooks

	// Speed, when positive, runs the simulation in real time scaled by Speed
	// (1 = real time, 10 = ten times faster) until Stop is closed, instead of
	// as fast as possible for the scenario's duration. Inputs are stepped as
	// they arrive. This is the simulator as a live backend.
	Speed  float64
	Stop   <-chan struct{}
	Inputs <-chan engine.Event
	// Drain, in live mode, when closed, stops new calls (engine.EvDrain)
	// and ends the run as soon as no call is left, Stop still ending it at
	// once: a shutdown that lets the calls in flight end.
	Drain <-chan struct{}
	// Every and OnTick: in live mode, OnTick is called every Every of wall
	// time from the simulation's goroutine (for statistics and logs).
	Every  time.Duration
	OnTick func(s *Sim)

	// Task, when set, is the task to run instead of one made from the
	// scenario (a stored task: its ID, queue and settings); Agents are then the
	// IDs of the simulated agents (default 1…agents.count). Status is the
	// task's stored status: a task that is not running is created but not
	// started. LastCall numbers new calls above a previous run's.
	Task     *records.TaskSpec
	Agents   []records.AgentID
	Status   records.TaskStatus
	LastCall records.CallID

	// Check, if set, is called with every engine Ready after the simulator has
	// carried it out and before Advance, so a test can assert invariants at
	// every step.
	Check func(s *Sim, rd *engine.Ready) error
}

// Hooks connect a run to a store and an event log.
type Hooks struct {
	// Commit, if set, is called with every engine Ready before its commands
	// are carried out: the records must be durable when it returns.
	Commit func(rd *engine.Ready) error
	// Fetch, if set, supplies the numbers to dial instead of the scenario's
	// list: up to max numbers of task due at now, appended to buf.
	Fetch func(task records.TaskID, now time.Time, max int, buf []records.Number) (nums []records.Number, exhausted bool, err error)
	// DialUntil, if set with Fetch, says with each batch of numbers when the
	// task stops dialing for the day (zero: the day has no end, such as a
	// window that never closes), e.g. the store's DialUntil from the task's
	// calling window.
	DialUntil func(task records.TaskID, now time.Time) (time.Time, error)
	// Setup, if set, is called once the simulated queue, task and agents
	// exist and before the task starts.
	Setup func(s *Sim) error
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

type simCall struct {
	gen    uint32
	live   bool
	agent  int // index of the agent it was connected to, or -1
	number records.NumberID
}

type simAgent struct {
	id        records.AgentID
	loggedIn  bool
	onBreak   bool
	wrapGen   uint32
	idleSince int64 // ns; -1 when not idle
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
	heap    []happening
	seq     uint64
	calls   map[records.CallID]*simCall
	spare   []*simCall
	agents  []simAgent
	byID    map[records.AgentID]int
	taskID  records.TaskID
	queueID records.QueueID

	rOutcome, rRing, rTalk, rWrap, rAnswer *rand.Rand

	nextNumber records.NumberID
	retries    retryHeap
	numBuf     []records.Number
	pending    []engine.Event // inputs to step once the current Ready is handled
	rd         engine.Ready
	batching   bool // live mode: step without carrying out Ready yet
	noAnswer   time.Duration

	m metrics
}

// New prepares a run of sc.
func New(sc *Scenario, opts Options) (*Sim, error) {
	s := &Sim{
		sc: sc, opts: opts,
		start:   sc.Start,
		end:     int64(sc.Warmup + sc.Duration),
		warm:    int64(sc.Warmup),
		calls:   make(map[records.CallID]*simCall, 1024),
		byID:    make(map[records.AgentID]int),
		taskID:  1,
		queueID: 1,
	}
	seed := sc.Seed
	s.rOutcome = rand.New(rand.NewPCG(seed, 0x6f7574636f6d65))
	s.rRing = rand.New(rand.NewPCG(seed, 0x72696e67))
	s.rTalk = rand.New(rand.NewPCG(seed, 0x74616c6b))
	s.rWrap = rand.New(rand.NewPCG(seed, 0x77726170))
	s.rAnswer = rand.New(rand.NewPCG(seed, 0x616e73776572))
	s.eng = engine.New(engine.Config{
		Rand:       rand.New(rand.NewPCG(seed, 0x656e67696e65)),
		CTIEvents:  opts.CTIEvents,
		FetchBatch: 64,
		LastCall:   opts.LastCall,
	})
	if opts.Task != nil {
		s.taskID, s.queueID = opts.Task.ID, opts.Task.Queue
	}
	s.noAnswer = *sc.Task.NoAnswerTimeout
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
		}
	}
	if err := s.step(engine.Event{Kind: engine.EvCreateTask, TaskSpec: spec}); err != nil {
		return err
	}
	s.agents = make([]simAgent, sc.Agents.Count)
	for i := range s.agents {
		id := records.AgentID(i + 1)
		if i < len(s.opts.Agents) {
			id = s.opts.Agents[i]
		}
		s.agents[i] = simAgent{id: id, idleSince: -1}
		s.byID[id] = i
		if err := s.step(engine.Event{Kind: engine.EvCreateAgent, AgentSpec: &records.AgentSpec{ID: id}}); err != nil {
			return err
		}
		if err := s.step(engine.Event{Kind: engine.EvSignIn, Agent: id, Queue: s.queueID}); err != nil {
			return err
		}
		if err := s.login(i); err != nil {
			return err
		}
	}
	for i, it := range sc.Agents.Schedule {
		s.push(happening{at: int64(it.At), kind: hSchedule, id: uint64(i)})
	}
	for t := s.warm + int64(sc.Report.Slice); t < s.end; t += int64(sc.Report.Slice) {
		s.push(happening{at: t, kind: hSlice})
	}
	if s.opts.Hooks.Setup != nil {
		if err := s.opts.Hooks.Setup(s); err != nil {
			return err
		}
	}
	switch s.opts.Status {
	case records.TaskCreated, records.TaskRunning:
		return s.step(engine.Event{Kind: engine.EvStartTask, Task: s.taskID})
	case records.TaskPaused:
		if err := s.step(engine.Event{Kind: engine.EvStartTask, Task: s.taskID}); err != nil {
			return err
		}
		return s.step(engine.Event{Kind: engine.EvPauseTask, Task: s.taskID})
	}
	return nil
}

func (s *Sim) login(i int) error {
	a := &s.agents[i]
	if err := s.step(engine.Event{Kind: engine.EvAgentLogin, Agent: a.id}); err != nil {
		return err
	}
	a.loggedIn = true
	a.idleSince = s.now
	return nil
}

// Run simulates the whole scenario and returns its report.
func (s *Sim) Run() (*Report, error) {
	if s.opts.Speed > 0 {
		return s.runLive()
	}
	total := time.Duration(s.end)
	var n int
	for len(s.heap) > 0 {
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

// runLive runs in scaled real time until Stop is closed, stepping Inputs as
// they come. The report covers the time simulated.
func (s *Sim) runLive() (*Report, error) {
	s.end = math.MaxInt64
	wallStart := time.Now()
	wall := func() int64 { return int64(float64(time.Since(wallStart)) * s.opts.Speed) }
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	nextTick := time.Now().Add(s.opts.Every)
	drain, drained := s.opts.Drain, false
	for {
		select {
		case <-s.opts.Stop: // also when running behind real time
			s.advanceTo(max(s.now, min(wall(), s.heapTop())))
			return s.m.report(s), nil
		case <-drain:
			drain, drained = nil, true
			s.advanceTo(max(s.now, min(wall(), s.heapTop())))
			if err := s.step(engine.Event{Kind: engine.EvDrain}); err != nil {
				return nil, err
			}
		default:
		}
		if drained && s.eng.ActiveCalls() == 0 {
			return s.m.report(s), nil
		}
		if s.opts.OnTick != nil && s.opts.Every > 0 && !time.Now().Before(nextTick) {
			s.advanceTo(max(s.now, wall()))
			s.opts.OnTick(s)
			nextTick = nextTick.Add(s.opts.Every)
		}
		next := int64(math.MaxInt64)
		if len(s.heap) > 0 {
			next = s.heap[0].at
		}
		if wait := float64(next-wall()) / s.opts.Speed; wait > 0 {
			if s.opts.OnTick != nil && s.opts.Every > 0 {
				wait = min(wait, float64(time.Until(nextTick)))
			}
			timer.Reset(time.Duration(max(min(wait, float64(time.Hour)), 0)))
			select {
			case <-s.opts.Stop:
				s.advanceTo(max(s.now, wall()))
				return s.m.report(s), nil
			case <-drain:
				continue // stepped at the top of the loop
			case ev := <-s.opts.Inputs:
				s.advanceTo(max(s.now, wall()))
				if err := s.step(ev); err != nil {
					return nil, err
				}
				continue
			case <-timer.C:
				continue
			}
		}
		// Group commit: step every happening that is due, then carry out
		// one Ready for all of them (one durable commit).
		s.batching = true
		for n := 0; n < 4096 && len(s.heap) > 0 && s.heap[0].at <= wall(); n++ {
			h := s.pop()
			s.advanceTo(h.at)
			if err := s.handle(&h); err != nil {
				s.batching = false
				return nil, err
			}
		}
		s.batching = false
		if err := s.drain(); err != nil {
			return nil, err
		}
	}
}

func (s *Sim) heapTop() int64 {
	if len(s.heap) == 0 {
		return math.MaxInt64
	}
	return s.heap[0].at
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
	if s.batching {
		return nil
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
	case engine.CmdOriginate:
		s.originate(c)
	case engine.CmdConnect:
		sc := s.calls[c.Call]
		if sc == nil {
			return nil
		}
		i := s.byID[c.Agent]
		sc.agent = i
		a := &s.agents[i]
		if a.idleSince >= 0 {
			s.m.idleWait(s, s.now-a.idleSince)
			a.idleSince = -1
		}
		delay := s.sc.Agents.AnswerDelay.Sample(s.rAnswer)
		s.push(happening{at: s.now + int64(delay), kind: hAgentAnswer, id: uint64(c.Call), gen: sc.gen})
	case engine.CmdPlayHangup, engine.CmdHangup:
		s.forget(c.Call)
	case engine.CmdSetTimer:
		at := int64(c.At.Sub(s.start))
		s.push(happening{at: max(at, s.now), kind: hTimer, tm: c.Timer})
	case engine.CmdFetchNumbers:
		return s.fetch(c.Count)
	}
	return nil
}

// originate draws the attempt's outcome and when the engine will learn it.
func (s *Sim) originate(c *engine.Command) {
	if s.now >= s.warm {
		s.m.dials++
		s.m.sliceDials++
	}
	o := &s.sc.Outcomes
	t := time.Duration(s.now)
	pl, pm, pn, pb, pi := o.Live.At(t), o.Machine.At(t), o.NoAnswer.At(t), o.Busy.At(t), o.Invalid.At(t)
	u := s.rOutcome.Float64() * (pl + pm + pn + pb + pi)
	var out records.Outcome
	var d time.Duration
	ring := s.rRing
	switch {
	case u < pl:
		out, d = records.OutcomeLive, s.sc.Timing.Live.Sample(ring)
		if d > s.noAnswer {
			out, d = records.OutcomeNoAnswer, s.noAnswer
		}
	case u < pl+pm:
		out, d = records.OutcomeMachine, s.sc.Timing.Machine.Sample(ring)
	case u < pl+pm+pn:
		out, d = records.OutcomeNoAnswer, s.noAnswer
	case u < pl+pm+pn+pb:
		out, d = records.OutcomeBusy, s.sc.Timing.Busy.Sample(ring)
	default:
		out, d = records.OutcomeInvalid, s.sc.Timing.Invalid.Sample(ring)
	}
	sc := s.newCall()
	sc.number = c.Number
	s.calls[c.Call] = sc
	s.push(happening{at: s.now + int64(d), kind: hOutcome, id: uint64(c.Call), gen: sc.gen, out: out})
}

func (s *Sim) newCall() *simCall {
	if n := len(s.spare); n > 0 {
		c := s.spare[n-1]
		s.spare = s.spare[:n-1]
		c.gen++
		c.live = false
		c.agent = -1
		return c
	}
	return &simCall{gen: 1, agent: -1}
}

func (s *Sim) forget(id records.CallID) {
	if c, ok := s.calls[id]; ok {
		delete(s.calls, id)
		c.gen++
		s.spare = append(s.spare, c)
	}
}

func (s *Sim) handle(h *happening) error {
	switch h.kind {
	case hOutcome, hAgentAnswer, hTalkEnd:
		id := records.CallID(h.id)
		c := s.calls[id]
		if c == nil || c.gen != h.gen {
			return nil // the engine already ended this call
		}
		switch h.kind {
		case hOutcome:
			if h.out == records.OutcomeLive || h.out == records.OutcomeMachine {
				c.live = h.out == records.OutcomeLive
				return s.step(engine.Event{Kind: engine.EvAnswered, Call: id, Outcome: h.out})
			}
			s.forget(id)
			return s.step(engine.Event{Kind: engine.EvFailed, Call: id, Outcome: h.out})
		case hAgentAnswer:
			talk := s.sc.Handling.Talk.Sample(s.rTalk)
			s.push(happening{at: s.now + int64(talk), kind: hTalkEnd, id: h.id, gen: c.gen})
			return s.step(engine.Event{Kind: engine.EvAgentAnswered, Call: id})
		default:
			st := c.agent
			s.forget(id)
			if err := s.step(engine.Event{Kind: engine.EvHangup, Call: id, Side: engine.SideCustomer}); err != nil {
				return err
			}
			s.afterHangup(st)
			return nil
		}
	case hWrapEnd:
		a := &s.agents[h.id]
		if a.wrapGen != h.gen {
			return nil
		}
		st, err := s.eng.AgentStatus(a.id)
		if err != nil || st.State != fsm.AgentNotReady || st.Reason != fsm.ReasonAfterCall {
			return nil
		}
		if err := s.step(engine.Event{Kind: engine.EvAgentReady, Agent: a.id}); err != nil {
			return err
		}
		s.settle(int(h.id))
	case hTimer:
		if err := s.step(engine.Event{Kind: engine.EvTimer, Timer: h.tm}); err != nil {
			return err
		}
		if h.tm.Kind == engine.TimerACW {
			s.settle(s.byID[records.AgentID(h.tm.ID)])
		}
	case hSchedule:
		return s.schedule(s.sc.Agents.Schedule[h.id])
	case hBreakEnd:
		a := &s.agents[h.id]
		if !a.onBreak || !a.loggedIn {
			return nil
		}
		a.onBreak = false
		if err := s.step(engine.Event{Kind: engine.EvAgentReady, Agent: a.id}); err != nil {
			return err
		}
		s.settle(int(h.id))
	case hSlice:
		s.m.slice(s)
	case hRetryDue:
		return s.deliverRetries()
	case hRefetch:
		if err := s.fetch(s.eng.Config().FetchBatch); err != nil {
			return err
		}
		if !s.batching {
			return s.drain()
		}
	}
	return nil
}

// afterHangup starts the agent's wrap-up if the engine put it in after-call work.
func (s *Sim) afterHangup(i int) {
	if i < 0 {
		return
	}
	a := &s.agents[i]
	st, err := s.eng.AgentStatus(a.id)
	if err != nil {
		return
	}
	if st.State == fsm.AgentNotReady && st.Reason == fsm.ReasonAfterCall {
		a.wrapGen++
		w := s.sc.Handling.Wrap.Sample(s.rWrap)
		s.push(happening{at: s.now + int64(w), kind: hWrapEnd, id: uint64(i), gen: a.wrapGen})
		return
	}
	s.settle(i)
}

// settle notes when agent i became idle, for the idle-wait figures.
func (s *Sim) settle(i int) {
	a := &s.agents[i]
	st, err := s.eng.AgentStatus(a.id)
	if err != nil {
		return
	}
	if st.State == fsm.AgentReady && !st.OnCall {
		if a.idleSince < 0 {
			a.idleSince = s.now
		}
	} else if !st.OnCall {
		a.idleSince = -1
	}
}

func (s *Sim) schedule(it ScheduleItem) error {
	for n, i := it.Logout, len(s.agents)-1; n > 0 && i >= 0; i-- {
		a := &s.agents[i]
		if !a.loggedIn {
			continue
		}
		if err := s.step(engine.Event{Kind: engine.EvAgentLogout, Agent: a.id}); err != nil {
			return err
		}
		a.loggedIn, a.onBreak, a.idleSince = false, false, -1
		n--
	}
	for n, i := it.Login, 0; n > 0 && i < len(s.agents); i++ {
		if s.agents[i].loggedIn {
			continue
		}
		if st, err := s.eng.AgentStatus(s.agents[i].id); err == nil && st.OnCall {
			// Its logout is still waiting for the end of its call: staying
			// logged in cancels it.
			if err := s.step(engine.Event{Kind: engine.EvAgentReady, Agent: s.agents[i].id}); err != nil {
				return err
			}
			s.agents[i].loggedIn = true
		} else if err := s.login(i); err != nil {
			return err
		}
		n--
	}
	for n, i := it.Break, 0; n > 0 && i < len(s.agents); i++ {
		a := &s.agents[i]
		if !a.loggedIn || a.onBreak {
			continue
		}
		if err := s.step(engine.Event{Kind: engine.EvAgentNotReady, Agent: a.id, Reason: fsm.ReasonRestBreak}); err != nil {
			return err
		}
		a.onBreak = true
		a.idleSince = -1
		s.push(happening{at: s.now + int64(it.For), kind: hBreakEnd, id: uint64(i)})
		n--
	}
	return nil
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

func (s *Sim) push(h happening) {
	s.seq++
	h.seq = s.seq
	s.heap = append(s.heap, h)
	x := s.heap
	i := len(x) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(&x[i], &x[p]) {
			break
		}
		x[p], x[i] = x[i], x[p]
		i = p
	}
}

func (s *Sim) pop() happening {
	x := s.heap
	top := x[0]
	n := len(x) - 1
	x[0] = x[n]
	x = x[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && less(&x[r], &x[l]) {
			m = r
		}
		if !less(&x[m], &x[i]) {
			break
		}
		x[i], x[m] = x[m], x[i]
		i = m
	}
	s.heap = x
	return top
}

func less(a, b *happening) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}
