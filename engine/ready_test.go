package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/fsm"
	"github.com/outpace-dev/outpace/records"
)

func mustStep(t *testing.T, e *Engine, ev Event) {
	t.Helper()
	if err := e.Step(ev); err != nil {
		t.Fatalf("step %d: %v", ev.Kind, err)
	}
}

func cloneReady(rd Ready) Ready {
	return Ready{
		Numbers:   slices.Clone(rd.Numbers),
		Records:   slices.Clone(rd.Records),
		Tasks:     slices.Clone(rd.Tasks),
		Commands:  slices.Clone(rd.Commands),
		Events:    slices.Clone(rd.Events),
		Decisions: slices.Clone(rd.Decisions),
	}
}

// TestStepBetweenReadyAndAdvance holds a Ready while more events are stepped:
// the Ready in hand does not change, Advance drops only what it held, and
// what the later steps produced (a task created, an Originate and the number
// it dials) comes with the next Ready.
func TestStepBetweenReadyAndAdvance(t *testing.T) {
	e := New(Config{CTIEvents: true})
	now := epoch
	mustStep(t, e, Event{At: now, Kind: EvCreateQueue, QueueSpec: &records.QueueSpec{ID: 1}})
	mustStep(t, e, Event{At: now, Kind: EvCreateAgent, AgentSpec: &records.AgentSpec{ID: 1, Phone: "1001"}})
	mustStep(t, e, Event{At: now, Kind: EvSignIn, Agent: 1, Queue: 1})
	mustStep(t, e, Event{At: now, Kind: EvAgentLogin, Agent: 1})
	// Enough tasks that the engine's buffers have room to spare after
	// Advance: the later steps then append into the same arrays.
	for id := records.TaskID(10); id < 30; id++ {
		mustStep(t, e, Event{At: now, Kind: EvCreateTask, TaskSpec: &records.TaskSpec{ID: id, Queue: 1}})
	}
	e.Advance(e.Ready())

	mustStep(t, e, Event{At: now, Kind: EvCreateTask, TaskSpec: &records.TaskSpec{ID: 1, Queue: 1}})
	rd := e.Ready()
	held := cloneReady(rd)
	if len(rd.Tasks) != 1 || rd.Tasks[0].Task != 1 || rd.Tasks[0].Status != records.TaskCreated {
		t.Fatalf("first Ready: %+v", rd.Tasks)
	}

	now = now.Add(time.Second)
	mustStep(t, e, Event{At: now, Kind: EvCreateTask, TaskSpec: &records.TaskSpec{ID: 2, Queue: 1}})
	mustStep(t, e, Event{At: now, Kind: EvStartTask, Task: 2})
	mustStep(t, e, Event{At: now, Kind: EvNumbers, Task: 2, Numbers: []records.Number{{ID: 7, Task: 2, Phone: "+14155550123"}}})
	if !reflect.DeepEqual(rd, held) {
		t.Fatalf("the Ready in hand changed while stepping:\nheld %+v\nnow  %+v", held, rd)
	}
	e.Advance(rd)

	if !e.HasReady() {
		t.Fatal("what was stepped between Ready and Advance is lost")
	}
	next := e.Ready()
	var created, running, originate, dialing bool
	for _, u := range next.Tasks {
		switch {
		case u.Task == 1:
			t.Errorf("the advanced update of task 1 came again: %+v", u)
		case u.Task == 2 && u.Status == records.TaskCreated:
			created = true
		case u.Task == 2 && u.Status == records.TaskRunning:
			running = true
		}
	}
	for _, c := range next.Commands {
		if c.Kind == CmdOriginate && c.Number == 7 && c.Phone == "+14155550123" {
			originate = true
		}
	}
	for _, u := range next.Numbers {
		if u.Number == 7 && u.State == records.NumberDialing {
			dialing = true
		}
	}
	if !created || !running || !originate || !dialing {
		t.Fatalf("next Ready lacks something (created %t running %t originate %t dialing %t): %+v",
			created, running, originate, dialing, next)
	}
	if len(next.Events) == 0 || next.Events[0].Name != records.EventCallCreated {
		t.Fatalf("next Ready's events: %+v", next.Events)
	}
	e.Advance(next)
	if e.HasReady() {
		t.Fatalf("left over after the last Advance: %+v", e.Ready())
	}
}

