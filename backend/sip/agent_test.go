package sip

import (
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
)

// answered places call id on the customer peer and waits for its answer.
func answered(t *testing.T, r *rig, id records.CallID) {
	t.Helper()
	r.originate(id, "1555123"+strconv.Itoa(int(id)), 5*time.Second)
	expect(t, r.await(t, id, 2, 5*time.Second), engine.EvProgress, engine.EvAnswered)
}

func media(t *testing.T, r *rig, id records.CallID) (cust, agent *rtpPort) {
	t.Helper()
	c := r.b.call(id)
	if c == nil {
		t.Fatalf("call %d is gone", id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cust = c.cust.media
	if c.agent != nil {
		agent = c.agent.media
	}
	return cust, agent
}

// An answered customer is bridged to an agent phone that auto-answers: RTP
// from the customer (SIPp playing g711a.pcap) reaches the agent, and the
// agent's echo comes back; CmdHangup ends both legs. Over UDP and TCP.
func TestAgentAnswersBridged(t *testing.T) {
	needSIPp(t)
	for _, tcp := range []bool{false, true} {
		name, param := "udp", ""
		if tcp {
			name, param = "tcp", ";transport=tcp"
		}
		t.Run(name, func(t *testing.T) {
			cust := startSIPp(t, "talk.xml", tcp, "-m", "1")
			agent := startSIPp(t, "answer.xml", tcp, "-m", "1", "-rtp_echo")
			r := newRig(t, Config{Trunk: cust.uri(tcp), Agents: map[string]string{"1001": "sip:1001@127.0.0.1:" + strconv.Itoa(agent.port) + param}})
			answered(t, r, 1)
			r.send(engine.Command{Kind: engine.CmdConnect, Call: 1, Agent: 1, Phone: "1001"})
			expect(t, r.await(t, 1, 3, 5*time.Second)[2:], engine.EvAgentAnswered)
			cm, am := media(t, r, 1)
			deadline := time.Now().Add(5 * time.Second)
			for cm.relayed.Load() < 20 || am.relayed.Load() < 20 {
				if time.Now().After(deadline) {
					t.Fatalf("RTP relayed customer→agent %d, agent→customer %d; want 20 each", cm.relayed.Load(), am.relayed.Load())
				}
				time.Sleep(20 * time.Millisecond)
			}
			r.send(engine.Command{Kind: engine.CmdHangup, Call: 1})
			evs := r.await(t, 1, 4, 5*time.Second)
			if evs[3].Kind != engine.EvHangup || evs[3].Side != engine.SideSystem {
				t.Fatalf("after CmdHangup: %s", kinds(evs))
			}
			cust.wait(t, 5*time.Second)
			agent.wait(t, 5*time.Second)
		})
	}
}

// An agent phone that does not answer in time is cancelled: EvAgentFailed,
// and the customer stays on the line until the safe-harbor message is
// played to it and it is hung up.
func TestAgentNoAnswerThenSafeHarbor(t *testing.T) {
	needSIPp(t)
	cust := startSIPp(t, "answer.xml", false, "-m", "1", "-rtp_echo")
	agent := startSIPp(t, "noanswer.xml", false, "-m", "1")
	r := newRig(t, Config{
		Trunk:            cust.uri(false),
		AgentRingTimeout: 300 * time.Millisecond,
		Agents:           map[string]string{"1001": "sip:1001@127.0.0.1:" + strconv.Itoa(agent.port)},
		Messages:         map[string]string{"safe": writeTone(t, 400*time.Millisecond)},
	})
	answered(t, r, 2)
	r.send(engine.Command{Kind: engine.CmdConnect, Call: 2, Agent: 1, Phone: "1001"})
	expect(t, r.await(t, 2, 3, 5*time.Second)[2:], engine.EvAgentFailed)
	agent.wait(t, 5*time.Second)

	cm, _ := media(t, r, 2)
	r.send(engine.Command{Kind: engine.CmdPlayHangup, Call: 2, Message: "safe"})
	cust.wait(t, 5*time.Second) // SIPp got our BYE
	if sent, back := cm.sent.Load(), cm.rx.Load(); sent != 20 || back < 5 {
		t.Fatalf("safe harbor: %d packets sent (want 20 for 400 ms), %d echoed back by the customer (want some: echoes still on the way at the BYE are lost)", sent, back)
	}
	r.quiet(t, 2, 3, 50*time.Millisecond)
}

// An agent phone that rejects the call, or one we cannot resolve, fails the
// offer; the customer stays.
func TestAgentRejects(t *testing.T) {
	needSIPp(t)
	cust := startSIPp(t, "answer.xml", false, "-m", "1")
	agent := startSIPp(t, "reject603.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: cust.uri(false), Agents: map[string]string{"1001": "sip:1001@127.0.0.1:" + strconv.Itoa(agent.port)}})
	answered(t, r, 3)
	r.send(engine.Command{Kind: engine.CmdConnect, Call: 3, Agent: 1, Phone: "1001"})
	expect(t, r.await(t, 3, 3, 5*time.Second)[2:], engine.EvAgentFailed)
	agent.wait(t, 5*time.Second)
	r.send(engine.Command{Kind: engine.CmdConnect, Call: 3, Agent: 2, Phone: "1002"}) // not configured, not registered
	expect(t, r.await(t, 3, 4, 5*time.Second)[3:], engine.EvAgentFailed)
	r.send(engine.Command{Kind: engine.CmdPlayHangup, Call: 3})
	cust.wait(t, 5*time.Second)
}

// An agent phone registered to our registrar with REGISTER is reached at its
// Contact.
func TestAgentRegistered(t *testing.T) {
	needSIPp(t)
	cust := startSIPp(t, "answer.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: cust.uri(false), Registrar: true})
	// The phone registers from a free port, then answers on it: a port taken
	// meanwhile by someone else makes SIPp exit, and the phone starts over
	// on another.
	var agent *sipp
	for try := 0; agent == nil; try++ {
		agent = &sipp{port: freePort(t), mport: freePort(t)}
		err := agent.start(t, "register.xml", false, "-m", "1", "-s", "2001", r.b.Addr().String())
		if err == nil {
			agent.wait(t, 5*time.Second)
			err = agent.start(t, "answer.xml", false, "-m", "1")
		}
		if err != nil {
			if try == 2 {
				t.Fatal(err)
			}
			agent = nil
		}
	}
	answered(t, r, 4)
	r.send(engine.Command{Kind: engine.CmdConnect, Call: 4, Agent: 1, Phone: "2001"})
	expect(t, r.await(t, 4, 3, 5*time.Second)[2:], engine.EvAgentAnswered)
	r.send(engine.Command{Kind: engine.CmdHangup, Call: 4})
	r.await(t, 4, 4, 5*time.Second)
	agent.wait(t, 5*time.Second)
	cust.wait(t, 5*time.Second)
}

// The customer hangs up while the agent's phone rings: the agent leg is
// cancelled and the customer's hangup reported once.
func TestCustomerLeavesWhileAgentRings(t *testing.T) {
	needSIPp(t)
	cust := startSIPp(t, "hangup.xml", false, "-m", "1")
	agent := startSIPp(t, "noanswer.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: cust.uri(false), Agents: map[string]string{"1001": "sip:1001@127.0.0.1:" + strconv.Itoa(agent.port)}})
	answered(t, r, 5)
	r.send(engine.Command{Kind: engine.CmdConnect, Call: 5, Agent: 1, Phone: "1001"})
	evs := r.await(t, 5, 3, 5*time.Second)
	if evs[2].Kind != engine.EvHangup || evs[2].Side != engine.SideCustomer {
		t.Fatalf("got %s, want the customer's hangup", kinds(evs))
	}
	agent.wait(t, 5*time.Second)
	cust.wait(t, 5*time.Second)
	r.quiet(t, 5, 3, 50*time.Millisecond)
}

// The agent hangs up first: the customer gets our BYE, the agent's hangup
// is reported.
func TestAgentHangsUpFirst(t *testing.T) {
	needSIPp(t)
	cust := startSIPp(t, "answer.xml", false, "-m", "1")
	agent := startSIPp(t, "hangup.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: cust.uri(false), Agents: map[string]string{"1001": "sip:1001@127.0.0.1:" + strconv.Itoa(agent.port)}})
	answered(t, r, 6)
	r.send(engine.Command{Kind: engine.CmdConnect, Call: 6, Agent: 1, Phone: "1001"})
	evs := r.await(t, 6, 4, 5*time.Second)
	expect(t, evs[2:], engine.EvAgentAnswered, engine.EvHangup)
	if evs[3].Side != engine.SideAgent {
		t.Fatalf("hangup side %d, want the agent", evs[3].Side)
	}
	agent.wait(t, 5*time.Second)
	cust.wait(t, 5*time.Second)
}

// An agent's phone that holds and resumes the call (re-INVITEs) is reported
// as the customer's hold and retrieve; the re-INVITEs are answered.
func TestAgentHoldsAndResumes(t *testing.T) {
	needSIPp(t)
	cust := startSIPp(t, "answer.xml", false, "-m", "1")
	agent := startSIPp(t, "hold.xml", false, "-m", "1")
	r := newRig(t, Config{Trunk: cust.uri(false), Agents: map[string]string{"1001": "sip:1001@127.0.0.1:" + strconv.Itoa(agent.port)}})
	answered(t, r, 7)
	r.send(engine.Command{Kind: engine.CmdConnect, Call: 7, Agent: 1, Phone: "1001"})
	evs := r.await(t, 7, 5, 5*time.Second)
	expect(t, evs[2:], engine.EvAgentAnswered, engine.EvHold, engine.EvRetrieve)
	r.send(engine.Command{Kind: engine.CmdHangup, Call: 7})
	r.await(t, 7, 6, 5*time.Second)
	agent.wait(t, 5*time.Second)
	cust.wait(t, 5*time.Second)
}

// With symmetric RTP, an agent phone whose SDP names a port it does not use
// (behind NAT) is sent its audio where its own audio comes from.
func TestSymmetricRTP(t *testing.T) {
	needSIPp(t)
	cust := startSIPp(t, "answer.xml", false, "-m", "1")
	bogus := freePort(t)
	agent := startSIPp(t, "nat.xml", false, "-m", "1", "-key", "bogus", strconv.Itoa(bogus))
	r := newRig(t, Config{Trunk: cust.uri(false), SymmetricRTP: true, Agents: map[string]string{"1001": "sip:1001@127.0.0.1:" + strconv.Itoa(agent.port)}})
	answered(t, r, 8)
	r.send(engine.Command{Kind: engine.CmdConnect, Call: 8, Agent: 1, Phone: "1001"})
	expect(t, r.await(t, 8, 3, 5*time.Second)[2:], engine.EvAgentAnswered)
	_, am := media(t, r, 8)
	want := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(agent.mport))
	deadline := time.Now().Add(5 * time.Second)
	for got := am.remote.Load(); got == nil || *got != want; got = am.remote.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("the agent leg sends to %v, want %v where the agent's RTP comes from (its SDP said port %d)", got, want, bogus)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.send(engine.Command{Kind: engine.CmdHangup, Call: 8})
	r.await(t, 8, 4, 5*time.Second)
	agent.wait(t, 5*time.Second)
	cust.wait(t, 5*time.Second)
}
