package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/pacing"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
)

// violations collects every bad field of a request, so that one answer
// names them all.
type violations []error

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, apierr.Invalid(field, format, args...))
}

func (v violations) err() error { return errors.Join(v...) }

// text checks a string's length in bytes (and that it has no NUL).
func (v *violations) text(field, s string, minLen, maxLen int) {
	switch {
	case len(s) < minLen && minLen == 1:
		v.add(field, "is required")
	case len(s) < minLen || len(s) > maxLen:
		v.add(field, "must be %d–%d bytes, got %d", minLen, maxLen, len(s))
	case strings.IndexByte(s, 0) >= 0:
		v.add(field, "must not contain NUL")
	}
}

func (v *violations) id(field string, id uint64) {
	if id == 0 {
		v.add(field, "is required")
	}
}

func (v *violations) count(field string, n, minN, maxN int) {
	if n < minN || n > maxN {
		if minN == 1 && n == 0 {
			v.add(field, "is required")
			return
		}
		v.add(field, "must hold %d–%d entries, got %d", minN, maxN, n)
	}
}

func (v *violations) zone(field, tz string) {
	if tz == "" {
		return
	}
	if _, err := time.LoadLocation(tz); err != nil || len(tz) > 64 {
		v.add(field, "unknown time zone %q", tz)
	}
}

func (v *violations) timestamp(field string, t *timestamppb.Timestamp) {
	if t != nil && t.CheckValid() != nil {
		v.add(field, "is not a valid time")
	}
}

// duration checks an optional duration against [lo, hi].
func (v *violations) duration(field string, d *durationpb.Duration, lo, hi time.Duration) {
	if d == nil {
		return
	}
	if d.CheckValid() != nil {
		v.add(field, "is not a valid duration")
		return
	}
	if x := d.AsDuration(); x < lo || x > hi {
		v.add(field, "must be between %v and %v, got %v", lo, hi, x)
	}
}

func (v *violations) finite(field string, x, lo, hi float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) || x < lo || x > hi {
		v.add(field, "must be a number in [%g, %g], got %v", lo, hi, x)
	}
}

func (v *violations) phones(field string, phones []string) {
	for i, p := range phones {
		if p == "" || len(p) > 64 {
			v.add(fmt.Sprintf("%s[%d]", field, i), "must be a phone number of 1–64 bytes")
		}
	}
}

// validateUnary refuses a request whose fields are out of range before any
// handler runs, naming every bad field.
func validateUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := validate(req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// validateStream validates every message a stream receives, before its
// handler sees it.
func validateStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &validatingStream{ss})
}

type validatingStream struct{ grpc.ServerStream }

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return validate(m)
}

