// Package fsm defines the state machines of outpace: the party and agent
// machines of seed 002 — party IDLE → Dialing → Ringing → Talk ⇄ Held → IDLE,
// and agent Logout → Ready | NotReady(reason), Ready ⇄ NotReady, any → Logout
// — and two of the dialer's own: a call's lifecycle (Ringing → Answered →
// Waiting | Offered → Talk → Ended, see [CallState]) and the request an agent
// makes during a call, deferred to its end (see [Deferred]). The readable
// source of truth of each is a github.com/looplab/fsm definition; at package
// init it is compiled into a dense transition table, which is what the engine
// uses on its hot path: the engine sets no state that a table did not return.
//
// # Party machine
//
// A party is one call leg (customer or agent). Its transitions and the seed-002
// event each one emits:
//
//	IDLE    --dial-->     Dialing  EventDialing
//	IDLE    --ring-->     Ringing  EventRinging      (a leg offered to an agent phone)
//	Dialing --ring-->     Ringing  EventRinging
//	Dialing --answer-->   Talk     EventEstablished  (answer without a progress phase)
//	Ringing --answer-->   Talk     EventEstablished
//	Talk    --hold-->     Held     EventHeld
//	Held    --retrieve--> Talk     EventRetrieved
//	Dialing|Ringing|Talk|Held --release--> IDLE  EventReleased
//
// # Agent machine
//
//	Logout   --login-->           Ready     EventAgentLogin
//	Logout   --login-not-ready--> NotReady  EventAgentLogin (agentState 2, with a reason)
//	NotReady --ready-->           Ready     EventAgentReady
//	Ready    --not-ready-->       NotReady  EventAgentNotReady
//	NotReady --not-ready-->       NotReady  EventAgentNotReady (reason change)
//	NotReady --acw-expire-->      Ready     EventDelayAfterCallWork
//	Ready|NotReady --logout-->    Logout    EventAgentLogout
//
// The not-ready reason is not part of the state: the caller keeps it, checks it
// with [ValidReason], and sends [AgentACWExpire] only while the reason is
// [ReasonAfterCall]. The return to Ready after ACW is reported to clients as
// EventAgentReady with reasonCode 4, as seed 002 shows.
//
// # Errors
//
// [PartyNext] and [AgentNext] never panic on a refused transition. They return
// the state unchanged and an error that is an *apierr.Error wrapping
// [ErrInvalidTransition], whose message names the event and the state, e.g.
//
//	InvalidAgentState(301006): cannot "ready" from Logout
//
// The seed-002 codes are chosen as follows:
//
//   - agent machine, any refused transition (also every request other than a
//     login while logged out, and a login while logged in): 301006
//     InvalidAgentState;
//   - party machine, the party is IDLE and the event needs an active party
//     (answer, hold, retrieve, release): 301016 NotFoundParty;
//   - party machine, the party is Held and the event is not retrieve or release
//     (dial, ring, answer, hold): 301010 HeldInProcess;
//   - party machine, any other refused transition (a dial or ring on an active
//     leg, an answer in Talk, a hold before Talk, a retrieve of a leg that is
//     not held): 301006 InvalidAgentState, the seed's code for a request that
//     does not fit the current state.
//
// A state or event outside the declared constants gives 301018 InvalidParams,
// still wrapping [ErrInvalidTransition].
//
// The error values of refused transitions are built once at package init and
// shared, so the hot path does not allocate; callers must not modify them.
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
// [PartyEvent.SeedEvent].
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

// Agent events. A login names its initial state: [AgentLogin] enters Ready,
// [AgentLoginNotReady] enters NotReady (seed-002 agentState 1 and 2); both
// emit EventAgentLogin.
const (
	AgentLogin         AgentEvent = iota // Logout → Ready (EventAgentLogin)
	AgentSetReady                        // NotReady → Ready (EventAgentReady)
	AgentSetNotReady                     // Ready|NotReady → NotReady(reason) (EventAgentNotReady)
	AgentACWExpire                       // NotReady(ACW) → Ready (EventDelayAfterCallWork then EventAgentReady)
	AgentDoLogout                        // any logged-in → Logout (EventAgentLogout)
	AgentLoginNotReady                   // Logout → NotReady(reason) (EventAgentLogin)
	numAgentEvents
)

// Agent not-ready reason codes of seed 002.
const (
	ReasonOther       = 0
	ReasonDND         = 2
	ReasonAfterCall   = 4
	ReasonRestBreak   = 11
	ReasonCustomFirst = 12
	ReasonCustomLast  = 98
)

// ValidReason reports whether code is a seed-002 not-ready reason: 0 other,
// 2 DND, 4 after-call work, 11 rest break or 12–98 custom.
func ValidReason(code int) bool {
	switch code {
	case ReasonOther, ReasonDND, ReasonAfterCall, ReasonRestBreak:
		return true
	}
	return code >= ReasonCustomFirst && code <= ReasonCustomLast
}

// Active reports whether the party is on a call, i.e. not IDLE.
func (s PartyState) Active() bool { return s != PartyIdle && s < numPartyStates }

// LoggedIn reports whether the agent is Ready or NotReady.
func (s AgentState) LoggedIn() bool { return s == AgentReady || s == AgentNotReady }
