package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/outpace-dev/outpace/api"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
)

// clock is the server's clock in tests: real time plus an offset the test
// moves.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// syncBuffer is a log sink safe for the server's goroutines.
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

// env is a server on real loopback gRPC over a real Badger store in a temp
// directory, with three tenants: "admin" (the administrative one), "acme"
// and "globex", each with an app credential and a queue.
type env struct {
	t      *testing.T
	st     *store.Badger
	srv    *api.Server
	conn   *grpc.ClientConn
	clock  *clock
	logs   *syncBuffer
	queues map[string]uint32
	agents []uint32 // acme's, with an engine
	addr   string   // the server's address
	dir    string   // the store's directory
	// stopEngine stops the runner, if one runs.
	stopEngine func()
}

const keySuffix = "-secret-access-key"

func newEnv(t testing.TB, tune func(*env, *api.Config), register func(*grpc.Server)) *env {
	e := &env{dir: t.TempDir(), clock: &clock{}, logs: &syncBuffer{}, queues: map[string]uint32{}}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	var err error
	if e.st, err = store.Open(store.Config{Dir: e.dir}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.close)
	for _, tenant := range []string{"admin", "acme", "globex"} {
		if err := e.st.PutTenant(store.Tenant{ID: tenant, Name: tenant + " inc"}); err != nil {
			t.Fatal(err)
		}
		if err := e.st.SetCredential(tenant, tenant+"-app", tenant+keySuffix); err != nil {
			t.Fatal(err)
		}
		q := store.Queue{Spec: records.QueueSpec{Tenant: tenant, Name: "sales", Strategy: records.StrategyLongestIdle}}
		if err := e.st.PutQueue(&q); err != nil {
			t.Fatal(err)
		}
		e.queues[tenant] = uint32(q.Spec.ID)
	}
	e.serve(t, tune, register)
	return e
}

// serve starts the server (and, through tune, its engine) on e.st.
func (e *env) serve(t testing.TB, tune func(*env, *api.Config), register func(*grpc.Server)) {
	cfg := api.Config{Store: e.st, AdminTenant: "admin", Now: e.clock.Now, Rate: -1,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if tune != nil {
		tune(e, &cfg)
	}
	var err error
	e.srv, err = api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if register != nil {
		register(e.srv.GRPC())
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = lis.Addr().String()
	go func() { _ = e.srv.Serve(lis) }()
	e.conn, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
}

// close stops the client, the server, the engine and the store.
func (e *env) close() {
	if e.conn != nil {
		e.conn.Close()
	}
	if e.srv != nil {
		e.srv.Stop()
	}
	if e.stopEngine != nil {
		e.stopEngine()
		e.stopEngine = nil
	}
	e.st.Close()
}

// restart stops everything and starts it again on the same directory, as a
// server restart does.
func (e *env) restart(t testing.TB, tune func(*env, *api.Config)) {
	e.close()
	var err error
	if e.st, err = store.Open(store.Config{Dir: e.dir}); err != nil {
		t.Fatal(err)
	}
	e.serve(t, tune, nil)
}

// login returns a context carrying a fresh token of tenant.
func (e *env) login(t testing.TB, tenant string) context.Context {
	t.Helper()
	resp, err := pb.NewAuthServiceClient(e.conn).Login(context.Background(),
		&pb.LoginRequest{AppId: tenant + "-app", AccessKey: tenant + keySuffix})
	if err != nil {
		t.Fatalf("login %s: %v", tenant, err)
	}
	return withToken(resp.GetToken())
}

func withToken(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}

// wantErr checks an error's gRPC code and, when code is not 0, the stable
// number in its ErrorInfo; it returns the status.
func wantErr(t *testing.T, err error, c codes.Code, code int) *status.Status {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != c {
		t.Fatalf("got %v (%v), want %v", st.Code(), err, c)
	}
	if code != 0 {
		info := errorInfo(st)
		if info == nil || info.GetMetadata()["code"] != strconv.Itoa(code) || info.GetDomain() != api.ErrorDomain {
			t.Fatalf("error info %v, want code %d in %v", info, code, err)
		}
	}
	return st
}

func errorInfo(st *status.Status) *errdetails.ErrorInfo {
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			return i
		}
	}
	return nil
}

func badRequest(st *status.Status) map[string]string {
	out := map[string]string{}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out[v.GetField()] = v.GetReason()
			}
		}
	}
	return out
}

// createTask creates a task of tenant through the API.
func (e *env) createTask(t *testing.T, ctx context.Context, tenant string, phones ...string) *pb.CreateTaskResponse {
	t.Helper()
	req := &pb.CreateTaskRequest{Task: &pb.Task{Name: "spring", QueueId: e.queues[tenant],
		Pacing: &pb.Pacing{Mode: pb.PacingMode_PACING_MODE_PREDICTIVE}}}
	for _, p := range phones {
		req.Numbers = append(req.Numbers, &pb.Number{Phone: p})
	}
	resp, err := pb.NewTaskServiceClient(e.conn).CreateTask(ctx, req)
	if err != nil {
		t.Fatalf("create task: %v", err)
	}
	return resp
}
