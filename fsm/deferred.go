package fsm

import (
	"strconv"

	looplab "github.com/looplab/fsm"

	"github.com/outpace-dev/outpace/apierr"
)

// Deferred is what an agent on a call asked for, to be done when the call
// ends: nothing, going NotReady (the reason is the caller's to keep), or
// logging out, which outranks going NotReady.
type Deferred uint8

// Deferred requests.
const (
	DeferNone     Deferred = iota // after the call: after-call work, or Ready
	DeferNotReady                 // after the call: NotReady with the reason asked
	DeferLogout                   // after the call: Logout
	numDeferred
)

// DeferEvent is an input to the deferred-request machine.
type DeferEvent uint8

// Deferred-request events.
const (
	DeferAskNotReady DeferEvent = iota // the agent asks for NotReady during a call
	DeferAskLogout                     // the agent asks to log out during a call
	DeferAskReady                      // the agent asks for Ready during a call: nothing is deferred any more
	DeferSettle                        // the call ended and the request was carried out
	numDeferEvents
)

var deferEvents = looplab.Events{
	{Name: "ask-not-ready", Src: []string{"None", "NotReady"}, Dst: "NotReady"},
	{Name: "ask-not-ready", Src: []string{"Logout"}, Dst: "Logout"},
	{Name: "ask-logout", Src: []string{"None", "NotReady", "Logout"}, Dst: "Logout"},
	{Name: "ask-ready", Src: []string{"None", "NotReady", "Logout"}, Dst: "None"},
	{Name: "settle", Src: []string{"None", "NotReady", "Logout"}, Dst: "None"},
}

var (
	deferStateNames = [numDeferred]string{
		DeferNone:     "None",
		DeferNotReady: "NotReady",
		DeferLogout:   "Logout",
	}
	deferEventNames = [numDeferEvents]string{
		DeferAskNotReady: "ask-not-ready",
		DeferAskLogout:   "ask-logout",
		DeferAskReady:    "ask-ready",
		DeferSettle:      "settle",
	}
)

var deferTable [numDeferred][numDeferEvents]cell[Deferred]

func init() {
	d := compile("deferred", DeferredMachine, deferEvents, deferStateNames[:], deferEventNames[:])
	for s := range numDeferred {
		for e := range numDeferEvents {
			c := &deferTable[s][e]
			if dst := d[s][e]; dst >= 0 {
				c.to = Deferred(dst)
				continue
			}
			c.to = s
			c.err = refusal(apierr.InvalidAgentState, e, s)
		}
	}
}

// DeferredMachine returns a new looplab machine of an agent's deferred
// request, in state None. It is the definition the dense table is compiled
// from; the engine uses [DeferNext] instead.
func DeferredMachine() *looplab.FSM {
	return looplab.NewFSM(DeferNone.String(), deferEvents, nil)
}

// DeferNext returns the deferred request that d becomes on event e. Every
// event is accepted from every state; the error is there for a state or
// event outside the declared constants (301018 InvalidParams, wrapping
// [ErrInvalidTransition]).
func DeferNext(d Deferred, e DeferEvent) (Deferred, error) {
	if d < numDeferred && e < numDeferEvents {
		c := &deferTable[d][e]
		return c.to, c.err
	}
	return d, outOfRange("deferred", d, e)
}

// String returns the request's name, e.g. "Logout".
func (d Deferred) String() string {
	if d < numDeferred {
		return deferStateNames[d]
	}
	return "Deferred(" + strconv.Itoa(int(d)) + ")"
}

// String returns the event name used in the looplab definition.
func (e DeferEvent) String() string {
	if e < numDeferEvents {
		return deferEventNames[e]
	}
	return "DeferEvent(" + strconv.Itoa(int(e)) + ")"
}
