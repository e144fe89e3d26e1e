package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/fsm"
	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
)

// Config configures an Engine.
type Config struct {
	// Rand is the seeded source for every random choice the engine makes.
	// Required when a queue uses StrategyRandom; a fixed seed is used if nil.
	Rand *rand.Rand
	// CTIEvents turns on the seed-002 events in Ready.Events. The server wants
	// them; a simulation that only needs the report may leave them off.
	CTIEvents bool
	// FetchBatch is how many numbers the engine asks for at a time
	// (CmdFetchNumbers); it asks again when fewer than half remain. Default 256.
	FetchBatch int
	// LastCall is the highest call ID used before (by a previous run, as the
	// store recovered it); new calls are numbered above it.
	LastCall CallID
}

// Engine is the deterministic dialer core. It is not safe for concurrent use:
// one goroutine (a runner, or the simulator) owns it.
type Engine struct {
	cfg Config
	rng *rand.Rand
	now time.Time

	tasks  map[TaskID]*task
	order  []*task // tasks in creation order: deterministic iteration
	queues map[QueueID]*queue
	agents map[AgentID]*agent
	calls  map[CallID]*call

	nextCall CallID
	freeCall []*call // recycled call structs
	dirty    []*task // tasks to pace at the end of this Step
	draining bool    // EvDrain: no new call
	black    blacklists

	rd     Ready
	handed handed // what the latest Ready handed out of rd
}

// New returns an empty engine.
func New(cfg Config) *Engine {
	if cfg.FetchBatch <= 0 {
		cfg.FetchBatch = 256
	}
	rng := cfg.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 2))
	}
	return &Engine{
		cfg:      cfg,
		rng:      rng,
		tasks:    make(map[TaskID]*task),
		queues:   make(map[QueueID]*queue),
		agents:   make(map[AgentID]*agent),
		calls:    make(map[CallID]*call),
		nextCall: cfg.LastCall,
	}
}

// Config returns the engine's configuration, defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Now returns the time of the latest event stepped.
func (e *Engine) Now() time.Time { return e.now }

// HasReady reports whether Ready has anything to handle.
func (e *Engine) HasReady() bool { return !e.rd.Empty() }

// Ready returns what the Steps since the last Advance produced. See the Ready
// type for the order in which the caller must handle it.
//
// The slices handed out stay valid and unchanged until Advance, whatever is
// stepped meanwhile: they are capped at their length, and the engine only
// appends past it. A Step between Ready and Advance is kept for the next
// Ready. Calling Ready again before Advance returns everything not yet
// advanced, the earlier output first.
func (e *Engine) Ready() Ready {
	h := handed{len(e.rd.Numbers), len(e.rd.Records), len(e.rd.Tasks), len(e.rd.Commands), len(e.rd.Events)}
	e.handed = h
	return Ready{
		Numbers:  e.rd.Numbers[:h.numbers:h.numbers],
		Records:  e.rd.Records[:h.records:h.records],
		Tasks:    e.rd.Tasks[:h.tasks:h.tasks],
		Commands: e.rd.Commands[:h.commands:h.commands],
		Events:   e.rd.Events[:h.events:h.events],
	}
}

// handed counts what the latest Ready handed out of each slice.
type handed struct{ numbers, records, tasks, commands, events int }

// Advance tells the engine that rd, the latest Ready, was handled. It drops
// exactly what rd holds and keeps what was stepped after it; rd's slices are
// reused from then on. Advancing what no Ready handed out (a Ready advanced
// twice, or not this engine's) is a broken invariant and panics.
func (e *Engine) Advance(rd Ready) {
	h := e.handed
	if len(rd.Numbers) > h.numbers || len(rd.Records) > h.records || len(rd.Tasks) > h.tasks ||
		len(rd.Commands) > h.commands || len(rd.Events) > h.events {
		panic("engine: Advance of a Ready that was not handed out (advanced twice?)")
	}
	e.handed = handed{}
	e.rd.Numbers = drop(e.rd.Numbers, len(rd.Numbers))
	e.rd.Records = drop(e.rd.Records, len(rd.Records))
	e.rd.Tasks = drop(e.rd.Tasks, len(rd.Tasks))
	e.rd.Commands = drop(e.rd.Commands, len(rd.Commands))
	if len(rd.Events) == len(e.rd.Events) {
		clear(e.rd.Events) // drop string references
	}
	e.rd.Events = drop(e.rd.Events, len(rd.Events))
}

