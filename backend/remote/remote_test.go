package remote_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/outpace-dev/outpace/api"
	"github.com/outpace-dev/outpace/backend/remote"
	"github.com/outpace-dev/outpace/backend/simulated"
	"github.com/outpace-dev/outpace/engine"
	bpb "github.com/outpace-dev/outpace/proto/outpace/backend/v1"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/sim/simtest"
	"github.com/outpace-dev/outpace/store"
)

// The tests run the simulated team and carrier of simtest.World as it is.

// speed is how much faster than real time the tests' server and backends
// run.
const speed = 50

const (
	adminApp    = "backend"
	adminSecret = "backend-secret-0123456789"
)

// env is the environment of a helper process started by a test.
const helperEnv = "OUTPACE_REMOTE_TEST_BACKEND"

// TestMain runs a simulated backend instead of the tests when started as
// a helper process by TestBackendKilled.
func TestMain(m *testing.M) {
	if addr := os.Getenv(helperEnv); addr != "" {
		sc, err := sim.ParseScenario([]byte(simtest.World), nil, nil)
		if err != nil {
			panic(err)
		}
		seed, _ := strconv.ParseUint(os.Getenv(helperEnv+"_SEED"), 10, 64)
		err = simulated.Run(context.Background(), simulated.Config{
			Client:   clientConfig(addr),
			Scenario: sc, Agents: simulated.AgentRange(5), Speed: speed, Seed: seed,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func clientConfig(addr string) remote.ClientConfig {
	return remote.ClientConfig{Server: addr, AppID: adminApp, AccessKey: adminSecret, BackendID: "sim-1",
		Lines: 50, CallsPerSecond: 1000, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
}

// server is the dialer of a test: Badger, the API's gRPC server on
// loopback with the hub registered, and the runner on the hub.
type server struct {
	t     testing.TB
	st    *store.Badger
	hub   *remote.Hub
	r     *runner.Runner
	addr  string
	clock runner.Clock
	dials atomic.Int64
	stop  func()
}

func newServer(t testing.TB, numbers int, grace time.Duration) *server {
	s := newServerOf(t, numbers, 5, grace, speed, nil)
	s.start()
	return s
}

// newServerOf is newServer with agents agents, at speed sp, on backend be
// instead of the hub when be is set, its task not started.
func newServerOf(t testing.TB, numbers, agents int, grace time.Duration, sp float64, be func(runner.Clock) runner.Backend) *server {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := st.PutTenant(store.Tenant{ID: "admin", Created: start}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetCredential("admin", adminApp, adminSecret); err != nil {
		t.Fatal(err)
	}
	campaign(t, st, numbers, agents, start)
	t.Cleanup(func() { st.Close() })
	return serveOn(t, st, "127.0.0.1:0", grace, sp, be)
}

// serveOn serves st on addr: the API with the hub, and the runner.
func serveOn(t testing.TB, st *store.Badger, addr string, grace time.Duration, sp float64, be func(runner.Clock) runner.Backend) *server {
	t.Helper()
	start := time.Now()
	clock := runner.NewScaled(start, sp)
	srv, err := api.New(api.Config{Store: st, AdminTenant: "admin", Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	hub := remote.NewHub(remote.HubConfig{Clock: clock, Grace: grace})
	hub.Register(srv.GRPC())
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	s := &server{t: t, st: st, hub: hub, addr: lis.Addr().String(), clock: clock}
	var backend runner.Backend = hub
	if be != nil {
		backend = be(clock)
	}
	r := runner.New(runner.Config{Store: st, Backend: backend, Clock: clock, Seed: 1,
		Observe: func(p *runner.Published) { s.dials.Add(int64(p.Dials)) }})
	s.r = r
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = r.Run(ctx) }()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			<-r.Done()
			srv.Stop()
		})
	}

	t.Cleanup(s.stop)
	return s
}

// start starts the campaign.
func (s *server) start() {
	s.t.Helper()
	// The runner rebuilds the engine from the store when it starts.
	for i := 0; ; i++ {
		err := s.r.Submit(context.Background(), engine.Event{Kind: engine.EvStartTask, Task: 1})
		if err == nil {
			break
		}
		if i == 100 {
			s.t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// campaign stores a tenant with a queue of agents 1 to agents and a task of n
// numbers (no retries), paced 1:2.
func campaign(t testing.TB, st *store.Badger, n, agents int, start time.Time) {
	t.Helper()
	if err := st.PutTenant(store.Tenant{ID: "t", Created: start}); err != nil {
		t.Fatal(err)
	}
	var ids []records.AgentID
	for i := range agents {
		a := records.AgentSpec{Tenant: "t", Name: fmt.Sprint(1001 + i), Phone: fmt.Sprint(1001 + i)}
		if err := st.PutAgent(&a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	if ids[0] != 1 || ids[agents-1] != records.AgentID(agents) {
		t.Fatalf("agent ids %v, want 1 to %d", ids, agents)
	}
	q := store.Queue{Spec: records.QueueSpec{Tenant: "t", Name: "q", Strategy: records.StrategyLongestIdle}, Members: ids}
	if err := st.PutQueue(&q); err != nil {
		t.Fatal(err)
	}
	task := store.Task{Spec: records.TaskSpec{
		Tenant: "t", Name: "c", Queue: q.Spec.ID, Pacing: records.PacingConfig{Mode: records.ModeRatio, Ratio: "1:2", AbandonTarget: 0.03},
		CallerIDs: []string{"+14155550100"}, NoAnswerTimeout: 20 * time.Second, AllowShortRing: true,
		ConnectDeadline: 2 * time.Second, ACWTimeout: time.Minute,
	}, Window: records.AlwaysOpen, Created: start}
	if err := st.CreateTask(&task); err != nil {
		t.Fatal(err)
	}
	nums := make([]records.Number, n)
	for i := range nums {
		nums[i] = records.Number{Phone: phone(i), TZ: "America/Los_Angeles"}
	}
	if res, err := st.ImportNumbers(task.Spec.ID, nums); err != nil || res.Stored != n {
		t.Fatalf("import: %+v %v", res, err)
	}
}

func phone(i int) string { return fmt.Sprintf("+1415%07d", 2000000+i) }

// snapshot returns the runner's snapshot, refreshed.
func (s *server) snapshot() *runner.Snapshot {
	_ = s.r.Flush(context.Background())
	return s.r.Snapshot()
}

// waitEnd waits for the campaign to use its list up and end its calls.
func (s *server) waitEnd(wall time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(wall)
	for time.Now().Before(deadline) {
		snap := s.snapshot()
		if ts := snap.Tasks[1]; ts.Exhausted && snap.ActiveCalls == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	snap := s.r.Snapshot()
	s.t.Fatalf("the campaign did not end in %v: %+v, %d calls in flight, hub %+v", wall, snap.Tasks[1], snap.ActiveCalls, s.hub.Stats())
}

// waitDials waits until the runner has placed at least n calls and has
// some in flight.
func (s *server) waitDials(n int) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		snap := s.snapshot()
		if s.dials.Load() >= int64(n) && snap.ActiveCalls > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.t.Fatalf("fewer than %d dials: %d", n, s.dials.Load())
}

// checkRecords checks that every number of the list was dialled once and
// closed once, and returns the records closed with CauseLost.
func (s *server) checkRecords(numbers int) (lost int) {
	s.t.Helper()
	page, err := s.st.QueryRecords(store.RecordQuery{Tenant: "t", Limit: store.MaxPage, Peek: true})
	if err != nil {
		s.t.Fatal(err)
	}
	called := map[string]int{}
	calls := map[records.CallID]bool{}
	for _, r := range page.Records {
		called[r.Called]++
		if calls[r.Call] {
			s.t.Errorf("call %d has two records", r.Call)
		}
		calls[r.Call] = true
		if r.HangupCause == remote.CauseLost {
			lost++
		}
	}
	if len(page.Records) != numbers {
		s.t.Errorf("%d call records, want %d", len(page.Records), numbers)
	}
	for i := range numbers {
		if called[phone(i)] != 1 {
			s.t.Errorf("%s has %d call records, want 1", phone(i), called[phone(i)])
		}
		n, err := s.st.FindNumber(1, phone(i))
		if err != nil {
			s.t.Fatal(err)
		}
		if n.State != records.NumberDone || n.Attempts != 1 {
			s.t.Errorf("%s: state %d after %d attempts, want done after 1", phone(i), n.State, n.Attempts)
		}
	}
	return lost
}

// recWorld is the simulated world with a record of the originates it was
// given: a number placed twice would show here.
type recWorld struct {
	*sim.Live
	mu     sync.Mutex
	phones map[string]int
	calls  map[records.CallID]int
	up     map[records.CallID]bool
	maxUp  int
}

func newRecWorld(t *testing.T, seed uint64) *recWorld {
	sc, err := sim.ParseScenario([]byte(simtest.World), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	live := sim.NewLive(sc, seed, simulated.AgentRange(5), true, runner.NewScaled(time.Now(), speed))
	return &recWorld{Live: live, phones: map[string]int{}, calls: map[records.CallID]int{}, up: map[records.CallID]bool{}}
}

func (w *recWorld) Run(ctx context.Context, emit func(engine.Event)) error {
	return w.Live.Run(ctx, func(ev engine.Event) {
		if ev.Kind == engine.EvFailed || ev.Kind == engine.EvHangup {
			w.mu.Lock()
			delete(w.up, ev.Call)
			w.mu.Unlock()
		}
		emit(ev)
	})
}

func (w *recWorld) Send(cmds []engine.Command) {
	w.mu.Lock()
	for _, c := range cmds {
		switch c.Kind {
		case engine.CmdOriginate:
			w.phones[c.Phone]++
			w.calls[c.Call]++
			w.up[c.Call] = true
			w.maxUp = max(w.maxUp, len(w.up))
		case engine.CmdPlayHangup, engine.CmdHangup:
			delete(w.up, c.Call)
		}
	}
	w.mu.Unlock()
	w.Live.Send(cmds)
}

func (w *recWorld) check(t *testing.T) int {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for p, n := range w.phones {
		if n > 1 {
			t.Errorf("%s dialled %d times", p, n)
		}
	}
	for c, n := range w.calls {
		if n > 1 {
			t.Errorf("call %d originated %d times", c, n)
		}
	}
	return len(w.calls)
}

func attach(t testing.TB, addr string, w remote.Backend) *remote.Client {
	return attachWith(t, clientConfig(addr), w)
}

func attachWith(t testing.TB, cfg remote.ClientConfig, w remote.Backend) *remote.Client {
	c := remote.NewClient(cfg, w)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return c
}

// TestCampaignThroughRemoteBackend runs a small campaign through the
// server against a simulated backend attached over loopback gRPC: it ends,
// every number dialled once with one record, nothing lost.
func TestCampaignThroughRemoteBackend(t *testing.T) {
	const n = 40
	s := newServer(t, n, 0)
	w := newRecWorld(t, 1)
	attach(t, s.addr, w)
	s.waitEnd(60 * time.Second)
	if placed := w.check(t); placed != n {
		t.Errorf("the backend placed %d calls, want %d", placed, n)
	}
	if lost := s.checkRecords(n); lost != 0 {
		t.Errorf("%d calls lost", lost)
	}
	if st := s.hub.Stats(); st.Lost != 0 || st.Expired != 0 {
		t.Errorf("hub: %+v", st)
	}
}

// proxy forwards TCP connections to a server and cuts them on demand: a
// network failure between a backend and the server.
type proxy struct {
	lis    net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{lis: lis, target: target}
	go p.serve()
	t.Cleanup(func() { lis.Close(); p.cut() })
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.lis.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(s, c); s.Close() }()
		go func() { _, _ = io.Copy(c, s); c.Close() }()
	}
}

// cut closes every connection open through the proxy.
func (p *proxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	n := len(p.conns) / 2
	p.conns = nil
	return n
}

// TestStreamCut cuts the backend's connection three times in the middle of
// a campaign: the backend attaches again, is resumed, and the campaign
// ends with every number dialled once and closed once, no call lost.
func TestStreamCut(t *testing.T) {
	const n = 80
	s := newServer(t, n, 10*time.Minute)
	p := newProxy(t, s.addr)
	w := newRecWorld(t, 2)
	c := attach(t, p.lis.Addr().String(), w)
	for i := 1; i <= 3; i++ {
		s.waitDials(15 * i)
		if p.cut() == 0 {
			t.Fatal("no connection to cut")
		}
	}
	s.waitEnd(60 * time.Second)
	w.check(t)
	if lost := s.checkRecords(n); lost != 0 {
		t.Errorf("%d calls closed as lost after stream cuts", lost)
	}
	st := s.hub.Stats()
	if st.Lost != 0 || st.Expired != 0 {
		t.Errorf("hub: %+v", st)
	}
	if cs := c.Stats(); cs.Attaches < 4 {
		t.Errorf("%d attaches after 3 cuts", cs.Attaches)
	}
	t.Logf("hub %+v, client %+v", st, c.Stats())
}

// TestBackendKilled kills a backend process with SIGKILL in the middle of
// a campaign and starts another: the server closes the calls the dead one
// had with a record, and the campaign goes on to its end on the new one,
// every number dialled once and closed once.
func TestBackendKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts backend processes")
	}
	const n = 80
	s := newServer(t, n, 10*time.Minute)
	start := func(seed int) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+s.addr, helperEnv+"_SEED="+strconv.Itoa(seed))
		cmd.Stderr = &prefixWriter{t: t}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	first := start(1)
	s.waitDials(25)
	inFlight := s.r.Snapshot().ActiveCalls
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	start(2)
	s.waitEnd(90 * time.Second)
	lost := s.checkRecords(n)
	st := s.hub.Stats()
	// An answered call closed as lost is hung up, and the engine keeps no
	// hangup cause for a hang-up: only the unanswered ones show the cause.
	if st.Lost == 0 || lost == 0 || uint64(lost) > st.Lost+st.Expired {
		t.Errorf("%d records closed as lost (%d in flight at the kill); hub %+v", lost, inFlight, st)
	}
	t.Logf("%d calls in flight at the kill, %d records closed as lost; hub %+v", inFlight, lost, st)
}

type prefixWriter struct{ t *testing.T }

func (w *prefixWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log("backend: " + l)
	}
	return len(p), nil
}

// TestTwoBackends attaches two backends of three lines each: the calls are
// spread over both, neither ever has more than its lines, and the campaign
// ends with every number dialled once. Any backend rings any agent's
// phone, so both simulated worlds play the whole team (the second one's
// logins are refused as repeats).
func TestTwoBackends(t *testing.T) {
	const n = 60
	s := newServer(t, n, 0)
	w1 := newRecWorld(t, 3)
	w2 := newRecWorld(t, 4)
	for i, w := range []*recWorld{w1, w2} {
		cfg := clientConfig(s.addr)
		cfg.BackendID, cfg.Lines = fmt.Sprintf("sim-%d", i+1), 3
		attachWith(t, cfg, w)
	}
	s.waitEnd(60 * time.Second)
	p1, p2 := w1.check(t), w2.check(t)
	if p1+p2 != n || p1 == 0 || p2 == 0 {
		t.Errorf("the backends placed %d and %d calls, want %d in all on both", p1, p2, n)
	}
	if w1.maxUp > 3 || w2.maxUp > 3 {
		t.Errorf("%d and %d calls up at once on 3 lines each", w1.maxUp, w2.maxUp)
	}
	if lost := s.checkRecords(n); lost != 0 {
		t.Errorf("%d calls lost", lost)
	}
}

// TestNoBackend logs agents in through the runner with no backend
// attached: the originates are held, and fail as line failures once their
// ring timeout passes; when a backend attaches, calls go to it.
func TestNoBackend(t *testing.T) {
	const n = 40
	s := newServer(t, n, 0)
	for a := records.AgentID(1); a <= 5; a++ {
		if err := s.r.Submit(context.Background(), engine.Event{Kind: engine.EvAgentLogin, Agent: a}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.hub.Stats().Expired == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no held originate expired: %+v", s.hub.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := s.hub.Stats(); st.Sent != 0 {
		t.Fatalf("%d commands sent with no backend attached", st.Sent)
	}
	page, err := s.st.QueryRecords(store.RecordQuery{Tenant: "t", Limit: store.MaxPage, Peek: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) == 0 {
		t.Fatal("no record of the calls that found no backend")
	}
	for _, r := range page.Records {
		if r.Outcome != records.OutcomeInvalid || r.HangupCause != remote.CauseLost || r.EarlyCause != remote.EarlyLost {
			t.Errorf("call %d found no backend but ended %v with causes %d and %d", r.Call, r.Outcome, r.HangupCause, r.EarlyCause)
		}
	}
	w := newRecWorld(t, 5)
	attach(t, s.addr, w)
	s.waitEnd(60 * time.Second)
	if w.check(t) == 0 {
		t.Error("no call placed on the backend once it attached")
	}
	s.checkRecords(n)
}

// TestAttachRefused checks who may attach: no token and another tenant's
// token are refused before Hello, and a Hello the hub cannot serve is
// refused naming its field.
func TestAttachRefused(t *testing.T) {
	s := newServerOf(t, 1, 5, 0, speed, nil)
	if err := s.st.SetCredential("t", "t-app", "t-secret-0123456789"); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	token := func(app, key string) string {
		res, err := pb.NewAuthServiceClient(conn).Login(context.Background(), &pb.LoginRequest{AppId: app, AccessKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetToken()
	}
	attachWith := func(tok string, hello *bpb.Hello) error {
		ctx := context.Background()
		if tok != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
		}
		st, err := bpb.NewBackendServiceClient(conn).Attach(ctx)
		if err != nil {
			return err
		}
		if err := st.Send(&bpb.AttachRequest{Message: &bpb.AttachRequest_Hello{Hello: hello}}); err != nil {
			return err
		}
		_, err = st.Recv()
		return err
	}
	good := &bpb.Hello{BackendId: "b", Incarnation: "i", ProtocolVersion: remote.ProtocolVersion}
	admin := token(adminApp, adminSecret)
	for _, c := range []struct {
		name  string
		tok   string
		hello *bpb.Hello
		code  codes.Code
		field string
	}{
		{"no token", "", good, codes.Unauthenticated, ""},
		{"another tenant", token("t-app", "t-secret-0123456789"), good, codes.PermissionDenied, ""},
		{"protocol version", admin, &bpb.Hello{BackendId: "b", Incarnation: "i", ProtocolVersion: 2}, codes.InvalidArgument, "hello.protocol_version"},
		{"no backend id", admin, &bpb.Hello{Incarnation: "i", ProtocolVersion: 1}, codes.InvalidArgument, "hello.backend_id"},
		{"NaN rate", admin, &bpb.Hello{BackendId: "b", Incarnation: "i", ProtocolVersion: 1,
			Capacity: &bpb.Capacity{CallsPerSecond: math.NaN()}}, codes.InvalidArgument, "hello.capacity.calls_per_second"},
	} {
		err := attachWith(c.tok, c.hello)
		if status.Code(err) != c.code || !strings.Contains(fmt.Sprint(err), c.field) {
			t.Errorf("%s: %v, want %v naming %q", c.name, err, c.code, c.field)
		}
	}
	if err := attachWith(admin, good); err != nil {
		t.Errorf("the administrative tenant's token: %v", err)
	}
}

// TestServerRestart stops the server at once in the middle of a campaign
// and starts it again on the same store and address while the backend
// keeps its calls up: the new server does not resume the backend, which
// logs its agents in again and has the calls it reports hung up; the
// calls the stop cut off are closed as interrupted and their numbers
// dialled again; the campaign ends.
func TestServerRestart(t *testing.T) {
	const n = 60
	s := newServer(t, n, 0)
	w := newRecWorld(t, 6)
	c := attach(t, s.addr, w)
	s.waitDials(20)
	s.stop()
	s2 := serveOn(t, s.st, s.addr, 0, speed, nil) // the task runs on from the store
	s2.waitEnd(60 * time.Second)
	w.check(t)
	page, err := s2.st.QueryRecords(store.RecordQuery{Tenant: "t", Limit: store.MaxPage, Peek: true})
	if err != nil {
		t.Fatal(err)
	}
	interrupted := 0
	cut := map[string]bool{}
	for _, r := range page.Records {
		if r.Disposition == store.DispositionInterrupted {
			interrupted++
			cut[r.Called] = true
		}
	}
	// A call the stop cut off is closed as interrupted, and its number is
	// due again later: done or waiting, never lost.
	for i := range n {
		num, err := s2.st.FindNumber(1, phone(i))
		if err != nil {
			t.Fatal(err)
		}
		if num.State != records.NumberDone && !(cut[phone(i)] && num.State == records.NumberPending) {
			t.Errorf("%s: state %d (interrupted: %v)", phone(i), num.State, cut[phone(i)])
		}
	}
	if interrupted == 0 {
		t.Error("the stop interrupted no call")
	}
	if cs := c.Stats(); cs.Attaches < 2 {
		t.Errorf("the backend attached %d times", cs.Attaches)
	}
	t.Logf("%d interrupted; hub after the restart %+v; client %+v", interrupted, s2.hub.Stats(), c.Stats())
}
