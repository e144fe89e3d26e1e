package optimum

// model is the Markov twin on the flat grid of states (b, c): b busy agents in
// 0..n, c calls in flight in 0..l, stored row by row at index b*(l+1)+c.
type model struct {
	n, l  int     // agents and lines
	width int     // l+1, the length of one row (one level b)
	p     float64 // probability that an outcome is a live answer
	r, h  float64 // mean outcome time and mean talk time, in seconds
	cap   float64 // abandon cap, abandoned / live answers
	scale float64 // h/n: turns a rate of abandons into abandons per full-floor connect

	call []float64 // call[c] = c/r, the rate at which the first of c calls ends
	talk []float64 // talk[b] = b/h, the rate at which the first of b talks ends
}

func newModel(n, l int, p, r, h, cap float64) *model {
	m := &model{n: n, l: l, width: l + 1, p: p, r: r, h: h, cap: cap, scale: h / float64(n)}
	m.call = make([]float64, l+1)
	for c := range m.call {
		m.call[c] = float64(c) / r
	}
	m.talk = make([]float64, n+1)
	for b := range m.talk {
		m.talk[b] = float64(b) / h
	}
	return m
}

func (m *model) states() int { return (m.n + 1) * m.width }

// rates returns, for the state (b, c), the total event rate q, the rate up of
// live answers that reach an agent (b → b+1, c → c−1) and the rate down of
// outcomes that stay on the level (c → c−1): non-live outcomes, and at b = n
// also the live answers that are abandoned.
func (m *model) rates(b, c int) (q, up, down float64) {
	cr := m.call[c]
	q = cr + m.talk[b]
	if b < m.n {
		up = m.p * cr
		down = cr - up
	} else {
		down = cr
	}
	return q, up, down
}

// reward is the Lagrangian reward rate of the state (b, c) for multiplier lam:
// the occupancy b/n minus lam times the excess abandon rate
// (abandons − cap × live answers) measured in units of n/h.
func (m *model) reward(b, c int, lam float64) float64 {
	live := m.p * m.call[c]
	ab := 0.0
	if b == m.n {
		ab = 1
	}
	return float64(b)/float64(m.n) - lam*m.scale*live*(ab-m.cap)
}