// drop removes the first n elements of s in place. What was stepped after
// the Ready (rare) moves to the front, and the tail it leaves is cleared.
func drop[T any](s []T, n int) []T {
	if n == len(s) {
		return s[:0]
	}
	m := copy(s, s[n:])
	clear(s[m:])
	return s[:m]
}

// Step applies one input event. An invalid input returns an error (an
// *apierr.Error) and leaves the engine exactly as it was: its time too, and
// no task is paced. Events must come in time order; an event older than the
// latest one is treated as happening now.
func (e *Engine) Step(ev Event) error {
	prev := e.now
	if ev.At.After(e.now) {
		e.now = ev.At
	}
	if err := e.step(&ev); err != nil {
		// Every handler checks before it changes anything, so a rejected
		// input has marked no task for pacing.
		if len(e.dirty) > 0 {
			panic(fmt.Sprintf("engine: rejected event kind %d changed the state: %v", ev.Kind, err))
		}
		e.now = prev
		return err
	}
	for len(e.dirty) > 0 {
		t := e.dirty[len(e.dirty)-1]
		e.dirty = e.dirty[:len(e.dirty)-1]
		t.dirty = false
		e.connectWaiting(t.queue)
		e.pace(t)
	}
	return nil
}

func (e *Engine) step(ev *Event) error {
	switch ev.Kind {
	case EvCreateQueue:
		return e.createQueue(ev.QueueSpec)
	case EvCreateAgent:
		return e.createAgent(ev.AgentSpec)
	case EvCreateTask:
		return e.createTask(ev.TaskSpec)
	case EvAddNumbers, EvNumbers:
		t, err := e.task(ev.Task)
		if err != nil {
			return err
		}
		e.addNumbers(t, ev)
		return nil
	case EvStartTask, EvPauseTask, EvEndTask:
		return e.setTaskStatus(ev)
	case EvAgentLogin, EvAgentReady, EvAgentNotReady, EvAgentLogout:
		return e.agentRequest(ev)
	case EvSignIn, EvSignOut:
		return e.signInOut(ev)
	case EvProgress, EvAnswered, EvFailed, EvAgentAnswered, EvAgentFailed, EvHangup, EvHold, EvRetrieve:
		return e.backendEvent(ev)
	case EvTimer:
		e.timer(ev.Timer)
		return nil
	case EvBlacklist:
		return e.blacklist(ev.Blacklist)
	case EvDrain:
		// Not a task status: nothing is stored, so the tasks dial again
		// when the runner starts afresh.
		e.draining = true
		return nil
	}
	return apierr.Invalid("kind", "unknown event kind %d", ev.Kind)
}

// ---- tasks ----------------------------------------------------------------

type task struct {
	spec   TaskSpec
	status TaskStatus
	queue  *queue
	pacer  pacing.Pacer

	list     []Number // numbers ready to dial, FIFO from head
	head     int
	fetching bool
	drained  bool // the source said it has nothing due now
	empty    bool // TaskUpdate Exhausted already written

	dialUntil  time.Time      // when dialing stops for the day (TaskSpec.DialUntil, Event.DialUntil)
	window     records.Window // the calling window in force
	alwaysOpen bool           // window is AlwaysOpen: no hour is ever closed
	dayEndAt   time.Time      // when the day-end timer is due (zero = none)
	dayGen     uint32

	flight   []pacing.Call // calls not yet at an agent, dense
	flightC  []*call       // the call of each flight entry
	waiting  int           // of flight, how many are answered and waiting
	callerRR int

	live, abandoned int64
	abandons        abandonWindow

	pacingAt  time.Time // when the pacing timer is due (zero = none)
	pacingGen uint32
	dirty     bool
	level     float64
	snap      pacing.Snapshot
}

func (e *Engine) task(id TaskID) (*task, error) {
	t, ok := e.tasks[id]
	if !ok {
		return nil, apierr.New(apierr.TaskNotExist, "task %d does not exist", id)
	}
	return t, nil
}

