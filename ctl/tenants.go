package ctl

import (
	"context"
	"io"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

func tenantTable(w io.Writer, ts ...*pb.Tenant) {
	row(w, "ID", "NAME", "TZ", "CREATED")
	for _, t := range ts {
		row(w, t.GetId(), t.GetName(), orDash(t.GetTz()), when(t.GetCreateTime()))
	}
}

// TenantList prints every tenant (administrative tenant only).
func (a *App) TenantList(ctx context.Context) error {
	r, err := call(ctx, a, a.TenantService.ListTenants, &pb.ListTenantsRequest{})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { tenantTable(w, r.GetTenants()...) })
}

// TenantGet prints one tenant.
func (a *App) TenantGet(ctx context.Context, id string) error {
	r, err := call(ctx, a, a.TenantService.GetTenant, &pb.GetTenantRequest{TenantId: id})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { tenantTable(w, r.GetTenant()) })
}

// TenantCreate creates a tenant.
func (a *App) TenantCreate(ctx context.Context, t *pb.Tenant, clientToken string) error {
	r, err := call(ctx, a, a.TenantService.CreateTenant, &pb.CreateTenantRequest{Tenant: t, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { tenantTable(w, r.GetTenant()) })
}

// TenantUpdate changes a tenant's name and time zone.
func (a *App) TenantUpdate(ctx context.Context, t *pb.Tenant, clientToken string) error {
	r, err := call(ctx, a, a.TenantService.UpdateTenant, &pb.UpdateTenantRequest{Tenant: t, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) { tenantTable(w, r.GetTenant()) })
}

// CredentialSet creates or replaces an app credential of a tenant and
// prints its access key (shown this once).
func (a *App) CredentialSet(ctx context.Context, tenant, app, key, clientToken string) error {
	r, err := call(ctx, a, a.TenantService.SetCredential, &pb.SetCredentialRequest{TenantId: tenant, AppId: app, AccessKey: key, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.show(r, func(w io.Writer) {
		row(w, "APP", "ACCESS KEY (shown only now)")
		row(w, r.GetAppId(), r.GetAccessKey())
	})
}

// CredentialDelete removes an app credential; its tokens stop working.
func (a *App) CredentialDelete(ctx context.Context, app, clientToken string) error {
	r, err := call(ctx, a, a.TenantService.DeleteCredential, &pb.DeleteCredentialRequest{AppId: app, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.done(r, "credential %s deleted", app)
}
