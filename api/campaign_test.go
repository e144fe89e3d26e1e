package api_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/runner"
)

// TestWholeCampaign runs a campaign from creation to its end through the
// API, with the simulated team and carrier on a clock 20 times real time:
// every number is dialled, the task runs dry, every call placed has its
// record, the figures agree with the records, the pacer's decisions carry
// its forecast, and the task ends.
func TestWholeCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a campaign for seconds")
	}
	e := newEnv(t, withWorld(t, busyWorld, 30, runner.NewScaled(time.Now(), 20)), nil)
	ctx := e.login(t, "acme")
	tasks := pb.NewTaskServiceClient(e.conn)
	const n = 300
	var phones []string
	for i := range n {
		phones = append(phones, fmt.Sprintf("+1415%07d", 7000000+i))
	}
	task := e.createTask(t, ctx, "acme", phones...).GetTask().GetId()

	// The predictive pacer's decisions, with the forecast behind them.
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	decisions, err := pb.NewEventServiceClient(e.conn).Subscribe(sctx, &pb.SubscribeRequest{TaskIds: []uint64{task},
		Kinds: []pb.EventKind{pb.EventKind_EVENT_KIND_PACING}})
	if err != nil {
		t.Fatal(err)
	}
	var forecast atomic.Bool
	go func() {
		for {
			m, err := decisions.Recv()
			if err != nil {
				return
			}
			if est := m.GetEvent().GetPacing().GetEstimates(); est["answer_rate"] > 0 && est["live_rate"] > 0 {
				forecast.Store(true)
			}
		}
	}()

	if _, err := tasks.SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task, Status: pb.TaskStatus_TASK_STATUS_RUNNING}); err != nil {
		t.Fatal(err)
	}

	// Until no number is left and no call is in flight.
	var stats *pb.TaskStats
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got, err := tasks.GetTask(ctx, &pb.GetTaskRequest{TaskId: task})
		if err != nil {
			t.Fatal(err)
		}
		s, err := tasks.GetTaskStats(ctx, &pb.GetTaskStatsRequest{TaskId: task})
		if err != nil {
			t.Fatal(err)
		}
		stats = s.GetStats()
		if got.GetTask().GetExhausted() && stats.GetDials() >= n && stats.GetCallsRinging()+stats.GetCallsWaiting()+stats.GetCallsTalking() == 0 &&
			stats.GetAgentsBusy() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the campaign did not run dry: %v", stats)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Every call placed has its record; every number was dialled.
	var recs []*pb.CallRecord
	for after := ""; ; {
		r, err := pb.NewRecordServiceClient(e.conn).SearchRecords(ctx, &pb.SearchRecordsRequest{TaskId: task,
			SyncFlag: pb.SyncFlag_SYNC_FLAG_ALL, PageSize: 1000, SearchAfter: after})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r.GetRecords()...)
		if after = r.GetSearchAfter(); after == "" {
			break
		}
	}
	if int64(len(recs)) != stats.GetDials() || len(recs) != n { // no retry rule: one call a number
		t.Fatalf("%d records for %d calls placed, %d numbers", len(recs), stats.GetDials(), n)
	}
	called := map[string]bool{}
	var connected int64
	for _, r := range recs {
		called[r.GetCalled()] = true
		if r.GetResult() == 2 {
			connected++
		}
	}
	for _, p := range phones {
		if !called[p] {
			t.Fatalf("%s was never dialled", p)
		}
	}
	st, err := pb.NewCampaignServiceClient(e.conn).GetCampaignStatus(ctx, &pb.GetCampaignStatusRequest{QueueId: e.queues["acme"]})
	if err != nil {
		t.Fatal(err)
	}
	cs := st.GetQueues()[0]
	if cs.GetCompleted() != connected || cs.GetTotalCalls() != stats.GetDials() || connected == 0 ||
		stats.GetConnected() != connected || cs.GetAbandoned() != stats.GetAbandoned() {
		t.Fatalf("campaign %v, task %v, %d records connected", cs, stats, connected)
	}

	if !forecast.Load() {
		t.Error("no pacing decision carried the predictive pacer's forecast")
	}

	if _, err := tasks.SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task, Status: pb.TaskStatus_TASK_STATUS_ENDED}); err != nil {
		t.Fatal(err)
	}
	if got, err := tasks.GetTask(ctx, &pb.GetTaskRequest{TaskId: task}); err != nil || got.GetTask().GetStatus() != pb.TaskStatus_TASK_STATUS_ENDED {
		t.Fatalf("ended task %v %v", got, err)
	}
}
