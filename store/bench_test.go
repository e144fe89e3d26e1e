package store_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
	"github.com/outpace-dev/outpace/store/storetest"
)

// Benchmarks of the store on disk, with every commit synced:
//
//	go test -run '^$' -bench . ./store/
//	OUTPACE_BENCH_BIG=1 go test -run '^$' -bench Restart -benchtime 1x -timeout 30m ./store/
//
// Each reports its rate with b.ReportMetric (numbers/s, records/s, …) next
// to ns/op. BenchmarkRestart stores 10 000 000 numbers (OUTPACE_BENCH_NUMBERS
// changes that) and runs only with OUTPACE_BENCH_BIG=1.

const benchList = 1_000_000

// benchZones are the area codes of the benchmark lists: four US zones.
var benchZones = [...]string{"212", "312", "303", "415"}

func benchNumber(i int) records.Number {
	return records.Number{
		Phone:    fmt.Sprintf("+1%s%07d", benchZones[i%len(benchZones)], i/len(benchZones)),
		Priority: i % 3,
		Data:     map[string]string{"userid": strconv.Itoa(i), "customuuid": "c-" + strconv.Itoa(i)},
	}
}

// benchSource yields n list entries.
func benchSource(n int) func(yield func(records.Number, error) bool) {
	return benchSourceFrom(0, n)
}

// benchSourceFrom yields the list entries from..from+n.
func benchSourceFrom(from, n int) func(yield func(records.Number, error) bool) {
	return func(yield func(records.Number, error) bool) {
		for i := from; i < from+n; i++ {
			if !yield(benchNumber(i), nil) {
				return
			}
		}
	}
}

func benchStore(b *testing.B, dir string) (*store.Badger, records.TaskID) {
	b.Helper()
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	task := store.Task{Spec: records.TaskSpec{Tenant: "bench"}, Window: records.AlwaysOpen}
	if err := st.CreateTask(&task); err != nil {
		b.Fatal(err)
	}
	return st, task.Spec.ID
}

// cpuTime returns the CPU time this process has used, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time per item: unlike wall time it does
// not depend on what else the machine runs, and with the store's writer
// goroutine it bounds the rate an idle machine reaches.
func reportCPU(b *testing.B, cpu time.Duration, items int, unit string) {
	if items > 0 && cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(items), "cpu-µs/"+unit)
	}
}

