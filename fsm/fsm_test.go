package fsm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	looplab "github.com/looplab/fsm"

	"github.com/outpace-dev/outpace/apierr"
)

// looplabStep runs event on a fresh looplab machine put in state src and
// returns the state it ends in, or ok=false when looplab refuses the event.
// It uses Event rather than Can, so it checks the table against a second path
// through looplab.
func looplabStep(t *testing.T, m *looplab.FSM, src, event string) (dst string, ok bool) {
	t.Helper()
	m.SetState(src)
	err := m.Event(context.Background(), event)
	var nt looplab.NoTransitionError
	var inv looplab.InvalidEventError
	switch {
	case err == nil, errors.As(err, &nt):
		return m.Current(), true
	case errors.As(err, &inv):
		if m.Current() != src {
			t.Fatalf("refused %q moved looplab from %s to %s", event, src, m.Current())
		}
		return "", false
	default:
		t.Fatalf("looplab %q from %s: unexpected error %v", event, src, err)
		return "", false
	}
}

func TestPartyTableMatchesLooplab(t *testing.T) {
	for s := range numPartyStates {
		for e := range numPartyEvents {
			dst, ok := looplabStep(t, PartyMachine(), s.String(), e.String())
			got, err := PartyNext(s, e)
			switch {
			case ok && err != nil:
				t.Errorf("%s --%s-->: looplab enters %s, table refuses: %v", s, e, dst, err)
			case !ok && err == nil:
				t.Errorf("%s --%s-->: looplab refuses, table enters %s", s, e, got)
			case ok && got.String() != dst:
				t.Errorf("%s --%s-->: looplab enters %s, table enters %s", s, e, dst, got)
			}
		}
	}
}

func TestAgentTableMatchesLooplab(t *testing.T) {
	for s := range numAgentStates {
		for e := range numAgentEvents {
			dst, ok := looplabStep(t, AgentMachine(), s.String(), e.String())
			got, err := AgentNext(s, e)
			switch {
			case ok && err != nil:
				t.Errorf("%s --%s-->: looplab enters %s, table refuses: %v", s, e, dst, err)
			case !ok && err == nil:
				t.Errorf("%s --%s-->: looplab refuses, table enters %s", s, e, got)
			case ok && got.String() != dst:
				t.Errorf("%s --%s-->: looplab enters %s, table enters %s", s, e, dst, got)
			}
		}
	}
}

func TestCallTableMatchesLooplab(t *testing.T) {
	for s := range numCallStates {
		for e := range numCallEvents {
			dst, ok := looplabStep(t, CallMachine(), s.String(), e.String())
			got, _, err := CallNext(s, e)
			switch {
			case ok && err != nil:
				t.Errorf("%s --%s-->: looplab enters %s, table refuses: %v", s, e, dst, err)
			case !ok && err == nil:
				t.Errorf("%s --%s-->: looplab refuses, table enters %s", s, e, got)
			case ok && got.String() != dst:
				t.Errorf("%s --%s-->: looplab enters %s, table enters %s", s, e, dst, got)
			case !ok && (!errors.Is(err, ErrInvalidTransition) || apierr.CodeOf(err) != apierr.InvalidCallType):
				t.Errorf("%s --%s-->: error %v, want InvalidCallType wrapping ErrInvalidTransition", s, e, err)
			}
		}
	}
}

func TestDeferredTableMatchesLooplab(t *testing.T) {
	for s := range numDeferred {
		for e := range numDeferEvents {
			dst, ok := looplabStep(t, DeferredMachine(), s.String(), e.String())
			got, err := DeferNext(s, e)
			if !ok || err != nil || got.String() != dst {
				t.Errorf("%s --%s-->: looplab %s (%t), table %s (%v); every event must be accepted", s, e, dst, ok, got, err)
			}
		}
	}
}

