// Package storetest is the conformance suite of store.Store: every
// implementation runs Run and passes it.
package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
)

// T0 is the suite's "now": Monday 2 March 2026, 15:00 UTC. It is 10:00 in
// New York, 15:00 in London and midnight in Tokyo.
var T0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// Run runs the suite. open returns a new, empty store for one subtest; the
// suite closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, st store.Store)
	}{
		{"Tenants", testTenants},
		{"Credentials", testCredentials},
		{"Tasks", testTasks},
		{"QueuesAndAgents", testQueuesAgents},
		{"Import", testImport},
		{"ImportStream", testImportStream},
		{"NextNumbersOrder", testOrder},
		{"NextNumbersAfterDials", testAfterDials},
		{"CallingWindow", testWindow},
		{"DialUntil", testDialUntil},
		{"CommitContract", testCommit},
		{"NotAfter", testNotAfter},
		{"Alternatives", testAlternatives},
		{"Recover", testRecover},
		{"Blacklist", testBlacklist},
		{"Schedules", testSchedules},
		{"Respool", testRespool},
		{"CountNumbers", testCountNumbers},
		{"Dispositions", testDispositions},
		{"RecordQueries", testRecordQueries},
		{"Events", testEvents},
		{"Webhooks", testWebhooks},
		{"RemoveNumbers", testRemove},
		{"DeleteTask", testDeleteTask},
		{"Concurrent", testConcurrent},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := open(t)
			defer func() {
				if err := st.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			c.fn(t, st)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code apierr.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", code)
	}
	if got := apierr.CodeOf(err); got != code {
		t.Fatalf("error %v has code %v, want %v", err, got, code)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) || e.Field != field {
		t.Fatalf("error %v does not name field %q", err, field)
	}
}

func newTask(t *testing.T, st store.Store, tenant string, w records.Window) records.TaskID {
	t.Helper()
	task := store.Task{Spec: records.TaskSpec{Tenant: tenant, Name: "campaign"}, Window: w, Created: T0}
	must(t, st.CreateTask(&task))
	if task.Spec.ID == 0 {
		t.Fatal("CreateTask gave no ID")
	}
	return task.Spec.ID
}

func phones(nums []records.Number) []string {
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = n.Phone
	}
	return out
}

func fetch(t *testing.T, st store.Store, task records.TaskID, now time.Time, max int) []string {
	t.Helper()
	nums, err := st.NextNumbers(task, now, max, nil)
	must(t, err)
	return phones(nums)
}

func commit(t *testing.T, st store.Store, w records.Writes) []uint64 {
	t.Helper()
	seqs, err := st.Commit(w, nil, nil)
	must(t, err)
	return seqs
}

func ny(i int) string  { return fmt.Sprintf("+1212555%04d", i) }
func lon(i int) string { return fmt.Sprintf("+4420755%05d", i) }
func tyo(i int) string { return fmt.Sprintf("+8131234%04d", i) }

func testTenants(t *testing.T, st store.Store) {
	must(t, st.PutTenant(store.Tenant{ID: "acme", Name: "Acme", TZ: "Europe/Paris", Created: T0}))
	must(t, st.PutTenant(store.Tenant{ID: "beta"}))
	got, err := st.GetTenant("acme")
	must(t, err)
	if got.Name != "Acme" || got.TZ != "Europe/Paris" || !got.Created.Equal(T0) {
		t.Fatalf("GetTenant = %+v", got)
	}
	all, err := st.ListTenants()
	must(t, err)
	if len(all) != 2 || all[0].ID != "acme" || all[1].ID != "beta" {
		t.Fatalf("ListTenants = %+v", all)
	}
	if _, err := st.GetTenant("nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing tenant: %v", err)
	}
	wantCode(t, st.PutTenant(store.Tenant{ID: ""}), apierr.InvalidParams)
	wantField(t, st.PutTenant(store.Tenant{ID: "x", TZ: "Mars/Olympus"}), "tenant.tz")
}

func testCredentials(t *testing.T, st store.Store) {
	const secret = "s3cret-access-key-0001"
	must(t, st.SetCredential("acme", "app-1", secret))
	tenant, err := st.CheckCredentials("app-1", secret)
	must(t, err)
	if tenant != "acme" {
		t.Fatalf("tenant = %q", tenant)
	}
	for _, c := range [][2]string{{"app-1", "wrong-access-key-0001"}, {"app-2", secret}, {"app-1", ""}} {
		if _, err := st.CheckCredentials(c[0], c[1]); !errors.Is(err, store.ErrBadCredentials) {
			t.Fatalf("CheckCredentials(%q, %q) = %v, want ErrBadCredentials", c[0], c[1], err)
		}
	}
	wantField(t, st.SetCredential("acme", "app-3", "short"), "access_key")
	must(t, st.SetCredential("acme", "app-1", secret+"-rotated"))
	if _, err := st.CheckCredentials("app-1", secret); !errors.Is(err, store.ErrBadCredentials) {
		t.Fatal("the old secret still works after rotation")
	}
	must(t, st.DeleteCredential("app-1"))
	if _, err := st.CheckCredentials("app-1", secret+"-rotated"); !errors.Is(err, store.ErrBadCredentials) {
		t.Fatal("a deleted credential still works")
	}
}

func testTasks(t *testing.T, st store.Store) {
	a := newTask(t, st, "acme", records.Window{})
	b := newTask(t, st, "acme", records.AlwaysOpen)
	c := newTask(t, st, "beta", records.Window{})
	if a == b || b == c || a == c {
		t.Fatalf("task IDs %d %d %d are not distinct", a, b, c)
	}
	got, err := st.GetTask("acme", b)
	must(t, err)
	if got.Spec.ID != b || got.Status != records.TaskCreated || got.Window != records.AlwaysOpen || got.Spec.Name != "campaign" {
		t.Fatalf("GetTask = %+v", got)
	}
	_, err = st.GetTask("beta", a)
	wantCode(t, err, apierr.TaskNotExist)
	_, err = st.GetTask("acme", 999999)
	wantCode(t, err, apierr.TaskNotExist)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatal("TaskNotExist does not wrap ErrNotFound")
	}
	list, err := st.ListTasks("acme")
	must(t, err)
	if len(list) != 2 || list[0].Spec.ID != a || list[1].Spec.ID != b {
		t.Fatalf("ListTasks(acme) = %d tasks", len(list))
	}
	dup := store.Task{Spec: records.TaskSpec{ID: a, Tenant: "acme"}}
	wantField(t, st.CreateTask(&dup), "task.id")
	bad := store.Task{Spec: records.TaskSpec{Tenant: "acme"}, Window: records.Window{Days: [7]records.Hours{{From: 10 * time.Hour, To: 9 * time.Hour}}}}
	wantField(t, st.CreateTask(&bad), "task.window.days[0]")

	// Status changes arrive through Commit; UpdateTask keeps them.
	commit(t, st, records.Writes{Tasks: []records.TaskUpdate{{At: T0, Task: a, Status: records.TaskRunning}}})
	upd := store.Task{Spec: records.TaskSpec{ID: a, Tenant: "acme", Name: "renamed"}, Window: records.AlwaysOpen}
	must(t, st.UpdateTask(&upd))
	got, err = st.GetTask("acme", a)
	must(t, err)
	if got.Status != records.TaskRunning || got.Spec.Name != "renamed" || got.Window != records.AlwaysOpen || !got.Updated.Equal(T0) {
		t.Fatalf("after UpdateTask: %+v", got)
	}
	// The engine re-creating a stored task does not reset its status.
	commit(t, st, records.Writes{Tasks: []records.TaskUpdate{{At: T0, Task: a, Status: records.TaskCreated}}})
	if got, _ = st.GetTask("acme", a); got.Status != records.TaskRunning {
		t.Fatalf("status after a TaskCreated update = %v", got.Status)
	}
	wrong := store.Task{Spec: records.TaskSpec{ID: a, Tenant: "beta"}}
	wantCode(t, st.UpdateTask(&wrong), apierr.TaskNotExist)

	wantCode(t, st.DeleteTask("acme", a), apierr.TaskInProgress)
	commit(t, st, records.Writes{Tasks: []records.TaskUpdate{{At: T0.Add(time.Hour), Task: a, Status: records.TaskEnded}}})
	_, err = st.ImportNumbers(a, []records.Number{{Phone: ny(1)}})
	wantCode(t, err, apierr.TaskOver)
	wantCode(t, st.DeleteTask("beta", a), apierr.TaskNotExist)
	must(t, st.DeleteTask("acme", a))
	_, err = st.GetTask("acme", a)
	wantCode(t, err, apierr.TaskNotExist)
}

