package optimum

import "math"

// A policy is stored as act: act[b*(l+1)+c] is the number of calls in flight
// c' ≥ c that the dialer chooses at the pre-decision state (b, c), right after
// an event left b agents busy and c calls in flight. The post-decision states
// of a policy are those with act = c: the chain spends its time there, and
// passes through the others instantly.

// solver holds the model and every array a solution needs, allocated once:
// the sweeps and the linear solves allocate nothing.
type solver struct {
	m   *model
	lam float64 // Lagrange multiplier of the abandon constraint

	act []int32   // the current policy
	nxt []int32   // the improved policy
	pi  []float64 // stationary distribution of act over post-decision states
	v   []float64 // relative values of the pre-decision states under act
	g   float64   // gain (long-run Lagrangian reward rate) of act

	w    []float64 // look-ahead value of every post-decision state
	vnew []float64 // suffix maxima of w: pre-decision values after improvement
	t    []float64 // response of a value sweep to a unit gain
	rhs  []float64 // right-hand side of a linear solve
	z    []float64 // unknowns of a linear solve
	ref  int       // state pinned in the linear solves, kept recurrent

	x      []float64 // per level: inflow by post-decision state
	num    []float64 // per level: reward less gain plus flows to other levels
	rhoMax []float64 // per level: suffix maxima of the holding value

	bs *bicgstab
	gm *gmres // fallback, allocated on first need

	seen  []bool  // reachability marks
	stack []int32 // reachability stack

	lower, upper float64 // bounds on the optimal gain from the last improve
	sweeps       int     // Gauss–Seidel sweeps over all solves
}

func newSolver(m *model) *solver {
	s := m.states()
	return &solver{
		m:      m,
		act:    make([]int32, s),
		nxt:    make([]int32, s),
		pi:     make([]float64, s),
		v:      make([]float64, s),
		w:      make([]float64, s),
		vnew:   make([]float64, s),
		t:      make([]float64, s),
		rhs:    make([]float64, s),
		z:      make([]float64, s),
		x:      make([]float64, m.width),
		num:    make([]float64, m.width),
		rhoMax: make([]float64, m.width+1),
		bs:     newBiCGSTAB(s),
		seen:   make([]bool, s),
		stack:  make([]int32, 0, 64),
	}
}

const (
	linTol       = 1e-9    // relative residual of the final linear solves
	minLinTol    = 1e-13   // the tightest residual asked for
	maxProducts  = 20_000  // products by the operator per linear solve
	plainMax     = 200_000 // plain sweeps of the last-resort stationary solve
	plainTol     = 1e-13   // L1 change that ends the last-resort solve
	gmresRestart = 24
	tieTol       = 1e-12 // relative: look-ahead values this close are a tie
)

// linear solves A·x = b for a Gauss–Seidel-preconditioned operator: BiCGSTAB,
// cheap per step, then GMRES if BiCGSTAB breaks down or stalls.
func (sv *solver) linear(apply func(dst, src []float64), b, x []float64, tol float64) bool {
	_, rel := sv.bs.solve(apply, b, x, tol, maxProducts)
	if rel <= tol {
		return true
	}
	if math.IsNaN(rel) || math.IsInf(rel, 0) {
		clear(x)
	}
	if sv.gm == nil {
		sv.gm = newGMRES(len(b), gmresRestart)
	}
	_, rel = sv.gm.solve(apply, b, x, tol, maxProducts)
	return rel <= tol
}

// moveRef keeps the reference state a post-decision state of act: when the
// policy passes through it, the reference moves to where the policy leads on
// the same level, which stays recurrent when the policy changed little. A
// bad choice shows as a linear solve that does not converge.
func (sv *solver) moveRef(act []int32) {
	w := sv.m.width
	sv.ref = sv.ref - sv.ref%w + int(act[sv.ref])
}

