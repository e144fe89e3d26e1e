package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
)

// TestServeRestart runs the server on Badger in a temp dir with the simulated
// backend, stops it, starts it again, and checks that the campaign went on from
// the store: numbers dialled in the first run are not handed out again, and the
// call records of both runs are there.
func TestServeRestart(t *testing.T) {
	dir := t.TempDir()
	run := func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		var out, errb bytes.Buffer
		c := &cobra.Command{}
		c.SetOut(&out)
		c.SetErr(&errb)
		f := serveFlags{data: dir, speed: 1200, numbers: 1200, every: 500 * time.Millisecond, metrics: "127.0.0.1:0", sets: []string{"task.pacing.mode=ratio", "task.pacing.ratio=2:3"}}
		if err := serve(ctx, nil, f, c); err != nil {
			t.Fatalf("serve: %v\n%s", err, errb.String())
		}
		return out.String() + errb.String()
	}
	first := run()
	if !strings.Contains(first, "creating the demo campaign") || !strings.Contains(first, "occupancy") {
		t.Fatalf("first run:\n%s", first)
	}
	second := run()
	if strings.Contains(second, "creating the demo campaign") {
		t.Fatalf("second run created the campaign again:\n%s", second)
	}

	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tasks, err := st.ListTasks(demoTenant)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks: %v %v", tasks, err)
	}
	if tasks[0].Status != records.TaskRunning {
		t.Fatalf("task status %v, want running", tasks[0].Status)
	}
	seen := map[string]int{} // by phone: a number is dialled again on its alternative
	var records, interrupted, alternatives int
	q := store.RecordQuery{Tenant: demoTenant, Limit: store.MaxPage, Sync: store.SyncAll, Peek: true}
	for {
		page, err := st.QueryRecords(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			records++
			if r.Disposition == store.DispositionInterrupted {
				interrupted++
			} else {
				seen[r.Called]++
				if strings.HasPrefix(r.Called, "+14153") {
					alternatives++
				}
			}
		}
		if q.SearchAfter = page.SearchAfter; q.SearchAfter == "" {
			break
		}
	}
	if records == 0 {
		t.Fatal("no call records after two runs")
	}
	for phone, k := range seen {
		if k > 1 {
			t.Errorf("%s dialled %d times across a restart", phone, k)
		}
	}
	if alternatives == 0 {
		t.Error("no alternative phone dialled: the demo's retry policy gives up on every unanswered phone")
	}
	t.Logf("%d records (%d interrupted by the stop), %d phones, %d of them alternatives", records, interrupted, len(seen), alternatives)
}

// TestServeSkipsBlacklisted checks the do-not-call lists at dial time: numbers
// blacklisted after the import (for the tenant or for the task) are never
// dialled, and are recorded as skipped with NoCallReasonCode 2.
func TestServeSkipsBlacklisted(t *testing.T) {
	dir := t.TempDir()
	quiet := func() *cobra.Command {
		c := &cobra.Command{}
		c.SetOut(&bytes.Buffer{})
		c.SetErr(&bytes.Buffer{})
		return c
	}
	f := serveFlags{data: dir, speed: 600, numbers: 40, every: time.Hour,
		sets: []string{"task.pacing.mode=progressive", "agents.count=5"}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // create the campaign only
	if err := serve(ctx, nil, f, quiet()); err != nil {
		t.Fatal(err)
	}
	phone := func(i int) string { return fmt.Sprintf("+1415%07d", 2000000+i) }
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// The campaign's first calls went out when it was created: blacklist
	// numbers further down the list.
	if err := st.Blacklist(demoTenant, 0, phone(30), phone(31), phone(32)); err != nil {
		t.Fatal(err)
	}
	if err := st.Blacklist(demoTenant, 1, phone(33)); err != nil {
		t.Fatal(err)
	}
	st.Close()

	ctx, cancel = context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := serve(ctx, nil, f, quiet()); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dialled := 0
	for i := 0; i < 40; i++ {
		n, err := st.FindNumber(1, phone(i))
		if err != nil {
			t.Fatal(err)
		}
		if i >= 30 && i < 34 {
			if n.State != records.NumberSkipped || n.Reason != records.NoCallBlacklisted || n.Call != 0 {
				t.Errorf("blacklisted %s: state %d reason %d call %d", phone(i), n.State, n.Reason, n.Call)
			}
		} else if n.Call != 0 {
			dialled++
		}
	}
	if dialled == 0 {
		t.Fatal("no number was dialled")
	}
}

// TestServeDrain stops the server the way Ctrl-C does: no new call, the calls
// in flight run to their end, and the next start finds none to close. A
// second signal (now) stops it at once, and the next start then closes the
// calls it left with a record.
func TestServeDrain(t *testing.T) {
	dir := t.TempDir()
	run := func(f serveFlags, now chan struct{}) string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if now != nil {
			go func() {
				<-ctx.Done()
				close(now)
			}()
		}
		var out bytes.Buffer
		c := &cobra.Command{}
		c.SetOut(&out)
		c.SetErr(&out)
		if err := serve(ctx, now, f, c); err != nil {
			t.Fatalf("serve: %v\n%s", err, out.String())
		}
		return out.String()
	}
	interrupted := func() int {
		st, err := store.Open(store.Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rs, err := st.Recover(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		tasks, err := st.ListTasks(demoTenant)
		if err != nil || len(tasks) != 1 || tasks[0].Status != records.TaskRunning {
			t.Fatalf("after the stop: tasks %v (%v), want one running", tasks, err)
		}
		return len(rs.Interrupted)
	}
	f := serveFlags{data: dir, speed: 600, numbers: 2000, every: time.Hour, drain: time.Minute,
		sets: []string{"task.pacing.mode=progressive", "agents.count=5"}}
	out := run(f, nil)
	if !strings.Contains(out, "stopping: no new call") || !strings.Contains(out, "calls_in_flight=0") {
		t.Fatalf("drained run:\n%s", out)
	}
	if n := interrupted(); n != 0 {
		t.Errorf("%d calls left in flight by a drained stop", n)
	}

	// In real time the calls last minutes: the second signal cuts the drain short.
	f.speed = 1
	out = run(f, make(chan struct{}))
	if strings.Contains(out, "calls_in_flight=0") {
		t.Fatalf("a run stopped at once after a second left no call in flight:\n%s", out)
	}
	if n := interrupted(); n == 0 {
		t.Error("the calls of a run stopped at once were not closed on the next start")
	}
}