func testQueuesAgents(t *testing.T, st store.Store) {
	q := store.Queue{Spec: records.QueueSpec{Tenant: "acme", Name: "sales", Strategy: records.StrategyLongestIdle}}
	must(t, st.PutQueue(&q))
	if q.Spec.ID == 0 {
		t.Fatal("PutQueue gave no ID")
	}
	a1 := records.AgentSpec{Tenant: "acme", Name: "1001", Phone: "sip:1001"}
	a2 := records.AgentSpec{Tenant: "acme", Name: "1002", Priority: 2}
	must(t, st.PutAgent(&a1))
	must(t, st.PutAgent(&a2))
	if a1.ID == 0 || a1.ID == a2.ID {
		t.Fatalf("agent IDs %d %d", a1.ID, a2.ID)
	}
	q.Members = []records.AgentID{a1.ID, a2.ID}
	must(t, st.PutQueue(&q))
	got, err := st.GetQueue("acme", q.Spec.ID)
	must(t, err)
	if !slices.Equal(got.Members, q.Members) || got.Spec.Strategy != records.StrategyLongestIdle {
		t.Fatalf("GetQueue = %+v", got)
	}
	if _, err := st.GetQueue("beta", q.Spec.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another tenant's queue: %v", err)
	}
	steal := store.Queue{Spec: records.QueueSpec{ID: q.Spec.ID, Tenant: "beta"}}
	if err := st.PutQueue(&steal); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("overwriting another tenant's queue: %v", err)
	}
	ga, err := st.GetAgent("acme", a1.ID)
	must(t, err)
	if ga != a1 {
		t.Fatalf("GetAgent = %+v, want %+v", ga, a1)
	}
	_, err = st.GetAgent("beta", a1.ID)
	wantCode(t, err, apierr.NotFoundAgentID)
	agents, err := st.ListAgents("acme")
	must(t, err)
	queues, err := st.ListQueues("acme")
	must(t, err)
	if len(agents) != 2 || len(queues) != 1 {
		t.Fatalf("%d agents, %d queues", len(agents), len(queues))
	}
	must(t, st.DeleteAgent("acme", a2.ID))
	must(t, st.DeleteQueue("acme", q.Spec.ID))
	wantCode(t, st.DeleteAgent("acme", a2.ID), apierr.NotFoundAgentID)
	if _, err := st.GetQueue("acme", q.Spec.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("deleted queue still there")
	}
}

func testImport(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	nums := []records.Number{
		{Phone: ny(1), Priority: 3, Data: map[string]string{"userid": "u1", "memberid": "m1"}, Alternatives: []string{ny(101)}},
		{Phone: "0212555"},                 // not E.164
		{Phone: ny(2), TZ: "Asia/Tokyo"},   // explicit zone
		{Phone: ny(1)},                     // duplicate of entry 0
		{Phone: ny(3), TZ: "Nowhere/Else"}, // unknown zone
		{Phone: ny(4), NotBefore: T0, NotAfter: T0.Add(-time.Hour)},
		{Phone: ny(5), Alternatives: []string{"12"}},
		{Phone: lon(1), NotBefore: T0, NotAfter: T0.Add(time.Hour)},
	}
	res, err := st.ImportNumbers(task, nums)
	must(t, err)
	if res.Stored != 3 {
		t.Fatalf("stored %d, want 3: %+v", res.Stored, res)
	}
	wantInvalid := map[int]string{1: "phone", 4: "tz", 5: "not_after", 6: "alternatives[0]"}
	if len(res.Invalid) != len(wantInvalid) {
		t.Fatalf("invalid = %+v", res.Invalid)
	}
	for _, r := range res.Invalid {
		wantField(t, r.Err, wantInvalid[r.Index])
	}
	if len(res.Duplicates) != 1 || res.Duplicates[0].Index != 3 || res.Duplicates[0].Existing != nums[0].ID {
		t.Fatalf("duplicates = %+v (first ID %d)", res.Duplicates, nums[0].ID)
	}
	for _, i := range []int{0, 2, 7} {
		if nums[i].ID == 0 || nums[i].Task != task {
			t.Fatalf("entry %d got no ID: %+v", i, nums[i])
		}
	}
	if nums[1].ID != 0 || nums[3].ID != 0 {
		t.Fatal("a refused entry got an ID")
	}

	got, err := st.GetNumber(task, nums[0].ID)
	must(t, err)
	if got.Phone != ny(1) || got.Priority != 3 || got.Data["userid"] != "u1" || got.Data["memberid"] != "m1" ||
		!slices.Equal(got.Alternatives, []string{ny(101)}) || got.State != records.NumberPending || got.Attempts != 0 {
		t.Fatalf("GetNumber = %+v", got)
	}
	if got.TZ != "America/New_York" {
		t.Fatalf("TZ from the prefix = %q", got.TZ)
	}
	got, err = st.FindNumber(task, ny(2))
	must(t, err)
	if got.ID != nums[2].ID || got.TZ != "Asia/Tokyo" {
		t.Fatalf("FindNumber = %+v", got)
	}
	got, err = st.GetNumber(task, nums[7].ID)
	must(t, err)
	if !got.NotBefore.Equal(T0) || !got.NotAfter.Equal(T0.Add(time.Hour)) {
		t.Fatalf("times = %v %v", got.NotBefore, got.NotAfter)
	}
	if _, err := st.FindNumber(task, ny(9)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FindNumber of a missing phone: %v", err)
	}
	if _, err := st.GetNumber(task, 1<<40); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetNumber of a missing ID: %v", err)
	}

	// A second import sees the first.
	more := []records.Number{{Phone: ny(2)}, {Phone: ny(6)}}
	res, err = st.ImportNumbers(task, more)
	must(t, err)
	if res.Stored != 1 || len(res.Duplicates) != 1 || res.Duplicates[0].Existing != nums[2].ID {
		t.Fatalf("second import: %+v", res)
	}
	// Another task may have the same phone.
	other := newTask(t, st, "acme", records.AlwaysOpen)
	res, err = st.ImportNumbers(other, []records.Number{{Phone: ny(1)}})
	must(t, err)
	if res.Stored != 1 {
		t.Fatalf("same phone in another task: %+v", res)
	}
	_, err = st.ImportNumbers(424242, nums)
	wantCode(t, err, apierr.TaskNotExist)
}

func testImportStream(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	const n = 20000
	parseErr := errors.New("line 7: bad number")
	src := func(yield func(records.Number, error) bool) {
		for i := range n {
			var num records.Number
			var err error
			switch {
			case i == 7:
				err = parseErr
			case i == 12000:
				num.Phone = fmt.Sprintf("+1415%07d", 3) // a duplicate two chunks later
			default:
				num.Phone = fmt.Sprintf("+1415%07d", i)
			}
			if !yield(num, err) {
				return
			}
		}
	}
	var prog []store.ImportProgress
	res, err := st.ImportStream(task, src, func(p store.ImportProgress) { prog = append(prog, p) })
	must(t, err)
	if res.Stored != n-2 || len(res.Invalid) != 1 || res.Invalid[0].Index != 7 || !errors.Is(res.Invalid[0].Err, parseErr) {
		t.Fatalf("stream import: stored %d, invalid %+v", res.Stored, res.Invalid)
	}
	if len(res.Duplicates) != 1 || res.Duplicates[0].Index != 12000 {
		t.Fatalf("duplicates %+v", res.Duplicates)
	}
	if len(prog) < 2 || prog[len(prog)-1].Stored != n-2 {
		t.Fatalf("progress %+v", prog)
	}
	for i := 1; i < len(prog); i++ {
		if prog[i].Stored <= prog[i-1].Stored || prog[i].Read < prog[i].Stored {
			t.Fatalf("progress not increasing: %+v", prog)
		}
	}
	// Every stored number can be found by ID and is handed out exactly once.
	seen := make(map[records.NumberID]bool)
	var buf []records.Number
	for {
		buf, err = st.NextNumbers(task, T0, 1000, buf)
		must(t, err)
		if len(buf) == 0 {
			break
		}
		for _, num := range buf {
			if seen[num.ID] {
				t.Fatalf("number %d handed out twice", num.ID)
			}
			seen[num.ID] = true
		}
	}
	if len(seen) != n-2 {
		t.Fatalf("handed out %d numbers, want %d", len(seen), n-2)
	}
	got, err := st.FindNumber(task, "+14150019999")
	must(t, err)
	if _, err := st.GetNumber(task, got.ID); err != nil {
		t.Fatalf("GetNumber(%d) of an imported number: %v", got.ID, err)
	}
}

func testOrder(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	nums := []records.Number{
		{Phone: ny(1)}, // A: priority 0, due at once
		{Phone: ny(2), Priority: 5, NotBefore: T0.Add(-time.Hour)},      // B
		{Phone: ny(3), Priority: 5, NotBefore: T0.Add(-2 * time.Hour)},  // C: before B
		{Phone: ny(4), Callback: true, NotBefore: T0.Add(-time.Minute)}, // D: callback
		{Phone: ny(5), Priority: 10, NotBefore: T0.Add(time.Hour)},      // E: not due yet
		{Phone: ny(6), Priority: -3},                                    // F
		{Phone: ny(7)},                                                  // G: same as A, later ID
	}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	want := []string{ny(4), ny(3), ny(2), ny(1), ny(7), ny(6)}
	if got := fetch(t, st, task, T0, 100); !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	// Handed-out numbers are not handed out again.
	if got := fetch(t, st, task, T0, 100); len(got) != 0 {
		t.Fatalf("second fetch %v", got)
	}
	st.ReleaseNumbers(task)
	if got := fetch(t, st, task, T0, 2); !slices.Equal(got, want[:2]) {
		t.Fatalf("fetch 2 = %v", got)
	}
	if got := fetch(t, st, task, T0, 3); !slices.Equal(got, want[2:5]) {
		t.Fatalf("next 3 = %v", got)
	}
	st.ReleaseNumbers(task)
	want = []string{ny(4), ny(5), ny(3), ny(2), ny(1), ny(7), ny(6)}
	if got := fetch(t, st, task, T0.Add(2*time.Hour), 100); !slices.Equal(got, want) {
		t.Fatalf("later order %v, want %v", got, want)
	}
	got, err := st.NextNumbers(task, T0, 0, nil)
	must(t, err)
	if len(got) != 0 {
		t.Fatal("max 0 returned numbers")
	}
	_, err = st.NextNumbers(777777, T0, 10, nil)
	wantCode(t, err, apierr.TaskNotExist)
}

