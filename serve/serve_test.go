package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/store"
)

// syncBuffer is a log buffer written by several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func config(t *testing.T, dir string, speed float64, numbers int, sets ...string) (Config, *syncBuffer) {
	t.Helper()
	sc, err := sim.ParseScenario(DemoScenario, sets, nil)
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	return Config{Data: dir, Scenario: sc, ApplySettings: len(sets) > 0, Speed: speed, Numbers: numbers,
		Drain: time.Minute, Logger: slog.New(slog.NewTextHandler(&log, nil)), Out: &log}, &log
}

// runUntil serves until the log matches re (or 20 s pass), then stops as
// Ctrl-C does, and returns the log.
func runUntil(t *testing.T, cfg Config, log *syncBuffer, re string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, nil, cfg) }()
	pat := regexp.MustCompile(re)
	for end := time.Now().Add(20 * time.Second); !pat.MatchString(log.String()) && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, log.String())
	}
	return log.String()
}

func open(t *testing.T, dir string) *store.Badger {
	t.Helper()
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func allRecords(t *testing.T, st *store.Badger) []records.CallRecord {
	t.Helper()
	var out []records.CallRecord
	q := store.RecordQuery{Tenant: DemoTenant, Limit: store.MaxPage, Sync: store.SyncAll, Peek: true}
	for {
		page, err := st.QueryRecords(q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Records...)
		if q.SearchAfter = page.SearchAfter; q.SearchAfter == "" {
			return out
		}
	}
}

var seedRE = regexp.MustCompile(`msg=serving .* seed=(\d+)`)

// TestRestart runs the server on Badger in a temp dir with the simulated
// world, stops it, starts it again, and checks that the campaign went on
// from the store (no number handed out twice, records of both runs), and
// that the world did not replay the first run: its seed moved.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	cfg, log := config(t, dir, 1200, 600, "task.pacing.mode=ratio", "task.pacing.ratio=2:3")
	cfg.Every = 20 * time.Millisecond
	first := runUntil(t, cfg, log, `dials=[1-9][0-9]{2,}`)
	if !strings.Contains(first, "creating the demo campaign") || !strings.Contains(first, "occupancy") {
		t.Fatalf("first run:\n%s", first)
	}
	cfg2, log2 := config(t, dir, 1200, 600, "task.pacing.mode=ratio", "task.pacing.ratio=2:3")
	cfg2.Every = 20 * time.Millisecond
	// Past the 500-odd numbers left, onto the alternatives.
	second := runUntil(t, cfg2, log2, `dials=(5[5-9][0-9]|[6-9][0-9]{2}|[0-9]{4,})`)
	if strings.Contains(second, "creating the demo campaign") {
		t.Fatalf("second run created the campaign again:\n%s", second)
	}
	s1, s2 := seedRE.FindStringSubmatch(first), seedRE.FindStringSubmatch(second)
	if s1 == nil || s2 == nil || s1[1] == s2[1] {
		t.Errorf("world seeds %v and %v: a restart replays the same customers", s1, s2)
	}

	st := open(t, dir)
	defer st.Close()
	tasks, err := st.ListTasks(DemoTenant)
	if err != nil || len(tasks) != 1 || tasks[0].Status != records.TaskRunning {
		t.Fatalf("tasks: %+v %v", tasks, err)
	}
	seen := map[string]int{}
	var interrupted, alternatives int
	recs := allRecords(t, st)
	for _, r := range recs {
		if r.Disposition == store.DispositionInterrupted {
			interrupted++
			continue
		}
		seen[r.Called]++
		if strings.HasPrefix(r.Called, "+14153") {
			alternatives++
		}
	}
	if len(recs) == 0 {
		t.Fatal("no call records after two runs")
	}
	for phone, k := range seen {
		if k > 1 {
			t.Errorf("%s dialled %d times across a restart", phone, k)
		}
	}
	if alternatives == 0 {
		t.Error("no alternative phone dialled")
	}
	t.Logf("%d records (%d interrupted), %d phones, %d alternatives", len(recs), interrupted, len(seen), alternatives)
}

// TestSkipsBlacklisted checks the do-not-call lists at dial time: numbers
// blacklisted after the import (for the tenant or for the task) are never
// dialled, and are recorded as skipped with NoCallReasonCode 2.
// A campaign with no number left to dial says so in its figures, so that
// idle agents and no dials do not look like a stall.
func TestSaysWhenNoNumberIsDue(t *testing.T) {
	cfg, log := config(t, t.TempDir(), 2000, 5, "task.pacing.mode=progressive", "agents.count=5")
	cfg.Every = 20 * time.Millisecond
	out := runUntil(t, cfg, log, `numbers="none due`)
	if !strings.Contains(out, `numbers="none due`) {
		t.Fatalf("the figures never said that no number is due:\n%s", out)
	}
}

