package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
)

type stage uint8

const (
	stageQueued   stage = iota // waiting for a line
	stageRinging               // INVITE sent to the customer
	stageAnswered              // the customer is on the line
	stageEnded                 // the customer leg is over
)

// call is one engine call: a customer leg and at most one agent leg at a time.
// mu guards every field below it; events are queued under mu, so that they
// leave in the order the call went through its states.
type call struct {
	b        *Backend
	id       records.CallID
	phone    string
	callerID string
	timeout  time.Duration

	mu          sync.Mutex
	stage       stage
	closed      bool // the engine has closed the call: no more events
	progress    bool // EvProgress sent
	cancelRing  context.CancelCauseFunc
	cust        *leg
	agent       *leg // the agent leg ringing or up
	agentUp     bool
	held        bool // EvHold sent, EvRetrieve not yet
	cancelAgent context.CancelCauseFunc
	stopPlay    chan struct{}
	times       trace
	lastAgent   *leg // the agent leg last bridged, for the trace
}

func (c *call) emitLocked(ev engine.Event) {
	if c.closed {
		return
	}
	ev.Call = c.id
	c.b.emit(ev)
}

func (c *call) closeLocked(ev engine.Event) {
	c.emitLocked(ev)
	c.closed = true
}

// dial places the customer leg and reports its outcome.
func (c *call) dial(ctx context.Context) {
	b := c.b
	defer b.wg.Done()
	c.mu.Lock()
	queued := c.stage == stageQueued
	c.mu.Unlock()
	if !queued { // hung up before it left the queue
		c.release()
		return
	}
	media, err := openRTP(b.cfg.MediaIP, &b.rtp, b.cfg.SymmetricRTP)
	var l *leg
	if err == nil {
		l, err = b.newLeg(c, engine.SideCustomer, strings.ReplaceAll(b.cfg.Trunk, "{number}", c.phone), c.callerID, media, -1, "")
	}
	c.mu.Lock()
	if err != nil {
		b.log.Warn("sip: cannot place a call", "call", c.id, "err", err)
		media.close()
		c.stage = stageEnded
		c.closeLocked(engine.Event{Kind: engine.EvFailed, Outcome: records.OutcomeInvalid, Cause: CauseLineFailure, EarlyCause: EarlyLineFault})
		c.mu.Unlock()
		c.release()
		return
	}
	if c.stage != stageQueued {
		c.mu.Unlock()
		l.end()
		c.release()
		return
	}
	timeout := c.timeout
	if timeout <= 0 {
		timeout = b.cfg.RingTimeout
	}
	ringCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ringCtx, cancelT := context.WithTimeoutCause(ringCtx, timeout, errRingTimeout)
	defer cancelT()
	c.stage = stageRinging
	c.cust = l
	c.cancelRing = cancel
	b.stats.invites.Add(1)
	c.mu.Unlock()

	res, err := l.invite(ringCtx, func(r *sip.Response) {
		if r.StatusCode == 180 || r.StatusCode == 183 {
			c.mu.Lock()
			if !c.progress {
				c.progress = true
				c.times.ringing = time.Now()
				c.emitLocked(engine.Event{Kind: engine.EvProgress})
			}
			c.mu.Unlock()
		}
	})
	cause := context.Cause(ringCtx)
	if cause == context.Canceled {
		cause = errShutdown
	}
	if res != nil && res.IsSuccess() {
		c.mu.Lock()
		c.times.answer = time.Now()
		if cause != nil || c.stage != stageRinging {
			// The 200 crossed our CANCEL, or the call was ended meanwhile:
			// take the call and hang it up at once.
			c.mu.Unlock()
			l.bye()
			c.mu.Lock()
			c.ringEndedLocked(cause, nil)
			c.mu.Unlock()
			c.release()
			return
		}
		if ap, pt, err := answerSDP(res.Body()); err == nil {
			l.media.setRemote(ap, pt)
		} else {
			b.log.Warn("sip: customer answer without usable SDP", "call", c.id, "err", err)
		}
		out := records.OutcomeLive
		if b.machine(res) {
			out = records.OutcomeMachine
		}
		c.stage = stageAnswered
		b.stats.answered.Add(1)
		c.emitLocked(engine.Event{Kind: engine.EvAnswered, Outcome: out})
		if l.ended.Load() {
			// The customer's BYE was handled before its 200 OK (they
			// arrived together): farBye left the call to us.
			c.stage = stageEnded
			c.closeLocked(engine.Event{Kind: engine.EvHangup, Side: engine.SideCustomer, Cause: CauseCalled})
			c.mu.Unlock()
			c.release()
			return
		}
		c.mu.Unlock()
		return
	}
	l.end()
	c.mu.Lock()
	c.ringEndedLocked(cause, res)
	c.mu.Unlock()
	if err != nil && cause == nil {
		b.log.Warn("sip: customer INVITE failed", "call", c.id, "err", err)
	}
	c.release()
}

