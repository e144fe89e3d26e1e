package api_test

import (
	"context"
	"crypto/sha256"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/outpace-dev/outpace/api"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

func TestAuthFailures(t *testing.T) {
	e := newEnv(t, nil, nil)
	auth := pb.NewAuthServiceClient(e.conn)
	tasks := pb.NewTaskServiceClient(e.conn)

	t.Run("no token", func(t *testing.T) {
		_, err := tasks.ListTasks(context.Background(), &pb.ListTasksRequest{})
		wantErr(t, err, codes.Unauthenticated, 600)
	})
	t.Run("unknown token", func(t *testing.T) {
		_, err := tasks.ListTasks(withToken("not-a-token"), &pb.ListTasksRequest{})
		wantErr(t, err, codes.Unauthenticated, 600)
	})
	t.Run("not bearer", func(t *testing.T) {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Basic abc")
		_, err := tasks.ListTasks(ctx, &pb.ListTasksRequest{})
		wantErr(t, err, codes.Unauthenticated, 600)
	})
	t.Run("wrong access key", func(t *testing.T) {
		_, err := auth.Login(context.Background(), &pb.LoginRequest{AppId: "acme-app", AccessKey: "globex" + keySuffix})
		wantErr(t, err, codes.Unauthenticated, 601)
	})
	t.Run("unknown app", func(t *testing.T) {
		_, err := auth.Login(context.Background(), &pb.LoginRequest{AppId: "nobody", AccessKey: "acme" + keySuffix})
		wantErr(t, err, codes.Unauthenticated, 601)
	})
	t.Run("expired", func(t *testing.T) {
		ctx := e.login(t, "acme")
		if _, err := tasks.ListTasks(ctx, &pb.ListTasksRequest{}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(api.DefaultTokenTTL - time.Second)
		if _, err := tasks.ListTasks(ctx, &pb.ListTasksRequest{}); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		e.clock.Advance(time.Second)
		_, err := tasks.ListTasks(ctx, &pb.ListTasksRequest{})
		wantErr(t, err, codes.Unauthenticated, 600)
		e.clock.Advance(-api.DefaultTokenTTL)
	})
	t.Run("revoked by logout", func(t *testing.T) {
		ctx := e.login(t, "acme")
		other := e.login(t, "acme")
		if _, err := auth.Logout(ctx, &pb.LogoutRequest{}); err != nil {
			t.Fatal(err)
		}
		_, err := tasks.ListTasks(ctx, &pb.ListTasksRequest{})
		wantErr(t, err, codes.Unauthenticated, 600)
		if _, err := tasks.ListTasks(other, &pb.ListTasksRequest{}); err != nil {
			t.Fatalf("another token of the same app: %v", err)
		}
	})
	t.Run("revoked with its credential", func(t *testing.T) {
		ctx := e.login(t, "globex")
		admin := e.login(t, "admin")
		if _, err := pb.NewTenantServiceClient(e.conn).DeleteCredential(admin, &pb.DeleteCredentialRequest{AppId: "globex-app"}); err != nil {
			t.Fatal(err)
		}
		_, err := tasks.ListTasks(ctx, &pb.ListTasksRequest{})
		wantErr(t, err, codes.Unauthenticated, 600)
	})
	t.Run("another tenant's token", func(t *testing.T) {
		acme := e.login(t, "acme")
		task := e.createTask(t, acme, "acme", "+14155550100")
		_, err := tasks.GetTask(e.login(t, "admin"), &pb.GetTaskRequest{TaskId: task.GetTask().GetId()})
		wantErr(t, err, codes.NotFound, 1024)
	})
	t.Run("tokens are stored hashed", func(t *testing.T) {
		resp, err := auth.Login(context.Background(), &pb.LoginRequest{AppId: "acme-app", AccessKey: "acme" + keySuffix})
		if err != nil {
			t.Fatal(err)
		}
		who, err := auth.WhoAmI(withToken(resp.GetToken()), &pb.WhoAmIRequest{})
		if err != nil || who.GetTenantId() != "acme" || who.GetAdmin() {
			t.Fatalf("whoami: %v %v", who, err)
		}
		if _, err := e.st.GetSession(sha256.Sum256([]byte(resp.GetToken()))); err != nil {
			t.Fatalf("no session under the token's hash: %v", err)
		}
		if strings.Contains(e.logs.String(), resp.GetToken()) {
			t.Fatal("the token appears in the log")
		}
	})
}

func TestTenantServiceIsAdminOnly(t *testing.T) {
	e := newEnv(t, nil, nil)
	tenants := pb.NewTenantServiceClient(e.conn)
	_, err := tenants.ListTenants(e.login(t, "acme"), &pb.ListTenantsRequest{})
	wantErr(t, err, codes.PermissionDenied, 601)

	admin := e.login(t, "admin")
	if _, err := tenants.CreateTenant(admin, &pb.CreateTenantRequest{Tenant: &pb.Tenant{Id: "initech", Tz: "Europe/London"}}); err != nil {
		t.Fatal(err)
	}
	cred, err := tenants.SetCredential(admin, &pb.SetCredentialRequest{TenantId: "initech", AppId: "initech-app"})
	if err != nil || len(cred.GetAccessKey()) < 16 {
		t.Fatalf("set credential: %v %v", cred, err)
	}
	resp, err := pb.NewAuthServiceClient(e.conn).Login(context.Background(),
		&pb.LoginRequest{AppId: "initech-app", AccessKey: cred.GetAccessKey()})
	if err != nil || resp.GetTenantId() != "initech" {
		t.Fatalf("login to the new tenant: %v %v", resp, err)
	}
	_, err = tenants.CreateTenant(admin, &pb.CreateTenantRequest{Tenant: &pb.Tenant{Id: "initech"}})
	wantErr(t, err, codes.InvalidArgument, 301018)
}

// panicService is a handler that panics, registered for the test only: no
// real handler panics on purpose, and the chain must hold when one does.
var panicService = grpc.ServiceDesc{
	ServiceName: "outpace.test.Panic",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Boom",
		Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			boom := func(context.Context, any) (any, error) { panic("index out of range [7] with length 3") }
			return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/outpace.test.Panic/Boom"}, boom)
		},
	}},
}

