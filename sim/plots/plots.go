// Package plots draws outpace's simulator charts with gonum.org/v1/plot: the
// occupancy-against-abandon-rate frontier of every pacing mode of a sweep or
// comparison, the time series of one run, and the optimal policy of a Markov
// twin (outpace bound). Charts come back as an
// io.WriterTo in the format asked for by name ("png", "svg" or "pdf"); the
// caller decides where the bytes go.
package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/sim/tune"
)

// Formats lists the output formats by name.
var Formats = []string{"png", "svg", "pdf"}

// checkFormat validates a format name.
func checkFormat(format string) (string, error) {
	f := strings.ToLower(strings.TrimPrefix(format, "."))
	for _, ok := range Formats {
		if f == ok {
			return f, nil
		}
	}
	return "", apierr.Invalid("plot", "unknown plot format %q (want png, svg or pdf)", format)
}

// FormatOf returns the chart format a file name asks for by its extension:
// "png", "svg" or "pdf". Another name is an InvalidParams error naming
// "plot".
func FormatOf(path string) (string, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	for _, f := range Formats {
		if ext == f {
			return ext, nil
		}
	}
	return "", apierr.Invalid("plot", "%s: name the file .png, .svg or .pdf", path)
}

// Frontier is one mode's curve on a frontier chart.
type Frontier struct {
	// Name labels the curve, e.g. "ratio".
	Name string
	// Points are the frontier, by rising abandon rate.
	Points []tune.FrontierPoint
	// Best, if set, is the setting chosen at the cap; it is circled.
	Best *tune.FrontierPoint
}

// FrontierChart draws every curve on one chart of occupancy against abandon
// rate, with a vertical line at the cap and, when optimum > 0, a horizontal
// line at the optimal occupancy of the Markov twin.
func FrontierChart(title string, curves []Frontier, cap, optimum float64, format string) (io.WriterTo, error) {
	format, err := checkFormat(format)
	if err != nil {
		return nil, err
	}
	p := chart(title, "abandon rate (% of live answers, mean over seeds)", "occupancy (%)")
	p.Y.Tick.Marker = niceTicks{Max: 100}
	// Frontiers rise from the bottom left: the top left corner (high
	// occupancy at a low abandon rate) is out of every pacer's reach.
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(8)

	// The interesting region is around the cap: show up to 2.5 × cap, or
	// less when no curve goes that far.
	xmax, ymin, ymax := 1.25*cap, 1.0, 0.0
	for _, c := range curves {
		for _, pt := range c.Points {
			xmax = max(xmax, min(pt.AbandonRate, 2.5*cap))
			if pt.AbandonRate <= 2.5*cap {
				ymin, ymax = min(ymin, pt.Occupancy), max(ymax, pt.Occupancy)
			}
		}
	}
	if optimum > 0 {
		ymin, ymax = min(ymin, optimum), max(ymax, optimum)
	}
	if ymax < ymin {
		ymin, ymax = 0, 1
	}
	pad := max(0.01, (ymax-ymin)*0.08)
	x0, x1 := 0.0, 100*xmax*1.02
	y0, y1 := 100*max(0, ymin-pad), 100*(ymax+pad)
	// Leave room at the top for the legend (one line per curve, the cap and
	// the optimum), so that it covers no point.
	entries := len(curves) + 1
	if optimum > 0 {
		entries++
	}
	y1 += (y1 - y0) * 0.06 * float64(entries)

	capLine := vline(100*cap, y0, y1, color.RGBA{R: 200, A: 255})
	p.Add(capLine)
	p.Legend.Add(fmt.Sprintf("cap %.3g %%", 100*cap), capLine)
	if optimum > 0 {
		opt := hline(100*optimum, x0, x1, color.Gray{Y: 60})
		p.Add(opt)
		p.Legend.Add(fmt.Sprintf("optimum %.1f %% (Markov twin)", 100*optimum), opt)
	}
	for i, c := range curves {
		if len(c.Points) == 0 {
			continue
		}
		xy := make(plotter.XYs, len(c.Points))
		for j, pt := range c.Points {
			xy[j] = plotter.XY{X: 100 * pt.AbandonRate, Y: 100 * pt.Occupancy}
		}
		l, s, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		col := palette(i)
		l.Color, l.Width = col, vg.Points(1.5)
		s.Color, s.Shape, s.Radius = col, shape(i), vg.Points(3)
		p.Add(l, s)
		label := c.Name
		if c.Best != nil {
			label = fmt.Sprintf("%s: best %s → %.1f %%", c.Name, c.Best.Setting, 100*c.Best.Occupancy)
			b, err := plotter.NewScatter(plotter.XYs{{X: 100 * c.Best.AbandonRate, Y: 100 * c.Best.Occupancy}})
			if err != nil {
				return nil, err
			}
			b.Color, b.Shape, b.Radius = col, draw.RingGlyph{}, vg.Points(7)
			p.Add(b)
		}
		p.Legend.Add(label, l, s)
	}
	// Adding plotters widens the axes to their data: set the ranges last.
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = x0, x1, y0, y1
	return p.WriterTo(8*vg.Inch, 6*vg.Inch, format)
}