// piLevel recomputes, in place, the stationary mass of the post-decision
// states of level b from the balance of flows, holding the state ref fixed
// (ref < 0: none). Within a level the chain moves down one call at a time
// (an outcome that leaves b unchanged), back to itself when the policy
// redials the line, or up to act[c−1] > c; the first two are solved exactly
// by one pass from the top, the last uses the previous values.
func (sv *solver) piLevel(b int, act []int32, pi []float64, ref int) {
	m := sv.m
	w := m.width
	row := b * w
	x := sv.x
	clear(x)
	if b > 0 {
		// Live answers on level b−1 connect: (b−1, c) → (b, c−1).
		lower := row - w
		for c := 1; c <= m.l; c++ {
			if v := pi[lower+c]; v != 0 {
				x[act[row+c-1]] += v * m.p * m.call[c]
			}
		}
	}
	if b < m.n {
		// Talks end on level b+1: (b+1, c) → (b, c).
		upper := row + w
		tr := m.talk[b+1]
		for c := 0; c <= m.l; c++ {
			if v := pi[upper+c]; v != 0 {
				x[act[row+c]] += v * tr
			}
		}
	}
	for c := 1; c <= m.l; c++ {
		if a := int(act[row+c-1]); a > c && int(act[row+c]) == c {
			_, _, down := m.rates(b, c)
			x[a] += pi[row+c] * down
		}
	}
	above := 0.0 // flow from the post-decision state (b, c+1) down to (b, c)
	for c := m.l; c >= 0; c-- {
		i := row + c
		if int(act[i]) != c {
			if i != ref {
				pi[i] = 0
			}
			above = 0
			continue
		}
		q, _, down := m.rates(b, c)
		out := q
		if c > 0 && int(act[i-1]) == c {
			out -= down // the redial after a level-preserving outcome
		}
		if i != ref {
			if out > 0 {
				pi[i] = (x[c] + above) / out
			} else {
				pi[i] = 0 // (0, 0) kept idle: no events
			}
		}
		above = pi[i] * down
	}
}

// piSweep is one symmetric block Gauss–Seidel sweep, levels upward then
// downward, of the balance equations of act with pi[ref] held fixed. It is
// linear in pi.
func (sv *solver) piSweep(act []int32, pi []float64, ref int) {
	n := sv.m.n
	for b := 0; b <= n; b++ {
		sv.piLevel(b, act, pi, ref)
	}
	for b := n - 1; b >= 0; b-- {
		sv.piLevel(b, act, pi, ref)
	}
	sv.sweeps++
}

// plainStationary runs normalised sweeps with no pinned state from sv.pi (or
// from one state per level when sv.pi holds no mass) until the L1 change of
// a sweep is below tol or after max sweeps.
func (sv *solver) plainStationary(act []int32, max int, tol float64) {
	m := sv.m
	total := 0.0
	for _, v := range sv.pi {
		total += v
	}
	if !(total > 0) || math.IsInf(total, 0) {
		clear(sv.pi)
		for b := 0; b <= m.n; b++ {
			sv.pi[b*m.width+int(act[b*m.width])] = 1
		}
	}
	prev := sv.z
	for range max {
		copy(prev, sv.pi)
		sv.piSweep(act, sv.pi, -1)
		total = 0
		for _, v := range sv.pi {
			total += v
		}
		d := 0.0
		for i, v := range sv.pi {
			v /= total
			sv.pi[i] = v
			d += math.Abs(v - prev[i])
		}
		if d < tol {
			return
		}
	}
}

// argmaxPi returns the state of largest stationary mass.
func (sv *solver) argmaxPi() int {
	best, arg := -1.0, 0
	for i, v := range sv.pi {
		if v > best {
			best, arg = v, i
		}
	}
	return arg
}

