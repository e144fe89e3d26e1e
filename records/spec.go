package records

import (
	"fmt"
	"time"

	"github.com/outpace-dev/outpace/apierr"
)

// Strategy is a queue's ring strategy: how an answered call picks among the
// queue's idle agents (seed 003 numbering).
type Strategy uint8

// Ring strategies.
const (
	StrategyLongestIdle   Strategy = 1 // the agent idle the longest
	StrategyFewestCalls   Strategy = 2 // the agent with the least talk time today
	StrategyRingAll       Strategy = 3 // offered to all; modelled as the first idle agent in sign-in order answering
	StrategyRoundRobin    Strategy = 4 // rotate through the members, remembering the last one
	StrategySequential    Strategy = 5 // always the first idle member in member order
	StrategyRandom        Strategy = 6 // uniformly at random (the engine's seeded source)
	StrategyLeastAnswered Strategy = 7 // the agent with the fewest answered calls
	StrategyPriority      Strategy = 8 // the idle member with the lowest priority value
)

// QueueSpec creates a queue (task group).
type QueueSpec struct {
	ID       QueueID
	Tenant   string
	Name     string
	Strategy Strategy
}

// AgentSpec creates an agent.
type AgentSpec struct {
	ID       AgentID
	Tenant   string
	Name     string // agentID / extension as the integrator knows it
	Phone    string // thisDN
	Priority int    // for StrategyPriority: lower is offered first
}

// MachineAction is what the engine does with a call answered by a machine.
type MachineAction uint8

// Machine actions.
const (
	MachineHangup  MachineAction = iota // hang up at once
	MachineMessage                      // play the task's machine message, then hang up
)

// RetryRule is how one outcome is retried: at most MaxAttempts attempts in all
// on the number, Delay apart.
type RetryRule struct {
	MaxAttempts int           `yaml:"max_attempts" json:"max_attempts"`
	Delay       time.Duration `yaml:"delay" json:"delay"`
}

// RetryPolicy holds a RetryRule per retryable outcome. A zero rule means no retry.
type RetryPolicy struct {
	Busy      RetryRule `yaml:"busy" json:"busy"`
	NoAnswer  RetryRule `yaml:"no_answer" json:"no_answer"`
	Machine   RetryRule `yaml:"machine" json:"machine"`
	Failed    RetryRule `yaml:"failed" json:"failed"`
	Abandoned RetryRule `yaml:"abandoned" json:"abandoned"`
}

// TaskSpec creates a task: whom it serves, how it paces and how calls are handled.
type TaskSpec struct {
	ID     TaskID
	Tenant string
	Name   string
	Queue  QueueID // the queue whose agents take the calls

	Pacing    PacingConfig
	CallerIDs []string // caller-ID pool; used round robin

	// NoAnswerTimeout is how long a number rings before it is given up (default
	// 25 s). Below MinNoAnswerTimeout it is rejected unless AllowShortRing.
	NoAnswerTimeout time.Duration
	AllowShortRing  bool
	// ConnectDeadline is how long a live answer may wait for an agent (default 2 s;
	// 0 means no wait at all when AllowZeroDeadline).
	ConnectDeadline   time.Duration
	AllowZeroDeadline bool
	// AgentRingTimeout is how long an agent's phone may ring for a live
	// answer (default 20 s, 1 s to 10 min): then the engine takes the agent
	// leg as failed, as if the backend had said so, and the customer is
	// offered to the next idle agent or waits out the connect deadline. It
	// is for a backend that never reports on the leg (a phone no backend
	// rings), so it should exceed the backends' own ring time for agent
	// phones, which is the one the backend hangs up on.
	AgentRingTimeout time.Duration
	// ACWTimeout is the after-call work expiry: the agent returns to Ready by
	// itself after it. Zero means no after-call work at all.
	ACWTimeout time.Duration
	// MaxLinesPerAgent caps calls in flight plus waiting at this many per
	// logged-in agent (default 3).
	MaxLinesPerAgent float64
	// AbandonWindow is the rolling window the abandon target is held over
	// (default 24 h, the Ofcom rule).
	AbandonWindow time.Duration
	// DialUntil is when the task stops dialing for the day (the close of its
	// calling window), if known; the pacer sees it in its snapshot. Zero
	// means unknown: the task may stop at any moment. It is the first day's:
	// the number source tells each next one with its numbers
	// (Event.DialUntil), so it is not stored with the task.
	DialUntil time.Time `json:"-"`
	// Window is the calling window, in each called party's local time,
	// that the engine checks at every dial; the zero Window means
	// DefaultWindow. The store keeps it beside the spec (store.Task.Window)
	// and fills it in when it hands the spec to the engine.
	Window Window `json:"-"`

	Machine    MachineAction
	SafeHarbor string // message played to an abandoned customer ("" = hang up)
	MachineMsg string // message left on a machine when Machine = MachineMessage
	Retry      RetryPolicy
}