func (e *Engine) createTask(spec *TaskSpec) error {
	if spec == nil {
		return apierr.Invalid("task", "missing task spec")
	}
	s := *spec
	if err := s.Normalize(); err != nil {
		return err
	}
	if s.Pacing.Mode == pacing.ModeRatio { // the ratio is pacing's to parse
		if _, _, err := pacing.ParseRatio(s.Pacing.Ratio); err != nil {
			return err
		}
	}
	if _, dup := e.tasks[s.ID]; dup {
		return apierr.Invalid("task.id", "task %d already exists", s.ID)
	}
	q, ok := e.queues[s.Queue]
	if !ok {
		return apierr.Invalid("task.queue", "queue %d does not exist", s.Queue)
	}
	p, err := pacing.New(s.Pacing, e.rng)
	if err != nil {
		return err
	}
	t := &task{spec: s, queue: q, pacer: p, dialUntil: s.DialUntil, window: s.Window.Effective()}
	t.alwaysOpen = t.window == records.AlwaysOpen
	t.abandons.init(s.AbandonWindow)
	e.tasks[s.ID] = t
	e.order = append(e.order, t)
	q.tasks = append(q.tasks, t)
	e.rd.Tasks = append(e.rd.Tasks, TaskUpdate{At: e.now, Task: s.ID, Status: TaskCreated})
	e.armDayEnd(t)
	return nil
}

func (e *Engine) addNumbers(t *task, ev *Event) {
	if ev.Kind == EvNumbers {
		t.fetching = false
		t.drained = ev.Exhausted
		if ev.DayKnown || !ev.DialUntil.IsZero() {
			t.dialUntil = ev.DialUntil
			e.armDayEnd(t)
		}
	}
	if len(ev.Numbers) > 0 {
		t.drained = false
		t.empty = false
		if t.head > 0 { // compact, so the buffer does not creep forward forever
			n := copy(t.list, t.list[t.head:])
			clear(t.list[n:])
			t.list, t.head = t.list[:n], 0
		}
		t.list = append(t.list, ev.Numbers...)
	}
	e.markDirty(t)
}

func (e *Engine) setTaskStatus(ev *Event) error {
	t, err := e.task(ev.Task)
	if err != nil {
		return err
	}
	var to TaskStatus
	switch ev.Kind {
	case EvStartTask:
		to = TaskRunning
	case EvPauseTask:
		to = TaskPaused
	default:
		to = TaskEnded
	}
	switch {
	case t.status == TaskEnded:
		return apierr.New(apierr.TaskOver, "task %d is over", t.spec.ID)
	case to == TaskRunning && t.status == TaskRunning:
		return apierr.New(apierr.TaskInProgress, "task %d is already running", t.spec.ID)
	case to == TaskPaused && t.status == TaskPaused:
		return apierr.New(apierr.TaskPaused, "task %d is already paused", t.spec.ID)
	case to == TaskPaused && t.status == TaskCreated:
		return apierr.New(apierr.TaskNotStarted, "task %d has not started", t.spec.ID)
	}
	t.status = to
	e.rd.Tasks = append(e.rd.Tasks, TaskUpdate{At: e.now, Task: t.spec.ID, Status: to})
	if to == TaskRunning {
		e.markDirty(t)
	}
	// Pausing or ending stops new dials; calls in flight finish normally.
	return nil
}

func (e *Engine) markDirty(t *task) {
	if !t.dirty {
		t.dirty = true
		e.dirty = append(e.dirty, t)
	}
}

// pace asks the task's pacer and places the calls it wants.
func (e *Engine) pace(t *task) {
	if t.status != TaskRunning || e.draining {
		return
	}
	q := t.queue
	s := &t.snap
	s.Now = e.now
	s.LoggedIn = q.loggedIn
	s.Idle = q.idle
	s.Paused = q.paused
	s.Busy = len(q.busy)
	s.Calls, s.Waiting = q.inFlight(t)
	s.Ringing = len(s.Calls) - s.Waiting
	s.MaxInFlight = int(t.spec.MaxLinesPerAgent * float64(q.loggedIn))
	s.Agents = q.busy
	s.LiveAnswers, s.Abandoned = t.live, t.abandoned
	s.WindowLiveAnswers, s.WindowAbandoned = t.abandons.sums(e.now)
	s.AbandonTarget = t.spec.Pacing.AbandonTarget
	if s.AbandonTarget == 0 {
		s.AbandonTarget = pacing.DefaultAbandonTarget
	}
	s.ConnectDeadline = t.spec.ConnectDeadline
	s.NoAnswerTimeout = t.spec.NoAnswerTimeout
	s.DialUntil = t.dialUntil

	d := t.pacer.Decide(s)
	t.level = d.Level
	n := min(d.Place, s.MaxInFlight-len(s.Calls))
	for i := 0; i < n; i++ {
		if !e.dial(t) {
			break
		}
	}
	e.refill(t)
	if !d.Next.IsZero() && d.Next.After(e.now) && !d.Next.Equal(t.pacingAt) {
		t.pacingAt = d.Next
		t.pacingGen++
		e.rd.Commands = append(e.rd.Commands, Command{
			Kind: CmdSetTimer, At: d.Next, Task: t.spec.ID,
			Timer: Timer{Kind: TimerPacing, ID: uint64(t.spec.ID), Gen: t.pacingGen},
		})
	}
}