// testAfterDials checks selection while numbers come and go: a priority
// group whose numbers all wait for a retry is passed over, and numbers added
// anywhere (a new priority, a retry due at once) are seen at once.
func testAfterDials(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	var nums []records.Number
	for i := range 3 {
		nums = append(nums, records.Number{Phone: ny(100 + i), Priority: 5})
	}
	for i := range 40 {
		nums = append(nums, records.Number{Phone: ny(i)})
	}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	call := records.CallID(0)
	dial := func(want ...string) {
		t.Helper()
		got, err := st.NextNumbers(task, T0, len(want), nil)
		must(t, err)
		if !slices.Equal(phones(got), want) {
			t.Fatalf("fetch %v, want %v", phones(got), want)
		}
		var rd records.Writes
		for _, n := range got {
			call++
			rd.Numbers = append(rd.Numbers, records.NumberUpdate{At: T0, Task: task, Number: n.ID, State: records.NumberDialing, Call: call, Attempts: 1})
		}
		commit(t, st, rd)
	}
	dial(ny(100), ny(101), ny(102))
	var rd records.Writes
	for _, n := range nums[:3] { // busy: retry in an hour
		rd.Numbers = append(rd.Numbers, records.NumberUpdate{At: T0, Task: task, Number: n.ID, State: records.NumberPending,
			Outcome: records.OutcomeBusy, Attempts: 1, NextAt: T0.Add(time.Hour)})
	}
	commit(t, st, rd)
	for i := 0; i < 10; i += 2 {
		dial(ny(i), ny(i+1))
	}
	// A number of a priority between the two groups.
	_, err = st.ImportNumbers(task, []records.Number{{Phone: ny(200), Priority: 3}})
	must(t, err)
	dial(ny(200), ny(10))
	// A retry due now goes behind the fresh numbers of its group, a
	// callback ahead of everything.
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{{At: T0, Task: task, Number: nums[3].ID,
		State: records.NumberPending, Outcome: records.OutcomeNoAnswer, Attempts: 1, NextAt: T0.Add(-time.Minute)}}})
	_, err = st.ScheduleCallback(store.Schedule{Task: task, Phone: ny(300), At: T0.Add(-time.Second)})
	must(t, err)
	dial(ny(300), ny(11), ny(12))
	for i := 13; i < 40; i++ {
		dial(ny(i))
	}
	dial(ny(0))
	if got := fetch(t, st, task, T0, 10); len(got) != 0 {
		t.Fatalf("left before the retries are due: %v", got)
	}
	if got := fetch(t, st, task, T0.Add(time.Hour), 10); !slices.Equal(got, []string{ny(100), ny(101), ny(102)}) {
		t.Fatalf("retries %v", got)
	}
}

func testWindow(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.Window{}) // 08:00–21:00 local, every day
	nums := []records.Number{
		{Phone: ny(1)}, {Phone: lon(1)}, {Phone: tyo(1)},
		{Phone: ny(2), TZ: "Asia/Tokyo"}, // the number's own zone wins over its prefix
		{Phone: "+18005550123"},          // toll free: every North American zone at once
	}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	// 15:00 UTC: New York 10:00 and London 15:00 open, Tokyo 00:00 closed.
	got := fetch(t, st, task, T0, 100)
	slices.Sort(got)
	if want := []string{ny(1), lon(1)}; !slices.Equal(got, want) {
		t.Fatalf("at 15:00 UTC: %v, want %v", got, want)
	}
	st.ReleaseNumbers(task)
	// 01:00 UTC: New York 20:00 and Tokyo 10:00 open, London 01:00 closed.
	got = fetch(t, st, task, T0.Add(10*time.Hour), 100)
	slices.Sort(got)
	if want := []string{ny(1), ny(2), tyo(1)}; !slices.Equal(got, want) {
		t.Fatalf("at 01:00 UTC: %v, want %v", got, want)
	}
	// A toll-free number may be anywhere from Guam to Newfoundland: it is
	// called only when the window is open in every one of those zones, at
	// 22:00 UTC (Guam 08:00, Pago Pago 11:00, St John's 18:30) but not at
	// 21:00 UTC (Guam 07:00).
	st.ReleaseNumbers(task)
	for h, want := range map[int]bool{15: false, 21: false, 22: true, 23: true} {
		at := time.Date(2026, 3, 2, h, 0, 0, 0, time.UTC)
		got := slices.Contains(fetch(t, st, task, at, 100), "+18005550123")
		if got != want {
			t.Fatalf("toll-free number handed out at %v: %v, want %v", at, got, want)
		}
		st.ReleaseNumbers(task)
	}

	// A window closed on Mondays; Sunday's hours.
	var w records.Window
	for d := range w.Days {
		w.Days[d] = records.Hours{From: 9 * time.Hour, To: 17 * time.Hour}
	}
	w.Days[time.Monday] = records.Hours{}
	mon := newTask(t, st, "acme", w)
	_, err = st.ImportNumbers(mon, []records.Number{{Phone: lon(2)}})
	must(t, err)
	if got := fetch(t, st, mon, T0, 10); len(got) != 0 {
		t.Fatalf("handed out on a closed Monday: %v", got)
	}
	sun := T0.Add(-24 * time.Hour) // Sunday 15:00 London
	if got := fetch(t, st, mon, sun, 10); len(got) != 1 {
		t.Fatalf("Sunday 15:00: %v", got)
	}
	st.ReleaseNumbers(mon)
	if got := fetch(t, st, mon, sun.Add(2*time.Hour), 10); len(got) != 0 {
		t.Fatalf("Sunday 17:00 (closed): %v", got)
	}
	// Changing the window applies at once.
	upd := store.Task{Spec: records.TaskSpec{ID: mon, Tenant: "acme"}, Window: records.AlwaysOpen}
	must(t, st.UpdateTask(&upd))
	if got := fetch(t, st, mon, T0, 10); len(got) != 1 {
		t.Fatalf("after opening the window: %v", got)
	}
}

func testDialUntil(t *testing.T, st store.Store) {
	dialUntil := func(task records.TaskID, at time.Time) time.Time {
		t.Helper()
		end, err := st.DialUntil(task, at)
		must(t, err)
		return end
	}
	utc := func(day, h, m int) time.Time { return time.Date(2026, 3, day, h, m, 0, 0, time.UTC) }

	// 08:00–21:00 local. At 15:00 UTC on Monday London (15:00) and New York
	// (10:00 EST) are open; the day ends when New York closes, 02:00 UTC.
	two := newTask(t, st, "acme", records.Window{})
	_, err := st.ImportNumbers(two, []records.Number{{Phone: ny(1)}, {Phone: lon(1)}})
	must(t, err)
	if got, want := dialUntil(two, T0), utc(3, 2, 0); !got.Equal(want) {
		t.Fatalf("London and New York: %v, want %v", got, want)
	}
	if got := dialUntil(two, utc(3, 3, 0)); !got.IsZero() {
		t.Fatalf("at 03:00 UTC, closed everywhere: %v, want zero", got)
	}
	// From 08:00 GMT London alone until New York opens at 13:00 UTC.
	if got, want := dialUntil(two, utc(3, 8, 0)), utc(4, 2, 0); !got.Equal(want) {
		t.Fatalf("Tuesday 08:00 UTC: %v, want %v", got, want)
	}
	// A campaign with Tokyo as well follows the sun: Tokyo opens (23:00
	// UTC) before New York closes, London before Tokyo closes, New York
	// before London closes. Its day never ends.
	_, err = st.ImportNumbers(two, []records.Number{{Phone: tyo(1)}})
	must(t, err)
	if got := dialUntil(two, T0); !got.IsZero() {
		t.Fatalf("around the world: %v, want zero", got)
	}

	// Wall-clock hours on the day New York moves to summer time (Sunday 8
	// March 2026): 21:00 EDT is 01:00 UTC.
	nyc := newTask(t, st, "acme", records.Window{})
	_, err = st.ImportNumbers(nyc, []records.Number{{Phone: ny(2)}})
	must(t, err)
	if got, want := dialUntil(nyc, utc(8, 16, 0)), utc(9, 1, 0); !got.Equal(want) {
		t.Fatalf("on the change to summer time: %v, want %v", got, want)
	}

	// An evening shift that runs past midnight: Monday 18:00–24:00 and
	// Tuesday 00:00–06:00 in London.
	var w records.Window
	w.Days[time.Monday] = records.Hours{From: 18 * time.Hour, To: 24 * time.Hour}
	w.Days[time.Tuesday] = records.Hours{From: 0, To: 6 * time.Hour}
	night := newTask(t, st, "acme", w)
	_, err = st.ImportNumbers(night, []records.Number{{Phone: lon(2)}})
	must(t, err)
	if got, want := dialUntil(night, utc(2, 20, 0)), utc(3, 6, 0); !got.Equal(want) {
		t.Fatalf("night shift: %v, want %v", got, want)
	}
	if got := dialUntil(night, T0); !got.IsZero() {
		t.Fatalf("night shift before it opens: %v, want zero", got)
	}

	// A window open at all hours has no end of day.
	always := newTask(t, st, "acme", records.AlwaysOpen)
	_, err = st.ImportNumbers(always, []records.Number{{Phone: ny(3)}})
	must(t, err)
	if got := dialUntil(always, T0); !got.IsZero() {
		t.Fatalf("always open: %v, want zero", got)
	}
	if _, err := st.DialUntil(9999, T0); err == nil {
		t.Fatal("DialUntil of a task that does not exist: no error")
	}
}

