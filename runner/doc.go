// Package runner drives the engine for the server: one goroutine owns the
// engine and runs the loop of engine/doc.go against the real world, as
// etcd raft's node.go wraps its core.
//
//	for {
//		step every input queued: backend events, due timers, API requests
//		rd := eng.Ready()
//		backend.Send(calls already placed: connect, play and hang up, hang up)
//		store.Commit(rd)            // one synced batch: group commit
//		backend.Send(originates)    // only now: their numbers are durably Dialing
//		publish rd.Events with their sequence numbers
//		eng.Advance(rd)
//		answer the fetches from the store (EvNumbers, stepped next turn)
//	}
//
// It consumes three interfaces it declares: a Store (recover, commit, next
// numbers, the blacklists it loads into the engine at start), a Backend (takes commands, delivers events: the simulated world,
// a remote backend, SIP) and a Clock (Real, Scaled, or Manual in tests),
// which fires the engine's timers (CmdSetTimer) and stamps inputs that come
// without a time.
//
// Durability: an originate never leaves before the commit that marks its
// number Dialing, so a crash never dials a number twice. Connect, play and
// hang up, and hang up act on calls that are already placed, whose numbers
// are already durably Dialing: they are sent before the commit, because a
// crash after them leaves nothing that Recover does not close (the call is
// closed with an "interrupted" record either way), and a live customer
// should not wait for an fsync to reach an agent.
//
// The loop never waits for anyone but the store: backend events arrive
// through a non-blocking emit, subscribers that fall behind are dropped, and
// readers in other goroutines see a Snapshot or run a function between two
// Steps (Inspect). A backend that announces its capacity (Limiter) gets no
// more calls in flight than its lines nor more originates a second than its
// rate: the runner holds the excess originates, in order, until a line is
// free. A stop drains: Drain steps engine.EvDrain, after which no task places
// a call, and Run returns once no call is left; cancelling Run's context
// stops at once, and the next start's Recover closes what was in flight,
// which the runner hangs up at the backend and publishes, with its events in
// the log, like any other end of a call.
package runner