// validate checks the shape of a request: presence, lengths, ranges, sizes.
// What needs the store (does the task exist, is the phone valid in its
// country) is the handlers' part.
func validate(req any) error {
	var v violations
	switch r := req.(type) {
	case *pb.LoginRequest:
		v.text("app_id", r.GetAppId(), 1, 128)
		v.text("access_key", r.GetAccessKey(), 1, 1024)
	case *pb.CreateTenantRequest:
		v.tenant("tenant", r.GetTenant())
	case *pb.UpdateTenantRequest:
		v.tenant("tenant", r.GetTenant())
	case *pb.GetTenantRequest:
		v.text("tenant_id", r.GetTenantId(), 1, 128)
	case *pb.SetCredentialRequest:
		v.text("tenant_id", r.GetTenantId(), 1, 128)
		v.text("app_id", r.GetAppId(), 1, 128)
		if k := r.GetAccessKey(); k != "" {
			v.text("access_key", k, 16, 1024)
		}
	case *pb.DeleteCredentialRequest:
		v.text("app_id", r.GetAppId(), 1, 128)
	case *pb.CreateTaskRequest:
		v.task("task", r.GetTask())
		v.count("numbers", len(r.GetNumbers()), 0, MaxNumbers)
	case *pb.AddNumbersRequest:
		v.id("task_id", r.GetTaskId())
		v.count("numbers", len(r.GetNumbers()), 1, MaxNumbers)
	case *pb.RemoveNumbersRequest:
		v.id("task_id", r.GetTaskId())
		v.count("phones", len(r.GetPhones()), 1, MaxNumbers)
		v.phones("phones", r.GetPhones())
	case *pb.SetTaskStatusRequest:
		v.id("task_id", r.GetTaskId())
		if s := r.GetStatus(); s < pb.TaskStatus_TASK_STATUS_RUNNING || s > pb.TaskStatus_TASK_STATUS_ENDED {
			v.add("status", "must be 1 (open), 2 (pause) or 3 (end), got %d", s)
		}
	case *pb.GetTaskRequest:
		v.id("task_id", r.GetTaskId())
	case *pb.GetTaskStatsRequest:
		v.id("task_id", r.GetTaskId())
	case *pb.ExplainNumberRequest:
		v.id("task_id", r.GetTaskId())
		if r.GetNumber() == nil {
			v.add("number", "number_id or phone is required")
		}
		v.timestamp("time", r.GetTime())
	case *pb.AddBlacklistRequest:
		v.phones("phone", []string{r.GetPhone()})
	case *pb.DeleteBlacklistRequest:
		v.phones("phone", []string{r.GetPhone()})
	case *pb.CheckBlacklistRequest:
		v.phones("phone", []string{r.GetPhone()})
	case *pb.BulkAddBlacklistRequest:
		v.count("phones", len(r.GetPhones()), 1, MaxNumbers)
		v.phones("phones", r.GetPhones())
	case *pb.BulkDeleteBlacklistRequest:
		v.count("phones", len(r.GetPhones()), 1, MaxNumbers)
		v.phones("phones", r.GetPhones())
	case *pb.ListBlacklistRequest:
		if n := r.GetPageSize(); n < 0 || n > 1000 {
			v.add("page_size", "must be 0–1000, got %d", n)
		}
	case *pb.SearchRecordsRequest:
		v.timestamp("from", r.GetFrom())
		v.timestamp("to", r.GetTo())
		if r.GetFrom() != nil && r.GetTo() != nil && r.GetTo().AsTime().Before(r.GetFrom().AsTime()) {
			v.add("to", "must not be before from")
		}
		for i, x := range r.GetResults() {
			if x < 0 || x > 2 {
				v.add(fmt.Sprintf("results[%d]", i), "must be 0, 1 or 2, got %d", x)
			}
		}
		if f := r.GetSyncFlag(); f < 0 || f > pb.SyncFlag_SYNC_FLAG_ALL {
			v.add("sync_flag", "must be 1, 2 or 3, got %d", f)
		}
		if n := r.GetPageSize(); n < 0 || n > 1000 {
			v.add("page_size", "must be 0–1000, got %d", n)
		}
		v.text("search_after", r.GetSearchAfter(), 0, 256)
		v.text("called", r.GetCalled(), 0, 64)
	case *pb.GetRecordRequest:
		v.id("call_id", r.GetCallId())
	case *pb.HangupCallRequest:
		v.id("call_id", r.GetCallId())
	case *pb.SetDispositionRequest:
		v.id("call_id", r.GetCallId())
		if d := r.GetDisposition(); d == nil {
			v.add("disposition", "is required")
		} else {
			v.text("disposition.level1", d.GetLevel1(), 1, 256)
			v.text("disposition.level2", d.GetLevel2(), 0, 256)
			v.text("disposition.level3", d.GetLevel3(), 0, 256)
			v.text("disposition.tag", d.GetTag(), 0, 256)
			v.text("disposition.comment", d.GetComment(), 0, 4096)
			v.count("disposition.data", len(d.GetData()), 0, 64)
			v.timestamp("disposition.reschedule_time", d.GetRescheduleTime())
		}
	case *pb.GetDispositionRequest:
		v.id("call_id", r.GetCallId())
	case *pb.SubscribeRequest:
		v.count("task_ids", len(r.GetTaskIds()), 0, 1000)
		v.count("agent_ids", len(r.GetAgentIds()), 0, 1000)
		for i, k := range r.GetKinds() {
			if k <= pb.EventKind_EVENT_KIND_UNSPECIFIED || k > pb.EventKind_EVENT_KIND_TASK {
				v.add(fmt.Sprintf("kinds[%d]", i), "unknown event kind %d", k)
			}
		}
	case *pb.ScheduleCallbackRequest:
		v.id("task_id", r.GetTaskId())
		v.phones("phone", []string{r.GetPhone()})
		v.timestamp("time", r.GetTime())
		v.zone("tz", r.GetTz())
	case *pb.ListSchedulesRequest:
		v.id("task_id", r.GetTaskId())
		v.timestamp("from", r.GetFrom())
		v.timestamp("to", r.GetTo())
	case *pb.RemoveSchedulesRequest:
		v.id("task_id", r.GetTaskId())
		v.timestamp("from", r.GetFrom())
		v.timestamp("to", r.GetTo())
	case *pb.RespoolRequest:
		v.id("task_id", r.GetTaskId())
		v.phones("phone", []string{r.GetPhone()})
	case *pb.RemoveContactRequest:
		v.id("task_id", r.GetTaskId())
		v.phones("phone", []string{r.GetPhone()})
	case *pb.CreateAgentRequest:
		v.agent("agent", r.GetAgent(), false)
	case *pb.UpdateAgentRequest:
		v.agent("agent", r.GetAgent(), true)
	case *pb.DeleteAgentRequest:
		v.id("agent_id", uint64(r.GetAgentId()))
	case *pb.GetAgentRequest:
		v.id("agent_id", uint64(r.GetAgentId()))
	case *pb.GetAgentStatusRequest:
		v.id("agent_id", uint64(r.GetAgentId()))
	case *pb.LoginAgentRequest:
		v.id("agent_id", uint64(r.GetAgentId()))
		if n := r.GetReason(); n != 0 {
			v.reason("reason", n)
		}
	case *pb.ReadyRequest:
		v.id("agent_id", uint64(r.GetAgentId()))
	case *pb.NotReadyRequest:
		v.id("agent_id", uint64(r.GetAgentId()))
		v.reason("reason", r.GetReason())
	case *pb.LogoutAgentRequest:
		v.id("agent_id", uint64(r.GetAgentId()))
	case *pb.CreateQueueRequest:
		v.queue("queue", r.GetQueue(), false)
	case *pb.UpdateQueueRequest:
		v.queue("queue", r.GetQueue(), true)
	case *pb.DeleteQueueRequest:
		v.id("queue_id", uint64(r.GetQueueId()))
	case *pb.GetQueueRequest:
		v.id("queue_id", uint64(r.GetQueueId()))
	case *pb.AddQueueAgentsRequest:
		v.id("queue_id", uint64(r.GetQueueId()))
		v.count("agent_ids", len(r.GetAgentIds()), 1, 10000)
	case *pb.RemoveQueueAgentsRequest:
		v.id("queue_id", uint64(r.GetQueueId()))
		v.count("agent_ids", len(r.GetAgentIds()), 1, 10000)
	case *pb.SignInRequest:
		v.id("queue_id", uint64(r.GetQueueId()))
		v.id("agent_id", uint64(r.GetAgentId()))
	case *pb.SignOutRequest:
		v.id("queue_id", uint64(r.GetQueueId()))
		v.id("agent_id", uint64(r.GetAgentId()))
	case *pb.SetAgentAvailabilityRequest:
		v.id("queue_id", uint64(r.GetQueueId()))
		v.id("agent_id", uint64(r.GetAgentId()))
		if a := r.GetAvailability(); a != pb.Availability_AVAILABILITY_BUSY && a != pb.Availability_AVAILABILITY_IDLE {
			v.add("availability", "must be 1 (busy) or 2 (idle), got %d", a)
		}
	}
	return v.err()
}

