package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/outpace-dev/outpace/apierr"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/store"
)

// Methods that need no token: logging in, and the standard health and
// reflection services that probes and grpcurl use.
var public = map[string]bool{
	pb.AuthService_Login_FullMethodName: true,
}

func isPublic(method string) bool {
	return public[method] || strings.HasPrefix(method, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(method, "/grpc.reflection.")
}

// session is an authenticated caller.
type session struct {
	hash [32]byte
	store.Session
}

type sessionKey struct{}

// TenantFrom returns the tenant of the authenticated caller of ctx ("" for
// a public method).
func TenantFrom(ctx context.Context) string {
	if s, ok := ctx.Value(sessionKey{}).(*session); ok {
		return s.Tenant
	}
	return ""
}

func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}

// authenticator issues tokens and checks them. Tokens are 256 random bits;
// the store keeps their SHA-256 only, and a cache of the sessions seen
// spares a store read per call. Revocation goes through the authenticator,
// which drops the cached session with the stored one.
type authenticator struct {
	st    store.Sessions
	admin string
	ttl   time.Duration
	now   func() time.Time

	mu    sync.RWMutex
	cache map[[32]byte]store.Session
}

func newAuthenticator(st store.Sessions, admin string, ttl time.Duration, now func() time.Time) *authenticator {
	return &authenticator{st: st, admin: admin, ttl: ttl, now: now, cache: make(map[[32]byte]store.Session)}
}

var errNoToken = &apierr.Error{Code: apierr.TokenInvalid, Msg: "missing, unknown, expired or revoked token: log in again"}

// issue makes a token for app of tenant.
func (a *authenticator) issue(tenant, app string) (string, store.Session, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", store.Session{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now := a.now()
	s := store.Session{Tenant: tenant, App: app, Issued: now, Expires: now.Add(a.ttl)}
	h := sha256.Sum256([]byte(token))
	if err := a.st.PutSession(h, s); err != nil {
		return "", store.Session{}, err
	}
	a.mu.Lock()
	if len(a.cache) > 100000 {
		a.pruneLocked(now)
	}
	a.cache[h] = s
	a.mu.Unlock()
	return token, s, nil
}

func (a *authenticator) pruneLocked(now time.Time) {
	for h, s := range a.cache {
		if !now.Before(s.Expires) {
			delete(a.cache, h)
		}
	}
}

// check returns the session of the bearer token in ctx's metadata.
func (a *authenticator) check(ctx context.Context) (*session, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var token string
	for _, v := range md.Get("authorization") {
		scheme, tok, ok := strings.Cut(v, " ")
		if ok && strings.EqualFold(scheme, "bearer") {
			token = strings.TrimSpace(tok)
		}
	}
	if token == "" {
		return nil, errNoToken
	}
	h := sha256.Sum256([]byte(token))
	a.mu.RLock()
	s, ok := a.cache[h]
	a.mu.RUnlock()
	if !ok {
		var err error
		s, err = a.st.GetSession(h)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errNoToken
		} else if err != nil {
			return nil, err
		}
		a.mu.Lock()
		a.cache[h] = s
		a.mu.Unlock()
	}
	if !a.now().Before(s.Expires) {
		a.revoke(h)
		return nil, errNoToken
	}
	return &session{hash: h, Session: s}, nil
}

// revoke drops a session.
func (a *authenticator) revoke(h [32]byte) error {
	a.mu.Lock()
	delete(a.cache, h)
	a.mu.Unlock()
	return a.st.DeleteSession(h)
}

// revokeApp drops every session of app.
func (a *authenticator) revokeApp(app string) error {
	hashes, err := a.st.DeleteAppSessions(app)
	a.mu.Lock()
	for _, h := range hashes {
		delete(a.cache, h)
	}
	for h, s := range a.cache {
		if s.App == app {
			delete(a.cache, h)
		}
	}
	a.mu.Unlock()
	return err
}

func (a *authenticator) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if isPublic(info.FullMethod) {
		return handler(ctx, req)
	}
	s, err := a.check(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.allowed(s, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(context.WithValue(ctx, sessionKey{}, s), req)
}

func (a *authenticator) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if isPublic(info.FullMethod) {
		return handler(srv, ss)
	}
	s, err := a.check(ss.Context())
	if err != nil {
		return err
	}
	if err := a.allowed(s, info.FullMethod); err != nil {
		return err
	}
	return handler(srv, &wrappedStream{ServerStream: ss, ctx: context.WithValue(ss.Context(), sessionKey{}, s)})
}

// allowed refuses the administrative services to other tenants.
func (a *authenticator) allowed(s *session, method string) error {
	if strings.HasPrefix(method, "/outpace.v1.TenantService/") || strings.HasPrefix(method, "/outpace.backend.v1.") {
		if a.admin == "" || s.Tenant != a.admin {
			return &apierr.Error{Code: apierr.AppNotAuthorized, Msg: "only the administrative tenant may call " + method}
		}
	}
	return nil
}

// authService implements AuthService.
type authService struct {
	pb.UnimplementedAuthServiceServer
	s *Server
	// logins bounds the credential checks running at once: each hashes the
	// key with argon2id in 19 MiB, so a flood of logins queues instead of
	// exhausting memory.
	logins chan struct{}
}

func (h *authService) Login(ctx context.Context, req *pb.LoginRequest) (*pb.LoginResponse, error) {
	select {
	case h.logins <- struct{}{}:
		defer func() { <-h.logins }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	st := h.s.cfg.Store
	tenant, err := st.CheckCredentials(req.GetAppId(), req.GetAccessKey())
	if errors.Is(err, store.ErrBadCredentials) {
		return nil, &apierr.Error{Code: apierr.AppNotAuthorized, Msg: "wrong app id or access key", Err: store.ErrBadCredentials}
	} else if err != nil {
		return nil, err
	}
	t, err := st.GetTenant(tenant)
	if err != nil {
		return nil, err
	}
	token, s, err := h.s.auth.issue(tenant, req.GetAppId())
	if err != nil {
		return nil, err
	}
	return &pb.LoginResponse{Token: token, TenantId: tenant, TenantName: t.Name, ExpiresAt: timestamppb.New(s.Expires)}, nil
}

func (h *authService) Logout(ctx context.Context, _ *pb.LogoutRequest) (*pb.LogoutResponse, error) {
	if err := h.s.auth.revoke(sessionFrom(ctx).hash); err != nil {
		return nil, err
	}
	return &pb.LogoutResponse{}, nil
}

func (h *authService) WhoAmI(ctx context.Context, _ *pb.WhoAmIRequest) (*pb.WhoAmIResponse, error) {
	s := sessionFrom(ctx)
	return &pb.WhoAmIResponse{TenantId: s.Tenant, AppId: s.App, Admin: s.Tenant == h.s.cfg.AdminTenant,
		ExpiresAt: timestamppb.New(s.Expires)}, nil
}
