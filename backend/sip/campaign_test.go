package sip

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/internal/sipptest"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/store"
)

// The backend is what the runner drives.
var (
	_ runner.Backend = (*Backend)(nil)
	_ runner.Limiter = (*Backend)(nil)
)

// TestCampaignOverSIP runs a predictive campaign of several hundred numbers
// through the runner, on Badger, over SIP: one SIPp plays every customer
// (the called number's last digit picks busy, unavailable, no answer,
// invalid, machine, a person who hangs up or one who waits), another every
// agent phone. Every call record (outcome, causes, who hung up) must agree
// with what the customers' SIPp logged for that call,
// every call bridged to an agent must appear in the agents' SIPp log, RTP
// must have flowed both ways on the bridged calls, and no number may be
// dialled twice.
func TestCampaignOverSIP(t *testing.T) {
	needSIPp(t)
	if testing.Short() {
		t.Skip("a campaign of several hundred calls: not in -short")
	}
	const numbers, agents = 300, 20
	dir := t.TempDir()
	custLog, agentLog := filepath.Join(dir, "customers.log"), filepath.Join(dir, "agents.log")
	cust := startSIPp(t, "customers.xml", false, "-trace_logs", "-log_file", custLog)
	ag := startSIPp(t, "agents.xml", false, "-rtp_echo", "-trace_logs", "-log_file", agentLog)

	bst, err := store.Open(store.Config{Dir: filepath.Join(dir, "db")})
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	now := time.Now()
	if err := bst.PutTenant(store.Tenant{ID: "t", Created: now}); err != nil {
		t.Fatal(err)
	}
	phones := map[string]string{}
	var ids []records.AgentID
	for i := range agents {
		phone := strconv.Itoa(1001 + i)
		a := records.AgentSpec{Tenant: "t", Name: phone, Phone: phone}
		if err := bst.PutAgent(&a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
		phones[phone] = "sip:" + phone + "@127.0.0.1:" + strconv.Itoa(ag.port)
	}
	q := store.Queue{Spec: records.QueueSpec{Tenant: "t", Name: "q", Strategy: records.StrategyLongestIdle}, Members: ids}
	if err := bst.PutQueue(&q); err != nil {
		t.Fatal(err)
	}
	task := store.Task{Spec: records.TaskSpec{
		Tenant: "t", Name: "sip", Queue: q.Spec.ID,
		Pacing:    records.PacingConfig{Mode: records.ModePredictive, AbandonTarget: 0.03},
		CallerIDs: []string{"+14155550100"}, NoAnswerTimeout: 2 * time.Second, AllowShortRing: true,
		ConnectDeadline: time.Second, ACWTimeout: 100 * time.Millisecond, SafeHarbor: "safe",
	}, Window: records.AlwaysOpen, Created: now}
	if err := bst.CreateTask(&task); err != nil {
		t.Fatal(err)
	}
	nums := make([]records.Number, numbers)
	for i := range nums {
		nums[i] = records.Number{Phone: fmt.Sprintf("+1415%07d", 2000000+i), TZ: "America/Los_Angeles"}
	}
	if res, err := bst.ImportNumbers(task.Spec.ID, nums); err != nil || res.Stored != numbers {
		t.Fatalf("import: %+v %v", res, err)
	}

	b, err := New(Config{
		Trunk: cust.uri(false), Listen: "127.0.0.1:0", Agents: phones,
		Messages: map[string]string{"safe": writeTone(t, 200*time.Millisecond)}, MachineHeader: "X-AMD-Result",
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	traces := map[records.CallID]trace{}
	b.observe = func(tr trace) {
		mu.Lock()
		traces[tr.call] = tr
		mu.Unlock()
	}
	r := runner.New(runner.Config{Store: bst, Backend: b})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = r.Run(ctx) }() // it runs the backend
	// Wait until the runner has started and rebuilt the store's state.
	for {
		err := r.Flush(ctx)
		if err == nil {
			break
		}
		if err != runner.ErrStopped {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	submit := func(ev engine.Event) {
		if err := r.Submit(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		submit(engine.Event{Kind: engine.EvAgentLogin, Agent: id})
	}
	submit(engine.Event{Kind: engine.EvStartTask, Task: task.Spec.ID})
	start := time.Now()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s := r.Snapshot()
		if s != nil && s.Tasks[task.Spec.ID].Exhausted && s.ActiveCalls == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the campaign did not end in 2 minutes: %+v", s.Tasks[task.Spec.ID])
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the last BYEs and SIPp's logs
	cancel()
	<-r.Done()

	page, err := bst.QueryRecords(store.RecordQuery{Tenant: "t", Limit: store.MaxPage, Peek: true})
	if err != nil {
		t.Fatal(err)
	}
	custSaw, agentSaw := readSIPpLog(t, custLog), readSIPpLog(t, agentLog)
	if len(page.Records) != numbers {
		t.Errorf("%d call records, want %d (one per number)", len(page.Records), numbers)
	}
	if len(custSaw) != numbers {
		t.Errorf("the customers' SIPp logged %d calls, want %d", len(custSaw), numbers)
	}
	want := map[string]records.Outcome{
		"busy": records.OutcomeBusy, "unavailable": records.OutcomeNoAnswer, "noanswer": records.OutcomeNoAnswer,
		"invalid": records.OutcomeInvalid, "machine": records.OutcomeMachine, "live": records.OutcomeLive, "leaves": records.OutcomeLive,
	}
	// The causes of the calls, hangup (seed-003) and early-detect
	// (seed-002): an answered call ends by the agent's BYE (live) or the
	// customer's (leaves), unless the engine ended it itself.
	causes := map[string][2]int{
		"busy": {CauseBusy, EarlyBusy}, "unavailable": {CauseTimeout, EarlyPoweredOff}, "noanswer": {CauseTimeout, EarlyNoAnswer}, "invalid": {CauseLineFailure, EarlyNotExist},
		"machine": {0, 200}, "live": {CauseCaller, 200}, "leaves": {CauseCalled, 200},
	}
	called := map[string]int{}
	var both, abandoned, media int
	for _, rec := range page.Records {
		called[rec.Called]++
		saw := custSaw[rec.Call]
		if saw == "" {
			t.Errorf("call %d (%s): not in the customers' SIPp log", rec.Call, rec.Called)
			continue
		}
		if rec.Outcome != want[saw] {
			t.Errorf("call %d (%s): record says %v, SIPp says %s", rec.Call, rec.Called, rec.Outcome, saw)
		}
		c := causes[saw]
		if rec.Result == records.ResultCustomerOnly && rec.EndResult == records.EndNone {
			c[0] = 0 // abandoned: the engine played the message and hung up
		}
		if rec.HangupCause != c[0] || rec.EarlyCause != c[1] {
			t.Errorf("call %d (%s, %s): causes %d and %d, want %d and %d", rec.Call, rec.Called, saw, rec.HangupCause, rec.EarlyCause, c[0], c[1])
		}
		if saw == "live" && rec.EndResult == records.EndCustomer {
			t.Errorf("call %d (%s): ended by the customer, but SIPp's customer never hangs up", rec.Call, rec.Called)
		}
		_, bridged := agentSaw[rec.Call]
		switch rec.Result {
		case records.ResultBoth:
			if rec.AgentAnswer.IsZero() {
				t.Errorf("call %d (%s): connected, but the agent never answered", rec.Call, saw)
				continue
			}
			both++
			if !bridged || rec.Agent == 0 {
				t.Errorf("call %d: connected to agent %d, but the agents' SIPp did not log it", rec.Call, rec.Agent)
			}
			mu.Lock()
			tr := traces[rec.Call]
			mu.Unlock()
			if tr.toAgent > 0 && tr.toCustomer > 0 {
				media++
			}
		case records.ResultCustomerOnly:
			abandoned++
			// A customer who leaves while the agent's phone rings is
			// abandoned; the phone's 200 may still cross our CANCEL.
			if bridged && saw != "leaves" {
				t.Errorf("call %d: abandoned, but the agents' SIPp answered it", rec.Call)
			}
		default:
			if bridged {
				t.Errorf("call %d: not connected, but the agents' SIPp answered it", rec.Call)
			}
		}
	}
	for phone, n := range called {
		if n > 1 {
			t.Errorf("%s dialled %d times", phone, n)
		}
	}
	if both == 0 {
		t.Error("no call reached an agent")
	}
	// Each bridged call has half a second of talk: a starved machine may
	// delay SIPp's audio past a call's end, but not on most calls.
	if media < both*8/10 {
		t.Errorf("RTP flowed both ways on %d of %d bridged calls", media, both)
	}
	st := b.Stats()
	t.Logf("%v: %d records: %d connected (%d with RTP both ways), %d abandoned; %d INVITEs, %d answered, %d bridged, %d RTP packets relayed, %d played",
		time.Since(start).Round(time.Millisecond), len(page.Records), both, media, abandoned, st.Invites, st.Answered, st.Bridged, st.Relayed, st.Played)
}

func readSIPpLog(t *testing.T, path string) map[records.CallID]string {
	t.Helper()
	return sipptest.ReadLog(t, path)
}
