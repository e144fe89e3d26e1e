package remote

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/engine"
	bpb "github.com/outpace-dev/outpace/proto/outpace/backend/v1"
	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
)

// Backend is a telephony world a Client attaches to a server: it has the
// methods of runner.Backend (the simulated world, backend/sip).
type Backend interface {
	Run(ctx context.Context, emit func(engine.Event)) error
	Send(cmds []engine.Command)
}

// Defaults of ClientConfig.
const (
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// Server is the address of the server's gRPC port (host:port).
	Server string
	// Token is a bearer token of the administrative tenant; or AppID and
	// AccessKey, with which the client logs in (AuthService.Login) and
	// logs in again whenever the server refuses its token.
	Token            string
	AppID, AccessKey string
	// TLS, when set, dials with TLS; otherwise plain TCP.
	TLS *tls.Config
	// BackendID names the backend, the same on every run (1–128 bytes).
	BackendID string
	// Lines and CallsPerSecond are the capacity announced (0 = no limit).
	Lines          int
	CallsPerSecond float64
	// MinBackoff and MaxBackoff bound the wait between two attempts to
	// attach (doubled after each failure, with jitter).
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
}

// Client attaches a Backend to a server over the backend protocol and
// keeps it attached: it reconnects with backoff, sends again what the
// server did not acknowledge, reports its live calls, and drops commands
// it already applied (by seq, and originates by call id).
type Client struct {
	cfg         ClientConfig
	be          Backend
	log         *slog.Logger
	incarnation string

	mu         sync.Mutex
	token      string
	evSeq      uint64
	unacked    []*bpb.AttachRequest // events and agent requests not acknowledged, in seq order
	cmdApplied uint64
	calls      map[records.CallID]*bpb.LiveCall
	agents     map[records.AgentID]int32 // logged-in agents: 0 ready, else the not-ready reason
	ended      map[records.CallID]struct{}
	endedRing  []records.CallID
	endedNext  int
	cur        *clientConn
	stats      ClientStats
}

// ClientStats counts a client's traffic.
type ClientStats struct {
	Attaches   int    // streams opened and welcomed
	Commands   uint64 // commands received (repeats included)
	Duplicates uint64 // commands dropped as already applied
	Events     uint64 // events and agent requests produced by the backend
	Sent       uint64 // events and agent requests written (resends included)
}

// rememberEnded is how many ended call ids a client remembers to drop a
// repeated originate (a repeat comes within one reconnection).
const rememberEnded = 1 << 16

// NewClient returns a client of be; Run attaches it.
func NewClient(cfg ClientConfig, be Backend) *Client {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return &Client{cfg: cfg, be: be, log: cfg.Logger, incarnation: hex.EncodeToString(b[:]), token: cfg.Token,
		calls: make(map[records.CallID]*bpb.LiveCall), agents: make(map[records.AgentID]int32),
		ended: make(map[records.CallID]struct{}), endedRing: make([]records.CallID, rememberEnded)}
}

// Stats returns the client's counters.
func (c *Client) Stats() ClientStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Check reports a configuration that cannot attach, naming the field by
// the flag of outpace backend that sets it.
func (c *ClientConfig) Check() error {
	switch {
	case c.Server == "":
		return apierr.Invalid("server", "the server's address is required")
	case len(c.BackendID) < 1 || len(c.BackendID) > 128:
		return apierr.Invalid("backend-id", "must be 1 to 128 bytes, got %d", len(c.BackendID))
	case c.Token == "" && (c.AppID == "" || c.AccessKey == ""):
		return apierr.Invalid("token", "a token, or an app id (--app) and its access key (OUTPACE_ACCESS_KEY), is required")
	case c.Lines < 0 || c.Lines > math.MaxInt32:
		return apierr.Invalid("lines", "must be from 0 to %d, got %d", math.MaxInt32, c.Lines)
	case !(c.CallsPerSecond >= 0 && c.CallsPerSecond <= MaxCallsPerSecond):
		return apierr.Invalid("cps", "must be from 0 to %g, got %v", MaxCallsPerSecond, c.CallsPerSecond)
	}
	return nil
}

// errFatal marks an attach error that retrying cannot cure.
type errFatal struct{ error }

// Run runs the backend and keeps it attached until ctx is done; it returns
// early only when the server refuses the backend's Hello as invalid.
func (c *Client) Run(ctx context.Context) error {
	if err := c.cfg.Check(); err != nil {
		return err
	}
	creds := insecure.NewCredentials()
	if c.cfg.TLS != nil {
		creds = credentials.NewTLS(c.cfg.TLS)
	}
	cc, err := grpc.NewClient(c.cfg.Server, grpc.WithTransportCredentials(creds),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 15 * time.Second, Timeout: 5 * time.Second, PermitWithoutStream: true}))
	if err != nil {
		return err
	}
	defer cc.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bdone := make(chan error, 1)
	go func() { bdone <- c.be.Run(ctx, c.emit) }()
	defer func() { <-bdone }()

	backoff := c.cfg.MinBackoff
	for ctx.Err() == nil {
		synced, err := c.attach(ctx, cc)
		if ctx.Err() != nil {
			break
		}
		var fatal errFatal
		if errors.As(err, &fatal) {
			return fatal.error
		}
		if synced {
			backoff = c.cfg.MinBackoff
		}
		wait := backoff/2 + time.Duration(mrand.Int64N(int64(backoff)))
		c.log.Warn("backend stream ended; attaching again", "err", err, "in", wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		backoff = min(2*backoff, c.cfg.MaxBackoff)
	}
	return nil
}

