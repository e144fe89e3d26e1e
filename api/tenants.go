package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"

	"github.com/outpace-dev/outpace/apierr"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/store"
)

// tenantService implements TenantService; the authenticator lets only the
// administrative tenant in.
type tenantService struct {
	pb.UnimplementedTenantServiceServer
	s *Server
}

func (h *tenantService) CreateTenant(ctx context.Context, req *pb.CreateTenantRequest) (*pb.CreateTenantResponse, error) {
	st := h.s.cfg.Store
	t := req.GetTenant()
	if _, err := st.GetTenant(t.GetId()); err == nil {
		return nil, apierr.Invalid("tenant.id", "tenant %q exists", t.GetId())
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	nt := store.Tenant{ID: t.GetId(), Name: t.GetName(), TZ: t.GetTz(), Created: h.s.cfg.Now()}
	if err := st.PutTenant(nt); err != nil {
		return nil, err
	}
	return &pb.CreateTenantResponse{Tenant: pbTenant(&nt)}, nil
}

func (h *tenantService) UpdateTenant(ctx context.Context, req *pb.UpdateTenantRequest) (*pb.UpdateTenantResponse, error) {
	st := h.s.cfg.Store
	t := req.GetTenant()
	cur, err := st.GetTenant(t.GetId())
	if err != nil {
		return nil, err
	}
	cur.Name, cur.TZ = t.GetName(), t.GetTz()
	if err := st.PutTenant(cur); err != nil {
		return nil, err
	}
	return &pb.UpdateTenantResponse{Tenant: pbTenant(&cur)}, nil
}

func (h *tenantService) GetTenant(ctx context.Context, req *pb.GetTenantRequest) (*pb.GetTenantResponse, error) {
	t, err := h.s.cfg.Store.GetTenant(req.GetTenantId())
	if err != nil {
		return nil, err
	}
	return &pb.GetTenantResponse{Tenant: pbTenant(&t)}, nil
}

func (h *tenantService) ListTenants(ctx context.Context, _ *pb.ListTenantsRequest) (*pb.ListTenantsResponse, error) {
	ts, err := h.s.cfg.Store.ListTenants()
	if err != nil {
		return nil, err
	}
	out := &pb.ListTenantsResponse{}
	for i := range ts {
		out.Tenants = append(out.Tenants, pbTenant(&ts[i]))
	}
	return out, nil
}

func (h *tenantService) SetCredential(ctx context.Context, req *pb.SetCredentialRequest) (*pb.SetCredentialResponse, error) {
	st := h.s.cfg.Store
	if _, err := st.GetTenant(req.GetTenantId()); err != nil {
		return nil, err
	}
	key := req.GetAccessKey()
	if key == "" {
		key = NewAccessKey()
	}
	// Tokens of a replaced key stop being valid with it.
	if err := h.s.auth.revokeApp(req.GetAppId()); err != nil {
		return nil, err
	}
	if err := st.SetCredential(req.GetTenantId(), req.GetAppId(), key); err != nil {
		return nil, err
	}
	return &pb.SetCredentialResponse{AppId: req.GetAppId(), AccessKey: key}, nil
}

func (h *tenantService) DeleteCredential(ctx context.Context, req *pb.DeleteCredentialRequest) (*pb.DeleteCredentialResponse, error) {
	if err := h.s.cfg.Store.DeleteCredential(req.GetAppId()); err != nil {
		return nil, err
	}
	if err := h.s.auth.revokeApp(req.GetAppId()); err != nil {
		return nil, err
	}
	return &pb.DeleteCredentialResponse{}, nil
}

// NewAccessKey returns a random access key: 256 bits, URL-safe base64.
func NewAccessKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