// refill asks for more numbers when the buffer runs low.
func (e *Engine) refill(t *task) {
	left := len(t.list) - t.head
	if left*2 < e.cfg.FetchBatch && !t.fetching && !t.drained {
		t.fetching = true
		e.rd.Commands = append(e.rd.Commands, Command{
			Kind: CmdFetchNumbers, At: e.now, Task: t.spec.ID, Count: e.cfg.FetchBatch - left,
		})
	}
	if left == 0 && t.drained && !t.empty {
		t.empty = true
		e.rd.Tasks = append(e.rd.Tasks, TaskUpdate{At: e.now, Task: t.spec.ID, Status: t.status, Exhausted: true})
	}
}

// dial originates a call to the next number of t that passes the dial-time
// checks, putting aside those that fail them. It reports false when the task
// has no number to dial now.
func (e *Engine) dial(t *task) bool {
	var num Number
	for {
		if t.head == len(t.list) {
			return false
		}
		num = t.next()
		v, reason, at := e.check(t, &num)
		if v == dialIt {
			break
		}
		e.putAside(t, &num, v, reason, at)
	}
	c := e.newCall()
	c.task = t
	c.number = num.ID
	c.phone = num.Phone
	c.attempts = num.Attempts + 1
	c.alts = len(num.Alternatives) > 0
	c.cust = fsm.PartyDialing
	c.dialAt = e.now
	var callerID string
	if ids := t.spec.CallerIDs; len(ids) > 0 {
		callerID = ids[t.callerRR%len(ids)]
		t.callerRR++
	}
	c.rec = CallRecord{
		Call: c.id, Tenant: t.spec.Tenant, Task: t.spec.ID, Number: c.number,
		CallerID: callerID, Called: c.phone, Queue: t.queue.spec.ID, Start: e.now,
	}
	c.flightIdx = len(t.flight)
	t.flight = append(t.flight, pacing.Call{State: pacing.CallRinging, DialedAt: e.now})
	t.flightC = append(t.flightC, c)
	e.rd.Numbers = append(e.rd.Numbers, NumberUpdate{
		At: e.now, Task: t.spec.ID, Number: c.number, State: NumberDialing, Call: c.id, Attempts: c.attempts,
	})
	e.rd.Commands = append(e.rd.Commands, Command{
		Kind: CmdOriginate, At: e.now, Task: t.spec.ID, Call: c.id, Number: c.number,
		Phone: c.phone, CallerID: callerID, Timeout: t.spec.NoAnswerTimeout,
	})
	if e.cfg.CTIEvents {
		e.emit(CTIEvent{Name: EventCallCreated, Task: t.spec.ID, Call: c.id, ThisDN: callerID, OtherDN: c.phone})
		e.emit(CTIEvent{Name: EventDialing, Task: t.spec.ID, Call: c.id, Role: RoleCustomer, ThisDN: c.phone, OtherDN: callerID})
	}
	t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsDial})
	return true
}

func (e *Engine) emit(ev CTIEvent) {
	ev.At = e.now
	if ev.Tenant == "" {
		if t, ok := e.tasks[ev.Task]; ok {
			ev.Tenant = t.spec.Tenant
		} else if a, ok := e.agents[ev.Agent]; ok {
			ev.Tenant = a.spec.Tenant
		}
	}
	e.rd.Events = append(e.rd.Events, ev)
}

// ---- calls ----------------------------------------------------------------

type callStage uint8

const (
	stageRinging callStage = iota // originated, no outcome yet
	stageWaiting                  // answered live, waiting for an agent
	stageOffered                  // an agent's phone rings for it
	stageTalk                     // customer and agent bridged
)

type call struct {
	id       CallID
	task     *task
	number   NumberID
	phone    string
	attempts int
	alts     bool // the number has an alternative phone
	stage    callStage
	cust     fsm.PartyState
	agentLeg fsm.PartyState
	agent    *agent

	dialAt, answerAt time.Time
	flightIdx        int // index in task.flight while ringing or waiting
	waitGen          uint32
	rec              CallRecord
}

