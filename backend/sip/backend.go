package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
)

// Backend is a SIP user agent that places the engine's calls on a trunk and
// rings agent phones. It implements the runner's Backend and Limiter
// contracts: Run, Send, Capacity. Create it with New; one Backend serves one
// Run.
type Backend struct {
	cfg  Config
	log  *slog.Logger
	msgs map[string]*message
	rtp  ports

	ua       *sipgo.UserAgent
	srv      *sipgo.Server
	udp, tcp *sipgo.Client
	pc       net.PacketConn
	ln       net.Listener
	addr     netip.AddrPort // our signalling address

	mu     sync.Mutex
	calls  map[records.CallID]*call
	seen   map[records.CallID]struct{} // the last seenMax call ids originated: an originate is never repeated
	order  []records.CallID            // seen's ids, a ring in originate order
	next   int                         // order's oldest entry once it is full
	legs   map[string]*leg             // by SIP Call-ID, for the far end's BYE
	queue  []*call                     // originates waiting for a line or for the calls-per-second pace
	busy   int                         // customer legs holding a line
	regs   map[string]binding          // registered agent phones by user part
	ran    bool
	wake   chan struct{}
	events eventQueue

	life context.Context // ends when Run returns
	stop context.CancelFunc
	wg   sync.WaitGroup

	stats struct{ invites, answered, bridged, relayed, played atomic.Uint64 }

	// observe, when set, sees each call's trace as the call ends; the
	// tests and benchmarks use it.
	observe func(t trace)
}

// Stats are the backend's counters since New.
type Stats struct {
	Invites  uint64 // customer INVITEs sent (a challenged INVITE counts once)
	Answered uint64 // customer legs answered, live or machine
	Bridged  uint64 // customer legs bridged to an agent
	Relayed  uint64 // RTP packets relayed between bridged legs
	Played   uint64 // RTP packets of messages sent
}

// Stats returns the backend's counters.
func (b *Backend) Stats() Stats {
	return Stats{
		Invites: b.stats.invites.Load(), Answered: b.stats.answered.Load(), Bridged: b.stats.bridged.Load(),
		Relayed: b.stats.relayed.Load(), Played: b.stats.played.Load(),
	}
}

// trace is one call as the backend saw it: when it got where (zero when it
// never did) and the RTP packets of its legs.
type trace struct {
	call        records.CallID
	invite      time.Time // the customer INVITE went out
	ringing     time.Time // the first 180 or 183 arrived
	answer      time.Time // the customer's 200 OK arrived
	agentInvite time.Time // the INVITE of the agent leg last bridged went out
	bridged     bool
	toAgent     uint64 // RTP packets relayed from the customer to the agent
	toCustomer  uint64 // and back
	played      uint64 // RTP packets of a message sent to the customer
}

type binding struct {
	uri    sip.Uri
	source string // where the REGISTER came from: we send there (NAT, TCP)
	until  time.Time
}

var (
	errRingTimeout  = errors.New("ring timeout")
	errHangup       = errors.New("hung up on command")
	errCustomerGone = errors.New("the customer left")
	errShutdown     = errors.New("backend stopped")
	errNoFinal      = errors.New("no final response")
)

// New checks cfg, loads its messages and binds the signalling sockets (UDP
// and TCP on the Listen port). Nothing is served until Run.
func New(cfg Config) (*Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Backend{
		cfg:   cfg,
		log:   cfg.Logger,
		msgs:  map[string]*message{},
		calls: map[records.CallID]*call{},
		seen:  map[records.CallID]struct{}{},
		legs:  map[string]*leg{},
		regs:  map[string]binding{},
		wake:  make(chan struct{}, 1),
	}
	b.events.sig = make(chan struct{}, 1)
	b.rtp.min, b.rtp.max = cfg.RTPPortMin, cfg.RTPPortMax
	for name, path := range cfg.Messages {
		m, err := loadWAV(path)
		if err != nil {
			return nil, fmt.Errorf("sip.messages[%s]: %w", name, err)
		}
		b.msgs[name] = m
	}
	if err := b.listen(); err != nil {
		return nil, err
	}
	b.life, b.stop = context.WithCancel(context.Background())
	return b, nil
}

