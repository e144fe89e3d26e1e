package api

import (
	"context"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/engine"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
)

// callService implements CallService: hang-ups through the engine,
// dispositions in the store.
type callService struct {
	pb.UnimplementedCallServiceServer
	s *Server
}

// HangupCall asks the engine to end an active call of the caller's: the
// backend hangs up every leg and the call's record is written, ended by our
// side. Another tenant's call, like an ended one, does not exist.
func (h *callService) HangupCall(ctx context.Context, req *pb.HangupCallRequest) (*pb.HangupCallResponse, error) {
	eng, err := h.s.engine()
	if err != nil {
		return nil, err
	}
	call := records.CallID(req.GetCallId())
	var task records.TaskID
	active := false
	if err := eng.Inspect(ctx, func(e *engine.Engine) { task, active = e.CallTask(call) }); err != nil {
		return nil, err
	}
	if !active || h.s.ownTask(ctx, uint64(task)) != nil {
		return nil, apierr.New(apierr.NotFoundCallID, "call %d is not active", call)
	}
	// Call ids are never reused: the call is still this task's, or over
	// (which the engine answers NotFoundCallID).
	if err := h.s.submit(ctx, engine.Event{Kind: engine.EvHangupRequest, Call: call, Task: task, Side: engine.SideSystem}); err != nil {
		return nil, err
	}
	return &pb.HangupCallResponse{}, nil
}

func (h *callService) SetDisposition(ctx context.Context, req *pb.SetDispositionRequest) (*pb.SetDispositionResponse, error) {
	tenant := TenantFrom(ctx)
	st := h.s.cfg.Store
	call := records.CallID(req.GetCallId())
	rec, err := st.GetRecord(tenant, call)
	if err != nil {
		return nil, err
	}
	pd := req.GetDisposition()
	d := store.Disposition{Levels: [3]string{pd.GetLevel1(), pd.GetLevel2(), pd.GetLevel3()}, Tag: pd.GetTag(),
		Comment: pd.GetComment(), Data: pd.GetData(), Agent: records.AgentID(pd.GetAgentId()), At: h.s.cfg.Now(),
		Reschedule: fromTS(pd.GetRescheduleTime())}
	other := pd.GetRescheduleTaskId() != 0 && records.TaskID(pd.GetRescheduleTaskId()) != rec.Task
	if other && !d.Reschedule.IsZero() {
		if err := h.s.ownTask(ctx, pd.GetRescheduleTaskId()); err != nil {
			return nil, err
		}
		at := d.Reschedule
		d.Reschedule = time.Time{}
		if err := st.SetDisposition(tenant, call, d); err != nil {
			return nil, err
		}
		if _, err := st.ScheduleCallback(store.Schedule{Task: records.TaskID(pd.GetRescheduleTaskId()), Phone: rec.Called, At: at}); err != nil {
			return nil, err
		}
		return &pb.SetDispositionResponse{}, nil
	}
	if err := st.SetDisposition(tenant, call, d); err != nil {
		return nil, err
	}
	return &pb.SetDispositionResponse{}, nil
}

func (h *callService) GetDisposition(ctx context.Context, req *pb.GetDispositionRequest) (*pb.GetDispositionResponse, error) {
	d, err := h.s.cfg.Store.GetDisposition(TenantFrom(ctx), records.CallID(req.GetCallId()))
	if err != nil {
		return nil, err
	}
	return &pb.GetDispositionResponse{Disposition: &pb.Disposition{Level1: d.Levels[0], Level2: d.Levels[1], Level3: d.Levels[2],
		Tag: d.Tag, Comment: d.Comment, Data: d.Data, AgentId: uint32(d.Agent), Time: ts(d.At), RescheduleTime: ts(d.Reschedule)}}, nil
}
