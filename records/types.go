package records

import "time"

// IDs are dense integers inside the engine; the API edge formats them.
type (
	// TaskID identifies a task (campaign).
	TaskID uint64
	// NumberID identifies one number of a task's list.
	NumberID uint64
	// CallID identifies one call: a customer leg and, once connected, an agent leg.
	CallID uint64
	// AgentID identifies an agent.
	AgentID uint32
	// QueueID identifies a queue (task group).
	QueueID uint32
)

// TaskStatus is a task's status with the seed-003 numbering.
type TaskStatus uint8

// Task statuses. Created is ours: a task that was never opened.
const (
	TaskCreated TaskStatus = 0
	TaskRunning TaskStatus = 1 // open
	TaskPaused  TaskStatus = 2
	TaskEnded   TaskStatus = 3
)

// String returns the status's name: created, running, paused or ended.
func (s TaskStatus) String() string {
	switch s {
	case TaskCreated:
		return "created"
	case TaskRunning:
		return "running"
	case TaskPaused:
		return "paused"
	case TaskEnded:
		return "ended"
	}
	return "unknown"
}

// Number is one entry of a task's list: whom to call and when.
type Number struct {
	ID           NumberID
	Task         TaskID
	Phone        string            // E.164, e.g. "+14155550123"
	NotBefore    time.Time         // not dialled before (seed-001 `time`); zero = now
	NotAfter     time.Time         // not dialled after; zero = no limit
	TZ           string            // IANA time zone of the called party ("" = from the tenant's prefix table)
	Priority     int               // higher first
	Alternatives []string          // tried in order after the retry policy gives up on Phone
	Data         map[string]string // custom data: userid, memberid, chengshudu, customuuid, free keys
	Attempts     int               // dial attempts made so far
	Callback     bool              // a scheduled callback (outranks fresh numbers)
	// Zones are the time zones of the called party, resolved by the number
	// source (the engine never loads a zone): the number's own zone, or
	// those of its phone's prefix. The calling window must be open in every
	// one of them; a number with none is called in UTC hours. Not stored.
	Zones []*time.Location `json:"-"`
}

// NumberState is where a number stands in its life.
type NumberState uint8

// Number states written by the engine.
const (
	NumberPending NumberState = iota // waiting to be dialled (fresh, retry or callback)
	NumberDialing                    // a call is in flight: never handed out again until closed
	NumberDone                       // finished: connected, or retries exhausted
	NumberSkipped                    // not dialled: blacklisted, outside its window for good, …
)

// NumberUpdate is a durable change of one number, written before the command
// that it accompanies runs (so a crash never dials a number twice).
type NumberUpdate struct {
	At       time.Time
	Task     TaskID
	Number   NumberID
	State    NumberState
	Call     CallID  // the call that dials it (NumberDialing) or ended it
	Outcome  Outcome // of the attempt that just ended
	Attempts int
	NextAt   time.Time // NumberPending: when it may be dialled again
	// NextPhone, with NumberPending, says that the retry policy gave up on
	// the number's phone: its first alternative takes the phone's place,
	// with its attempts counted afresh.
	NextPhone bool
	Reason    int // NumberSkipped: seed-002 NoCallReasonCode (2 = blacklist)
}

// NoCallBlacklisted is the seed-002 NoCallReasonCode of a number skipped
// because it is on a blacklist (do-not-call list).
const NoCallBlacklisted = 2

// NoCallExpired is the NoCallReasonCode of a number skipped because its
// NotAfter passed before it was dialled.
const NoCallExpired = 900

// CallResult is the seed-004 callresult of a call record.
type CallResult uint8

// Call results.
const (
	ResultNotConnected CallResult = 0 // the customer never answered live
	ResultCustomerOnly CallResult = 1 // answered live but no agent: abandoned
	ResultBoth         CallResult = 2 // customer and agent connected
)

// EndResult is the seed-004 endresult: who hung up a connected call.
type EndResult uint8

// End results.
const (
	EndNone     EndResult = 0
	EndCustomer EndResult = 11
	EndAgent    EndResult = 12
)

// CallRecord is the call detail record (CDR) of one call, with the union of the
// seed fields (SPEC.md). Times are zero when the step did not happen.
type CallRecord struct {
	Call     CallID
	Tenant   string
	Task     TaskID
	Number   NumberID
	CallerID string // caller ID shown
	Called   string // called number
	Agent    AgentID
	Queue    QueueID

	Start, Ring, Answer, End                     time.Time // customer leg
	AgentStart, AgentRing, AgentAnswer, AgentEnd time.Time // agent leg

	Outcome     Outcome
	Result      CallResult
	EndResult   EndResult
	HangupCause int // seed-003 cause (10001–10041), 0 when normal clearing
	EarlyCause  int // seed-002 early-detect cause (0, 103, 104, 105, 109, 115, 119, 200)
	Machine     bool
	Disposition string
}

// RingSeconds returns the ring time of the customer leg in whole seconds.
func (r *CallRecord) RingSeconds() int64 { return secs(r.Start, firstNonZero(r.Answer, r.End)) }

// TalkSeconds returns billsec: from the bridge to the end of the call.
func (r *CallRecord) TalkSeconds() int64 { return secs(r.AgentAnswer, r.End) }

// WaitSeconds returns the time the answered customer waited for an agent:
// until the agent picked up, or until the end when no agent did.
func (r *CallRecord) WaitSeconds() int64 {
	return secs(r.Answer, firstNonZero(r.AgentAnswer, r.End))
}

// TotalSeconds returns the whole duration of the call.
func (r *CallRecord) TotalSeconds() int64 { return secs(r.Start, r.End) }

func secs(a, b time.Time) int64 {
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return 0
	}
	return int64(b.Sub(a) / time.Second)
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