func testCommit(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	nums := []records.Number{{Phone: ny(1)}, {Phone: ny(2)}, {Phone: ny(3)}}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	if got := fetch(t, st, task, T0, 10); len(got) != 3 {
		t.Fatalf("fetch %v", got)
	}
	n1, n2, n3 := nums[0].ID, nums[1].ID, nums[2].ID
	rec := records.CallRecord{Call: 1, Task: task, Number: n3, Called: ny(3), Start: T0, End: T0.Add(time.Minute),
		Outcome: records.OutcomeLive, Result: records.ResultBoth, Agent: 5}
	seqs := commit(t, st, records.Writes{
		Numbers: []records.NumberUpdate{
			{At: T0, Task: task, Number: n1, State: records.NumberDialing, Call: 2, Attempts: 1},
			{At: T0, Task: task, Number: n2, State: records.NumberPending, NextAt: T0.Add(time.Hour)},
			{At: T0, Task: task, Number: n3, State: records.NumberDialing, Call: 1, Attempts: 1},
			{At: T0.Add(time.Minute), Task: task, Number: n3, State: records.NumberDone, Call: 1, Outcome: records.OutcomeLive, Attempts: 1},
			{At: T0, Task: task, Number: 1 << 40, State: records.NumberDone}, // unknown: skipped
		},
		Records: []records.CallRecord{rec},
		Events: []records.CTIEvent{
			{Name: records.EventDialing, At: T0, Tenant: "acme", Task: task, Call: 2},
			{Name: records.EventDialing, At: T0, Task: task, Call: 1}, // tenant from the task
		},
	})
	if !slices.Equal(seqs, []uint64{1, 2}) {
		t.Fatalf("seqs %v", seqs)
	}
	st.ReleaseNumbers(task)
	if got := fetch(t, st, task, T0, 10); len(got) != 0 {
		t.Fatalf("dialing, done and not-yet-due numbers handed out: %v", got)
	}
	if got := fetch(t, st, task, T0.Add(2*time.Hour), 10); !slices.Equal(got, []string{ny(2)}) {
		t.Fatalf("after NextAt: %v", got)
	}
	for id, want := range map[records.NumberID]records.NumberState{n1: records.NumberDialing, n2: records.NumberPending, n3: records.NumberDone} {
		got, err := st.GetNumber(task, id)
		must(t, err)
		if got.State != want {
			t.Fatalf("number %d state %v, want %v", id, got.State, want)
		}
	}
	got, err := st.GetNumber(task, n3)
	must(t, err)
	if got.Attempts != 1 || got.Outcome != records.OutcomeLive || got.Call != 1 {
		t.Fatalf("done number %+v", got)
	}
	r, err := st.GetRecord("acme", 1)
	must(t, err)
	if r.Tenant != "acme" || r.Number != n3 || !r.Start.Equal(T0) || r.Result != records.ResultBoth || r.Agent != 5 {
		t.Fatalf("record %+v", r)
	}
	_, err = st.GetRecord("beta", 1)
	wantCode(t, err, apierr.NotFoundCallID)

	// The busy outcome of n1 reschedules it before n2.
	st.ReleaseNumbers(task)
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{
		{At: T0.Add(time.Minute), Task: task, Number: n1, State: records.NumberPending, Call: 2,
			Outcome: records.OutcomeBusy, Attempts: 1, NextAt: T0.Add(30 * time.Minute)},
	}})
	if got := fetch(t, st, task, T0.Add(2*time.Hour), 10); !slices.Equal(got, []string{ny(1), ny(2)}) {
		t.Fatalf("after the retry: %v", got)
	}
	got, err = st.GetNumber(task, n1)
	must(t, err)
	if got.Attempts != 1 || got.Outcome != records.OutcomeBusy || !got.NextAt.Equal(T0.Add(30*time.Minute)) {
		t.Fatalf("retried number %+v", got)
	}
	// Numbers handed out keep their attempts.
	nn, err := st.NextNumbers(task, T0.Add(3*time.Hour), 10, nil)
	must(t, err)
	st.ReleaseNumbers(task)
	nn, err = st.NextNumbers(task, T0.Add(3*time.Hour), 10, nn)
	must(t, err)
	if len(nn) != 2 || nn[0].ID != n1 || nn[0].Attempts != 1 {
		t.Fatalf("handed out %+v", nn)
	}
	// Skipped numbers leave the index for good.
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{
		{At: T0.Add(3 * time.Hour), Task: task, Number: n1, State: records.NumberSkipped, Reason: 2},
		{At: T0.Add(3 * time.Hour), Task: task, Number: n2, State: records.NumberDone},
	}})
	st.ReleaseNumbers(task)
	if got := fetch(t, st, task, T0.Add(5*time.Hour), 10); len(got) != 0 {
		t.Fatalf("finished numbers handed out: %v", got)
	}
	got, err = st.GetNumber(task, n1)
	must(t, err)
	if got.State != records.NumberSkipped || got.Reason != 2 || got.Attempts != 1 {
		t.Fatalf("skipped %+v", got)
	}
	// Empty writes write nothing and assign nothing.
	seqs, err = st.Commit(records.Writes{}, nil, []uint64{9})
	must(t, err)
	if !slices.Equal(seqs, []uint64{9}) {
		t.Fatalf("empty commit seqs %v", seqs)
	}
}

// testAlternatives: a number the retry policy gave up on comes back with its
// first alternative as its phone and no attempts, called while the window is
// open both in the number's zone and in the phone's (unless the number names
// its own zone, which then holds for every phone of it).
func testAlternatives(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.Window{}) // 08:00–21:00 local
	nums := []records.Number{
		{Phone: ny(1), Alternatives: []string{ny(2), lon(3)}},
		{Phone: ny(5), TZ: "America/New_York", Alternatives: []string{lon(6)}},
	}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	if got := fetch(t, st, task, T0, 10); len(got) != 2 {
		t.Fatalf("fetch %v", got)
	}
	st.ReleaseNumbers(task)
	giveUp := func(id records.NumberID, at time.Time) {
		t.Helper()
		commit(t, st, records.Writes{Numbers: []records.NumberUpdate{
			{At: at, Task: task, Number: id, State: records.NumberDialing, Call: 1, Attempts: 2},
			{At: at, Task: task, Number: id, State: records.NumberPending, Call: 1, Outcome: records.OutcomeNoAnswer,
				Attempts: 2, NextAt: at, NextPhone: true},
		}})
		st.ReleaseNumbers(task)
	}
	check := func(id records.NumberID, phone string, alts int) {
		t.Helper()
		got, err := st.GetNumber(task, id)
		must(t, err)
		if got.Phone != phone || got.Attempts != 0 || len(got.Alternatives) != alts || got.State != records.NumberPending {
			t.Fatalf("after giving up: %+v, want %s with %d alternatives left and no attempts", got, phone, alts)
		}
	}
	a, b := nums[0].ID, nums[1].ID
	giveUp(a, T0.Add(time.Minute))
	check(a, ny(2), 1)
	giveUp(a, T0.Add(2*time.Minute))
	check(a, lon(3), 0)
	giveUp(b, T0.Add(2*time.Minute))
	check(b, lon(6), 0)
	// 15:00 UTC: New York and London open, both handed out.
	if got := fetch(t, st, task, T0.Add(3*time.Minute), 10); !slices.Equal(got, []string{lon(3), lon(6)}) {
		t.Fatalf("at 15:03 UTC: %v", got)
	}
	st.ReleaseNumbers(task)
	// 01:00 UTC: London closed. The first number is now called in London's
	// window too; the second names New York as its zone.
	if got := fetch(t, st, task, T0.Add(10*time.Hour), 10); !slices.Equal(got, []string{lon(6)}) {
		t.Fatalf("at 01:00 UTC: %v", got)
	}
	st.ReleaseNumbers(task)
	// Nothing left to move to: the phone stays (the engine sends NumberDone
	// for a number without alternatives).
	giveUp(a, T0.Add(11*time.Hour))
	if got, err := st.GetNumber(task, a); err != nil || got.Phone != lon(3) || got.Attempts != 2 {
		t.Fatalf("with no alternative left: %+v, %v", got, err)
	}
	// The number is still found by the phone it was imported with.
	n, err := st.RemoveNumbers(task, []string{ny(1)})
	must(t, err)
	if n != 1 {
		t.Fatalf("removed %d by the first phone, want 1", n)
	}
}

