package remote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/engine"
	bpb "github.com/outpace-dev/outpace/proto/outpace/backend/v1"
	"github.com/outpace-dev/outpace/records"
)

// ProtocolVersion is the version of proto/outpace/backend/v1 this package
// speaks.
const ProtocolVersion = 1

// CauseLost is the hangup cause (seed-003 10004, outbound line failure) of
// a call the server closes because its backend lost it, or because no
// backend took it within its ring timeout.
const CauseLost = 10004

// EarlyLost is the early-detect cause (seed-002 119, line fault) of an
// unanswered call closed with CauseLost: the number was never shown not to
// exist.
const EarlyLost = 119

// Defaults of HubConfig.
const (
	DefaultGrace = 30 * time.Second
	// DefaultHold is how long an originate waits for a free line when it
	// has no ring timeout of its own.
	DefaultHold = 30 * time.Second
	// MaxCallsPerSecond bounds the rate a backend may announce.
	MaxCallsPerSecond = 1e6
)

// Clock is the time of the hub: the runner's clock (runner.Clock has these
// methods), for the grace period, the hold of originates and the rate of
// each backend.
type Clock interface {
	Now() time.Time
	AfterFunc(at time.Time, f func()) (stop func() bool)
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }
func (wallClock) AfterFunc(at time.Time, f func()) func() bool {
	return time.AfterFunc(time.Until(at), f).Stop
}

// HubConfig configures a Hub.
type HubConfig struct {
	Clock  Clock // default the wall clock
	Logger *slog.Logger
	// Grace is how long the calls of a backend whose stream broke wait for
	// it to attach again before they are closed as lost (default 30 s of
	// the clock's time).
	Grace time.Duration
}

// Hub is the server's end of the backend protocol: a runner.Backend and
// runner.Limiter over every backend attached to it, and the
// BackendService those backends attach to. Register it on the API's gRPC
// server, whose interceptors authenticate the stream (a token of the
// administrative tenant).
type Hub struct {
	bpb.UnimplementedBackendServiceServer

	clock Clock
	log   *slog.Logger
	grace time.Duration

	mu       sync.Mutex
	emitFn   func(engine.Event)
	early    []engine.Event // events that came before Run
	stopped  bool           // Run returned: events go nowhere
	sessions map[string]*session
	calls    map[records.CallID]*call
	pending  []held // originates waiting for a free line, in order
	holdStop func() bool
	holdAt   time.Time
	stats    Stats
}

// Stats counts what went through a hub.
type Stats struct {
	Attached   int    // backends attached now
	CommandsIn uint64 // commands the hub took from the runner
	Sent       uint64 // commands written to streams (resends included)
	Events     uint64 // events and agent requests applied
	Lost       uint64 // calls closed because their backend lost them
	Expired    uint64 // originates no backend took within their hold
	Resent     uint64 // commands sent again after a stream broke
	HungUp     uint64 // calls a backend had that the server did not know
}

// session is the server's state of one backend_id: it outlives a stream.
type session struct {
	id          string
	incarnation string
	conn        *conn // nil while detached
	synced      bool  // Sync received on conn: commands flow
	lines       int
	cps         float64
	tokens      float64
	tokensAt    time.Time
	inFlight    int
	cmdSeq      uint64
	unacked     []*bpb.Command // commands not acknowledged, in seq order
	appliedSeq  uint64         // last event applied
	graceStop   func() bool
}

// call is a call the server placed on a backend.
type call struct {
	owner    *session
	answered bool
	heard    bool // an event came back for it
}

type held struct {
	cmd      engine.Command
	deadline time.Time
}