func TestSkipsBlacklisted(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := config(t, dir, 600, 40, "task.pacing.mode=progressive", "agents.count=5")
	if err := SetUp(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	phone := func(i int) string { return fmt.Sprintf("+1415%07d", 2000000+i) }
	st := open(t, dir)
	if err := st.Blacklist(DemoTenant, 0, phone(30), phone(31), phone(32)); err != nil {
		t.Fatal(err)
	}
	if err := st.Blacklist(DemoTenant, 1, phone(33)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg, log := config(t, dir, 2000, 40, "task.pacing.mode=progressive", "agents.count=5")
	cfg.Every = 20 * time.Millisecond
	runUntil(t, cfg, log, `dials=(3[6-9]|[4-9][0-9])`) // every number not listed: past the listed ones
	st = open(t, dir)
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

func interrupted(t *testing.T, dir string) int {
	t.Helper()
	st := open(t, dir)
	defer st.Close()
	rs, err := st.Recover(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return len(rs.Interrupted)
}

// TestDrain stops the server the way Ctrl-C does: no new call, the calls in
// flight run to their end, and the next start finds none to close. A second
// signal (now) stops it at once, and the next start then closes the calls
// it left with a record.
func TestDrain(t *testing.T) {
	dir := t.TempDir()
	cfg, log := config(t, dir, 600, 2000, "task.pacing.mode=progressive", "agents.count=5")
	cfg.Every = 20 * time.Millisecond
	out := runUntil(t, cfg, log, `dials=[1-9]`)
	if !strings.Contains(out, "stopping: no new call") || !strings.Contains(out, "calls_in_flight=0") {
		t.Fatalf("drained run:\n%s", out)
	}
	if n := interrupted(t, dir); n != 0 {
		t.Errorf("%d calls left in flight by a drained stop", n)
	}

	// In real time the calls last minutes: the second signal cuts the drain short.
	cfg, log = config(t, dir, 1, 2000, "task.pacing.mode=progressive", "agents.count=5")
	cfg.Every = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- Run(ctx, now, cfg) }()
	busy := regexp.MustCompile(`ringing=[1-9]|agents_busy=[1-9]`)
	for end := time.Now().Add(20 * time.Second); !busy.MatchString(log.String()) && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	if !busy.MatchString(log.String()) {
		t.Logf("no call in 20 s:\n%s", log.String())
	}
	cancel() // the first Ctrl-C: drain
	time.Sleep(100 * time.Millisecond)
	close(now) // the second: stop at once
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "calls_in_flight=0") {
		t.Fatalf("a run stopped at once after a second left no call in flight:\n%s", log.String())
	}
	if n := interrupted(t, dir); n == 0 {
		t.Error("the calls of a run stopped at once were not closed on the next start")
	}
}

// TestStopDuringStartUp interrupts the first start twice: before it begins,
// and in the middle of the demo's import. Neither places a call, and the
// next start finishes the set-up: one campaign with all its numbers.
func TestStopDuringStartUp(t *testing.T) {
	dir := t.TempDir()
	cfg, log := config(t, dir, 1000, 20000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, nil, cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	cfg.Progress = func(read, total int) {
		if read > 0 && read < total {
			cancel() // Ctrl-C after the first chunk
		}
	}
	if err := Run(ctx, nil, cfg); err != nil {
		t.Fatal(err)
	}
	st := open(t, dir)
	if recs := allRecords(t, st); len(recs) != 0 {
		t.Errorf("%d calls placed by starts stopped before serving", len(recs))
	}
	if ten, err := st.GetTenant(DemoTenant); err != nil || ten.Name != setUpName {
		t.Fatalf("after an import cut short: tenant %+v (%v), want it marked unfinished", ten, err)
	}
	st.Close()

	cfg.Progress = nil
	if err := SetUp(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "cut short") {
		t.Errorf("the unfinished set-up was not reported:\n%s", log.String())
	}
	st = open(t, dir)
	defer st.Close()
	tasks, err := st.ListTasks(DemoTenant)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks %+v (%v), want one", tasks, err)
	}
	if _, err := st.FindNumber(tasks[0].Spec.ID, "+14152019999"); err != nil {
		t.Errorf("the last demo number is missing after the set-up was finished: %v", err)
	}
	queues, _ := st.ListQueues(DemoTenant)
	agents, _ := st.ListAgents(DemoTenant)
	if len(queues) != 1 || len(agents) != 30 {
		t.Errorf("%d queues and %d agents, want 1 and 30", len(queues), len(agents))
	}
}

// TestSettingsOnStoredCampaign starts with the demo's predictive pacing,
// then again with --set task.pacing.mode=ratio: the stored campaign takes
// the new setting, and the log says so, so that the log, the engine and the
// report speak of the same pacing.
func TestSettingsOnStoredCampaign(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := config(t, dir, 1, 50)
	if err := SetUp(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg, log := config(t, dir, 600, 50, "task.pacing.mode=ratio", "task.pacing.ratio=1:2")
	out := runUntil(t, cfg, log, `msg=serving`)
	if !strings.Contains(out, "applying them") || !strings.Contains(out, "pacing=ratio") {
		t.Errorf("log:\n%s", out)
	}
	st := open(t, dir)
	defer st.Close()
	tk, err := st.GetTask(DemoTenant, 1)
	if err != nil || tk.Spec.Pacing.Mode != records.ModeRatio || tk.Spec.Pacing.Ratio != "1:2" {
		t.Fatalf("stored pacing %+v (%v), want ratio 1:2", tk.Spec.Pacing, err)
	}
}

// TestDemoTaskCreated: the demo campaign has its create time, as a task
// created through the API has.
func TestDemoTaskCreated(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := config(t, dir, 1, 50)
	before := time.Now()
	if err := SetUp(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	st := open(t, dir)
	defer st.Close()
	tk, err := st.GetTask(DemoTenant, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Created.Before(before) || tk.Created.After(after) {
		t.Fatalf("created %v, want between %v and %v", tk.Created, before, after)
	}
}

// TestPortTaken fails a start whose metrics address is in use before it
// touches the store: the calls a hard stop left in flight are still there
// for the next good start to close.
func TestPortTaken(t *testing.T) {
	dir := t.TempDir()
	cfg, log := config(t, dir, 1, 500, "task.pacing.mode=progressive", "agents.count=5")
	cfg.Drain = 0 // stop at once: calls stay in flight
	cfg.Every = 20 * time.Millisecond
	runUntil(t, cfg, log, `ringing=[1-9]|agents_busy=[1-9]`)
	st := open(t, dir)
	before := len(allRecords(t, st))
	st.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg.Metrics = ln.Addr().String()
	if err := Run(context.Background(), nil, cfg); err == nil || !strings.Contains(err.Error(), "metrics address") {
		t.Fatalf("serve on a taken port: %v", err)
	}
	st = open(t, dir)
	defer st.Close()
	if after := len(allRecords(t, st)); after != before {
		t.Errorf("the failed start wrote %d call records", after-before)
	}
	rs, err := st.Recover(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Interrupted) == 0 {
		t.Error("no call was left in flight for the next start to close")
	}
}

// TestMetricsAndHealth scrapes a running server: the running totals are
// counters that move as calls are placed, with no periodic refresh (--every
// 0), and /healthz answers 200; it answers 503 naming what is wrong when
// the runner is not stepping and the store takes no writes.
func TestMetricsAndHealth(t *testing.T) {
	dir := t.TempDir()
	cfg, log := config(t, dir, 600, 500, "task.pacing.mode=progressive", "agents.count=5")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Metrics = ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, nil, cfg) }()
	get := func(path string) (int, string) {
		for range 1000 {
			resp, err := http.Get("http://" + cfg.Metrics + path)
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		t.Fatalf("GET %s: no answer\n%s", path, log.String())
		return 0, ""
	}
	var body string
	for range 1000 {
		if _, body = get("/metrics"); regexp.MustCompile(`outpace_dials_total [1-9]`).MatchString(body) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(body, "# TYPE outpace_dials_total counter") || !regexp.MustCompile(`outpace_dials_total [1-9]`).MatchString(body) {
		t.Errorf("metrics:\n%s", body)
	}
	if code, b := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz of a running server: %d %s", code, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Unhealthy: a runner that stopped, a store that is closed.
	st := open(t, dir)
	st.Close()
	m := newMetrics(1, 1)
	if msg := m.health(context.Background(), st); !strings.Contains(msg, "runner: not started") || !strings.Contains(msg, "store: not writable") {
		t.Errorf("health of a closed store and no runner: %q", msg)
	}
}
