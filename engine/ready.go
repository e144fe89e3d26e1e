package engine

import (
	"time"

	"github.com/outpace-dev/outpace/records"
)

// Ready is what one or more Steps produced. The caller must handle it in this
// order, then call Advance:
//
//  1. Writes (Numbers, Records, Tasks) must be durable before any Command runs:
//     a number is marked Dialing before its Originate goes out, so a crash
//     never dials a number twice.
//  2. Commands go to the telephony backend (or the runner's timer wheel) in
//     slice order.
//  3. Events go to the event log and to subscribers, in slice order.
//  4. Decisions (with Config.Decisions) go to subscribers only: each is a
//     complete picture of a task's pacing, so none needs to be durable.
//
// The slices are owned by the engine. They stay valid and unchanged until
// Advance, even while more events are stepped (the engine appends only past
// what it handed out), and are reused after it: copy what you keep longer.
type Ready struct {
	Numbers   []records.NumberUpdate
	Records   []records.CallRecord
	Tasks     []records.TaskUpdate
	Commands  []Command
	Events    []records.CTIEvent
	Decisions []records.Decision
}

// Empty reports whether there is nothing to do.
func (rd *Ready) Empty() bool {
	return len(rd.Numbers) == 0 && len(rd.Records) == 0 && len(rd.Tasks) == 0 &&
		len(rd.Commands) == 0 && len(rd.Events) == 0 && len(rd.Decisions) == 0
}

// CommandKind says what a Command asks for.
type CommandKind uint8

// Commands to the backend and to the runner.
const (
	// CmdOriginate dials Phone from CallerID; the backend reports progress,
	// answer (live or machine) or failure, and gives up after Timeout of ringing.
	CmdOriginate CommandKind = iota + 1
	// CmdConnect bridges the answered customer of Call to Agent's phone.
	CmdConnect
	// CmdPlayHangup plays Message (safe-harbor or machine message) to the
	// customer of Call, then hangs up. An empty Message hangs up at once.
	CmdPlayHangup
	// CmdHangup ends every leg of Call.
	CmdHangup
	// CmdSetTimer asks the runner to deliver EvTimer with Timer at At.
	CmdSetTimer
	// CmdFetchNumbers asks the runner for up to Count numbers of Task that are
	// due at At, delivered as EvNumbers (possibly empty, with Exhausted set).
	CmdFetchNumbers
)

// Command is one instruction from the engine to the world.
type Command struct {
	Kind     CommandKind
	At       time.Time
	Task     records.TaskID
	Call     records.CallID
	Number   records.NumberID
	Agent    records.AgentID
	Phone    string // called number (CmdOriginate) or agent phone (CmdConnect)
	CallerID string
	Timeout  time.Duration
	Message  string
	Count    int
	Timer    Timer
}

// TimerKind says what a timer is for.
type TimerKind uint8

// Timers.
const (
	TimerPacing    TimerKind = iota + 1 // ID = task: ask the pacer again
	TimerDeadline                       // ID = call: connect deadline of a waiting live answer
	TimerACW                            // ID = agent: after-call work expiry
	TimerDayEnd                         // ID = task: the day's dialing is over; hand back what the task holds
	TimerAgentRing                      // ID = call: an agent's phone rang the task's AgentRingTimeout unanswered
)

// Timer identifies a timer. Gen makes stale timers harmless: a timer whose Gen
// no longer matches its object is ignored, so timers are never cancelled.
type Timer struct {
	Kind TimerKind
	ID   uint64
	Gen  uint32
}

// EventKind says what an input Event is.
type EventKind uint8

// Input events.
const (
	// Administration.
	EvCreateQueue EventKind = iota + 1 // Queue
	EvCreateAgent                      // Agent
	EvCreateTask                       // TaskSpec
	EvAddNumbers                       // Task, Numbers: appended to the task's in-memory list
	EvNumbers                          // Task, Numbers, Exhausted, DialUntil: the answer to CmdFetchNumbers
	EvStartTask                        // Task (also resumes a paused task)
	EvPauseTask                        // Task
	EvEndTask                          // Task

	// Agents.
	EvAgentLogin    // Agent, Reason (0 = Ready, else NotReady with that reason)
	EvAgentReady    // Agent
	EvAgentNotReady // Agent, Reason
	EvAgentLogout   // Agent
	EvSignIn        // Agent, Queue
	EvSignOut       // Agent, Queue

	// Backend.
	EvProgress      // Call: the customer's phone rings
	EvAnswered      // Call, Outcome (OutcomeLive or OutcomeMachine)
	EvFailed        // Call, Outcome (busy, no answer, invalid), Cause, EarlyCause; after the answer, a hang-up by the system
	EvAgentAnswered // Call: the agent picked up; customer and agent are bridged
	EvAgentFailed   // Call: the agent's phone did not pick up
	EvHangup        // Call, Side, Cause (seed-003, on the record): a leg hung up (ends the call)

	// Runner.
	EvTimer // Timer
	EvDrain // no new call on any task from now on, for a shutdown that lets the calls in flight end

	// Backend, continued.
	EvHold     // Call: the customer is put on hold during the talk (Talk → Held)
	EvRetrieve // Call: the customer is back from hold (Held → Talk)

	// Administration, continued.
	EvBlacklist // Blacklist: phones added to or removed from a tenant's or a task's blacklist

	// Agents and supervisors, continued.
	EvHangupRequest     // Call, Task (0 = any), Side (SideAgent, or SideSystem for a supervisor): end the call
	EvAgentAvailability // Agent, Queue, ShowBusy: a member shown busy (offered none of the queue's calls) or idle

	// Administration, continued.
	EvRemoveNumbers // Task, Numbers (by Phone): removed from the task's list; those held undialled are dropped
)

// Side says who hung up.
type Side uint8

// Sides of a call.
const (
	SideCustomer Side = iota + 1
	SideAgent
	SideSystem
)

// Event is one input to the engine. Every event carries its time; the engine
// never reads a clock. Only the fields its Kind names are used.
type Event struct {
	At      time.Time
	Kind    EventKind
	Task    records.TaskID
	Call    records.CallID
	Agent   records.AgentID
	Queue   records.QueueID
	Outcome records.Outcome
	Cause   int
	// EarlyCause, with EvFailed, is the backend's early-detect cause of the
	// failure (seed-002: 103 out of service, 104 not exist, 105 powered
	// off, 109 busy, 115 no answer, 119 line fault), for a backend that
	// knows more than the outcome says (a 5xx is a line fault, not a
	// number that does not exist); 0, or a code not of that list, takes
	// the outcome's (busy 109, no answer 115, invalid 104).
	EarlyCause int
	Reason     int
	Side       Side
	Timer      Timer

	Numbers   []records.Number
	Exhausted bool
	ShowBusy  bool // EvAgentAvailability: shown busy, else idle
	// DialUntil, with EvNumbers, is when the task stops dialing for the day
	// as the number source sees it (the close of the calling window of the
	// numbers it holds). Zero leaves the task's day as it was, unless
	// DayKnown says the source looked and found no end (a window that never
	// closes, a campaign that follows the sun): then the day has none.
	DialUntil time.Time
	DayKnown  bool

	TaskSpec  *records.TaskSpec
	QueueSpec *records.QueueSpec
	AgentSpec *records.AgentSpec
	Blacklist *BlacklistChange
}