// NewHub returns a hub with no backend attached.
func NewHub(cfg HubConfig) *Hub {
	if cfg.Clock == nil {
		cfg.Clock = wallClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	return &Hub{clock: cfg.Clock, log: cfg.Logger, grace: cfg.Grace,
		sessions: make(map[string]*session), calls: make(map[records.CallID]*call)}
}

// Register registers the hub's BackendService on s.
func (h *Hub) Register(s grpc.ServiceRegistrar) { bpb.RegisterBackendServiceServer(s, h) }

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.stats
	s.Attached = 0
	for _, ss := range h.sessions {
		if ss.conn != nil && ss.synced {
			s.Attached++
		}
	}
	return s
}

// Run delivers the attached backends' events to emit until ctx is done.
func (h *Hub) Run(ctx context.Context, emit func(engine.Event)) error {
	h.mu.Lock()
	h.emitFn = emit
	for _, ev := range h.early {
		emit(ev)
	}
	h.early = nil
	h.mu.Unlock()
	<-ctx.Done()
	h.mu.Lock()
	h.emitFn, h.stopped = nil, true
	if h.holdStop != nil {
		h.holdStop()
		h.holdStop = nil
	}
	h.mu.Unlock()
	return nil
}

// Capacity is the sum of the lines and rates of the backends attached now
// (no limit when any of them announced none, or when none is attached:
// then the hub holds the originates itself).
func (h *Hub) Capacity() (lines int, callsPerSecond float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	unlimitedLines, unlimitedRate := false, false
	for _, s := range h.sessions {
		if s.conn == nil || !s.synced {
			continue
		}
		if s.lines == 0 {
			unlimitedLines = true
		}
		if s.cps == 0 {
			unlimitedRate = true
		}
		lines += s.lines
		callsPerSecond += s.cps
	}
	if unlimitedLines {
		lines = 0
	}
	if unlimitedRate {
		callsPerSecond = 0
	}
	return lines, callsPerSecond
}

// Send routes commands: an originate to the attached backend with the most
// free lines (held until one has a line and its rate allows), any other
// command to the backend that owns the call. It never blocks.
func (h *Hub) Send(cmds []engine.Command) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.clock.Now()
	for i := range cmds {
		c := &cmds[i]
		h.stats.CommandsIn++
		switch c.Kind {
		case engine.CmdOriginate:
			if _, dup := h.calls[c.Call]; dup || h.isPending(c.Call) {
				continue // idempotent by call id
			}
			hold := c.Timeout
			if hold <= 0 {
				hold = DefaultHold
			}
			h.pending = append(h.pending, held{cmd: *c, deadline: now.Add(hold)})
		case engine.CmdConnect, engine.CmdPlayHangup, engine.CmdHangup:
			cl := h.calls[c.Call]
			if cl == nil {
				if c.Kind != engine.CmdConnect {
					h.dropPending(c.Call) // never placed: nothing to end
				}
				continue
			}
			s := cl.owner
			if c.Kind != engine.CmdConnect {
				h.forget(c.Call, cl)
			}
			h.enqueue(s, toCommand(c))
		}
	}
	h.dispatch(now)
}

func (h *Hub) isPending(id records.CallID) bool {
	for i := range h.pending {
		if h.pending[i].cmd.Call == id {
			return true
		}
	}
	return false
}

func (h *Hub) dropPending(id records.CallID) {
	for i := range h.pending {
		if h.pending[i].cmd.Call == id {
			h.pending = append(h.pending[:i], h.pending[i+1:]...)
			return
		}
	}
}

// forget drops a call the engine or the backend ended.
func (h *Hub) forget(id records.CallID, cl *call) {
	delete(h.calls, id)
	cl.owner.inFlight--
}

// enqueue numbers cmd for s and sends it when s is attached and synced;
// otherwise it waits, unacknowledged, for s to attach again.
func (h *Hub) enqueue(s *session, cmd *bpb.Command) {
	s.cmdSeq++
	cmd.Seq = s.cmdSeq
	s.unacked = append(s.unacked, cmd)
	if s.conn != nil && s.synced {
		s.conn.push(&bpb.AttachResponse{Message: &bpb.AttachResponse_Command{Command: cmd}})
		h.stats.Sent++
	}
}

