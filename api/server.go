package api

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"

	"github.com/outpace-dev/outpace/engine"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/store"
)

// Store is what the API reads and writes: the store's administration,
// lists, blacklists, call records, event log and sessions.
type Store interface {
	store.Admin
	store.Lists
	store.Blacklists
	store.Records
	store.EventLog
	store.Sessions
}

// Engine is what the API needs of the runner that owns the engine
// (*runner.Runner implements it).
type Engine interface {
	// Submit steps ev in the engine and returns once its effects are
	// durable; a rejected event returns the engine's *apierr.Error. A zero
	// ev.At is set from the engine's clock.
	Submit(ctx context.Context, ev engine.Event) error
	// Inspect calls f with the engine between two steps, to read it.
	Inspect(ctx context.Context, f func(*engine.Engine)) error
	// Snapshot returns the live figures last published.
	Snapshot() *runner.Snapshot
	// Subscribe returns what every step publishes from now on; the channel
	// is closed when the subscriber falls behind or cancels.
	Subscribe(buf int) (<-chan runner.Published, func())
	// Now returns the time of the clock the engine runs on, which may run
	// faster than the wall clock (a simulated world).
	Now() time.Time
}

// Defaults of Config.
const (
	DefaultTokenTTL       = 12 * time.Hour
	DefaultRate           = 200 // requests per second per tenant
	DefaultBurst          = 400
	DefaultMaxRecvMsgSize = 16 << 20
	DefaultMaxSendMsgSize = 16 << 20
	// MaxNumbers is the most numbers or phones one unary request carries.
	MaxNumbers = 10000
	// DefaultEventBuffer is how many published batches an event subscriber
	// may lag before the runner drops it and it reads the event log instead.
	DefaultEventBuffer = 256
)

// Config configures a Server. Store is required; zero fields take the
// defaults above.
type Config struct {
	Store  Store
	Engine Engine // nil: the engine-facing methods answer UNIMPLEMENTED
	Logger *slog.Logger
	// AdminTenant is the tenant whose tokens may call TenantService (and
	// attach backends).
	AdminTenant string
	// TokenTTL is how long a token from Login is valid (default 12 h).
	TokenTTL time.Duration
	// Rate and Burst limit each tenant's requests (a token bucket); a
	// request beyond them fails with RESOURCE_EXHAUSTED and code 301027
	// RequestTooFast. A negative Rate disables the limit.
	Rate  float64
	Burst int
	// TLS, when set, serves TLS with it; otherwise plain TCP (for loopback
	// and a TLS-terminating proxy).
	TLS *tls.Config
	// MaxRecvMsgSize and MaxSendMsgSize bound one message (default 16 MiB).
	MaxRecvMsgSize, MaxSendMsgSize int
	// Registerer receives the gRPC server metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// EventBuffer is how many published batches an event subscriber may lag
	// before the runner drops it and it reads the event log instead
	// (default DefaultEventBuffer).
	EventBuffer int
}

// Server is the gRPC server of the API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	grpc    *grpc.Server
	health  *health.Server
	auth    *authenticator
	limiter *limiter
	idem    *idempotency
}

