// Package engine is the deterministic core of outpace: it models tasks, queues,
// agents and calls, runs each task's pacer, and decides every backend command.
//
// The engine takes input only through Step(Event); it never reads a clock,
// starts a goroutine, does I/O or touches a global random source. Every event
// carries its own time, timers are commands answered by EvTimer events, and
// randomness (the random ring strategy) comes from the seeded source in Config.
// Output accumulates in a Ready value. The caller, a runner in the server or the
// simulator's loop, drives it like this:
//
//	for ev := range inputs {
//		if err := eng.Step(ev); err != nil {
//			// a rejected input: report it to whoever sent it; the engine is unchanged
//		}
//		if !eng.HasReady() {
//			continue
//		}
//		rd := eng.Ready()
//		store.Commit(&rd)      // 1. Numbers, Records, Tasks durable (one batch)
//		backend.Run(rd.Commands) // 2. then the commands, in order
//		eventLog.Append(rd.Events) // 3. then the CTI events, in order
//		eng.Advance(rd)
//	}
//
// Steps may also come between Ready and Advance: what they produce is kept for
// the next Ready, and the Ready in hand does not change (see Engine.Ready).
//
// Persisting before running commands is what makes a crash safe: a number is
// durably marked Dialing before its Originate leaves, so it is never dialled
// twice, and a call record is durable before the event that announces it.
//
// Bookkeeping: an agent is idle for pacing when Ready with no call; busy when
// reserved for a call (its phone rings), talking, or in after-call work; paused
// when NotReady for any other reason. Each queue keeps its members' counts and
// a dense slice of busy agents, and each task a dense slice of its calls that
// have not yet reached an agent, so that a pacing snapshot costs nothing to build.
//
// State: calls, their legs, agents and the requests agents make during a call
// move only by the tables of package fsm. The engine asks for the next state,
// applies it and, for a call, the effects the table lists; an input whose
// transition a table refuses is rejected before anything changes.
//
// Compliance is decided when a number is dialled, since the engine may hold
// it a while after the fetch: the blacklists (kept current by EvBlacklist),
// the number's NotBefore and NotAfter, and the task's calling window in each
// of the number's zones. What fails is skipped for good or handed back to the
// number source due when it may be dialled; at the day's end the numbers held
// that may not be dialled then are handed back too.
package engine
