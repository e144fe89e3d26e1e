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

// Early-detect causes of a failed call (seed-002 earlyDetectCause), which
// EvFailed carries.
const (
	EarlyOutOfService = 103 // the number is no longer in service (410 Gone)
	EarlyNotExist     = 104 // no such number (404, 484, 485, 604)
	EarlyPoweredOff   = 105 // the phone is off or unreachable (480)
	EarlyBusy         = 109 // busy (486, 600, 603)
	EarlyNoAnswer     = 115 // rang without answer (408, 487, the ring timeout)
	EarlyLineFault    = 119 // the trunk failed: other 4xx, 5xx, 6xx, no response
)

// failure maps the final non-2xx status of a customer INVITE to an outcome,
// a hangup cause and an early-detect cause. timedOut says that we had sent
// CANCEL at the ring timeout, so that a 487 means no answer.
func failure(status int, timedOut bool) (out records.Outcome, cause, early int) {
	switch {
	case status == 486 || status == 600:
		return records.OutcomeBusy, CauseBusy, EarlyBusy
	case status == 603:
		return records.OutcomeBusy, CauseRefused, EarlyBusy
	case status == 480:
		return records.OutcomeNoAnswer, CauseTimeout, EarlyPoweredOff
	case status == 408:
		return records.OutcomeNoAnswer, CauseTimeout, EarlyNoAnswer
	case status == 487 && timedOut:
		return records.OutcomeNoAnswer, CauseTimeout, EarlyNoAnswer
	case status == 487:
		return records.OutcomeNoAnswer, CauseCancel, EarlyNoAnswer
	case status == 410:
		return records.OutcomeInvalid, CauseLineFailure, EarlyOutOfService
	case status == 404 || status == 484 || status == 604 || status == 485:
		return records.OutcomeInvalid, CauseLineFailure, EarlyNotExist
	}
	return records.OutcomeInvalid, CauseLineFailure, EarlyLineFault // other 4xx, 5xx, 6xx, an unanswered challenge
}
