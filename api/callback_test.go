package api_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// TestCallbackThenRemoveContact: a phone a callback added to a task is a
// contact of the task like any other: RemoveContact removes it, and its
// callback with it.
func TestCallbackThenRemoveContact(t *testing.T) {
	e := newEnv(t, withEngine(t), nil)
	ctx := e.login(t, "acme")
	phones := []string{"+14155591000"}
	for i := range 200 {
		phones = append(phones, fmt.Sprintf("+1415%07d", 5592000+i))
	}
	task := e.createTask(t, ctx, "acme", phones...).GetTask().GetId()
	if _, err := pb.NewTaskServiceClient(e.conn).SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task,
		Status: pb.TaskStatus_TASK_STATUS_RUNNING}); err != nil {
		t.Fatal(err)
	}
	schedules := pb.NewScheduleServiceClient(e.conn)
	due := timestamppb.New(time.Now().Add(48 * time.Hour))
	for _, phone := range []string{"+14155591001", phones[200]} { // a new phone, then one of the list
		if _, err := schedules.ScheduleCallback(ctx, &pb.ScheduleCallbackRequest{TaskId: task, Phone: phone, Time: due}); err != nil {
			t.Fatal(err)
		}
		r, err := schedules.RemoveContact(ctx, &pb.RemoveContactRequest{TaskId: task, Phone: phone})
		if err != nil {
			t.Fatalf("%s: %v", phone, err)
		}
		if !r.GetRemoved() {
			t.Fatalf("%s: the callback's phone was not removed", phone)
		}
		l, err := schedules.ListSchedules(ctx, &pb.ListSchedulesRequest{TaskId: task})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.GetCallbacks()) != 0 {
			t.Fatalf("%s: callbacks left after its removal: %v", phone, l.GetCallbacks())
		}
	}
}

// TestRemovedContactNotDialled: contacts removed from a running task while
// the engine holds some of them undialled are never dialled after their
// removal: a call of a removed phone started before it, or none was made.
func TestRemovedContactNotDialled(t *testing.T) {
	e := newEnv(t, withEngine(t), nil)
	ctx := e.login(t, "acme")
	var phones []string
	for i := range 200 {
		phones = append(phones, fmt.Sprintf("+1415%07d", 5593000+i))
	}
	task := e.createTask(t, ctx, "acme", phones...).GetTask().GetId()
	if _, err := pb.NewTaskServiceClient(e.conn).SetTaskStatus(ctx, &pb.SetTaskStatusRequest{TaskId: task,
		Status: pb.TaskStatus_TASK_STATUS_RUNNING}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the engine holds the head of the list
	removedAt := map[string]time.Time{}
	schedules := pb.NewScheduleServiceClient(e.conn)
	for _, p := range phones[:40] {
		at := time.Now()
		r, err := schedules.RemoveContact(ctx, &pb.RemoveContactRequest{TaskId: task, Phone: p})
		if err != nil {
			t.Fatal(err)
		}
		if r.GetRemoved() {
			removedAt[p] = at
		}
	}
	// The rest, in one request.
	r, err := pb.NewTaskServiceClient(e.conn).RemoveNumbers(ctx, &pb.RemoveNumbersRequest{TaskId: task, Phones: phones[40:80]})
	if err != nil || r.GetRemoved() != 40 {
		t.Fatalf("removed %v (%v), want 40", r, err)
	}
	for _, p := range phones[40:80] {
		removedAt[p] = time.Now()
	}
	if len(removedAt) < 70 {
		t.Fatalf("only %d of 80 removed", len(removedAt))
	}
	time.Sleep(3 * time.Second) // the agents take the calls they would have
	records := pb.NewRecordServiceClient(e.conn)
	dialled := 0
	for p, at := range removedAt {
		rs, err := records.SearchRecords(ctx, &pb.SearchRecordsRequest{Called: p, SyncFlag: pb.SyncFlag_SYNC_FLAG_ALL})
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range rs.GetRecords() {
			if rec.GetStartTime().AsTime().After(at) {
				t.Errorf("%s dialled at %v, after its removal at %v", p, rec.GetStartTime().AsTime(), at)
			}
		}
		dialled += len(rs.GetRecords())
	}
	t.Logf("%d calls of the %d removed phones, all before their removal", dialled, len(removedAt))
}
