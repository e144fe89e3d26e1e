package runner_test

import (
	"testing"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/store"
)

// TestIdleSnapshot checks that a runner going idle publishes what it did,
// even within 100 ms of the last snapshot, and that an idle runner then
// publishes nothing more: the clock stands still and no input comes.
func TestIdleSnapshot(t *testing.T) {
	dir := t.TempDir()
	bst, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	campaign(t, bst, 20, pacing.ModeRatio)
	bst.Close()
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