func (e *Engine) newCall() *call {
	e.nextCall++
	var c *call
	if n := len(e.freeCall); n > 0 {
		c = e.freeCall[n-1]
		e.freeCall = e.freeCall[:n-1]
		gen := c.waitGen
		*c = call{waitGen: gen + 1}
	} else {
		c = &call{}
	}
	c.id = e.nextCall
	e.calls[c.id] = c
	return c
}

func (e *Engine) backendEvent(ev *Event) error {
	c, ok := e.calls[ev.Call]
	if !ok {
		return apierr.New(apierr.NotFoundCallID, "call %d is not active", ev.Call)
	}
	t := c.task
	switch ev.Kind {
	case EvProgress:
		next, err := fsm.PartyNext(c.cust, fsm.PartyRing)
		if err != nil {
			return err
		}
		c.cust = next
		c.rec.Ring = e.now
		if e.cfg.CTIEvents {
			e.emit(CTIEvent{Name: EventRinging, Task: t.spec.ID, Call: c.id, Role: RoleCustomer, ThisDN: c.phone})
		}
	case EvAnswered:
		if c.stage != stageRinging {
			return apierr.New(apierr.InvalidCallType, "call %d is already answered", c.id)
		}
		next, err := fsm.PartyNext(c.cust, fsm.PartyAnswer)
		if err != nil {
			return err
		}
		c.cust = next
		c.rec.Answer = e.now
		c.answerAt = e.now
		if e.cfg.CTIEvents {
			e.emit(CTIEvent{Name: EventEstablished, Task: t.spec.ID, Call: c.id, Role: RoleCustomer, ThisDN: c.phone})
		}
		t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsOutcome, Outcome: ev.Outcome, Duration: e.now.Sub(c.dialAt)})
		if ev.Outcome != pacing.OutcomeLive {
			c.rec.Outcome = pacing.OutcomeMachine
			c.rec.Machine = true
			c.rec.EarlyCause = 200
			msg := ""
			if t.spec.Machine == MachineMessage {
				msg = t.spec.MachineMsg
			}
			e.rd.Commands = append(e.rd.Commands, Command{Kind: CmdPlayHangup, At: e.now, Task: t.spec.ID, Call: c.id, Message: msg})
			e.closeCall(c, pacing.OutcomeMachine, ResultNotConnected, EndNone)
			break
		}
		c.rec.Outcome = pacing.OutcomeLive
		c.rec.EarlyCause = 200
		t.live++
		t.abandons.add(e.now, 1, 0)
		e.connectOrWait(c)
	case EvFailed:
		if c.stage != stageRinging {
			return apierr.New(apierr.InvalidCallType, "call %d is answered; hang it up instead", c.id)
		}
		out := ev.Outcome
		if out == pacing.OutcomeNone || out == pacing.OutcomeLive || out == pacing.OutcomeMachine {
			out = pacing.OutcomeInvalid
		}
		c.rec.Outcome = out
		c.rec.HangupCause = ev.Cause
		c.rec.EarlyCause = earlyCause(out)
		t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsOutcome, Outcome: out, Duration: e.now.Sub(c.dialAt)})
		e.closeCall(c, out, ResultNotConnected, EndNone)
	case EvAgentAnswered:
		if c.stage != stageOffered {
			return apierr.New(apierr.InvalidCallType, "call %d is not offered to an agent", c.id)
		}
		a := c.agent
		next, err := fsm.PartyNext(c.agentLeg, fsm.PartyAnswer)
		if err != nil {
			return err
		}
		c.agentLeg = next
		c.stage = stageTalk
		c.rec.AgentAnswer = e.now
		e.setAgent(a, func() { a.phase = pacing.PhaseTalk; a.since = e.now; a.callAt = e.now })
		if e.cfg.CTIEvents {
			e.emit(CTIEvent{Name: EventEstablished, Task: t.spec.ID, Call: c.id, Agent: a.spec.ID, Role: RoleAgent, ThisDN: a.spec.Phone, OtherDN: c.phone})
		}
	case EvAgentFailed:
		if c.stage != stageOffered {
			return apierr.New(apierr.InvalidCallType, "call %d is not offered to an agent", c.id)
		}
		a := c.agent
		e.releaseAgentLeg(c)
		// A missed offer: the agent is set NotReady so that the call is not
		// offered to an absent agent again.
		e.setAgent(a, func() { a.call = nil; a.state = fsm.AgentNotReady; a.reason = fsm.ReasonOther })
		if e.cfg.CTIEvents {
			e.emit(CTIEvent{Name: EventAgentNotReady, Agent: a.spec.ID, ThisDN: a.spec.Phone, Reason: fsm.ReasonOther})
		}
		c.agent = nil
		c.stage = stageRinging // re-enter flight, then wait
		e.enterFlight(c, pacing.CallWaiting)
		t.waiting++
		if deadline := c.answerAt.Add(t.spec.ConnectDeadline); !e.now.Before(deadline) {
			e.abandon(c, false)
		} else {
			c.stage = stageWaiting
			e.waitFor(c, deadline)
		}
	case EvHangup:
		e.hangup(c, ev)
	case EvHold, EvRetrieve:
		// The customer's leg only: the agent stays on the call, busy, and
		// the talk goes on for the pacer's estimates.
		if c.stage != stageTalk {
			return apierr.New(apierr.InvalidCallType, "call %d is not talking to an agent", c.id)
		}
		what, name := fsm.PartyHold, EventHeld
		if ev.Kind == EvRetrieve {
			what, name = fsm.PartyRetrieve, EventRetrieved
		}
		next, err := fsm.PartyNext(c.cust, what)
		if err != nil {
			return err
		}
		c.cust = next
		if e.cfg.CTIEvents {
			e.emit(CTIEvent{Name: name, Task: t.spec.ID, Call: c.id, Agent: c.agent.spec.ID, Role: RoleCustomer, ThisDN: c.phone})
		}
		return nil // nothing changes for pacing
	}
	e.markQueue(t.queue)
	return nil
}

