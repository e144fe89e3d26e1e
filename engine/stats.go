package engine

import (
	"github.com/outpace-dev/outpace/records"
	"time"
)

// TaskStats is a task's live statistics.
type TaskStats struct {
	Status            records.TaskStatus
	Ringing, Waiting  int
	LiveAnswers       int64
	Abandoned         int64
	AbandonRate       float64 // over the whole run
	WindowAbandonRate float64 // over the rolling abandon window
	Level             float64 // the pacer's last dial level; 0 once the engine drains
	Queued            int     // numbers buffered in the engine
	Exhausted         bool
	DialUntil         time.Time // when the task stops dialing for the day, as the pacer sees it (zero: unknown)

	// Since the engine started: calls placed; calls that reached an agent
	// and ended (completed), their talk time and their customers' wait for
	// the agent (hold), in all.
	Dials, Completed int64
	TalkTime         time.Duration
	HoldTime         time.Duration
}

// TaskStats returns the live statistics of a task.
func (e *Engine) TaskStats(id records.TaskID) (TaskStats, error) {
	t, err := e.task(id)
	if err != nil {
		return TaskStats{}, err
	}
	wl, wa := t.abandons.sums(e.now)
	s := TaskStats{
		Status: t.status, Ringing: len(t.flight) - t.waiting, Waiting: t.waiting,
		LiveAnswers: t.live, Abandoned: t.abandoned, Level: t.level,
		Queued: len(t.list) - t.head, Exhausted: t.empty, DialUntil: t.dialUntil,
		Dials: t.dials, Completed: t.completed, TalkTime: t.talk, HoldTime: t.hold,
	}
	if e.draining { // no task places a call: no level to aim at
		s.Level = 0
	}
	s.AbandonRate = abandonRate(t.abandoned, t.live)
	s.WindowAbandonRate = abandonRate(wa, wl)
	return s, nil
}

// abandonRate is abandoned calls over live answers; 0 with no live answer.
func abandonRate(abandoned, live int64) float64 {
	if live == 0 {
		return 0
	}
	return float64(abandoned) / float64(live)
}

// ActiveCalls returns how many calls are active (originated and not ended).
func (e *Engine) ActiveCalls() int { return len(e.calls) }

// CallTask returns the task of an active call (originated and not ended).
func (e *Engine) CallTask(id records.CallID) (records.TaskID, bool) {
	c, ok := e.calls[id]
	if !ok {
		return 0, false
	}
	return c.task.spec.ID, true
}