// dispatch sends the held originates that a backend has a line and the
// rate for, fails those held past their deadline, and arms the clock for
// the next of either.
func (h *Hub) dispatch(now time.Time) {
	var wake time.Time
	n := 0
	for n < len(h.pending) {
		p := &h.pending[n]
		var best *session
		bestFree := -1
		var rateWait time.Duration
		for _, s := range h.sessions {
			if s.conn == nil || !s.synced {
				continue
			}
			free := math.MaxInt
			if s.lines > 0 {
				free = s.lines - s.inFlight
			}
			if free <= 0 {
				continue
			}
			if s.cps > 0 {
				s.tokens = min(max(1, s.cps), s.tokens+now.Sub(s.tokensAt).Seconds()*s.cps)
				s.tokensAt = now
				if s.tokens < 1 {
					w := time.Duration((1 - s.tokens) / s.cps * float64(time.Second))
					if rateWait == 0 || w < rateWait {
						rateWait = w
					}
					continue
				}
			}
			if free > bestFree || (free == bestFree && s.id < best.id) {
				best, bestFree = s, free
			}
		}
		if best == nil {
			if rateWait > 0 {
				wake = now.Add(max(rateWait, time.Millisecond))
			}
			break
		}
		if best.cps > 0 {
			best.tokens--
		}
		h.calls[p.cmd.Call] = &call{owner: best}
		best.inFlight++
		h.enqueue(best, toCommand(&p.cmd))
		n++
	}
	if n > 0 {
		h.pending = append(h.pending[:0], h.pending[n:]...)
	}
	// Originates no backend took in time fail as on a trunk that is down.
	kept := h.pending[:0]
	expired := 0
	for _, p := range h.pending {
		if now.Before(p.deadline) {
			kept = append(kept, p)
			if wake.IsZero() || p.deadline.Before(wake) {
				wake = p.deadline
			}
			continue
		}
		expired++
		h.emit(engine.Event{Kind: engine.EvFailed, Call: p.cmd.Call, Outcome: records.OutcomeInvalid, Cause: CauseLost, EarlyCause: EarlyLost})
	}
	if expired > 0 {
		h.stats.Expired += uint64(expired)
		h.log.Warn("calls failed: no backend had a line for them within their ring timeout", "calls", expired, "held", len(kept))
	}
	clear(h.pending[len(kept):])
	h.pending = kept
	if wake.IsZero() || (h.holdStop != nil && wake.Equal(h.holdAt)) {
		return
	}
	if h.holdStop != nil {
		h.holdStop()
	}
	h.holdAt = wake
	h.holdStop = h.clock.AfterFunc(wake, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.holdStop = nil
		h.dispatch(h.clock.Now())
	})
}

// emit hands an event to the runner, or keeps it until Run when the runner
// has not started the hub yet; the caller holds h.mu (the runner's emit
// never blocks and never calls back).
func (h *Hub) emit(ev engine.Event) {
	if h.emitFn != nil {
		h.emitFn(ev)
		return
	}
	if !h.stopped {
		h.early = append(h.early, ev)
	}
}

// closeLost closes every call of s as lost and drops its commands.
func (h *Hub) closeLost(s *session, why string) {
	for id, cl := range h.calls {
		if cl.owner == s {
			h.lose(id, cl, why)
		}
	}
	clear(s.unacked)
	s.unacked = s.unacked[:0]
}

// lose closes one call the backend no longer has, with a record: failed
// when unanswered, hung up by the system when answered.
func (h *Hub) lose(id records.CallID, cl *call, why string) {
	h.forget(id, cl)
	h.stats.Lost++
	h.log.Warn("call lost by its backend: closed", "call", id, "backend", cl.owner.id, "answered", cl.answered, "why", why)
	if cl.answered {
		h.emit(engine.Event{Kind: engine.EvHangup, Call: id, Side: engine.SideSystem, Cause: CauseLost})
	} else {
		h.emit(engine.Event{Kind: engine.EvFailed, Call: id, Outcome: records.OutcomeInvalid, Cause: CauseLost, EarlyCause: EarlyLost})
	}
}