func dirBytes(b *testing.B, dir string) int64 {
	b.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkImport imports a list of 1 000 000 numbers per op through
// ImportStream (and the unary ImportNumbers in batches of 10 000), then
// reports the bytes the store takes on disk per number once closed.
func BenchmarkImport(b *testing.B) {
	for _, mode := range []string{"stream", "batches-of-10000"} {
		b.Run(mode, func(b *testing.B) {
			var total, cpu time.Duration
			var bytes int64
			for range b.N {
				b.StopTimer()
				dir := b.TempDir()
				st, task := benchStore(b, dir)
				var batch []records.Number
				if mode != "stream" {
					batch = make([]records.Number, 0, 10000)
				}
				b.StartTimer()
				start, cpu0 := time.Now(), cpuTime()
				stored := 0
				if mode == "stream" {
					res, err := st.ImportStream(task, benchSource(benchList), nil)
					if err != nil {
						b.Fatal(err)
					}
					stored = res.Stored
				} else {
					for i := 0; i < benchList; i += cap(batch) {
						batch = batch[:0]
						for j := i; j < i+cap(batch) && j < benchList; j++ {
							batch = append(batch, benchNumber(j))
						}
						res, err := st.ImportNumbers(task, batch)
						if err != nil {
							b.Fatal(err)
						}
						stored += res.Stored
					}
				}
				total += time.Since(start)
				cpu += cpuTime() - cpu0
				b.StopTimer()
				if stored != benchList {
					b.Fatalf("stored %d", stored)
				}
				if err := st.Close(); err != nil {
					b.Fatal(err)
				}
				bytes += dirBytes(b, dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(benchList*b.N)/total.Seconds(), "numbers/s")
			b.ReportMetric(float64(bytes)/float64(benchList*b.N), "disk-B/number")
			reportCPU(b, cpu, benchList*b.N, "number")
		})
	}
}

// BenchmarkNextNumbers measures choosing the next 256 due numbers of a task
// of 1 000 000; the chosen numbers are then marked dialled (not timed), so
// every op reads past the tombstones of the ops before it, as a running
// campaign does. In the "half-closed" case half the list lives in time zones
// outside the calling window.
func BenchmarkNextNumbers(b *testing.B) {
	for _, closed := range []bool{false, true} {
		name := "all-open"
		if closed {
			name = "half-closed"
		}
		b.Run(name, func(b *testing.B) {
			st, task := benchStore(b, b.TempDir())
			defer st.Close()
			now := storetest.T0
			if closed {
				t, _ := st.GetTask("bench", task)
				t.Window = records.Window{}
				for d := range t.Window.Days {
					t.Window.Days[d] = records.Hours{From: 9 * time.Hour, To: 17 * time.Hour}
				}
				if err := st.UpdateTask(&t); err != nil {
					b.Fatal(err)
				}
				// 10:30 in New York and 09:30 in Chicago (open), 08:30 in
				// Denver and 07:30 in San Francisco (closed).
				now = now.Add(30 * time.Minute)
			}
			if _, err := st.ImportStream(task, benchSource(benchList), nil); err != nil {
				b.Fatal(err)
			}
			imported := benchList
			var buf []records.Number
			var rd records.Writes
			handed := 0
			call := records.CallID(0)
			var cpu time.Duration
			b.ResetTimer()
			for range b.N {
				var err error
				cpu0 := cpuTime()
				buf, err = st.NextNumbers(task, now, 256, buf)
				cpu += cpuTime() - cpu0
				if err != nil {
					b.Fatal(err)
				}
				handed += len(buf)
				b.StopTimer()
				if len(buf) < 256 { // the list ran dry: add to it
					if _, err := st.ImportStream(task, benchSourceFrom(imported, benchList), nil); err != nil {
						b.Fatal(err)
					}
					imported += benchList
				}
				rd.Numbers = rd.Numbers[:0]
				for _, n := range buf {
					call++
					rd.Numbers = append(rd.Numbers, records.NumberUpdate{At: now, Task: task, Number: n.ID,
						State: records.NumberDialing, Call: call, Attempts: 1})
				}
				if _, err := st.Commit(rd, nil, nil); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(handed)/b.Elapsed().Seconds(), "numbers/s")
			reportCPU(b, cpu, handed, "number")
		})
	}
}

// BenchmarkDialCycle is the runner's whole loop per number: choose it, commit
// it NumberDialing, commit its outcome with its call record.
func BenchmarkDialCycle(b *testing.B) {
	st, task := benchStore(b, b.TempDir())
	defer st.Close()
	if _, err := st.ImportStream(task, benchSource(benchList), nil); err != nil {
		b.Fatal(err)
	}
	now := storetest.T0
	var buf []records.Number
	var rd records.Writes
	done := 0
	call := records.CallID(0)
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		var err error
		if buf, err = st.NextNumbers(task, now, 256, buf); err != nil || len(buf) == 0 {
			b.Fatalf("fetch: %d numbers, %v", len(buf), err)
		}
		rd.Numbers, rd.Records = rd.Numbers[:0], rd.Records[:0]
		first := call + 1
		for _, n := range buf {
			call++
			rd.Numbers = append(rd.Numbers, records.NumberUpdate{At: now, Task: task, Number: n.ID,
				State: records.NumberDialing, Call: call, Attempts: 1})
		}
		if _, err := st.Commit(rd, nil, nil); err != nil {
			b.Fatal(err)
		}
		rd.Numbers = rd.Numbers[:0]
		for i, n := range buf {
			c := first + records.CallID(i)
			rd.Numbers = append(rd.Numbers, records.NumberUpdate{At: now, Task: task, Number: n.ID,
				State: records.NumberDone, Call: c, Attempts: 1, Outcome: records.OutcomeNoAnswer})
			rd.Records = append(rd.Records, records.CallRecord{Call: c, Task: task, Number: n.ID, Called: n.Phone,
				Start: now, End: now.Add(25 * time.Second), Outcome: records.OutcomeNoAnswer})
		}
		if _, err := st.Commit(rd, nil, nil); err != nil {
			b.Fatal(err)
		}
		done += len(buf)
	}
	b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "numbers/s")
	reportCPU(b, cpuTime()-cpu0, done, "number")
}