// ringEndedLocked reports a customer leg that ended unanswered (or answered
// too late): res is its final response, if any.
func (c *call) ringEndedLocked(cause error, res *sip.Response) {
	c.stage = stageEnded
	switch {
	case errors.Is(cause, errHangup) || errors.Is(cause, errShutdown):
		c.closeLocked(engine.Event{Kind: engine.EvHangup, Side: engine.SideSystem, Cause: CauseCancel})
	case res != nil && !res.IsSuccess():
		out, cc, early := failure(res.StatusCode, errors.Is(cause, errRingTimeout))
		c.closeLocked(engine.Event{Kind: engine.EvFailed, Outcome: out, Cause: cc, EarlyCause: early})
	case errors.Is(cause, errRingTimeout):
		c.closeLocked(engine.Event{Kind: engine.EvFailed, Outcome: records.OutcomeNoAnswer, Cause: CauseTimeout, EarlyCause: EarlyNoAnswer})
	default: // no response at all, or a transport error
		c.closeLocked(engine.Event{Kind: engine.EvFailed, Outcome: records.OutcomeInvalid, Cause: CauseLineFailure, EarlyCause: EarlyLineFault})
	}
}

// release gives the call's line back, counts its media and forgets it.
func (c *call) release() {
	b := c.b
	b.mu.Lock()
	delete(b.calls, c.id)
	b.mu.Unlock()
	b.releaseLine()
	c.mu.Lock()
	t := c.times
	t.call = c.id
	if c.cust != nil {
		t.invite = c.cust.sent
		t.toAgent = c.cust.media.relayed.Load()
		t.played = c.cust.media.sent.Load()
	}
	if c.lastAgent != nil {
		t.bridged = true
		t.toCustomer = c.lastAgent.media.relayed.Load()
		t.agentInvite = c.lastAgent.sent
	}
	c.mu.Unlock()
	b.stats.relayed.Add(t.toAgent + t.toCustomer)
	b.stats.played.Add(t.played)
	if b.observe != nil {
		b.observe(t)
	}
}

// machine reads the carrier's answering-machine result from the 200 OK.
func (b *Backend) machine(res *sip.Response) bool {
	if b.cfg.MachineHeader == "" {
		return false
	}
	h := res.GetHeader(b.cfg.MachineHeader)
	if h == nil {
		return false
	}
	v := strings.TrimSpace(h.Value())
	for _, m := range b.cfg.MachineValues {
		if strings.EqualFold(v, m) {
			return true
		}
	}
	return false
}

// hold reports a hold or a resume of either leg while the legs are bridged:
// for the engine the customer is on hold, whoever's phone pressed it.
func (c *call) hold(held bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.agentUp || c.stage != stageAnswered || held == c.held {
		return
	}
	c.held = held
	kind := engine.EvHold
	if !held {
		kind = engine.EvRetrieve
	}
	c.emitLocked(engine.Event{Kind: kind})
}

// connect rings the agent's phone and bridges it to the answered customer.
func (c *call) connect(phone string) {
	b := c.b
	c.mu.Lock()
	if c.closed || c.stage != stageAnswered || c.agent != nil {
		c.mu.Unlock()
		return
	}
	uri, dest, ok := b.resolve(phone)
	if !ok {
		b.log.Warn("sip: unknown agent phone", "call", c.id, "phone", phone)
		c.emitLocked(engine.Event{Kind: engine.EvAgentFailed})
		c.mu.Unlock()
		return
	}
	media, err := openRTP(b.cfg.MediaIP, &b.rtp, b.cfg.SymmetricRTP)
	var l *leg
	if err == nil {
		l, err = b.newLeg(c, engine.SideAgent, uri.String(), c.phone, media, int(c.cust.media.pt.Load()), dest)
	}
	if err != nil {
		media.close()
		b.log.Warn("sip: cannot ring an agent", "call", c.id, "phone", phone, "err", err)
		c.emitLocked(engine.Event{Kind: engine.EvAgentFailed})
		c.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancelCause(b.life)
	ctx, cancelT := context.WithTimeoutCause(ctx, b.cfg.AgentRingTimeout, errRingTimeout)
	c.agent = l
	c.agentUp = false
	c.cancelAgent = cancel
	c.mu.Unlock()
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer cancelT()
		defer cancel(nil)
		c.ringAgent(ctx, l)
	}()
}

