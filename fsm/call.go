package fsm

import (
	"strconv"

	looplab "github.com/looplab/fsm"

	"github.com/outpace-dev/outpace/apierr"
)

// CallState is where a call stands in the dialer's lifecycle: the customer's
// leg has its own party machine, the agent's too; this machine says what
// the engine does with the call as a whole.
type CallState uint8

// Call states. A call is created Ringing, when it is dialled.
const (
	CallRinging  CallState = iota // originated, no outcome yet
	CallAnswered                  // answered, not yet routed (within one step only)
	CallWaiting                   // a live answer waiting for an agent
	CallOffered                   // an agent's phone rings for it
	CallTalk                      // customer and agent bridged
	CallEnded                     // its record is written; the call is gone
	numCallStates
)

// CallEvent is an input to the call machine.
type CallEvent uint8

// Call events. Every transition into CallEnded emits EventCallDeleted.
const (
	CallAnswer        CallEvent = iota // Ringing → Answered: the customer answered (live or machine)
	CallFail                           // Ringing → Ended: busy, no answer, invalid, or hung up before answering
	CallMachineAnswer                  // Answered → Ended: a machine answered; its message is played
	CallWait                           // Answered → Waiting: no agent is free
	CallOffer                          // Answered|Waiting → Offered: an idle agent's phone rings
	CallAgentAnswer                    // Offered → Talk: the agent picked up
	CallAgentFail                      // Offered → Answered: the agent did not; routed again
	CallAbandon                        // Answered|Waiting → Ended: no agent in time, or the customer left
	CallHold                           // Talk → Talk: the customer held or retrieved
	CallHangup                         // Offered|Talk → Ended: a leg hung up
	numCallEvents
)

var callEvents = looplab.Events{
	{Name: "answer", Src: []string{"Ringing"}, Dst: "Answered"},
	{Name: "fail", Src: []string{"Ringing"}, Dst: "Ended"},
	{Name: "machine", Src: []string{"Answered"}, Dst: "Ended"},
	{Name: "wait", Src: []string{"Answered"}, Dst: "Waiting"},
	{Name: "offer", Src: []string{"Answered", "Waiting"}, Dst: "Offered"},
	{Name: "agent-answer", Src: []string{"Offered"}, Dst: "Talk"},
	{Name: "agent-fail", Src: []string{"Offered"}, Dst: "Answered"},
	{Name: "abandon", Src: []string{"Answered", "Waiting"}, Dst: "Ended"},
	{Name: "hold", Src: []string{"Talk"}, Dst: "Talk"},
	{Name: "hangup", Src: []string{"Offered", "Talk"}, Dst: "Ended"},
}

var (
	callStateNames = [numCallStates]string{
		CallRinging:  "Ringing",
		CallAnswered: "Answered",
		CallWaiting:  "Waiting",
		CallOffered:  "Offered",
		CallTalk:     "Talk",
		CallEnded:    "Ended",
	}
	callEventNames = [numCallEvents]string{
		CallAnswer:        "answer",
		CallFail:          "fail",
		CallMachineAnswer: "machine",
		CallWait:          "wait",
		CallOffer:         "offer",
		CallAgentAnswer:   "agent-answer",
		CallAgentFail:     "agent-fail",
		CallAbandon:       "abandon",
		CallHold:          "hold",
		CallHangup:        "hangup",
	}
)

// CallEffect is the bookkeeping a call transition asks of the engine, as
// data: the table says what to do, the engine does it, in the order of the
// constants.
type CallEffect uint8

// Call effects.
const (
	// EffectUnwait: the call leaves its queue's list of live answers
	// waiting for an agent (its deadline timer goes stale).
	EffectUnwait CallEffect = 1 << iota
	// EffectLeaveFlight: the call no longer counts as in flight for pacing.
	EffectLeaveFlight
	// EffectEnterFlight: the call counts as in flight again, as an answer
	// waiting for an agent.
	EffectEnterFlight
	// EffectMarkWaiting: the call counts for pacing as an answer waiting
	// for an agent (if it did not already).
	EffectMarkWaiting
	// EffectArmDeadline: the call joins its queue's wait list, with a timer
	// at its connect deadline (its answer plus the task's deadline).
	EffectArmDeadline
	// EffectRecord: the call's record and its number's outcome are written,
	// and the call is forgotten.
	EffectRecord
)