// Expected outcome of every pair: a destination state name, or the seed-002
// error code of the refusal. Columns follow the event constants.
var partyWant = [numPartyStates][numPartyEvents]string{
	//             dial      ring       answer    hold      retrieve  release
	PartyIdle:    {"Dialing", "Ringing", "301016", "301016", "301016", "301016"},
	PartyDialing: {"301006", "Ringing", "Talk", "301006", "301006", "IDLE"},
	PartyRinging: {"301006", "301006", "Talk", "301006", "301006", "IDLE"},
	PartyTalk:    {"301006", "301006", "301006", "Held", "301006", "IDLE"},
	PartyHeld:    {"301010", "301010", "301010", "301010", "Talk", "IDLE"},
}

var agentWant = [numAgentStates][numAgentEvents]string{
	//              login     ready     not-ready   acw-expire logout    login-not-ready
	AgentLogout:   {"Ready", "301006", "301006", "301006", "301006", "NotReady"},
	AgentReady:    {"301006", "301006", "NotReady", "301006", "Logout", "301006"},
	AgentNotReady: {"301006", "Ready", "NotReady", "Ready", "Logout", "301006"},
}

// checkOutcome compares one result against its expected cell.
func checkOutcome(t *testing.T, from, got fmt.Stringer, event fmt.Stringer, err error, want string) {
	t.Helper()
	code, isCode := strconv.Atoi(want)
	if isCode != nil {
		if err != nil {
			t.Errorf("%s --%s-->: want %s, got error %v", from, event, want, err)
		} else if got.String() != want {
			t.Errorf("%s --%s-->: want %s, got %s", from, event, want, got)
		}
		return
	}
	if err == nil {
		t.Errorf("%s --%s-->: want error %d, entered %s", from, event, code, got)
		return
	}
	if !errors.Is(err, ErrInvalidTransition) {
		t.Errorf("%s --%s-->: error %v does not wrap ErrInvalidTransition", from, event, err)
	}
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("%s --%s-->: error %v is not an *apierr.Error", from, event, err)
	}
	if int(ae.Code) != code || apierr.CodeOf(err) != ae.Code {
		t.Errorf("%s --%s-->: code %d, want %d", from, event, ae.Code, code)
	}
	wantMsg := fmt.Sprintf("%s(%d): cannot %q from %s", apierr.Code(code), code, event.String(), from)
	if err.Error() != wantMsg {
		t.Errorf("%s --%s-->: message %q, want %q", from, event, err.Error(), wantMsg)
	}
	if got.String() != from.String() {
		t.Errorf("%s --%s-->: refused transition moved the state to %s", from, event, got)
	}
}

func TestPartyEveryPair(t *testing.T) {
	for s := range numPartyStates {
		for e := range numPartyEvents {
			got, err := PartyNext(s, e)
			checkOutcome(t, s, got, e, err, partyWant[s][e])
		}
	}
}

func TestAgentEveryPair(t *testing.T) {
	for s := range numAgentStates {
		for e := range numAgentEvents {
			got, err := AgentNext(s, e)
			checkOutcome(t, s, got, e, err, agentWant[s][e])
		}
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := AgentNext(AgentLogout, AgentSetReady)
	const want = `InvalidAgentState(301006): cannot "ready" from Logout`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	_, err = PartyNext(PartyIdle, PartyRelease)
	const wantParty = `NotFoundParty(301016): cannot "release" from IDLE`
	if err == nil || err.Error() != wantParty {
		t.Fatalf("got %v, want %s", err, wantParty)
	}
}

func TestOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"party state", second(PartyNext(numPartyStates, PartyDial))},
		{"party event", second(PartyNext(PartyIdle, numPartyEvents))},
		{"agent state", second(AgentNext(numAgentStates, AgentLogin))},
		{"agent event", second(AgentNext(AgentLogout, numAgentEvents))},
	} {
		if !errors.Is(tc.err, ErrInvalidTransition) || apierr.CodeOf(tc.err) != apierr.InvalidParams {
			t.Errorf("%s: got %v, want InvalidParams wrapping ErrInvalidTransition", tc.name, tc.err)
		}
	}
	if s := PartyState(9).String(); s != "PartyState(9)" {
		t.Errorf("PartyState(9).String() = %q", s)
	}
	if s := AgentEvent(9).SeedEvent(); s != "" {
		t.Errorf("AgentEvent(9).SeedEvent() = %q", s)
	}
}

