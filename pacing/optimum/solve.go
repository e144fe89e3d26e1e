package optimum

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrNoConvergence is wrapped by the error Solve returns when the numerical
// method could not reach the requested tolerance. It has not been seen on any
// valid input; the Result returned with it is still meaningful, with a
// Bound − OccupancyAtCap gap larger than asked.
var ErrNoConvergence = errors.New("optimum: no convergence")

// point is one solved Lagrangian problem: the multiplier, the optimal policy
// found for it and that policy's exact long-run figures.
type point struct {
	lam       float64
	act       []int32
	occ       float64 // E[b]/N
	live, ab  float64 // rates of live answers and of abandons
	ex        float64 // excess abandons (ab − cap·live)·h/N
	feasible  bool    // the cap is met (up to rounding)
	upper     float64 // proven upper bound on the optimal Lagrangian gain at lam
	threshold bool
}

// line is the Lagrangian gain of the point's policy at multiplier lam.
func (pt *point) line(lam float64) float64 { return pt.occ - lam*pt.ex }

// rate is the abandon rate of the point's policy, abandoned / live answers.
func (pt *point) rate() float64 {
	if pt.live == 0 {
		return 0
	}
	return pt.ab / pt.live
}

// same reports whether two points carry the same long-run figures, which
// means the same policy up to states that do not matter.
func (pt *point) same(o *point) bool {
	return math.Abs(pt.occ-o.occ) <= 1e-13 && math.Abs(pt.ex-o.ex) <= 1e-13
}

const maxPolicySteps = 200

// optimise runs policy iteration for multiplier lam from the current policy
// (evaluate, improve) until the bounds show the current policy within tol of
// the optimal gain. Early evaluations need not be exact, as the policy is
// about to change: their tolerance follows the remaining gap down to linTol,
// and goes tighter only when the bounds need it.
func (sv *solver) optimise(lam, tol float64) error {
	sv.lam = lam
	evTol, floor := 1e-6, linTol
	if err := sv.evaluateOrRecover(evTol); err != nil {
		return err
	}
	for range maxPolicySteps {
		sv.improve()
		gap := sv.upper - sv.g
		if gap <= tol {
			return nil
		}
		if slices.Equal(sv.nxt, sv.act) {
			// The policy is stable but the bounds are not yet tight: the
			// values are not accurate enough (large multipliers scale them
			// up). Evaluate again, more tightly.
			if evTol <= minLinTol {
				return nil // as good as the arithmetic allows
			}
			if evTol <= floor {
				floor = max(minLinTol, floor/100)
			}
			evTol = floor
			if err := sv.evaluateOrRecover(evTol); err != nil {
				return err
			}
			continue
		}
		prev := sv.g
		// Policy iteration proper would take sv.nxt; one exact level-by-level
		// sweep of value iteration looks further and saves steps, unless it
		// leads back to the current policy.
		sv.lookAhead()
		if slices.Equal(sv.nxt, sv.act) {
			sv.improve()
		}
		sv.act, sv.nxt = sv.nxt, sv.act
		evTol = min(1e-5, max(floor, gap*1e-4))
		if err := sv.evaluateOrRecover(evTol); err != nil {
			return err
		}
		if sv.g < prev-tol && evTol <= minLinTol {
			// Improvement never lowers the gain: the values are as accurate
			// as they get.
			return nil
		}
	}
	return nil
}

// evaluateOrRecover evaluates sv.act, moving the reference state to a
// recurrent state of the policy first if the current one does not serve.
func (sv *solver) evaluateOrRecover(tol float64) error {
	if sv.evaluate(sv.act, tol) {
		return nil
	}
	sv.solveStationary(sv.act)
	if sv.evaluate(sv.act, tol) {
		return nil
	}
	return fmt.Errorf("%w: policy evaluation at multiplier %g", ErrNoConvergence, sv.lam)
}

// evalAt solves the Lagrangian problem at lam and evaluates its policy.
func (sv *solver) evalAt(lam, tol float64) (point, error) {
	m := sv.m
	if err := sv.optimise(lam, tol); err != nil {
		return point{}, err
	}
	sv.solveStationary(sv.act)
	occ, live, ab := sv.measures()
	return point{
		lam:       lam,
		act:       slices.Clone(sv.act),
		occ:       occ,
		live:      live,
		ab:        ab,
		ex:        (ab - m.cap*live) * m.scale,
		feasible:  ab <= (m.cap+1e-13)*live,
		upper:     sv.upper,
		threshold: isThreshold(m, sv.act),
	}, nil
}

