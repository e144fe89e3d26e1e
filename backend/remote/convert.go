package remote

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/outpace-dev/outpace/engine"
	bpb "github.com/outpace-dev/outpace/proto/outpace/backend/v1"
	"github.com/outpace-dev/outpace/records"
)

// toCommand is the protocol's form of a backend command (seq unset).
func toCommand(c *engine.Command) *bpb.Command {
	m := &bpb.Command{CallId: uint64(c.Call)}
	switch c.Kind {
	case engine.CmdOriginate:
		m.Action = &bpb.Command_Originate{Originate: &bpb.Originate{
			TaskId: uint64(c.Task), NumberId: uint64(c.Number), Phone: c.Phone, CallerId: c.CallerID,
			RingTimeout: durationpb.New(c.Timeout),
		}}
	case engine.CmdConnect:
		m.Action = &bpb.Command_Connect{Connect: &bpb.Connect{AgentId: uint32(c.Agent), AgentPhone: c.Phone}}
	case engine.CmdPlayHangup:
		m.Action = &bpb.Command_PlayAndHangup{PlayAndHangup: &bpb.PlayAndHangup{Message: c.Message}}
	default:
		m.Action = &bpb.Command_Hangup{Hangup: &bpb.Hangup{}}
	}
	return m
}

// fromCommand is the engine's form of a command a backend received; ok is
// false for a command with no action.
func fromCommand(m *bpb.Command, now time.Time) (engine.Command, bool) {
	c := engine.Command{At: now, Call: records.CallID(m.GetCallId())}
	switch a := m.GetAction().(type) {
	case *bpb.Command_Originate:
		o := a.Originate
		c.Kind = engine.CmdOriginate
		c.Task, c.Number = records.TaskID(o.GetTaskId()), records.NumberID(o.GetNumberId())
		c.Phone, c.CallerID = o.GetPhone(), o.GetCallerId()
		c.Timeout = o.GetRingTimeout().AsDuration()
	case *bpb.Command_Connect:
		c.Kind = engine.CmdConnect
		c.Agent, c.Phone = records.AgentID(a.Connect.GetAgentId()), a.Connect.GetAgentPhone()
	case *bpb.Command_PlayAndHangup:
		c.Kind = engine.CmdPlayHangup
		c.Message = a.PlayAndHangup.GetMessage()
	case *bpb.Command_Hangup:
		c.Kind = engine.CmdHangup
	default:
		return c, false
	}
	return c, true
}

var failureOutcome = map[bpb.FailureKind]records.Outcome{
	bpb.FailureKind_FAILURE_KIND_NO_ANSWER: records.OutcomeNoAnswer,
	bpb.FailureKind_FAILURE_KIND_BUSY:      records.OutcomeBusy,
	bpb.FailureKind_FAILURE_KIND_INVALID:   records.OutcomeInvalid,
}

var sideOf = map[bpb.HangupSide]engine.Side{
	bpb.HangupSide_HANGUP_SIDE_CUSTOMER: engine.SideCustomer,
	bpb.HangupSide_HANGUP_SIDE_AGENT:    engine.SideAgent,
	bpb.HangupSide_HANGUP_SIDE_SYSTEM:   engine.SideSystem,
}

// toEvent is the engine's form of a call event; ok is false for the ones
// the engine has no input for (dialing, agent ringing). At is left zero:
// the runner steps the event at the time it takes it.
func toEvent(e *bpb.CallEvent) (engine.Event, bool) {
	ev := engine.Event{Call: records.CallID(e.GetCallId())}
	switch k := e.GetKind().(type) {
	case *bpb.CallEvent_Ringing:
		ev.Kind = engine.EvProgress
	case *bpb.CallEvent_Answered:
		ev.Kind, ev.Outcome = engine.EvAnswered, records.OutcomeLive
		if k.Answered.GetKind() == bpb.AnswerKind_ANSWER_KIND_MACHINE {
			ev.Outcome = records.OutcomeMachine
		}
	case *bpb.CallEvent_Failed:
		ev.Kind, ev.Cause, ev.EarlyCause = engine.EvFailed, int(k.Failed.GetHangupCause()), int(k.Failed.GetEarlyCause())
		ev.Outcome = failureOutcome[k.Failed.GetKind()]
		if ev.Outcome == records.OutcomeNone {
			ev.Outcome = records.OutcomeInvalid
		}
	case *bpb.CallEvent_HungUp:
		ev.Kind, ev.Cause = engine.EvHangup, int(k.HungUp.GetHangupCause())
		ev.Side = sideOf[k.HungUp.GetSide()]
		if ev.Side == 0 {
			ev.Side = engine.SideSystem
		}
	case *bpb.CallEvent_AgentAnswered:
		ev.Kind = engine.EvAgentAnswered
	case *bpb.CallEvent_AgentFailed:
		ev.Kind = engine.EvAgentFailed
	case *bpb.CallEvent_Held:
		ev.Kind = engine.EvHold
	case *bpb.CallEvent_Retrieved:
		ev.Kind = engine.EvRetrieve
	default:
		return ev, false
	}
	return ev, true
}