// stationary computes the stationary distribution of act into sv.pi: the
// balance equations with pi[ref] = 1, preconditioned by the Gauss–Seidel
// sweep, i.e. the fixed point y = G(y) of the sweep, solved by a Krylov
// method; then normalised. It reports whether the solve converged.
func (sv *solver) stationary(act []int32) bool {
	sv.moveRef(act)
	ref := sv.ref
	rhs, y := sv.rhs, sv.z
	// The right-hand side is the sweep of the unit mass at ref.
	clear(rhs)
	rhs[ref] = 1
	sv.piSweep(act, rhs, ref)
	rhs[ref] = 0
	apply := func(dst, src []float64) {
		copy(dst, src)
		dst[ref] = 0
		sv.piSweep(act, dst, ref)
		for i, v := range src {
			dst[i] = v - dst[i]
		}
	}
	// Warm start from the last distribution, scaled to pi[ref] = 1.
	clear(y)
	if p := sv.pi[ref]; p > 0 {
		for i, v := range sv.pi {
			y[i] = v / p
		}
	}
	y[ref] = 0
	if !sv.linear(apply, rhs, y, linTol) {
		return false
	}
	y[ref] = 1
	total := 0.0
	for i, v := range y {
		if v < 0 {
			y[i], v = 0, 0 // rounding below zero
		}
		total += v
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return false
	}
	for i, v := range y {
		sv.pi[i] = v / total
	}
	return true
}

// solveStationary finds the stationary distribution of act. When the
// reference state does not serve, a few plain sweeps from the last
// distribution point to the heaviest state instead; plain sweeps to
// convergence are the last resort.
func (sv *solver) solveStationary(act []int32) {
	if !sv.stationary(act) {
		sv.plainStationary(act, 20, 0)
		sv.ref = sv.argmaxPi()
		if !sv.stationary(act) {
			sv.plainStationary(act, plainMax, plainTol)
		}
	}
	sv.prune(act)
	sv.ref = sv.argmaxPi()
}

// prune sets to zero the mass that rounding leaves on states the policy
// never reaches from an empty floor, and renormalises: the figures of a
// policy that can never abandon come out exactly zero.
func (sv *solver) prune(act []int32) {
	m := sv.m
	w := m.width
	seen := sv.seen
	clear(seen)
	stack := sv.stack[:0]
	push := func(b, c int) { // the pre-decision state (b, c)
		i := b*w + int(act[b*w+c])
		if !seen[i] {
			seen[i] = true
			stack = append(stack, int32(i))
		}
	}
	push(0, 0)
	for len(stack) > 0 {
		i := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		b, c := i/w, i%w
		if c > 0 {
			push(b, c-1)
			if b < m.n {
				push(b+1, c-1)
			}
		}
		if b > 0 {
			push(b-1, c)
		}
	}
	sv.stack = stack
	total := 0.0
	for i, v := range sv.pi {
		if !seen[i] {
			sv.pi[i] = 0
		} else {
			total += v
		}
	}
	if total > 0 {
		for i := range sv.pi {
			sv.pi[i] /= total
		}
	}
}

// measures returns the occupancy E[b]/n, the rate of live answers and the
// rate of abandoned live answers under sv.pi.
func (sv *solver) measures() (occ, live, abandoned float64) {
	m := sv.m
	for b := 0; b <= m.n; b++ {
		row := b * m.width
		mb, lb := 0.0, 0.0
		for c := 0; c <= m.l; c++ {
			v := sv.pi[row+c]
			mb += v
			lb += v * m.call[c]
		}
		occ += mb * float64(b)
		live += m.p * lb
		if b == m.n {
			abandoned = m.p * lb
		}
	}
	return occ / float64(m.n), live, abandoned
}