// listen binds UDP then TCP on the same port; with port 0 it retries a few
// free ports until both are free.
func (b *Backend) listen() error {
	ap := netip.MustParseAddrPort(b.cfg.Listen)
	var err error
	for try := 0; try < 20; try++ {
		b.pc, err = net.ListenPacket("udp", ap.String())
		if err != nil {
			return fmt.Errorf("sip.listen: %w", err)
		}
		port := b.pc.LocalAddr().(*net.UDPAddr).Port
		b.ln, err = net.Listen("tcp", netip.AddrPortFrom(ap.Addr(), uint16(port)).String())
		if err == nil {
			b.addr = netip.AddrPortFrom(ap.Addr(), uint16(port))
			break
		}
		b.pc.Close()
		if ap.Port() != 0 {
			return fmt.Errorf("sip.listen: %w", err)
		}
	}
	if err != nil {
		return fmt.Errorf("sip.listen: %w", err)
	}
	host := b.addr.Addr().String()
	b.ua, err = sipgo.NewUA(sipgo.WithUserAgent("outpace"), sipgo.WithUserAgentHostname(b.cfg.FromHost))
	if err == nil {
		b.srv, err = sipgo.NewServer(b.ua, sipgo.WithServerLogger(b.log))
	}
	if err == nil {
		// UDP requests leave from the listening socket, so that responses
		// and in-dialog requests come back to it.
		b.udp, err = sipgo.NewClient(b.ua, sipgo.WithClientHostname(host), sipgo.WithClientConnectionAddr(b.addr.String()), sipgo.WithClientLogger(b.log))
	}
	if err == nil {
		b.tcp, err = sipgo.NewClient(b.ua, sipgo.WithClientHostname(host), sipgo.WithClientLogger(b.log))
	}
	if err != nil {
		b.pc.Close()
		b.ln.Close()
		return err
	}
	b.srv.OnBye(b.onBye)
	b.srv.OnInvite(b.onReinvite)
	b.srv.OnUpdate(b.onReinvite)
	b.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	b.srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	if b.cfg.Registrar {
		b.srv.OnRegister(b.onRegister)
	}
	return nil
}

// Addr is the address our SIP signalling listens on (UDP and TCP).
func (b *Backend) Addr() netip.AddrPort { return b.addr }

// Capacity reports the trunk's limits: the most calls at once and the most
// originates a second; zero means no limit.
func (b *Backend) Capacity() (lines int, callsPerSecond float64) {
	return b.cfg.Lines, b.cfg.CallsPerSecond
}