// start sets a first policy, as many calls as idle agents over p (which
// roughly fills the idle agents in one round of outcomes), and a reference
// state recurrent under it.
func (sv *solver) start() {
	m := sv.m
	for b := 0; b <= m.n; b++ {
		t := min(m.l, int(math.Ceil(float64(m.n-b)/m.p)))
		if b == 0 {
			t = max(t, 1)
		}
		row := b * m.width
		for c := 0; c <= m.l; c++ {
			sv.act[row+c] = int32(max(c, t))
		}
	}
	clear(sv.pi)
	sv.plainStationary(sv.act, 50, 0)
	sv.ref = sv.argmaxPi()
	sv.g = 0.5
}

// isThreshold reports whether act tops up to act(b, 0) and never dials above it.
func isThreshold(m *model, act []int32) bool {
	for b := 0; b <= m.n; b++ {
		row := b * m.width
		t := int(act[row])
		for c := 0; c <= m.l; c++ {
			if int(act[row+c]) != max(c, t) {
				return false
			}
		}
	}
	return true
}

// rows turns a policy into its rows: the target of level b is the number of
// calls chosen from an empty line count.
func rows(m *model, act []int32) []PolicyRow {
	out := make([]PolicyRow, m.n+1)
	for b := range out {
		out[b] = PolicyRow{Busy: b, Target: int(act[b*m.width])}
	}
	return out
}

// Solve computes the largest long-run occupancy of the Markov twin described
// by p under the constraint abandoned ≤ Cap × live answers, with the optimal
// policy and the Lagrange multiplier of the constraint. See the package
// comment for the model and the method. The error is an *apierr.Error with
// code InvalidParams naming the field for invalid parameters, or wraps
// ErrNoConvergence.
func Solve(p Params) (Result, error) {
	m, tol, err := validate(p)
	if err != nil {
		return Result{}, err
	}
	sv := newSolver(m)
	if m.cap == 0 {
		return solveNoAbandon(sv), nil
	}
	return solveLagrangian(sv, tol)
}

// solveLagrangian is Solve by the Lagrangian relaxation, for any cap.
func solveLagrangian(sv *solver, tol float64) (Result, error) {
	m := sv.m
	sv.start()
	inner := tol / 8 // policy iteration stops within this of the optimal gain
	tried := 0
	bound := math.Inf(1) // the dual value at any multiplier bounds the optimum
	eval := func(lam float64) (point, error) {
		tried++
		pt, err := sv.evalAt(lam, inner)
		if err == nil {
			bound = min(bound, pt.upper)
		}
		return pt, err
	}

	// Bracket the multiplier: lo exceeds the cap, hi meets it. The abandon
	// rate of the optimal policy falls roughly as 1/λ (a line of slope about
	// −1 in log–log), which guides the steps; each step aims a little past
	// the cap so that it crosses it.
	var lo, hi, prev point
	haveLo, haveHi, havePrev := false, false, false
	lam := 1.0
	for range 200 {
		pt, err := eval(lam)
		if err != nil {
			return Result{}, err
		}
		if pt.feasible {
			hi, haveHi = pt, true
		} else {
			lo, haveLo = pt, true
		}
		if haveLo && haveHi {
			break
		}
		if lam == 0 {
			// The cap does not bind: the best policy without it meets it.
			return finish(m, &hi, nil, 0, bound, sv.sweeps, tried, tol)
		}
		if lam > 1e15 {
			// Unreachable for Cap ≥ 0: progressive dialing never abandons,
			// so a large enough multiplier meets the cap.
			return Result{}, fmt.Errorf("%w: no multiplier up to %g meets the cap", ErrNoConvergence, lam)
		}
		slope := -1.0
		if havePrev {
			if s, ok := logSlope(&prev, &pt); ok {
				slope = min(-0.2, max(-5, s))
			}
		}
		r := pt.rate()
		var next float64
		if haveHi {
			next = lam / 4
			if r > 0 && m.cap > 0 {
				next = lam * math.Exp(math.Log(m.cap*1.15/r)/slope)
			}
			next = min(lam/1.1, max(lam/64, next))
			if next < 1e-6 {
				next = 0
			}
		} else {
			next = lam * 4
			if r > 0 && m.cap > 0 {
				next = lam * math.Exp(math.Log(m.cap/1.15/r)/slope)
			}
			next = max(lam*1.1, min(lam*64, next))
		}
		prev, havePrev = pt, true
		lam = next
	}

	// Refine. The optimal Lagrangian gain D(λ) is convex and piecewise
	// linear; the policy of lo is optimal on a piece left of the optimum,
	// that of hi on a piece right of it. Mixing them to meet the cap exactly
	// achieves the value of both lines where they cross, and every D(λ)
	// bounds the optimum from above: stop when the two meet. Steps alternate
	// between regula falsi on the log abandon rate against log λ (Illinois
	// variant), which closes in fast while many policies lie between lo and
	// hi, and the crossing of the two lines, the only multiplier at which
	// the bound can certify the mix.
	wLo, wHi := 1.0, 1.0 // Illinois weights
	side := 0
	kelley := false
	for range 100 {
		x := (lo.occ - hi.occ) / (lo.ex - hi.ex)
		if bound <= lo.line(x)+tol || hi.lam-lo.lam <= 1e-12*hi.lam {
			break
		}
		if !kelley {
			x = falsi(&lo, &hi, m.cap, wLo, wHi)
		}
		if !(x > lo.lam && x < hi.lam) {
			x = (lo.lam + hi.lam) / 2
		}
		pt, err := eval(x)
		if err != nil {
			return Result{}, err
		}
		same := pt.same(&lo) || pt.same(&hi)
		if pt.feasible {
			hi, wHi = pt, 1
			if side == 1 {
				wLo /= 2
			}
			side = 1
		} else {
			lo, wLo = pt, 1
			if side == -1 {
				wHi /= 2
			}
			side = -1
		}
		kelley = same || !kelley
	}
	lam = (lo.occ - hi.occ) / (lo.ex - hi.ex)
	return finish(m, &hi, &lo, lam, bound, sv.sweeps, tried, tol)
}

