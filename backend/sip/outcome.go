package sip

import "github.com/outpace-dev/outpace/records"

// Hangup causes of the call record (seed-003 hangupcause).
const (
	CauseNormal      = 10001 // hang up normally
	CauseCancel      = 10002 // call cancel: we ended a ringing call on command
	CauseRefused     = 10003 // refuse to answer (603 Decline)
	CauseLineFailure = 10004 // outbound channel line failure: invalid number, trunk error, no response
	CauseTimeout     = 10005 // user timed out: rang until the ring timeout, 408, 480
	CauseBusy        = 10006 // user is busy (486, 600)
	CauseCaller      = 10040 // caller hung up: our side (the agent or the system)
	CauseCalled      = 10041 // called hung up: the customer
)

// failure maps the final non-2xx status of a customer INVITE to an outcome
// and a hangup cause; the engine derives the early-detect cause from the
// outcome (busy 109, no answer 115, invalid 104). timedOut says that we had
// sent CANCEL at the ring timeout, so that a 487 means no answer.
func failure(status int, timedOut bool) (records.Outcome, int) {
	switch {
	case status == 486 || status == 600:
		return records.OutcomeBusy, CauseBusy
	case status == 603:
		return records.OutcomeBusy, CauseRefused
	case status == 480 || status == 408:
		return records.OutcomeNoAnswer, CauseTimeout
	case status == 487 && timedOut:
		return records.OutcomeNoAnswer, CauseTimeout
	case status == 487:
		return records.OutcomeNoAnswer, CauseCancel
	case status == 404 || status == 484 || status == 604 || status == 410 || status == 485:
		return records.OutcomeInvalid, CauseLineFailure
	}
	return records.OutcomeInvalid, CauseLineFailure // other 4xx, 5xx, 6xx, an unanswered challenge
}
