package ctl

import (
	"context"
	"io"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// QueueSpec is what a command line says of a queue or extension group.
type QueueSpec struct {
	ID       uint32
	Name     string
	Group    bool
	Remark   string
	Strategy string
}

// Queue builds the API's queue; a bad strategy names its flag.
func (s QueueSpec) Queue() (*pb.Queue, error) {
	q := &pb.Queue{Id: s.ID, Name: s.Name, Remark: s.Remark}
	if s.Group {
		q.Kind = pb.QueueKind_QUEUE_KIND_GROUP
	}
	if s.Strategy != "" {
		v, err := ParseEnum(pb.Strategy(0).Descriptor(), "--strategy", s.Strategy)
		if err != nil {
			return nil, err
		}
		q.Strategy = pb.Strategy(v)
	}
	return q, nil
}

func queueTable(w io.Writer, qs ...*pb.Queue) {
	row(w, "ID", "NAME", "KIND", "STRATEGY", "AGENTS", "REMARK")
	for _, q := range qs {
		kind := "queue"
		if q.GetKind() == pb.QueueKind_QUEUE_KIND_GROUP {
			kind = "group"
		}
		strategy := EnumName(q.GetStrategy())
		if strategy == "-" {
			strategy = "longest-idle"
		}
		row(w, q.GetId(), q.GetName(), kind, strategy, join(q.GetAgentIds()), orDash(q.GetRemark()))
	}
}

// QueueCreate creates a queue or group.
func (a *App) QueueCreate(ctx context.Context, s QueueSpec, clientToken string) error {
	q, err := s.Queue()
	if err != nil {
		return err
	}
	r, err := call(ctx, a, a.QueueService.CreateQueue, &pb.CreateQueueRequest{Queue: q, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { queueTable(w, r.GetQueue()) })
}

// QueueUpdate changes a queue's settings.
func (a *App) QueueUpdate(ctx context.Context, s QueueSpec, clientToken string) error {
	q, err := s.Queue()
	if err != nil {
		return err
	}
	r, err := call(ctx, a, a.QueueService.UpdateQueue, &pb.UpdateQueueRequest{Queue: q, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { queueTable(w, r.GetQueue()) })
}

// QueueDelete deletes a queue no task dials for.
func (a *App) QueueDelete(ctx context.Context, id uint32, clientToken string) error {
	r, err := call(ctx, a, a.QueueService.DeleteQueue, &pb.DeleteQueueRequest{QueueId: id, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.done(r, "queue %d deleted", id)
}

// QueueGet prints a queue with its members.
func (a *App) QueueGet(ctx context.Context, id uint32) error {
	r, err := call(ctx, a, a.QueueService.GetQueue, &pb.GetQueueRequest{QueueId: id})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { queueTable(w, r.GetQueue()) })
}

// QueueList prints the tenant's queues (of one name when name is set).
func (a *App) QueueList(ctx context.Context, name string) error {
	r, err := call(ctx, a, a.QueueService.ListQueues, &pb.ListQueuesRequest{Name: name})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { queueTable(w, r.GetQueues()...) })
}

// QueueMembers adds (add) or removes agents from a queue.
func (a *App) QueueMembers(ctx context.Context, id uint32, agents []uint32, add bool, clientToken string) error {
	var q *pb.Queue
	var m interface{ GetQueue() *pb.Queue }
	var err error
	if add {
		m, err = call(ctx, a, a.QueueService.AddQueueAgents, &pb.AddQueueAgentsRequest{QueueId: id, AgentIds: agents, ClientToken: clientToken})
	} else {
		m, err = call(ctx, a, a.QueueService.RemoveQueueAgents, &pb.RemoveQueueAgentsRequest{QueueId: id, AgentIds: agents, ClientToken: clientToken})
	}
	if err != nil {
		return err
	}
	q = m.GetQueue()
	return a.show(q, func(w io.Writer) { queueTable(w, q) })
}

// QueueSign signs an agent in to (in) or out of a queue.
func (a *App) QueueSign(ctx context.Context, queue, agent uint32, in bool, clientToken string) error {
	if in {
		r, err := call(ctx, a, a.QueueService.SignIn, &pb.SignInRequest{QueueId: queue, AgentId: agent, ClientToken: clientToken})
		if err != nil {
			return err
		}
		return a.done(r, "agent %d signed in to queue %d", agent, queue)
	}
	r, err := call(ctx, a, a.QueueService.SignOut, &pb.SignOutRequest{QueueId: queue, AgentId: agent, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.done(r, "agent %d signed out of queue %d", agent, queue)
}

// QueueAvailability shows a member busy or idle in a queue.
func (a *App) QueueAvailability(ctx context.Context, queue, agent uint32, availability, clientToken string) error {
	v, err := ParseEnum(pb.Availability(0).Descriptor(), "availability", availability)
	if err != nil {
		return err
	}
	r, err := call(ctx, a, a.QueueService.SetAgentAvailability, &pb.SetAgentAvailabilityRequest{QueueId: queue, AgentId: agent,
		Availability: pb.Availability(v), ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.done(r, "agent %d shown %s in queue %d", agent, availability, queue)
}

// QueueAgentStats prints members' states and figures (queue 0 = every
// queue, agent 0 = every member).
func (a *App) QueueAgentStats(ctx context.Context, queue, agent uint32) error {
	r, err := call(ctx, a, a.QueueService.ListQueueAgentStats, &pb.ListQueueAgentStatsRequest{QueueId: queue, AgentId: agent})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) {
		row(w, "QUEUE", "AGENT", "SIGNED IN", "SHOWN", "STATUS", "ANSWERED", "MISSED", "LAST ANSWER", "LAST OFFER", "CHANGED", "WRAP-UP")
		for _, s := range r.GetAgents() {
			shown := "idle"
			if s.GetShownBusy() {
				shown = "busy"
			}
			row(w, s.GetQueueId(), s.GetAgentId(), s.GetSignedIn(), shown, EnumName(pb.AgentStatusCode(s.GetStatus())),
				s.GetCallsAnswered(), s.GetCallsMissed(), when(s.GetLastAnswerTime()), when(s.GetLastAssignTime()),
				when(s.GetStateChangeTime()), dur(s.GetWrapUpTime()))
		}
	})
}
