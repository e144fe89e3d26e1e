package ctl

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// App is one ctl invocation: a connection to the server, the clients of
// every service on it and where to print.
type App struct {
	Opts Options
	// Out receives the answers, Err the progress and notes.
	Out, Err io.Writer

	conn  *grpc.ClientConn
	path  string
	saved Saved

	// The clients of every service.
	AuthService      pb.AuthServiceClient
	TenantService    pb.TenantServiceClient
	TaskService      pb.TaskServiceClient
	QueueService     pb.QueueServiceClient
	AgentService     pb.AgentServiceClient
	CallService      pb.CallServiceClient
	BlacklistService pb.BlacklistServiceClient
	ScheduleService  pb.ScheduleServiceClient
	EventService     pb.EventServiceClient
	RecordService    pb.RecordServiceClient
	CampaignService  pb.CampaignServiceClient
}

// New resolves opts (see Options) and sets up a connection to the server;
// nothing is sent until the first call. Out and Err default to the
// process's standard output and error.
func New(opts Options, out, errw io.Writer) (*App, error) {
	if out == nil {
		out = os.Stdout
	}
	if errw == nil {
		errw = os.Stderr
	}
	a := &App{Opts: opts, Out: out, Err: errw}
	var err error
	if a.path, a.saved, err = a.Opts.resolve(); err != nil {
		return nil, err
	}
	var tc credentials.TransportCredentials = insecure.NewCredentials()
	if a.Opts.TLS {
		tc = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	a.conn, err = grpc.NewClient(a.Opts.Server, grpc.WithTransportCredentials(tc),
		grpc.WithPerRPCCredentials(bearer{app: a}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20), grpc.MaxCallSendMsgSize(16<<20)))
	if err != nil {
		return nil, err
	}
	c := a.conn
	a.AuthService = pb.NewAuthServiceClient(c)
	a.TenantService = pb.NewTenantServiceClient(c)
	a.TaskService = pb.NewTaskServiceClient(c)
	a.QueueService = pb.NewQueueServiceClient(c)
	a.AgentService = pb.NewAgentServiceClient(c)
	a.CallService = pb.NewCallServiceClient(c)
	a.BlacklistService = pb.NewBlacklistServiceClient(c)
	a.ScheduleService = pb.NewScheduleServiceClient(c)
	a.EventService = pb.NewEventServiceClient(c)
	a.RecordService = pb.NewRecordServiceClient(c)
	a.CampaignService = pb.NewCampaignServiceClient(c)
	return a, nil
}

// Conn returns the connection, for clients of other services.
func (a *App) Conn() *grpc.ClientConn { return a.conn }

// Close closes the connection.
func (a *App) Close() error { return a.conn.Close() }

// ctx bounds a unary call by Options.Timeout.
func (a *App) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, a.Opts.Timeout)
}

// bearer sends the app's current token ("authorization: Bearer …") on
// every call but Login, over plain TCP too: the server is meant to be
// reached over loopback or through a TLS-terminating proxy.
type bearer struct{ app *App }

func (b bearer) GetRequestMetadata(_ context.Context, uri ...string) (map[string]string, error) {
	if b.app.Opts.Token == "" {
		return nil, nil
	}
	return map[string]string{"authorization": "Bearer " + b.app.Opts.Token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return false }

// call makes one unary call bounded by Options.Timeout and converts its
// error.
func call[Q, R any](ctx context.Context, a *App, f func(context.Context, Q, ...grpc.CallOption) (R, error), req Q) (R, error) {
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	r, err := f(ctx, req)
	return r, a.apiError(err)
}

// done prints a one-line confirmation, or the (empty) answer with --json.
func (a *App) done(m proto.Message, format string, args ...any) error {
	if a.Opts.JSON {
		return a.showLine(m)
	}
	_, err := fmt.Fprintf(a.Out, format+"\n", args...)
	return err
}
