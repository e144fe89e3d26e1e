package api

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/outpace-dev/outpace/engine"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
)

// queueService implements QueueService: queues and members in the store;
// sign-in, sign-out and the busy / idle flag through the engine, and the
// members' live figures from it.
type queueService struct {
	pb.UnimplementedQueueServiceServer
	s *Server
}

func pbQueue(q *store.Queue) *pb.Queue {
	out := &pb.Queue{Id: uint32(q.Spec.ID), Name: q.Spec.Name, Strategy: pb.Strategy(q.Spec.Strategy), Remark: q.Remark}
	if q.Group {
		out.Kind = pb.QueueKind_QUEUE_KIND_GROUP
	}
	for _, a := range q.Members {
		out.AgentIds = append(out.AgentIds, uint32(a))
	}
	return out
}

func strategy(s pb.Strategy) records.Strategy {
	if s == pb.Strategy_STRATEGY_UNSPECIFIED {
		return records.StrategyLongestIdle
	}
	return records.Strategy(s)
}

func (h *queueService) CreateQueue(ctx context.Context, req *pb.CreateQueueRequest) (*pb.CreateQueueResponse, error) {
	if _, err := h.s.engine(); err != nil {
		return nil, err
	}
	q := store.Queue{Spec: records.QueueSpec{Tenant: TenantFrom(ctx), Name: req.GetQueue().GetName(),
		Strategy: strategy(req.GetQueue().GetStrategy())},
		Group: req.GetQueue().GetKind() == pb.QueueKind_QUEUE_KIND_GROUP, Remark: req.GetQueue().GetRemark()}
	if err := h.s.cfg.Store.PutQueue(&q); err != nil {
		return nil, err
	}
	spec := q.Spec
	if err := h.s.submit(ctx, engine.Event{Kind: engine.EvCreateQueue, Queue: q.Spec.ID, QueueSpec: &spec}); err != nil {
		return nil, err
	}
	return &pb.CreateQueueResponse{Queue: pbQueue(&q)}, nil
}

func (h *queueService) UpdateQueue(ctx context.Context, req *pb.UpdateQueueRequest) (*pb.UpdateQueueResponse, error) {
	q, err := h.s.cfg.Store.GetQueue(TenantFrom(ctx), records.QueueID(req.GetQueue().GetId()))
	if err != nil {
		return nil, err
	}
	q.Spec.Name, q.Spec.Strategy = req.GetQueue().GetName(), strategy(req.GetQueue().GetStrategy())
	q.Group, q.Remark = req.GetQueue().GetKind() == pb.QueueKind_QUEUE_KIND_GROUP, req.GetQueue().GetRemark()
	if err := h.s.cfg.Store.PutQueue(&q); err != nil {
		return nil, err
	}
	return &pb.UpdateQueueResponse{Queue: pbQueue(&q)}, nil
}

func (h *queueService) DeleteQueue(ctx context.Context, req *pb.DeleteQueueRequest) (*pb.DeleteQueueResponse, error) {
	if err := h.s.cfg.Store.DeleteQueue(TenantFrom(ctx), records.QueueID(req.GetQueueId())); err != nil {
		return nil, err
	}
	return &pb.DeleteQueueResponse{}, nil
}

func (h *queueService) GetQueue(ctx context.Context, req *pb.GetQueueRequest) (*pb.GetQueueResponse, error) {
	q, err := h.s.cfg.Store.GetQueue(TenantFrom(ctx), records.QueueID(req.GetQueueId()))
	if err != nil {
		return nil, err
	}
	return &pb.GetQueueResponse{Queue: pbQueue(&q)}, nil
}