func (c *Client) login(ctx context.Context, cc *grpc.ClientConn) (string, error) {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	res, err := pb.NewAuthServiceClient(cc).Login(ctx, &pb.LoginRequest{AppId: c.cfg.AppID, AccessKey: c.cfg.AccessKey})
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	c.mu.Lock()
	c.token = res.GetToken()
	c.mu.Unlock()
	return res.GetToken(), nil
}

// clientConn is one Attach stream of a client.
type clientConn struct {
	out  []*bpb.AttachRequest // guarded by Client.mu
	wake chan struct{}
}

func (cn *clientConn) push(m *bpb.AttachRequest) {
	cn.out = append(cn.out, m)
	select {
	case cn.wake <- struct{}{}:
	default:
	}
}

// attach opens one stream and serves it until it breaks; synced reports
// whether it got as far as Sync.
func (c *Client) attach(ctx context.Context, cc *grpc.ClientConn) (synced bool, err error) {
	tok, err := c.login(ctx, cc)
	if err != nil {
		return false, err
	}
	sctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok))
	defer cancel()
	st, err := bpb.NewBackendServiceClient(cc).Attach(sctx)
	if err != nil {
		return false, err
	}
	err = st.Send(&bpb.AttachRequest{Message: &bpb.AttachRequest_Hello{Hello: &bpb.Hello{
		BackendId: c.cfg.BackendID, ProtocolVersion: ProtocolVersion, Incarnation: c.incarnation,
		Capacity: &bpb.Capacity{Lines: int32(c.cfg.Lines), CallsPerSecond: c.cfg.CallsPerSecond},
	}}})
	if err != nil {
		return false, c.classify(err)
	}
	m, err := st.Recv()
	if err != nil {
		return false, c.classify(err)
	}
	w := m.GetWelcome()
	if w == nil {
		return false, errors.New("the server's first message is not Welcome")
	}

	cn := &clientConn{wake: make(chan struct{}, 1)}
	c.mu.Lock()
	c.stats.Attaches++
	if w.GetResumed() {
		n := 0
		for n < len(c.unacked) && seqOf(c.unacked[n]) <= w.GetAppliedSeq() {
			n++
		}
		c.unacked = append(c.unacked[:0], c.unacked[n:]...)
	} else {
		// The server holds nothing of this backend: what it did not apply
		// is about calls it closed; the agents' state is sent afresh, and
		// its commands are numbered from 1 again.
		c.cmdApplied = 0
		clear(c.unacked)
		c.unacked = c.unacked[:0]
		ids := make([]records.AgentID, 0, len(c.agents))
		for id := range c.agents {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		// A ready agent is also said ready: a server that still has it
		// logged in (this backend restarted) may hold it in after-call work
		// for a call the backend lost.
		for _, id := range ids {
			c.evSeq++
			c.unacked = append(c.unacked, &bpb.AttachRequest{Message: &bpb.AttachRequest_AgentRequest{AgentRequest: &bpb.AgentRequest{
				Seq: c.evSeq, AgentId: uint32(id), Action: bpb.AgentAction_AGENT_ACTION_LOGIN, Reason: c.agents[id]}}})
			if c.agents[id] == 0 {
				c.evSeq++
				c.unacked = append(c.unacked, &bpb.AttachRequest{Message: &bpb.AttachRequest_AgentRequest{AgentRequest: &bpb.AgentRequest{
					Seq: c.evSeq, AgentId: uint32(id), Action: bpb.AgentAction_AGENT_ACTION_READY}}})
			}
		}
	}
	cn.out = append(cn.out, c.unacked...)
	sync := &bpb.Sync{LiveCalls: make([]*bpb.LiveCall, 0, len(c.calls))}
	for _, lc := range c.calls {
		sync.LiveCalls = append(sync.LiveCalls, lc)
	}
	cn.push(&bpb.AttachRequest{Message: &bpb.AttachRequest_Sync{Sync: sync}})
	c.cur = cn
	c.mu.Unlock()
	c.log.Info("attached", "server", c.cfg.Server, "backend", c.cfg.BackendID, "session", w.GetSessionId(),
		"resumed", w.GetResumed(), "resent", len(cn.out)-1, "live_calls", len(sync.LiveCalls))
	defer func() {
		c.mu.Lock()
		if c.cur == cn {
			c.cur = nil
		}
		c.mu.Unlock()
	}()

	werr := make(chan error, 1)
	go func() { werr <- c.write(sctx, st, cn) }()
	for {
		m, err := st.Recv()
		if err != nil {
			cancel()
			<-werr
			return true, c.classify(err)
		}
		switch x := m.GetMessage().(type) {
		case *bpb.AttachResponse_Command:
			c.command(x.Command)
		case *bpb.AttachResponse_Ack:
			c.mu.Lock()
			n := 0
			for n < len(c.unacked) && seqOf(c.unacked[n]) <= x.Ack.GetSeq() {
				c.unacked[n] = nil
				n++
			}
			c.unacked = append(c.unacked[:0], c.unacked[n:]...)
			c.mu.Unlock()
		}
	}
}

