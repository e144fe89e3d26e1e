package api

import (
	"context"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/fsm"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/store"
)

// campaignService implements CampaignService from the runner's snapshot
// and the store's queues.
type campaignService struct {
	pb.UnimplementedCampaignServiceServer
	s *Server
}

func (h *campaignService) GetCampaignSummary(ctx context.Context, _ *pb.GetCampaignSummaryRequest) (*pb.GetCampaignSummaryResponse, error) {
	snap, err := h.s.snapshot()
	if err != nil {
		return nil, err
	}
	qs, err := h.s.cfg.Store.ListQueues(TenantFrom(ctx))
	if err != nil {
		return nil, err
	}
	tasks, err := h.s.cfg.Store.ListTasks(TenantFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.GetCampaignSummaryResponse{Time: ts(snap.At)}
	for _, q := range qs {
		live := snap.Queues[q.Spec.ID]
		calls := queueCalls(snap, tasks, q.Spec.ID)
		out.Queues = append(out.Queues, &pb.QueueSummary{QueueId: uint32(q.Spec.ID), Name: q.Spec.Name,
			LoggedIn: int32(live.LoggedIn), Available: int32(live.Idle), Callers: int32(live.Waiting),
			HoldTime: durationpb.New(calls.meanHold()), TalkTime: durationpb.New(calls.meanTalk()),
			LongestHoldTime: durationpb.New(live.LongestWait)})
	}
	return out, nil
}

// callFigures are the call figures of a queue's tasks since the engine
// started, from the runner's snapshot.
type callFigures struct {
	dials, completed, live, abandoned int64
	talk, hold                        time.Duration
}

func queueCalls(snap *runner.Snapshot, tasks []store.Task, queue records.QueueID) callFigures {
	var f callFigures
	for _, t := range tasks {
		if t.Spec.Queue != queue {
			continue
		}
		if s, ok := snap.Tasks[t.Spec.ID]; ok {
			f.dials += s.Dials
			f.completed += s.Completed
			f.live += s.LiveAnswers
			f.abandoned += s.Abandoned
			f.talk += s.TalkTime
			f.hold += s.HoldTime
		}
	}
	return f
}

func (f *callFigures) meanTalk() time.Duration {
	if f.completed == 0 {
		return 0
	}
	return f.talk / time.Duration(f.completed)
}

func (f *callFigures) meanHold() time.Duration {
	if f.completed == 0 {
		return 0
	}
	return f.hold / time.Duration(f.completed)
}

func (h *campaignService) GetCampaignStatus(ctx context.Context, req *pb.GetCampaignStatusRequest) (*pb.GetCampaignStatusResponse, error) {
	tenant := TenantFrom(ctx)
	st := h.s.cfg.Store
	var qs []store.Queue
	if id := req.GetQueueId(); id != 0 {
		q, err := st.GetQueue(tenant, records.QueueID(id))
		if err != nil {
			return nil, err
		}
		qs = []store.Queue{q}
	} else {
		var err error
		if qs, err = st.ListQueues(tenant); err != nil {
			return nil, err
		}
	}
	snap, err := h.s.snapshot()
	if err != nil {
		return nil, err
	}
	tasks, err := st.ListTasks(tenant)
	if err != nil {
		return nil, err
	}
	out := &pb.GetCampaignStatusResponse{Time: ts(snap.At)}
	for _, q := range qs {
		live := snap.Queues[q.Spec.ID]
		cs := &pb.CampaignStatus{QueueId: uint32(q.Spec.ID), Name: q.Spec.Name, Strategy: pb.Strategy(q.Spec.Strategy),
			Available: int32(live.Idle), NotAvailable: int32(live.LoggedIn - live.Idle), Paused: int32(live.Paused),
			Busy: int32(live.Busy), TotalAgents: int32(len(q.Members)), LoggedIn: int32(live.LoggedIn),
			CallsWaiting: int32(live.Waiting)}
		calls := queueCalls(snap, tasks, q.Spec.ID)
		live64, abandoned := calls.live, calls.abandoned
		cs.Completed, cs.TotalCalls = calls.completed, calls.dials
		cs.TalkTime, cs.HoldTime = durationpb.New(calls.talk), durationpb.New(calls.hold)
		cs.AverageCallDuration = durationpb.New(calls.meanTalk())
		for _, t := range tasks {
			if t.Spec.Queue != q.Spec.ID {
				continue
			}
			if cs.ServiceLevelThreshold == nil {
				d := t.Spec.ConnectDeadline
				if d == 0 {
					d = records.DefaultConnectDeadline
				}
				cs.ServiceLevelThreshold = durationpb.New(d)
			}
		}
		err := h.s.cfg.Engine.Inspect(ctx, func(e *engine.Engine) {
			for _, id := range q.Members {
				if as, err := e.AgentStatus(id); err == nil && as.State == fsm.AgentNotReady && as.Reason == reasonACW && !as.OnCall {
					cs.OnWrapUp++
				}
			}
		})
		if err != nil {
			return nil, err
		}
		cs.Abandoned = abandoned
		if live64 > 0 {
			cs.AbandonLevel = float64(abandoned) / float64(live64)
			cs.ServiceLevel = 1 - cs.AbandonLevel
		}
		if req.GetQueueId() != 0 {
			as, err := st.ListAgents(tenant)
			if err != nil {
				return nil, err
			}
			var members []*pb.CampaignAgent
			for _, a := range as {
				if slices.Contains(q.Members, a.ID) {
					members = append(members, &pb.CampaignAgent{AgentId: uint32(a.ID), Name: a.Name, Phone: a.Phone,
						Priority: int32(a.Priority), Status: pb.AgentStatusCode_AGENT_STATUS_CODE_UNAVAILABLE})
				}
			}
			err = h.s.cfg.Engine.Inspect(ctx, func(e *engine.Engine) {
				for _, m := range members {
					as, err := e.AgentStatus(records.AgentID(m.AgentId))
					if err != nil {
						continue
					}
					state, code := agentState(as)
					m.Status, m.CallsTaken, m.InCall = code, as.Taken, as.OnCall
					m.LastCallTime = ts(as.LastCallEnd)
					if state == pb.AgentState_AGENT_STATE_NOT_READY {
						m.Paused, m.PausedReason = true, int32(as.Reason)
					}
				}
			})
			if err != nil {
				return nil, err
			}
			cs.Agents = members
		}
		out.Queues = append(out.Queues, cs)
	}
	return out, nil
}