// ---- the stream ------------------------------------------------------------------

// conn is one Attach stream.
type conn struct {
	h       *Hub
	sess    *session
	srv     grpc.BidiStreamingServer[bpb.AttachRequest, bpb.AttachResponse]
	out     []*bpb.AttachResponse // guarded by h.mu
	wake    chan struct{}
	kicked  chan struct{}
	acked   uint64 // last event seq acknowledged to the backend (writer only)
	applied uint64 // guarded by h.mu: last event seq applied
}

func (c *conn) push(m *bpb.AttachResponse) {
	c.out = append(c.out, m)
	c.poke()
}

func (c *conn) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func invalid(field, format string, args ...any) error {
	e := apierr.New(apierr.InvalidParams, format, args...)
	e.Field = field
	return e
}

// Attach serves one backend's stream: Hello, Welcome, the events sent
// again, Sync, then commands one way and events the other until the
// stream breaks or a new stream of the same backend replaces it.
func (h *Hub) Attach(srv grpc.BidiStreamingServer[bpb.AttachRequest, bpb.AttachResponse]) error {
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	hello := first.GetHello()
	switch {
	case hello == nil:
		return invalid("hello", "the first message of a backend must be Hello")
	case hello.GetProtocolVersion() != ProtocolVersion:
		return invalid("hello.protocol_version", "protocol version %d is not spoken here (want %d)", hello.GetProtocolVersion(), ProtocolVersion)
	case len(hello.GetBackendId()) < 1 || len(hello.GetBackendId()) > 128:
		return invalid("hello.backend_id", "backend_id must be 1 to 128 bytes, got %d", len(hello.GetBackendId()))
	case len(hello.GetIncarnation()) < 1 || len(hello.GetIncarnation()) > 128:
		return invalid("hello.incarnation", "incarnation must be 1 to 128 bytes, got %d", len(hello.GetIncarnation()))
	case hello.GetCapacity().GetLines() < 0:
		return invalid("hello.capacity.lines", "lines must not be negative, got %d", hello.GetCapacity().GetLines())
	case !(hello.GetCapacity().GetCallsPerSecond() >= 0 && hello.GetCapacity().GetCallsPerSecond() <= MaxCallsPerSecond):
		return invalid("hello.capacity.calls_per_second", "calls_per_second must be from 0 to %g, got %v", MaxCallsPerSecond, hello.GetCapacity().GetCallsPerSecond())
	}

	c := &conn{h: h, srv: srv, wake: make(chan struct{}, 1), kicked: make(chan struct{})}
	var b [8]byte
	_, _ = rand.Read(b[:])
	sid := hex.EncodeToString(b[:])

	h.mu.Lock()
	now := h.clock.Now()
	s := h.sessions[hello.GetBackendId()]
	resumed := s != nil && s.incarnation == hello.GetIncarnation()
	if s != nil && s.conn != nil {
		close(s.conn.kicked) // replaced by this stream
		s.conn = nil
	}
	if s != nil && s.graceStop != nil {
		s.graceStop()
		s.graceStop = nil
	}
	if s != nil && !resumed {
		h.closeLost(s, "the backend restarted")
	}
	if s == nil || !resumed {
		s = &session{id: hello.GetBackendId(), incarnation: hello.GetIncarnation()}
		h.sessions[s.id] = s
	}
	s.conn, s.synced = c, false
	s.lines, s.cps = int(hello.GetCapacity().GetLines()), hello.GetCapacity().GetCallsPerSecond()
	s.tokens, s.tokensAt = 0, now
	c.sess = s
	c.applied = s.appliedSeq
	welcome := &bpb.Welcome{SessionId: sid, AppliedSeq: s.appliedSeq, Resumed: resumed}
	h.mu.Unlock()
	h.log.Info("backend attached", "backend", s.id, "incarnation", s.incarnation, "session", sid, "resumed", resumed,
		"lines", s.lines, "calls_per_second", s.cps)

	if err := srv.Send(&bpb.AttachResponse{Message: &bpb.AttachResponse_Welcome{Welcome: welcome}}); err != nil {
		h.detach(c, err)
		return err
	}
	ctx, cancel := context.WithCancel(srv.Context())
	defer cancel()
	werr := make(chan error, 1)
	go func() { werr <- c.write(ctx) }()
	rerr := make(chan error, 1)
	go func() { rerr <- c.read() }()
	select {
	case err = <-rerr:
	case err = <-werr:
	case <-c.kicked:
		err = nil
	}
	cancel()
	h.detach(c, err)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// detach marks c's session detached (unless another stream replaced c) and
// starts its grace period.
func (h *Hub) detach(c *conn, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := c.sess
	if s.conn != c {
		return
	}
	s.conn, s.synced = nil, false
	h.log.Warn("backend stream ended; waiting for it to attach again", "backend", s.id, "err", err, "calls", s.inFlight, "grace", h.grace)
	s.graceStop = h.clock.AfterFunc(h.clock.Now().Add(h.grace), func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.sessions[s.id] != s || s.conn != nil {
			return
		}
		h.closeLost(s, "the backend did not attach again in time")
		delete(h.sessions, s.id)
		h.dispatch(h.clock.Now())
	})
}

