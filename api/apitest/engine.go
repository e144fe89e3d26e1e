package apitest

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/api"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/store"
)

// World is the simulated carrier and team WithEngine runs in real time:
// customers answer within a second and talk briefly, so a test sees whole
// calls in a few seconds.
const World = `
name: apitest
agents: {count: 3, answer_delay: {dist: constant, value: 100ms}}
outcomes: {live: 0.6, machine: 0.1, no_answer: 0.1, busy: 0.1, invalid: 0.1}
timing:
  live: {dist: uniform, min: 200ms, max: 600ms}
  machine: {dist: constant, value: 300ms}
  busy: {dist: constant, value: 200ms}
  invalid: {dist: constant, value: 100ms}
handling:
  talk: {dist: uniform, min: 500ms, max: 1s}
  wrap: {dist: constant, value: 200ms}
task: {no_answer_timeout: 20s, connect_deadline: 2s}
`

// WithEngine is a Start option: it gives tenant agents agents, members of
// its queue, and runs the real runner over the store with the simulated
// World as its backend, in real time, until the test ends. It returns
// once the world has logged the team in; Env.Agents and Env.Runner are
// then set.
func WithEngine(t testing.TB, tenant string, agents int) func(*Env, *api.Config) {
	return func(e *Env, c *api.Config) {
		t.Helper()
		q, err := e.Store.GetQueue(tenant, records.QueueID(e.Queues[tenant]))
		if err != nil {
			t.Fatal(err)
		}
		for i := range agents {
			a := records.AgentSpec{Tenant: tenant, Name: fmt.Sprint(1001 + i), Phone: fmt.Sprint(1001 + i)}
			if err := e.Store.PutAgent(&a); err != nil {
				t.Fatal(err)
			}
			q.Members = append(q.Members, a.ID)
			e.Agents = append(e.Agents, uint32(a.ID))
		}
		if err := e.Store.PutQueue(&q); err != nil {
			t.Fatal(err)
		}
		r, stop := RunWorld(t, e.Store, q.Spec.ID, q.Members, World, runner.Real{}, slog.New(slog.DiscardHandler))
		t.Cleanup(stop)
		c.Engine = r
		e.Runner = r
	}
}

// RunWorld runs the real runner over st, with the simulated world of
// scenario (its team: members, of queue) as its backend on clock, and
// returns once the world has logged the whole team in. stop ends the
// runner and waits for it.
func RunWorld(t testing.TB, st *store.Badger, queue records.QueueID, members []records.AgentID, scenario string, clock runner.Clock, log *slog.Logger) (r *runner.Runner, stop func()) {
	t.Helper()
	sc, err := sim.ParseScenario([]byte(scenario), []string{fmt.Sprintf("agents.count=%d", len(members))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	live := sim.NewLive(sc, 1, members, true, clock)
	r = runner.New(runner.Config{Store: st, Backend: live, Clock: clock, Seed: 1, Logger: log})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = r.Run(ctx) }()
	stop = func() {
		cancel()
		<-r.Done()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = r.Flush(context.Background())
		if s := r.Snapshot(); s != nil && s.Queues[queue].LoggedIn == len(members) {
			return r, stop
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("the simulated team did not log in: %+v %v", r.Snapshot(), r.Err())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
