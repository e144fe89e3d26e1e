package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/engine"
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
		f := serveFlags{data: dir, speed: 1200, numbers: 3000, every: 500 * time.Millisecond, metrics: "127.0.0.1:0", sets: []string{"task.pacing.mode=ratio", "task.pacing.ratio=2:3"}}
		if err := serve(ctx, f, c); err != nil {
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
	if tasks[0].Status != engine.TaskRunning {
		t.Fatalf("task status %v, want running", tasks[0].Status)
	}
	seen := map[engine.NumberID]int{}
	var records, interrupted int
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
				seen[r.Number]++
			}
		}
		if q.SearchAfter = page.SearchAfter; q.SearchAfter == "" {
			break
		}
	}
	if records == 0 {
		t.Fatal("no call records after two runs")
	}
	for n, k := range seen {
		if k > 1 {
			t.Errorf("number %d dialled %d times across a restart", n, k)
		}
	}
	t.Logf("%d records (%d interrupted by the stop), %d numbers", records, interrupted, len(seen))
}