func testNotAfter(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	nums := []records.Number{{Phone: ny(1), NotAfter: T0.Add(time.Minute)}, {Phone: ny(2)}}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	if got := fetch(t, st, task, T0.Add(2*time.Minute), 10); !slices.Equal(got, []string{ny(2)}) {
		t.Fatalf("fetch %v", got)
	}
	got, err := st.GetNumber(task, nums[0].ID)
	must(t, err)
	if got.State != records.NumberSkipped || got.Reason != store.ReasonExpired {
		t.Fatalf("expired number %+v", got)
	}
	st.ReleaseNumbers(task)
	if got := fetch(t, st, task, T0.Add(2*time.Minute), 10); !slices.Equal(got, []string{ny(2)}) {
		t.Fatalf("fetch after release %v", got)
	}
}

func testRecover(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	q := store.Queue{Spec: records.QueueSpec{Tenant: "acme", Name: "q"}}
	must(t, st.PutQueue(&q))
	a := records.AgentSpec{Tenant: "acme", Name: "1001"}
	must(t, st.PutAgent(&a))
	nums := []records.Number{{Phone: ny(1)}, {Phone: ny(2)}, {Phone: ny(3)}}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	fetch(t, st, task, T0, 10)
	commit(t, st, records.Writes{
		Numbers: []records.NumberUpdate{
			{At: T0, Task: task, Number: nums[0].ID, State: records.NumberDialing, Call: 7, Attempts: 1},
			{At: T0, Task: task, Number: nums[1].ID, State: records.NumberDialing, Call: 8, Attempts: 1},
		},
		Tasks: []records.TaskUpdate{{At: T0, Task: task, Status: records.TaskRunning}},
	})
	commit(t, st, records.Writes{
		Numbers: []records.NumberUpdate{{At: T0.Add(time.Second), Task: task, Number: nums[1].ID, State: records.NumberDone, Call: 8, Attempts: 1}},
		Records: []records.CallRecord{{Call: 8, Task: task, Number: nums[1].ID, Called: ny(2), Start: T0}},
	})
	now := T0.Add(time.Minute)
	rs, err := st.Recover(now)
	must(t, err)
	if len(rs.Tasks) != 1 || rs.Tasks[0].Spec.ID != task || rs.Tasks[0].Status != records.TaskRunning {
		t.Fatalf("recovered tasks %+v", rs.Tasks)
	}
	if len(rs.Queues) != 1 || len(rs.Agents) != 1 || rs.Agents[0].ID != a.ID {
		t.Fatalf("recovered %d queues, %d agents", len(rs.Queues), len(rs.Agents))
	}
	if rs.LastCall < 8 {
		t.Fatalf("LastCall %d < 8", rs.LastCall)
	}
	if len(rs.Interrupted) != 1 {
		t.Fatalf("interrupted %+v", rs.Interrupted)
	}
	in := rs.Interrupted[0]
	if in.Number != nums[0].ID || in.Call != 7 || in.Phone != ny(1) || !in.DialedAt.Equal(T0) || in.NextAt.Before(now) ||
		in.Record.Disposition != store.DispositionInterrupted {
		t.Fatalf("interrupted call %+v", in)
	}
	r, err := st.GetRecord("acme", 7)
	must(t, err)
	if r.Disposition != store.DispositionInterrupted || r.Number != nums[0].ID || r.Called != ny(1) || !r.Start.Equal(T0) {
		t.Fatalf("record of the interrupted call %+v", r)
	}
	got, err := st.GetNumber(task, nums[0].ID)
	must(t, err)
	if got.State != records.NumberPending || got.Attempts != 1 || !got.NextAt.Equal(in.NextAt) {
		t.Fatalf("interrupted number %+v", got)
	}
	// Leases end with the engine that held them: ny(3) is handed out again,
	// the interrupted number only once it is due.
	if got := fetch(t, st, task, now, 10); !slices.Equal(got, []string{ny(3)}) {
		t.Fatalf("after Recover: %v", got)
	}
	if got := fetch(t, st, task, in.NextAt, 10); !slices.Equal(got, []string{ny(1)}) {
		t.Fatalf("at NextAt: %v", got)
	}
	rs, err = st.Recover(now)
	must(t, err)
	if len(rs.Interrupted) != 0 {
		t.Fatalf("second Recover interrupted %+v", rs.Interrupted)
	}
}

func testBlacklist(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	other := newTask(t, st, "acme", records.AlwaysOpen)
	must(t, st.Blacklist("acme", 0, ny(1)))
	must(t, st.Blacklist("acme", task, ny(2), ny(3), ny(4)))
	check := func(tenant string, task records.TaskID, phone string, want bool) {
		t.Helper()
		got, err := st.Blacklisted(tenant, task, phone)
		must(t, err)
		if got != want {
			t.Fatalf("Blacklisted(%s, %d, %s) = %v", tenant, task, phone, got)
		}
	}
	check("acme", task, ny(1), true)
	check("acme", other, ny(1), true)
	check("acme", 0, ny(1), true)
	check("acme", task, ny(2), true)
	check("acme", other, ny(2), false)
	check("acme", 0, ny(2), false)
	check("beta", task, ny(1), false)
	check("acme", task, ny(9), false)
	must(t, st.Unblacklist("acme", task, ny(2), ny(3)))
	check("acme", task, ny(2), false)
	check("acme", task, ny(4), true)
	err := st.Blacklist("acme", task, ny(5), "555")
	wantField(t, err, "phones[1]")
	check("acme", task, ny(5), false) // all or none
	wantCode(t, st.Blacklist("beta", task, ny(5)), apierr.TaskNotExist)

	must(t, st.Blacklist("acme", 0, ny(10), ny(11), ny(12)))
	page, err := st.ListBlacklist("acme", 0, "", 2)
	must(t, err)
	if !slices.Equal(page, []string{ny(1), ny(10)}) {
		t.Fatalf("page 1 %v", page)
	}
	page, err = st.ListBlacklist("acme", 0, page[1], 10)
	must(t, err)
	if !slices.Equal(page, []string{ny(11), ny(12)}) {
		t.Fatalf("page 2 %v", page)
	}
}

