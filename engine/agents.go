package engine

import (
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/fsm"
	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
)

type queue struct {
	spec    records.QueueSpec
	members []*agent // in sign-in order
	tasks   []*task

	loggedIn, idle, paused int
	busy                   []pacing.Agent // dense; busyA[i] is the agent of busy[i]
	busyA                  []*agent
	waitq                  []*call // live answers waiting for an agent, oldest first
	rr                     int     // round-robin position
	// shown holds the members shown busy (EvAgentAvailability): offered no
	// call of this queue and counted paused in it while they would be idle.
	shown map[*agent]bool

	turn   int           // which of tasks is paced first next time (markQueue)
	flight []pacing.Call // the calls of all its tasks, rebuilt for each decision
}

// inFlight returns the calls in flight that compete for the queue's agents
// when t decides, and how many of them wait for one: those of every task
// dialing for the queue, since a live answer of any of them takes the next
// agent free. A queue with one task hands over that task's own slice.
func (q *queue) inFlight(t *task) (calls []pacing.Call, waiting int) {
	if len(q.tasks) == 1 {
		return t.flight, t.waiting
	}
	q.flight = q.flight[:0]
	for _, o := range q.tasks {
		q.flight = append(q.flight, o.flight...)
		waiting += o.waiting
	}
	return q.flight, waiting
}

// markQueue marks every task of q for pacing, so that tasks sharing the
// queue take turns at the agents freed: the first task paced tops the queue
// up and the next sees its calls, and the first is one further along each
// time the tasks are marked afresh. Dirty tasks are paced last marked first,
// so the task whose turn it is is marked last.
func (e *Engine) markQueue(q *queue) {
	n := len(q.tasks)
	fresh := false
	for i := n - 1; i >= 0; i-- {
		t := q.tasks[(q.turn+i)%n]
		fresh = fresh || !t.dirty
		e.markDirty(t)
	}
	if fresh {
		q.turn = (q.turn + 1) % n
	}
}

// agent class: how an agent counts in its queues.
type class uint8

const (
	classOut class = iota
	classIdle
	classPaused
	classBusy
)

type membership struct {
	q       *queue
	busyIdx int
}

type agent struct {
	spec   records.AgentSpec
	state  fsm.AgentState
	reason int
	call   *call
	phase  pacing.AgentPhase
	since  time.Time // start of the current phase / idle period
	callAt time.Time // start of the current call's talk
	queues []membership
	cls    class

	deferred    fsm.Deferred // what it asked for on a call, done when the call ends
	deferReason int          // the reason of a deferred NotReady
	acwGen      uint32
	answered    int
	talk        time.Duration

	// The agent's figures (seed GetQueueSipStatus).
	taken, missed          int64         // offers answered, offers not answered
	lastAnswer, lastAssign time.Time     // when it last answered, was last offered a call
	changed                time.Time     // when its state last changed
	lastEnd                time.Time     // when its last call ended
	wrap                   time.Duration // after-call work in all
}

func (a *agent) classify() class {
	switch {
	case a.state == fsm.AgentLogout:
		return classOut
	case a.call != nil:
		return classBusy
	case a.state == fsm.AgentNotReady && a.reason == fsm.ReasonAfterCall:
		return classBusy
	case a.state == fsm.AgentNotReady:
		return classPaused
	}
	return classIdle
}

// class is how a counts in q: an idle member shown busy counts paused.
func (q *queue) class(a *agent, c class) class {
	if c == classIdle && len(q.shown) > 0 && q.shown[a] {
		return classPaused
	}
	return c
}

// offers reports whether q may offer a call to a now.
func (q *queue) offers(a *agent) bool {
	return a.cls == classIdle && (len(q.shown) == 0 || !q.shown[a])
}

func (e *Engine) createQueue(spec *records.QueueSpec) error {
	if spec == nil || spec.ID == 0 {
		return apierr.Invalid("queue.id", "must be set")
	}
	if _, dup := e.queues[spec.ID]; dup {
		return apierr.Invalid("queue.id", "queue %d already exists", spec.ID)
	}
	s := *spec
	if s.Strategy == 0 {
		s.Strategy = records.StrategyLongestIdle
	}
	if s.Strategy > records.StrategyPriority {
		return apierr.Invalid("queue.strategy", "must be 1–8, got %d", s.Strategy)
	}
	e.queues[s.ID] = &queue{spec: s}
	return nil
}

