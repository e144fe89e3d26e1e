package sip

import (
	"testing"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
)

// A customer who answers after ringing: progress, a live answer; our BYE at
// CmdHangup ends it and is reported as the system's hangup.
func TestCustomerAnswers(t *testing.T) {
	needSIPp(t)
	for _, tcp := range []bool{false, true} {
		name := "udp"
		if tcp {
			name = "tcp"
		}
		t.Run(name, func(t *testing.T) {
			peer := startSIPp(t, "answer.xml", tcp, "-m", "1")
			r := newRig(t, Config{Trunk: peer.uri(tcp)})
			r.originate(1, "15551230001", 5*time.Second)
			evs := r.await(t, 1, 2, 5*time.Second)
			expect(t, evs, engine.EvProgress, engine.EvAnswered)
			if evs[1].Outcome != records.OutcomeLive {
				t.Fatalf("answered %v, want live", evs[1].Outcome)
			}
			r.send(engine.Command{Kind: engine.CmdHangup, Call: 1})
			evs = r.await(t, 1, 3, 5*time.Second)
			if evs[2].Kind != engine.EvHangup || evs[2].Side != engine.SideSystem {
				t.Fatalf("after CmdHangup: %s", kinds(evs))
			}
			peer.wait(t, 5*time.Second)
			r.quiet(t, 1, 3, 50*time.Millisecond)
		})
	}
}

// The carrier's answering-machine header turns the answer into a machine.
func TestCustomerMachineHeader(t *testing.T) {
	needSIPp(t)
	peer := startSIPp(t, "answer.xml", false, "-m", "1", "-key", "amd", "MACHINE")
	r := newRig(t, Config{Trunk: peer.uri(false), MachineHeader: "X-AMD-Result"})
	r.originate(1, "15551230001", 5*time.Second)
	evs := r.await(t, 1, 2, 5*time.Second)
	expect(t, evs, engine.EvProgress, engine.EvAnswered)
	if evs[1].Outcome != records.OutcomeMachine {
		t.Fatalf("answered %v, want machine", evs[1].Outcome)
	}
	r.send(engine.Command{Kind: engine.CmdPlayHangup, Call: 1}) // no message: hang up at once
	peer.wait(t, 5*time.Second)
	r.quiet(t, 1, 2, 50*time.Millisecond)
}

// Final failures map to our outcomes and the seed's hangup causes.
func TestCustomerRejects(t *testing.T) {
	needSIPp(t)
	for _, tc := range []struct {
		code, reason string
		out          records.Outcome
		cause, early int
	}{
		{"486", "Busy Here", records.OutcomeBusy, CauseBusy, EarlyBusy},
		{"480", "Temporarily Unavailable", records.OutcomeNoAnswer, CauseTimeout, EarlyPoweredOff},
		{"404", "Not Found", records.OutcomeInvalid, CauseLineFailure, EarlyNotExist},
		{"503", "Service Unavailable", records.OutcomeInvalid, CauseLineFailure, EarlyLineFault},
	} {
		t.Run(tc.code, func(t *testing.T) {
			peer := startSIPp(t, "reject"+tc.code+".xml", false, "-m", "1")
			r := newRig(t, Config{Trunk: peer.uri(false)})
			r.originate(7, "15551230002", 5*time.Second)
			evs := r.await(t, 7, 1, 5*time.Second)
			expect(t, evs, engine.EvFailed)
			if evs[0].Outcome != tc.out || evs[0].Cause != tc.cause || evs[0].EarlyCause != tc.early {
				t.Fatalf("%s: outcome %v causes %d and %d, want %v %d %d", tc.code, evs[0].Outcome, evs[0].Cause, evs[0].EarlyCause, tc.out, tc.cause, tc.early)
			}
			peer.wait(t, 5*time.Second)
		})
	}
}

