package fsm

import (
	"strconv"

	looplab "github.com/looplab/fsm"
)

// The two machines as looplab definitions. These are the source of truth: the
// dense tables in table.go are compiled from them at package init, and the
// diagrams in docs/state-machines.md are drawn from them.

var partyEvents = looplab.Events{
	{Name: "dial", Src: []string{"IDLE"}, Dst: "Dialing"},
	{Name: "ring", Src: []string{"IDLE", "Dialing"}, Dst: "Ringing"},
	{Name: "answer", Src: []string{"Dialing", "Ringing"}, Dst: "Talk"},
	{Name: "hold", Src: []string{"Talk"}, Dst: "Held"},
	{Name: "retrieve", Src: []string{"Held"}, Dst: "Talk"},
	{Name: "release", Src: []string{"Dialing", "Ringing", "Talk", "Held"}, Dst: "IDLE"},
}

var agentEvents = looplab.Events{
	{Name: "login", Src: []string{"Logout"}, Dst: "Ready"},
	{Name: "login-not-ready", Src: []string{"Logout"}, Dst: "NotReady"},
	{Name: "ready", Src: []string{"NotReady"}, Dst: "Ready"},
	{Name: "not-ready", Src: []string{"Ready", "NotReady"}, Dst: "NotReady"},
	{Name: "acw-expire", Src: []string{"NotReady"}, Dst: "Ready"},
	{Name: "logout", Src: []string{"Ready", "NotReady"}, Dst: "Logout"},
}

// Names of states and events, indexed by their constants. The state names are
// the seed-002 spellings; the event names are the looplab event names.
var (
	partyStateNames = [numPartyStates]string{
		PartyIdle:    "IDLE",
		PartyDialing: "Dialing",
		PartyRinging: "Ringing",
		PartyTalk:    "Talk",
		PartyHeld:    "Held",
	}
	partyEventNames = [numPartyEvents]string{
		PartyDial:     "dial",
		PartyRing:     "ring",
		PartyAnswer:   "answer",
		PartyHold:     "hold",
		PartyRetrieve: "retrieve",
		PartyRelease:  "release",
	}
	partySeedEvents = [numPartyEvents]string{
		PartyDial:     "EventDialing",
		PartyRing:     "EventRinging",
		PartyAnswer:   "EventEstablished",
		PartyHold:     "EventHeld",
		PartyRetrieve: "EventRetrieved",
		PartyRelease:  "EventReleased",
	}
	agentStateNames = [numAgentStates]string{
		AgentLogout:   "Logout",
		AgentReady:    "Ready",
		AgentNotReady: "NotReady",
	}
	agentEventNames = [numAgentEvents]string{
		AgentLogin:         "login",
		AgentLoginNotReady: "login-not-ready",
		AgentSetReady:      "ready",
		AgentSetNotReady:   "not-ready",
		AgentACWExpire:     "acw-expire",
		AgentDoLogout:      "logout",
	}
	agentSeedEvents = [numAgentEvents]string{
		AgentLogin:         "EventAgentLogin",
		AgentLoginNotReady: "EventAgentLogin",
		AgentSetReady:      "EventAgentReady",
		AgentSetNotReady:   "EventAgentNotReady",
		AgentACWExpire:     "EventDelayAfterCallWork",
		AgentDoLogout:      "EventAgentLogout",
	}
)

// PartyMachine returns a new looplab machine for one party, in state IDLE. It
// is the definition the dense table is compiled from; the engine uses
// [PartyNext] instead.
func PartyMachine() *looplab.FSM {
	return looplab.NewFSM(PartyIdle.String(), partyEvents, nil)
}

// AgentMachine returns a new looplab machine for one agent, in state Logout.
// It is the definition the dense table is compiled from; the engine uses
// [AgentNext] instead.
func AgentMachine() *looplab.FSM {
	return looplab.NewFSM(AgentLogout.String(), agentEvents, nil)
}

// Diagrams returns the mermaid state diagrams of the party and the agent
// machine, as drawn by looplab from the definitions. The output is sorted and
// therefore the same on every call.
func Diagrams() (party, agent string) {
	return diagram(PartyMachine()), diagram(AgentMachine())
}

// DialerDiagrams returns the mermaid state diagrams of the call lifecycle and
// of an agent's deferred request, drawn like [Diagrams].
func DialerDiagrams() (call, deferred string) {
	return diagram(CallMachine()), diagram(DeferredMachine())
}

func diagram(m *looplab.FSM) string {
	s, err := looplab.VisualizeWithType(m, looplab.MERMAID)
	if err != nil {
		panic("fsm: mermaid diagram: " + err.Error())
	}
	return s
}

// String returns the seed-002 name of the state: IDLE, Dialing, Ringing, Talk
// or Held.
func (s PartyState) String() string {
	if s < numPartyStates {
		return partyStateNames[s]
	}
	return "PartyState(" + strconv.Itoa(int(s)) + ")"
}

// String returns the event name used in the looplab definition, e.g. "dial".
func (e PartyEvent) String() string {
	if e < numPartyEvents {
		return partyEventNames[e]
	}
	return "PartyEvent(" + strconv.Itoa(int(e)) + ")"
}

// SeedEvent returns the seed-002 messageID emitted when e causes a transition,
// e.g. "EventEstablished" for [PartyAnswer], or "" for an unknown event.
func (e PartyEvent) SeedEvent() string {
	if e < numPartyEvents {
		return partySeedEvents[e]
	}
	return ""
}

// String returns the seed-002 name of the state: Logout, Ready or NotReady.
func (s AgentState) String() string {
	if s < numAgentStates {
		return agentStateNames[s]
	}
	return "AgentState(" + strconv.Itoa(int(s)) + ")"
}

// String returns the event name used in the looplab definition, e.g. "ready".
func (e AgentEvent) String() string {
	if e < numAgentEvents {
		return agentEventNames[e]
	}
	return "AgentEvent(" + strconv.Itoa(int(e)) + ")"
}

// SeedEvent returns the seed-002 messageID emitted when e causes a transition,
// e.g. "EventAgentNotReady" for [AgentSetNotReady], or "" for an unknown event.
// Both logins give "EventAgentLogin". [AgentACWExpire] gives
// "EventDelayAfterCallWork"; the caller then reports the agent Ready with
// EventAgentReady and reasonCode 4.
func (e AgentEvent) SeedEvent() string {
	if e < numAgentEvents {
		return agentSeedEvents[e]
	}
	return ""
}
