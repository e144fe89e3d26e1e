package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// EventFilter selects events; empty fields select all.
type EventFilter struct {
	Tasks  []uint64
	Agents []uint32
	// Kinds are names of EventKinds.
	Kinds []string
	// From is the first sequence number to send; 0 = from now on.
	From uint64
}

// EventKinds returns the kinds an EventFilter takes, sorted.
func EventKinds() []string { return EnumNames(pb.EventKind(0).Descriptor()) }

// Request builds the subscription; a bad kind names its flag.
func (f EventFilter) Request() (*pb.SubscribeRequest, error) {
	req := &pb.SubscribeRequest{FromSeq: f.From, TaskIds: f.Tasks, AgentIds: f.Agents}
	for _, k := range f.Kinds {
		v, err := ParseEnum(pb.EventKind(0).Descriptor(), "--kind", k)
		if err != nil {
			return nil, err
		}
		req.Kinds = append(req.Kinds, pb.EventKind(v))
	}
	return req, nil
}

// retryable says whether a broken stream is worth subscribing again: the
// server went away or restarted, not a refusal.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.Internal, codes.Unknown, codes.Aborted, codes.ResourceExhausted:
		return true
	}
	return errors.Is(err, io.EOF)
}

// Follow streams the events req selects to onEvent until ctx is done or
// onEvent fails. When the stream breaks it subscribes again from the
// sequence number after the last event it saw, so nothing the server
// keeps is lost; onBreak (optional) hears of each break and of each
// reconnection (nil error). A refusal (bad filter, bad token) ends Follow
// with its error; ctx's end ends it with nil.
func (a *App) Follow(ctx context.Context, req *pb.SubscribeRequest, onEvent func(*pb.Event) error, onBreak func(error)) error {
	backoff := 200 * time.Millisecond
	broken := false
	for {
		stream, err := a.EventService.Subscribe(ctx, req)
		if err == nil {
			for {
				var m *pb.SubscribeResponse
				m, err = stream.Recv()
				if err != nil {
					break
				}
				if broken {
					broken = false
					backoff = 200 * time.Millisecond
					if onBreak != nil {
						onBreak(nil)
					}
				}
				ev := m.GetEvent()
				req.FromSeq = ev.GetSeq() + 1
				if err := onEvent(ev); err != nil {
					return err
				}
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		if !retryable(err) {
			return a.apiError(err)
		}
		broken = true
		if onBreak != nil {
			onBreak(a.apiError(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// EventsOptions say how Events prints.
type EventsOptions struct {
	EventFilter
	// Limit stops after this many events (0 = follow until interrupted).
	Limit int
}

// errLimit stops Follow after EventsOptions.Limit events.
var errLimit = errors.New("limit reached")

// Events prints the stream, one line per event (one JSON object per line
// with --json), following it across reconnections until ctx is done.
func (a *App) Events(ctx context.Context, o EventsOptions) error {
	req, err := o.Request()
	if err != nil {
		return err
	}
	n := 0
	err = a.Follow(ctx, req, func(ev *pb.Event) error {
		var err error
		if a.Opts.JSON {
			err = a.showLine(ev)
		} else {
			_, err = fmt.Fprintln(a.Out, EventLine(ev))
		}
		if err != nil {
			return err
		}
		n++
		if o.Limit > 0 && n >= o.Limit {
			return errLimit
		}
		return nil
	}, func(err error) {
		if err != nil {
			fmt.Fprintf(a.Err, "event stream broken (%v); resuming from %d\n", firstLine(err), req.GetFromSeq())
		} else {
			fmt.Fprintln(a.Err, "event stream resumed")
		}
	})
	if errors.Is(err, errLimit) {
		return nil
	}
	return err
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// EventLine is one event as a line of text: its sequence number, time,
// task, call or agent, and what happened.
func EventLine(ev *pb.Event) string {
	var b strings.Builder
	t := "-"
	if ev.GetTime() != nil {
		t = ev.GetTime().AsTime().Local().Format("15:04:05.000")
	}
	fmt.Fprintf(&b, "%8d %s ", ev.GetSeq(), t)
	switch body := ev.GetBody().(type) {
	case *pb.Event_Cti:
		c := body.Cti
		if c.GetTaskId() != 0 {
			fmt.Fprintf(&b, "task %d ", c.GetTaskId())
		}
		if c.GetCallId() != 0 {
			fmt.Fprintf(&b, "call %d ", c.GetCallId())
		}
		if c.GetAgentId() != 0 {
			fmt.Fprintf(&b, "agent %d ", c.GetAgentId())
		}
		b.WriteString(strings.ToUpper(EnumName(c.GetName())))
		if c.GetRole() != 0 {
			fmt.Fprintf(&b, " %s", EnumName(c.GetRole()))
		}
		if c.GetThisDn() != "" {
			fmt.Fprintf(&b, " this=%s", c.GetThisDn())
		}
		if c.GetOtherDn() != "" {
			fmt.Fprintf(&b, " other=%s", c.GetOtherDn())
		}
		if c.GetReason() != 0 {
			fmt.Fprintf(&b, " reason=%d", c.GetReason())
		}
		if c.GetCode() != 0 {
			fmt.Fprintf(&b, " code=%d", c.GetCode())
		}
		if r := c.GetRecord(); r != nil {
			fmt.Fprintf(&b, " outcome=%s result=%d talk=%ds", EnumName(r.GetOutcome()), r.GetResult(), r.GetTalkSeconds())
		}
	case *pb.Event_Pacing:
		p := body.Pacing
		fmt.Fprintf(&b, "task %d PACING level=%.2f placed=%d/%d agents=%d (idle %d, busy %d) ringing=%d waiting=%d abandon=%s window=%s target=%s",
			p.GetTaskId(), p.GetLevel(), p.GetPlaced(), p.GetWanted(), p.GetAgentsLoggedIn(), p.GetAgentsIdle(), p.GetAgentsBusy(),
			p.GetCallsRinging(), p.GetCallsWaiting(), pct(p.GetAbandonRate()), pct(p.GetAbandonRateWindow()), pct(p.GetAbandonTarget()))
		if len(p.GetEstimates()) > 0 {
			keys := make([]string, 0, len(p.GetEstimates()))
			for k := range p.GetEstimates() {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, " %s=%.3g", k, p.GetEstimates()[k])
			}
		}
	case *pb.Event_Task:
		c := body.Task
		fmt.Fprintf(&b, "task %d STATUS %s", c.GetTaskId(), EnumName(c.GetStatus()))
		if c.GetExhausted() {
			b.WriteString(" no number left to dial now")
		}
	default:
		b.WriteString("?")
	}
	return strings.TrimRight(b.String(), " ")
}