func (e *Engine) createAgent(spec *records.AgentSpec) error {
	if spec == nil || spec.ID == 0 {
		return apierr.Invalid("agent.id", "must be set")
	}
	if _, dup := e.agents[spec.ID]; dup {
		return apierr.Invalid("agent.id", "agent %d already exists", spec.ID)
	}
	e.agents[spec.ID] = &agent{spec: *spec}
	return nil
}

func (e *Engine) agent(id records.AgentID) (*agent, error) {
	a, ok := e.agents[id]
	if !ok {
		return nil, apierr.New(apierr.NotFoundAgentID, "agent %d does not exist", id)
	}
	return a, nil
}

// setAgent applies mutate to a and moves a between its queues' counts.
func (e *Engine) setAgent(a *agent, mutate func()) {
	old, oldState := a.cls, a.state
	for i := range a.queues {
		e.uncount(a, &a.queues[i], old)
	}
	mutate()
	a.cls = a.classify()
	if a.cls == classBusy && a.call == nil {
		a.phase = pacing.PhaseWrap
	}
	for i := range a.queues {
		e.count(a, &a.queues[i], a.cls)
	}
	if a.cls != old || a.state != oldState {
		a.changed = e.now
	}
	if a.cls != old {
		for _, m := range a.queues {
			e.markQueue(m.q)
		}
	}
}

func (e *Engine) count(a *agent, m *membership, c class) {
	q := m.q
	switch q.class(a, c) {
	case classOut:
		return
	case classIdle:
		q.idle++
	case classPaused:
		q.paused++
	case classBusy:
		m.busyIdx = len(q.busy)
		q.busy = append(q.busy, pacing.Agent{Phase: a.phase, Since: a.since, Call: a.callAt})
		q.busyA = append(q.busyA, a)
	}
	q.loggedIn++
}

func (e *Engine) uncount(a *agent, m *membership, c class) {
	q := m.q
	switch q.class(a, c) {
	case classOut:
		return
	case classIdle:
		q.idle--
	case classPaused:
		q.paused--
	case classBusy:
		i, last := m.busyIdx, len(q.busy)-1
		if i != last {
			q.busy[i] = q.busy[last]
			moved := q.busyA[last]
			q.busyA[i] = moved
			for j := range moved.queues {
				if moved.queues[j].q == q {
					moved.queues[j].busyIdx = i
				}
			}
		}
		q.busy = q.busy[:last]
		q.busyA[last] = nil
		q.busyA = q.busyA[:last]
	}
	q.loggedIn--
}

// connectWaiting offers waiting calls of q to its idle agents.
func (e *Engine) connectWaiting(q *queue) {
	for len(q.waitq) > 0 {
		a := e.pickAgent(q)
		if a == nil {
			return
		}
		e.offer(q.waitq[0], a)
	}
}

// pickAgent chooses an idle agent of q by the queue's ring strategy.
func (e *Engine) pickAgent(q *queue) *agent {
	if q.idle == 0 {
		return nil
	}
	var best *agent
	n := len(q.members)
	switch q.spec.Strategy {
	case records.StrategyRoundRobin:
		for i := 0; i < n; i++ {
			a := q.members[(q.rr+i)%n]
			if q.offers(a) {
				q.rr = (q.rr + i + 1) % n
				return a
			}
		}
		return nil
	case records.StrategyRandom:
		k := e.rng.IntN(q.idle)
		for _, a := range q.members {
			if q.offers(a) {
				if k == 0 {
					return a
				}
				k--
			}
		}
		return nil
	}
	for _, a := range q.members {
		if !q.offers(a) {
			continue
		}
		if best == nil {
			best = a
			if q.spec.Strategy == records.StrategySequential || q.spec.Strategy == records.StrategyRingAll {
				return a
			}
			continue
		}
		var better bool
		switch q.spec.Strategy {
		case records.StrategyFewestCalls:
			better = a.talk < best.talk
		case records.StrategyLeastAnswered:
			better = a.answered < best.answered
		case records.StrategyPriority:
			better = a.spec.Priority < best.spec.Priority
		default: // StrategyLongestIdle
			better = a.since.Before(best.since)
		}
		if better {
			best = a
		}
	}
	return best
}

