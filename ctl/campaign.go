package ctl

import (
	"context"
	"fmt"
	"io"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// CampaignSummary prints one line per queue.
func (a *App) CampaignSummary(ctx context.Context) error {
	r, err := call(ctx, a, a.CampaignService.GetCampaignSummary, &pb.GetCampaignSummaryRequest{})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) {
		row(w, "QUEUE", "NAME", "LOGGED IN", "AVAILABLE", "CALLERS", "HOLD", "TALK", "LONGEST HOLD")
		for _, q := range r.GetQueues() {
			row(w, q.GetQueueId(), q.GetName(), q.GetLoggedIn(), q.GetAvailable(), q.GetCallers(),
				dur(q.GetHoldTime()), dur(q.GetTalkTime()), dur(q.GetLongestHoldTime()))
		}
	})
}

// CampaignStatus prints queues' full figures, with the agents of one
// queue when queue is not 0.
func (a *App) CampaignStatus(ctx context.Context, queue uint32) error {
	r, err := call(ctx, a, a.CampaignService.GetCampaignStatus, &pb.GetCampaignStatusRequest{QueueId: queue})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) {
		row(w, "QUEUE", "NAME", "LOGGED", "AVAIL", "BUSY", "WRAP", "PAUSED", "WAITING", "CALLS", "DONE", "ABANDONED", "ABANDON", "SERVICE", "ACD")
		for _, q := range r.GetQueues() {
			row(w, q.GetQueueId(), q.GetName(), fmt.Sprintf("%d/%d", q.GetLoggedIn(), q.GetTotalAgents()), q.GetAvailable(),
				q.GetBusy(), q.GetOnWrapUp(), q.GetPaused(), q.GetCallsWaiting(), q.GetTotalCalls(), q.GetCompleted(),
				q.GetAbandoned(), pct(q.GetAbandonLevel()), pct(q.GetServiceLevel()), dur(q.GetAverageCallDuration()))
		}
		for _, q := range r.GetQueues() {
			if len(q.GetAgents()) == 0 {
				continue
			}
			fmt.Fprintln(w)
			row(w, "AGENT", "NAME", "PHONE", "STATUS", "PAUSED", "REASON", "IN CALL", "CALLS", "LAST CALL")
			for _, ag := range q.GetAgents() {
				row(w, ag.GetAgentId(), ag.GetName(), ag.GetPhone(), EnumName(ag.GetStatus()), ag.GetPaused(),
					ag.GetPausedReason(), ag.GetInCall(), ag.GetCallsTaken(), when(ag.GetLastCallTime()))
			}
		}
	})
}