func (c *call) ringAgent(ctx context.Context, l *leg) {
	res, _ := l.invite(ctx, nil)
	cause := context.Cause(ctx)
	if cause == context.Canceled {
		cause = errShutdown
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if res != nil && res.IsSuccess() {
		if cause != nil || c.closed || c.stage != stageAnswered {
			c.mu.Unlock()
			l.bye()
			c.mu.Lock()
			c.agentGoneLocked(l, cause)
			return
		}
		if ap, pt, err := answerSDP(res.Body()); err == nil {
			l.media.setRemote(ap, pt)
		} else {
			c.b.log.Warn("sip: agent answer without usable SDP", "call", c.id, "err", err)
		}
		bridge(c.cust.media, l.media)
		c.agentUp = true
		c.lastAgent = l
		c.b.stats.bridged.Add(1)
		c.emitLocked(engine.Event{Kind: engine.EvAgentAnswered})
		return
	}
	l.end()
	c.agentGoneLocked(l, cause)
}

// agentGoneLocked forgets an agent leg that was never bridged and tells the
// engine, unless the customer is gone too.
func (c *call) agentGoneLocked(l *leg, cause error) {
	if c.agent == l {
		c.agent, c.cancelAgent = nil, nil
	}
	if errors.Is(cause, errCustomerGone) || errors.Is(cause, errShutdown) || errors.Is(cause, errHangup) {
		return
	}
	c.emitLocked(engine.Event{Kind: engine.EvAgentFailed})
}

// playHangup plays the message to the answered customer, then hangs up. The
// engine has closed the call: nothing more is reported.
func (c *call) playHangup(name string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	if c.stage != stageAnswered {
		c.mu.Unlock()
		c.hangup(errHangup)
		return
	}
	ag, agentUp, cancelAgent := c.agent, c.agentUp, c.cancelAgent
	cust := c.cust
	stop := make(chan struct{})
	c.stopPlay = stop
	c.mu.Unlock()
	if cancelAgent != nil {
		cancelAgent(errCustomerGone)
	}
	if agentUp {
		ag.bye()
	}
	msg := c.b.msgs[name]
	if msg == nil && name != "" {
		c.b.log.Warn("sip: unknown message, hanging up", "call", c.id, "message", name)
	}
	c.b.wg.Add(1)
	go func() {
		defer c.b.wg.Done()
		cust.media.play(msg, stop)
		c.endCustomer()
	}()
}

// hangup ends every leg of the call; a call the engine still holds is
// reported as hung up by the system.
func (c *call) hangup(why error) {
	c.mu.Lock()
	switch c.stage {
	case stageQueued:
		c.stage = stageEnded
		c.closeLocked(engine.Event{Kind: engine.EvHangup, Side: engine.SideSystem, Cause: CauseCancel})
		c.mu.Unlock()
		c.b.mu.Lock()
		delete(c.b.calls, c.id)
		c.b.mu.Unlock()
		return // the dispatcher skips it, or dial finds it ended
	case stageRinging:
		cancel := c.cancelRing
		c.mu.Unlock()
		cancel(why)
		return
	case stageAnswered:
		c.closeLocked(engine.Event{Kind: engine.EvHangup, Side: engine.SideSystem, Cause: CauseCaller})
		if c.stopPlay != nil {
			select {
			case <-c.stopPlay:
			default:
				close(c.stopPlay)
			}
			c.mu.Unlock()
			return // the player hangs up
		}
		c.mu.Unlock()
		c.endCustomer()
	default:
		c.mu.Unlock()
	}
}

// endCustomer hangs up both legs from our side.
func (c *call) endCustomer() {
	c.mu.Lock()
	if c.stage != stageAnswered {
		c.mu.Unlock()
		return
	}
	c.stage = stageEnded
	c.closed = true
	ag, agentUp, cancelAgent := c.agent, c.agentUp, c.cancelAgent
	cust := c.cust
	c.mu.Unlock()
	if cancelAgent != nil && !agentUp {
		cancelAgent(errCustomerGone)
	}
	if agentUp {
		ag.bye()
	}
	cust.bye()
	c.release()
}

// farBye handles the BYE of either leg: the other leg is hung up and the
// engine told who left.
func (c *call) farBye(l *leg) {
	if !l.ended.CompareAndSwap(false, true) {
		return
	}
	l.cleanup()
	c.mu.Lock()
	if c.stage != stageAnswered {
		c.mu.Unlock() // still ringing: dial sees the leg ended once the 200 is in
		return
	}
	side, cause := engine.SideCustomer, CauseCalled
	if l.side == engine.SideAgent {
		side, cause = engine.SideAgent, CauseCaller
	}
	c.closeLocked(engine.Event{Kind: engine.EvHangup, Side: side, Cause: cause})
	c.stage = stageEnded
	ag, agentUp, cancelAgent := c.agent, c.agentUp, c.cancelAgent
	cust, stop := c.cust, c.stopPlay
	c.mu.Unlock()
	if stop != nil {
		select {
		case <-stop:
		default:
			close(stop)
		}
	}
	if cancelAgent != nil && !agentUp {
		cancelAgent(errCustomerGone)
	}
	if agentUp {
		ag.bye()
	}
	cust.bye()
	c.release()
}

// leg is one INVITE dialog we placed, with its RTP port.
type leg struct {
	c      *call
	side   engine.Side
	client *sipgo.Client
	req    *sip.Request // the INVITE as last sent
	res    *sip.Response
	tx     sip.ClientTransaction
	media  *rtpPort
	callID string
	dest   string    // explicit destination of the dialog's requests, if any
	sent   time.Time // when the INVITE went out
	ended  atomic.Bool
	up     atomic.Bool // a 2xx was acknowledged: BYE ends it
}

func (b *Backend) newLeg(c *call, side engine.Side, uri, fromUser string, media *rtpPort, pt int, dest string) (*leg, error) {
	var ru sip.Uri
	if err := sip.ParseUri(uri, &ru); err != nil {
		return nil, fmt.Errorf("%q: %w", uri, err)
	}
	req := sip.NewRequest(sip.INVITE, ru)
	tcp := strings.EqualFold(req.Transport(), "TCP")
	client := b.udp
	if tcp {
		client = b.tcp
	}
	if dest != "" {
		req.SetDestination(dest)
	}
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: fromUser, Host: b.cfg.FromHost}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: ru.User, Host: ru.Host}, Params: sip.NewParams()}
	callID := sip.CallIDHeader(fmt.Sprintf("op%d-%c-%s", c.id, "xca"[side%3], sip.GenerateTagN(12)))
	cseq := &sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE}
	maxfwd := sip.MaxForwardsHeader(70)
	contact := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "outpace", Host: b.addr.Addr().String(), Port: int(b.addr.Port())}}
	if tcp {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", "tcp")
	}
	ct := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(cseq)
	req.AppendHeader(&maxfwd)
	req.AppendHeader(contact)
	req.AppendHeader(&ct)
	if side == engine.SideCustomer {
		for name, value := range b.cfg.Headers {
			req.AppendHeader(sip.NewHeader(name, value))
		}
	}
	if side == engine.SideCustomer && b.cfg.AssertIdentity && fromUser != "" {
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<sip:"+fromUser+"@"+b.cfg.FromHost+">"))
	}
	req.SetBody(offerSDP(b.cfg.MediaIP, media.port, pt))
	l := &leg{c: c, side: side, client: client, req: req, media: media, callID: string(callID), dest: dest}
	b.mu.Lock()
	b.legs[l.callID] = l
	b.mu.Unlock()
	return l, nil
}

