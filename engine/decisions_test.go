package engine

import (
	"testing"
	"time"

	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
)

// TestDecisions: with Config.Decisions, a decision that places calls comes
// in Ready.Decisions with what the pacer saw before placing them; one that
// says nothing new (same level, same ask, nothing placed) does not; an
// engine without the option hands out none.
func TestDecisions(t *testing.T) {
	setup := func(e *Engine) {
		now := epoch
		mustStep(t, e, Event{At: now, Kind: EvCreateQueue, QueueSpec: &QueueSpec{ID: 1}})
		for a := AgentID(1); a <= 2; a++ {
			mustStep(t, e, Event{At: now, Kind: EvCreateAgent, AgentSpec: &AgentSpec{ID: a, Tenant: "t", Phone: "100" + string(rune('0'+a))}})
			mustStep(t, e, Event{At: now, Kind: EvSignIn, Agent: a, Queue: 1})
			mustStep(t, e, Event{At: now, Kind: EvAgentLogin, Agent: a})
		}
		spec := &TaskSpec{ID: 5, Tenant: "t", Queue: 1, Pacing: pacing.Config{Mode: pacing.ModeProgressive}}
		mustStep(t, e, Event{At: now, Kind: EvCreateTask, TaskSpec: spec})
		mustStep(t, e, Event{At: now, Kind: EvStartTask, Task: 5})
		mustStep(t, e, Event{At: now, Kind: EvNumbers, Task: 5, Numbers: []Number{
			{ID: 1, Task: 5, Phone: "+14155550101"}, {ID: 2, Task: 5, Phone: "+14155550102"}, {ID: 3, Task: 5, Phone: "+14155550103"}}})
	}

	off := New(Config{})
	setup(off)
	if rd := off.Ready(); len(rd.Decisions) != 0 {
		t.Fatalf("decisions without Config.Decisions: %+v", rd.Decisions)
	}

	e := New(Config{Decisions: true})
	setup(e)
	rd := e.Ready()
	var placed *records.Decision
	for i := range rd.Decisions {
		if rd.Decisions[i].Placed > 0 {
			placed = &rd.Decisions[i]
		}
	}
	if placed == nil {
		t.Fatalf("no decision placed a call: %+v", rd.Decisions)
	}
	want := records.Decision{At: epoch, Tenant: "t", Task: 5, Level: 1, Wanted: 2, Placed: 2, LoggedIn: 2, Idle: 2,
		AbandonTarget: pacing.DefaultAbandonTarget}
	if *placed != want {
		t.Fatalf("decision\n got %+v\nwant %+v", *placed, want)
	}
	e.Advance(rd)

	// The next decision asks for nothing: new, told; one more like it is not.
	mustStep(t, e, Event{At: epoch.Add(time.Second), Kind: EvNumbers, Task: 5})
	rd = e.Ready()
	if len(rd.Decisions) != 1 || rd.Decisions[0].Wanted != 0 || rd.Decisions[0].Ringing != 2 {
		t.Fatalf("decisions: %+v", rd.Decisions)
	}
	e.Advance(rd)
	mustStep(t, e, Event{At: epoch.Add(2 * time.Second), Kind: EvNumbers, Task: 5})
	if rd := e.Ready(); len(rd.Decisions) != 0 {
		t.Fatalf("a decision that says nothing new: %+v", rd.Decisions)
	}
}
