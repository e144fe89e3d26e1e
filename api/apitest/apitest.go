// Package apitest starts the API server for the tests of its clients: real
// gRPC over loopback, on a real Badger store in a temporary directory,
// with three tenants ("admin", the administrative one, "acme" and
// "globex"), each with an app credential and a queue named "sales".
package apitest

import (
	"context"
	"log/slog"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/outpace-dev/outpace/api"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/store"
)

// Tenants are the tenants Start creates, the administrative one first.
var Tenants = []string{"admin", "acme", "globex"}

// App returns the app id of tenant's credential.
func App(tenant string) string { return tenant + "-app" }

// Key returns the access key of tenant's credential.
func Key(tenant string) string { return tenant + "-secret-access-key" }

// Env is a running server.
type Env struct {
	// Addr is the server's loopback address.
	Addr string
	// Store is the server's store, open.
	Store *store.Badger
	// Server is the server.
	Server *api.Server
	// Conn is a client connection to Addr.
	Conn *grpc.ClientConn
	// Queues holds each tenant's queue id.
	Queues map[string]uint32
	// Agents and Runner are set by WithEngine: the agents it created and
	// the runner that owns the engine.
	Agents []uint32
	Runner *runner.Runner

	cfg api.Config
}

// Start starts a server and stops it when the test ends. tune, when not
// nil, adjusts the configuration (an engine, a clock, a logger) before
// the server is built; by default requests are not rate limited and
// nothing is logged.
func Start(t testing.TB, tune func(*Env, *api.Config)) *Env {
	t.Helper()
	st, err := store.Open(store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Store: st, Queues: map[string]uint32{}}
	for _, tenant := range Tenants {
		if err := st.PutTenant(store.Tenant{ID: tenant, Name: tenant + " inc"}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetCredential(tenant, App(tenant), Key(tenant)); err != nil {
			t.Fatal(err)
		}
		q := store.Queue{Spec: records.QueueSpec{Tenant: tenant, Name: "sales", Strategy: records.StrategyLongestIdle}}
		if err := st.PutQueue(&q); err != nil {
			t.Fatal(err)
		}
		e.Queues[tenant] = uint32(q.Spec.ID)
	}
	cfg := api.Config{Store: st, AdminTenant: Tenants[0], Rate: -1, Logger: slog.New(slog.DiscardHandler)}
	if tune != nil {
		tune(e, &cfg)
	}
	e.cfg = cfg
	e.serve(t, "127.0.0.1:0")
	if e.Conn, err = grpc.NewClient(e.Addr, grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Conn.Close()
		e.Server.Stop()
		st.Close()
	})
	return e
}

// serve starts a server of e's configuration on addr.
func (e *Env) serve(t testing.TB, addr string) {
	t.Helper()
	var err error
	if e.Server, err = api.New(e.cfg); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	e.Addr = lis.Addr().String()
	srv := e.Server
	go func() { _ = srv.Serve(lis) }()
}

// Restart closes every connection to the server and serves again on the
// same address, over the same store and engine: what a client sees of a
// server restart or a network break.
func (e *Env) Restart(t testing.TB) {
	t.Helper()
	e.Server.Stop()
	e.serve(t, e.Addr)
}

// Login returns a fresh token of tenant.
func (e *Env) Login(t testing.TB, tenant string) string {
	t.Helper()
	r, err := pb.NewAuthServiceClient(e.Conn).Login(context.Background(), &pb.LoginRequest{AppId: App(tenant), AccessKey: Key(tenant)})
	if err != nil {
		t.Fatalf("login %s: %v", tenant, err)
	}
	return r.GetToken()
}