// write sends what the hub queued for c, and acknowledges the backend's
// events at least every 50 ms while they come.
func (c *conn) write(ctx context.Context) error {
	h := c.h
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var batch []*bpb.AttachResponse
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
		case <-tick.C:
		}
		h.mu.Lock()
		batch, c.out = c.out, batch[:0]
		applied := c.applied
		h.mu.Unlock()
		for i, m := range batch {
			if err := c.srv.Send(m); err != nil {
				return err
			}
			batch[i] = nil
		}
		if applied > c.acked {
			c.acked = applied
			if err := c.srv.Send(&bpb.AttachResponse{Message: &bpb.AttachResponse_Ack{Ack: &bpb.Ack{Seq: applied}}}); err != nil {
				return err
			}
		}
	}
}

// read applies the backend's messages.
func (c *conn) read() error {
	h := c.h
	since := 0
	for {
		m, err := c.srv.Recv()
		if err != nil {
			return err
		}
		h.mu.Lock()
		if c.sess.conn != c {
			h.mu.Unlock()
			return nil // replaced
		}
		switch x := m.GetMessage().(type) {
		case *bpb.AttachRequest_Event:
			h.applyEvent(c, x.Event)
			since++
		case *bpb.AttachRequest_AgentRequest:
			h.applyAgent(c, x.AgentRequest)
			since++
		case *bpb.AttachRequest_Ack:
			h.ack(c.sess, x.Ack.GetSeq())
		case *bpb.AttachRequest_Sync:
			if c.sess.synced {
				h.mu.Unlock()
				return invalid("sync", "Sync is sent once per stream")
			}
			h.reconcile(c, x.Sync)
		case *bpb.AttachRequest_Hello:
			h.mu.Unlock()
			return invalid("hello", "Hello is only the first message")
		}
		h.mu.Unlock()
		if since >= 256 {
			since = 0
			c.poke()
		}
	}
}

func (h *Hub) ack(s *session, seq uint64) {
	n := 0
	for n < len(s.unacked) && s.unacked[n].GetSeq() <= seq {
		s.unacked[n] = nil
		n++
	}
	if n > 0 {
		s.unacked = append(s.unacked[:0], s.unacked[n:]...)
	}
}