// RunChart draws the time series of one run in four stacked panels sharing
// the time axis: occupancy; abandon rate per slice and cumulative, with the
// pacing's abandon target; calls in flight (ringing or waiting) and agents
// logged in; and the pacer's level. Slice values are drawn as steps over their
// slice; in flight and level are sampled at each slice's end.
func RunChart(r *sim.Report, format string) (io.WriterTo, error) {
	format, err := checkFormat(format)
	if err != nil {
		return nil, err
	}
	if len(r.Slices) == 0 {
		return nil, apierr.Invalid("plot", "the report has no time slices to draw")
	}
	n := len(r.Slices)
	end := func(i int) float64 {
		if i+1 < n {
			return r.Slices[i+1].StartS
		}
		return max(r.SimulatedS, r.Slices[i].StartS)
	}
	hours := func(s float64) float64 { return s / 3600 }
	// steps turns per-slice values into a post-step line ending at the last slice's end.
	steps := func(f func(s *sim.Slice) float64) plotter.XYs {
		xy := make(plotter.XYs, 0, n+1)
		for i := range r.Slices {
			xy = append(xy, plotter.XY{X: hours(r.Slices[i].StartS), Y: f(&r.Slices[i])})
		}
		return append(xy, plotter.XY{X: hours(end(n - 1)), Y: f(&r.Slices[n-1])})
	}
	atEnd := func(f func(s *sim.Slice) float64) plotter.XYs {
		xy := make(plotter.XYs, 0, n+1)
		xy = append(xy, plotter.XY{X: 0, Y: f(&r.Slices[0])})
		for i := range r.Slices {
			xy = append(xy, plotter.XY{X: hours(end(i)), Y: f(&r.Slices[i])})
		}
		return xy[1:]
	}
	xmax := hours(end(n - 1))

	setting := r.Setting
	title := fmt.Sprintf("%s: %s %s, seed %d", r.Scenario, r.Pacing, setting, r.Seed)
	panels := make([]*plot.Plot, 4)
	for i := range panels {
		p := plot.New()
		p.X.Min, p.X.Max = 0, xmax
		p.X.Tick.Marker = hourTicks{}
		p.Add(plotter.NewGrid())
		p.Legend.Top = true
		p.Legend.TextStyle.Font.Size = vg.Points(9)
		p.Y.Label.TextStyle.Font.Size = vg.Points(10)
		panels[i] = p
	}
	panels[0].Title.Text = title
	panels[0].Title.TextStyle.Font.Size = vg.Points(13)
	panels[len(panels)-1].X.Label.Text = "hours since the end of the warm-up"

	occ := panels[0]
	occ.Y.Label.Text = "occupancy %"
	lo, hi := 100.0, 0.0
	for _, s := range r.Slices {
		lo, hi = min(lo, 100*s.Occupancy), max(hi, 100*s.Occupancy)
	}
	occ.Y.Min, occ.Y.Max = max(0, math.Floor(lo/5)*5-5), min(100, hi+2)
	if err := addStep(occ, steps(func(s *sim.Slice) float64 { return 100 * s.Occupancy }),
		palette(0), fmt.Sprintf("per slice (run: %.1f %%)", 100*r.Occupancy)); err != nil {
		return nil, err
	}
	occ.Legend.Left = true
	occ.Legend.Top = false

	ab := panels[1]
	ab.Y.Label.Text = "abandon %"
	// The axis shows the cumulative rate and the target; short slices with few
	// live answers can spike far above them and are cut at the top.
	top, peak := 0.0, 0.0
	for _, s := range r.Slices {
		top = max(top, 100*s.CumAbandonRate)
		peak = max(peak, 100*s.AbandonRate)
	}
	t := 100 * r.Config.AbandonTarget
	top = math.Max(1, max(top*1.5, 3*t))
	label := "per slice"
	if peak > top {
		label = fmt.Sprintf("per slice (peaks cut, highest %.1f %%)", peak)
	} else {
		top = math.Max(top, peak*1.2)
	}
	if err := addStep(ab, steps(func(s *sim.Slice) float64 { return 100 * s.AbandonRate }), palette(1), label); err != nil {
		return nil, err
	}
	if err := addLine(ab, atEnd(func(s *sim.Slice) float64 { return 100 * s.CumAbandonRate }), palette(2),
		fmt.Sprintf("cumulative (run: %.2f %%)", 100*r.AbandonRate)); err != nil {
		return nil, err
	}
	if t > 0 {
		tl := hline(t, 0, xmax, color.RGBA{R: 200, A: 255})
		ab.Add(tl)
		ab.Legend.Add(fmt.Sprintf("target %.3g %%", t), tl)
	}
	ab.Y.Min, ab.Y.Max = 0, top

	fl := panels[2]
	fl.Y.Label.Text = "calls / agents"
	if err := addLine(fl, atEnd(func(s *sim.Slice) float64 { return float64(s.InFlight) }), palette(3), "calls in flight (slice end)"); err != nil {
		return nil, err
	}
	if err := addStep(fl, steps(func(s *sim.Slice) float64 { return s.LoggedIn }), palette(4), "agents logged in"); err != nil {
		return nil, err
	}
	fl.Y.Min = 0
	peak = 0
	for _, s := range r.Slices {
		peak = max(peak, float64(s.InFlight), s.LoggedIn)
	}
	fl.Y.Max = math.Max(1, peak*1.3)

	lv := panels[3]
	lv.Y.Label.Text = "level"
	if err := addLine(lv, atEnd(func(s *sim.Slice) float64 { return s.Level }), palette(5), "pacer level (slice end)"); err != nil {
		return nil, err
	}
	lv.Y.Min = 0
	peak = 0
	for _, s := range r.Slices {
		peak = max(peak, s.Level)
	}
	lv.Y.Max = math.Max(1, peak*1.3)

	const w, h = 8 * vg.Inch, 10 * vg.Inch
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return nil, err
	}
	rows := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadX: vg.Millimeter, PadY: 3 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	canvases := plot.Align(rows, tiles, draw.New(c))
	for i, p := range panels {
		p.Draw(canvases[i][0])
	}
	return c, nil
}

