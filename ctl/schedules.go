package ctl

import (
	"context"
	"io"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// Timestamp is t as a timestamp, nil when zero (a time flag left empty).
func Timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// ScheduleAdd schedules a callback of a phone in a task at a time (zero =
// now).
func (a *App) ScheduleAdd(ctx context.Context, req *pb.ScheduleCallbackRequest) error {
	r, err := call(ctx, a, a.ScheduleService.ScheduleCallback, req)
	if err != nil {
		return err
	}
	return a.done(r, "callback of %s scheduled in task %d (number %d)", req.GetPhone(), req.GetTaskId(), r.GetNumberId())
}

// ScheduleList prints a task's pending callbacks due in [from, to).
func (a *App) ScheduleList(ctx context.Context, task uint64, from, to time.Time) error {
	r, err := call(ctx, a, a.ScheduleService.ListSchedules, &pb.ListSchedulesRequest{TaskId: task, From: Timestamp(from), To: Timestamp(to)})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) {
		row(w, "DUE", "NUMBER", "PHONE", "ATTEMPTS", "PRIORITY", "ALTERNATIVES", "DATA")
		for _, c := range r.GetCallbacks() {
			n := c.GetNumber()
			row(w, when(c.GetTime()), n.GetId(), n.GetPhone(), n.GetAttempts(), n.GetPriority(), join(n.GetAlternatives()), kv(n.GetData()))
		}
	})
}

// ScheduleRemove removes a task's pending callbacks due in [from, to), of
// one phone or of all.
func (a *App) ScheduleRemove(ctx context.Context, task uint64, phone string, from, to time.Time, clientToken string) error {
	r, err := call(ctx, a, a.ScheduleService.RemoveSchedules, &pb.RemoveSchedulesRequest{TaskId: task, Phone: phone,
		From: Timestamp(from), To: Timestamp(to), ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.done(r, "%d callbacks removed from task %d", r.GetRemoved(), task)
}

// Respool puts a number back in its task's list now.
func (a *App) Respool(ctx context.Context, req *pb.RespoolRequest) error {
	r, err := call(ctx, a, a.ScheduleService.Respool, req)
	if err != nil {
		return err
	}
	return a.done(r, "number %d (%s) back in task %d's list", r.GetNumberId(), req.GetPhone(), req.GetTaskId())
}

// RemoveContact removes a phone from a task's list.
func (a *App) RemoveContact(ctx context.Context, task uint64, phone, clientToken string) error {
	r, err := call(ctx, a, a.ScheduleService.RemoveContact, &pb.RemoveContactRequest{TaskId: task, Phone: phone, ClientToken: clientToken})
	if err != nil {
		return err
	}
	if r.GetRemoved() {
		return a.done(r, "%s removed from task %d", phone, task)
	}
	return a.done(r, "%s not removed: task %d does not have it, or is dialling it", phone, task)
}