func testSchedules(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	nums := []records.Number{{Phone: ny(1), Priority: 9}, {Phone: ny(2)}, {Phone: ny(3)}}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	// A new phone, and a list number turned into a callback.
	idNew, err := st.ScheduleCallback(store.Schedule{Task: task, Phone: ny(50), At: T0.Add(time.Hour), Data: map[string]string{"k": "v"}})
	must(t, err)
	id2, err := st.ScheduleCallback(store.Schedule{Task: task, Phone: ny(2), At: T0.Add(2 * time.Hour)})
	must(t, err)
	if id2 != nums[1].ID || idNew == 0 {
		t.Fatalf("schedule IDs %d %d", idNew, id2)
	}
	list, err := st.ListSchedules(task, time.Time{}, time.Time{})
	must(t, err)
	if len(list) != 2 || list[0].ID != idNew || list[1].ID != id2 || !list[0].Callback || list[0].Data["k"] != "v" {
		t.Fatalf("schedules %+v", list)
	}
	if list, _ := st.ListSchedules(task, T0.Add(90*time.Minute), T0.Add(3*time.Hour)); len(list) != 1 || list[0].ID != id2 {
		t.Fatalf("schedules in range %+v", list)
	}
	// Not before their time; then ahead of every list number.
	if got := fetch(t, st, task, T0, 10); !slices.Equal(got, []string{ny(1), ny(3)}) {
		t.Fatalf("before the callbacks: %v", got)
	}
	st.ReleaseNumbers(task)
	if got := fetch(t, st, task, T0.Add(3*time.Hour), 10); !slices.Equal(got, []string{ny(50), ny(2), ny(1), ny(3)}) {
		t.Fatalf("with the callbacks: %v", got)
	}
	st.ReleaseNumbers(task)

	// A callback scheduled during a call takes effect when the call ends.
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{{At: T0, Task: task, Number: nums[0].ID, State: records.NumberDialing, Call: 1, Attempts: 1}}})
	_, err = st.ScheduleCallback(store.Schedule{Task: task, Phone: ny(1), At: T0.Add(24 * time.Hour)})
	must(t, err)
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{{At: T0.Add(time.Minute), Task: task, Number: nums[0].ID, State: records.NumberDone, Call: 1, Attempts: 1}}})
	got, err := st.GetNumber(task, nums[0].ID)
	must(t, err)
	if got.State != records.NumberPending || !got.Callback || !got.NotBefore.Equal(T0.Add(24*time.Hour)) {
		t.Fatalf("callback during a call: %+v", got)
	}

	n, err := st.RemoveSchedules(task, ny(50), time.Time{}, time.Time{})
	must(t, err)
	if n != 1 {
		t.Fatalf("removed %d", n)
	}
	if _, err := st.FindNumber(task, ny(50)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("removed schedule still there")
	}
	n, err = st.RemoveSchedules(task, "", time.Time{}, T0.Add(3*time.Hour))
	must(t, err)
	if n != 1 {
		t.Fatalf("removed %d in range", n)
	}
	list, err = st.ListSchedules(task, time.Time{}, time.Time{})
	must(t, err)
	if len(list) != 1 || list[0].ID != nums[0].ID {
		t.Fatalf("left %+v", list)
	}
	_, err = st.ScheduleCallback(store.Schedule{Task: task, Phone: "bad", At: T0})
	wantField(t, err, "phone")
	_, err = st.ScheduleCallback(store.Schedule{Task: task, Phone: ny(60)})
	wantField(t, err, "at")

	// A number the engine holds, handed out and not yet dialled, is not
	// handed out again by a callback due now; its dial keeps the callback
	// when it is later.
	if got := fetch(t, st, task, T0.Add(time.Hour), 10); !slices.Equal(got, []string{ny(3)}) {
		t.Fatalf("fetched %v", got)
	}
	_, err = st.ScheduleCallback(store.Schedule{Task: task, Phone: ny(3), At: T0})
	must(t, err)
	if got := fetch(t, st, task, T0.Add(time.Hour), 10); len(got) != 0 {
		t.Fatalf("a number the engine holds was handed out again: %v", got)
	}
	_, err = st.ScheduleCallback(store.Schedule{Task: task, Phone: ny(3), At: T0.Add(48 * time.Hour)})
	must(t, err)
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{{At: T0.Add(time.Hour), Task: task, Number: nums[2].ID, State: records.NumberDialing, Call: 9, Attempts: 1}}})
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{{At: T0.Add(time.Hour + time.Minute), Task: task, Number: nums[2].ID, State: records.NumberDone, Call: 9, Attempts: 1}}})
	if got, _ := st.GetNumber(task, nums[2].ID); got.State != records.NumberPending || !got.NotBefore.Equal(T0.Add(48*time.Hour)) {
		t.Fatalf("the callback of a number dialled from the engine's buffer: %+v", got)
	}
	if got := fetch(t, st, task, T0.Add(49*time.Hour), 10); !slices.Equal(got, []string{ny(1), ny(3)}) { // ny(1)'s callback of above too
		t.Fatalf("the callbacks due: %v", got)
	}
}

func testRespool(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	nums := []records.Number{{Phone: ny(1)}, {Phone: ny(2)}, {Phone: ny(3)}}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	if got := fetch(t, st, task, T0, 10); len(got) != 3 {
		t.Fatalf("fetched %v", got)
	}
	// ny(1) finished, ny(2) in flight, ny(3) handed out and not yet dialled.
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{
		{At: T0, Task: task, Number: nums[0].ID, State: records.NumberDialing, Call: 1, Attempts: 1},
		{At: T0, Task: task, Number: nums[1].ID, State: records.NumberDialing, Call: 2, Attempts: 1}}})
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{
		{At: T0.Add(time.Minute), Task: task, Number: nums[0].ID, State: records.NumberDone, Call: 1, Attempts: 1, Outcome: records.OutcomeNoAnswer}}})

	id, err := st.Respool(store.Respool{Task: task, Phone: ny(1), Priority: 5, Alternatives: []string{ny(11)}, Data: map[string]string{"k": "v"}})
	must(t, err)
	got, err := st.GetNumber(task, id)
	must(t, err)
	if id != nums[0].ID || got.State != records.NumberPending || got.Attempts != 0 || got.Priority != 5 ||
		!slices.Equal(got.Alternatives, []string{ny(11)}) || got.Data["k"] != "v" {
		t.Fatalf("respooled %+v", got)
	}
	if got := fetch(t, st, task, T0.Add(time.Minute), 10); !slices.Equal(got, []string{ny(1)}) {
		t.Fatalf("after the respool: %v", got)
	}

	// A number handed out stays handed out, and its dial starts from the
	// respooled number: no second copy is left in the dialling order.
	_, err = st.Respool(store.Respool{Task: task, Phone: ny(3), Priority: 7})
	must(t, err)
	if got := fetch(t, st, task, T0.Add(time.Minute), 10); len(got) != 0 {
		t.Fatalf("a number handed out was handed out again: %v", got)
	}
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{
		{At: T0.Add(time.Minute), Task: task, Number: nums[2].ID, State: records.NumberDialing, Call: 3, Attempts: 1}}})
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{
		{At: T0.Add(2 * time.Minute), Task: task, Number: nums[2].ID, State: records.NumberDone, Call: 3, Attempts: 1}}})
	st.ReleaseNumbers(task)
	if got := fetch(t, st, task, T0.Add(time.Hour), 10); !slices.Equal(got, []string{ny(1)}) {
		t.Fatalf("after the dial of the number respooled while handed out: %v", got)
	}
	if got, _ := st.GetNumber(task, nums[2].ID); got.Priority != 7 || got.State != records.NumberDone {
		t.Fatalf("number respooled while handed out, then dialled: %+v", got)
	}

	_, err = st.Respool(store.Respool{Task: task, Phone: ny(2)})
	wantField(t, err, "phone") // being dialled
	if _, err := st.Respool(store.Respool{Task: task, Phone: ny(99)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("respool of an unknown phone: %v", err)
	}
	_, err = st.Respool(store.Respool{Task: task, Phone: ny(1), Alternatives: []string{"x"}})
	wantField(t, err, "alternatives[0]")
}

func testDispositions(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	nums := []records.Number{{Phone: ny(1)}}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	commit(t, st, records.Writes{
		Numbers: []records.NumberUpdate{{At: T0, Task: task, Number: nums[0].ID, State: records.NumberDone, Call: 3, Attempts: 1}},
		Records: []records.CallRecord{{Call: 3, Task: task, Number: nums[0].ID, Called: ny(1), Start: T0, Result: records.ResultBoth}},
	})
	d := store.Disposition{Levels: [3]string{"sale", "upsell", ""}, Comment: "call back", Agent: 4, At: T0,
		Reschedule: T0.Add(48 * time.Hour)}
	must(t, st.SetDisposition("acme", 3, d))
	r, err := st.GetRecord("acme", 3)
	must(t, err)
	if r.Disposition != "sale|upsell|" {
		t.Fatalf("record disposition %q", r.Disposition)
	}
	got, err := st.GetDisposition("acme", 3)
	must(t, err)
	if got.Comment != "call back" || got.Levels[1] != "upsell" || !got.Reschedule.Equal(d.Reschedule) {
		t.Fatalf("disposition %+v", got)
	}
	n, err := st.GetNumber(task, nums[0].ID)
	must(t, err)
	if n.State != records.NumberPending || !n.Callback || !n.NotBefore.Equal(d.Reschedule) {
		t.Fatalf("rescheduled number %+v", n)
	}
	wantCode(t, st.SetDisposition("acme", 99, d), apierr.NotFoundCallID)
	wantCode(t, st.SetDisposition("beta", 3, d), apierr.NotFoundCallID)
	wantField(t, st.SetDisposition("acme", 3, store.Disposition{}), "disposition.l1")
	_, err = st.GetDisposition("acme", 99)
	wantCode(t, err, apierr.NotFoundCallID)
}

