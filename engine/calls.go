package engine

import (
	"slices"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/fsm"
	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
)

type call struct {
	id       records.CallID
	task     *task
	number   records.NumberID
	phone    string
	attempts int
	alts     bool // the number has an alternative phone
	stage    fsm.CallState
	cust     fsm.PartyState
	agentLeg fsm.PartyState
	agent    *agent

	dialAt, answerAt time.Time
	flightIdx        int // index in task.flight while ringing or waiting
	waitGen          uint32
	ringGen          uint32 // the offer its agent-ring timer is for
	rec              records.CallRecord
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

// backendEvent dispatches an event of the telephony backend about a call to
// its handler. Every handler checks before it changes anything; one that
// changes what pacing sees returns marked=true and the call's queue is marked
// for pacing.
func (e *Engine) backendEvent(ev *Event) error {
	c, ok := e.calls[ev.Call]
	if !ok {
		return apierr.New(apierr.NotFoundCallID, "call %d is not active", ev.Call)
	}
	t := c.task
	var err error
	switch ev.Kind {
	case EvProgress:
		err = e.onProgress(c)
	case EvAnswered:
		err = e.onAnswered(c, ev.Outcome)
	case EvFailed:
		if c.stage == fsm.CallWaiting || c.stage == fsm.CallOffered || c.stage == fsm.CallTalk {
			// A failure after the answer: the backend lost the call.
			e.hangup(c, &Event{Side: SideSystem, Cause: ev.Cause})
			break
		}
		err = e.onFailed(c, ev.Outcome, ev.Cause, ev.EarlyCause)
	case EvAgentAnswered:
		err = e.onAgentAnswered(c)
	case EvAgentFailed:
		err = e.onAgentFailed(c)
	case EvHangup:
		e.hangup(c, ev)
	case EvHold, EvRetrieve:
		// Nothing changes for pacing.
		if err := e.onHold(c, ev.Kind == EvRetrieve); err != nil {
			return callRefused(c, err)
		}
		return nil
	}
	if err != nil {
		return callRefused(c, err)
	}
	e.markQueue(t.queue)
	return nil
}

// onProgress: the customer's phone rings.
func (e *Engine) onProgress(c *call) error {
	next, err := fsm.PartyNext(c.cust, fsm.PartyRing)
	if err != nil {
		return err
	}
	c.cust = next
	c.rec.Ring = e.now
	if e.cfg.CTIEvents {
		e.emit(records.CTIEvent{Name: partyCTI[fsm.PartyRing], Task: c.task.spec.ID, Call: c.id, Role: records.RoleCustomer, ThisDN: c.phone})
	}
	return nil
}

// onAnswered: a live answer goes to an agent or waits; a machine gets the
// task's message, or none, and the call ends.
func (e *Engine) onAnswered(c *call, out records.Outcome) error {
	t := c.task
	if _, _, err := fsm.CallNext(c.stage, fsm.CallAnswer); err != nil {
		return err
	}
	cust, err := fsm.PartyNext(c.cust, fsm.PartyAnswer)
	if err != nil {
		return err
	}
	e.applyCall(c, fsm.CallAnswer)
	c.cust = cust
	c.rec.Answer = e.now
	c.answerAt = e.now
	if e.cfg.CTIEvents {
		e.emit(records.CTIEvent{Name: partyCTI[fsm.PartyAnswer], Task: t.spec.ID, Call: c.id, Role: records.RoleCustomer, ThisDN: c.phone})
	}
	t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsOutcome, Outcome: out, Duration: e.now.Sub(c.dialAt)})
	if out != records.OutcomeLive {
		c.rec.Outcome = records.OutcomeMachine
		c.rec.Machine = true
		c.rec.EarlyCause = 200
		msg := ""
		if t.spec.Machine == records.MachineMessage {
			msg = t.spec.MachineMsg
		}
		e.rd.Commands = append(e.rd.Commands, Command{Kind: CmdPlayHangup, At: e.now, Task: t.spec.ID, Call: c.id, Message: msg})
		e.closeCall(c, fsm.CallMachineAnswer, records.OutcomeMachine, records.ResultNotConnected, records.EndNone)
		return nil
	}
	c.rec.Outcome = records.OutcomeLive
	c.rec.EarlyCause = 200
	t.live++
	t.abandons.add(e.now, 1, 0)
	e.connectOrWait(c)
	return nil
}