// chart returns a single-panel chart with its title, axis labels, a grid,
// round ticks and a legend at the top right.
func chart(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.Add(plotter.NewGrid())
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	p.Legend.Top = true
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), -vg.Points(6)
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	return p
}

// niceTicks labels an axis at a round step (1, 2 or 5 × 10^k) giving five
// to ten labels, with minor ticks at a fifth of the step. A positive Max
// hides the ticks above it (no occupancy above 100 %).
type niceTicks struct{ Max float64 }

// Ticks implements plot.Ticker.
func (nt niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if nt.Max > 0 {
		hi = min(hi, nt.Max)
	}
	if !(hi > lo) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	step := math.Pow(10, math.Floor(math.Log10((hi-lo)/5)))
	for _, m := range []float64{1, 2, 5, 10} {
		if (hi-lo)/(step*m) <= 10 {
			step *= m
			break
		}
	}
	var ts []plot.Tick
	minor := step / 5
	for k := math.Ceil(lo / minor); k*minor <= hi+1e-9*step; k++ {
		x := k * minor
		if x == 0 {
			x = 0 // not −0, which would be labelled "-0"
		}
		t := plot.Tick{Value: x}
		if r := math.Mod(math.Abs(k), 5); r < 1e-6 || 5-r < 1e-6 {
			t.Label = strconv.FormatFloat(roundSig(x, step), 'f', -1, 64)
		}
		ts = append(ts, t)
	}
	return ts
}