// A customer who never answers is cancelled at the ring timeout: no answer.
func TestCustomerNoAnswer(t *testing.T) {
	needSIPp(t)
	peer := startSIPp(t, "noanswer.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: peer.uri(false)})
	start := time.Now()
	r.originate(3, "15551230003", 400*time.Millisecond)
	evs := r.await(t, 3, 2, 5*time.Second)
	expect(t, evs, engine.EvProgress, engine.EvFailed)
	if evs[1].Outcome != records.OutcomeNoAnswer || evs[1].Cause != CauseTimeout {
		t.Fatalf("outcome %v cause %d, want no answer %d", evs[1].Outcome, evs[1].Cause, CauseTimeout)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Fatalf("failed after %v, before the ring timeout", d)
	}
	peer.wait(t, 5*time.Second)
}

// A 200 OK that crosses our CANCEL is acknowledged and hung up (SIPp waits
// for the ACK and the BYE), and the call is still no answer.
func TestCustomerAnswerCrossesCancel(t *testing.T) {
	needSIPp(t)
	peer := startSIPp(t, "race.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: peer.uri(false)})
	r.originate(4, "15551230004", 300*time.Millisecond)
	evs := r.await(t, 4, 2, 5*time.Second)
	expect(t, evs, engine.EvProgress, engine.EvFailed)
	if evs[1].Outcome != records.OutcomeNoAnswer {
		t.Fatalf("outcome %v, want no answer", evs[1].Outcome)
	}
	peer.wait(t, 5*time.Second)
	r.quiet(t, 4, 2, 50*time.Millisecond)
}

// A customer who hangs up first is reported once, as the customer's hangup.
func TestCustomerHangsUpFirst(t *testing.T) {
	needSIPp(t)
	peer := startSIPp(t, "hangup.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: peer.uri(false)})
	r.originate(5, "15551230005", 5*time.Second)
	evs := r.await(t, 5, 3, 5*time.Second)
	expect(t, evs, engine.EvProgress, engine.EvAnswered, engine.EvHangup)
	if evs[2].Side != engine.SideCustomer {
		t.Fatalf("hangup side %d, want the customer", evs[2].Side)
	}
	peer.wait(t, 5*time.Second)
	r.send(engine.Command{Kind: engine.CmdHangup, Call: 5}) // too late: nothing more
	r.quiet(t, 5, 3, 50*time.Millisecond)
}

// The carrier's 401 challenge is answered with the trunk's credentials; with
// wrong ones the call fails. A proxy's 407 is answered with
// Proxy-Authorization.
func TestCarrierChallenge(t *testing.T) {
	needSIPp(t)
	peer := startSIPp(t, "auth.xml", false, "-m", "2")
	r := newRig(t, Config{Trunk: peer.uri(false), Username: "user", Password: "secret"})
	r.originate(6, "15551230006", 5*time.Second)
	evs := r.await(t, 6, 2, 5*time.Second)
	expect(t, evs, engine.EvProgress, engine.EvAnswered)
	r.send(engine.Command{Kind: engine.CmdHangup, Call: 6})
	r.await(t, 6, 3, 5*time.Second)

	bad := newRig(t, Config{Trunk: peer.uri(false), Username: "user", Password: "wrong"})
	bad.originate(7, "15551230007", 5*time.Second)
	evs = bad.await(t, 7, 1, 5*time.Second)
	expect(t, evs, engine.EvFailed)
	peer.wait(t, 5*time.Second)

	proxy := startSIPp(t, "auth407.xml", false, "-m", "1")
	r = newRig(t, Config{Trunk: proxy.uri(false), Username: "user", Password: "secret"})
	r.originate(8, "15551230008", 5*time.Second)
	expect(t, r.await(t, 8, 2, 5*time.Second), engine.EvProgress, engine.EvAnswered)
	r.send(engine.Command{Kind: engine.CmdHangup, Call: 8})
	r.await(t, 8, 3, 5*time.Second)
	proxy.wait(t, 5*time.Second)
}

// An originate repeated for the same call id is dialled once.
func TestOriginateIdempotent(t *testing.T) {
	needSIPp(t)
	peer := startSIPp(t, "reject486.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: peer.uri(false)})
	r.originate(8, "15551230008", 5*time.Second)
	r.originate(8, "15551230008", 5*time.Second)
	r.await(t, 8, 1, 5*time.Second)
	peer.wait(t, 5*time.Second) // -m 1: a second INVITE would be a second call
	r.quiet(t, 8, 1, 100*time.Millisecond)
}

// The trunk's limits hold: with one line the second call waits for the
// first to end; at 20 calls a second, five calls take at least 200 ms.
func TestTrunkLimits(t *testing.T) {
	needSIPp(t)
	peer := startSIPp(t, "answer.xml", false, "-m", "2")
	r := newRig(t, Config{Trunk: peer.uri(false), Lines: 1})
	if l, cps := r.b.Capacity(); l != 1 || cps != 0 {
		t.Fatalf("Capacity() = %d, %v", l, cps)
	}
	r.originate(1, "15551230001", 5*time.Second)
	r.originate(2, "15551230002", 5*time.Second)
	r.await(t, 1, 2, 5*time.Second)
	r.quiet(t, 2, 0, 300*time.Millisecond)
	r.send(engine.Command{Kind: engine.CmdHangup, Call: 1})
	r.await(t, 2, 2, 5*time.Second)
	r.send(engine.Command{Kind: engine.CmdHangup, Call: 2})
	peer.wait(t, 5*time.Second)

	busy := startSIPp(t, "reject486.xml", false, "-m", "5")
	r = newRig(t, Config{Trunk: busy.uri(false), CallsPerSecond: 20})
	start := time.Now()
	for id := records.CallID(1); id <= 5; id++ {
		r.originate(id, "15551230001", 5*time.Second)
	}
	for id := records.CallID(1); id <= 5; id++ {
		r.await(t, id, 1, 5*time.Second)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("5 calls at 20/s took %v", d)
	}
	busy.wait(t, 5*time.Second)
}

// Early media (183) then ringing (180) are one EvProgress.
func TestCustomerEarlyMedia(t *testing.T) {
	needSIPp(t)
	peer := startSIPp(t, "early.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: peer.uri(false)})
	r.originate(9, "15551230009", 5*time.Second)
	expect(t, r.await(t, 9, 2, 5*time.Second), engine.EvProgress, engine.EvAnswered)
	r.send(engine.Command{Kind: engine.CmdHangup, Call: 9})
	r.await(t, 9, 3, 5*time.Second)
	peer.wait(t, 5*time.Second)
}

// A ringing call hung up on command is cancelled and reported once, as the
// system's hangup.
func TestCustomerCancelledOnCommand(t *testing.T) {
	needSIPp(t)
	peer := startSIPp(t, "noanswer.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: peer.uri(false)})
	r.originate(10, "15551230010", 5*time.Second)
	r.await(t, 10, 1, 5*time.Second) // ringing
	r.send(engine.Command{Kind: engine.CmdHangup, Call: 10})
	evs := r.await(t, 10, 2, 5*time.Second)
	if evs[1].Kind != engine.EvHangup || evs[1].Side != engine.SideSystem || evs[1].Cause != CauseCancel {
		t.Fatalf("got %s, want the system's hangup with cause %d", kinds(evs), CauseCancel)
	}
	peer.wait(t, 5*time.Second)
	r.quiet(t, 10, 2, 50*time.Millisecond)
}

// The task's caller ID goes in From, and in P-Asserted-Identity when asked,
// with the configured headers: SIPp fails the call otherwise (and exits
// with an error).
func TestCallerID(t *testing.T) {
	needSIPp(t)
	peer := startSIPp(t, "callerid.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: peer.uri(false), AssertIdentity: true, Headers: map[string]string{"X-Account": "1234"}})
	r.originate(11, "15551230011", 5*time.Second)
	expect(t, r.await(t, 11, 2, 5*time.Second), engine.EvProgress, engine.EvAnswered)
	r.send(engine.Command{Kind: engine.CmdHangup, Call: 11})
	r.await(t, 11, 3, 5*time.Second)
	peer.wait(t, 5*time.Second)
}

// When Run's context ends, a ringing call is cancelled and an answered one
// hung up before Run returns: the peers see CANCEL and BYE.
func TestRunEndsCalls(t *testing.T) {
	needSIPp(t)
	for _, scenario := range []string{"noanswer.xml", "answer.xml"} {
		t.Run(scenario, func(t *testing.T) {
			peer := startSIPp(t, scenario, false, "-m", "1")
			r := newRig(t, Config{Trunk: peer.uri(false)})
			r.originate(12, "15551230012", 10*time.Second)
			n := 1 // ringing
			if scenario == "answer.xml" {
				n = 2 // answered
			}
			r.await(t, 12, n, 5*time.Second)
			r.stop()
			select {
			case err := <-r.done:
				r.done <- err
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return")
			}
			peer.wait(t, 5*time.Second)
		})
	}
}