// onFailed: the customer could not be reached; the call ends. early is the
// backend's early-detect cause, if it gave one.
func (e *Engine) onFailed(c *call, out records.Outcome, cause, early int) error {
	if _, _, err := fsm.CallNext(c.stage, fsm.CallFail); err != nil {
		return err
	}
	if out == records.OutcomeNone || out == records.OutcomeLive || out == records.OutcomeMachine {
		out = records.OutcomeInvalid
	}
	c.rec.Outcome = out
	c.rec.HangupCause = cause
	switch early {
	case 103, 104, 105, 109, 115, 119:
		c.rec.EarlyCause = early
	default:
		c.rec.EarlyCause = earlyCause(out)
	}
	c.task.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsOutcome, Outcome: out, Duration: e.now.Sub(c.dialAt)})
	e.closeCall(c, fsm.CallFail, out, records.ResultNotConnected, records.EndNone)
	return nil
}

// onAgentAnswered: the agent picked up; customer and agent talk.
func (e *Engine) onAgentAnswered(c *call) error {
	if _, _, err := fsm.CallNext(c.stage, fsm.CallAgentAnswer); err != nil {
		return err
	}
	a := c.agent
	leg, err := fsm.PartyNext(c.agentLeg, fsm.PartyAnswer)
	if err != nil {
		return err
	}
	e.applyCall(c, fsm.CallAgentAnswer)
	c.agentLeg = leg
	c.rec.AgentAnswer = e.now
	a.taken++
	a.lastAnswer = e.now
	e.setAgent(a, func() { a.phase = pacing.PhaseTalk; a.since = e.now; a.callAt = e.now })
	if e.cfg.CTIEvents {
		e.emit(records.CTIEvent{Name: partyCTI[fsm.PartyAnswer], Task: c.task.spec.ID, Call: c.id, Agent: a.spec.ID, Role: records.RoleAgent, ThisDN: a.spec.Phone, OtherDN: c.phone})
	}
	return nil
}

// onAgentFailed: the agent's phone did not pick up. The agent is set
// NotReady, so that the call is not offered to an absent agent again, and
// the call waits again for what is left of its deadline.
func (e *Engine) onAgentFailed(c *call) error {
	t := c.task
	if _, _, err := fsm.CallNext(c.stage, fsm.CallAgentFail); err != nil {
		return err
	}
	a := c.agent
	a.missed++
	e.releaseAgentLeg(c)
	state := agentTo(a, fsm.AgentSetNotReady)
	e.setAgent(a, func() { a.call = nil; a.state = state; a.reason = fsm.ReasonOther })
	if e.cfg.CTIEvents {
		e.emit(records.CTIEvent{Name: agentCTI[fsm.AgentSetNotReady], Agent: a.spec.ID, ThisDN: a.spec.Phone, Reason: fsm.ReasonOther})
	}
	c.agent = nil
	e.applyCall(c, fsm.CallAgentFail) // answered again: back in flight
	if !e.now.Before(c.answerAt.Add(t.spec.ConnectDeadline)) {
		e.abandon(c)
	} else {
		e.applyCall(c, fsm.CallWait)
	}
	return nil
}

// onHold puts the customer's leg on hold or back (retrieve). The agent stays
// on the call, busy, and the talk goes on for the pacer's estimates.
func (e *Engine) onHold(c *call, retrieve bool) error {
	if _, _, err := fsm.CallNext(c.stage, fsm.CallHold); err != nil {
		return err
	}
	what := fsm.PartyHold
	if retrieve {
		what = fsm.PartyRetrieve
	}
	next, err := fsm.PartyNext(c.cust, what)
	if err != nil {
		return err
	}
	e.applyCall(c, fsm.CallHold)
	c.cust = next
	if e.cfg.CTIEvents {
		e.emit(records.CTIEvent{Name: partyCTI[what], Task: c.task.spec.ID, Call: c.id, Agent: c.agent.spec.ID, Role: records.RoleCustomer, ThisDN: c.phone})
	}
	return nil
}

