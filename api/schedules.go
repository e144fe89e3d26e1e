package api

import (
	"context"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
)

// scheduleService implements ScheduleService from the store.
type scheduleService struct {
	pb.UnimplementedScheduleServiceServer
	s *Server
}

// phone normalises one phone of a request.
func phone(field, p string) (string, error) {
	out, err := normalize(field, []string{p}, false)
	if err != nil {
		return "", err
	}
	return out[0], nil
}

func (h *scheduleService) ScheduleCallback(ctx context.Context, req *pb.ScheduleCallbackRequest) (*pb.ScheduleCallbackResponse, error) {
	if err := h.s.ownTask(ctx, req.GetTaskId()); err != nil {
		return nil, err
	}
	p, err := phone("phone", req.GetPhone())
	if err != nil {
		return nil, err
	}
	alts, err := normalize("alternatives", req.GetAlternatives(), true)
	if err != nil {
		return nil, err
	}
	at := fromTS(req.GetTime())
	if at.IsZero() {
		at = h.s.cfg.Now()
	}
	id, err := h.s.cfg.Store.ScheduleCallback(store.Schedule{Task: records.TaskID(req.GetTaskId()), Phone: p, At: at,
		Alternatives: alts, Data: req.GetData(), Priority: int(req.GetPriority()), TZ: req.GetTz()})
	if err != nil {
		return nil, err
	}
	return &pb.ScheduleCallbackResponse{NumberId: uint64(id)}, nil
}

func (h *scheduleService) ListSchedules(ctx context.Context, req *pb.ListSchedulesRequest) (*pb.ListSchedulesResponse, error) {
	if err := h.s.ownTask(ctx, req.GetTaskId()); err != nil {
		return nil, err
	}
	ns, err := h.s.cfg.Store.ListSchedules(records.TaskID(req.GetTaskId()), fromTS(req.GetFrom()), fromTS(req.GetTo()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListSchedulesResponse{}
	for i := range ns {
		due := ns[i].NextAt
		if due.IsZero() {
			due = ns[i].NotBefore
		}
		out.Callbacks = append(out.Callbacks, &pb.ScheduledCallback{Number: pbNumber(&ns[i].Number), Time: ts(due)})
	}
	return out, nil
}

func (h *scheduleService) RemoveSchedules(ctx context.Context, req *pb.RemoveSchedulesRequest) (*pb.RemoveSchedulesResponse, error) {
	if err := h.s.ownTask(ctx, req.GetTaskId()); err != nil {
		return nil, err
	}
	p := req.GetPhone()
	if p != "" {
		var err error
		if p, err = phone("phone", p); err != nil {
			return nil, err
		}
	}
	task, from, to := records.TaskID(req.GetTaskId()), fromTS(req.GetFrom()), fromTS(req.GetTo())
	// A callback removed goes with its number: the engine must not dial
	// one it holds either.
	var phones []string
	if h.s.cfg.Engine != nil {
		ns, err := h.s.cfg.Store.ListSchedules(task, from, to)
		if err != nil {
			return nil, err
		}
		for i := range ns {
			if p == "" || ns[i].Phone == p {
				phones = append(phones, ns[i].Phone)
			}
		}
	}
	n, err := h.s.removing(ctx, task, phones, func() (int, error) { return h.s.cfg.Store.RemoveSchedules(task, p, from, to) })
	if err != nil {
		return nil, err
	}
	return &pb.RemoveSchedulesResponse{Removed: int64(n)}, nil
}

func (h *scheduleService) RemoveContact(ctx context.Context, req *pb.RemoveContactRequest) (*pb.RemoveContactResponse, error) {
	if err := h.s.ownTask(ctx, req.GetTaskId()); err != nil {
		return nil, err
	}
	p, err := phone("phone", req.GetPhone())
	if err != nil {
		return nil, err
	}
	n, err := h.s.removeNumbers(ctx, records.TaskID(req.GetTaskId()), []string{p})
	if err != nil {
		return nil, err
	}
	return &pb.RemoveContactResponse{Removed: n > 0}, nil
}

// Respool puts a finished (or waiting) number back in its task's dialling
// order, in the store; the runner's next fetch for the task finds it.
func (h *scheduleService) Respool(ctx context.Context, req *pb.RespoolRequest) (*pb.RespoolResponse, error) {
	if err := h.s.ownTask(ctx, req.GetTaskId()); err != nil {
		return nil, err
	}
	p, err := phone("phone", req.GetPhone())
	if err != nil {
		return nil, err
	}
	alts, err := normalize("alternatives", req.GetAlternatives(), true)
	if err != nil {
		return nil, err
	}
	id, err := h.s.cfg.Store.Respool(store.Respool{Task: records.TaskID(req.GetTaskId()), Phone: p, Alternatives: alts,
		Priority: int(req.GetPriority()), Data: req.GetData()})
	if err != nil {
		return nil, err
	}
	return &pb.RespoolResponse{NumberId: uint64(id)}, nil
}