// Run serves SIP and delivers the backend's events to emit until ctx is done;
// then it cancels ringing calls, hangs up answered ones, closes its sockets
// and returns. emit is called from one goroutine at a time, in the order the
// events happened for each call.
func (b *Backend) Run(ctx context.Context, emit func(engine.Event)) error {
	b.mu.Lock()
	if b.ran {
		b.mu.Unlock()
		return errors.New("sip: Run called twice")
	}
	b.ran = true
	b.mu.Unlock()

	errc := make(chan error, 2)
	go func() { errc <- b.srv.ServeUDP(b.pc) }()
	go func() { errc <- b.srv.ServeTCP(b.ln) }()
	// Requests leave from the UDP socket only once the transport holds it.
	for i := 0; i < 200; i++ {
		if c, err := b.ua.TransportLayer().GetConnection("udp", b.addr.String()); err == nil && c != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	pumped := make(chan struct{})
	go func() { b.events.pump(b.life, emit); close(pumped) }()
	dispatched := make(chan struct{})
	go func() { b.dispatch(b.life); close(dispatched) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("sip: serve: %w", err)
	}
	b.shutdown()
	<-dispatched
	<-pumped
	return err
}

// shutdown ends every call, waits a little for the BYEs and CANCELs to be
// answered, then closes the transports.
func (b *Backend) shutdown() {
	b.mu.Lock()
	calls := make([]*call, 0, len(b.calls))
	for _, c := range b.calls {
		calls = append(calls, c)
	}
	b.queue = nil
	b.mu.Unlock()
	for _, c := range calls {
		c.hangup(errShutdown)
	}
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	b.stop()
	b.srv.Close()
	b.ua.Close()
	b.pc.Close()
	b.ln.Close()
}

// Send hands commands to the backend without waiting on the network:
// CmdOriginate, CmdConnect, CmdPlayHangup and CmdHangup; others are ignored.
// A repeated command for a call is harmless: an originate is never dialled
// twice (of the last 65536 call ids), a connect never rings a second phone
// while one rings.
func (b *Backend) Send(cmds []engine.Command) {
	for i := range cmds {
		cmd := &cmds[i]
		switch cmd.Kind {
		case engine.CmdOriginate:
			b.mu.Lock()
			if _, dup := b.seen[cmd.Call]; dup {
				b.mu.Unlock()
				continue
			}
			b.remember(cmd.Call)
			c := &call{b: b, id: cmd.Call, phone: cmd.Phone, callerID: cmd.CallerID, timeout: cmd.Timeout}
			b.calls[cmd.Call] = c
			b.queue = append(b.queue, c)
			b.mu.Unlock()
			b.signal()
		case engine.CmdConnect:
			if c := b.call(cmd.Call); c != nil {
				c.connect(cmd.Phone)
			}
		case engine.CmdPlayHangup:
			if c := b.call(cmd.Call); c != nil {
				c.playHangup(cmd.Message)
			}
		case engine.CmdHangup:
			if c := b.call(cmd.Call); c != nil {
				c.hangup(errHangup)
			}
		}
	}
}

// seenMax bounds the memory of originated call ids: a repeat comes soon
// after the original (a runner that sends again after re-attaching).
const seenMax = 1 << 16

func (b *Backend) remember(id records.CallID) {
	b.seen[id] = struct{}{}
	if len(b.order) < seenMax {
		b.order = append(b.order, id)
		return
	}
	delete(b.seen, b.order[b.next])
	b.order[b.next] = id
	b.next = (b.next + 1) % seenMax
}

func (b *Backend) call(id records.CallID) *call {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[id]
}

func (b *Backend) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// dispatch starts queued originates as lines free up, spaced by the
// calls-per-second limit.
func (b *Backend) dispatch(ctx context.Context) {
	var interval time.Duration
	if b.cfg.CallsPerSecond > 0 {
		interval = time.Duration(float64(time.Second) / b.cfg.CallsPerSecond)
	}
	var next time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		b.mu.Lock()
		for len(b.queue) == 0 || (b.cfg.Lines > 0 && b.busy >= b.cfg.Lines) {
			b.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-b.wake:
			}
			b.mu.Lock()
		}
		c := b.queue[0]
		b.queue[0] = nil
		b.queue = b.queue[1:]
		b.busy++
		b.mu.Unlock()
		if interval > 0 {
			now := time.Now()
			if wait := next.Sub(now); wait > 0 {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
				now = next
			}
			next = now.Add(interval)
		}
		b.wg.Add(1)
		go c.dial(ctx)
	}
}

func (b *Backend) releaseLine() {
	b.mu.Lock()
	b.busy--
	b.mu.Unlock()
	b.signal()
}

// emit queues ev for the pump; it never blocks.
func (b *Backend) emit(ev engine.Event) {
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	b.events.push(ev)
}

// eventQueue hands events to emit from one goroutine, so that a slow emit
// never holds up the signalling and a call's events keep their order.
type eventQueue struct {
	mu  sync.Mutex
	q   []engine.Event
	sig chan struct{}
}

func (e *eventQueue) push(ev engine.Event) {
	e.mu.Lock()
	e.q = append(e.q, ev)
	e.mu.Unlock()
	select {
	case e.sig <- struct{}{}:
	default:
	}
}

func (e *eventQueue) pump(ctx context.Context, emit func(engine.Event)) {
	var batch []engine.Event
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.sig:
		}
		e.mu.Lock()
		batch, e.q = e.q, batch[:0]
		e.mu.Unlock()
		for _, ev := range batch {
			emit(ev)
		}
		clear(batch)
	}
}