func (h *queueService) ListQueues(ctx context.Context, req *pb.ListQueuesRequest) (*pb.ListQueuesResponse, error) {
	qs, err := h.s.cfg.Store.ListQueues(TenantFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.ListQueuesResponse{}
	for i := range qs {
		if req.GetName() == "" || qs[i].Spec.Name == req.GetName() {
			out.Queues = append(out.Queues, pbQueue(&qs[i]))
		}
	}
	return out, nil
}

// members changes a queue's members; every agent must be the caller's.
func (h *queueService) members(ctx context.Context, queue uint32, agents []uint32, add bool) (*pb.Queue, error) {
	st := h.s.cfg.Store
	q, err := st.GetQueue(TenantFrom(ctx), records.QueueID(queue))
	if err != nil {
		return nil, err
	}
	var v violations
	for i, a := range agents {
		if _, err := h.s.ownAgent(ctx, a); err != nil {
			v.add(fmt.Sprintf("agent_ids[%d]", i), "agent %d does not exist", a)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	for _, a := range agents {
		id := records.AgentID(a)
		has := slices.Contains(q.Members, id)
		switch {
		case add && !has:
			q.Members = append(q.Members, id)
		case !add && has:
			q.Members = slices.DeleteFunc(q.Members, func(m records.AgentID) bool { return m == id })
		}
	}
	if err := st.PutQueue(&q); err != nil {
		return nil, err
	}
	return pbQueue(&q), nil
}

func (h *queueService) AddQueueAgents(ctx context.Context, req *pb.AddQueueAgentsRequest) (*pb.AddQueueAgentsResponse, error) {
	q, err := h.members(ctx, req.GetQueueId(), req.GetAgentIds(), true)
	if err != nil {
		return nil, err
	}
	return &pb.AddQueueAgentsResponse{Queue: q}, nil
}

func (h *queueService) RemoveQueueAgents(ctx context.Context, req *pb.RemoveQueueAgentsRequest) (*pb.RemoveQueueAgentsResponse, error) {
	q, err := h.members(ctx, req.GetQueueId(), req.GetAgentIds(), false)
	if err != nil {
		return nil, err
	}
	return &pb.RemoveQueueAgentsResponse{Queue: q}, nil
}

// sign signs an agent of the caller's in to or out of a queue of the
// caller's.
func (h *queueService) sign(ctx context.Context, queue, agent uint32, kind engine.EventKind) error {
	if err := h.s.ownQueue(ctx, queue); err != nil {
		return err
	}
	if _, err := h.s.ownAgent(ctx, agent); err != nil {
		return err
	}
	return h.s.submit(ctx, engine.Event{Kind: kind, Queue: records.QueueID(queue), Agent: records.AgentID(agent)})
}

func (h *queueService) SignIn(ctx context.Context, req *pb.SignInRequest) (*pb.SignInResponse, error) {
	if err := h.sign(ctx, req.GetQueueId(), req.GetAgentId(), engine.EvSignIn); err != nil {
		return nil, err
	}
	return &pb.SignInResponse{}, nil
}

func (h *queueService) SignOut(ctx context.Context, req *pb.SignOutRequest) (*pb.SignOutResponse, error) {
	if err := h.sign(ctx, req.GetQueueId(), req.GetAgentId(), engine.EvSignOut); err != nil {
		return nil, err
	}
	return &pb.SignOutResponse{}, nil
}

// SetAgentAvailability shows a member busy or idle in the queue, through
// the engine: shown busy, it is offered none of the queue's calls.
func (h *queueService) SetAgentAvailability(ctx context.Context, req *pb.SetAgentAvailabilityRequest) (*pb.SetAgentAvailabilityResponse, error) {
	if err := h.s.ownQueue(ctx, req.GetQueueId()); err != nil {
		return nil, err
	}
	if _, err := h.s.ownAgent(ctx, req.GetAgentId()); err != nil {
		return nil, err
	}
	busy := req.GetAvailability() == pb.Availability_AVAILABILITY_BUSY // validation let only busy or idle through
	if err := h.s.submit(ctx, engine.Event{Kind: engine.EvAgentAvailability, Queue: records.QueueID(req.GetQueueId()),
		Agent: records.AgentID(req.GetAgentId()), ShowBusy: busy}); err != nil {
		return nil, err
	}
	return &pb.SetAgentAvailabilityResponse{}, nil
}

// ListQueueAgentStats reads the members of the caller's queues from the
// store and their state and figures from the engine, between two steps.
func (h *queueService) ListQueueAgentStats(ctx context.Context, req *pb.ListQueueAgentStatsRequest) (*pb.ListQueueAgentStatsResponse, error) {
	tenant := TenantFrom(ctx)
	st := h.s.cfg.Store
	var queues []store.Queue
	if req.GetQueueId() != 0 {
		q, err := st.GetQueue(tenant, records.QueueID(req.GetQueueId()))
		if err != nil {
			return nil, err
		}
		queues = []store.Queue{q}
	} else {
		var err error
		if queues, err = st.ListQueues(tenant); err != nil {
			return nil, err
		}
	}
	if req.GetAgentId() != 0 {
		if _, err := h.s.ownAgent(ctx, req.GetAgentId()); err != nil {
			return nil, err
		}
	}
	eng, err := h.s.engine()
	if err != nil {
		return nil, err
	}
	var out []*pb.QueueAgentStats
	err = eng.Inspect(ctx, func(e *engine.Engine) {
		for _, q := range queues {
			for _, a := range q.Members {
				if req.GetAgentId() != 0 && uint32(a) != req.GetAgentId() {
					continue
				}
				as, err := e.AgentStatus(a)
				if err != nil {
					continue // stored, not yet in the engine
				}
				in, shown := e.Membership(a, q.Spec.ID)
				_, code := agentState(as)
				out = append(out, &pb.QueueAgentStats{QueueId: uint32(q.Spec.ID), AgentId: uint32(a), SignedIn: in, ShownBusy: shown,
					Status: int32(code), CallsAnswered: as.Taken, CallsMissed: as.Missed,
					LastAnswerTime: ts(as.LastAnswer), LastAssignTime: ts(as.LastAssign), StateChangeTime: ts(as.Changed),
					WrapUpTime: durationpb.New(as.Wrap)})
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return &pb.ListQueueAgentStatsResponse{Agents: out}, nil
}