func second[S any](_ S, err error) error { return err }

func TestNoAllocations(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		for s := range numPartyStates {
			for e := range numPartyEvents {
				_, _ = PartyNext(s, e)
			}
		}
		for s := range numAgentStates {
			for e := range numAgentEvents {
				_, _ = AgentNext(s, e)
			}
		}
		for s := range numCallStates {
			for e := range numCallEvents {
				_, _, _ = CallNext(s, e)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run over every pair, want 0", allocs)
	}
}

func TestNames(t *testing.T) {
	var party, agent []string
	for s := range numPartyStates {
		party = append(party, s.String())
	}
	for s := range numAgentStates {
		agent = append(agent, s.String())
	}
	if got := strings.Join(party, " "); got != "IDLE Dialing Ringing Talk Held" {
		t.Errorf("party states %q", got)
	}
	if got := strings.Join(agent, " "); got != "Logout Ready NotReady" {
		t.Errorf("agent states %q", got)
	}
	for _, c := range []struct{ got, want string }{
		{PartyDial.SeedEvent(), "EventDialing"},
		{PartyRing.SeedEvent(), "EventRinging"},
		{PartyAnswer.SeedEvent(), "EventEstablished"},
		{PartyHold.SeedEvent(), "EventHeld"},
		{PartyRetrieve.SeedEvent(), "EventRetrieved"},
		{PartyRelease.SeedEvent(), "EventReleased"},
		{AgentLogin.SeedEvent(), "EventAgentLogin"},
		{AgentLoginNotReady.SeedEvent(), "EventAgentLogin"},
		{AgentSetReady.SeedEvent(), "EventAgentReady"},
		{AgentSetNotReady.SeedEvent(), "EventAgentNotReady"},
		{AgentACWExpire.SeedEvent(), "EventDelayAfterCallWork"},
		{AgentDoLogout.SeedEvent(), "EventAgentLogout"},
	} {
		if c.got != c.want {
			t.Errorf("seed event %q, want %q", c.got, c.want)
		}
	}
}

func TestValidReason(t *testing.T) {
	var valid []int
	for c := -2; c <= 100; c++ {
		if ValidReason(c) {
			valid = append(valid, c)
		}
	}
	if len(valid) != 4+87 || valid[0] != 0 || valid[1] != 2 || valid[2] != 4 || valid[3] != 11 ||
		valid[4] != 12 || valid[len(valid)-1] != 98 {
		t.Fatalf("valid reasons %v", valid)
	}
}

func TestDiagrams(t *testing.T) {
	party, agent := Diagrams()
	party2, agent2 := Diagrams()
	if party != party2 || agent != agent2 {
		t.Fatal("Diagrams is not deterministic")
	}
	for _, line := range []string{"stateDiagram-v2", "[*] --> IDLE", "Dialing --> Talk: answer", "Held --> IDLE: release"} {
		if !strings.Contains(party, line) {
			t.Errorf("party diagram lacks %q:\n%s", line, party)
		}
	}
	for _, line := range []string{"[*] --> Logout", "NotReady --> NotReady: not-ready", "NotReady --> Ready: acw-expire"} {
		if !strings.Contains(agent, line) {
			t.Errorf("agent diagram lacks %q:\n%s", line, agent)
		}
	}
}

func TestPredicates(t *testing.T) {
	for s := range numPartyStates {
		if s.Active() != (s != PartyIdle) {
			t.Errorf("%s.Active() = %t", s, s.Active())
		}
	}
	if AgentLogout.LoggedIn() || !AgentReady.LoggedIn() || !AgentNotReady.LoggedIn() {
		t.Error("LoggedIn")
	}
}