// onBye answers the far end's BYE and ends the call it belongs to.
func (b *Backend) onBye(req *sip.Request, tx sip.ServerTransaction) {
	b.mu.Lock()
	l := b.legs[req.CallID().Value()]
	b.mu.Unlock()
	if l == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	l.c.farBye(l)
}

// onReinvite answers a re-INVITE or UPDATE inside one of our dialogs: the
// far end moves its media, or holds and resumes the call (a=sendonly,
// a=inactive or the address 0.0.0.0). An INVITE outside our dialogs is
// refused: the backend places calls, it takes none.
func (b *Backend) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	b.mu.Lock()
	l := b.legs[req.CallID().Value()]
	b.mu.Unlock()
	switch {
	case l == nil && req.Method == sip.INVITE && req.To().Params.Has("tag"):
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	case l == nil:
		tx.Respond(sip.NewResponseFromRequest(req, 403, "Outbound only", nil))
		return
	case !l.up.Load() || l.ended.Load():
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	held := false
	body := req.Body()
	if len(body) > 0 {
		held = heldSDP(body)
		if ap, pt, err := answerSDP(body); err == nil && !ap.Addr().IsUnspecified() {
			l.media.setRemote(ap, pt)
		}
	}
	var res *sip.Response
	if len(body) > 0 || req.Method == sip.INVITE {
		sdp := offerSDP(b.cfg.MediaIP, l.media.port, int(l.media.pt.Load()))
		if held {
			sdp = []byte(strings.Replace(string(sdp), "a=sendrecv", "a=recvonly", 1))
		}
		res = sip.NewSDPResponseFromRequest(req, sdp)
	} else {
		res = sip.NewResponseFromRequest(req, 200, "OK", nil)
	}
	res.AppendHeader(sip.HeaderClone(l.req.Contact()))
	tx.Respond(res)
	if len(body) > 0 {
		l.c.hold(held)
	}
}

// heldSDP reports whether a session description puts the call on hold.
func heldSDP(body []byte) bool {
	for _, line := range strings.Split(string(body), "\n") {
		switch strings.TrimSpace(line) {
		case "a=sendonly", "a=inactive", "c=IN IP4 0.0.0.0":
			return true
		}
	}
	return false
}

// onRegister keeps the Contact of an agent phone under the user part of its
// To URI, for at most MaxExpires.
func (b *Backend) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	to, contact := req.To(), req.Contact()
	if to == nil || to.Address.User == "" {
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Missing To user", nil))
		return
	}
	exp := 3600
	if h := req.GetHeader("Expires"); h != nil {
		if v, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
			exp = v
		}
	}
	if contact != nil {
		if v, ok := contact.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				exp = n
			}
		}
	}
	exp = max(0, min(exp, int(b.cfg.MaxExpires/time.Second)))
	user := to.Address.User
	b.mu.Lock()
	switch {
	case contact == nil:
	case contact.Address.Wildcard || exp == 0:
		delete(b.regs, user)
	default:
		b.regs[user] = binding{uri: *contact.Address.Clone(), source: req.Source(), until: time.Now().Add(time.Duration(exp) * time.Second)}
	}
	b.mu.Unlock()
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if contact != nil && !contact.Address.Wildcard && exp > 0 {
		ch := contact.Clone()
		ch.Params = ch.Params.Clone()
		ch.Params.Remove("expires")
		ch.Params.Add("expires", strconv.Itoa(exp))
		res.AppendHeader(ch)
	}
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(exp)))
	tx.Respond(res)
}

// resolve finds the SIP URI of an agent phone: a "sip:" URI as it is, the
// configured phone, or a registered one. dest is where to send when the phone
// registered (its source address), else empty.
func (b *Backend) resolve(phone string) (uri sip.Uri, dest string, ok bool) {
	s := phone
	if !strings.HasPrefix(phone, "sip:") {
		s = b.cfg.Agents[phone]
	}
	if s != "" {
		if err := sip.ParseUri(s, &uri); err == nil {
			return uri, "", true
		}
		return uri, "", false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	reg, found := b.regs[phone]
	if !found || time.Now().After(reg.until) {
		return uri, "", false
	}
	return *reg.uri.Clone(), reg.source, true
}
