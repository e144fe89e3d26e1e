package api

import (
	"errors"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/outpace-dev/outpace/apierr"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
	"github.com/outpace-dev/outpace/store/lists"
)

// Plain Go structs inside, protobuf at the edge: these functions convert
// between the store's and engine's types and the API's messages.

var pacingModes = map[pb.PacingMode]records.PacingMode{
	pb.PacingMode_PACING_MODE_UNSPECIFIED: records.ModeProgressive,
	pb.PacingMode_PACING_MODE_PREVIEW:     records.ModePreview,
	pb.PacingMode_PACING_MODE_PROGRESSIVE: records.ModeProgressive,
	pb.PacingMode_PACING_MODE_RATIO:       records.ModeRatio,
	pb.PacingMode_PACING_MODE_PREDICTIVE:  records.ModePredictive,
	pb.PacingMode_PACING_MODE_AGENTLESS:   records.ModeAgentless,
}

func pbPacingMode(m records.PacingMode) pb.PacingMode {
	for k, v := range pacingModes {
		if v == m && k != pb.PacingMode_PACING_MODE_UNSPECIFIED {
			return k
		}
	}
	return pb.PacingMode_PACING_MODE_UNSPECIFIED
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func fromTS(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func dur(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}

func fromDur(d *durationpb.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.AsDuration()
}

func retryRule(r *pb.RetryRule) records.RetryRule {
	return records.RetryRule{MaxAttempts: int(r.GetMaxAttempts()), Delay: fromDur(r.GetDelay())}
}

func pbRetryRule(r records.RetryRule) *pb.RetryRule {
	if r == (records.RetryRule{}) {
		return nil
	}
	return &pb.RetryRule{MaxAttempts: int32(r.MaxAttempts), Delay: dur(r.Delay)}
}

// storeTask converts a task of a create request (validated) for tenant.
func storeTask(tenant string, t *pb.Task, now time.Time) store.Task {
	spec := records.TaskSpec{
		Tenant:    tenant,
		Name:      t.GetName(),
		Queue:     records.QueueID(t.GetQueueId()),
		CallerIDs: t.GetCallerIds(),
		Pacing: records.PacingConfig{Mode: pacingModes[t.GetPacing().GetMode()],
			AbandonTarget: t.GetPacing().GetAbandonTarget(), Ratio: t.GetPacing().GetRatio()},
		NoAnswerTimeout:  fromDur(t.GetNoAnswerTimeout()),
		ConnectDeadline:  fromDur(t.GetConnectDeadline()),
		ACWTimeout:       fromDur(t.GetAcwTimeout()),
		AgentRingTimeout: fromDur(t.GetAgentRingTimeout()),
		MaxLinesPerAgent: t.GetMaxLinesPerAgent(),
		AbandonWindow:    fromDur(t.GetAbandonWindow()),
		SafeHarbor:       t.GetSafeHarborMessage(),
		MachineMsg:       t.GetMachineMessage(),
		Retry: records.RetryPolicy{
			Busy: retryRule(t.GetRetry().GetBusy()), NoAnswer: retryRule(t.GetRetry().GetNoAnswer()),
			Machine: retryRule(t.GetRetry().GetMachine()), Failed: retryRule(t.GetRetry().GetFailed()),
			Abandoned: retryRule(t.GetRetry().GetAbandoned()),
		},
	}
	if t.GetMachineAction() == pb.MachineAction_MACHINE_ACTION_MESSAGE {
		spec.Machine = records.MachineMessage
	}
	var w records.Window
	for i, d := range t.GetWindow() {
		if i < len(w.Days) {
			w.Days[i] = records.Hours{From: time.Duration(d.GetStartMinute()) * time.Minute,
				To: time.Duration(d.GetEndMinute()) * time.Minute}
		}
	}
	return store.Task{Spec: spec, Window: w, Created: now}
}

func pbTask(t *store.Task) *pb.Task {
	s := &t.Spec
	out := &pb.Task{
		Id:                uint64(s.ID),
		Name:              s.Name,
		AssignType:        pb.AssignType_ASSIGN_TYPE_QUEUE,
		QueueId:           uint32(s.Queue),
		Pacing:            &pb.Pacing{Mode: pbPacingMode(s.Pacing.Mode), AbandonTarget: s.Pacing.AbandonTarget, Ratio: s.Pacing.Ratio},
		CallerIds:         s.CallerIDs,
		NoAnswerTimeout:   dur(s.NoAnswerTimeout),
		ConnectDeadline:   dur(s.ConnectDeadline),
		AcwTimeout:        dur(s.ACWTimeout),
		AgentRingTimeout:  dur(s.AgentRingTimeout),
		MaxLinesPerAgent:  s.MaxLinesPerAgent,
		AbandonWindow:     dur(s.AbandonWindow),
		SafeHarborMessage: s.SafeHarbor,
		MachineMessage:    s.MachineMsg,
		Status:            pb.TaskStatus(t.Status),
		Exhausted:         t.Exhausted,
		CreateTime:        ts(t.Created),
		UpdateTime:        ts(t.Updated),
	}
	if s.Machine == records.MachineMessage {
		out.MachineAction = pb.MachineAction_MACHINE_ACTION_MESSAGE
	}
	if r := s.Retry; r != (records.RetryPolicy{}) {
		out.Retry = &pb.RetryPolicy{Busy: pbRetryRule(r.Busy), NoAnswer: pbRetryRule(r.NoAnswer),
			Machine: pbRetryRule(r.Machine), Failed: pbRetryRule(r.Failed), Abandoned: pbRetryRule(r.Abandoned)}
	}
	if !t.Window.IsZero() {
		for _, h := range t.Window.Days {
			out.Window = append(out.Window, &pb.DayWindow{StartMinute: int32(h.From / time.Minute), EndMinute: int32(h.To / time.Minute)})
		}
	}
	return out
}

// engineNumber converts a number of a request; the store validates it.
func engineNumber(n *pb.Number) records.Number {
	return records.Number{
		Phone:        n.GetPhone(),
		NotBefore:    fromTS(n.GetNotBefore()),
		NotAfter:     fromTS(n.GetNotAfter()),
		TZ:           n.GetTz(),
		Priority:     int(n.GetPriority()),
		Alternatives: n.GetAlternatives(),
		Data:         n.GetData(),
	}
}

func pbNumber(n *records.Number) *pb.Number {
	return &pb.Number{
		Id:           uint64(n.ID),
		Phone:        n.Phone,
		NotBefore:    ts(n.NotBefore),
		NotAfter:     ts(n.NotAfter),
		Tz:           n.TZ,
		Priority:     int32(n.Priority),
		Alternatives: n.Alternatives,
		Data:         n.Data,
		Attempts:     int32(n.Attempts),
		Callback:     n.Callback,
	}
}

func pbRecord(r *records.CallRecord) *pb.CallRecord {
	return &pb.CallRecord{
		CallId:          uint64(r.Call),
		TaskId:          uint64(r.Task),
		NumberId:        uint64(r.Number),
		CallerId:        r.CallerID,
		Called:          r.Called,
		AgentId:         uint32(r.Agent),
		QueueId:         uint32(r.Queue),
		StartTime:       ts(r.Start),
		RingTime:        ts(r.Ring),
		AnswerTime:      ts(r.Answer),
		EndTime:         ts(r.End),
		AgentStartTime:  ts(r.AgentStart),
		AgentRingTime:   ts(r.AgentRing),
		AgentAnswerTime: ts(r.AgentAnswer),
		AgentEndTime:    ts(r.AgentEnd),
		RingSeconds:     r.RingSeconds(),
		TalkSeconds:     r.TalkSeconds(),
		WaitSeconds:     r.WaitSeconds(),
		TotalSeconds:    r.TotalSeconds(),
		Outcome:         pb.Outcome(r.Outcome),
		Result:          int32(r.Result),
		EndResult:       int32(r.EndResult),
		HangupCause:     int32(r.HangupCause),
		EarlyCause:      int32(r.EarlyCause),
		Machine:         r.Machine,
		Disposition:     r.Disposition,
	}
}

func pbTenant(t *store.Tenant) *pb.Tenant {
	return &pb.Tenant{Id: t.ID, Name: t.Name, Tz: t.TZ, CreateTime: ts(t.Created)}
}

// pbImportResult converts an import's result, keeping at most keep refused
// entries.
func pbImportResult(r *store.ImportResult, keep int) *pb.ImportResult {
	out := &pb.ImportResult{Stored: int64(r.Stored), InvalidCount: int64(len(r.Invalid)), DuplicateCount: int64(len(r.Duplicates))}
	i, j := 0, 0
	for (i < len(r.Invalid) || j < len(r.Duplicates)) && len(out.Rejected) < keep {
		var e store.Rejected
		if j >= len(r.Duplicates) || (i < len(r.Invalid) && r.Invalid[i].Index < r.Duplicates[j].Index) {
			e, i = r.Invalid[i], i+1
		} else {
			e, j = r.Duplicates[j], j+1
		}
		out.Rejected = append(out.Rejected, pbRejected(&e))
	}
	return out
}

func pbRejected(e *store.Rejected) *pb.InvalidEntry {
	out := &pb.InvalidEntry{Index: int64(e.Index), Phone: e.Phone, ExistingNumberId: uint64(e.Existing)}
	if e.Existing != 0 {
		out.Field, out.Code, out.Reason = "phone", int32(apierr.InvalidParams), "the task already has this phone"
		return out
	}
	out.Code = int32(apierr.InvalidParams)
	var ae *apierr.Error
	var le *lists.LineError
	if errors.As(e.Err, &le) {
		out.Field, out.Reason = le.Field, le.Reason
		if le.Line > 0 {
			out.Index = int64(le.Line)
		}
	} else if errors.As(e.Err, &ae) {
		out.Field, out.Code, out.Reason = ae.Field, int32(ae.Code), ae.Msg
	} else if e.Err != nil {
		out.Reason = e.Err.Error()
	}
	return out
}