func TestPanicIsInternalWithoutStack(t *testing.T) {
	e := newEnv(t, nil, func(g *grpc.Server) { g.RegisterService(&panicService, struct{}{}) })
	var hdr metadata.MD
	err := e.conn.Invoke(e.login(t, "acme"), "/outpace.test.Panic/Boom", &emptypb.Empty{}, &emptypb.Empty{}, grpc.Header(&hdr))
	st := wantErr(t, err, codes.Internal, 301000)
	id := errorInfo(st).GetMetadata()["request_id"]
	if id == "" || !strings.Contains(st.Message(), id) || hdr.Get("x-request-id")[0] != id {
		t.Fatalf("request id %q not in message %q or header %v", id, st.Message(), hdr)
	}
	for _, leak := range []string{"goroutine", ".go:", "index out of range", "panic"} {
		if strings.Contains(st.Message(), leak) || strings.Contains(st.String(), leak) {
			t.Fatalf("the answer leaks %q: %v", leak, st)
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "panic in handler") || !strings.Contains(logs, "goroutine") || !strings.Contains(logs, id) {
		t.Fatalf("the stack and request id are not logged:\n%s", logs)
	}
	// The server keeps serving.
	if _, err := pb.NewTaskServiceClient(e.conn).ListTasks(e.login(t, "acme"), &pb.ListTasksRequest{}); err != nil {
		t.Fatal(err)
	}
}

func TestRateLimitPerTenant(t *testing.T) {
	e := newEnv(t, func(_ *env, c *api.Config) { c.Rate, c.Burst = 0.001, 3 }, nil)
	tasks := pb.NewTaskServiceClient(e.conn)
	acme, globex := e.login(t, "acme"), e.login(t, "globex")
	for i := range 3 {
		if _, err := tasks.ListTasks(acme, &pb.ListTasksRequest{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := tasks.ListTasks(acme, &pb.ListTasksRequest{})
	wantErr(t, err, codes.ResourceExhausted, 301027)
	if _, err := tasks.ListTasks(globex, &pb.ListTasksRequest{}); err != nil {
		t.Fatalf("another tenant is limited too: %v", err)
	}
}

// TestHealthAndReflection checks what probes and grpcurl use: both answer
// without a token.
func TestHealthAndReflection(t *testing.T) {
	e := newEnv(t, nil, nil)
	h, err := healthpb.NewHealthClient(e.conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", h, err)
	}
	stream, err := reflectionpb.NewServerReflectionClient(e.conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{"outpace.v1.TaskService", "outpace.v1.EventService", "grpc.health.v1.Health"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, not %s", names, want)
		}
	}
}

func TestBootstrap(t *testing.T) {
	e := newEnv(t, nil, nil)
	key, created, err := api.Bootstrap(e.st, "root", "root-app", "", time.Now())
	if err != nil || !created || len(key) < 16 {
		t.Fatalf("first start: %q %v %v", key, created, err)
	}
	if k, c, err := api.Bootstrap(e.st, "root", "root-app", "", time.Now()); err != nil || c || k != "" {
		t.Fatalf("second start: %q %v %v", k, c, err)
	}
	resp, err := pb.NewAuthServiceClient(e.conn).Login(context.Background(), &pb.LoginRequest{AppId: "root-app", AccessKey: key})
	if err != nil || resp.GetTenantId() != "root" {
		t.Fatalf("login with the printed key: %v %v", resp, err)
	}
	if _, _, err := api.Bootstrap(e.st, "root", "root-app", "a-key-from-the-environment", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewAuthServiceClient(e.conn).Login(context.Background(),
		&pb.LoginRequest{AppId: "root-app", AccessKey: "a-key-from-the-environment"}); err != nil {
		t.Fatal(err)
	}
}
