package sipremote

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/outpace-dev/outpace/backend/remote"
	"github.com/outpace-dev/outpace/backend/sip"
	"github.com/outpace-dev/outpace/internal/sipptest"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/serve"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/store"
)

// syncBuffer is a log written by several goroutines.
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

// waitLog waits until log matches re and returns the submatches.
func waitLog(t *testing.T, log *syncBuffer, re string, d time.Duration) []string {
	t.Helper()
	pat := regexp.MustCompile(re)
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if m := pat.FindStringSubmatch(log.String()); m != nil {
			return m
		}
	}
	t.Fatalf("the log never said %q:\n%s", re, log.String())
	return nil
}

// TestCampaignThroughServer runs the demo campaign of a server over SIP:
// with remote backends, its one backend the SIP backend attached over
// loopback gRPC (outpace backend sip), and with the SIP backend in
// process (serve --backend sip). SIPp plays the customers (the called
// number's last digit picks the outcome) and the agent phones, the agents
// log in through the API as their desktops do, and every call record must
// agree with what the customers' SIPp logged, every connected call with
// the agents' SIPp.
func TestCampaignThroughServer(t *testing.T) {
	sipptest.Need(t)
	if testing.Short() {
		t.Skip("a campaign in real time: not in -short")
	}
	t.Run("remote", func(t *testing.T) { campaign(t, true) })
	t.Run("in-process", func(t *testing.T) { campaign(t, false) })
}