// agentQueue returns the agent and the queue ev names, and the index of
// the queue among the agent's memberships (-1: not signed in to it).
func (e *Engine) agentQueue(ev *Event) (*agent, *queue, int, error) {
	a, err := e.agent(ev.Agent)
	if err != nil {
		return nil, nil, 0, err
	}
	q, ok := e.queues[ev.Queue]
	if !ok {
		return nil, nil, 0, apierr.Invalid("queue", "queue %d does not exist", ev.Queue)
	}
	for i, m := range a.queues {
		if m.q == q {
			return a, q, i, nil
		}
	}
	return a, q, -1, nil
}

func (e *Engine) signInOut(ev *Event) error {
	a, q, idx, err := e.agentQueue(ev)
	if err != nil {
		return err
	}
	if ev.Kind == EvSignIn {
		if idx >= 0 {
			return nil // already a member: idempotent
		}
		a.queues = append(a.queues, membership{q: q})
		q.members = append(q.members, a)
		e.count(a, &a.queues[len(a.queues)-1], a.cls)
	} else {
		if idx < 0 {
			return nil
		}
		e.uncount(a, &a.queues[idx], a.cls)
		delete(q.shown, a) // shown busy lasts while signed in
		a.queues = append(a.queues[:idx], a.queues[idx+1:]...)
		for i, m := range q.members {
			if m == a {
				q.members = append(q.members[:i], q.members[i+1:]...)
				break
			}
		}
	}
	e.markQueue(q)
	return nil
}

// availability shows a member of a queue busy or idle in it
// (EvAgentAvailability). Shown busy, it is offered no call of the queue
// and counts paused in it while it would be idle; the flag lasts while it
// is signed in.
func (e *Engine) availability(ev *Event) error {
	a, q, idx, err := e.agentQueue(ev)
	if err != nil {
		return err
	}
	if idx < 0 {
		return apierr.New(apierr.InvalidAgentState, "agent %d is not signed in to queue %d", a.spec.ID, q.spec.ID)
	}
	if q.shown[a] == ev.ShowBusy {
		return nil
	}
	e.uncount(a, &a.queues[idx], a.cls)
	if ev.ShowBusy {
		if q.shown == nil {
			q.shown = make(map[*agent]bool)
		}
		q.shown[a] = true
	} else {
		delete(q.shown, a)
	}
	e.count(a, &a.queues[idx], a.cls)
	a.changed = e.now
	e.markQueue(q)
	return nil
}