// BenchmarkRecords appends call records in Commits of 256, as a busy
// runner's Ready carries them.
func BenchmarkRecords(b *testing.B) {
	st, task := benchStore(b, b.TempDir())
	defer st.Close()
	const batch = 256
	rd := records.Writes{Records: make([]records.CallRecord, batch)}
	call := records.CallID(0)
	t := storetest.T0
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		for i := range rd.Records {
			call++
			t = t.Add(10 * time.Millisecond)
			r := records.CallRecord{Call: call, Tenant: "bench", Task: task, Number: records.NumberID(call),
				CallerID: "+12125550100", Called: fmt.Sprintf("+1312%07d", call), Start: t, Ring: t.Add(2 * time.Second),
				End: t.Add(25 * time.Second), Outcome: records.OutcomeNoAnswer}
			if call%4 == 0 {
				r.Outcome, r.Result, r.Answer, r.Agent, r.Queue = records.OutcomeLive, records.ResultBoth, t.Add(8*time.Second), records.AgentID(call%50+1), 1
				r.AgentStart, r.AgentAnswer, r.AgentEnd = r.Answer, r.Answer.Add(time.Second), t.Add(3*time.Minute)
				r.End, r.EndResult = r.AgentEnd, records.EndCustomer
			}
			rd.Records[i] = r
		}
		if _, err := st.Commit(rd, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "records/s")
	reportCPU(b, cpuTime()-cpu0, batch*b.N, "record")
}

// BenchmarkRestart stores a big list (10 000 000 numbers), leaves 1000 of
// them in flight, stops, and measures how long the store takes to serve
// again: Open, Recover (closing the 1000 calls) and the first NextNumbers.
// serve-s is after a clean stop; crash-serve-s after a child process that
// imported 500 000 more numbers and dialled 1000 was SIGKILLed, so that
// Badger replays its write-ahead log.
func BenchmarkRestart(b *testing.B) {
	if os.Getenv("OUTPACE_BENCH_BIG") == "" {
		b.Skip("set OUTPACE_BENCH_BIG=1: it writes about 2 GB")
	}
	n := 10_000_000
	if s := os.Getenv("OUTPACE_BENCH_NUMBERS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		n = v
	}
	dir := b.TempDir()
	st, task := benchStore(b, dir)
	start := time.Now()
	if _, err := st.ImportStream(task, benchSource(n), nil); err != nil {
		b.Fatal(err)
	}
	importRate := float64(n) / time.Since(start).Seconds()
	now := storetest.T0
	dialInFlight(b, st, task, now, 1000, 0)
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	diskPerNumber := float64(dirBytes(b, dir)) / float64(n)

	serveAgain := func(wantInFlight int) time.Duration {
		t0 := time.Now()
		st, err := store.Open(store.Config{Dir: dir, InterruptedRetry: time.Nanosecond})
		if err != nil {
			b.Fatal(err)
		}
		rs, err := st.Recover(now)
		if err != nil {
			b.Fatal(err)
		}
		if wantInFlight >= 0 && len(rs.Interrupted) != wantInFlight {
			b.Fatalf("recovered %d calls in flight, want %d", len(rs.Interrupted), wantInFlight)
		}
		next, err := st.NextNumbers(task, now.Add(time.Second), 256, nil)
		if err != nil || len(next) != 256 {
			b.Fatalf("first fetch: %d numbers, %v", len(next), err)
		}
		d := time.Since(t0)
		b.StopTimer()
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		return d
	}
	var serve time.Duration
	b.ResetTimer()
	for i := range b.N {
		want := -1
		if i == 0 {
			want = 1000
		}
		serve += serveAgain(want)
	}
	b.StopTimer()

	cmd := exec.Command(os.Args[0], "-test.run=^TestRestartChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envRestartDir+"="+dir, envRestartFrom+"="+strconv.Itoa(n))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Exited() {
		b.Fatalf("the child was not killed: %v\n%s", err, out)
	}
	b.StartTimer()
	crash := serveAgain(1000)

	b.ReportMetric(serve.Seconds()/float64(b.N), "serve-s")
	b.ReportMetric(crash.Seconds(), "crash-serve-s")
	b.ReportMetric(importRate, "import-numbers/s")
	b.ReportMetric(diskPerNumber, "disk-B/number")
}

