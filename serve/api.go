package serve

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outpace-dev/outpace/api"
	"github.com/outpace-dev/outpace/backend/remote"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/store"
)

// The administrative tenant serve keeps: its tokens manage tenants and
// their app credentials through the API.
const (
	AdminTenant = "admin"
	AdminApp    = "admin"
)

// serveAPI makes sure the administrative tenant can log in (logging its
// access key the one time serve draws it), then serves the gRPC API on ln
// over st and r, with hub's BackendService when hub is set, until the
// returned stop is called.
func serveAPI(ln net.Listener, st *store.Badger, r *runner.Runner, hub *remote.Hub, adminKey string, reg prometheus.Registerer, log *slog.Logger) (stop func(), err error) {
	key, created, err := api.Bootstrap(st, AdminTenant, AdminApp, adminKey, time.Now())
	if err != nil {
		return nil, fmt.Errorf("the administrative tenant: %w", err)
	}
	if created {
		log.Warn("the administrative tenant is created; its access key is shown only now (or set --admin-key)",
			"app", AdminApp, "key", key, "login", "outpace ctl login --app "+AdminApp+" --key "+key)
	}
	srv, err := api.New(api.Config{Store: st, Engine: r, AdminTenant: AdminTenant, Registerer: reg,
		Logger: log.With("component", "api")})
	if err != nil {
		return nil, err
	}
	if hub != nil {
		hub.Register(srv.GRPC())
	}
	go func() { _ = srv.Serve(ln) }()
	log.Info("gRPC API", "addr", ln.Addr().String(), "admin_app", AdminApp)
	return srv.Stop, nil
}