// toAgentEvent is the engine's form of an agent request.
func toAgentEvent(r *bpb.AgentRequest) (engine.Event, bool) {
	ev := engine.Event{Agent: records.AgentID(r.GetAgentId()), Reason: int(r.GetReason())}
	switch r.GetAction() {
	case bpb.AgentAction_AGENT_ACTION_LOGIN:
		ev.Kind = engine.EvAgentLogin
	case bpb.AgentAction_AGENT_ACTION_READY:
		ev.Kind, ev.Reason = engine.EvAgentReady, 0
	case bpb.AgentAction_AGENT_ACTION_NOT_READY:
		ev.Kind = engine.EvAgentNotReady
	case bpb.AgentAction_AGENT_ACTION_LOGOUT:
		ev.Kind, ev.Reason = engine.EvAgentLogout, 0
	default:
		return ev, false
	}
	return ev, true
}

// fromEvent is the protocol's form of a backend's event: a CallEvent or an
// AgentRequest (seq unset); nil for an event a backend does not send.
func fromEvent(ev *engine.Event) *bpb.AttachRequest {
	at := timestamppb.New(ev.At)
	if ev.At.IsZero() {
		at = nil
	}
	var agent bpb.AgentAction
	switch ev.Kind {
	case engine.EvAgentLogin:
		agent = bpb.AgentAction_AGENT_ACTION_LOGIN
	case engine.EvAgentReady:
		agent = bpb.AgentAction_AGENT_ACTION_READY
	case engine.EvAgentNotReady:
		agent = bpb.AgentAction_AGENT_ACTION_NOT_READY
	case engine.EvAgentLogout:
		agent = bpb.AgentAction_AGENT_ACTION_LOGOUT
	}
	if agent != bpb.AgentAction_AGENT_ACTION_UNSPECIFIED {
		return &bpb.AttachRequest{Message: &bpb.AttachRequest_AgentRequest{AgentRequest: &bpb.AgentRequest{
			AgentId: uint32(ev.Agent), Time: at, Action: agent, Reason: int32(ev.Reason)}}}
	}
	e := &bpb.CallEvent{CallId: uint64(ev.Call), Time: at}
	switch ev.Kind {
	case engine.EvProgress:
		e.Kind = &bpb.CallEvent_Ringing{Ringing: &bpb.CallRinging{}}
	case engine.EvAnswered:
		k := bpb.AnswerKind_ANSWER_KIND_LIVE
		if ev.Outcome == records.OutcomeMachine {
			k = bpb.AnswerKind_ANSWER_KIND_MACHINE
		}
		e.Kind = &bpb.CallEvent_Answered{Answered: &bpb.CallAnswered{Kind: k}}
	case engine.EvFailed:
		k := bpb.FailureKind_FAILURE_KIND_INVALID
		switch ev.Outcome {
		case records.OutcomeNoAnswer:
			k = bpb.FailureKind_FAILURE_KIND_NO_ANSWER
		case records.OutcomeBusy:
			k = bpb.FailureKind_FAILURE_KIND_BUSY
		}
		e.Kind = &bpb.CallEvent_Failed{Failed: &bpb.CallFailed{Kind: k, HangupCause: int32(ev.Cause), EarlyCause: int32(ev.EarlyCause)}}
	case engine.EvHangup:
		side := bpb.HangupSide_HANGUP_SIDE_SYSTEM
		switch ev.Side {
		case engine.SideCustomer:
			side = bpb.HangupSide_HANGUP_SIDE_CUSTOMER
		case engine.SideAgent:
			side = bpb.HangupSide_HANGUP_SIDE_AGENT
		}
		e.Kind = &bpb.CallEvent_HungUp{HungUp: &bpb.CallHungUp{Side: side, HangupCause: int32(ev.Cause)}}
	case engine.EvAgentAnswered:
		e.Kind = &bpb.CallEvent_AgentAnswered{AgentAnswered: &bpb.AgentAnswered{AgentId: uint32(ev.Agent)}}
	case engine.EvAgentFailed:
		e.Kind = &bpb.CallEvent_AgentFailed{AgentFailed: &bpb.AgentFailed{AgentId: uint32(ev.Agent)}}
	case engine.EvHold:
		e.Kind = &bpb.CallEvent_Held{Held: &bpb.CallHeld{}}
	case engine.EvRetrieve:
		e.Kind = &bpb.CallEvent_Retrieved{Retrieved: &bpb.CallRetrieved{}}
	default:
		return nil
	}
	return &bpb.AttachRequest{Message: &bpb.AttachRequest_Event{Event: e}}
}

// setSeq numbers a message of fromEvent.
func setSeq(m *bpb.AttachRequest, seq uint64) {
	switch x := m.GetMessage().(type) {
	case *bpb.AttachRequest_Event:
		x.Event.Seq = seq
	case *bpb.AttachRequest_AgentRequest:
		x.AgentRequest.Seq = seq
	}
}
