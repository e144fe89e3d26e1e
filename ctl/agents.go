package ctl

import (
	"context"
	"fmt"
	"io"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

func agentTable(w io.Writer, as ...*pb.Agent) {
	row(w, "ID", "NAME", "PHONE", "PRIORITY")
	for _, ag := range as {
		row(w, ag.GetId(), ag.GetName(), ag.GetPhone(), ag.GetPriority())
	}
}

// AgentCreate creates an agent.
func (a *App) AgentCreate(ctx context.Context, ag *pb.Agent, clientToken string) error {
	r, err := call(ctx, a, a.AgentService.CreateAgent, &pb.CreateAgentRequest{Agent: ag, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { agentTable(w, r.GetAgent()) })
}

// AgentUpdate changes an agent's name, phone and priority.
func (a *App) AgentUpdate(ctx context.Context, ag *pb.Agent, clientToken string) error {
	r, err := call(ctx, a, a.AgentService.UpdateAgent, &pb.UpdateAgentRequest{Agent: ag, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { agentTable(w, r.GetAgent()) })
}

// AgentDelete deletes a logged-out agent.
func (a *App) AgentDelete(ctx context.Context, id uint32, clientToken string) error {
	r, err := call(ctx, a, a.AgentService.DeleteAgent, &pb.DeleteAgentRequest{AgentId: id, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.done(r, "agent %d deleted", id)
}

// AgentGet prints an agent.
func (a *App) AgentGet(ctx context.Context, id uint32) error {
	r, err := call(ctx, a, a.AgentService.GetAgent, &pb.GetAgentRequest{AgentId: id})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { agentTable(w, r.GetAgent()) })
}

// AgentList prints the tenant's agents.
func (a *App) AgentList(ctx context.Context) error {
	r, err := call(ctx, a, a.AgentService.ListAgents, &pb.ListAgentsRequest{})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { agentTable(w, r.GetAgents()...) })
}

// AgentRequest carries an agent's request: "login" (ready, or not ready
// with a non-zero reason), "ready", "not-ready" (with reason) or
// "logout".
func (a *App) AgentRequest(ctx context.Context, id uint32, what string, reason int32, clientToken string) error {
	var err error
	switch what {
	case "login":
		_, err = call(ctx, a, a.AgentService.LoginAgent, &pb.LoginAgentRequest{AgentId: id, Reason: reason, ClientToken: clientToken})
	case "ready":
		_, err = call(ctx, a, a.AgentService.Ready, &pb.ReadyRequest{AgentId: id, ClientToken: clientToken})
	case "not-ready":
		_, err = call(ctx, a, a.AgentService.NotReady, &pb.NotReadyRequest{AgentId: id, Reason: reason, ClientToken: clientToken})
	case "logout":
		_, err = call(ctx, a, a.AgentService.LogoutAgent, &pb.LogoutAgentRequest{AgentId: id, ClientToken: clientToken})
	default:
		return fmt.Errorf("unknown agent request %q", what)
	}
	if err != nil {
		return err
	}
	if a.Opts.JSON {
		_, err = fmt.Fprintln(a.Out, "{}")
		return err
	}
	_, err = fmt.Fprintf(a.Out, "agent %d: %s done\n", id, what)
	return err
}

// AgentStatus prints an agent's live state.
func (a *App) AgentStatus(ctx context.Context, id uint32) error {
	r, err := call(ctx, a, a.AgentService.GetAgentStatus, &pb.GetAgentStatusRequest{AgentId: id})
	if err != nil {
		return err
	}
	s := r.GetStatus()
	return a.show(r, func(w io.Writer) {
		row(w, "AGENT", "STATE", "REASON", "STATUS", "CALL", "SINCE", "QUEUES")
		state := EnumName(s.GetState())
		if state == "-" {
			state = "logged-out"
		}
		row(w, s.GetAgentId(), state, s.GetReason(), fmt.Sprintf("%d %s", s.GetStatus(), EnumName(s.GetStatus())),
			s.GetCallId(), when(s.GetSince()), join(s.GetQueueIds()))
	})
}
