package tune

import (
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/outpace-dev/outpace/sim"
)

// Estimate is a mean over seeds with its 95 % confidence interval.
type Estimate struct {
	Mean float64 `json:"mean"`
	// CI95 is the half-width of the 95 % confidence interval of the mean,
	// from Student's t with n−1 degrees of freedom; 0 for a single seed.
	CI95 float64 `json:"ci95"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	N    int     `json:"n"`
}

// estimate summarises xs.
func estimate(xs []float64) Estimate {
	e := Estimate{N: len(xs)}
	if len(xs) == 0 {
		return e
	}
	e.Min, e.Max = xs[0], xs[0]
	for _, x := range xs {
		e.Min, e.Max = min(e.Min, x), max(e.Max, x)
	}
	if len(xs) == 1 {
		e.Mean = xs[0]
		return e
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	n := float64(len(xs))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	e.Mean, e.CI95 = mean, t*sd/math.Sqrt(n)
	return e
}

// FreshBound returns the one-sided 95 % upper prediction bound of the next
// value of a sample xs, mean + t·sd·√(1 + 1/n) with Student's t at n−1
// degrees of freedom: a fresh seed's worst window is over it once in 20 times
// (for values about normal). With one value it is that value, with none 0.
func FreshBound(xs []float64) float64 {
	switch len(xs) {
	case 0:
		return 0
	case 1:
		return xs[0]
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	n := float64(len(xs))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.95)
	return mean + t*sd*math.Sqrt(1+1/n)
}

// field returns f of every report.
func field(rs []*sim.Report, f func(*sim.Report) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// meanReport averages reports of one scenario and setting over seeds (see the
// package comment). rs must not be empty.
func meanReport(rs []*sim.Report) *sim.Report {
	m := *rs[0]
	n := float64(len(rs))
	avg := func(f func(*sim.Report) float64) float64 {
		s := 0.0
		for _, r := range rs {
			s += f(r)
		}
		return s / n
	}
	cnt := func(f func(*sim.Report) int64) int64 {
		s := 0.0
		for _, r := range rs {
			s += float64(f(r))
		}
		return int64(math.Round(s / n))
	}
	m.WallS = 0
	m.Dials = cnt(func(r *sim.Report) int64 { return r.Dials })
	m.LiveAnswers = cnt(func(r *sim.Report) int64 { return r.LiveAnswers })
	m.Machines = cnt(func(r *sim.Report) int64 { return r.Machines })
	m.NoAnswers = cnt(func(r *sim.Report) int64 { return r.NoAnswers })
	m.Busy = cnt(func(r *sim.Report) int64 { return r.Busy })
	m.Invalid = cnt(func(r *sim.Report) int64 { return r.Invalid })
	m.Connected = cnt(func(r *sim.Report) int64 { return r.Connected })
	m.Abandoned = cnt(func(r *sim.Report) int64 { return r.Abandoned })
	m.NumbersExhausted = cnt(func(r *sim.Report) int64 { return r.NumbersExhausted })
	m.Events = cnt(func(r *sim.Report) int64 { return r.Events })
	m.AbandonRate = avg(func(r *sim.Report) float64 { return r.AbandonRate })
	m.Occupancy = avg(func(r *sim.Report) float64 { return r.Occupancy })
	m.TalkMinPerAgentHour = avg(func(r *sim.Report) float64 { return r.TalkMinPerAgentHour })
	m.ConnectsPerAgentHour = avg(func(r *sim.Report) float64 { return r.ConnectsPerAgentHour })
	m.DialsPerAgentHour = avg(func(r *sim.Report) float64 { return r.DialsPerAgentHour })
	m.MeanIdleWaitS = avg(func(r *sim.Report) float64 { return r.MeanIdleWaitS })
	m.P95IdleWaitS = avg(func(r *sim.Report) float64 { return r.P95IdleWaitS })
	m.MaxAbandonRate24h = avg(func(r *sim.Report) float64 { return r.MaxAbandonRate24h })
	m.AgentHours = avg(func(r *sim.Report) float64 { return r.AgentHours })

	slices := len(rs[0].Slices)
	for _, r := range rs {
		slices = min(slices, len(r.Slices))
	}
	m.Slices = make([]sim.Slice, slices)
	for i := range m.Slices {
		s := rs[0].Slices[i]
		sa := func(f func(*sim.Slice) float64) float64 {
			t := 0.0
			for _, r := range rs {
				t += f(&r.Slices[i])
			}
			return t / n
		}
		sc := func(f func(*sim.Slice) int64) int64 {
			return int64(math.Round(sa(func(s *sim.Slice) float64 { return float64(f(s)) })))
		}
		s.Dials = sc(func(s *sim.Slice) int64 { return s.Dials })
		s.LiveAnswers = sc(func(s *sim.Slice) int64 { return s.LiveAnswers })
		s.Connected = sc(func(s *sim.Slice) int64 { return s.Connected })
		s.Abandoned = sc(func(s *sim.Slice) int64 { return s.Abandoned })
		s.AbandonRate = sa(func(s *sim.Slice) float64 { return s.AbandonRate })
		s.Occupancy = sa(func(s *sim.Slice) float64 { return s.Occupancy })
		s.LoggedIn = sa(func(s *sim.Slice) float64 { return s.LoggedIn })
		s.InFlight = int(math.Round(sa(func(s *sim.Slice) float64 { return float64(s.InFlight) })))
		s.Level = sa(func(s *sim.Slice) float64 { return s.Level })
		s.CumAbandonRate = sa(func(s *sim.Slice) float64 { return s.CumAbandonRate })
		m.Slices[i] = s
	}
	return &m
}

// Breaking reports whether breaches out of n evaluation seeds show, at 95 %
// confidence, that a setting breaks the cap more often than the fair-tuning
// rule allows (one seed in 20): the chance of that many breaches or more,
// were each seed over the cap with probability 1/20, is under 5 % (4 or more
// of 20, 3 or more of 10). A setting tuned to the edge of the rule breaks it
// on 2 or more of 20 seeds about one time in four by chance alone, so the
// count itself would accuse fair settings.
func Breaking(breaches, n int) bool {
	if breaches <= 0 || n <= 0 {
		return false
	}
	b := distuv.Binomial{N: float64(n), P: 1.0 / 20}
	return 1-b.CDF(float64(breaches-1)) < 0.05
}
