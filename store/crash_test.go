package store_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
)

// The crash test runs a campaign against Badger on disk in a child process
// (this test binary again, running TestCrashChild), SIGKILLs it at random
// moments, starts it again, and at the end checks the store against the
// child's dial log:
//
//   - no number is lost: every phone of the list is stored once and finished;
//   - no number is dialled while a call of it is in flight, except after a
//     kill, and then only once Recover has closed the interrupted call with a
//     record;
//   - every call record whose Commit returned is there, every dial has a
//     record, and a number's attempts equal its records.
//
// OUTPACE_CRASH_SEED=n replays a run; the seed is logged.
const (
	envCrashDir  = "OUTPACE_CRASH_DIR"
	envCrashSeed = "OUTPACE_CRASH_SEED"
	envCrashGen  = "OUTPACE_CRASH_GEN"

	crashStarted = "outpace-crash-campaign-started"

	crashNumbers = 30000
	crashKills   = 20
	crashBatch   = 48
	crashTenant  = "acme"
)

func crashPhone(i int) string { return fmt.Sprintf("+1312555%04d", i) }

// crashOutcome is the deterministic outcome of an attempt on a number.
func crashOutcome(id records.NumberID, attempt int) records.Outcome {
	h := uint64(id)*0x9E3779B97F4A7C15 + uint64(attempt)*0xBF58476D1CE4E5B9
	h ^= h >> 31
	switch h % 10 {
	case 0, 1, 2:
		return records.OutcomeLive
	case 3, 4:
		return records.OutcomeMachine
	case 5, 6:
		return records.OutcomeNoAnswer
	case 7, 8:
		return records.OutcomeBusy
	}
	return records.OutcomeInvalid
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(envCrashSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", envCrashSeed, s, err)
		}
		seed = v
	}
	t.Logf("crash test seed %d (replay: %s=%d go test -run TestCrash ./store/)", seed, envCrashSeed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x0c7a5))
	dir := t.TempDir()

	st := openDisk(t, dir)
	task := store.Task{Spec: records.TaskSpec{Tenant: crashTenant, Name: "crash"}, Window: records.AlwaysOpen}
	if err := st.CreateTask(&task); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	// run runs one generation. It kills the child after killAfter, counted
	// from the start when early (to land in Open, Recover or the import),
	// else from the moment the campaign starts; never when killAfter < 0.
	run := func(gen int, killAfter time.Duration, early bool) (killed bool) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashSeed+"="+strconv.FormatUint(rng.Uint64(), 10),
			envCrashGen+"="+strconv.Itoa(gen))
		var out bytes.Buffer
		cmd.Stderr = &out
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		started := make(chan struct{})
		lines := make(chan []byte, 1)
		go func() {
			var b []byte
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				b = append(append(b, sc.Bytes()...), '\n')
				if sc.Text() == crashStarted {
					close(started)
				}
			}
			lines <- b
		}()
		done := make(chan error, 1)
		go func() {
			b := <-lines
			done <- cmd.Wait()
			out.Write(b)
		}()
		var kill <-chan time.Time
		switch {
		case killAfter < 0:
		case early:
			kill = time.After(killAfter)
		default:
			select {
			case <-started:
				kill = time.After(killAfter)
			case err := <-done:
				done <- err
			}
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("generation %d failed (seed %d): %v\n%s", gen, seed, err, out.Bytes())
			}
			return false
		case <-kill:
			cmd.Process.Signal(syscall.SIGKILL)
			err := <-done
			var ee *exec.ExitError
			if errors.As(err, &ee) && !ee.Exited() {
				return true
			}
			if err != nil {
				t.Fatalf("generation %d failed (seed %d): %v\n%s", gen, seed, err, out.Bytes())
			}
			return false // it finished just before the kill
		case <-time.After(120 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("generation %d hung (seed %d)\n%s", gen, seed, out.Bytes())
		}
		return false
	}
	kills, gen := 0, 0
	for ; kills < crashKills; gen++ {
		early := rng.IntN(4) == 0
		if !run(gen, time.Duration(rng.IntN(150))*time.Millisecond, early) {
			break // the campaign finished
		}
		kills++
	}
	run(gen, -1, false) // to the end of the campaign
	t.Logf("%d kills in %d runs, %v", kills, gen+1, time.Since(start).Round(time.Millisecond))
	if kills < crashKills/2 {
		t.Errorf("only %d kills landed before the campaign finished", kills)
	}
	verifyCrash(t, dir, task.Spec.ID, seed)
}