func testRecordQueries(t *testing.T, st store.Store) {
	t1 := newTask(t, st, "acme", records.AlwaysOpen)
	t2 := newTask(t, st, "acme", records.AlwaysOpen)
	var recs []records.CallRecord
	for i := range 30 {
		r := records.CallRecord{
			Call: records.CallID(100 + i), Task: t1, Number: records.NumberID(1 + i%5), Called: ny(i % 5),
			Start: T0.Add(time.Duration(i) * time.Minute), Result: records.CallResult(i % 3),
		}
		if i%2 == 1 {
			r.Task = t2
		}
		if r.Result == records.ResultBoth {
			r.Agent = records.AgentID(1 + i%3)
		}
		recs = append(recs, r)
	}
	// Two records share a start time: the call ID orders them.
	recs[29].Start = recs[28].Start
	commit(t, st, records.Writes{Records: recs[:15]})
	commit(t, st, records.Writes{Records: recs[15:]})
	commit(t, st, records.Writes{Records: []records.CallRecord{{Call: 500, Tenant: "beta", Start: T0}}})

	all := func(q store.RecordQuery) []records.CallID {
		t.Helper()
		var out []records.CallID
		for pages := 0; ; pages++ {
			p, err := st.QueryRecords(q)
			must(t, err)
			for _, r := range p.Records {
				out = append(out, r.Call)
			}
			if p.SearchAfter == "" {
				return out
			}
			if pages > 100 {
				t.Fatal("cursor does not advance")
			}
			q.SearchAfter = p.SearchAfter
		}
	}
	calls := func(keep func(r *records.CallRecord) bool) []records.CallID {
		var out []records.CallID
		for i := range recs {
			if keep(&recs[i]) {
				out = append(out, recs[i].Call)
			}
		}
		return out
	}
	base := store.RecordQuery{Tenant: "acme", Peek: true, Limit: 7}
	for name, c := range map[string]struct {
		q    func(q *store.RecordQuery)
		keep func(r *records.CallRecord) bool
	}{
		"all": {func(q *store.RecordQuery) {}, func(*records.CallRecord) bool { return true }},
		"range": {func(q *store.RecordQuery) { q.From, q.To = T0.Add(5*time.Minute), T0.Add(12*time.Minute) }, func(r *records.CallRecord) bool {
			return !r.Start.Before(T0.Add(5*time.Minute)) && r.Start.Before(T0.Add(12*time.Minute))
		}},
		"task":   {func(q *store.RecordQuery) { q.Task = t2 }, func(r *records.CallRecord) bool { return r.Task == t2 }},
		"number": {func(q *store.RecordQuery) { q.Number = 3 }, func(r *records.CallRecord) bool { return r.Number == 3 }},
		"called": {func(q *store.RecordQuery) { q.Called = ny(4) }, func(r *records.CallRecord) bool { return r.Called == ny(4) }},
		"agent":  {func(q *store.RecordQuery) { q.Agent = 2 }, func(r *records.CallRecord) bool { return r.Agent == 2 }},
		"result": {func(q *store.RecordQuery) {
			q.Results = []records.CallResult{records.ResultNotConnected, records.ResultCustomerOnly}
		}, func(r *records.CallRecord) bool { return r.Result != records.ResultBoth }},
		"mixed": {func(q *store.RecordQuery) {
			q.Task, q.Results, q.From = t1, []records.CallResult{records.ResultBoth}, T0.Add(3*time.Minute)
		}, func(r *records.CallRecord) bool {
			return r.Task == t1 && r.Result == records.ResultBoth && !r.Start.Before(T0.Add(3*time.Minute))
		}},
	} {
		q := base
		c.q(&q)
		if got, want := all(q), calls(c.keep); !slices.Equal(got, want) {
			t.Fatalf("%s: %v, want %v", name, got, want)
		}
	}
	if got := all(store.RecordQuery{Tenant: "beta", Peek: true}); !slices.Equal(got, []records.CallID{500}) {
		t.Fatalf("tenant beta: %v", got)
	}
	_, err := st.QueryRecords(store.RecordQuery{Tenant: "acme", Limit: store.MaxPage + 1})
	wantField(t, err, "limit")
	_, err = st.QueryRecords(store.RecordQuery{Tenant: "acme", SearchAfter: "zz"})
	wantField(t, err, "search_after")
	p, err := st.QueryRecords(store.RecordQuery{Tenant: "acme", Peek: true})
	must(t, err)
	if len(p.Records) != store.DefaultPage {
		t.Fatalf("default page %d", len(p.Records))
	}

	// syncflag: a pull marks records pulled.
	p, err = st.QueryRecords(store.RecordQuery{Tenant: "acme", Sync: store.SyncUnpulled, Limit: 10})
	must(t, err)
	if len(p.Records) != 10 || p.Records[0].Call != 100 {
		t.Fatalf("first pull %d records", len(p.Records))
	}
	rest := all(store.RecordQuery{Tenant: "acme", Sync: store.SyncUnpulled, Limit: 1000})
	if len(rest) != 20 || rest[0] != 110 {
		t.Fatalf("second pull %v", rest)
	}
	if got := all(store.RecordQuery{Tenant: "acme", Sync: store.SyncUnpulled}); len(got) != 0 {
		t.Fatalf("third pull %v", got)
	}
	if got := all(store.RecordQuery{Tenant: "acme", Sync: store.SyncPulled, Limit: 1000}); len(got) != 30 {
		t.Fatalf("pulled %d", len(got))
	}
	must(t, st.SetDisposition("acme", 105, store.Disposition{Levels: [3]string{"x"}}))
	if got := all(store.RecordQuery{Tenant: "acme", Sync: store.SyncUnpulled, Peek: true}); !slices.Equal(got, []records.CallID{105}) {
		t.Fatalf("unpulled after a disposition: %v", got)
	}
	if got := all(store.RecordQuery{Tenant: "acme", Sync: store.SyncAll, Limit: 1000}); len(got) != 30 {
		t.Fatalf("all %d", len(got))
	}
	if got := all(store.RecordQuery{Tenant: "acme", Sync: store.SyncUnpulled}); len(got) != 0 {
		t.Fatalf("a SyncAll query did not mark %v pulled", got)
	}
}

func testEvents(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	rec := &records.CallRecord{Call: 9, Tenant: "acme", Task: task, Called: ny(1), Start: T0, Result: records.ResultBoth, Machine: true}
	seqs := commit(t, st, records.Writes{Events: []records.CTIEvent{
		{Name: records.EventDialing, At: T0, Tenant: "acme", Task: task, Call: 9, Role: records.RoleCustomer, ThisDN: ny(1)},
		{Name: records.EventAgentReady, At: T0, Tenant: "beta", Agent: 3},
		{Name: records.EventReleased, At: T0.Add(time.Hour), Tenant: "acme", Task: task, Call: 9, Record: rec},
	}})
	if !slices.Equal(seqs, []uint64{1, 1, 2}) {
		t.Fatalf("seqs %v", seqs)
	}
	seqs, err := st.AppendEvents([]records.CTIEvent{{Name: records.EventAgentLogin, At: T0.Add(2 * time.Hour), Tenant: "acme", Agent: 3}}, nil)
	must(t, err)
	if !slices.Equal(seqs, []uint64{3}) {
		t.Fatalf("appended seq %v", seqs)
	}
	evs, err := st.ReadEvents("acme", 2, 10, nil)
	must(t, err)
	if len(evs) != 2 || evs[0].Seq != 2 || evs[1].Seq != 3 || evs[1].Name != records.EventAgentLogin {
		t.Fatalf("read from 2: %+v", evs)
	}
	got := evs[0]
	if got.Name != records.EventReleased || got.Record == nil || got.Record.Call != 9 || !got.Record.Machine ||
		got.Tenant != "acme" || !got.At.Equal(T0.Add(time.Hour)) {
		t.Fatalf("event with record %+v", got)
	}
	evs, err = st.ReadEvents("acme", 0, 1, evs)
	must(t, err)
	if len(evs) != 1 || evs[0].Seq != 1 || evs[0].ThisDN != ny(1) || evs[0].Role != records.RoleCustomer {
		t.Fatalf("read from 0: %+v", evs)
	}
	if last, _ := st.LastSeq("acme"); last != 3 {
		t.Fatalf("LastSeq %d", last)
	}
	n, err := st.PruneEvents(T0.Add(90 * time.Minute))
	must(t, err)
	if n != 3 { // acme 1 and 2, beta 1
		t.Fatalf("pruned %d", n)
	}
	evs, err = st.ReadEvents("acme", 1, 10, nil)
	must(t, err)
	if len(evs) != 1 || evs[0].Seq != 3 {
		t.Fatalf("after prune: %+v", evs)
	}
	if last, _ := st.LastSeq("beta"); last != 1 {
		t.Fatalf("LastSeq(beta) after pruning everything: %d", last)
	}
	seqs, err = st.AppendEvents([]records.CTIEvent{{Name: records.EventAgentLogout, At: T0.Add(3 * time.Hour), Tenant: "beta"}}, seqs[:0])
	must(t, err)
	if !slices.Equal(seqs, []uint64{2}) {
		t.Fatalf("numbering after a prune restarted: %v", seqs)
	}
	if last, _ := st.LastSeq("nobody"); last != 0 {
		t.Fatalf("LastSeq of an empty log %d", last)
	}
}

