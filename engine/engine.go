package engine

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// Config configures an Engine.
type Config struct {
	// Rand is the seeded source for every random choice the engine makes.
	// Required when a queue uses StrategyRandom; a fixed seed is used if nil.
	Rand *rand.Rand
	// CTIEvents turns on the seed-002 events in Ready.Events. The server wants
	// them; a simulation that only needs the report may leave them off.
	CTIEvents bool
	// Decisions turns on the pacing decisions in Ready.Decisions, for a
	// supervisor who wants to see why a task dials.
	Decisions bool
	// FetchBatch is how many numbers the engine asks for at a time
	// (CmdFetchNumbers); it asks again when fewer than half remain. Default 256.
	FetchBatch int
	// LastCall is the highest call ID used before (by a previous run, as the
	// store recovered it); new calls are numbered above it.
	LastCall records.CallID
}

// Engine is the deterministic dialer core. It is not safe for concurrent use:
// one goroutine (a runner, or the simulator) owns it.
type Engine struct {
	cfg Config
	rng *rand.Rand
	now time.Time

	tasks  map[records.TaskID]*task
	order  []*task // tasks in creation order: deterministic iteration
	queues map[records.QueueID]*queue
	agents map[records.AgentID]*agent
	calls  map[records.CallID]*call

	nextCall records.CallID
	freeCall []*call // recycled call structs
	dirty    []*task // tasks to pace at the end of this Step
	draining bool    // EvDrain: no new call
	black    blacklists

	rd     Ready
	handed handed // what the latest Ready handed out of rd
}

// New returns an empty engine.
func New(cfg Config) *Engine {
	if cfg.FetchBatch <= 0 {
		cfg.FetchBatch = 256
	}
	rng := cfg.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(1, 2))
	}
	return &Engine{
		cfg:      cfg,
		rng:      rng,
		tasks:    make(map[records.TaskID]*task),
		queues:   make(map[records.QueueID]*queue),
		agents:   make(map[records.AgentID]*agent),
		calls:    make(map[records.CallID]*call),
		nextCall: cfg.LastCall,
	}
}

// Config returns the engine's configuration, defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Now returns the time of the latest event stepped.
func (e *Engine) Now() time.Time { return e.now }

// HasReady reports whether Ready has anything to handle.
func (e *Engine) HasReady() bool { return !e.rd.Empty() }

// Ready returns what the Steps since the last Advance produced. See the Ready
// type for the order in which the caller must handle it.
//
// The slices handed out stay valid and unchanged until Advance, whatever is
// stepped meanwhile: they are capped at their length, and the engine only
// appends past it. A Step between Ready and Advance is kept for the next
// Ready. Calling Ready again before Advance returns everything not yet
// advanced, the earlier output first.
func (e *Engine) Ready() Ready {
	h := handed{len(e.rd.Numbers), len(e.rd.Records), len(e.rd.Tasks), len(e.rd.Commands), len(e.rd.Events), len(e.rd.Decisions)}
	e.handed = h
	return Ready{
		Numbers:   e.rd.Numbers[:h.numbers:h.numbers],
		Records:   e.rd.Records[:h.records:h.records],
		Tasks:     e.rd.Tasks[:h.tasks:h.tasks],
		Commands:  e.rd.Commands[:h.commands:h.commands],
		Events:    e.rd.Events[:h.events:h.events],
		Decisions: e.rd.Decisions[:h.decisions:h.decisions],
	}
}

// handed counts what the latest Ready handed out of each slice.
type handed struct{ numbers, records, tasks, commands, events, decisions int }

// Advance tells the engine that rd, the latest Ready, was handled. It drops
// exactly what rd holds and keeps what was stepped after it; rd's slices are
// reused from then on. Advancing what no Ready handed out (a Ready advanced
// twice, or not this engine's) is a broken invariant and panics.
func (e *Engine) Advance(rd Ready) {
	h := e.handed
	if len(rd.Numbers) > h.numbers || len(rd.Records) > h.records || len(rd.Tasks) > h.tasks ||
		len(rd.Commands) > h.commands || len(rd.Events) > h.events || len(rd.Decisions) > h.decisions {
		panic("engine: Advance of a Ready that was not handed out (advanced twice?)")
	}
	e.handed = handed{}
	e.rd.Numbers = drop(e.rd.Numbers, len(rd.Numbers))
	e.rd.Records = drop(e.rd.Records, len(rd.Records))
	e.rd.Tasks = drop(e.rd.Tasks, len(rd.Tasks))
	e.rd.Commands = drop(e.rd.Commands, len(rd.Commands))
	if len(rd.Events) == len(e.rd.Events) {
		clear(e.rd.Events) // drop string references
	}
	e.rd.Events = drop(e.rd.Events, len(rd.Events))
	e.rd.Decisions = drop(e.rd.Decisions, len(rd.Decisions))
}

// drop removes the first n elements of s in place. What was stepped after
// the Ready (rare) moves to the front, and the tail it leaves is cleared.
func drop[T any](s []T, n int) []T {
	if n == len(s) {
		return s[:0]
	}
	m := copy(s, s[n:])
	clear(s[m:])
	return s[:m]
}

// Step applies one input event. An invalid input returns an error (an
// *apierr.Error) and leaves the engine exactly as it was: its time too, and
// no task is paced. Events must come in time order; an event older than the
// latest one is treated as happening now.
func (e *Engine) Step(ev Event) error {
	prev := e.now
	if ev.At.After(e.now) {
		e.now = ev.At
	}
	if err := e.step(&ev); err != nil {
		// Every handler checks before it changes anything, so a rejected
		// input has marked no task for pacing.
		if len(e.dirty) > 0 {
			panic(fmt.Sprintf("engine: rejected event kind %d changed the state: %v", ev.Kind, err))
		}
		e.now = prev
		return err
	}
	for len(e.dirty) > 0 {
		t := e.dirty[len(e.dirty)-1]
		e.dirty = e.dirty[:len(e.dirty)-1]
		t.dirty = false
		e.connectWaiting(t.queue)
		e.pace(t)
	}
	return nil
}

func (e *Engine) step(ev *Event) error {
	switch ev.Kind {
	case EvCreateQueue:
		return e.createQueue(ev.QueueSpec)
	case EvCreateAgent:
		return e.createAgent(ev.AgentSpec)
	case EvCreateTask:
		return e.createTask(ev.TaskSpec)
	case EvAddNumbers, EvNumbers:
		t, err := e.task(ev.Task)
		if err != nil {
			return err
		}
		e.addNumbers(t, ev)
		return nil
	case EvStartTask, EvPauseTask, EvEndTask:
		return e.setTaskStatus(ev)
	case EvAgentLogin, EvAgentReady, EvAgentNotReady, EvAgentLogout:
		return e.agentRequest(ev)
	case EvSignIn, EvSignOut:
		return e.signInOut(ev)
	case EvAgentAvailability:
		return e.availability(ev)
	case EvProgress, EvAnswered, EvFailed, EvAgentAnswered, EvAgentFailed, EvHangup, EvHold, EvRetrieve:
		return e.backendEvent(ev)
	case EvHangupRequest:
		return e.hangupRequest(ev)
	case EvTimer:
		e.timer(ev.Timer)
		return nil
	case EvBlacklist:
		return e.blacklist(ev.Blacklist)
	case EvRemoveNumbers:
		e.removeNumbers(ev)
		return nil
	case EvDrain:
		// Not a task status: nothing is stored, so the tasks dial again
		// when the runner starts afresh.
		e.draining = true
		return nil
	}
	return apierr.Invalid("kind", "unknown event kind %d", ev.Kind)
}