func earlyCause(o pacing.Outcome) int {
	switch o {
	case pacing.OutcomeBusy:
		return 109
	case pacing.OutcomeNoAnswer:
		return 115
	case pacing.OutcomeInvalid:
		return 104
	}
	return 0
}

// connectOrWait gives a fresh live answer to an idle agent, or makes it wait.
func (e *Engine) connectOrWait(c *call) {
	t := c.task
	if a := e.pickAgent(t.queue); a != nil {
		e.offer(c, a)
		return
	}
	if t.spec.ConnectDeadline <= 0 {
		e.abandon(c, false)
		return
	}
	c.stage = stageWaiting
	t.flight[c.flightIdx] = pacing.Call{State: pacing.CallWaiting, DialedAt: c.dialAt, AnswerAt: c.answerAt}
	t.waiting++
	e.waitFor(c, e.now.Add(t.spec.ConnectDeadline))
}

func (e *Engine) waitFor(c *call, deadline time.Time) {
	q := c.task.queue
	q.waitq = append(q.waitq, c)
	c.waitGen++
	e.rd.Commands = append(e.rd.Commands, Command{
		Kind: CmdSetTimer, At: deadline, Task: c.task.spec.ID, Call: c.id,
		Timer: Timer{Kind: TimerDeadline, ID: uint64(c.id), Gen: c.waitGen},
	})
}

func (e *Engine) enterFlight(c *call, st pacing.CallState) {
	t := c.task
	c.flightIdx = len(t.flight)
	t.flight = append(t.flight, pacing.Call{State: st, DialedAt: c.dialAt, AnswerAt: c.answerAt})
	t.flightC = append(t.flightC, c)
}

func (e *Engine) leaveFlight(c *call) {
	t := c.task
	i, last := c.flightIdx, len(t.flight)-1
	if t.flight[i].State == pacing.CallWaiting {
		t.waiting--
	}
	if i != last {
		t.flight[i] = t.flight[last]
		t.flightC[i] = t.flightC[last]
		t.flightC[i].flightIdx = i
	}
	t.flight = t.flight[:last]
	t.flightC[last] = nil
	t.flightC = t.flightC[:last]
	c.flightIdx = -1
}

func (e *Engine) unwait(c *call) {
	q := c.task.queue
	if i := slices.Index(q.waitq, c); i >= 0 {
		q.waitq = slices.Delete(q.waitq, i, i+1)
	}
	c.waitGen++
}

