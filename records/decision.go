package records

import "time"

// Decision is one pacing decision of a task: what its pacer saw, how many
// calls it asked for and how many the engine placed. It is a complete
// picture of the task's pacing at At, so a reader that misses one loses
// nothing the next one does not show again; decisions are published live
// and not kept in the event log.
type Decision struct {
	At     time.Time
	Tenant string
	Task   TaskID
	// Level is the pacer's dial level or target (the ratio, the predictive
	// target in flight).
	Level float64
	// Wanted is how many calls the pacer asked for; Placed how many the
	// engine placed (fewer when numbers ran out, a number failed its
	// dial-time checks, or the line limit held it back).
	Wanted, Placed int
	// The task's queue as the pacer saw it, before the calls were placed.
	LoggedIn, Idle, Busy, Paused int
	Ringing, Waiting             int
	// Abandons over live answers since the task opened and over its
	// rolling window, and the target they are held to.
	AbandonRate, WindowAbandonRate, AbandonTarget float64
	// Estimates are the forecast behind the decision, from a pacer that
	// makes one (predictive); Known is false for the others.
	Estimates Estimates
}

// Estimates are a forecasting pacer's figures behind one decision.
type Estimates struct {
	Known bool
	// AnswerRate is the share of calls expected to be answered live.
	AnswerRate float64
	// LiveRate is the live answers expected a second.
	LiveRate float64
	// FreeSoon is how many busy agents are expected free within the
	// connect deadline.
	FreeSoon float64
	// ExpectedAbandons is how many abandons the calls in flight are
	// expected to cause.
	ExpectedAbandons float64
	// Risk is the threshold each further call's risk of an abandon was
	// held under.
	Risk float64
	// Fallback is true while the pacer dials progressively because the
	// abandon budget ran out.
	Fallback bool
}
