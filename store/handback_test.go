package store_test

import (
	"testing"
	"time"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
	"github.com/outpace-dev/outpace/store/storetest"
)

// TestHandBack: NextNumbers gives each number the zones the engine checks its
// window in, and a number the engine hands back unused (NumberPending with
// no call) is due again at its NextAt and keeps the outcome of its last
// attempt.
func TestHandBack(t *testing.T) {
	st, err := store.Open(store.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := storetest.T0
	task := store.Task{Spec: records.TaskSpec{Tenant: "acme"}, Window: records.AlwaysOpen}
	if err := st.CreateTask(&task); err != nil {
		t.Fatal(err)
	}
	id := task.Spec.ID
	nums := []records.Number{{Phone: "+14155550100", TZ: "America/Los_Angeles"}}
	if res, err := st.ImportNumbers(id, nums); err != nil || res.Stored != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	got, err := st.NextNumbers(id, t0, 1, nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("fetch %v %v", got, err)
	}
	if z := got[0].Zones; len(z) != 1 || z[0].String() != "America/Los_Angeles" {
		t.Fatalf("zones %v, want the number's own", z)
	}
	n := got[0].ID
	commit := func(u records.NumberUpdate) {
		t.Helper()
		u.Task, u.Number = id, n
		if _, err := st.Commit(records.Writes{Numbers: []records.NumberUpdate{u}}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	commit(records.NumberUpdate{At: t0, State: records.NumberDialing, Call: 7, Attempts: 1})
	commit(records.NumberUpdate{At: t0.Add(time.Minute), State: records.NumberPending, Call: 7, Attempts: 1,
		Outcome: records.OutcomeBusy, NextAt: t0.Add(time.Hour)})
	if got, err = st.NextNumbers(id, t0.Add(time.Hour), 1, nil); err != nil || len(got) != 1 {
		t.Fatalf("fetch of the retry %v %v", got, err)
	}
	back := t0.Add(5 * time.Hour)
	commit(records.NumberUpdate{At: t0.Add(time.Hour), State: records.NumberPending, Attempts: 1, NextAt: back})
	info, err := st.GetNumber(id, n)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != records.NumberPending || info.Outcome != records.OutcomeBusy || info.Call != 7 || info.Attempts != 1 {
		t.Fatalf("after the hand-back: %+v", info)
	}
	if got, err = st.NextNumbers(id, back.Add(-time.Second), 1, nil); err != nil || len(got) != 0 {
		t.Fatalf("handed back number given out before its time: %v %v", got, err)
	}
	if got, err = st.NextNumbers(id, back, 1, nil); err != nil || len(got) != 1 {
		t.Fatalf("handed back number not due at its time: %v %v", got, err)
	}
}
