package api

import (
	"context"
	"fmt"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/engine"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store/lists"
)

// blacklistService implements BlacklistService from the store. Phones are
// normalised to E.164 first; only international numbers are taken, since a
// tenant has no home region.
type blacklistService struct {
	pb.UnimplementedBlacklistServiceServer
	s *Server
}

// normalize returns phones in E.164, naming the first bad one by its field.
func normalize(field string, phones []string, indexed bool) ([]string, error) {
	out := make([]string, len(phones))
	var v violations
	for i, p := range phones {
		e164, err := lists.Normalize(p, "")
		if err != nil {
			f := field
			if indexed {
				f = fmt.Sprintf("%s[%d]", field, i)
			}
			v.add(f, "%s", err.Error())
			if len(v) >= 100 {
				break
			}
			continue
		}
		out[i] = e164
	}
	return out, v.err()
}

// ownTask checks that task (0 = none) is one of the caller's.
func (s *Server) ownTask(ctx context.Context, task uint64) error {
	if task == 0 {
		return nil
	}
	_, err := s.cfg.Store.GetTask(TenantFrom(ctx), records.TaskID(task))
	return err
}

func (h *blacklistService) change(ctx context.Context, task uint64, field string, phones []string, indexed, add bool) ([]string, error) {
	if err := h.s.ownTask(ctx, task); err != nil {
		return nil, err
	}
	e164, err := normalize(field, phones, indexed)
	if err != nil {
		return nil, err
	}
	st := h.s.cfg.Store
	if add {
		err = st.Blacklist(TenantFrom(ctx), records.TaskID(task), e164...)
	} else {
		err = st.Unblacklist(TenantFrom(ctx), records.TaskID(task), e164...)
	}
	if err != nil || h.s.cfg.Engine == nil {
		return e164, err
	}
	// The engine checks the lists at every dial: it learns the change now,
	// the store at its next start.
	return e164, h.s.submit(ctx, engine.Event{Kind: engine.EvBlacklist, Blacklist: &engine.BlacklistChange{
		Tenant: TenantFrom(ctx), Task: records.TaskID(task), Phones: e164, Remove: !add}})
}

func (h *blacklistService) AddBlacklist(ctx context.Context, req *pb.AddBlacklistRequest) (*pb.AddBlacklistResponse, error) {
	p, err := h.change(ctx, req.GetTaskId(), "phone", []string{req.GetPhone()}, false, true)
	if err != nil {
		return nil, err
	}
	return &pb.AddBlacklistResponse{Phone: p[0]}, nil
}

func (h *blacklistService) BulkAddBlacklist(ctx context.Context, req *pb.BulkAddBlacklistRequest) (*pb.BulkAddBlacklistResponse, error) {
	p, err := h.change(ctx, req.GetTaskId(), "phones", req.GetPhones(), true, true)
	if err != nil {
		return nil, err
	}
	return &pb.BulkAddBlacklistResponse{Added: int64(len(p))}, nil
}

func (h *blacklistService) DeleteBlacklist(ctx context.Context, req *pb.DeleteBlacklistRequest) (*pb.DeleteBlacklistResponse, error) {
	if _, err := h.change(ctx, req.GetTaskId(), "phone", []string{req.GetPhone()}, false, false); err != nil {
		return nil, err
	}
	return &pb.DeleteBlacklistResponse{}, nil
}

func (h *blacklistService) BulkDeleteBlacklist(ctx context.Context, req *pb.BulkDeleteBlacklistRequest) (*pb.BulkDeleteBlacklistResponse, error) {
	p, err := h.change(ctx, req.GetTaskId(), "phones", req.GetPhones(), true, false)
	if err != nil {
		return nil, err
	}
	return &pb.BulkDeleteBlacklistResponse{Removed: int64(len(p))}, nil
}

func (h *blacklistService) CheckBlacklist(ctx context.Context, req *pb.CheckBlacklistRequest) (*pb.CheckBlacklistResponse, error) {
	if err := h.s.ownTask(ctx, req.GetTaskId()); err != nil {
		return nil, err
	}
	p, err := normalize("phone", []string{req.GetPhone()}, false)
	if err != nil {
		return nil, err
	}
	listed, err := h.s.cfg.Store.Blacklisted(TenantFrom(ctx), records.TaskID(req.GetTaskId()), p[0])
	if err != nil {
		return nil, err
	}
	return &pb.CheckBlacklistResponse{Blacklisted: listed, Phone: p[0]}, nil
}

func (h *blacklistService) ListBlacklist(ctx context.Context, req *pb.ListBlacklistRequest) (*pb.ListBlacklistResponse, error) {
	if err := h.s.ownTask(ctx, req.GetTaskId()); err != nil {
		return nil, err
	}
	n := int(req.GetPageSize())
	if n == 0 {
		n = 100
	}
	after := req.GetAfter()
	if len(after) > 64 {
		return nil, apierr.Invalid("after", "must be a phone of the previous page")
	}
	phones, err := h.s.cfg.Store.ListBlacklist(TenantFrom(ctx), records.TaskID(req.GetTaskId()), after, n)
	if err != nil {
		return nil, err
	}
	out := &pb.ListBlacklistResponse{Phones: phones}
	if len(phones) == n {
		out.NextAfter = phones[n-1]
	}
	return out, nil
}