// reason checks a not-ready reason code: 2 do not disturb, 4 after-call
// work, 11 rest break, 12–98 custom.
func (v *violations) reason(field string, n int32) {
	if n != 2 && n != 4 && (n < 11 || n > 98) {
		v.add(field, "must be 2, 4 or 11–98, got %d", n)
	}
}

func (v *violations) agent(field string, a *pb.Agent, withID bool) {
	if a == nil {
		v.add(field, "is required")
		return
	}
	if withID {
		v.id(field+".id", uint64(a.GetId()))
	}
	v.text(field+".name", a.GetName(), 1, 128)
	v.text(field+".phone", a.GetPhone(), 0, 256)
}

func (v *violations) queue(field string, q *pb.Queue, withID bool) {
	if q == nil {
		v.add(field, "is required")
		return
	}
	if withID {
		v.id(field+".id", uint64(q.GetId()))
	}
	v.text(field+".name", q.GetName(), 1, 128)
	v.text(field+".remark", q.GetRemark(), 0, 1024)
	if k := q.GetKind(); k < pb.QueueKind_QUEUE_KIND_UNSPECIFIED || k > pb.QueueKind_QUEUE_KIND_GROUP {
		v.add(field+".kind", "must be 0 (queue) or 1 (group), got %d", k)
	}
	if s := q.GetStrategy(); s < 0 || s > pb.Strategy_STRATEGY_PRIORITY {
		v.add(field+".strategy", "must be 1–8, got %d", s)
	}
}

