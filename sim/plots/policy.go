package plots

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/pacing/optimum"
	"github.com/outpace-dev/outpace/sim/tune"
)

// OptimumChart draws the optimal policy of b, the optimum of the Markov
// twin of the scenario named name (PolicyChart), with the twin's line limit,
// titled with the cap and, when the twin is derived, saying so.
func OptimumChart(name string, b tune.BoundResult, format string) (io.WriterTo, error) {
	title := fmt.Sprintf("%s: the optimal policy at a %.3g %% cap", name, 100*b.Cap)
	if !b.Twin.Exact {
		title = fmt.Sprintf("%s (derived twin): the optimal policy at a %.3g %% cap", name, 100*b.Cap)
	}
	return PolicyChart(title, b.Result, b.Twin.Params(b.Cap).Lines(), format)
}

// PolicyChart draws the optimal policy of a Markov twin (outpace bound): the
// calls it keeps in flight for each number of busy agents, with the policy
// above it when the optimum mixes two, progressive dialing (one call per idle
// agent) for scale and, when lines > 0, the line limit.
func PolicyChart(title string, r optimum.Result, lines int, format string) (io.WriterTo, error) {
	format, err := checkFormat(format)
	if err != nil {
		return nil, err
	}
	if len(r.Policy) == 0 {
		return nil, apierr.Invalid("plot", "the optimum has no policy to draw")
	}
	agents := len(r.Policy) - 1
	p := chart(title, "agents busy", "calls to keep in flight")

	xy := func(rows []optimum.PolicyRow) plotter.XYs {
		out := make(plotter.XYs, len(rows))
		for i, row := range rows {
			out[i] = plotter.XY{X: float64(row.Busy), Y: float64(row.Target)}
		}
		return out
	}
	ymax := float64(agents)
	for _, row := range r.Policy {
		ymax = max(ymax, float64(row.Target))
	}
	for _, row := range r.PolicyAbove {
		ymax = max(ymax, float64(row.Target))
	}
	if lines > 0 {
		ymax = max(ymax, float64(lines))
	}
	// Room at the top for the legend, which sits at the top right, where the
	// policies are lowest.
	y1 := ymax * 1.25
	x1 := float64(agents) + 0.5
	p.Y.Tick.Marker = niceTicks{Max: ymax}
	// A marker per row while there are few enough rows to tell apart.
	marks := agents <= 40

	prog := make(plotter.XYs, agents+1)
	for b := range prog {
		prog[b] = plotter.XY{X: float64(b), Y: float64(agents - b)}
	}
	pl, err := plotter.NewLine(prog)
	if err != nil {
		return nil, err
	}
	pl.Color, pl.Width = color.Gray{Y: 120}, vg.Points(1.2)
	p.Add(pl)
	p.Legend.Add("progressive: one call per idle agent", pl)
	if lines > 0 {
		ll := hline(float64(lines), -0.5, x1, color.RGBA{R: 200, A: 255})
		p.Add(ll)
		p.Legend.Add(fmt.Sprintf("line limit: %d calls", lines), ll)
	}
	label := fmt.Sprintf("optimal policy: occupancy %.2f %% at %.2f %% abandons", 100*r.OccupancyAtCap, 100*r.AbandonRate)
	if r.PolicyAbove != nil {
		label = fmt.Sprintf("optimal policy, %.0f %% of the time", 100*(1-r.Mix))
	}
	if err := addPolicy(p, xy(r.Policy), 0, marks, label); err != nil {
		return nil, err
	}
	if r.PolicyAbove != nil {
		label := fmt.Sprintf("the policy above, %.0f %% of the time (together: occupancy %.2f %%)", 100*r.Mix, 100*r.OccupancyAtCap)
		if err := addPolicy(p, xy(r.PolicyAbove), 1, marks, label); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.5, x1, 0, y1
	return p.WriterTo(8*vg.Inch, 5*vg.Inch, format)
}

// addPolicy adds one policy's line in the i-th colour, dashed after the first,
// with a marker per row when marks is set.
func addPolicy(p *plot.Plot, xy plotter.XYs, i int, marks bool, label string) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	col := palette(i)
	l.Color, l.Width = col, vg.Points(1.5)
	if i > 0 {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	p.Add(l)
	if !marks {
		p.Legend.Add(label, l)
		return nil
	}
	s, err := plotter.NewScatter(xy)
	if err != nil {
		return err
	}
	s.Color, s.Shape, s.Radius = col, shape(i), vg.Points(2)
	p.Add(s)
	p.Legend.Add(label, l, s)
	return nil
}
