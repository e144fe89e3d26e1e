package fsm

import (
	"context"
	"errors"
	"fmt"
	"slices"

	looplab "github.com/looplab/fsm"

	"github.com/outpace-dev/outpace/apierr"
)

// ErrInvalidTransition is wrapped by every error of [PartyNext] and
// [AgentNext]: errors.Is(err, ErrInvalidTransition) holds for a refused
// transition, and apierr.CodeOf(err) gives its seed-002 code.
var ErrInvalidTransition = errors.New("fsm: invalid transition")

// cell is one entry of a dense table: the destination state, or the state
// unchanged and the prebuilt error when the transition is refused.
type cell[S ~uint8] struct {
	to  S
	err error
}

var (
	partyTable [numPartyStates][numPartyEvents]cell[PartyState]
	agentTable [numAgentStates][numAgentEvents]cell[AgentState]
)

func init() {
	party := compile("party", PartyMachine, partyEvents, partyStateNames[:], partyEventNames[:])
	for s := range numPartyStates {
		for e := range numPartyEvents {
			c := &partyTable[s][e]
			if dst := party[s][e]; dst >= 0 {
				c.to = PartyState(dst)
				continue
			}
			c.to = s
			c.err = refusal(partyCode(s, e), e, s)
		}
	}
	agent := compile("agent", AgentMachine, agentEvents, agentStateNames[:], agentEventNames[:])
	for s := range numAgentStates {
		for e := range numAgentEvents {
			c := &agentTable[s][e]
			if dst := agent[s][e]; dst >= 0 {
				c.to = AgentState(dst)
				continue
			}
			c.to = s
			c.err = refusal(apierr.InvalidAgentState, e, s)
		}
	}
}

// PartyNext returns the state a party in state s enters on event e. A refused
// transition returns s and an error wrapping [ErrInvalidTransition] that
// carries the seed-002 code (see the package documentation). It is a table
// lookup and does not allocate.
func PartyNext(s PartyState, e PartyEvent) (PartyState, error) {
	if s < numPartyStates && e < numPartyEvents {
		c := &partyTable[s][e]
		return c.to, c.err
	}
	return s, partyOutOfRange(s, e)
}

// AgentNext returns the state an agent in state s enters on event e. A refused
// transition returns s and an error wrapping [ErrInvalidTransition] with code
// 301006 InvalidAgentState. It is a table lookup and does not allocate.
func AgentNext(s AgentState, e AgentEvent) (AgentState, error) {
	if s < numAgentStates && e < numAgentEvents {
		c := &agentTable[s][e]
		return c.to, c.err
	}
	return s, agentOutOfRange(s, e)
}

// partyCode is the seed-002 code of a refused party transition.
func partyCode(s PartyState, _ PartyEvent) apierr.Code {
	switch s {
	case PartyIdle:
		// Every event refused in IDLE (answer, hold, retrieve, release)
		// needs a party on a call, and there is none.
		return apierr.NotFoundParty
	case PartyHeld:
		return apierr.HeldInProcess
	default:
		return apierr.InvalidAgentState
	}
}

func refusal(code apierr.Code, event, state fmt.Stringer) error {
	return &apierr.Error{
		Code: code,
		Msg:  fmt.Sprintf("cannot %q from %s", event.String(), state),
		Err:  ErrInvalidTransition,
	}
}

// partyOutOfRange and agentOutOfRange report a state or event outside the
// declared constants. They are off the hot path and allocate; keeping them out
// of line keeps PartyNext and AgentNext small enough to inline.
//
//go:noinline
func partyOutOfRange(s PartyState, e PartyEvent) error {
	return outOfRange("party", s, e)
}

//go:noinline
func agentOutOfRange(s AgentState, e AgentEvent) error {
	return outOfRange("agent", s, e)
}

func outOfRange(machine string, s, e fmt.Stringer) error {
	return &apierr.Error{
		Code: apierr.InvalidParams,
		Msg:  fmt.Sprintf("unknown %s transition %s on %s", machine, e, s),
		Err:  ErrInvalidTransition,
	}
}

// compile enumerates every (state, event) pair of a looplab definition and
// returns the index of the destination state, or -1 where looplab refuses the
// event. Each pair is asked of a fresh machine put in the source state with
// SetState, so that no callback and no earlier transition is involved. A
// definition that names an unknown state or event, or a machine whose Can and
// AvailableTransitions disagree, is a broken invariant of this package and
// panics naming the transition.
func compile(machine string, newMachine func() *looplab.FSM, events looplab.Events, states, names []string) [][]int {
	for _, d := range events {
		if !slices.Contains(names, d.Name) {
			panic(fmt.Sprintf("fsm: %s machine: event %q has no constant", machine, d.Name))
		}
		for _, st := range append(slices.Clip(d.Src), d.Dst) {
			if !slices.Contains(states, st) {
				panic(fmt.Sprintf("fsm: %s machine: event %q names unknown state %q", machine, d.Name, st))
			}
		}
	}
	ctx := context.Background()
	table := make([][]int, len(states))
	for s, src := range states {
		table[s] = make([]int, len(names))
		for e, ev := range names {
			m := newMachine()
			m.SetState(src)
			can := m.Can(ev)
			if listed := slices.Contains(m.AvailableTransitions(), ev); listed != can {
				panic(fmt.Sprintf("fsm: %s machine: %q from %s: Can=%t but AvailableTransitions lists it=%t",
					machine, ev, src, can, listed))
			}
			if !can {
				table[s][e] = -1
				continue
			}
			if err := m.Event(ctx, ev); err != nil {
				// A self-loop (NotReady --not-ready--> NotReady) is
				// reported by looplab as NoTransitionError.
				var nt looplab.NoTransitionError
				if !errors.As(err, &nt) || nt.Err != nil {
					panic(fmt.Sprintf("fsm: %s machine: %q from %s: %v", machine, ev, src, err))
				}
			}
			dst := slices.Index(states, m.Current())
			if dst < 0 {
				panic(fmt.Sprintf("fsm: %s machine: %q from %s enters unknown state %q", machine, ev, src, m.Current()))
			}
			table[s][e] = dst
		}
	}
	for e, ev := range names {
		used := false
		for s := range states {
			used = used || table[s][e] >= 0
		}
		if !used {
			panic(fmt.Sprintf("fsm: %s machine: event %q is refused from every state", machine, ev))
		}
	}
	return table
}