func (v *violations) tenant(field string, t *pb.Tenant) {
	if t == nil {
		v.add(field, "is required")
		return
	}
	v.text(field+".id", t.GetId(), 1, 128)
	v.text(field+".name", t.GetName(), 0, 256)
	v.zone(field+".tz", t.GetTz())
}

// task checks a task's settings as CreateTask takes them.
func (v *violations) task(field string, t *pb.Task) {
	if t == nil {
		v.add(field, "is required")
		return
	}
	v.text(field+".name", t.GetName(), 0, 256)
	if t.GetQueueId() == 0 {
		v.add(field+".queue_id", "is required")
	}
	if p := t.GetPacing(); p != nil {
		if _, ok := pacingModes[p.GetMode()]; !ok {
			v.add(field+".pacing.mode", "unknown pacing mode %d", p.GetMode())
		}
		v.finite(field+".pacing.abandon_target", p.GetAbandonTarget(), 0, 0.999)
		if p.GetMode() == pb.PacingMode_PACING_MODE_RATIO {
			if _, _, err := pacing.ParseRatio(p.GetRatio()); err != nil {
				v.add(field+".pacing.ratio", "%s", msgOf(err))
			}
		}
	}
	v.count(field+".caller_ids", len(t.GetCallerIds()), 0, 1000)
	v.phones(field+".caller_ids", t.GetCallerIds())
	v.duration(field+".no_answer_timeout", t.GetNoAnswerTimeout(), 15*time.Second, 10*time.Minute)
	v.duration(field+".connect_deadline", t.GetConnectDeadline(), 0, time.Minute)
	v.duration(field+".acw_timeout", t.GetAcwTimeout(), 0, 24*time.Hour)
	v.duration(field+".agent_ring_timeout", t.GetAgentRingTimeout(), time.Second, records.MaxAgentRingTimeout)
	v.duration(field+".abandon_window", t.GetAbandonWindow(), time.Minute, 31*24*time.Hour)
	if x := t.GetMaxLinesPerAgent(); x != 0 {
		v.finite(field+".max_lines_per_agent", x, 1, 50)
	}
	if m := t.GetMachineAction(); m < 0 || m > pb.MachineAction_MACHINE_ACTION_MESSAGE {
		v.add(field+".machine_action", "unknown machine action %d", m)
	}
	if a := t.GetAssignType(); a < 0 || a > pb.AssignType_ASSIGN_TYPE_GROUP {
		v.add(field+".assign_type", "unknown assign type %d", a)
	}
	v.text(field+".safe_harbor_message", t.GetSafeHarborMessage(), 0, 1024)
	v.text(field+".machine_message", t.GetMachineMessage(), 0, 1024)
	if r := t.GetRetry(); r != nil {
		rules := []*pb.RetryRule{r.GetBusy(), r.GetNoAnswer(), r.GetMachine(), r.GetFailed(), r.GetAbandoned()}
		for i, name := range []string{"busy", "no_answer", "machine", "failed", "abandoned"} {
			rule := rules[i]
			f := field + ".retry." + name
			if n := rule.GetMaxAttempts(); n < 0 || n > 100 {
				v.add(f+".max_attempts", "must be 0–100, got %d", n)
			}
			v.duration(f+".delay", rule.GetDelay(), 0, 365*24*time.Hour)
		}
	}
	if w := t.GetWindow(); len(w) != 0 {
		if len(w) != 7 {
			v.add(field+".window", "must hold 7 days (Sunday first) or none, got %d", len(w))
		}
		for i, d := range w {
			f := fmt.Sprintf("%s.window[%d]", field, i)
			if s, e := d.GetStartMinute(), d.GetEndMinute(); s < 0 || e > 1440 || s > e {
				v.add(f, "minutes must satisfy 0 ≤ start ≤ end ≤ 1440, got %d–%d", s, e)
			}
		}
	}
}

// msgOf returns the message of an *apierr.Error, or the error's text.
func msgOf(err error) string {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}