// solveNoAbandon answers Cap = 0 directly. A policy never abandons only if
// no live answer can find every agent busy, that is if the calls in flight
// never exceed the idle agents; among those, dialing one call per idle agent
// (as lines allow) is best, since an idle agent without a call only waits.
// The Lagrangian route gets there only at multipliers too large for the
// arithmetic on bigger floors.
func solveNoAbandon(sv *solver) Result {
	m := sv.m
	for b := 0; b <= m.n; b++ {
		t := min(m.n-b, m.l)
		row := b * m.width
		for c := 0; c <= m.l; c++ {
			sv.act[row+c] = int32(max(c, t))
		}
	}
	sv.plainStationary(sv.act, 50, 0)
	sv.ref = sv.argmaxPi()
	sv.solveStationary(sv.act)
	occ, _, _ := sv.measures()
	return Result{
		OccupancyAtCap: occ,
		Policy:         rows(m, sv.act),
		Iterations:     sv.sweeps,
		Bound:          occ,
		Threshold:      true,
	}
}

// logSlope is the slope of log abandon rate against log λ between two
// points, when both are defined.
func logSlope(a, b *point) (float64, bool) {
	ra, rb := a.rate(), b.rate()
	if ra <= 0 || rb <= 0 || a.lam <= 0 || b.lam <= 0 || a.lam == b.lam || ra == rb {
		return 0, false
	}
	return (math.Log(rb) - math.Log(ra)) / (math.Log(b.lam) - math.Log(a.lam)), true
}

// falsi interpolates between lo and hi the multiplier at which the abandon
// rate meets the cap: in log–log when it can, else linearly in the excess.
// The weights wLo and wHi scale the two ends' residuals (Illinois).
func falsi(lo, hi *point, cap, wLo, wHi float64) float64 {
	rl, rh := lo.rate(), hi.rate()
	if cap > 0 && rl > 0 && rh > 0 && lo.lam > 0 {
		fl := wLo * (math.Log(rl) - math.Log(cap))
		fh := wHi * (math.Log(rh) - math.Log(cap))
		if fl > 0 && fh <= 0 {
			u := math.Log(lo.lam) + (math.Log(hi.lam)-math.Log(lo.lam))*fl/(fl-fh)
			return math.Exp(u)
		}
	}
	fl, fh := wLo*lo.ex, wHi*hi.ex
	return lo.lam + (hi.lam-lo.lam)*fl/(fl-fh)
}

// finish mixes the feasible point hi with the infeasible point lo (nil when
// hi alone is the answer) so that the abandon rate equals the cap, and
// reports ErrNoConvergence if the gap to the bound exceeds tol.
func finish(m *model, hi, lo *point, lam, bound float64, sweeps, tried int, tol float64) (Result, error) {
	res := Result{
		OccupancyAtCap: hi.occ,
		AbandonRate:    hi.rate(),
		Lambda:         lam,
		Policy:         rows(m, hi.act),
		Iterations:     sweeps,
		Bound:          bound,
		Multipliers:    tried,
		Threshold:      hi.threshold,
	}
	if lo != nil && hi.ex < 0 && lo.ex > 0 {
		a := hi.ex / (hi.ex - lo.ex) // share of lo
		live := a*lo.live + (1-a)*hi.live
		res.OccupancyAtCap = a*lo.occ + (1-a)*hi.occ
		res.AbandonRate = (a*lo.ab + (1-a)*hi.ab) / live
		res.PolicyAbove = rows(m, lo.act)
		res.Mix = a
		res.Threshold = hi.threshold && lo.threshold
	}
	if gap := res.Bound - res.OccupancyAtCap; gap > tol {
		return res, fmt.Errorf("%w: occupancy %.9f is %.3g below the bound", ErrNoConvergence, res.OccupancyAtCap, gap)
	}
	return res, nil
}