var effectNames = [...]string{"unwait", "leave-flight", "enter-flight", "mark-waiting", "arm-deadline", "record"}

// String lists the effects by name, e.g. "unwait leave-flight".
func (fx CallEffect) String() string {
	var b []byte
	for i, n := range effectNames {
		if fx&(1<<i) != 0 {
			if len(b) > 0 {
				b = append(b, ' ')
			}
			b = append(b, n...)
		}
	}
	return string(b)
}

// callEffects derives the effects of a transition from its two states: they
// follow from what each state means for pacing and for the wait list.
func callEffects(from, to CallState) CallEffect {
	var fx CallEffect
	if from == CallWaiting && to != CallWaiting {
		fx |= EffectUnwait
	}
	switch {
	case from.InFlight() && !to.InFlight():
		fx |= EffectLeaveFlight
	case !from.InFlight() && to.InFlight():
		fx |= EffectEnterFlight
	}
	if to == CallWaiting && from != CallWaiting {
		fx |= EffectMarkWaiting | EffectArmDeadline
	}
	if to == CallEnded {
		fx |= EffectRecord
	}
	return fx
}

// callCell is one entry of the call table: the destination and its effects,
// or the state unchanged and the prebuilt error of a refusal.
type callCell struct {
	to  CallState
	fx  CallEffect
	err error
}

var callTable [numCallStates][numCallEvents]callCell

func init() {
	call := compile("call", CallMachine, callEvents, callStateNames[:], callEventNames[:])
	for s := range numCallStates {
		for e := range numCallEvents {
			c := &callTable[s][e]
			if dst := call[s][e]; dst >= 0 {
				c.to = CallState(dst)
				c.fx = callEffects(s, c.to)
				continue
			}
			c.to = s
			c.err = refusal(apierr.InvalidCallType, e, s)
		}
	}
}

// CallMachine returns a new looplab machine for one call, in state Ringing.
// It is the definition the dense table is compiled from; the engine uses
// [CallNext] instead.
func CallMachine() *looplab.FSM {
	return looplab.NewFSM(CallRinging.String(), callEvents, nil)
}

// CallNext returns the state a call in state s enters on event e, and the
// effects the engine must apply. A refused transition returns s, no effect
// and an error wrapping [ErrInvalidTransition] with code 301005
// InvalidCallType. It is a table lookup and does not allocate.
func CallNext(s CallState, e CallEvent) (CallState, CallEffect, error) {
	if s < numCallStates && e < numCallEvents {
		c := &callTable[s][e]
		return c.to, c.fx, c.err
	}
	return s, 0, callOutOfRange(s, e)
}

//go:noinline
func callOutOfRange(s CallState, e CallEvent) error {
	return outOfRange("call", s, e)
}

// InFlight reports whether a call in state s counts as in flight for pacing:
// ringing, or answered and not yet at an agent.
func (s CallState) InFlight() bool {
	return s == CallRinging || s == CallAnswered || s == CallWaiting
}

// String returns the state's name, e.g. "Waiting".
func (s CallState) String() string {
	if s < numCallStates {
		return callStateNames[s]
	}
	return "CallState(" + strconv.Itoa(int(s)) + ")"
}

// String returns the event name used in the looplab definition, e.g. "offer".
func (e CallEvent) String() string {
	if e < numCallEvents {
		return callEventNames[e]
	}
	return "CallEvent(" + strconv.Itoa(int(e)) + ")"
}

// SeedEvent returns the seed-002 messageID emitted when e causes a
// transition: "EventCallDeleted" for the events that end the call, "" for
// the others (their legs' party machines emit theirs).
func (e CallEvent) SeedEvent() string {
	switch e {
	case CallFail, CallMachineAnswer, CallAbandon, CallHangup:
		return "EventCallDeleted"
	}
	return ""
}