// classify drops a refused token, and marks the errors retrying cannot cure.
func (c *Client) classify(err error) error {
	switch status.Code(err) {
	case codes.Unauthenticated:
		if c.cfg.AppID != "" {
			c.mu.Lock()
			c.token = ""
			c.mu.Unlock()
		}
	case codes.InvalidArgument:
		return errFatal{err}
	}
	return err
}

func (c *Client) write(ctx context.Context, st grpc.BidiStreamingClient[bpb.AttachRequest, bpb.AttachResponse], cn *clientConn) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var batch []*bpb.AttachRequest
	var acked uint64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cn.wake:
		case <-tick.C:
		}
		c.mu.Lock()
		batch, cn.out = cn.out, batch[:0]
		applied := c.cmdApplied
		c.stats.Sent += uint64(len(batch))
		c.mu.Unlock()
		for i, m := range batch {
			if err := st.Send(m); err != nil {
				return err
			}
			batch[i] = nil
		}
		if applied > acked {
			acked = applied
			if err := st.Send(&bpb.AttachRequest{Message: &bpb.AttachRequest_Ack{Ack: &bpb.Ack{Seq: applied}}}); err != nil {
				return err
			}
		}
	}
}

// command applies one command once.
func (c *Client) command(m *bpb.Command) {
	cmd, ok := fromCommand(m, time.Now())
	c.mu.Lock()
	c.stats.Commands++
	if m.GetSeq() <= c.cmdApplied || !ok {
		c.stats.Duplicates++
		c.mu.Unlock()
		return
	}
	c.cmdApplied = m.GetSeq()
	switch cmd.Kind {
	case engine.CmdOriginate:
		_, live := c.calls[cmd.Call]
		_, gone := c.ended[cmd.Call]
		if live || gone {
			c.stats.Duplicates++
			c.mu.Unlock()
			return
		}
		c.calls[cmd.Call] = &bpb.LiveCall{CallId: uint64(cmd.Call), Phase: bpb.CallPhase_CALL_PHASE_DIALING}
	case engine.CmdConnect:
		if lc := c.calls[cmd.Call]; lc != nil {
			lc.Phase, lc.AgentId = bpb.CallPhase_CALL_PHASE_CONNECTED, uint32(cmd.Agent)
		}
	case engine.CmdPlayHangup, engine.CmdHangup:
		c.endCall(cmd.Call)
	}
	c.mu.Unlock()
	c.be.Send([]engine.Command{cmd})
}

func (c *Client) endCall(id records.CallID) {
	if _, ok := c.calls[id]; !ok {
		return
	}
	delete(c.calls, id)
	if old := c.endedRing[c.endedNext]; old != 0 {
		delete(c.ended, old)
	}
	c.endedRing[c.endedNext] = id
	c.endedNext = (c.endedNext + 1) % len(c.endedRing)
	c.ended[id] = struct{}{}
}

// emit is the backend's way out: it numbers the event, keeps it until the
// server acknowledges it, and sends it when a stream is up.
func (c *Client) emit(ev engine.Event) {
	m := fromEvent(&ev)
	if m == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evSeq++
	setSeq(m, c.evSeq)
	c.stats.Events++
	switch ev.Kind {
	case engine.EvAnswered:
		if lc := c.calls[ev.Call]; lc != nil {
			lc.Phase = bpb.CallPhase_CALL_PHASE_ANSWERED
		}
	case engine.EvAgentAnswered:
		if lc := c.calls[ev.Call]; lc != nil {
			lc.Phase = bpb.CallPhase_CALL_PHASE_CONNECTED
		}
	case engine.EvFailed, engine.EvHangup:
		c.endCall(ev.Call)
	case engine.EvAgentLogin, engine.EvAgentNotReady:
		c.agents[ev.Agent] = int32(ev.Reason)
	case engine.EvAgentReady:
		c.agents[ev.Agent] = 0
	case engine.EvAgentLogout:
		delete(c.agents, ev.Agent)
	}
	c.unacked = append(c.unacked, m)
	if c.cur != nil {
		c.cur.push(m)
	}
}

func seqOf(m *bpb.AttachRequest) uint64 {
	switch x := m.GetMessage().(type) {
	case *bpb.AttachRequest_Event:
		return x.Event.GetSeq()
	case *bpb.AttachRequest_AgentRequest:
		return x.AgentRequest.GetSeq()
	}
	return 0
}
