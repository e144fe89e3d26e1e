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
