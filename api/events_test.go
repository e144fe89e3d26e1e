package api_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/outpace-dev/outpace/api"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/runner"
)

// countSubs counts the subscriptions the event service takes on the
// runner: a subscriber the runner drops for falling behind subscribes
// again once it has read the log.
type countSubs struct {
	api.Engine
	n atomic.Int32
}

func (c *countSubs) Subscribe(buf int) (<-chan runner.Published, func()) {
	c.n.Add(1)
	return c.Engine.Subscribe(buf)
}

// busyWorld is a large team on short calls, run 20 times faster than real
// time: hundreds of events a second.
const busyWorld = `
name: api-busy
agents: {count: 30, answer_delay: {dist: constant, value: 1s}}
outcomes: {live: 0.6, machine: 0.1, no_answer: 0.1, busy: 0.1, invalid: 0.1}
timing:
  live: {dist: uniform, min: 2s, max: 6s}
  machine: {dist: constant, value: 3s}
  busy: {dist: constant, value: 2s}
  invalid: {dist: constant, value: 1s}
handling:
  talk: {dist: uniform, min: 5s, max: 15s}
  wrap: {dist: constant, value: 2s}
task: {no_answer_timeout: 20s, connect_deadline: 2s}
`

// TestSlowSubscriber: a subscriber that never reads does not hold the
// dialer back. Its gRPC stream fills, the runner drops it rather than
// wait, and the campaign goes on far past what the stream and the
// subscriber's buffer hold; when it reads at last, it gets every event
// from its sequence number on, without a hole, from the event log.
func TestSlowSubscriber(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a busy campaign for seconds")
	}
	var subs *countSubs
	e := newEnv(t, func(e *env, c *api.Config) {
		withWorld(t, busyWorld, 30, runner.NewScaled(time.Now(), 20))(e, c)
		subs = &countSubs{Engine: c.Engine}
		c.Engine = subs
		c.EventBuffer = 4
	}, nil)
	ctx := e.login(t, "acme")

	// A client whose flow-control windows stay at their smallest: what it
	// does not read soon holds the server's sends.
	slow, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	sctx, stop := context.WithTimeout(ctx, 2*time.Minute)
	defer stop()
	sub, err := pb.NewEventServiceClient(slow).Subscribe(sctx, &pb.SubscribeRequest{FromSeq: 1})
	if err != nil {
		t.Fatal(err)
	}

	var phones []string
	for i := range 10000 {
		phones = append(phones, fmt.Sprintf("+1415%07d", 6000000+i))
	}
	task := e.createTask(t, ctx, "acme", phones...).GetTask().GetId()
	if _, err := pb.NewTaskServiceClient(e.conn).SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task,
		Status: pb.TaskStatus_TASK_STATUS_RUNNING}); err != nil {
		t.Fatal(err)
	}
	lastSeq := func() uint64 {
		n, err := e.st.LastSeq("acme")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor := func(what string, ok func() bool) {
		deadline := time.Now().Add(90 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 90 s (%d subscriptions, last event %d)", what, subs.n.Load(), lastSeq())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The stalled stream holds about 128 KiB (two flow-control windows),
	// under a thousand events, and the runner keeps 4 batches for it: a
	// dialer that waited for it would stop long before this.
	const far = 5000
	waitFor("the campaign goes on", func() bool { return lastSeq() >= far })
	end := lastSeq()
	if n := subs.n.Load(); n != 1 {
		t.Fatalf("%d subscriptions before the subscriber read anything", n)
	}

	for want := uint64(1); want <= end; want++ {
		m, err := sub.Recv()
		if err != nil {
			t.Fatalf("after %d events: %v", want-1, err)
		}
		if got := m.GetEvent().GetSeq(); got != want {
			t.Fatalf("event %d, want %d", got, want)
		}
	}
	// The runner had dropped it: it went back to the log, then subscribed
	// again.
	if n := subs.n.Load(); n < 2 {
		t.Fatalf("%d subscription: the runner kept a subscriber that did not read", n)
	}
}
