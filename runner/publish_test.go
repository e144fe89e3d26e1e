package runner_test

import (
	"context"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/sim/simtest"
	"github.com/outpace-dev/outpace/store"
)

// TestIdleSnapshot checks that a runner going idle publishes what it did,
// even within 100 ms of the last snapshot, and that an idle runner then
// publishes nothing more: the clock stands still and no input comes.
func TestIdleSnapshot(t *testing.T) {
	dir := campaignDir(t, 20)
	h := newHarness(t, dir, runner.NewManual(start), 1, false)
	h.flush() // a snapshot now: the pause below comes within 100 ms of it
	if err := h.r.Submit(h.ctx, engine.Event{Kind: engine.EvPauseTask, Task: 1}); err != nil {
		t.Fatal(err)
	}
	// Submit returns once the pause is durable; the loop goes idle just
	// after.
	deadline := time.Now().Add(10 * time.Second)
	for h.stats().Status != records.TaskPaused {
		if time.Now().After(deadline) {
			t.Fatalf("an idle runner's snapshot still says %v after 10 s", h.stats().Status)
		}
		time.Sleep(time.Millisecond)
	}
	s := h.r.Snapshot()
	time.Sleep(300 * time.Millisecond)
	if h.r.Snapshot() != s {
		t.Error("an idle runner published a snapshot with nothing new")
	}
}

// TestInterruptedPublished checks that the calls a hard stop left in
// flight, which the next start's Recover closes, are told like any other
// end of a call: EventReleased and EventCallDeleted with the "interrupted"
// record reach the event log and a subscriber, and the records reach the
// subscriber too.
func TestInterruptedPublished(t *testing.T) {
	dir := campaignDir(t, 200)
	clock := runner.NewManual(start)
	h := newHarness(t, dir, clock, 1, false)
	h.advance(time.Minute)
	if h.r.Snapshot().ActiveCalls == 0 {
		t.Fatal("no call in flight to interrupt")
	}
	h.stop() // a hard stop: the calls in flight stay Dialing

	bst, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	last, err := bst.LastSeq("t")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sim.ParseScenario([]byte(simtest.World), worldSets, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := bst.GetQueue("t", 1)
	if err != nil {
		t.Fatal(err)
	}
	r := runner.New(runner.Config{Store: bst, Backend: sim.NewLive(sc, 2, q.Members, true, clock), Clock: clock, Seed: 2})
	sub, unsubscribe := r.Subscribe(4096)
	defer unsubscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	page, err := bst.QueryRecords(store.RecordQuery{Tenant: "t", Limit: store.MaxPage, Peek: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[records.CallID]bool{}
	for _, rec := range page.Records {
		if rec.Disposition == store.DispositionInterrupted {
			want[rec.Call] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("the restart closed no interrupted call")
	}

	recs, deleted := map[records.CallID]bool{}, map[records.CallID]bool{}
	for more := true; more; {
		select {
		case p := <-sub:
			for _, rec := range p.Records {
				if rec.Disposition == store.DispositionInterrupted {
					recs[rec.Call] = true
				}
			}
			for i, ev := range p.Events {
				if ev.Name != records.EventCallDeleted || !want[ev.Call] {
					continue
				}
				if ev.Record == nil || ev.Record.Disposition != store.DispositionInterrupted || i >= len(p.Seqs) || p.Seqs[i] <= last {
					t.Errorf("call %d: EventCallDeleted with record %+v, seq past %d: %v", ev.Call, ev.Record, last, p.Seqs)
				}
				deleted[ev.Call] = true
			}
		default:
			more = false
		}
	}
	logged := map[records.CallID]bool{}
	evs, err := bst.ReadEvents("t", last+1, 1<<16, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Name == records.EventCallDeleted && ev.Record != nil && ev.Record.Disposition == store.DispositionInterrupted {
			logged[ev.Call] = true
		}
	}
	for call := range want {
		if !recs[call] || !deleted[call] || !logged[call] {
			t.Errorf("interrupted call %d: record published %t, EventCallDeleted published %t, in the event log %t",
				call, recs[call], deleted[call], logged[call])
		}
	}
}