func campaign(t *testing.T, attached bool) {
	const numbers, agents, key = 60, 3, "sip-backend-test-admin-key"
	dir := t.TempDir()
	custLog, agentLog := filepath.Join(dir, "customers.log"), filepath.Join(dir, "agents.log")
	cust := sipptest.Start(t, "../sip/testdata/customers.xml", false, "-trace_logs", "-log_file", custLog)
	ag := sipptest.Start(t, "../sip/testdata/agents.xml", false, "-rtp_echo", "-trace_logs", "-log_file", agentLog)
	phones := map[string]string{}
	for i := range agents {
		phone := strconv.Itoa(1001 + i) // the demo's agents' phones
		phones[phone] = "sip:" + phone + "@127.0.0.1:" + strconv.Itoa(ag.Port)
	}
	scfg, err := ParseConfig([]byte("trunk: " + cust.URI(false) + "\nlisten: 127.0.0.1:0\nmachine_header: X-AMD-Result\n"))
	if err != nil {
		t.Fatal(err)
	}
	scfg.Agents = phones
	scfg.Messages = map[string]string{"safe-harbor": sipptest.WriteTone(t, 200*time.Millisecond)}

	sc, err := sim.ParseScenario(serve.DemoScenario, []string{"agents.count=" + strconv.Itoa(agents),
		"task.no_answer_timeout=2s", "task.connect_deadline=1s", "handling.wrap={dist: constant, value: 0s}"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	data := filepath.Join(dir, "db")
	cfg := serve.Config{Data: data, Scenario: sc, ApplySettings: true, Speed: 1, Numbers: numbers,
		GRPC: "127.0.0.1:0", AdminKey: key, RemoteBackends: attached, Drain: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&log, nil))}
	if !attached {
		b, err := sip.New(scfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Backend = b
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve.Run(ctx, nil, cfg) }()
	addr := waitLog(t, &log, `msg="gRPC API" addr=(\S+)`, 20*time.Second)[1]

	bctx, stopBackend := context.WithCancel(context.Background())
	defer stopBackend()
	bdone := make(chan error, 1)
	if attached {
		go func() {
			bdone <- Run(bctx, Config{SIP: scfg, Client: remote.ClientConfig{Server: addr, AppID: serve.AdminApp, AccessKey: key,
				BackendID: "sip-test", Logger: slog.New(slog.NewTextHandler(&log, nil))}})
		}()
		waitLog(t, &log, `backend synced`, 20*time.Second)
	} else {
		bdone <- nil
	}

	// The agents log in through the API, with an app of the demo tenant.
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	login := func(app, key string) context.Context {
		res, err := pb.NewAuthServiceClient(cc).Login(ctx, &pb.LoginRequest{AppId: app, AccessKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+res.GetToken())
	}
	admin := login(serve.AdminApp, key)
	const deskKey = "the-agents-desktop-key"
	if _, err := pb.NewTenantServiceClient(cc).SetCredential(admin, &pb.SetCredentialRequest{TenantId: serve.DemoTenant, AppId: "desk", AccessKey: deskKey}); err != nil {
		t.Fatal(err)
	}
	desk := login("desk", deskKey)
	as, err := pb.NewAgentServiceClient(cc).ListAgents(desk, &pb.ListAgentsRequest{})
	if err != nil || len(as.GetAgents()) != agents {
		t.Fatalf("agents: %v %v", as, err)
	}
	for _, a := range as.GetAgents() {
		if _, err := pb.NewAgentServiceClient(cc).LoginAgent(desk, &pb.LoginAgentRequest{AgentId: a.GetId()}); err != nil {
			t.Fatal(err)
		}
	}

	// Every number gets a record, then the server stops.
	count := func() int {
		n := 0
		req := &pb.SearchRecordsRequest{SyncFlag: pb.SyncFlag_SYNC_FLAG_ALL, Peek: true, PageSize: 1000}
		for {
			res, err := pb.NewRecordServiceClient(cc).SearchRecords(desk, req)
			if err != nil {
				t.Fatal(err)
			}
			n += len(res.GetRecords())
			if req.SearchAfter = res.GetSearchAfter(); req.SearchAfter == "" {
				return n
			}
		}
	}
	start := time.Now()
	for n := count(); n < numbers; n = count() {
		if time.Since(start) > 90*time.Second {
			t.Fatalf("%d records of %d numbers after 90 s:\n%s", n, numbers, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the last BYEs and SIPp's logs
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, log.String())
	}
	stopBackend()
	if err := <-bdone; err != nil {
		t.Fatalf("backend: %v", err)
	}

	st, err := store.Open(store.Config{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.QueryRecords(store.RecordQuery{Tenant: serve.DemoTenant, Limit: store.MaxPage, Sync: store.SyncAll, Peek: true})
	if err != nil {
		t.Fatal(err)
	}
	custSaw, agentSaw := sipptest.ReadLog(t, custLog), sipptest.ReadLog(t, agentLog)
	if len(page.Records) != numbers || len(custSaw) != numbers {
		t.Errorf("%d call records and %d calls in the customers' SIPp log, want %d", len(page.Records), len(custSaw), numbers)
	}
	want := map[string]records.Outcome{
		"busy": records.OutcomeBusy, "unavailable": records.OutcomeNoAnswer, "noanswer": records.OutcomeNoAnswer,
		"invalid": records.OutcomeInvalid, "machine": records.OutcomeMachine, "live": records.OutcomeLive, "leaves": records.OutcomeLive,
	}
	// The hangup (seed-003) and early-detect (seed-002) causes of the calls
	// that reached no one, which crossed the protocol.
	causes := map[string][2]int{"busy": {sip.CauseBusy, sip.EarlyBusy}, "unavailable": {sip.CauseTimeout, sip.EarlyPoweredOff},
		"noanswer": {sip.CauseTimeout, sip.EarlyNoAnswer}, "invalid": {sip.CauseLineFailure, sip.EarlyNotExist}}
	var connected int
	for _, rec := range page.Records {
		saw := custSaw[rec.Call]
		if saw == "" {
			t.Errorf("call %d (%s): not in the customers' SIPp log", rec.Call, rec.Called)
			continue
		}
		if rec.Outcome != want[saw] {
			t.Errorf("call %d (%s): record says %v, SIPp says %s", rec.Call, rec.Called, rec.Outcome, saw)
		}
		if c, ok := causes[saw]; ok && (rec.HangupCause != c[0] || rec.EarlyCause != c[1]) {
			t.Errorf("call %d (%s): causes %d and %d, want %d and %d", rec.Call, saw, rec.HangupCause, rec.EarlyCause, c[0], c[1])
		}
		_, bridged := agentSaw[rec.Call]
		if rec.Result == records.ResultBoth && !rec.AgentAnswer.IsZero() {
			connected++
			if !bridged {
				t.Errorf("call %d: connected to agent %d, but the agents' SIPp did not log it", rec.Call, rec.Agent)
			}
		} else if bridged && !(saw == "leaves" && rec.Result == records.ResultCustomerOnly) {
			// (A customer who leaves while the agent's phone rings is
			// abandoned; the phone's 200 may still cross our CANCEL.)
			t.Errorf("call %d: not connected (result %v), but the agents' SIPp answered it", rec.Call, rec.Result)
		}
	}
	if connected == 0 {
		t.Error("no call reached an agent")
	}
	t.Logf("%v: %d records, %d connected to an agent over SIP", time.Since(start).Round(time.Millisecond), len(page.Records), connected)
}
