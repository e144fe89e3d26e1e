package engine

import (
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/fsm"
	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
)

type task struct {
	spec   records.TaskSpec
	status records.TaskStatus
	queue  *queue
	pacer  pacing.Pacer

	list     []records.Number // numbers ready to dial, FIFO from head
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
	// Since the engine started: calls placed, calls that reached an agent
	// and ended, their talk and their customers' wait for the agent.
	dials, completed int64
	talk, hold       time.Duration

	pacingAt  time.Time // when the pacing timer is due (zero = none)
	pacingGen uint32
	dirty     bool
	level     float64
	snap      pacing.Snapshot
	told      records.Decision // the latest decision in Ready.Decisions
}

func (e *Engine) task(id records.TaskID) (*task, error) {
	t, ok := e.tasks[id]
	if !ok {
		return nil, apierr.New(apierr.TaskNotExist, "task %d does not exist", id)
	}
	return t, nil
}

func (e *Engine) createTask(spec *records.TaskSpec) error {
	if spec == nil {
		return apierr.Invalid("task", "missing task spec")
	}
	s := *spec
	if err := s.Normalize(); err != nil {
		return err
	}
	if s.Pacing.Mode == records.ModeRatio { // the ratio is pacing's to parse
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
	e.rd.Tasks = append(e.rd.Tasks, records.TaskUpdate{At: e.now, Task: s.ID, Status: records.TaskCreated})
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

// removeNumbers drops from a task's buffer the numbers whose phones were
// removed from its list, so that a number handed out before its removal is
// not dialled after it. A number already dialled is not in the buffer: its
// call goes on. An unknown task holds nothing to drop.
func (e *Engine) removeNumbers(ev *Event) {
	t := e.tasks[ev.Task]
	if t == nil || len(ev.Numbers) == 0 {
		return
	}
	gone := make(map[string]struct{}, len(ev.Numbers))
	for i := range ev.Numbers {
		gone[ev.Numbers[i].Phone] = struct{}{}
	}
	n := t.head
	for _, num := range t.list[t.head:] {
		if _, ok := gone[num.Phone]; !ok {
			t.list[n] = num
			n++
		}
	}
	if n == len(t.list) {
		return
	}
	clear(t.list[n:])
	t.list = t.list[:n]
	e.markDirty(t)
}

func (e *Engine) setTaskStatus(ev *Event) error {
	t, err := e.task(ev.Task)
	if err != nil {
		return err
	}
	var to records.TaskStatus
	switch ev.Kind {
	case EvStartTask:
		to = records.TaskRunning
	case EvPauseTask:
		to = records.TaskPaused
	default:
		to = records.TaskEnded
	}
	switch {
	case t.status == records.TaskEnded:
		return apierr.New(apierr.TaskOver, "task %d is over", t.spec.ID)
	case to == records.TaskRunning && t.status == records.TaskRunning:
		return apierr.New(apierr.TaskInProgress, "task %d is already running", t.spec.ID)
	case to == records.TaskPaused && t.status == records.TaskPaused:
		return apierr.New(apierr.TaskPaused, "task %d is already paused", t.spec.ID)
	case to == records.TaskPaused && t.status == records.TaskCreated:
		return apierr.New(apierr.TaskNotStarted, "task %d has not started", t.spec.ID)
	}
	t.status = to
	e.rd.Tasks = append(e.rd.Tasks, records.TaskUpdate{At: e.now, Task: t.spec.ID, Status: to})
	if to == records.TaskRunning {
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
	if t.status != records.TaskRunning || e.draining {
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
	placed := 0
	for ; placed < n; placed++ {
		if !e.dial(t) {
			break
		}
	}
	if e.cfg.Decisions {
		e.decided(t, &d, placed)
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
		e.rd.Tasks = append(e.rd.Tasks, records.TaskUpdate{At: e.now, Task: t.spec.ID, Status: t.status, Exhausted: true})
	}
}

// dial originates a call to the next number of t that passes the dial-time
// checks, putting aside those that fail them. It reports false when the task
// has no number to dial now.
func (e *Engine) dial(t *task) bool {
	var num records.Number
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
	c.cust = partyTo(c.cust, fsm.PartyDial)
	c.dialAt = e.now
	var callerID string
	if ids := t.spec.CallerIDs; len(ids) > 0 {
		callerID = ids[t.callerRR%len(ids)]
		t.callerRR++
	}
	c.rec = records.CallRecord{
		Call: c.id, Tenant: t.spec.Tenant, Task: t.spec.ID, Number: c.number,
		CallerID: callerID, Called: c.phone, Queue: t.queue.spec.ID, Start: e.now,
	}
	e.enterFlight(c, pacing.CallRinging)
	t.dials++
	e.rd.Numbers = append(e.rd.Numbers, records.NumberUpdate{
		At: e.now, Task: t.spec.ID, Number: c.number, State: records.NumberDialing, Call: c.id, Attempts: c.attempts,
	})
	e.rd.Commands = append(e.rd.Commands, Command{
		Kind: CmdOriginate, At: e.now, Task: t.spec.ID, Call: c.id, Number: c.number,
		Phone: c.phone, CallerID: callerID, Timeout: t.spec.NoAnswerTimeout,
	})
	if e.cfg.CTIEvents {
		e.emit(records.CTIEvent{Name: records.EventCallCreated, Task: t.spec.ID, Call: c.id, ThisDN: callerID, OtherDN: c.phone})
		e.emit(records.CTIEvent{Name: partyCTI[fsm.PartyDial], Task: t.spec.ID, Call: c.id, Role: records.RoleCustomer, ThisDN: c.phone, OtherDN: callerID})
	}
	t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsDial})
	return true
}

func (e *Engine) emit(ev records.CTIEvent) {
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

// decided adds the decision the pacer of t just made to Ready.Decisions
// when it says something new: calls placed, or a level or a number of
// calls asked for that differ from the last one told. The snapshot's
// counts are those before the calls were placed.
func (e *Engine) decided(t *task, d *pacing.Decision, placed int) {
	if placed == 0 && d.Level == t.told.Level && d.Place == t.told.Wanted && !t.told.At.IsZero() {
		return
	}
	s := &t.snap
	dec := records.Decision{
		At: e.now, Tenant: t.spec.Tenant, Task: t.spec.ID, Level: d.Level, Wanted: d.Place, Placed: placed,
		LoggedIn: s.LoggedIn, Idle: s.Idle, Busy: s.Busy, Paused: s.Paused, Ringing: s.Ringing, Waiting: s.Waiting,
		AbandonTarget: s.AbandonTarget, AbandonRate: abandonRate(s.Abandoned, s.LiveAnswers),
		WindowAbandonRate: abandonRate(s.WindowAbandoned, s.WindowLiveAnswers),
	}
	if est, ok := t.pacer.(pacing.Estimator); ok {
		dec.Estimates = est.Estimates()
	}
	t.told = dec
	e.rd.Decisions = append(e.rd.Decisions, dec)
}