// offer reserves agent a for the answered call c and bridges them.
func (e *Engine) offer(c *call, a *agent) {
	t := c.task
	wait := e.now.Sub(c.answerAt)
	if c.stage == stageWaiting {
		e.unwait(c)
	}
	e.leaveFlight(c)
	c.stage = stageOffered
	c.agent = a
	c.agentLeg = fsm.PartyRinging
	c.rec.Agent = a.spec.ID
	c.rec.AgentStart = e.now
	c.rec.AgentRing = e.now
	e.setAgent(a, func() { a.call = c; a.phase = pacing.PhaseReserved; a.since = e.now; a.callAt = time.Time{} })
	a.answered++
	e.rd.Commands = append(e.rd.Commands, Command{
		Kind: CmdConnect, At: e.now, Task: t.spec.ID, Call: c.id, Agent: a.spec.ID, Phone: a.spec.Phone,
	})
	if e.cfg.CTIEvents {
		e.emit(CTIEvent{Name: EventRinging, Task: t.spec.ID, Call: c.id, Agent: a.spec.ID, Role: RoleAgent, ThisDN: a.spec.Phone, OtherDN: c.phone})
	}
	t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsConnect, Duration: wait})
}

// abandon ends a live answer that found no agent in time: the engine plays
// the safe-harbor message and hangs up, or (byCustomer) the customer hung up
// while waiting.
func (e *Engine) abandon(c *call, byCustomer bool) {
	t := c.task
	if c.stage == stageWaiting {
		e.unwait(c)
	}
	t.abandoned++
	t.abandons.add(e.now, 0, 1)
	t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsAbandon, Duration: e.now.Sub(c.answerAt)})
	end := EndCustomer
	if !byCustomer {
		end = EndNone
		e.rd.Commands = append(e.rd.Commands, Command{Kind: CmdPlayHangup, At: e.now, Task: t.spec.ID, Call: c.id, Message: t.spec.SafeHarbor})
	}
	e.closeCall(c, pacing.OutcomeLive, ResultCustomerOnly, end)
}

func (e *Engine) hangup(c *call, ev *Event) {
	t := c.task
	switch c.stage {
	case stageRinging:
		// The far end gave up before answering: a failure by another name.
		c.rec.Outcome = pacing.OutcomeNoAnswer
		c.rec.HangupCause = ev.Cause
		c.rec.EarlyCause = earlyCause(pacing.OutcomeNoAnswer)
		t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsOutcome, Outcome: pacing.OutcomeNoAnswer, Duration: e.now.Sub(c.dialAt)})
		e.closeCall(c, pacing.OutcomeNoAnswer, ResultNotConnected, EndNone)
	case stageWaiting:
		// The customer hung up while waiting: abandoned.
		e.abandon(c, true)
	case stageOffered, stageTalk:
		a := c.agent
		end := EndCustomer
		if ev.Side == SideAgent {
			end = EndAgent
		}
		talked := c.stage == stageTalk
		if talked {
			t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsTalkEnd, Duration: e.now.Sub(c.rec.AgentAnswer)})
		}
		c.rec.AgentEnd = e.now
		e.releaseAgentLeg(c)
		e.afterCall(a, talked)
		e.closeCall(c, pacing.OutcomeLive, ResultBoth, end)
	}
}

func (e *Engine) releaseAgentLeg(c *call) {
	if c.agent == nil || c.agentLeg == fsm.PartyIdle {
		return
	}
	c.agentLeg = fsm.PartyIdle
	if e.cfg.CTIEvents {
		a := c.agent
		e.emit(CTIEvent{Name: EventReleased, Task: c.task.spec.ID, Call: c.id, Agent: a.spec.ID, Role: RoleAgent, ThisDN: a.spec.Phone, OtherDN: c.phone})
	}
}

// closeCall writes the call's record and number outcome and forgets the call.
func (e *Engine) closeCall(c *call, out pacing.Outcome, res CallResult, end EndResult) {
	t := c.task
	if c.flightIdx >= 0 && c.stage <= stageWaiting {
		e.leaveFlight(c)
	}
	c.rec.End = e.now
	c.rec.Result = res
	c.rec.EndResult = end
	if c.rec.Outcome == pacing.OutcomeNone {
		c.rec.Outcome = out
	}
	e.rd.Records = append(e.rd.Records, c.rec)
	e.rd.Numbers = append(e.rd.Numbers, e.numberOutcome(c, out, res))
	if e.cfg.CTIEvents {
		e.emit(CTIEvent{Name: EventReleased, Task: t.spec.ID, Call: c.id, Role: RoleCustomer, ThisDN: c.phone})
		e.emit(CTIEvent{Name: EventCallDeleted, Task: t.spec.ID, Call: c.id, ThisDN: c.rec.CallerID, OtherDN: c.phone})
	}
	delete(e.calls, c.id)
	c.task, c.agent, c.phone = nil, nil, ""
	e.freeCall = append(e.freeCall, c)
	e.markQueue(t.queue)
}