// TestReadyTwiceBeforeAdvance: a second Ready before Advance returns all that
// is not advanced, the earlier output first.
func TestReadyTwiceBeforeAdvance(t *testing.T) {
	e := New(Config{})
	mustStep(t, e, Event{At: epoch, Kind: EvCreateQueue, QueueSpec: &records.QueueSpec{ID: 1}})
	mustStep(t, e, Event{At: epoch, Kind: EvCreateTask, TaskSpec: &records.TaskSpec{ID: 1, Queue: 1}})
	first := e.Ready()
	mustStep(t, e, Event{At: epoch, Kind: EvCreateTask, TaskSpec: &records.TaskSpec{ID: 2, Queue: 1}})
	second := e.Ready()
	if len(first.Tasks) != 1 || len(second.Tasks) != 2 || second.Tasks[0].Task != 1 || second.Tasks[1].Task != 2 {
		t.Fatalf("first %+v, second %+v", first.Tasks, second.Tasks)
	}
	e.Advance(second)
	if e.HasReady() {
		t.Fatal("Advance of the latest Ready left something")
	}
}

func TestAdvanceTwicePanics(t *testing.T) {
	e := New(Config{})
	mustStep(t, e, Event{At: epoch, Kind: EvCreateQueue, QueueSpec: &records.QueueSpec{ID: 1}})
	mustStep(t, e, Event{At: epoch, Kind: EvCreateTask, TaskSpec: &records.TaskSpec{ID: 1, Queue: 1}})
	rd := cloneReady(e.Ready())
	e.Advance(rd)
	mustStep(t, e, Event{At: epoch, Kind: EvCreateTask, TaskSpec: &records.TaskSpec{ID: 2, Queue: 1}})
	defer func() {
		if recover() == nil {
			t.Fatal("a Ready advanced twice did not panic")
		}
	}()
	e.Advance(rd)
}

// TestRejectedStepChangesNothing runs two engines through the same seeded
// world; one of them is also given rejected inputs, each later than every
// event so far. Both must produce the same output, step for step: a rejected
// input moves neither the engine's time nor anything else.
func TestRejectedStepChangesNothing(t *testing.T) {
	for _, mode := range []records.PacingMode{records.ModeProgressive, records.ModeRatio, records.ModePredictive,
		records.ModeVicidial, records.ModeIssabel, records.ModeClosedForm, records.ModeTable} {
		t.Run(string(mode), func(t *testing.T) {
			seed := uint64(7)
			a := newWorld(seed, mode)
			b := newWorld(seed, mode)
			rng := rand.New(rand.NewPCG(seed, 99))
			for i := 0; i < 20000 && len(a.pending) > 0; i++ {
				ev := a.pop()
				b.pop()
				a.step(t, ev)
				b.step(t, ev)
				if !reflect.DeepEqual(a.last, b.last) {
					t.Fatalf("step %d (%d at %s): outputs differ\nwith rejects %+v\nwithout      %+v", i, ev.Kind, ev.At, a.last, b.last)
				}
				if rng.IntN(3) == 0 {
					bad := a.invalid(rng)
					bad.At = ev.At.Add(time.Hour)
					before := a.e.Now()
					if err := a.e.Step(bad); err == nil {
						t.Fatalf("step %d: invalid %+v accepted", i, bad)
					}
					if a.e.Now() != before || a.e.HasReady() {
						t.Fatalf("step %d: rejected %+v moved time to %s or produced output", i, bad, a.e.Now())
					}
				}
			}
			if a.dials < 100 {
				t.Fatalf("only %d dials", a.dials)
			}
		})
	}
}

// world is a small scripted carrier and team around one engine: every call
// is answered live or fails, connected calls talk for a random time, timers
// fire when due. Its randomness is its own, seeded.
type world struct {
	e       *Engine
	rng     *rand.Rand
	now     time.Time
	pending []Event // sorted by At, stable
	nextNum records.NumberID
	ringing []records.CallID // calls with no outcome yet
	talking []records.CallID
	dials   int
	last    Ready // a copy of the latest Ready
}

func newWorld(seed uint64, mode records.PacingMode) *world {
	w := &world{
		e:   New(Config{Rand: rand.New(rand.NewPCG(seed, 1)), CTIEvents: true, FetchBatch: 16}),
		rng: rand.New(rand.NewPCG(seed, 2)),
		now: epoch,
	}
	w.push(Event{Kind: EvCreateQueue, QueueSpec: &records.QueueSpec{ID: 1}})
	w.push(Event{Kind: EvCreateTask, TaskSpec: &records.TaskSpec{
		ID: 1, Queue: 1, Pacing: records.PacingConfig{Mode: mode, Ratio: "2:3", Table: []int{1, 2, 4, 6, 8, 10}},
		ACWTimeout: 5 * time.Second, Window: records.AlwaysOpen,
	}})
	for i := records.AgentID(1); i <= 5; i++ {
		w.push(Event{Kind: EvCreateAgent, AgentSpec: &records.AgentSpec{ID: i}})
		w.push(Event{Kind: EvSignIn, Agent: i, Queue: 1})
		w.push(Event{Kind: EvAgentLogin, Agent: i})
	}
	w.push(Event{Kind: EvStartTask, Task: 1})
	return w
}