// Defaults of a task.
const (
	DefaultNoAnswerTimeout  = 25 * time.Second
	MinNoAnswerTimeout      = 15 * time.Second
	DefaultConnectDeadline  = 2 * time.Second
	DefaultAgentRingTimeout = 20 * time.Second
	MaxAgentRingTimeout     = 10 * time.Minute
	DefaultMaxLinesPerAgent = 3
	DefaultAbandonWindow    = 24 * time.Hour
)

// Normalize fills the defaults of the task's own fields and validates them,
// naming the bad field. The pacing configuration is the pacer's to check
// (the engine checks it when it creates the task).
func (s *TaskSpec) Normalize() error {
	if s.ID == 0 {
		return apierr.Invalid("task.id", "must be set")
	}
	if err := s.Window.Validate(); err != nil {
		return err
	}
	if s.NoAnswerTimeout == 0 {
		s.NoAnswerTimeout = DefaultNoAnswerTimeout
	}
	if s.NoAnswerTimeout < 0 || (s.NoAnswerTimeout < MinNoAnswerTimeout && !s.AllowShortRing) {
		return apierr.Invalid("task.no_answer_timeout", "%v is below the %v minimum ring time", s.NoAnswerTimeout, MinNoAnswerTimeout)
	}
	if s.ConnectDeadline == 0 && !s.AllowZeroDeadline {
		s.ConnectDeadline = DefaultConnectDeadline
	}
	if s.ConnectDeadline < 0 {
		return apierr.Invalid("task.connect_deadline", "must not be negative, got %v", s.ConnectDeadline)
	}
	if s.AgentRingTimeout == 0 {
		s.AgentRingTimeout = DefaultAgentRingTimeout
	}
	if s.AgentRingTimeout < time.Second || s.AgentRingTimeout > MaxAgentRingTimeout {
		return apierr.Invalid("task.agent_ring_timeout", "must be between 1s and %v, got %v", MaxAgentRingTimeout, s.AgentRingTimeout)
	}
	if s.ACWTimeout < 0 {
		return apierr.Invalid("task.acw_timeout", "must not be negative, got %v", s.ACWTimeout)
	}
	if s.MaxLinesPerAgent == 0 {
		s.MaxLinesPerAgent = DefaultMaxLinesPerAgent
	}
	if !(s.MaxLinesPerAgent >= 1 && s.MaxLinesPerAgent <= 50) {
		return apierr.Invalid("task.max_lines_per_agent", "must be between 1 and 50, got %v", s.MaxLinesPerAgent)
	}
	if s.AbandonWindow == 0 {
		s.AbandonWindow = DefaultAbandonWindow
	}
	if s.AbandonWindow < time.Minute {
		return apierr.Invalid("task.abandon_window", "must be at least a minute, got %v", s.AbandonWindow)
	}
	for i, r := range []RetryRule{s.Retry.Busy, s.Retry.NoAnswer, s.Retry.Machine, s.Retry.Failed, s.Retry.Abandoned} {
		if r.MaxAttempts < 0 || r.Delay < 0 {
			return apierr.Invalid(fmt.Sprintf("task.retry[%d]", i), "attempts and delay must not be negative")
		}
	}
	return nil
}