// agentRequest handles login, ready, not ready and logout. While the agent is
// on a call, not ready and logout are deferred to the end of the call.
func (e *Engine) agentRequest(ev *Event) error {
	a, err := e.agent(ev.Agent)
	if err != nil {
		return err
	}
	switch ev.Kind {
	case EvAgentLogin:
		if ev.Reason != 0 && !fsm.ValidReason(ev.Reason) {
			return apierr.Invalid("reason", "reason code %d is not 2, 4, 11 or 12–98", ev.Reason)
		}
		how := fsm.AgentLogin
		if ev.Reason != 0 {
			how = fsm.AgentLoginNotReady
		}
		next, err := fsm.AgentNext(a.state, how)
		if err != nil {
			return err
		}
		e.setAgent(a, func() { a.state, a.reason, a.since = next, ev.Reason, e.now })
		if e.cfg.CTIEvents {
			e.emit(records.CTIEvent{Name: agentCTI[how], Agent: a.spec.ID, ThisDN: a.spec.Phone, Reason: ev.Reason})
		}
	case EvAgentReady:
		if a.call != nil {
			deferTo(a, fsm.DeferAskReady)
			return nil
		}
		if a.state == fsm.AgentNotReady && a.reason == fsm.ReasonAfterCall {
			e.leaveACW(a, fsm.AgentSetReady)
			return nil
		}
		next, err := fsm.AgentNext(a.state, fsm.AgentSetReady)
		if err != nil {
			return err
		}
		e.setAgent(a, func() { a.state, a.reason, a.since = next, 0, e.now })
		if e.cfg.CTIEvents {
			e.emit(records.CTIEvent{Name: agentCTI[fsm.AgentSetReady], Agent: a.spec.ID, ThisDN: a.spec.Phone})
		}
	case EvAgentNotReady:
		if !fsm.ValidReason(ev.Reason) || ev.Reason == 0 {
			return apierr.Invalid("reason", "reason code %d is not 2, 4, 11 or 12–98", ev.Reason)
		}
		next, err := fsm.AgentNext(a.state, fsm.AgentSetNotReady)
		if err != nil {
			return err
		}
		if a.call != nil {
			deferTo(a, fsm.DeferAskNotReady)
			a.deferReason = ev.Reason
			return nil
		}
		e.setAgent(a, func() { a.state, a.reason, a.since = next, ev.Reason, e.now })
		if e.cfg.CTIEvents {
			e.emit(records.CTIEvent{Name: agentCTI[fsm.AgentSetNotReady], Agent: a.spec.ID, ThisDN: a.spec.Phone, Reason: ev.Reason})
		}
	case EvAgentLogout:
		if _, err := fsm.AgentNext(a.state, fsm.AgentDoLogout); err != nil {
			return err
		}
		if a.call != nil {
			deferTo(a, fsm.DeferAskLogout)
			return nil
		}
		e.logout(a)
	}
	return nil
}

func (e *Engine) logout(a *agent) {
	state := agentTo(a, fsm.AgentDoLogout)
	e.setAgent(a, func() { a.state, a.reason, a.since = state, 0, e.now })
	deferTo(a, fsm.DeferSettle)
	if e.cfg.CTIEvents {
		e.emit(records.CTIEvent{Name: agentCTI[fsm.AgentDoLogout], Agent: a.spec.ID, ThisDN: a.spec.Phone})
	}
}

// afterCall moves an agent whose call just ended into after-call work, or
// straight to what it asked for while on the call.
func (e *Engine) afterCall(a *agent, talked bool) {
	c := a.call
	a.lastEnd = e.now
	if talked {
		a.talk += e.now.Sub(c.rec.AgentAnswer)
	}
	acw := c.task.spec.ACWTimeout
	if a.deferred != fsm.DeferNone || acw <= 0 {
		e.setAgent(a, func() { a.call = nil })
		e.afterWork(a, fsm.AgentSetReady, false)
		return
	}
	a.acwGen++
	state := agentTo(a, fsm.AgentSetNotReady)
	e.setAgent(a, func() {
		a.call = nil
		a.state, a.reason, a.since = state, fsm.ReasonAfterCall, e.now
		a.phase = pacing.PhaseWrap
	})
	e.rd.Commands = append(e.rd.Commands, Command{
		Kind: CmdSetTimer, At: e.now.Add(acw), Agent: a.spec.ID,
		Timer: Timer{Kind: TimerACW, ID: uint64(a.spec.ID), Gen: a.acwGen},
	})
	if e.cfg.CTIEvents {
		e.emit(records.CTIEvent{Name: agentCTI[fsm.AgentSetNotReady], Agent: a.spec.ID, ThisDN: a.spec.Phone, Reason: fsm.ReasonAfterCall})
	}
}

// leaveACW ends after-call work (by the agent's Ready or by expiry).
func (e *Engine) leaveACW(a *agent, how fsm.AgentEvent) {
	if _, err := fsm.AgentNext(a.state, how); err != nil {
		return
	}
	a.acwGen++
	wrap := e.now.Sub(a.since)
	a.wrap += wrap
	for _, m := range a.queues {
		for _, t := range m.q.tasks {
			t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsWrapEnd, Duration: wrap})
		}
	}
	e.afterWork(a, how, true)
}