// New builds the server and registers every service; Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: Config.Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.MaxRecvMsgSize <= 0 {
		cfg.MaxRecvMsgSize = DefaultMaxRecvMsgSize
	}
	if cfg.MaxSendMsgSize <= 0 {
		cfg.MaxSendMsgSize = DefaultMaxSendMsgSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = DefaultEventBuffer
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.auth = newAuthenticator(cfg.Store, cfg.AdminTenant, cfg.TokenTTL, cfg.Now)
	s.limiter = newLimiter(cfg.Rate, cfg.Burst, cfg.Now)
	s.idem = newIdempotency(cfg.Store)

	metrics := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(metrics); err != nil {
			return nil, fmt.Errorf("api: registering metrics: %w", err)
		}
	}
	logOpts := []logging.Option{
		logging.WithLogOnEvents(logging.FinishCall),
		logging.WithLevels(codeToLevel),
		logging.WithFieldsFromContext(func(ctx context.Context) logging.Fields {
			f := logging.Fields{"request_id", RequestID(ctx)}
			if t := TenantFrom(ctx); t != "" {
				f = append(f, "tenant", t)
			}
			return f
		}),
	}
	recoverOpt := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		s.log.ErrorContext(ctx, "panic in handler", "request_id", RequestID(ctx), "panic", fmt.Sprint(p),
			"stack", string(debug.Stack()))
		return internal(ctx).Err()
	})
	logger := logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		s.log.Log(ctx, slog.Level(lvl), msg, fields...)
	})
	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(
			metrics.UnaryServerInterceptor(),
			requestIDUnary,
			logging.UnaryServerInterceptor(logger, logOpts...),
			errorsUnary(s.log),
			recovery.UnaryServerInterceptor(recoverOpt),
			s.auth.unary,
			s.limiter.unary,
			validateUnary,
			s.idem.unary,
		),
		grpc.ChainStreamInterceptor(
			metrics.StreamServerInterceptor(),
			requestIDStream,
			logging.StreamServerInterceptor(logger, logOpts...),
			errorsStream(s.log),
			recovery.StreamServerInterceptor(recoverOpt),
			s.auth.stream,
			s.limiter.stream,
			validateStream,
		),
		grpc.MaxRecvMsgSize(cfg.MaxRecvMsgSize),
		grpc.MaxSendMsgSize(cfg.MaxSendMsgSize),
		// Clients may ping at most every 10 s, even with no call open;
		// idle connections are closed after 15 minutes.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 15 * time.Minute,
			Time: 2 * time.Minute, Timeout: 20 * time.Second}),
	}
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg.TLS)))
	}
	s.grpc = grpc.NewServer(opts...)
	s.register()
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	metrics.InitializeMetrics(s.grpc)
	return s, nil
}

// register registers the outpace services.
func (s *Server) register() {
	pb.RegisterAuthServiceServer(s.grpc, &authService{s: s, logins: make(chan struct{}, 4)})
	pb.RegisterTenantServiceServer(s.grpc, &tenantService{s: s})
	pb.RegisterTaskServiceServer(s.grpc, &taskService{s: s})
	pb.RegisterQueueServiceServer(s.grpc, &queueService{s: s})
	pb.RegisterAgentServiceServer(s.grpc, &agentService{s: s})
	pb.RegisterCallServiceServer(s.grpc, &callService{s: s})
	pb.RegisterBlacklistServiceServer(s.grpc, &blacklistService{s: s})
	pb.RegisterScheduleServiceServer(s.grpc, &scheduleService{s: s})
	pb.RegisterEventServiceServer(s.grpc, &eventService{s: s})
	pb.RegisterRecordServiceServer(s.grpc, &recordService{s: s})
	pb.RegisterCampaignServiceServer(s.grpc, &campaignService{s: s})
}

// GRPC returns the underlying server, to register more services on it
// before Serve.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Serve serves on lis until Stop or GracefulStop.
func (s *Server) Serve(lis net.Listener) error { return s.grpc.Serve(lis) }

// GracefulStop stops taking calls and waits for those open to end; Stop
// ends them at once.
func (s *Server) GracefulStop() {
	s.health.Shutdown()
	s.grpc.GracefulStop()
}

// Stop closes every connection at once.
func (s *Server) Stop() {
	s.health.Shutdown()
	s.grpc.Stop()
}

// codeToLevel logs successful calls at debug level (a dialer's clients poll)
// and failures by whose fault they are.
func codeToLevel(c codes.Code) logging.Level {
	switch c {
	case codes.OK:
		return logging.LevelDebug
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unimplemented:
		return logging.LevelError
	case codes.Unavailable, codes.DeadlineExceeded:
		return logging.LevelWarn
	}
	return logging.LevelInfo
}

type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to ("" outside one).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func withRequestID(ctx context.Context) context.Context {
	id := newRequestID()
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-request-id", id))
	return context.WithValue(ctx, requestIDKey{}, id)
}

func requestIDUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(withRequestID(ctx), req)
}

func requestIDStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &wrappedStream{ServerStream: ss, ctx: withRequestID(ss.Context())})
}

// wrappedStream replaces a stream's context.
type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }

// LoadTLS returns a Config.TLS serving the certificate chain and key of
// two PEM files (serve's --tls-cert and --tls-key), TLS 1.2 at least.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("api: loading the TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
