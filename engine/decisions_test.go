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
		mustStep(t, e, Event{At: now, Kind: EvCreateQueue, QueueSpec: &records.QueueSpec{ID: 1}})
		for a := records.AgentID(1); a <= 2; a++ {
			mustStep(t, e, Event{At: now, Kind: EvCreateAgent, AgentSpec: &records.AgentSpec{ID: a, Tenant: "t", Phone: "100" + string(rune('0'+a))}})
			mustStep(t, e, Event{At: now, Kind: EvSignIn, Agent: a, Queue: 1})
			mustStep(t, e, Event{At: now, Kind: EvAgentLogin, Agent: a})
		}
		spec := &records.TaskSpec{ID: 5, Tenant: "t", Queue: 1, Pacing: records.PacingConfig{Mode: records.ModeProgressive}}
		mustStep(t, e, Event{At: now, Kind: EvCreateTask, TaskSpec: spec})
		mustStep(t, e, Event{At: now, Kind: EvStartTask, Task: 5})
		mustStep(t, e, Event{At: now, Kind: EvNumbers, Task: 5, Numbers: []records.Number{
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

// TestCallFigures: the task's calls placed and completed with their talk
// and wait, the queue's longest wait now, and the agent's last call end.
func TestCallFigures(t *testing.T) {
	e := New(Config{})
	now := epoch
	mustStep(t, e, Event{At: now, Kind: EvCreateQueue, QueueSpec: &records.QueueSpec{ID: 1}})
	mustStep(t, e, Event{At: now, Kind: EvCreateAgent, AgentSpec: &records.AgentSpec{ID: 1, Phone: "1001"}})
	mustStep(t, e, Event{At: now, Kind: EvSignIn, Agent: 1, Queue: 1})
	mustStep(t, e, Event{At: now, Kind: EvAgentLogin, Agent: 1})
	spec := &records.TaskSpec{ID: 1, Queue: 1, ConnectDeadline: 10 * time.Second, Pacing: records.PacingConfig{Mode: records.ModeRatio, Ratio: "1:2"}}
	mustStep(t, e, Event{At: now, Kind: EvCreateTask, TaskSpec: spec})
	mustStep(t, e, Event{At: now, Kind: EvStartTask, Task: 1})
	mustStep(t, e, Event{At: now, Kind: EvNumbers, Task: 1, Numbers: []records.Number{
		{ID: 1, Task: 1, Phone: "+14155550101"}, {ID: 2, Task: 1, Phone: "+14155550102"}}})
	mustStep(t, e, Event{At: now, Kind: EvAnswered, Call: 1, Outcome: records.OutcomeLive})
	mustStep(t, e, Event{At: now.Add(time.Second), Kind: EvAgentAnswered, Call: 1})
	mustStep(t, e, Event{At: now.Add(2 * time.Second), Kind: EvAnswered, Call: 2, Outcome: records.OutcomeLive})
	if qs, _ := e.QueueStats(1); qs.Waiting != 1 || qs.LongestWait != 0 {
		t.Fatalf("queue %+v", qs)
	}
	mustStep(t, e, Event{At: now.Add(5 * time.Second), Kind: EvHangup, Call: 1, Side: SideCustomer})
	if qs, _ := e.QueueStats(1); qs.Waiting != 0 {
		t.Fatalf("the agent freed did not take the waiting call: %+v", qs)
	}
	mustStep(t, e, Event{At: now.Add(6 * time.Second), Kind: EvAgentAnswered, Call: 2})
	mustStep(t, e, Event{At: now.Add(16 * time.Second), Kind: EvHangup, Call: 2, Side: SideAgent})
	ts, _ := e.TaskStats(1)
	if ts.Dials != 2 || ts.Completed != 2 || ts.TalkTime != 14*time.Second || ts.HoldTime != 3*time.Second {
		t.Fatalf("task figures %+v", ts)
	}
	if as, _ := e.AgentStatus(1); as.Taken != 2 || !as.LastCallEnd.Equal(now.Add(16*time.Second)) {
		t.Fatalf("agent %+v", as)
	}
}
