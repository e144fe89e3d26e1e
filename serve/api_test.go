package serve

import (
	"context"
	"regexp"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// TestAPI serves the gRPC API on a free port: the log names the address
// and, on the first start, the administrative key, which logs in and sees
// the demo tenant; a later start with --admin-key replaces the key.
func TestAPI(t *testing.T) {
	dir := t.TempDir()
	for _, given := range []string{"", "a-key-chosen-by-the-operator"} {
		cfg, log := config(t, dir, 1, 200, "agents.count=3")
		cfg.GRPC, cfg.AdminKey, cfg.Drain = "127.0.0.1:0", given, 0
		addr, stop := serveGRPC(t, cfg, log)
		key := given
		if given == "" {
			k := regexp.MustCompile(`administrative tenant is created.* key=(\S+)`).FindStringSubmatch(log.String())
			if k == nil {
				t.Fatalf("no key logged on the first start:\n%s", log.String())
			}
			key = k[1]
		}
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		lr, err := pb.NewAuthServiceClient(conn).Login(context.Background(), &pb.LoginRequest{AppId: AdminApp, AccessKey: key})
		if err != nil {
			t.Fatalf("admin login with %q: %v", key, err)
		}
		actx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+lr.GetToken())
		ts, err := pb.NewTenantServiceClient(conn).ListTenants(actx, &pb.ListTenantsRequest{})
		if err != nil || len(ts.GetTenants()) != 2 || ts.GetTenants()[1].GetId() != DemoTenant {
			t.Fatalf("tenants: %v %v", ts, err)
		}
		conn.Close()
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
}

// serveGRPC runs serve with cfg until stop, which ends it as Ctrl-C does
// and returns its error; it returns once the log names the gRPC API's
// address.
func serveGRPC(t *testing.T, cfg Config, log *syncBuffer) (addr string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // a test that fails before stop still stops serve
	done := make(chan error, 1)
	go func() { done <- Run(ctx, nil, cfg) }()
	stop = func() error {
		cancel()
		return <-done
	}
	addrRE := regexp.MustCompile(`msg="gRPC API" addr=(\S+)`)
	for end := time.Now().Add(20 * time.Second); addrRE.FindStringSubmatch(log.String()) == nil && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	m := addrRE.FindStringSubmatch(log.String())
	if m == nil {
		_ = stop()
		t.Fatalf("no address logged:\n%s", log.String())
	}
	return m[1], stop
}