// applyEvent maps one call event to the engine's, once per seq, for a call
// the backend owns.
func (h *Hub) applyEvent(c *conn, e *bpb.CallEvent) {
	s := c.sess
	if e.GetSeq() <= s.appliedSeq {
		return
	}
	s.appliedSeq = e.GetSeq()
	c.applied = s.appliedSeq
	h.stats.Events++
	id := records.CallID(e.GetCallId())
	cl := h.calls[id]
	if cl == nil || cl.owner != s {
		return // ended already, or not this backend's: nothing to tell the engine
	}
	cl.heard = true
	ev, ok := toEvent(e)
	if !ok {
		return
	}
	switch ev.Kind {
	case engine.EvAnswered:
		cl.answered = true
	case engine.EvFailed, engine.EvHangup:
		h.forget(id, cl)
		defer h.dispatch(h.clock.Now())
	}
	h.emit(ev)
}

func (h *Hub) applyAgent(c *conn, r *bpb.AgentRequest) {
	s := c.sess
	if r.GetSeq() <= s.appliedSeq {
		return
	}
	s.appliedSeq = r.GetSeq()
	c.applied = s.appliedSeq
	h.stats.Events++
	if ev, ok := toAgentEvent(r); ok {
		h.emit(ev)
	}
}

// reconcile compares the calls the backend reports with the ones the
// server placed on it, then lets commands flow again: the calls it lost
// are closed with a record, the ones it has and the server does not know
// are hung up, unacknowledged commands are sent again.
func (h *Hub) reconcile(c *conn, sync *bpb.Sync) {
	s := c.sess
	live := make(map[records.CallID]bool, len(sync.GetLiveCalls()))
	for _, lc := range sync.GetLiveCalls() {
		live[records.CallID(lc.GetCallId())] = true
	}
	unsent := make(map[records.CallID]bool) // calls with a command still to deliver
	origin := make(map[records.CallID]bool) // calls whose originate was never acknowledged
	for _, cmd := range s.unacked {
		id := records.CallID(cmd.GetCallId())
		unsent[id] = true
		if cmd.GetOriginate() != nil {
			origin[id] = true
		}
	}
	for id, cl := range h.calls {
		if cl.owner != s || live[id] {
			continue
		}
		if origin[id] && !cl.heard {
			continue // the backend never had it: the originate goes again below
		}
		h.lose(id, cl, "not among the backend's live calls")
	}
	kept := s.unacked[:0]
	for _, cmd := range s.unacked {
		id := records.CallID(cmd.GetCallId())
		if cmd.GetOriginate() != nil || cmd.GetConnect() != nil {
			if cl := h.calls[id]; cl == nil || cl.owner != s {
				continue // closed above
			}
		}
		kept = append(kept, cmd)
	}
	clear(s.unacked[len(kept):])
	s.unacked = kept
	resent := len(s.unacked)
	for _, lc := range sync.GetLiveCalls() {
		id := records.CallID(lc.GetCallId())
		if cl := h.calls[id]; (cl != nil && cl.owner == s) || unsent[id] || lc.GetPhase() == bpb.CallPhase_CALL_PHASE_PLAYING {
			continue // ours, about to get a command, or ending on its own
		}
		h.stats.HungUp++
		h.log.Info("backend has a call the server does not know: hung up", "backend", s.id, "call", id)
		s.cmdSeq++
		s.unacked = append(s.unacked, &bpb.Command{Seq: s.cmdSeq, CallId: uint64(id), Action: &bpb.Command_Hangup{Hangup: &bpb.Hangup{}}})
	}
	for _, cmd := range s.unacked {
		c.push(&bpb.AttachResponse{Message: &bpb.AttachResponse_Command{Command: cmd}})
		h.stats.Sent++
	}
	h.stats.Resent += uint64(resent)
	s.synced = true
	h.log.Info("backend synced", "backend", s.id, "live_calls", len(live), "calls", s.inFlight, "resent", resent)
	h.dispatch(h.clock.Now())
}