func earlyCause(o records.Outcome) int {
	switch o {
	case records.OutcomeBusy:
		return 109
	case records.OutcomeNoAnswer:
		return 115
	case records.OutcomeInvalid:
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
		e.abandon(c)
		return
	}
	e.applyCall(c, fsm.CallWait)
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
	e.applyCall(c, fsm.CallOffer)
	c.agent = a
	c.agentLeg = partyTo(c.agentLeg, fsm.PartyRing)
	c.rec.Agent = a.spec.ID
	c.rec.AgentStart = e.now
	c.rec.AgentRing = e.now
	e.setAgent(a, func() { a.call = c; a.phase = pacing.PhaseReserved; a.since = e.now; a.callAt = time.Time{} })
	a.answered++
	a.lastAssign = e.now
	c.ringGen++
	e.rd.Commands = append(e.rd.Commands, Command{
		Kind: CmdConnect, At: e.now, Task: t.spec.ID, Call: c.id, Agent: a.spec.ID, Phone: a.spec.Phone,
	}, Command{
		Kind: CmdSetTimer, At: e.now.Add(t.spec.AgentRingTimeout), Task: t.spec.ID, Call: c.id,
		Timer: Timer{Kind: TimerAgentRing, ID: uint64(c.id), Gen: c.ringGen},
	})
	if e.cfg.CTIEvents {
		e.emit(records.CTIEvent{Name: partyCTI[fsm.PartyRing], Task: t.spec.ID, Call: c.id, Agent: a.spec.ID, Role: records.RoleAgent, ThisDN: a.spec.Phone, OtherDN: c.phone})
	}
	t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsConnect, Duration: wait})
}

// abandon ends a live answer that found no agent in time: the engine plays
// the safe-harbor message and hangs up.
func (e *Engine) abandon(c *call) {
	t := c.task
	e.countAbandon(c)
	e.rd.Commands = append(e.rd.Commands, Command{Kind: CmdPlayHangup, At: e.now, Task: t.spec.ID, Call: c.id, Message: t.spec.SafeHarbor})
	e.closeCall(c, fsm.CallAbandon, records.OutcomeLive, records.ResultCustomerOnly, records.EndNone)
}

// countAbandon counts the live answer c, which reached no agent, as an
// abandon in the task's figures and for its pacer.
func (e *Engine) countAbandon(c *call) {
	t := c.task
	t.abandoned++
	t.abandons.add(e.now, 0, 1)
	t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsAbandon, Duration: e.now.Sub(c.answerAt)})
}

// hangup ends the call one of its legs left (EvHangup), recording the
// backend's cause (seed-003) and who hung up. Seed 004's endresult knows only
// the parties, 11 the customer and 12 the agent: a hang-up by the system (a
// backend that ended or lost the call, SideSystem) is neither, and is written
// 0, as are the calls the engine ends itself (an abandon with the safe-harbor
// message, a machine), rather than blamed on the customer.
func (e *Engine) hangup(c *call, ev *Event) {
	t := c.task
	c.rec.HangupCause = ev.Cause
	end := records.EndCustomer
	switch ev.Side {
	case SideAgent:
		end = records.EndAgent
	case SideSystem:
		end = records.EndNone
	}
	switch c.stage {
	case fsm.CallRinging:
		// The far end gave up before answering: a failure by another name.
		c.rec.Outcome = records.OutcomeNoAnswer
		c.rec.EarlyCause = earlyCause(records.OutcomeNoAnswer)
		t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsOutcome, Outcome: records.OutcomeNoAnswer, Duration: e.now.Sub(c.dialAt)})
		e.closeCall(c, fsm.CallFail, records.OutcomeNoAnswer, records.ResultNotConnected, records.EndNone)
	case fsm.CallWaiting:
		// The customer hung up while waiting, or the system ended the call:
		// abandoned, with no message (nobody is left to hear it).
		e.countAbandon(c)
		e.closeCall(c, fsm.CallAbandon, records.OutcomeLive, records.ResultCustomerOnly, end)
	case fsm.CallOffered, fsm.CallTalk:
		talked := c.stage == fsm.CallTalk
		// The customer hung up, or the system ended the call, while the
		// agent's phone rang: nobody spoke to the customer, so only the
		// customer was connected (seed-004 callresult 1) and the call is
		// abandoned, as one that ends while waiting. The backend drops the
		// agent's leg.
		abandoned := !talked && ev.Side != SideAgent
		if talked {
			t.pacer.Observe(pacing.Observation{At: e.now, Kind: pacing.ObsTalkEnd, Duration: e.now.Sub(c.rec.AgentAnswer)})
		}
		c.rec.AgentEnd = e.now
		e.releaseAgentLeg(c)
		e.afterCall(c.agent, talked)
		res := records.ResultBoth
		if abandoned {
			e.countAbandon(c)
			res = records.ResultCustomerOnly
		}
		e.closeCall(c, fsm.CallHangup, records.OutcomeLive, res, end)
	}
}

