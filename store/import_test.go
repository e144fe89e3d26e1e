package store_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
	"github.com/outpace-dev/outpace/store/lists"
)

func memStore(t *testing.T) *store.Badger {
	t.Helper()
	st, err := store.Open(store.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func memTask(t *testing.T, st *store.Badger) records.TaskID {
	t.Helper()
	task := store.Task{Spec: records.TaskSpec{Tenant: "acme"}, Window: records.AlwaysOpen}
	if err := st.CreateTask(&task); err != nil {
		t.Fatal(err)
	}
	return task.Spec.ID
}

// TestImportList streams a seed-001 list with malformed lines: every bad line
// is reported with its line number, every good line is stored.
func TestImportList(t *testing.T) {
	st := memStore(t)
	task := memTask(t, st)
	list := strings.Join([]string{
		"# uploaded by ops",
		"sales;2125550101;userid=7:name=Ann;2125550199;5;1001", // 2
		"sales;not-a-number",         // 3 bad number
		"sales;2125550102;;;high",    // 4 bad priority
		"",                           // 5
		"sales;2125550103",           // 6
		"sales",                      // 7 no number
		"support;2125550104",         // 8 another campaign: skipped
		"sales;2125550101",           // 9 duplicate of line 2
		"sales;2125550105;=oops",     // 10 data without a key
		"sales;2125550106;k=v;;;;;x", // 11 too many fields
		"sales;+442071234567;;;1",    // 12
	}, "\n")
	r, err := lists.NewReader(strings.NewReader(list), lists.Options{Campaign: "sales", DefaultRegion: "US", TZ: "America/Chicago"})
	if err != nil {
		t.Fatal(err)
	}
	var last store.ImportProgress
	res, err := st.ImportStream(task, store.LinesSource(r), func(p store.ImportProgress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 3 || last.Stored != 3 {
		t.Fatalf("stored %d (progress %+v), want 3", res.Stored, last)
	}
	var badLines []int
	for _, rej := range res.Invalid {
		var le *lists.LineError
		if !errors.As(rej.Err, &le) {
			t.Fatalf("entry %d: %v is not a line error", rej.Index, rej.Err)
		}
		badLines = append(badLines, le.Line)
	}
	if want := []int{3, 4, 7, 10, 11}; !slices.Equal(badLines, want) {
		t.Fatalf("bad lines %v, want %v", badLines, want)
	}
	if len(res.Duplicates) != 1 || res.Duplicates[0].Phone != "+12125550101" {
		t.Fatalf("duplicates %+v", res.Duplicates)
	}
	n, err := st.FindNumber(task, "+12125550101")
	if err != nil {
		t.Fatal(err)
	}
	if n.Priority != 5 || n.Data["userid"] != "7" || n.Data["name"] != "Ann" || n.Data["agentphone"] != "1001" ||
		!slices.Equal(n.Alternatives, []string{"+12125550199"}) || n.TZ != "America/Chicago" {
		t.Fatalf("stored number %+v", n)
	}
	for _, p := range []string{"+12125550103", "+442071234567"} {
		if _, err := st.FindNumber(task, p); err != nil {
			t.Fatalf("good line %s not stored: %v", p, err)
		}
	}
	if _, err := st.FindNumber(task, "+12125550104"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("a line of another campaign was stored")
	}
}

// TestImportTelphone imports seed-003 telphone entries: the parser reports
// the bad entries, the store keeps every good one.
func TestImportTelphone(t *testing.T) {
	st := memStore(t)
	task := memTask(t, st)
	var entries []string
	for i := range 50 {
		entries = append(entries, fmt.Sprintf(`{"phone":"1312555%04d","time":1500000000,"userid":"u%d","customuuid":"c%d"}`, i, i, i))
	}
	entries[7] = `{"phone":"12","time":1500000000}`
	entries[20] = `{"phone":"13125550003"}` // the same phone as entry 3
	entries[33] = `"not an object"`
	nums, bad, err := lists.ParseTelphone([]byte("["+strings.Join(entries, ",")+"]"), lists.Options{DefaultRegion: "US"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.ImportNumbers(task, nums)
	if err != nil {
		t.Fatal(err)
	}
	reported := len(bad) + len(res.Invalid) + len(res.Duplicates)
	if res.Stored != 47 || reported != 3 {
		t.Fatalf("stored %d, reported %d (parser %+v, store %+v %+v)", res.Stored, reported, bad, res.Invalid, res.Duplicates)
	}
	n, err := st.FindNumber(task, "+13125550042")
	if err != nil {
		t.Fatal(err)
	}
	if n.Data["userid"] != "u42" || n.Data["customuuid"] != "c42" || n.NotBefore.Unix() != 1500000000 || n.TZ != "America/Chicago" {
		t.Fatalf("stored entry %+v", n)
	}
}
