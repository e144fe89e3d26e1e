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
}

const keySuffix = "-secret-access-key"

func newEnv(t testing.TB, tune func(*env, *api.Config), register func(*grpc.Server)) *env {
	st, err := store.Open(store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, clock: &clock{}, logs: &syncBuffer{}, queues: map[string]uint32{}}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	for _, tenant := range []string{"admin", "acme", "globex"} {
		if err := st.PutTenant(store.Tenant{ID: tenant, Name: tenant + " inc"}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetCredential(tenant, tenant+"-app", tenant+keySuffix); err != nil {
			t.Fatal(err)
		}
		q := store.Queue{Spec: records.QueueSpec{Tenant: tenant, Name: "sales", Strategy: records.StrategyLongestIdle}}
		if err := st.PutQueue(&q); err != nil {
			t.Fatal(err)
		}
		e.queues[tenant] = uint32(q.Spec.ID)
	}
	cfg := api.Config{Store: st, AdminTenant: "admin", Now: e.clock.Now, Rate: -1,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if tune != nil {
		tune(e, &cfg)
	}
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
	t.Cleanup(func() {
		e.conn.Close()
		e.srv.Stop()
		st.Close()
	})
	return e
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