type crashDial struct {
	gen    int
	number records.NumberID
}

func verifyCrash(t *testing.T, dir string, task records.TaskID, seed uint64) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d: "+format, append([]any{seed}, args...)...)
	}
	st := openDisk(t, dir)
	defer st.Close()
	rs, err := st.Recover(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Interrupted) != 0 {
		fail("calls still in flight after the campaign ended: %+v", rs.Interrupted)
	}

	// Every phone is stored once and finished.
	attempts := make(map[records.NumberID]int)
	for i := range crashNumbers {
		n, err := st.FindNumber(task, crashPhone(i))
		if err != nil {
			fail("number %s lost: %v", crashPhone(i), err)
		}
		if n.State != records.NumberDone {
			fail("number %s ended %v", crashPhone(i), n.State)
		}
		attempts[n.ID] = n.Attempts
	}
	if left, _ := st.NextNumbers(task, time.Now().Add(1000*time.Hour), 10, nil); len(left) != 0 {
		fail("numbers still due: %+v", left)
	}

	// Every record, by number.
	byCall := make(map[records.CallID]records.CallRecord)
	perNumber := make(map[records.NumberID]int)
	q := store.RecordQuery{Tenant: crashTenant, Task: task, Limit: store.MaxPage, Peek: true}
	for {
		p, err := st.QueryRecords(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Records {
			if _, dup := byCall[r.Call]; dup {
				fail("call %d has two records", r.Call)
			}
			byCall[r.Call] = r
			perNumber[r.Number]++
		}
		if p.SearchAfter == "" {
			break
		}
		q.SearchAfter = p.SearchAfter
	}
	for id, a := range attempts {
		if perNumber[id] != a {
			fail("number %d: %d attempts but %d call records", id, a, perNumber[id])
		}
	}

	// Replay the dial log.
	f, err := os.Open(filepath.Join(dir, "dials.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	open := make(map[records.NumberID]records.CallID) // number → call in flight
	dials := make(map[records.CallID]crashDial)
	closed := make(map[records.CallID]bool)
	gen, nDials, interrupted := -1, 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 || fs[len(fs)-1] != "." {
			continue // a line cut by a kill
		}
		v, _ := strconv.ParseUint(fs[1], 10, 64)
		switch fs[0] {
		case "G":
			gen = int(v)
		case "D":
			if len(fs) != 4 {
				continue
			}
			call := records.CallID(v)
			num, _ := strconv.ParseUint(fs[2], 10, 64)
			id := records.NumberID(num)
			nDials++
			if prev, ok := open[id]; ok {
				if dials[prev].gen == gen {
					fail("number %d dialled by call %d while call %d was in flight", id, call, prev)
				}
				// The call was closed after all (its outcome was committed
				// but the kill came before the log line) or by Recover.
				if _, ok := byCall[prev]; !ok {
					fail("number %d redialled after a kill without a record of call %d", id, prev)
				}
			}
			open[id] = call
			dials[call] = crashDial{gen, id}
		case "R":
			call := records.CallID(v)
			closed[call] = true
			if _, ok := byCall[call]; !ok {
				fail("record of call %d committed before a kill is missing", call)
			}
			if d, ok := dials[call]; ok && open[d.number] == call {
				delete(open, d.number)
			}
		}
	}
	for call, d := range dials {
		r, ok := byCall[call]
		if !ok {
			fail("call %d dialled number %d but has no record", call, d.number)
		}
		if r.Number != d.number {
			fail("record of call %d is of number %d, dialled %d", call, r.Number, d.number)
		}
	}
	for call, r := range byCall {
		if r.Disposition != store.DispositionInterrupted {
			continue
		}
		interrupted++
		if closed[call] {
			fail("call %d was closed normally but also recorded as interrupted", call)
		}
	}
	t.Logf("%d numbers, %d dials logged, %d records, %d calls interrupted by kills",
		len(attempts), nDials, len(byCall), interrupted)
	if interrupted == 0 {
		t.Errorf("no call was ever interrupted: the kills missed the campaign")
	}
}

// TestCrashChild is the campaign TestCrash kills. It does nothing when run
// on its own.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("run by TestCrash")
	}
	seed, _ := strconv.ParseUint(os.Getenv(envCrashSeed), 10, 64)
	gen, _ := strconv.Atoi(os.Getenv(envCrashGen))
	rng := rand.New(rand.NewPCG(seed, 1))

	st, err := store.Open(store.Config{Dir: dir, InterruptedRetry: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := st.Recover(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Tasks) != 1 {
		t.Fatalf("recovered %d tasks", len(rs.Tasks))
	}
	task := rs.Tasks[0].Spec.ID
	log, err := os.OpenFile(filepath.Join(dir, "dials.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(log, "\nG %d .\n", gen); err != nil {
		t.Fatal(err)
	}

	// The list arrives again on every start, as an integrator retrying an
	// upload would send it: what is stored comes back as duplicates.
	list := make([]records.Number, crashNumbers)
	for i := range list {
		list[i] = records.Number{Phone: crashPhone(i), Priority: i % 3}
	}
	res, err := st.ImportNumbers(task, list)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Invalid) != 0 || res.Stored+len(res.Duplicates) != crashNumbers {
		t.Fatalf("import: %d stored, %d duplicates, %d invalid", res.Stored, len(res.Duplicates), len(res.Invalid))
	}

	fmt.Println(crashStarted)

	type flight struct {
		call    records.CallID
		number  records.Number
		attempt int
		at      time.Time
	}
	call := rs.LastCall
	var inflight []flight
	inFlight := make(map[records.NumberID]bool)
	var buf []records.Number
	var line []byte
	for {
		now := time.Now()
		buf, err = st.NextNumbers(task, now, crashBatch, buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(buf) == 0 && len(inflight) == 0 {
			return // campaign over
		}
		var rd records.Writes
		line = line[:0]
		for _, n := range buf {
			if inFlight[n.ID] {
				t.Fatalf("number %d handed out while its call is in flight", n.ID)
			}
			call++
			f := flight{call: call, number: n, attempt: n.Attempts + 1, at: now}
			inflight = append(inflight, f)
			inFlight[n.ID] = true
			rd.Numbers = append(rd.Numbers, records.NumberUpdate{At: now, Task: task, Number: n.ID,
				State: records.NumberDialing, Call: call, Attempts: f.attempt})
			rd.Events = append(rd.Events, records.CTIEvent{Name: records.EventDialing, At: now, Tenant: crashTenant,
				Task: task, Call: call, ThisDN: n.Phone})
			line = fmt.Appendf(line, "D %d %d .\n", call, n.ID)
		}
		if _, err := st.Commit(rd, nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := log.Write(line); err != nil { // the originates go out
			t.Fatal(err)
		}

		// Some of the calls dialled before end.
		k := len(inflight) - len(buf)
		if len(buf) == 0 {
			k = len(inflight)
		}
		k = rng.IntN(k + 1)
		if len(buf) < crashBatch {
			k = len(inflight) // the list is running dry: drain
		}
		rd = records.Writes{}
		line = line[:0]
		now = time.Now()
		for _, f := range inflight[:k] {
			o := crashOutcome(f.number.ID, f.attempt)
			rec := records.CallRecord{Call: f.call, Tenant: crashTenant, Task: task, Number: f.number.ID,
				Called: f.number.Phone, Start: f.at, End: now, Outcome: o}
			u := records.NumberUpdate{At: now, Task: task, Number: f.number.ID, Call: f.call, Outcome: o,
				Attempts: f.attempt, State: records.NumberDone}
			switch o {
			case records.OutcomeLive:
				rec.Result, rec.Answer, rec.AgentAnswer, rec.Agent = records.ResultBoth, f.at, now, 1
			case records.OutcomeNoAnswer, records.OutcomeBusy, records.OutcomeMachine:
				if f.attempt < 3 {
					u.State, u.NextAt = records.NumberPending, now
				}
			}
			rd.Numbers = append(rd.Numbers, u)
			rd.Records = append(rd.Records, rec)
			line = fmt.Appendf(line, "R %d .\n", f.call)
			delete(inFlight, f.number.ID)
		}
		if k > 0 {
			if _, err := st.Commit(rd, nil, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := log.Write(line); err != nil {
				t.Fatal(err)
			}
			inflight = append(inflight[:0], inflight[k:]...)
		}
	}
}