// roundSig rounds x to the precision of step, hiding float noise in labels.
func roundSig(x, step float64) float64 {
	d := math.Pow(10, math.Ceil(-math.Log10(step))+1)
	return math.Round(x*d) / d
}

// hourTicks labels the time axis in hours, at a round step giving at most
// a dozen labels.
type hourTicks struct{}

// Ticks implements plot.Ticker.
func (hourTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 24.0
	for _, s := range []float64{0.25, 0.5, 1, 2, 3, 4, 6, 12} {
		if (hi-lo)/s <= 12 {
			step = s
			break
		}
	}
	var ts []plot.Tick
	for x := math.Ceil(lo/step) * step; x <= hi+1e-9; x += step {
		ts = append(ts, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', -1, 64) + " h"})
	}
	return ts
}

func addStep(p *plot.Plot, xy plotter.XYs, col color.Color, label string) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	l.StepStyle = plotter.PostStep
	l.Color, l.Width = col, vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(label, l)
	return nil
}

func addLine(p *plot.Plot, xy plotter.XYs, col color.Color, label string) error {
	l, s, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color, l.Width = col, vg.Points(1.5)
	s.Color, s.Radius = col, vg.Points(2)
	p.Add(l, s)
	p.Legend.Add(label, l, s)
	return nil
}

func vline(x, y0, y1 float64, col color.Color) *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y1}})
	l.Color, l.Width, l.Dashes = col, vg.Points(1.5), []vg.Length{vg.Points(6), vg.Points(3)}
	return l
}

func hline(y, x0, x1 float64, col color.Color) *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	l.Color, l.Width, l.Dashes = col, vg.Points(1.5), []vg.Length{vg.Points(6), vg.Points(3)}
	return l
}

// palette is a colour-blind-safe set (Okabe–Ito).
func palette(i int) color.Color {
	cs := []color.RGBA{
		{0, 114, 178, 255},   // blue
		{213, 94, 0, 255},    // vermillion
		{0, 158, 115, 255},   // green
		{204, 121, 167, 255}, // purple
		{230, 159, 0, 255},   // orange
		{86, 180, 233, 255},  // sky
		{0, 0, 0, 255},       // black
	}
	return cs[i%len(cs)]
}

func shape(i int) draw.GlyphDrawer {
	gs := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}, draw.BoxGlyph{}}
	return gs[i%len(gs)]
}

// SweepChart draws the frontier of one sweep.
func SweepChart(scenario string, r tune.Result, optimum float64, format string) (io.WriterTo, error) {
	title := fmt.Sprintf("%s: %s, %s swept on %d seeds", scenario, r.Mode, r.Knob, len(r.Seeds))
	if r.Knob == string(r.Mode) {
		title = fmt.Sprintf("%s: %s swept on %d seeds", scenario, r.Knob, len(r.Seeds))
	}
	return FrontierChart(title, []Frontier{curve(string(r.Mode), r)}, r.Cap, optimum, format)
}

// ComparisonChart draws the tuning frontier of every mode of a comparison,
// with the optimum when it is known.
func ComparisonChart(c tune.Comparison, format string) (io.WriterTo, error) {
	var curves []Frontier
	for _, m := range c.Modes {
		if m.Error != "" {
			continue
		}
		curves = append(curves, curve(string(m.Mode), m.Sweep))
	}
	opt := 0.0
	if c.Optimum != nil {
		opt = *c.Optimum
	}
	title := fmt.Sprintf("%s: every mode tuned on %d seeds, cap %.3g %%", c.Scenario, len(c.TuningSeeds), 100*c.Cap)
	return FrontierChart(title, curves, c.Cap, opt, format)
}

func curve(name string, r tune.Result) Frontier {
	f := Frontier{Name: name, Points: r.Frontier}
	if len(r.Points) > 0 && r.Best.Index < len(r.Points) {
		p := r.Points[r.Best.Index]
		f.Best = &tune.FrontierPoint{Setting: r.Best.Setting, Occupancy: p.Occupancy, AbandonRate: p.AbandonRate}
	}
	return f
}
