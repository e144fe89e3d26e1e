package serve

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/backend/remote"
	"github.com/outpace-dev/outpace/backend/simulated"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
)

// TestRemoteBackends serves with remote backends: nothing is dialled until
// a simulated backend attaches to the gRPC API as the administrative app,
// then the demo campaign's calls go through it and end with records.
func TestRemoteBackends(t *testing.T) {
	const key = "remote-backend-test-key"
	dir := t.TempDir()
	cfg, log := config(t, dir, 50, 300, "agents.count=3")
	cfg.GRPC, cfg.AdminKey, cfg.Drain, cfg.RemoteBackends = "127.0.0.1:0", key, 0, true
	addr, stop := serveGRPC(t, cfg, log)
	time.Sleep(200 * time.Millisecond) // ten simulated seconds with no backend
	if regexp.MustCompile(`backend attached`).MatchString(log.String()) {
		t.Fatal("a backend attached before any was started")
	}

	sc, err := sim.ParseScenario(DemoScenario, []string{"agents.count=3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bctx, stopBackend := context.WithCancel(context.Background())
	bdone := make(chan error, 1)
	go func() {
		bdone <- simulated.Run(bctx, simulated.Config{
			Client:   remote.ClientConfig{Server: addr, AppID: AdminApp, AccessKey: key, BackendID: "sim-test"},
			Scenario: sc, Agents: simulated.AgentRange(3), Speed: 50, Seed: 1,
		})
	}()
	for end := time.Now().Add(20 * time.Second); !regexp.MustCompile(`backend synced`).MatchString(log.String()) && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // 150 simulated seconds of calls
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, log.String())
	}
	stopBackend()
	if err := <-bdone; err != nil {
		t.Fatal(err)
	}
	st := open(t, dir)
	defer st.Close()
	var connected int
	recs := allRecords(t, st)
	for _, r := range recs {
		if r.Result == records.ResultBoth {
			connected++
		}
	}
	if len(recs) == 0 || connected == 0 {
		t.Fatalf("%d records, %d connected to an agent, through the remote backend:\n%s", len(recs), connected, log.String())
	}
}
