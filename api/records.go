package api

import (
	"context"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
)

// recordService implements RecordService from the store.
type recordService struct {
	pb.UnimplementedRecordServiceServer
	s *Server
}

var syncFlags = map[pb.SyncFlag]store.SyncFlag{
	pb.SyncFlag_SYNC_FLAG_UNSPECIFIED: store.SyncUnpulled,
	pb.SyncFlag_SYNC_FLAG_NOT_PULLED:  store.SyncUnpulled,
	pb.SyncFlag_SYNC_FLAG_PULLED:      store.SyncPulled,
	pb.SyncFlag_SYNC_FLAG_ALL:         store.SyncAll,
}

func (h *recordService) SearchRecords(ctx context.Context, req *pb.SearchRecordsRequest) (*pb.SearchRecordsResponse, error) {
	q := store.RecordQuery{
		Tenant:      TenantFrom(ctx),
		From:        fromTS(req.GetFrom()),
		To:          fromTS(req.GetTo()),
		Task:        records.TaskID(req.GetTaskId()),
		Number:      records.NumberID(req.GetNumberId()),
		Called:      req.GetCalled(),
		Agent:       records.AgentID(req.GetAgentId()),
		Sync:        syncFlags[req.GetSyncFlag()],
		SearchAfter: req.GetSearchAfter(),
		Limit:       int(req.GetPageSize()),
		Peek:        req.GetPeek(),
	}
	for _, r := range req.GetResults() {
		q.Results = append(q.Results, records.CallResult(r))
	}
	page, err := h.s.cfg.Store.QueryRecords(q)
	if err != nil {
		return nil, err
	}
	out := &pb.SearchRecordsResponse{SearchAfter: page.SearchAfter}
	for i := range page.Records {
		out.Records = append(out.Records, pbRecord(&page.Records[i]))
	}
	return out, nil
}

func (h *recordService) GetRecord(ctx context.Context, req *pb.GetRecordRequest) (*pb.GetRecordResponse, error) {
	r, err := h.s.cfg.Store.GetRecord(TenantFrom(ctx), records.CallID(req.GetCallId()))
	if err != nil {
		return nil, err
	}
	return &pb.GetRecordResponse{Record: pbRecord(&r)}, nil
}