// numberOutcome applies the task's retry policy to the attempt that ended.
func (e *Engine) numberOutcome(c *call, out pacing.Outcome, res CallResult) NumberUpdate {
	t := c.task
	u := NumberUpdate{At: e.now, Task: t.spec.ID, Number: c.number, Call: c.id, Outcome: out, Attempts: c.attempts, State: NumberDone}
	var rule RetryRule
	switch {
	case res == ResultBoth:
		return u
	case res == ResultCustomerOnly:
		rule = t.spec.Retry.Abandoned
		// Ofcom: an abandoned number is not called again within 72 h.
		rule.Delay = max(rule.Delay, 72*time.Hour)
	case out == pacing.OutcomeBusy:
		rule = t.spec.Retry.Busy
	case out == pacing.OutcomeNoAnswer:
		rule = t.spec.Retry.NoAnswer
	case out == pacing.OutcomeMachine:
		rule = t.spec.Retry.Machine
	default:
		rule = t.spec.Retry.Failed
	}
	switch {
	case c.attempts < rule.MaxAttempts:
		u.State = NumberPending
		u.NextAt = e.now.Add(rule.Delay)
	case c.alts && res != ResultCustomerOnly:
		// The policy gives up on this phone: the number is due again at
		// once, on its next alternative (not after an abandon, which
		// reached the customer).
		u.State = NumberPending
		u.NextAt = e.now
		u.NextPhone = true
	}
	return u
}

// ---- timers ---------------------------------------------------------------

func (e *Engine) timer(tm Timer) {
	switch tm.Kind {
	case TimerPacing:
		t, ok := e.tasks[TaskID(tm.ID)]
		if !ok || tm.Gen != t.pacingGen {
			return
		}
		t.pacingAt = time.Time{}
		e.markDirty(t)
	case TimerDayEnd:
		t, ok := e.tasks[TaskID(tm.ID)]
		if !ok || tm.Gen != t.dayGen || t.dayEndAt.IsZero() {
			return
		}
		e.dayEnd(t)
	case TimerDeadline:
		c, ok := e.calls[CallID(tm.ID)]
		if !ok || c.stage != stageWaiting || tm.Gen != c.waitGen {
			return
		}
		e.abandon(c, false)
	case TimerACW:
		a, ok := e.agents[AgentID(tm.ID)]
		if !ok || tm.Gen != a.acwGen || a.state != fsm.AgentNotReady || a.reason != fsm.ReasonAfterCall {
			return
		}
		if e.cfg.CTIEvents {
			e.emit(CTIEvent{Name: EventDelayAfterCallWork, Agent: a.spec.ID, ThisDN: a.spec.Phone, Reason: fsm.ReasonAfterCall})
		}
		e.leaveACW(a, fsm.AgentACWExpire)
	}
}

// ---- statistics -------------------------------------------------------------

// TaskStats is a task's live statistics.
type TaskStats struct {
	Status            TaskStatus
	Ringing, Waiting  int
	LiveAnswers       int64
	Abandoned         int64
	AbandonRate       float64 // over the whole run
	WindowAbandonRate float64 // over the rolling abandon window
	Level             float64 // the pacer's last dial level; 0 once the engine drains
	Queued            int     // numbers buffered in the engine
	Exhausted         bool
	DialUntil         time.Time // when the task stops dialing for the day, as the pacer sees it (zero: unknown)
}

// TaskStats returns the live statistics of a task.
func (e *Engine) TaskStats(id TaskID) (TaskStats, error) {
	t, err := e.task(id)
	if err != nil {
		return TaskStats{}, err
	}
	wl, wa := t.abandons.sums(e.now)
	s := TaskStats{
		Status: t.status, Ringing: len(t.flight) - t.waiting, Waiting: t.waiting,
		LiveAnswers: t.live, Abandoned: t.abandoned, Level: t.level,
		Queued: len(t.list) - t.head, Exhausted: t.empty, DialUntil: t.dialUntil,
	}
	if e.draining { // no task places a call: no level to aim at
		s.Level = 0
	}
	if t.live > 0 {
		s.AbandonRate = float64(t.abandoned) / float64(t.live)
	}
	if wl > 0 {
		s.WindowAbandonRate = float64(wa) / float64(wl)
	}
	return s, nil
}

// ActiveCalls returns how many calls are active (originated and not ended).
func (e *Engine) ActiveCalls() int { return len(e.calls) }