// invite sends the INVITE and returns its final response. When ctx ends
// before that, it sends CANCEL (after a provisional response, as RFC 3261
// 9.1 asks) and goes on waiting for the final response: a 487, or a 200 that
// crossed the CANCEL, which the caller must hang up. A 2xx is acknowledged
// here. onProv sees every provisional response.
func (l *leg) invite(ctx context.Context, onProv func(*sip.Response)) (*sip.Response, error) {
	b := l.c.b
	tx, err := l.client.TransactionRequest(b.life, l.req)
	if err != nil {
		return nil, err
	}
	l.tx = tx
	l.sent = time.Now()
	ringing := ctx.Done()
	var cancelled, provisional bool
	var giveUp <-chan time.Time
	auth := 0
	for {
		select {
		case r := <-tx.Responses():
			if r.IsProvisional() {
				provisional = true
				if onProv != nil {
					onProv(r)
				}
				if cancelled && giveUp == nil {
					giveUp = l.cancel()
				}
				continue
			}
			if (r.StatusCode == 401 || r.StatusCode == 407) && !cancelled && b.cfg.Password != "" && auth < 2 {
				auth++ // the challenged transaction ends by itself, acknowledging retransmissions
				tx, err = l.client.TransactionDigestAuth(b.life, l.req, r, sipgo.DigestAuth{Username: b.cfg.Username, Password: b.cfg.Password})
				if err != nil {
					return nil, err
				}
				l.tx = tx
				provisional = false
				continue
			}
			// A non-2xx final was acknowledged by the transaction, which
			// stays to acknowledge its retransmissions (RFC 3261 17.1.1.2).
			if r.IsSuccess() {
				l.res = r
				l.ack()
			}
			return r, nil
		case <-tx.Done():
			return nil, errors.Join(errNoFinal, tx.Err())
		case <-ringing:
			ringing = nil
			cancelled = true
			if provisional {
				giveUp = l.cancel()
			}
		case <-giveUp:
			tx.Terminate()
			return nil, errNoFinal
		}
	}
}

