package engine

import (
	"github.com/outpace-dev/outpace/records"
	"testing"
	"time"
)

// TestRemovedNumbersLeaveTheBuffer: a number removed from its task's list
// while the engine holds it undialled is never dialled; the others are.
func TestRemovedNumbersLeaveTheBuffer(t *testing.T) {
	e := New(Config{})
	now := epoch
	mustStep(t, e, Event{At: now, Kind: EvCreateQueue, QueueSpec: &records.QueueSpec{ID: 1}})
	mustStep(t, e, Event{At: now, Kind: EvCreateAgent, AgentSpec: &records.AgentSpec{ID: 1, Phone: "1001"}})
	mustStep(t, e, Event{At: now, Kind: EvSignIn, Agent: 1, Queue: 1})
	mustStep(t, e, Event{At: now, Kind: EvAgentLogin, Agent: 1})
	mustStep(t, e, Event{At: now, Kind: EvCreateTask, TaskSpec: &records.TaskSpec{ID: 1, Queue: 1}})
	mustStep(t, e, Event{At: now, Kind: EvStartTask, Task: 1})
	// Originates returns the phones dialled since the last call.
	originates := func() map[string]records.CallID {
		rd := e.Ready()
		out := map[string]records.CallID{}
		for _, c := range rd.Commands {
			if c.Kind == CmdOriginate {
				out[c.Phone] = c.Call
			}
		}
		e.Advance(rd)
		return out
	}
	originates()
	mustStep(t, e, Event{At: now, Kind: EvNumbers, Task: 1, Numbers: []records.Number{
		{ID: 1, Task: 1, Phone: "+14155550001"}, {ID: 2, Task: 1, Phone: "+14155550002"}, {ID: 3, Task: 1, Phone: "+14155550003"}}})
	first := originates()
	if len(first) != 1 {
		t.Fatalf("one agent, %d calls placed: %v", len(first), first)
	}
	call, ok := first["+14155550001"]
	if !ok {
		t.Fatalf("the first number not dialled first: %v", first)
	}
	mustStep(t, e, Event{At: now, Kind: EvRemoveNumbers, Task: 1, Numbers: []records.Number{{Phone: "+14155550002"}, {Phone: "+14155550001"}}})
	mustStep(t, e, Event{At: now, Kind: EvRemoveNumbers, Task: 99, Numbers: []records.Number{{Phone: "+14155550003"}}}) // no such task: nothing held
	now = now.Add(30 * time.Second)
	mustStep(t, e, Event{At: now, Kind: EvFailed, Call: call, Outcome: records.OutcomeNoAnswer})
	next := originates()
	if _, ok := next["+14155550002"]; ok {
		t.Fatalf("a removed number dialled: %v", next)
	}
	if _, ok := next["+14155550003"]; !ok || len(next) != 1 {
		t.Fatalf("after the first call, %v dialled, want the third number", next)
	}
}