// hangupRequest ends a call at the request of its agent or a supervisor
// (EvHangupRequest). The backend hangs up every leg (CmdHangup) and the
// call is closed at once, ended by our side: a call still ringing as not
// answered, one offered or talking with EndAgent. A live answer waiting for
// an agent is abandoned instead, with the safe-harbor message the law asks
// for when nobody spoke to the customer. The backend's own report of the
// hang-up then finds no call and is refused, changing nothing.
func (e *Engine) hangupRequest(ev *Event) error {
	c, ok := e.calls[ev.Call]
	if !ok || (ev.Task != 0 && c.task.spec.ID != ev.Task) {
		return apierr.New(apierr.NotFoundCallID, "call %d is not active", ev.Call)
	}
	t := c.task
	if c.stage == fsm.CallWaiting {
		e.abandon(c)
		e.markQueue(t.queue)
		return nil
	}
	e.rd.Commands = append(e.rd.Commands, Command{Kind: CmdHangup, At: e.now, Task: t.spec.ID, Call: c.id, Number: c.number})
	e.hangup(c, &Event{Side: SideAgent})
	e.markQueue(t.queue)
	return nil
}

func (e *Engine) releaseAgentLeg(c *call) {
	if c.agent == nil || c.agentLeg == fsm.PartyIdle {
		return
	}
	c.agentLeg = partyTo(c.agentLeg, fsm.PartyRelease)
	if e.cfg.CTIEvents {
		a := c.agent
		e.emit(records.CTIEvent{Name: partyCTI[fsm.PartyRelease], Task: c.task.spec.ID, Call: c.id, Agent: a.spec.ID, Role: records.RoleAgent, ThisDN: a.spec.Phone, OtherDN: c.phone})
	}
}

// closeCall ends the call by how, writes its record and number outcome, and
// forgets it.
func (e *Engine) closeCall(c *call, how fsm.CallEvent, out records.Outcome, res records.CallResult, end records.EndResult) {
	t := c.task
	e.applyCall(c, how)
	c.cust = partyTo(c.cust, fsm.PartyRelease)
	c.rec.End = e.now
	c.rec.Result = res
	c.rec.EndResult = end
	if res == records.ResultBoth {
		t.completed++
		t.hold += c.rec.AgentStart.Sub(c.rec.Answer)
		if !c.rec.AgentAnswer.IsZero() {
			t.talk += c.rec.AgentEnd.Sub(c.rec.AgentAnswer)
		}
	}
	if c.rec.Outcome == records.OutcomeNone {
		c.rec.Outcome = out
	}
	e.rd.Records = append(e.rd.Records, c.rec)
	e.rd.Numbers = append(e.rd.Numbers, e.numberOutcome(c, out, res))
	if e.cfg.CTIEvents {
		e.emit(records.CTIEvent{Name: partyCTI[fsm.PartyRelease], Task: t.spec.ID, Call: c.id, Role: records.RoleCustomer, ThisDN: c.phone})
		e.emit(records.CTIEvent{Name: callCTI[how], Task: t.spec.ID, Call: c.id, ThisDN: c.rec.CallerID, OtherDN: c.phone})
	}
	delete(e.calls, c.id)
	c.task, c.agent, c.phone = nil, nil, ""
	e.freeCall = append(e.freeCall, c)
	e.markQueue(t.queue)
}

// numberOutcome applies the task's retry policy to the attempt that ended.
func (e *Engine) numberOutcome(c *call, out records.Outcome, res records.CallResult) records.NumberUpdate {
	t := c.task
	u := records.NumberUpdate{At: e.now, Task: t.spec.ID, Number: c.number, Call: c.id, Outcome: out, Attempts: c.attempts, State: records.NumberDone}
	var rule records.RetryRule
	switch {
	case res == records.ResultBoth:
		return u
	case res == records.ResultCustomerOnly:
		rule = t.spec.Retry.Abandoned
		// Ofcom: an abandoned number is not called again within 72 h.
		rule.Delay = max(rule.Delay, 72*time.Hour)
	case out == records.OutcomeBusy:
		rule = t.spec.Retry.Busy
	case out == records.OutcomeNoAnswer:
		rule = t.spec.Retry.NoAnswer
	case out == records.OutcomeMachine:
		rule = t.spec.Retry.Machine
	default:
		rule = t.spec.Retry.Failed
	}
	switch {
	case c.attempts < rule.MaxAttempts:
		u.State = records.NumberPending
		u.NextAt = e.now.Add(rule.Delay)
	case c.alts && res != records.ResultCustomerOnly:
		// The policy gives up on this phone: the number is due again at
		// once, on its next alternative (not after an abandon, which
		// reached the customer).
		u.State = records.NumberPending
		u.NextAt = e.now
		u.NextPhone = true
	}
	return u
}