// afterWork settles an agent with no call: its deferred logout or not-ready
// request, or Ready (by how, when it is not Ready already). fromACW says
// whether after-call work just ended.
func (e *Engine) afterWork(a *agent, how fsm.AgentEvent, fromACW bool) {
	switch a.deferred {
	case fsm.DeferLogout:
		e.logout(a)
	case fsm.DeferNotReady:
		r := a.deferReason
		state := agentTo(a, fsm.AgentSetNotReady)
		e.setAgent(a, func() { a.state, a.reason, a.since = state, r, e.now })
		deferTo(a, fsm.DeferSettle)
		if e.cfg.CTIEvents {
			e.emit(records.CTIEvent{Name: agentCTI[fsm.AgentSetNotReady], Agent: a.spec.ID, ThisDN: a.spec.Phone, Reason: r})
		}
	default:
		state := a.state
		if state != fsm.AgentReady {
			state = agentTo(a, how)
		}
		e.setAgent(a, func() { a.state, a.reason, a.since = state, 0, e.now })
		if e.cfg.CTIEvents {
			reason := 0
			if fromACW {
				reason = fsm.ReasonAfterCall
			}
			e.emit(records.CTIEvent{Name: agentCTI[fsm.AgentSetReady], Agent: a.spec.ID, ThisDN: a.spec.Phone, Reason: reason})
		}
		if a.cls == classIdle {
			for _, m := range a.queues {
				for _, t := range m.q.tasks {
					t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsAgentFree})
				}
			}
		}
	}
}

// AgentStatus is an agent's state and figures as the API shows them.
type AgentStatus struct {
	State    fsm.AgentState
	Reason   int
	OnCall   bool
	Call     records.CallID
	Answered int // calls offered to it (the least-answered strategy's count)

	Taken, Missed          int64         // offers it answered, offers it did not
	LastAnswer, LastAssign time.Time     // when it last answered, was last offered a call
	Changed                time.Time     // when its state last changed
	LastCallEnd            time.Time     // when its last call ended
	Wrap                   time.Duration // after-call work in all
}

// AgentStatus returns an agent's state.
func (e *Engine) AgentStatus(id records.AgentID) (AgentStatus, error) {
	a, err := e.agent(id)
	if err != nil {
		return AgentStatus{}, err
	}
	s := AgentStatus{State: a.state, Reason: a.reason, OnCall: a.call != nil, Answered: a.answered,
		Taken: a.taken, Missed: a.missed, LastAnswer: a.lastAnswer, LastAssign: a.lastAssign, Changed: a.changed,
		LastCallEnd: a.lastEnd, Wrap: a.wrap}
	if a.call != nil {
		s.Call = a.call.id
	}
	return s, nil
}

// Membership reports whether agent is signed in to queue, and whether it is
// shown busy there.
func (e *Engine) Membership(agent records.AgentID, queue records.QueueID) (signedIn, shownBusy bool) {
	a, ok := e.agents[agent]
	if !ok {
		return false, false
	}
	for _, m := range a.queues {
		if m.q.spec.ID == queue {
			return true, m.q.shown[a]
		}
	}
	return false, false
}

// QueueStats are a queue's live counts (seed queuesummary).
type QueueStats struct {
	LoggedIn, Idle, Paused, Busy, Waiting int
	// LongestWait is how long the customer waiting longest for an agent
	// has waited (zero when none waits).
	LongestWait time.Duration
}

// QueueStats returns a queue's live counts.
func (e *Engine) QueueStats(id records.QueueID) (QueueStats, error) {
	q, ok := e.queues[id]
	if !ok {
		return QueueStats{}, apierr.Invalid("queue", "queue %d does not exist", id)
	}
	s := QueueStats{LoggedIn: q.loggedIn, Idle: q.idle, Paused: q.paused, Busy: len(q.busy), Waiting: len(q.waitq)}
	if len(q.waitq) > 0 {
		s.LongestWait = e.now.Sub(q.waitq[0].answerAt)
	}
	return s, nil
}