// valueLevel recomputes, in place, the values of level b under the fixed
// policy act for reward weight rw and gain g, from the semi-Markov equation
// of each post-decision state s:
//
//	q(s)·V(s) = rw·R(s) − g + Σ rate(s→s')·V(act(s'))
//
// solved upward in c (the level-preserving outcome moves c to c−1), then
// copied to the pre-decision states the policy passes through.
func (sv *solver) valueLevel(b int, act []int32, v []float64, rw, g float64) {
	m := sv.m
	w := m.width
	row := b * w
	tr := m.talk[b]
	for c := 0; c <= m.l; c++ {
		i := row + c
		if int(act[i]) != c {
			continue
		}
		q, up, down := m.rates(b, c)
		num := -g
		if rw != 0 {
			num += rw * m.reward(b, c, sv.lam)
		}
		if b > 0 {
			num += tr * v[i-w]
		}
		if b < m.n && c > 0 {
			num += up * v[i+w-1]
		}
		switch {
		case c == 0:
			if q > 0 {
				v[i] = num / q
			} else {
				v[i] = 0 // (0, 0) kept idle: no events
			}
		case int(act[i-1]) == c:
			v[i] = num / (q - down)
		default:
			v[i] = (num + down*v[i-1]) / q
		}
	}
	for c := m.l; c >= 0; c-- {
		i := row + c
		if a := int(act[i]); a != c {
			v[i] = v[row+a]
		}
	}
}

// valueSweep is one symmetric block Gauss–Seidel sweep of the values; it is
// affine in v and g.
func (sv *solver) valueSweep(act []int32, v []float64, rw, g float64) {
	n := sv.m.n
	for b := 0; b <= n; b++ {
		sv.valueLevel(b, act, v, rw, g)
	}
	for b := n - 1; b >= 0; b-- {
		sv.valueLevel(b, act, v, rw, g)
	}
	sv.sweeps++
}

// evaluate computes the gain sv.g and the relative values sv.v (zero at
// sv.ref) of the policy act to relative residual tol. The unknowns are the
// values with the one at ref replaced by the gain; the fixed point
// V = G(V) − g·t of the Gauss–Seidel sweep is linear in them and a Krylov
// method solves it. It reports whether the solve converged.
func (sv *solver) evaluate(act []int32, tol float64) bool {
	sv.moveRef(act)
	ref := sv.ref
	t, rhs, z := sv.t, sv.rhs, sv.z
	clear(t)
	sv.valueSweep(act, t, 0, 1)
	for i := range t {
		t[i] = -t[i]
	}
	clear(rhs)
	sv.valueSweep(act, rhs, 1, 0)
	apply := func(dst, src []float64) {
		g := src[ref]
		copy(dst, src)
		dst[ref] = 0
		sv.valueSweep(act, dst, 0, 0)
		for i, x := range src {
			if i == ref {
				x = 0
			}
			dst[i] = x - dst[i] + g*t[i]
		}
	}
	base := sv.v[ref]
	for i, x := range sv.v {
		z[i] = x - base
	}
	z[ref] = sv.g
	if !sv.linear(apply, rhs, z, tol) {
		return false
	}
	sv.g = z[ref]
	copy(sv.v, z)
	sv.v[ref] = 0
	return true
}

// improve computes the one-step look-ahead value of every post-decision state
// from the values of the current policy,
//
//	W(b, c) = (R − g + Σ rate·V(next)) / q,
//
// the improved policy sv.nxt (at each pre-decision state the c' ≥ c of largest
// W, the fewest calls on ties up to rounding) and its values sv.vnew, the suffix maxima of W.
// It then bounds the optimal gain: for any W, with V its suffix maxima, the
// quantity R + Σ rate·V(next) − q·W ranges, over the states, around the
// optimal gain (the bounds of Odoni for the uniformised chain, in which the
// uniformisation rate cancels out).
func (sv *solver) improve() {
	m := sv.m
	w := m.width
	v := sv.v
	neg := math.Inf(-1)
	for b := 0; b <= m.n; b++ {
		row := b * w
		tr := m.talk[b]
		for c := 0; c <= m.l; c++ {
			i := row + c
			q, up, down := m.rates(b, c)
			if q == 0 {
				sv.w[i] = neg // (0, 0) kept idle is never chosen
				continue
			}
			num := m.reward(b, c, sv.lam) - sv.g
			if b > 0 {
				num += tr * v[i-w]
			}
			if c > 0 {
				num += down * v[i-1]
				if b < m.n {
					num += up * v[i+w-1]
				}
			}
			sv.w[i] = num / q
		}
		best, arg := neg, int32(m.l)
		for c := m.l; c >= 0; c-- {
			i := row + c
			x := sv.w[i]
			if x >= best-tieTol*(1+math.Abs(best)) {
				arg = int32(c)
			}
			best = max(best, x)
			sv.vnew[i] = best
			sv.nxt[i] = arg
		}
	}
	lo, hi := math.Inf(1), neg
	vn := sv.vnew
	for b := 0; b <= m.n; b++ {
		row := b * w
		tr := m.talk[b]
		for c := 0; c <= m.l; c++ {
			i := row + c
			q, up, down := m.rates(b, c)
			if q == 0 {
				continue
			}
			x := m.reward(b, c, sv.lam) - q*sv.w[i]
			if b > 0 {
				x += tr * vn[i-w]
			}
			if c > 0 {
				x += down * vn[i-1]
				if b < m.n {
					x += up * vn[i+w-1]
				}
			}
			lo = min(lo, x)
			hi = max(hi, x)
		}
	}
	sv.lower, sv.upper = lo, hi
}

