package api

import (
	"time"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/store"
)

// eventService implements EventService.
type eventService struct {
	pb.UnimplementedEventServiceServer
	s *Server
}

// Subscribers' tuning.
const (
	// logPage is how many events a catch-up reads from the log at a time.
	logPage = 1000
	// pollEvery is how often a server without an engine looks for new
	// events in the log.
	pollEvery = time.Second
)

// eventFilter selects the events a subscriber asked for.
type eventFilter struct {
	tasks  map[uint64]bool
	agents map[uint32]bool
	kinds  map[pb.EventKind]bool
}

func newFilter(req *pb.SubscribeRequest) *eventFilter {
	f := &eventFilter{}
	if len(req.GetTaskIds()) > 0 {
		f.tasks = map[uint64]bool{}
		for _, t := range req.GetTaskIds() {
			f.tasks[t] = true
		}
	}
	if len(req.GetAgentIds()) > 0 {
		f.agents = map[uint32]bool{}
		for _, a := range req.GetAgentIds() {
			f.agents[a] = true
		}
	}
	if len(req.GetKinds()) > 0 {
		f.kinds = map[pb.EventKind]bool{}
		for _, k := range req.GetKinds() {
			f.kinds[k] = true
		}
	}
	return f
}

func (f *eventFilter) match(ev *records.CTIEvent) bool {
	return (f.tasks == nil || f.tasks[uint64(ev.Task)]) &&
		(f.agents == nil || f.agents[uint32(ev.Agent)]) &&
		(f.kinds == nil || f.kinds[eventKind(ev.Name)])
}

// matchDecision reports whether a subscriber asked for pacing decisions of
// d's task. Decisions come only to a subscriber that names their kind (they
// are many), and concern no agent: one that names agents gets none.
func (f *eventFilter) matchDecision(d *records.Decision) bool {
	return f.kinds[pb.EventKind_EVENT_KIND_PACING] && f.agents == nil &&
		(f.tasks == nil || f.tasks[uint64(d.Task)])
}

// matchTask reports whether a subscriber asked for status changes of
// task. Like decisions, they come only to a subscriber that names their
// kind, and concern no agent.
func (f *eventFilter) matchTask(task records.TaskID) bool {
	return f.kinds[pb.EventKind_EVENT_KIND_TASK] && f.agents == nil &&
		(f.tasks == nil || f.tasks[uint64(task)])
}

func eventKind(n records.CTIName) pb.EventKind {
	switch {
	case n >= records.EventDialing && n <= records.EventReleased:
		return pb.EventKind_EVENT_KIND_PARTY
	case n == records.EventCallCreated || n == records.EventCallDeleted:
		return pb.EventKind_EVENT_KIND_CALL
	case n >= records.EventAgentLogin && n <= records.EventDelayAfterCallWork:
		return pb.EventKind_EVENT_KIND_AGENT
	}
	return pb.EventKind_EVENT_KIND_ERROR
}

func pbEvent(seq uint64, ev *records.CTIEvent) *pb.Event {
	c := &pb.CtiEvent{Name: pb.CtiName(ev.Name), TaskId: uint64(ev.Task), CallId: uint64(ev.Call), AgentId: uint32(ev.Agent),
		Role: pb.PartyRole(ev.Role), ThisDn: ev.ThisDN, OtherDn: ev.OtherDN, Reason: int32(ev.Reason), Code: int32(ev.Code)}
	if ev.Record != nil {
		c.Record = pbRecord(ev.Record)
	}
	return &pb.Event{Seq: seq, Time: ts(ev.At), Body: &pb.Event_Cti{Cti: c}}
}

// pbDecision converts a pacing decision; seq is the number of the last
// logged event before it, since decisions are not logged themselves.
func pbDecision(seq uint64, d *records.Decision) *pb.Event {
	p := &pb.PacingDecision{TaskId: uint64(d.Task), Level: d.Level, Placed: int32(d.Placed), Wanted: int32(d.Wanted),
		AgentsLoggedIn: int32(d.LoggedIn), AgentsIdle: int32(d.Idle), AgentsBusy: int32(d.Busy),
		CallsRinging: int32(d.Ringing), CallsWaiting: int32(d.Waiting),
		AbandonRate: d.AbandonRate, AbandonRateWindow: d.WindowAbandonRate, AbandonTarget: d.AbandonTarget}
	if e := &d.Estimates; e.Known {
		fallback := 0.0
		if e.Fallback {
			fallback = 1
		}
		p.Estimates = map[string]float64{"answer_rate": e.AnswerRate, "live_rate": e.LiveRate,
			"expected_free_agents": e.FreeSoon, "expected_abandons": e.ExpectedAbandons, "risk": e.Risk, "fallback": fallback}
	}
	return &pb.Event{Seq: seq, Time: ts(d.At), Body: &pb.Event_Pacing{Pacing: p}}
}