func (w *world) push(ev Event) {
	if ev.At.IsZero() {
		ev.At = w.now
	}
	i, _ := slices.BinarySearchFunc(w.pending, ev.At, func(p Event, at time.Time) int {
		if p.At.After(at) {
			return 1
		}
		return -1 // equal times stay in push order
	})
	w.pending = slices.Insert(w.pending, i, ev)
}

func (w *world) pop() Event {
	ev := w.pending[0]
	w.pending = w.pending[1:]
	return ev
}

func (w *world) after(d time.Duration) time.Time {
	return w.now.Add(time.Duration(w.rng.Int64N(int64(d)) + int64(time.Millisecond)))
}

func (w *world) step(t *testing.T, ev Event) {
	t.Helper()
	w.now = ev.At
	if err := w.e.Step(ev); err != nil {
		t.Fatalf("valid event %d at %s rejected: %v", ev.Kind, ev.At, err)
	}
	rd := w.e.Ready()
	w.last = cloneReady(rd)
	for _, c := range rd.Commands {
		switch c.Kind {
		case CmdOriginate:
			w.dials++
			w.ringing = append(w.ringing, c.Call)
			if w.rng.IntN(3) == 0 {
				w.push(Event{At: w.after(20 * time.Second), Kind: EvAnswered, Call: c.Call, Outcome: records.OutcomeLive})
			} else {
				w.push(Event{At: w.after(20 * time.Second), Kind: EvFailed, Call: c.Call, Outcome: records.OutcomeNoAnswer})
			}
		case CmdConnect:
			w.talking = append(w.talking, c.Call)
			at := w.after(3 * time.Second)
			w.push(Event{At: at, Kind: EvAgentAnswered, Call: c.Call})
			w.push(Event{At: at.Add(time.Duration(w.rng.IntN(120)+1) * time.Second), Kind: EvHangup, Call: c.Call, Side: SideCustomer})
		case CmdSetTimer:
			w.push(Event{At: c.At, Kind: EvTimer, Timer: c.Timer})
		case CmdFetchNumbers:
			nums := make([]records.Number, c.Count)
			for i := range nums {
				w.nextNum++
				nums[i] = records.Number{ID: w.nextNum, Task: c.Task, Phone: fmt.Sprintf("+1415555%04d", w.nextNum%10000)}
			}
			w.push(Event{Kind: EvNumbers, Task: c.Task, Numbers: nums})
		}
	}
	for _, r := range rd.Records {
		w.ringing = slices.DeleteFunc(w.ringing, func(c records.CallID) bool { return c == r.Call })
		w.talking = slices.DeleteFunc(w.talking, func(c records.CallID) bool { return c == r.Call })
	}
	w.e.Advance(rd)
}

// invalid returns an input the engine must reject in any state this world
// puts it in.
func (w *world) invalid(rng *rand.Rand) Event {
	ringing := func() records.CallID {
		for _, c := range w.ringing {
			if _, ok := w.e.calls[c]; ok && w.e.calls[c].stage == fsm.CallRinging {
				return c
			}
		}
		return 1 << 40
	}
	switch rng.IntN(13) {
	case 12:
		return Event{Kind: EvHangupRequest, Call: ringing(), Task: 99} // another task's call
	case 10:
		return Event{Kind: EvBlacklist}
	case 11:
		return Event{Kind: EvBlacklist, Blacklist: &BlacklistChange{Task: 1, Phones: []string{"+14155550001", ""}}}
	case 0:
		return Event{Kind: EvAnswered, Call: 1 << 40, Outcome: records.OutcomeLive}
	case 1:
		return Event{Kind: EvCreateQueue}
	case 2:
		return Event{Kind: EvStartTask, Task: 77}
	case 3:
		return Event{Kind: 200}
	case 4:
		return Event{Kind: EvAgentNotReady, Agent: 1, Reason: 3}
	case 5:
		return Event{Kind: EvHold, Call: ringing()}
	case 6:
		return Event{Kind: EvSignIn, Agent: 1, Queue: 99}
	case 7:
		return Event{Kind: EvCreateTask, TaskSpec: &records.TaskSpec{ID: 1, Queue: 1}}
	case 8:
		return Event{Kind: EvAgentAnswered, Call: ringing()}
	default:
		return Event{Kind: EvStartTask, Task: 1} // already running
	}
}