// optLevel replaces the values of level b by the exact solution of the
// optimality equation restricted to the level, the values of the levels b−1
// and b+1 and the gain held fixed, and records the look-ahead values in sv.w.
//
// On a level, an outcome that leaves b unchanged moves the pre-decision state
// from c to c−1; every other event leaves the level. Write
// W(c) = (num(c) + d(c)·V(c−1)) / q(c), with num(c) the reward less the gain
// plus the flows leaving the level, and ρ(c) = num(c) / (q(c) − d(c)), the
// value of holding c calls in flight by redialling every line that ends
// without leaving the level. Then V(c) = max(W(c), max over c' > c of ρ(c')),
// computed upward: at the best c' above c holding is optimal, so
// W(c') = ρ(c'), and no c' does better than holding.
func (sv *solver) optLevel(b int) {
	m := sv.m
	w := m.width
	row := b * w
	num := sv.num
	v := sv.v
	tr := m.talk[b]
	neg := math.Inf(-1)
	sv.rhoMax[m.l+1] = neg
	for c := m.l; c >= 0; c-- {
		i := row + c
		q, up, down := m.rates(b, c)
		x := m.reward(b, c, sv.lam) - sv.g
		if b > 0 {
			x += tr * v[i-w]
		}
		if b < m.n && c > 0 {
			x += up * v[i+w-1]
		}
		num[c] = x
		rho := neg
		if q-down > 0 {
			rho = x / (q - down)
		}
		sv.rhoMax[c] = max(rho, sv.rhoMax[c+1])
	}
	prev := 0.0
	for c := 0; c <= m.l; c++ {
		i := row + c
		q, _, down := m.rates(b, c)
		wc := neg
		if q > 0 {
			wc = (num[c] + down*prev) / q
		}
		sv.w[i] = wc
		v[i] = max(wc, sv.rhoMax[c+1])
		prev = v[i]
	}
}

// lookAhead sets sv.nxt to the policy found by one symmetric sweep of
// optLevel from the current values with the gain held (the values are
// restored afterwards): a look further ahead than one step, which shortens
// policy iteration from a distant start.
func (sv *solver) lookAhead() {
	m := sv.m
	copy(sv.z, sv.v)
	for b := 0; b <= m.n; b++ {
		sv.optLevel(b)
	}
	for b := m.n - 1; b >= 0; b-- {
		sv.optLevel(b)
	}
	sv.sweeps++
	copy(sv.v, sv.z)
	for b := 0; b <= m.n; b++ {
		row := b * m.width
		best, arg := math.Inf(-1), int32(m.l)
		for c := m.l; c >= 0; c-- {
			x := sv.w[row+c]
			if x >= best-tieTol*(1+math.Abs(best)) {
				arg = int32(c)
			}
			best = max(best, x)
			sv.nxt[row+c] = arg
		}
	}
}
