// Package pacing holds the pure pacing calculators of outpace: given a snapshot
// of one task's live state and the time, each decides how many new calls to place.
// Calculators never read a clock, start goroutines or do I/O; time arrives in the
// snapshot and in observations, so the same inputs always give the same output.
//
// The engine drives a Pacer in two ways: it reports every measurement as an
// Observation (a dial, an outcome, a connect, an abandon, the end of talk or
// wrap), and it asks Decide after every batch of events and whenever the
// Decision's Next time arrives. Modes: progressive, ratio (taskscale "A:C"),
// predictive, the peer baselines vicidial, issabel and closedform, and table
// (a fixed policy by busy agents, the form of the optimum on a Markov twin).
// Each mode is described once, by its ModeSpec (Spec, Modes): how New builds
// its pacer, how its setting is written, its main knob and the grid a sweep
// tunes it on.
package pacing

import (
	"time"

	"github.com/outpace-dev/outpace/records"
)

// ObsKind says what an Observation measures.
type ObsKind uint8

// Observation kinds.
const (
	ObsDial      ObsKind = iota // a call was originated
	ObsOutcome                  // a dial attempt ended with Outcome after Duration (dial → outcome)
	ObsConnect                  // a live answer reached an agent after waiting Duration
	ObsAbandon                  // a live answer was abandoned after waiting Duration
	ObsTalkEnd                  // a conversation ended after Duration of talk
	ObsWrapEnd                  // after-call work ended after Duration
	ObsAgentFree                // an agent became idle (Ready with no active party)
)

// Observation is one measurement reported by the engine, in time order.
type Observation struct {
	At       time.Time
	Kind     ObsKind
	Outcome  records.Outcome // for ObsOutcome
	Duration time.Duration   // see ObsKind
}

// CallState is the state of a call in flight from the pacer's point of view.
type CallState uint8

// Call states in a snapshot.
const (
	CallRinging CallState = iota // originated, no outcome yet (dialing or ringing)
	CallWaiting                  // answered live, waiting for an agent
)

// Call is one call that has not yet reached an agent: the task's own, or
// another's dialing for the same queue, whose live answer would take one of
// the same agents.
type Call struct {
	State    CallState
	DialedAt time.Time // when it was originated
	AnswerAt time.Time // for CallWaiting: when it was answered
}

// AgentPhase is what a non-idle logged-in agent is doing.
type AgentPhase uint8

// Agent phases in a snapshot.
const (
	PhaseReserved AgentPhase = iota // an answered call is being offered to the agent (phone ringing)
	PhaseTalk                       // connected to a customer
	PhaseWrap                       // after-call work
)

// Agent is one busy agent serving the task.
type Agent struct {
	Phase AgentPhase
	Since time.Time // start of the current phase
	Call  time.Time // start of the current call's talk (zero in PhaseReserved)
}

// Snapshot is the live state of one task and of the queue it dials for,
// built by the engine for each decision. When several tasks dial for one
// queue, its calls in flight (Ringing, Waiting, Calls) are those of all of
// them, since they compete for the same agents; the abandon figures are the
// task's own. Its slices are owned by the engine and reused: a Pacer must not
// keep them.
type Snapshot struct {
	Now time.Time

	LoggedIn int // agents logged in and serving the task (any state but Logout)
	Idle     int // agents Ready with no active party: free to take a call now
	Paused   int // agents NotReady for a reason other than after-call work
	Busy     int // agents reserved, talking or in after-call work (= len(Agents))

	Ringing int // calls originated and not yet answered or failed
	Waiting int // live answers waiting for an agent

	// MaxInFlight caps Ringing+Waiting (max lines per agent × logged-in agents).
	MaxInFlight int

	Calls  []Call  // every call counted in Ringing and Waiting
	Agents []Agent // every agent counted in Busy

	// Abandon accounting for the task, maintained by the engine over the whole
	// run and over the rolling window the task is judged on.
	LiveAnswers       int64 // live answers since the task started
	Abandoned         int64 // of which abandoned
	WindowLiveAnswers int64 // live answers in the rolling abandon window
	WindowAbandoned   int64 // of which abandoned
	// DialUntil is when the task stops dialing for the day (the close of its
	// calling window), if known; zero when not. A pacer may spend the
	// window's abandon budget more evenly over a day whose end it knows.
	DialUntil time.Time

	// AbandonTarget is the task's abandon target (e.g. 0.03), as a fraction of
	// live answers. ConnectDeadline is how long a live answer may wait for an
	// agent before it is abandoned. NoAnswerTimeout is the ring timeout.
	AbandonTarget   float64
	ConnectDeadline time.Duration
	NoAnswerTimeout time.Duration
}

// InFlight returns Ringing + Waiting.
func (s *Snapshot) InFlight() int { return s.Ringing + s.Waiting }

// Decision is a Pacer's answer.
type Decision struct {
	// Place is the number of new calls to originate now (≥ 0). The engine
	// places fewer when it runs out of numbers or would exceed MaxInFlight.
	Place int
	// Next is the latest time at which the pacer wants to be asked again even
	// if nothing happens (its next loop tick); zero means only on events.
	Next time.Time
	// Level is the pacer's current dial level or target, for reports and plots
	// (e.g. VICIdial's L, the ratio C/A, the predictive target in flight).
	Level float64
}

// Pacer is a pacing calculator for one task.
type Pacer interface {
	// Observe records one measurement. Observations arrive in time order.
	Observe(o Observation)
	// Decide returns how many calls to place now.
	Decide(s *Snapshot) Decision
}

// Estimator is implemented by a pacer that forecasts (predictive):
// Estimates returns the figures behind its latest decision, for a
// supervisor who wants to see why it dials. It does not allocate.
type Estimator interface {
	Estimates() records.Estimates
}
