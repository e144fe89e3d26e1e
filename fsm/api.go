// Package fsm defines the party and agent state machines of outpace (seed 002):
// party IDLE → Dialing → Ringing → Talk ⇄ Held → IDLE, and agent Logout → Ready |
// NotReady(reason), Ready ⇄ NotReady, any → Logout. The readable source of truth
// is a github.com/looplab/fsm definition; at package init it is compiled into a
// dense transition table, which is what the engine uses on its hot path.
package fsm

// PartyState is the state of one call leg (a customer or agent party).
type PartyState uint8

// Party states, in seed-002 order.
const (
	PartyIdle PartyState = iota
	PartyDialing
	PartyRinging
	PartyTalk
	PartyHeld
	numPartyStates
)

// PartyEvent is an input to the party machine.
type PartyEvent uint8

// Party events. Each successful transition emits the seed-002 event returned by
// PartyEventName.
const (
	PartyDial     PartyEvent = iota // IDLE → Dialing (EventDialing)
	PartyRing                       // IDLE|Dialing → Ringing (EventRinging)
	PartyAnswer                     // Dialing|Ringing → Talk (EventEstablished)
	PartyHold                       // Talk → Held (EventHeld)
	PartyRetrieve                   // Held → Talk (EventRetrieved)
	PartyRelease                    // Dialing|Ringing|Talk|Held → IDLE (EventReleased)
	numPartyEvents
)

// AgentState is the state of an agent.
type AgentState uint8

// Agent states, in seed-002 order.
const (
	AgentLogout AgentState = iota
	AgentReady
	AgentNotReady
	numAgentStates
)

// AgentEvent is an input to the agent machine.
type AgentEvent uint8

// Agent events.
const (
	AgentLogin       AgentEvent = iota // Logout → Ready or NotReady (EventAgentLogin)
	AgentSetReady                      // NotReady|Ready → Ready (EventAgentReady)
	AgentSetNotReady                   // Ready|NotReady → NotReady(reason) (EventAgentNotReady)
	AgentACWExpire                     // NotReady(ACW) → Ready (EventDelayAfterCallWork then EventAgentReady)
	AgentDoLogout                      // any logged-in → Logout (EventAgentLogout)
	numAgentEvents
)

// Agent not-ready reason codes of seed 002.
const (
	ReasonOther        = 0
	ReasonDND          = 2
	ReasonAfterCall    = 4
	ReasonRestBreak    = 11
	ReasonCustomFirst  = 12
	ReasonCustomLast   = 98
)
