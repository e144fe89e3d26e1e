package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/outpace-dev/outpace/api/apitest"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// A phone blacklisted through the API while the engine runs is never
// dialled: the tenant's list and the task's own both reach the engine,
// which skips the number (CALL-DELETED, reason 2) instead of calling it.
func TestBlacklistReachesTheEngine(t *testing.T) {
	e := apitest.Start(t, apitest.WithEngine(t, "acme", 3))
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+e.Login(t, "acme"))
	req := &pb.CreateTaskRequest{Task: &pb.Task{Name: "dnc", QueueId: e.Queues["acme"],
		Pacing: &pb.Pacing{Mode: pb.PacingMode_PACING_MODE_PROGRESSIVE}}}
	const n = 20
	for i := range n {
		req.Numbers = append(req.Numbers, &pb.Number{Phone: fmt.Sprintf("+1415555%04d", i)})
	}
	tasks := pb.NewTaskServiceClient(e.Conn)
	created, err := tasks.CreateTask(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	task := created.GetTask().GetId()
	bl := pb.NewBlacklistServiceClient(e.Conn)
	listed := map[string]bool{"+14155550003": true, "+14155550006": true}
	if _, err := bl.AddBlacklist(ctx, &pb.AddBlacklistRequest{Phone: "+14155550003"}); err != nil {
		t.Fatal(err)
	}
	if _, err := bl.AddBlacklist(ctx, &pb.AddBlacklistRequest{TaskId: task, Phone: "+14155550006"}); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sub, err := pb.NewEventServiceClient(e.Conn).Subscribe(sctx, &pb.SubscribeRequest{FromSeq: 1, TaskIds: []uint64{task}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tasks.SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task, Status: pb.TaskStatus_TASK_STATUS_RUNNING}); err != nil {
		t.Fatal(err)
	}
	dialled, skipped := map[string]bool{}, map[string]bool{}
	for len(dialled) < n-len(listed) || len(skipped) < len(listed) {
		m, err := sub.Recv()
		if err != nil {
			t.Fatalf("after %d phones dialled and %d skipped: %v", len(dialled), len(skipped), err)
		}
		cti := m.GetEvent().GetCti()
		switch cti.GetName() {
		case pb.CtiName_CTI_NAME_CALL_CREATED:
			if listed[cti.GetOtherDn()] {
				t.Fatalf("blacklisted %s dialled", cti.GetOtherDn())
			}
			dialled[cti.GetOtherDn()] = true
		case pb.CtiName_CTI_NAME_CALL_DELETED:
			if cti.GetCallId() == 0 && cti.GetReason() == 2 {
				skipped[cti.GetOtherDn()] = true
			}
		}
	}
	for p := range listed {
		if !skipped[p] {
			t.Errorf("%s not skipped as blacklisted: skipped %v", p, skipped)
		}
	}
}