// cancel sends CANCEL for the INVITE and returns when to stop waiting for
// its final response (64·T1, RFC 3261 9.1).
func (l *leg) cancel() <-chan time.Time {
	inv := l.req
	req := sip.NewRequest(sip.CANCEL, inv.Recipient)
	req.AppendHeader(sip.HeaderClone(inv.Via()))
	req.AppendHeader(sip.HeaderClone(inv.From()))
	req.AppendHeader(sip.HeaderClone(inv.To()))
	req.AppendHeader(sip.HeaderClone(inv.CallID()))
	cseq := &sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL}
	req.AppendHeader(cseq)
	maxfwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxfwd)
	sip.CopyHeaders("Route", inv, req)
	req.SetTransport(inv.Transport())
	req.SetDestination(inv.Destination())
	req.Laddr = inv.Laddr
	b := l.c.b
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 64*sip.T1)
		defer cancel()
		_, _ = l.client.Do(ctx, req, func(*sipgo.Client, *sip.Request) error { return nil })
	}()
	return time.After(64 * sip.T1)
}

// inDialog builds a request of the established dialog (ACK or BYE), routed
// by the 2xx's Contact and Record-Route.
func (l *leg) inDialog(method sip.RequestMethod, seq uint32) *sip.Request {
	inv, res := l.req, l.res
	target := inv.Recipient
	if ct := res.Contact(); ct != nil {
		target = ct.Address
	}
	req := sip.NewRequest(method, *target.Clone())
	rr := res.GetHeaders("Record-Route")
	for i := len(rr) - 1; i >= 0; i-- {
		req.AppendHeader(sip.NewHeader("Route", rr[i].Value()))
	}
	maxfwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxfwd)
	req.AppendHeader(sip.HeaderClone(inv.From()))
	req.AppendHeader(sip.HeaderClone(res.To()))
	req.AppendHeader(sip.HeaderClone(inv.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	req.AppendHeader(sip.HeaderClone(inv.Contact()))
	req.SetTransport(inv.Transport())
	if l.dest != "" && len(rr) == 0 {
		req.SetDestination(l.dest) // a registered phone: where it registered from
	}
	return req
}

// ack acknowledges the 2xx, and again each time it is retransmitted.
func (l *leg) ack() {
	ack := l.inDialog(sip.ACK, l.req.CSeq().SeqNo)
	tmpl := ack.Clone()
	l.tx.OnRetransmission(func(r *sip.Response) {
		if r.IsSuccess() {
			_ = l.client.WriteRequest(tmpl.Clone())
		}
	})
	if err := l.client.WriteRequest(ack); err != nil {
		l.c.b.log.Warn("sip: ACK failed", "call", l.c.id, "err", err)
	}
	l.up.Store(true)
}

// bye ends an answered leg from our side; a leg that never answered is only
// released.
func (l *leg) bye() {
	if l == nil || !l.ended.CompareAndSwap(false, true) {
		return
	}
	defer l.cleanup()
	if !l.up.Load() {
		return
	}
	req := l.inDialog(sip.BYE, l.req.CSeq().SeqNo+1)
	ctx, cancel := context.WithTimeout(context.Background(), 64*sip.T1)
	defer cancel()
	if _, err := l.client.Do(ctx, req); err != nil {
		l.c.b.log.Debug("sip: BYE failed", "call", l.c.id, "err", err)
	}
}

// end releases a leg that is over without a BYE from us.
func (l *leg) end() {
	if l != nil && l.ended.CompareAndSwap(false, true) {
		l.cleanup()
	}
}

// cleanup releases the leg's media and forgets it; its INVITE transaction
// ends by its own timers.
func (l *leg) cleanup() {
	l.media.close()
	b := l.c.b
	b.mu.Lock()
	delete(b.legs, l.callID)
	b.mu.Unlock()
}
