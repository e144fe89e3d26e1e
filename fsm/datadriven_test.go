package fsm

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// The scenario files in testdata/ drive one party and one agent through the
// dense tables. Commands:
//
//	table party|agent|call|deferred  every (state, event) pair of a machine
//	reset                       party to IDLE, agent to Logout
//	party <event>...            step the party, one line per event
//	agent login ready           AgentLogin
//	agent login not-ready <r>   AgentLoginNotReady with reason r
//	agent ready                 AgentSetReady
//	agent not-ready <r>         AgentSetNotReady with reason r
//	agent acw-expire            AgentACWExpire
//	agent logout                AgentDoLogout
//
// A step prints "<from> --<event>--> <to> <seed event>", or the error with the
// state unchanged. Rewrite the expected output with -rewrite.
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		d := &driver{}
		datadriven.RunTest(t, path, d.run)
	})
}

type driver struct {
	party  PartyState
	agent  AgentState
	reason int // not-ready reason while the agent is NotReady
}

func (d *driver) run(t *testing.T, td *datadriven.TestData) string {
	args := make([]string, len(td.CmdArgs))
	for i, a := range td.CmdArgs {
		args[i] = a.String()
	}
	switch td.Cmd {
	case "table":
		if len(args) != 1 {
			td.Fatalf(t, "usage: table party|agent|call|deferred")
		}
		return table(t, td, args[0])
	case "reset":
		*d = driver{}
		return fmt.Sprintf("party %s\nagent %s", d.party, d.agent)
	case "party":
		if len(args) == 0 {
			td.Fatalf(t, "usage: party <event>...")
		}
		var b strings.Builder
		for _, name := range args {
			e, ok := partyEventByName(name)
			if !ok {
				td.Fatalf(t, "unknown party event %q", name)
			}
			from := d.party
			to, err := PartyNext(from, e)
			d.party = to
			fmt.Fprintln(&b, step(from.String(), name, to.String(), e.SeedEvent(), err))
		}
		return b.String()
	case "agent":
		return d.agentStep(t, td, args)
	default:
		td.Fatalf(t, "unknown command %q", td.Cmd)
		return ""
	}
}

func (d *driver) agentStep(t *testing.T, td *datadriven.TestData, args []string) string {
	var (
		e      AgentEvent
		reason = -1
	)
	switch {
	case len(args) == 2 && args[0] == "login" && args[1] == "ready":
		e = AgentLogin
	case len(args) == 3 && args[0] == "login" && args[1] == "not-ready":
		e, reason = AgentLoginNotReady, atoi(t, td, args[2])
	case len(args) == 1 && args[0] == "ready":
		e = AgentSetReady
	case len(args) == 2 && args[0] == "not-ready":
		e, reason = AgentSetNotReady, atoi(t, td, args[1])
	case len(args) == 1 && args[0] == "acw-expire":
		e = AgentACWExpire
	case len(args) == 1 && args[0] == "logout":
		e = AgentDoLogout
	default:
		td.Fatalf(t, "unknown agent command %q", td.Input)
	}
	from := d.fullAgentState()
	if reason >= 0 && !ValidReason(reason) {
		return fmt.Sprintf("%s error: invalid not-ready reason %d", from, reason)
	}
	to, err := AgentNext(d.agent, e)
	d.agent = to
	if err == nil {
		switch {
		case to != AgentNotReady:
			d.reason = 0
		case reason >= 0:
			d.reason = reason
		}
	}
	return step(from, e.String(), d.fullAgentState(), e.SeedEvent(), err)
}

func (d *driver) fullAgentState() string {
	if d.agent == AgentNotReady {
		return fmt.Sprintf("%s(%d)", d.agent, d.reason)
	}
	return d.agent.String()
}

func step(from, event, to, seed string, err error) string {
	if err != nil {
		return fmt.Sprintf("%s --%s--> %s error: %v", from, event, to, err)
	}
	return fmt.Sprintf("%s --%s--> %s %s", from, event, to, seed)
}

func table(t *testing.T, td *datadriven.TestData, machine string) string {
	var b strings.Builder
	switch machine {
	case "party":
		for s := range numPartyStates {
			for e := range numPartyEvents {
				to, err := PartyNext(s, e)
				fmt.Fprintln(&b, cellLine(s.String(), e.String(), to.String(), e.SeedEvent(), err))
			}
		}
	case "agent":
		for s := range numAgentStates {
			for e := range numAgentEvents {
				to, err := AgentNext(s, e)
				fmt.Fprintln(&b, cellLine(s.String(), e.String(), to.String(), e.SeedEvent(), err))
			}
		}
	case "call":
		for s := range numCallStates {
			for e := range numCallEvents {
				to, fx, err := CallNext(s, e)
				seed := strings.TrimSpace(e.SeedEvent() + " " + fx.String())
				fmt.Fprintln(&b, cellLine(s.String(), e.String(), to.String(), seed, err))
			}
		}
	case "deferred":
		for s := range numDeferred {
			for e := range numDeferEvents {
				to, err := DeferNext(s, e)
				fmt.Fprintln(&b, cellLine(s.String(), e.String(), to.String(), "", err))
			}
		}
	default:
		td.Fatalf(t, "unknown machine %q", machine)
	}
	return b.String()
}

func cellLine(from, event, to, seed string, err error) string {
	if err != nil {
		return fmt.Sprintf("%-8s %-15s %-8s %v", from, event, "refused", err)
	}
	return strings.TrimRight(fmt.Sprintf("%-8s %-15s %-8s %s", from, event, to, seed), " ")
}

func partyEventByName(name string) (PartyEvent, bool) {
	for e := range numPartyEvents {
		if e.String() == name {
			return e, true
		}
	}
	return 0, false
}

func atoi(t *testing.T, td *datadriven.TestData, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		td.Fatalf(t, "bad number %q", s)
	}
	return n
}
