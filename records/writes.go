package records

import "time"

// TaskUpdate is a durable change of a task's status or progress.
type TaskUpdate struct {
	At        time.Time
	Task      TaskID
	Status    TaskStatus
	Exhausted bool // no number left to dial now (status stays; seed-003 status 3 callback when ended)
}

// Writes is the durable part of what the engine produced: what must be
// persisted, in one batch, before any of the commands that came with it
// run (a number is written NumberDialing before its call is placed, so a
// crash never dials it twice), and the events to append to the event log.
// Its slices belong to the caller that built it; a store copies what it
// keeps.
type Writes struct {
	Numbers []NumberUpdate
	Records []CallRecord
	Tasks   []TaskUpdate
	Events  []CTIEvent
}
