// Package optimum computes the exact optimal occupancy of a predictive dialer
// on its Markov twin: the ceiling that no pacer can pass on that scenario,
// against which the simulator's pacers are measured (BENCHMARK.md, "Markov
// twin").
//
// # The model
//
// N agents work one task. A call in flight ends after an exponential time of
// mean r; with probability p it is a live answer, otherwise an outcome that
// only frees the line. A live answer goes at once to a free agent if there is
// one; if all N agents are busy it is abandoned at once (a connect deadline of
// zero: nobody waits). A connected call talks for an exponential time of mean
// h and then frees its agent (no wrap). The state is (b, c): b busy agents and
// c calls in flight, with c ≤ L = ⌊MaxLinesPerAgent × N⌋ (there is no waiting
// queue to count against the lines). The dialer may place any number of calls
// at any moment and never cancels one. Between two events nothing changes, so
// acting at every event is acting at any moment: a policy maps each
// pre-decision state (b, c), reached by an event, to the calls in flight
// c' ≥ c it tops up to, and the chain spends its time in the post-decision
// states. Occupancy is E[b]/N in the long run; the abandon rate is the long-run
// ratio of abandoned live answers (those arriving when b = N) to all live
// answers.
//
// # The constrained problem and its Lagrangian
//
// The goal is the largest occupancy whose abandon rate is at most Cap, a
// constrained Markov decision process. Written as rates, the constraint is
// linear in the long-run state frequencies: abandons − Cap·live answers ≤ 0,
// with live answers at rate p·c/r in state (b, c) and abandons the part of them
// at b = N. A multiplier λ ≥ 0 prices it: the reward rate of state (b, c) is
//
//	R(b, c) = b/N − λ·(h/N)·(p·c/r)·(1[b = N] − Cap)
//
// (the factor h/N measures abandons against N/h, the connect rate of a full
// floor, so that λ is a pure number). For a fixed λ this is an ordinary
// average-reward problem; its optimal gain D(λ) is at least the occupancy of
// every policy that meets the cap, so every D(λ) is an upper bound on the
// answer. D is convex and piecewise linear in λ, each piece the line
// occupancy − λ·excess of one deterministic policy. At the minimising λ* two
// pieces meet: one policy above the cap, one below. Sharing time between them,
// in the proportion that puts the mixed abandon rate exactly at the cap (or,
// equivalently, a stationary policy that randomises in the states where they
// differ), attains D(λ*): the constrained optimum, the standard result for a
// single constraint. Solve reports both policies, the share and the bound.
//
// # Solving for one multiplier
//
// In semi-Markov form, with q(s) the total event rate of the post-decision
// state s, the optimality equation reads
//
//	q(s)·W(s) = R(s) − g + Σ rate(s → s')·V(s'),   V(b, c) = max over c' ≥ c of W(b, c'),
//
// so the value of adding calls is a suffix maximum over the line counts. It is
// solved by policy iteration. A fixed policy's gain and values solve a linear
// system, taken as the fixed point of a Gauss–Seidel sweep over the levels b;
// each level is solved exactly in one pass, since within a level the chain
// only moves down one call at a time (an outcome that leaves b unchanged) or
// redials back. The sweep alone converges slowly across levels, so it serves
// as the preconditioner of a Krylov method (BiCGSTAB, GMRES as a fallback),
// which removes the few slow modes. Improvement takes, at every pre-decision
// state, the best c' ≥ c by one-step look-ahead, refined by one exact sweep of
// value iteration. The bounds of Odoni, min and max over the states of
// R + Σ rate·V − q·W (those of the uniformised chain, whose rate cancels),
// certify the gain; iteration stops when the current policy is within an
// eighth of the tolerance of optimal. The stationary distribution of a policy
// comes from the same machinery applied to the balance equations, with one
// recurrent state pinned, and gives the exact occupancy and abandon rate.
//
// # Finding the multiplier
//
// The abandon rate of the optimal policy falls roughly as 1/λ; steps guided by
// that bracket λ* between a policy above the cap and one below, then regula
// falsi on log abandon rate against log λ closes in, alternating with the
// crossing of the two policies' lines, the only multiplier at which the dual
// bound can certify their mix. The search stops when the mix is within
// Params.Tolerance of the smallest bound found: OccupancyAtCap is achieved by
// exactly evaluated policies, and Bound proves that nothing does better.
//
// Cap = 0 is answered directly: a policy never abandons only if no live answer
// can find every agent busy, that is if the calls in flight never exceed the
// idle agents, and among those one call per idle agent (as the lines allow) is
// best. The Lagrangian route reaches the same policy, but only at multipliers
// too large for the arithmetic on bigger floors.
//
// On every twin tried the optimal policies are thresholds, non-increasing in
// b: with b agents busy, top the calls in flight up to T(b), and with more in
// flight place nothing. Result.Threshold reports whether this held.
//
// The package is pure: no goroutines, no clock, no I/O and no randomness.
// Evaluate is the exact long-run figures of any threshold policy, for tests
// and for comparing pacers; Progressive is the closed form of one call per
// idle agent.
package optimum