func testWebhooks(t *testing.T, st store.Store) {
	hooks := []store.Webhook{
		{Tenant: "acme", Kind: "bill", URL: "https://crm.example/bill", Body: []byte(`{"a":1}`), Created: T0},
		{Tenant: "acme", Kind: "task", URL: "https://crm.example/task", Created: T0, NextAt: T0.Add(time.Hour)},
	}
	must(t, st.EnqueueWebhooks(hooks))
	if hooks[0].ID == 0 || hooks[0].ID == hooks[1].ID {
		t.Fatalf("webhook IDs %d %d", hooks[0].ID, hooks[1].ID)
	}
	due, err := st.DueWebhooks(T0, 10, nil)
	must(t, err)
	if len(due) != 1 || due[0].ID != hooks[0].ID || string(due[0].Body) != `{"a":1}` {
		t.Fatalf("due %+v", due)
	}
	if due, _ = st.DueWebhooks(T0, 10, due); len(due) != 0 {
		t.Fatalf("a leased webhook is due again: %+v", due)
	}
	// The retry schedule, then giving up.
	now := T0
	id := hooks[0].ID
	for i, d := range store.RetrySchedule {
		gaveUp, err := st.WebhookFailed(id, now, "HTTP 500")
		must(t, err)
		if gaveUp {
			t.Fatalf("gave up after %d failures", i+1)
		}
		if due, _ := st.DueWebhooks(now.Add(d-time.Second), 10, nil); len(due) != 0 && due[0].ID == id {
			t.Fatalf("retry %d due before its delay %v", i+1, d)
		}
		now = now.Add(d)
		due, err := st.DueWebhooks(now, 10, nil)
		must(t, err)
		if len(due) == 0 || due[0].ID != id || due[0].Attempts != i+1 {
			t.Fatalf("retry %d not due after %v: %+v", i+1, d, due)
		}
	}
	gaveUp, err := st.WebhookFailed(id, now, "HTTP 502")
	must(t, err)
	if !gaveUp {
		t.Fatal("did not give up after the schedule")
	}
	failed, err := st.FailedWebhooks("acme")
	must(t, err)
	if len(failed) != 1 || failed[0].ID != id || failed[0].LastError != "HTTP 502" || failed[0].Attempts != len(store.RetrySchedule)+1 {
		t.Fatalf("failed %+v", failed)
	}
	if due, _ := st.DueWebhooks(now.Add(48*time.Hour), 10, nil); len(due) != 1 || due[0].ID != hooks[1].ID {
		t.Fatalf("due after giving up %+v", due)
	}
	must(t, st.WebhookDone(hooks[1].ID))
	if err := st.WebhookDone(hooks[1].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("done twice: %v", err)
	}
	if due, _ := st.DueWebhooks(now.Add(96*time.Hour), 10, nil); len(due) != 0 {
		t.Fatalf("due after done %+v", due)
	}
	// Webhooks committed with a batch of writes.
	more := []store.Webhook{{Tenant: "beta", Kind: "task", URL: "https://b.example", Created: T0}}
	_, err = st.Commit(records.Writes{}, more, nil)
	must(t, err)
	if due, _ := st.DueWebhooks(T0, 10, nil); len(due) != 1 || due[0].ID != more[0].ID || due[0].Tenant != "beta" {
		t.Fatalf("webhook of a Commit: %+v", due)
	}
	_, err = st.Commit(records.Writes{}, []store.Webhook{{Tenant: "beta"}}, nil)
	wantField(t, err, "webhook.url")
}

func testRemove(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	nums := []records.Number{{Phone: ny(1)}, {Phone: ny(2)}, {Phone: ny(3)}}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{{At: T0, Task: task, Number: nums[1].ID, State: records.NumberDialing, Call: 1}}})
	n, err := st.RemoveNumbers(task, []string{ny(1), ny(2), ny(9)})
	must(t, err)
	if n != 1 {
		t.Fatalf("removed %d", n)
	}
	if _, err := st.FindNumber(task, ny(1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("removed number found by phone")
	}
	if _, err := st.GetNumber(task, nums[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("removed number found by ID")
	}
	if got := fetch(t, st, task, T0, 10); !slices.Equal(got, []string{ny(3)}) {
		t.Fatalf("after removal %v", got)
	}
	res, err := st.ImportNumbers(task, []records.Number{{Phone: ny(1)}, {Phone: ny(2)}})
	must(t, err)
	if res.Stored != 1 || len(res.Duplicates) != 1 || res.Duplicates[0].Phone != ny(2) {
		t.Fatalf("re-import %+v", res)
	}
}

func testDeleteTask(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	nums := []records.Number{{Phone: ny(1)}, {Phone: ny(2)}}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	must(t, st.Blacklist("acme", task, ny(3)))
	commit(t, st, records.Writes{Records: []records.CallRecord{{Call: 1, Task: task, Number: nums[0].ID, Start: T0}}})
	must(t, st.DeleteTask("acme", task))
	_, err = st.GetNumber(task, nums[0].ID)
	wantCode(t, err, apierr.TaskNotExist)
	_, err = st.NextNumbers(task, T0, 10, nil)
	wantCode(t, err, apierr.TaskNotExist)
	if _, err := st.GetRecord("acme", 1); err != nil {
		t.Fatalf("records must outlive their task: %v", err)
	}
	// Updates for the deleted task are skipped, not fatal.
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{{At: T0, Task: task, Number: nums[1].ID, State: records.NumberDone}}})
	fresh := newTask(t, st, "acme", records.AlwaysOpen)
	res, err := st.ImportNumbers(fresh, []records.Number{{Phone: ny(1)}})
	must(t, err)
	if res.Stored != 1 {
		t.Fatalf("import into a new task %+v", res)
	}
	if hit, _ := st.Blacklisted("acme", task, ny(3)); hit {
		t.Fatal("the blacklist of a deleted task survived")
	}
}

// testConcurrent runs an import, the runner's loop and API reads at once.
func testConcurrent(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	_, err := st.ImportNumbers(task, []records.Number{{Phone: "+14150000000"}})
	must(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	wg.Add(3)
	go func() {
		defer wg.Done()
		nums := make([]records.Number, 5000)
		for i := range nums {
			nums[i].Phone = fmt.Sprintf("+1415%07d", i+1)
		}
		if _, err := st.ImportNumbers(task, nums); err != nil {
			errs <- err
		}
	}()
	dialled := make(map[records.NumberID]bool)
	go func() {
		defer wg.Done()
		var buf []records.Number
		call := records.CallID(0)
		for range 200 {
			var err error
			buf, err = st.NextNumbers(task, T0, 50, buf)
			if err != nil {
				errs <- err
				return
			}
			rd := records.Writes{}
			for _, n := range buf {
				if dialled[n.ID] {
					errs <- fmt.Errorf("number %d handed out after it was dialled", n.ID)
					return
				}
				dialled[n.ID] = true
				call++
				rd.Numbers = append(rd.Numbers, records.NumberUpdate{At: T0, Task: task, Number: n.ID, State: records.NumberDialing, Call: call})
			}
			if _, err := st.Commit(rd, nil, nil); err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 100 {
			if _, err := st.GetTask("acme", task); err != nil {
				errs <- err
				return
			}
			if _, err := st.QueryRecords(store.RecordQuery{Tenant: "acme", Peek: true}); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Whatever the interleaving, every number is dialled at most once and
	// the rest are still due.
	rest, err := st.NextNumbers(task, T0, 10000, nil)
	must(t, err)
	for _, n := range rest {
		if dialled[n.ID] {
			t.Fatalf("number %d is due after it was dialled", n.ID)
		}
	}
	if len(rest)+len(dialled) != 5001 {
		t.Fatalf("%d due + %d dialled, want 5001", len(rest), len(dialled))
	}
}

func testCountNumbers(t *testing.T, st store.Store) {
	task := newTask(t, st, "acme", records.AlwaysOpen)
	want := func(w store.NumberCounts) {
		t.Helper()
		got, err := st.CountNumbers(task)
		must(t, err)
		if got != w {
			t.Fatalf("counts %+v, want %+v", got, w)
		}
	}
	want(store.NumberCounts{})
	var nums []records.Number
	for i := range 6 {
		nums = append(nums, records.Number{Phone: ny(i)})
	}
	_, err := st.ImportNumbers(task, nums)
	must(t, err)
	want(store.NumberCounts{Pending: 6})
	got, err := st.NextNumbers(task, T0, 4, nil)
	must(t, err)
	if len(got) != 4 {
		t.Fatalf("fetched %d numbers, want 4", len(got))
	}
	want(store.NumberCounts{Pending: 6}) // handed out, not dialled yet
	var rd records.Writes
	for i, n := range got {
		rd.Numbers = append(rd.Numbers, records.NumberUpdate{At: T0, Task: task, Number: n.ID,
			State: records.NumberDialing, Call: records.CallID(i + 1), Attempts: 1})
	}
	commit(t, st, rd)
	want(store.NumberCounts{Pending: 2, Dialing: 4})
	commit(t, st, records.Writes{Numbers: []records.NumberUpdate{
		{At: T0, Task: task, Number: got[0].ID, State: records.NumberDone, Call: 1, Outcome: records.OutcomeLive, Attempts: 1},
		{At: T0, Task: task, Number: got[1].ID, State: records.NumberSkipped, Call: 2, Outcome: records.OutcomeBusy, Attempts: 1},
		{At: T0, Task: task, Number: got[2].ID, State: records.NumberPending, Call: 3, Outcome: records.OutcomeNoAnswer,
			Attempts: 1, NextAt: T0.Add(time.Hour)},
	}})
	want(store.NumberCounts{Pending: 3, Dialing: 1, Done: 1, Skipped: 1})
	_, err = st.ScheduleCallback(store.Schedule{Task: task, Phone: ny(100), At: T0})
	must(t, err)
	n, err := st.RemoveNumbers(task, []string{ny(4), ny(5)})
	must(t, err)
	if n != 2 {
		t.Fatalf("removed %d, want 2", n)
	}
	want(store.NumberCounts{Pending: 2, Dialing: 1, Done: 1, Skipped: 1})
	// Another task's numbers are not counted.
	other := newTask(t, st, "acme", records.AlwaysOpen)
	_, err = st.ImportNumbers(other, []records.Number{{Phone: ny(0)}})
	must(t, err)
	want(store.NumberCounts{Pending: 2, Dialing: 1, Done: 1, Skipped: 1})
	_, err = st.CountNumbers(records.TaskID(1 << 40))
	if err == nil {
		t.Fatal("CountNumbers of an unknown task: no error")
	}
}
