package optimum

import "math"

// The linear systems here are the fixed points x = G(x) of a Gauss–Seidel
// sweep G, written (I − G_lin)·x = G(0): the sweep is the preconditioner, and
// a Krylov method removes the few slow modes that sweeps alone leave.

const stallProducts = 400

// bicgstab is BiCGSTAB with its workspace allocated once: it solves a
// nonsingular linear system A·x = b given only the product by A.
type bicgstab struct {
	r, rh, p, v, s, t []float64
}

func newBiCGSTAB(n int) *bicgstab {
	return &bicgstab{
		r: make([]float64, n), rh: make([]float64, n), p: make([]float64, n),
		v: make([]float64, n), s: make([]float64, n), t: make([]float64, n),
	}
}

// solve improves x in place until ‖b − A·x‖ ≤ tol·‖b‖, or maxProducts
// products by A were spent, or the best residual has not halved over the
// last stallProducts products (a singular or near-singular A). It returns the
// products spent and the final relative residual. apply(dst, src) must set
// dst = A·src.
func (bs *bicgstab) solve(apply func(dst, src []float64), b, x []float64, tol float64, maxProducts int) (products int, rel float64) {
	bnorm := norm(b)
	if bnorm == 0 {
		bnorm = 1
	}
	r, rh, p, v, s, t := bs.r, bs.rh, bs.p, bs.v, bs.s, bs.t
	restart := true
	var rho, alpha, omega float64
	rel = math.Inf(1)
	best, bestAt := rel, 0
	for products < maxProducts {
		if rel < best/2 {
			best, bestAt = rel, products
		} else if products-bestAt > stallProducts {
			return products, rel
		}
		if restart {
			apply(r, x)
			products++
			for i := range r {
				r[i] = b[i] - r[i]
			}
			rel = norm(r) / bnorm
			if rel <= tol || math.IsNaN(rel) {
				return products, rel
			}
			copy(rh, r)
			clear(p)
			clear(v)
			rho, alpha, omega = 1, 1, 1
			restart = false
		}
		rhoNew := dot(rh, r)
		if rhoNew == 0 || omega == 0 {
			restart = true
			continue
		}
		beta := rhoNew / rho * alpha / omega
		for i := range p {
			p[i] = r[i] + beta*(p[i]-omega*v[i])
		}
		apply(v, p)
		products++
		d := dot(rh, v)
		if d == 0 {
			restart = true
			continue
		}
		alpha = rhoNew / d
		for i := range s {
			s[i] = r[i] - alpha*v[i]
		}
		if norm(s)/bnorm <= tol {
			axpy(alpha, p, x)
			restart = true // recompute the true residual
			continue
		}
		apply(t, s)
		products++
		tt := dot(t, t)
		if tt == 0 {
			restart = true
			continue
		}
		omega = dot(t, s) / tt
		for i := range x {
			x[i] += alpha*p[i] + omega*s[i]
			r[i] = s[i] - omega*t[i]
		}
		rho = rhoNew
		rel = norm(r) / bnorm
		if math.IsNaN(rel) {
			return products, rel
		}
		if rel <= tol {
			restart = true // confirm with the true residual
		}
	}
	return products, rel
}

// gmres is restarted GMRES(m) with its workspace allocated once: it solves a
// nonsingular linear system A·x = b given only the product by A.
type gmres struct {
	m  int
	v  [][]float64 // the Krylov basis, m+1 vectors
	h  [][]float64 // the Hessenberg matrix, h[i][j] for row i, column j
	cs []float64   // Givens rotations
	sn []float64
	s  []float64 // the rotated right-hand side
	y  []float64
	r  []float64 // residual
}

func newGMRES(n, m int) *gmres {
	g := &gmres{
		m:  m,
		v:  make([][]float64, m+1),
		h:  make([][]float64, m+1),
		cs: make([]float64, m),
		sn: make([]float64, m),
		s:  make([]float64, m+1),
		y:  make([]float64, m),
		r:  make([]float64, n),
	}
	for i := range g.v {
		g.v[i] = make([]float64, n)
		g.h[i] = make([]float64, m)
	}
	return g
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

// axpy sets y += a·x.
func axpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

// solve improves x in place until ‖b − A·x‖ ≤ tol·‖b‖, or maxProducts
// products by A were spent, or a whole restart cycle gained less than a
// tenth (stagnation: a singular or near-singular A). It returns the products
// spent and the final relative residual. apply(dst, src) must set
// dst = A·src.
func (g *gmres) solve(apply func(dst, src []float64), b, x []float64, tol float64, maxProducts int) (products int, rel float64) {
	bnorm := norm(b)
	if bnorm == 0 {
		bnorm = 1
	}
	r := g.r
	last := math.Inf(1)
	for {
		apply(r, x)
		products++
		for i := range r {
			r[i] = b[i] - r[i]
		}
		beta := norm(r)
		rel = beta / bnorm
		if rel <= tol || products >= maxProducts || math.IsNaN(rel) || rel > 0.9*last {
			return products, rel
		}
		last = rel
		v0 := g.v[0]
		for i := range r {
			v0[i] = r[i] / beta
		}
		clear(g.s)
		g.s[0] = beta
		k := 0
		for k < g.m && products < maxProducts {
			w := g.v[k+1]
			apply(w, g.v[k])
			products++
			for j := 0; j <= k; j++ {
				hj := dot(w, g.v[j])
				g.h[j][k] = hj
				axpy(-hj, g.v[j], w)
			}
			hk := norm(w)
			g.h[k+1][k] = hk
			if hk > 0 {
				inv := 1 / hk
				for i := range w {
					w[i] *= inv
				}
			}
			for j := 0; j < k; j++ {
				a, c := g.h[j][k], g.h[j+1][k]
				g.h[j][k] = g.cs[j]*a + g.sn[j]*c
				g.h[j+1][k] = -g.sn[j]*a + g.cs[j]*c
			}
			a, c := g.h[k][k], g.h[k+1][k]
			d := math.Hypot(a, c)
			if d == 0 {
				g.cs[k], g.sn[k] = 1, 0
			} else {
				g.cs[k], g.sn[k] = a/d, c/d
			}
			g.h[k][k] = d
			g.h[k+1][k] = 0
			g.s[k+1] = -g.sn[k] * g.s[k]
			g.s[k] = g.cs[k] * g.s[k]
			k++
			if math.Abs(g.s[k])/bnorm <= tol || hk == 0 {
				break
			}
		}
		// Back substitution, then x += V·y.
		for i := k - 1; i >= 0; i-- {
			t := g.s[i]
			for j := i + 1; j < k; j++ {
				t -= g.h[i][j] * g.y[j]
			}
			if g.h[i][i] == 0 {
				g.y[i] = 0
			} else {
				g.y[i] = t / g.h[i][i]
			}
		}
		for j := 0; j < k; j++ {
			axpy(g.y[j], g.v[j], x)
		}
	}
}
