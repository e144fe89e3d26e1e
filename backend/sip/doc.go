// Package sip is a telephony backend that places the engine's calls over SIP:
// a user agent (on github.com/emiago/sipgo) that dials customers through a
// carrier trunk, rings agent phones, bridges the two and plays recordings.
// It sees only the engine's commands and answers only with the events a
// carrier and phones produce, as the runner's Backend contract asks.
//
// # Use
//
// New binds the sockets; the runner calls Run and Send:
//
//	b, err := sip.New(sip.Config{
//		Trunk:          "sip:{number}@203.0.113.5:5060",
//		Listen:         "192.0.2.10:5060",
//		Lines:          100,
//		CallsPerSecond: 20,
//		Agents:         map[string]string{"1001": "sip:1001@192.0.2.30"},
//		Messages:       map[string]string{"safe-harbor": "/etc/outpace/safe-harbor.wav"},
//	})
//	if err != nil { ... }
//	r := runner.New(runner.Config{Store: st, Backend: b})
//	err = r.Run(ctx)
//
// # Call flow
//
// CmdOriginate queues the call; a dispatcher takes it when the trunk has a
// free line (Config.Lines) and spaces INVITEs by 1/Config.CallsPerSecond,
// the limits Capacity announces to the runner. The customer INVITE goes to
// Config.Trunk with {number} replaced by the called number, From the task's
// caller ID (and P-Asserted-Identity with Config.AssertIdentity), the
// headers of Config.Headers, and an SDP offer of G.711 (PCMU, PCMA) on an
// RTP port of its own. Then:
//
//   - 100 is ignored; the first 180 or 183 is EvProgress (a call answered
//     at once may have none: the engine needs none).
//   - 401 or 407 is answered with Config.Username and Password (the digest
//     of RFC 2617), twice at most (a stale nonce is challenged again);
//     a third challenge fails the call.
//   - 200 is acknowledged at once and reported as EvAnswered: OutcomeMachine
//     when Config.MachineHeader carries one of Config.MachineValues, else
//     OutcomeLive.
//   - Any other final status is EvFailed with the outcome and cause of the
//     table below.
//   - At the ring timeout (the command's Timeout, else Config.RingTimeout)
//     we send CANCEL, after a provisional response as RFC 3261 9.1 asks, and
//     wait for the final response: a 487 is EvFailed no answer; a 200 that
//     crossed the CANCEL is acknowledged and hung up with BYE, and the call
//     is still a no answer.
//
// CmdConnect rings the agent's phone: a "sip:" URI as given, the URI that
// Config.Agents names, or the Contact a phone registered with REGISTER
// (Config.Registrar), sent where the REGISTER came from. Its 200 bridges the
// legs (EvAgentAnswered); a rejection, a failure or Config.AgentRingTimeout
// without answer is EvAgentFailed, and the customer stays on the line for
// the engine's next offer or its safe-harbor message.
//
// CmdPlayHangup plays the named message of Config.Messages to the customer
// and hangs up; the engine has closed the call, so nothing more is
// reported. CmdHangup ends every leg (CANCEL while ringing, BYE once
// answered) and reports EvHangup from the system side. A BYE from either
// leg hangs up the other and is reported as EvHangup from that side. A
// re-INVITE or UPDATE from either leg is answered (the leg's media may
// move); one that holds the call (a=sendonly, a=inactive, address 0.0.0.0)
// or resumes it while the legs are bridged is EvHold or EvRetrieve: for the
// engine the customer is on hold, whichever phone pressed the key.
//
// Every call reports at most one ending (EvFailed or EvHangup) and nothing
// after it; a command repeated for a call id is harmless (an originate is
// never dialled twice); a command for a call the backend no longer holds is
// ignored. Events reach emit from one goroutine, in the order each call
// went through them.
//
// # Media: how the legs are bridged
//
// The backend is a back-to-back user agent for media too: each leg has its
// own RTP socket on Config.MediaIP (its port from Config.RTPPortMin to
// RTPPortMax when set). The agent's INVITE offers only the codec the
// customer chose, so the two legs speak the same G.711 law and bridging
// needs no transcoding: a relay reads each socket and sends every packet on,
// unchanged, from the other leg's socket to the address the other leg's SDP
// announced (with Config.SymmetricRTP, to where that leg's own RTP comes
// from, for peers behind NAT). Packets that arrive before the bridge, or
// while a message plays, are dropped. Messages are WAV files (8 kHz mono,
// 16-bit PCM or G.711) loaded once by New and sent as 20 ms RTP packets in
// the customer's law.
//
// # Outcomes and causes
//
// Hangup causes are the seed's call-record codes (10001–10041); a failed
// call's EvFailed also carries its early-detect cause (seed-002 codes, the
// Early constants), which the engine records instead of the one it would
// derive from the outcome alone.
//
//	SIP final response                  outcome     hangup cause             early-detect
//	486 Busy Here, 600 Busy Everywhere  busy        10006 user is busy       109 busy
//	603 Decline                         busy        10003 refuse to answer   109 busy
//	480 Temporarily Unavailable         no answer   10005 user timed out     105 powered off
//	408                                 no answer   10005 user timed out     115 no answer
//	ring timeout, then 487 (or a 200)   no answer   10005 user timed out     115 no answer
//	487 without our CANCEL              no answer   10002 call cancel        115 no answer
//	410 Gone                            invalid     10004 line failure       103 out of service
//	404, 484, 485, 604                  invalid     10004 line failure       104 not exist
//	other 4xx, 5xx, 6xx; no response    invalid     10004 line failure       119 line fault
//	CmdHangup while ringing             (EvHangup)  10002 call cancel
//	customer's BYE                      (EvHangup)  10041 called hung up
//	agent's BYE, CmdHangup when up      (EvHangup)  10040 caller hung up
//
// UDP and TCP are both served on Config.Listen; a trunk URI with
// ";transport=tcp" places its calls over TCP. UDP requests leave from the
// listening socket, so that responses and in-dialog requests come back to
// it.
package sip
