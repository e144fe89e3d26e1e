package engine

import (
	"errors"
	"fmt"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/pacing"

	"github.com/outpace-dev/outpace/fsm"
	"github.com/outpace-dev/outpace/records"
)

// The engine sets no state of a call, a leg or an agent by hand: it asks the
// machines of package fsm for the next state and applies it. An input the
// machine refuses is rejected with the machine's error, checked before
// anything changes; a transition the engine decides by itself (routing a
// live answer, ending a call) being refused is a broken invariant, and
// panics naming it.

// applyCall applies a call transition the engine decided, and its effects
// but the record (closeCall writes it): the table says what changes, this
// does it, in the order of the effect constants.
func (e *Engine) applyCall(c *call, ev fsm.CallEvent) fsm.CallEffect {
	next, fx, err := fsm.CallNext(c.stage, ev)
	if err != nil {
		panic(fmt.Sprintf("engine: call %d: %v", c.id, err))
	}
	t := c.task
	if fx&fsm.EffectUnwait != 0 {
		e.unwait(c)
	}
	if fx&fsm.EffectLeaveFlight != 0 {
		e.leaveFlight(c)
	}
	if fx&fsm.EffectEnterFlight != 0 {
		e.enterFlight(c, pacing.CallWaiting)
		t.waiting++
	}
	c.stage = next
	if fx&fsm.EffectMarkWaiting != 0 && t.flight[c.flightIdx].State != pacing.CallWaiting {
		t.flight[c.flightIdx] = pacing.Call{State: pacing.CallWaiting, DialedAt: c.dialAt, AnswerAt: c.answerAt}
		t.waiting++
	}
	if fx&fsm.EffectArmDeadline != 0 {
		e.waitFor(c, c.answerAt.Add(t.spec.ConnectDeadline))
	}
	return fx
}

// callRefused names the call in the error of a refused transition, so that
// whoever sent the input knows which call it was about.
func callRefused(c *call, err error) error {
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		return err
	}
	return &apierr.Error{Code: ae.Code, Msg: fmt.Sprintf("call %d: %s", c.id, ae.Msg), Err: ae.Err}
}

// partyTo returns the state a leg in state s enters on ev, which the engine
// decided.
func partyTo(s fsm.PartyState, ev fsm.PartyEvent) fsm.PartyState {
	next, err := fsm.PartyNext(s, ev)
	if err != nil {
		panic(fmt.Sprintf("engine: party: %v", err))
	}
	return next
}

// agentTo returns the state agent a enters on ev, which the engine decided.
func agentTo(a *agent, ev fsm.AgentEvent) fsm.AgentState {
	next, err := fsm.AgentNext(a.state, ev)
	if err != nil {
		panic(fmt.Sprintf("engine: agent %d: %v", a.spec.ID, err))
	}
	return next
}

// deferTo applies a change of a's deferred request.
func deferTo(a *agent, ev fsm.DeferEvent) {
	next, err := fsm.DeferNext(a.deferred, ev)
	if err != nil {
		panic(fmt.Sprintf("engine: agent %d: %v", a.spec.ID, err))
	}
	a.deferred = next
}

// The CTI events the transitions emit, named by the machines (SeedEvent).
var (
	partyCTI [8]records.CTIName // by fsm.PartyEvent
	agentCTI [8]records.CTIName // by fsm.AgentEvent
	callCTI  [16]records.CTIName
)

func init() {
	for e := range fsm.PartyEvent(len(partyCTI)) {
		partyCTI[e] = ctiNamed(e.SeedEvent())
	}
	for e := range fsm.AgentEvent(len(agentCTI)) {
		agentCTI[e] = ctiNamed(e.SeedEvent())
	}
	for e := range fsm.CallEvent(len(callCTI)) {
		callCTI[e] = ctiNamed(e.SeedEvent())
	}
}

// ctiNamed returns the CTI event of a seed-002 name; "" (no event) gives 0.
func ctiNamed(name string) records.CTIName {
	if name == "" {
		return 0
	}
	for n := records.CTIName(1); n < 255; n++ {
		if n.String() == name {
			return n
		}
	}
	panic("engine: no CTI event named " + name)
}
