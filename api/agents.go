package api

import (
	"context"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/fsm"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
)

// agentService implements AgentService: agents in the store, their
// requests through the engine.
type agentService struct {
	pb.UnimplementedAgentServiceServer
	s *Server
}

func pbAgent(a *records.AgentSpec) *pb.Agent {
	return &pb.Agent{Id: uint32(a.ID), Name: a.Name, Phone: a.Phone, Priority: int32(a.Priority)}
}

func (h *agentService) CreateAgent(ctx context.Context, req *pb.CreateAgentRequest) (*pb.CreateAgentResponse, error) {
	if _, err := h.s.engine(); err != nil {
		return nil, err
	}
	a := records.AgentSpec{Tenant: TenantFrom(ctx), Name: req.GetAgent().GetName(), Phone: req.GetAgent().GetPhone(),
		Priority: int(req.GetAgent().GetPriority())}
	if err := h.s.cfg.Store.PutAgent(&a); err != nil {
		return nil, err
	}
	spec := a
	if err := h.s.submit(ctx, engine.Event{Kind: engine.EvCreateAgent, Agent: a.ID, AgentSpec: &spec}); err != nil {
		return nil, err
	}
	return &pb.CreateAgentResponse{Agent: pbAgent(&a)}, nil
}

func (h *agentService) UpdateAgent(ctx context.Context, req *pb.UpdateAgentRequest) (*pb.UpdateAgentResponse, error) {
	a, err := h.s.ownAgent(ctx, req.GetAgent().GetId())
	if err != nil {
		return nil, err
	}
	a.Name, a.Phone, a.Priority = req.GetAgent().GetName(), req.GetAgent().GetPhone(), int(req.GetAgent().GetPriority())
	if err := h.s.cfg.Store.PutAgent(&a); err != nil {
		return nil, err
	}
	return &pb.UpdateAgentResponse{Agent: pbAgent(&a)}, nil
}

func (h *agentService) DeleteAgent(ctx context.Context, req *pb.DeleteAgentRequest) (*pb.DeleteAgentResponse, error) {
	if err := h.s.cfg.Store.DeleteAgent(TenantFrom(ctx), records.AgentID(req.GetAgentId())); err != nil {
		return nil, err
	}
	return &pb.DeleteAgentResponse{}, nil
}

func (h *agentService) GetAgent(ctx context.Context, req *pb.GetAgentRequest) (*pb.GetAgentResponse, error) {
	a, err := h.s.ownAgent(ctx, req.GetAgentId())
	if err != nil {
		return nil, err
	}
	return &pb.GetAgentResponse{Agent: pbAgent(&a)}, nil
}

func (h *agentService) ListAgents(ctx context.Context, _ *pb.ListAgentsRequest) (*pb.ListAgentsResponse, error) {
	as, err := h.s.cfg.Store.ListAgents(TenantFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.ListAgentsResponse{}
	for i := range as {
		out.Agents = append(out.Agents, pbAgent(&as[i]))
	}
	return out, nil
}

// request submits an agent's request after checking the agent is the
// caller's.
func (h *agentService) request(ctx context.Context, agent uint32, kind engine.EventKind, reason int32) error {
	if _, err := h.s.ownAgent(ctx, agent); err != nil {
		return err
	}
	return h.s.submit(ctx, engine.Event{Kind: kind, Agent: records.AgentID(agent), Reason: int(reason)})
}

func (h *agentService) LoginAgent(ctx context.Context, req *pb.LoginAgentRequest) (*pb.LoginAgentResponse, error) {
	if err := h.request(ctx, req.GetAgentId(), engine.EvAgentLogin, req.GetReason()); err != nil {
		return nil, err
	}
	return &pb.LoginAgentResponse{}, nil
}

func (h *agentService) Ready(ctx context.Context, req *pb.ReadyRequest) (*pb.ReadyResponse, error) {
	if err := h.request(ctx, req.GetAgentId(), engine.EvAgentReady, 0); err != nil {
		return nil, err
	}
	return &pb.ReadyResponse{}, nil
}

func (h *agentService) NotReady(ctx context.Context, req *pb.NotReadyRequest) (*pb.NotReadyResponse, error) {
	if err := h.request(ctx, req.GetAgentId(), engine.EvAgentNotReady, req.GetReason()); err != nil {
		return nil, err
	}
	return &pb.NotReadyResponse{}, nil
}

func (h *agentService) LogoutAgent(ctx context.Context, req *pb.LogoutAgentRequest) (*pb.LogoutAgentResponse, error) {
	if err := h.request(ctx, req.GetAgentId(), engine.EvAgentLogout, 0); err != nil {
		return nil, err
	}
	return &pb.LogoutAgentResponse{}, nil
}

func (h *agentService) GetAgentStatus(ctx context.Context, req *pb.GetAgentStatusRequest) (*pb.GetAgentStatusResponse, error) {
	if _, err := h.s.ownAgent(ctx, req.GetAgentId()); err != nil {
		return nil, err
	}
	eng, err := h.s.engine()
	if err != nil {
		return nil, err
	}
	var st engine.AgentStatus
	var serr error
	if err := eng.Inspect(ctx, func(e *engine.Engine) { st, serr = e.AgentStatus(records.AgentID(req.GetAgentId())) }); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	out := &pb.AgentStatus{AgentId: req.GetAgentId(), Reason: int32(st.Reason), CallId: uint64(st.Call)}
	out.State, out.Status = agentState(st)
	return &pb.GetAgentStatusResponse{Status: out}, nil
}

// reasonACW is the not-ready reason of after-call work (seed 002).
const reasonACW = 4

// agentState maps an agent's state to the API's state and device status
// code (0–9).
func agentState(st engine.AgentStatus) (pb.AgentState, pb.AgentStatusCode) {
	switch st.State {
	case fsm.AgentReady:
		if st.OnCall {
			return pb.AgentState_AGENT_STATE_READY, pb.AgentStatusCode_AGENT_STATUS_CODE_INUSE
		}
		return pb.AgentState_AGENT_STATE_READY, pb.AgentStatusCode_AGENT_STATUS_CODE_NOT_INUSE
	case fsm.AgentNotReady:
		switch {
		case st.OnCall:
			return pb.AgentState_AGENT_STATE_NOT_READY, pb.AgentStatusCode_AGENT_STATUS_CODE_INUSE
		case st.Reason == reasonACW:
			return pb.AgentState_AGENT_STATE_NOT_READY, pb.AgentStatusCode_AGENT_STATUS_CODE_WRAPUP
		}
		return pb.AgentState_AGENT_STATE_NOT_READY, pb.AgentStatusCode_AGENT_STATUS_CODE_BUSY
	}
	return pb.AgentState_AGENT_STATE_UNSPECIFIED, pb.AgentStatusCode_AGENT_STATUS_CODE_UNAVAILABLE
}
