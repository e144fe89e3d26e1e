package fsm

import (
	"context"
	"testing"
)

// partyCycle is a customer leg with hold, plus two refused steps, so the
// benchmark covers both outcomes of the lookup.
var partyCycle = [...]PartyEvent{
	PartyDial, PartyRing, PartyAnswer, PartyHold, PartyDial, PartyRetrieve, PartyRelease, PartyRelease,
}

// agentCycle is a shift: login, a break, ACW, a refused ready, logout.
var agentCycle = [...]AgentEvent{
	AgentLogin, AgentSetNotReady, AgentSetReady, AgentSetNotReady, AgentACWExpire, AgentSetReady, AgentDoLogout,
}

var (
	sinkParty PartyState
	sinkAgent AgentState
	sinkErr   error
)

func BenchmarkPartyNext(b *testing.B) {
	b.ReportAllocs()
	s, i := PartyIdle, 0
	var err error
	for b.Loop() {
		s, err = PartyNext(s, partyCycle[i])
		if i++; i == len(partyCycle) {
			i = 0
		}
	}
	sinkParty, sinkErr = s, err
}

func BenchmarkAgentNext(b *testing.B) {
	b.ReportAllocs()
	s, i := AgentLogout, 0
	var err error
	for b.Loop() {
		s, err = AgentNext(s, agentCycle[i])
		if i++; i == len(agentCycle) {
			i = 0
		}
	}
	sinkAgent, sinkErr = s, err
}

// BenchmarkLooplabEvent runs the same party cycle through a looplab machine,
// for comparison with BenchmarkPartyNext.
func BenchmarkLooplabEvent(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	m := PartyMachine()
	var names [len(partyCycle)]string
	for i, e := range partyCycle {
		names[i] = e.String()
	}
	i := 0
	var err error
	for b.Loop() {
		err = m.Event(ctx, names[i])
		if i++; i == len(names) {
			i = 0
		}
	}
	sinkErr = err
}