// pbTaskChange converts a task status change; seq is the number of the
// last logged event before it, since status changes are not logged as
// events.
func pbTaskChange(seq uint64, t *records.TaskUpdate) *pb.Event {
	return &pb.Event{Seq: seq, Time: ts(t.At), Body: &pb.Event_Task{Task: &pb.TaskStatusChange{
		TaskId: uint64(t.Task), Status: pb.TaskStatus(t.Status), Exhausted: t.Exhausted}}}
}

// Subscribe sends the tenant's events from the log from req.from_seq on,
// then live ones as the runner publishes them, with the task status
// changes and pacing decisions of each batch after its events (decisions are live only: one missed is
// replaced by the next). The runner never waits for
// a subscriber: one that falls behind is dropped, and this handler goes
// back to the log from the next number it owes the client, so the client
// loses nothing and the dialer is never slowed. With an engine, the
// response headers are sent once the handler follows the runner, so a
// client that waits for them (Header) sees every live-only change made
// after.
func (h *eventService) Subscribe(req *pb.SubscribeRequest, stream pb.EventService_SubscribeServer) error {
	ctx := stream.Context()
	tenant := TenantFrom(ctx)
	st := h.s.cfg.Store
	f := newFilter(req)
	eng := h.s.cfg.Engine

	next := req.GetFromSeq()
	if next == 0 {
		last, err := st.LastSeq(tenant)
		if err != nil {
			return err
		}
		next = last + 1
	}
	var buf []store.Event
	headed := false
	// catchUp sends what the log holds from next on.
	catchUp := func() error {
		for {
			var err error
			buf, err = st.ReadEvents(tenant, next, logPage, buf)
			if err != nil {
				return err
			}
			for i := range buf {
				if f.match(&buf[i].CTIEvent) {
					if err := stream.Send(&pb.SubscribeResponse{Event: pbEvent(buf[i].Seq, &buf[i].CTIEvent)}); err != nil {
						return err
					}
				}
				next = buf[i].Seq + 1
			}
			if len(buf) < logPage {
				return nil
			}
		}
	}
	for {
		var live <-chan runner.Published
		cancel := func() {}
		if eng != nil {
			// Subscribe before reading the log, so that nothing published in
			// between is missed.
			live, cancel = eng.Subscribe(h.s.cfg.EventBuffer)
			if !headed {
				// The headers tell the client that it follows the runner
				// now: nothing done after they arrive is missed.
				headed = true
				if err := stream.SendHeader(nil); err != nil {
					cancel()
					return err
				}
			}
		}
		if err := catchUp(); err != nil {
			cancel()
			return err
		}
		if live == nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pollEvery):
			}
			continue
		}
		err := h.follow(stream, live, tenant, f, &next)
		cancel()
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// follow sends live events until the subscription ends (the runner dropped
// it), a number is missing (go back to the log), or the client leaves.
func (h *eventService) follow(stream pb.EventService_SubscribeServer, live <-chan runner.Published, tenant string, f *eventFilter, next *uint64) error {
	ctx := stream.Context()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case p, ok := <-live:
			if !ok {
				return nil
			}
			for i := range p.Events {
				ev := &p.Events[i]
				if ev.Tenant != tenant || i >= len(p.Seqs) {
					continue
				}
				seq := p.Seqs[i]
				switch {
				case seq < *next:
					continue
				case seq > *next:
					return nil // appended outside the runner, or missed: read the log
				}
				if f.match(ev) {
					if err := stream.Send(&pb.SubscribeResponse{Event: pbEvent(seq, ev)}); err != nil {
						return err
					}
				}
				*next = seq + 1
			}
			for i := range p.Tasks {
				t := &p.Tasks[i]
				if !f.matchTask(t.Task) {
					continue
				}
				// A task update names no tenant: the task is the
				// subscriber's if its tenant's store holds it.
				if _, err := h.s.cfg.Store.GetTask(tenant, t.Task); err != nil {
					continue
				}
				if err := stream.Send(&pb.SubscribeResponse{Event: pbTaskChange(*next-1, t)}); err != nil {
					return err
				}
			}
			for i := range p.Decisions {
				d := &p.Decisions[i]
				if d.Tenant != tenant || !f.matchDecision(d) {
					continue
				}
				if err := stream.Send(&pb.SubscribeResponse{Event: pbDecision(*next-1, d)}); err != nil {
					return err
				}
			}
		}
	}
}