// dialInFlight marks k due numbers of task NumberDialing with calls from
// call+1.
func dialInFlight(tb testing.TB, st *store.Badger, task records.TaskID, now time.Time, k int, call records.CallID) {
	tb.Helper()
	buf, err := st.NextNumbers(task, now, k, nil)
	if err != nil || len(buf) != k {
		tb.Fatalf("fetch %d: %d numbers, %v", k, len(buf), err)
	}
	var rd records.Writes
	for i, num := range buf {
		rd.Numbers = append(rd.Numbers, records.NumberUpdate{At: now, Task: task, Number: num.ID,
			State: records.NumberDialing, Call: call + records.CallID(i+1), Attempts: 1})
	}
	if _, err := st.Commit(rd, nil, nil); err != nil {
		tb.Fatal(err)
	}
}

const (
	envRestartDir  = "OUTPACE_RESTART_DIR"
	envRestartFrom = "OUTPACE_RESTART_FROM"
)

// TestRestartChild is run by BenchmarkRestart: it adds 500 000 numbers to the
// stored list, dials 1000 and kills itself. It does nothing on its own.
func TestRestartChild(t *testing.T) {
	dir := os.Getenv(envRestartDir)
	if dir == "" {
		t.Skip("run by BenchmarkRestart")
	}
	from, _ := strconv.Atoi(os.Getenv(envRestartFrom))
	st, err := store.Open(store.Config{Dir: dir, InterruptedRetry: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := st.Recover(storetest.T0)
	if err != nil {
		t.Fatal(err)
	}
	task := rs.Tasks[0].Spec.ID
	if _, err := st.ImportStream(task, benchSourceFrom(from, 500_000), nil); err != nil {
		t.Fatal(err)
	}
	dialInFlight(t, st, task, storetest.T0, 1000, rs.LastCall)
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// BenchmarkDialUntil measures the end of day the runner asks for with every
// batch of numbers (serve's Hooks.DialUntil): a task under the default
// 08:00–21:00 window with numbers in the four US mainland zones and a
// toll-free number, whose bucket spans every North American zone, at 10:00
// in New York, so that the stretch runs on through the western zones.
func BenchmarkDialUntil(b *testing.B) {
	st, task := benchStore(b, b.TempDir())
	defer st.Close()
	t, _ := st.GetTask("bench", task)
	t.Window = records.Window{}
	if err := st.UpdateTask(&t); err != nil {
		b.Fatal(err)
	}
	nums := []records.Number{{Phone: "+18005550123"}}
	for _, p := range []string{"+1212555", "+1312555", "+1303555", "+1415555"} {
		for i := range 100 {
			nums = append(nums, records.Number{Phone: fmt.Sprintf("%s%04d", p, i)})
		}
	}
	if _, err := st.ImportNumbers(task, nums); err != nil {
		b.Fatal(err)
	}
	var end time.Time
	for b.Loop() {
		var err error
		if end, err = st.DialUntil(task, storetest.T0); err != nil {
			b.Fatal(err)
		}
	}
	if want := storetest.T0.Add(14 * time.Hour); !end.Equal(want) { // 21:00 in San Francisco
		b.Fatalf("end of day %v, want %v", end, want)
	}
}
