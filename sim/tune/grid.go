package tune

import (
	"fmt"
	"math"
	"strconv"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/pacing"
)

// Setting is one point of a sweep: a label for people and the pacing
// configuration it runs.
type Setting struct {
	// Label names the setting, e.g. "4:5", "0.02", "max_level=2.5".
	Label string
	// Config is the complete pacing configuration of the point.
	Config pacing.Config
	// Line numbers the monotone line of the grid the setting is on (see Grid).
	Line int
}

// Grid is the list of settings a sweep runs for one mode.
type Grid struct {
	Mode pacing.Mode
	// Knob names the swept knob, e.g. "ratio" or "max_level".
	Knob string
	// Settings are grouped in lines (Setting.Line 0, 1, …, each line's
	// settings together), each line from the least to the most aggressive
	// setting, e.g. one line of max_level per VICIdial drop limit.
	Settings []Setting
	// Monotone says that the abandon rate rises along each line, so that the
	// sweep may leave a line once two consecutive points are over the cap on
	// average.
	Monotone bool
}

// Modes lists the pacing modes a comparison runs by default, in the order
// they are reported.
var Modes = []pacing.Mode{
	pacing.ModeProgressive, pacing.ModeRatio, pacing.ModePredictive,
	pacing.ModeVicidial, pacing.ModeIssabel, pacing.ModeClosedForm,
}

// ParseMode checks a mode name.
func ParseMode(s string) (pacing.Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", apierr.Invalid("mode", "unknown pacing mode %q (want progressive, ratio, predictive, vicidial, issabel or closedform)", s)
}

// DefaultGrid returns the grid of mode's main knob (see the package comment).
// base is the scenario's pacing block: the knobs the grid does not sweep keep
// its values. cap is the abandon cap the sweep is judged on.
func DefaultGrid(mode pacing.Mode, base pacing.Config, cap float64) (Grid, error) {
	if !(cap > 0 && cap < 1) {
		return Grid{}, apierr.Invalid("cap", "must be in (0, 1), got %v", cap)
	}
	base.Mode = mode
	if mode != pacing.ModePredictive {
		base.AbandonTarget = cap
	}
	g := Grid{Mode: mode, Monotone: true}
	line := 0
	add := func(label string, c pacing.Config) {
		g.Settings = append(g.Settings, Setting{Label: label, Config: c, Line: line})
	}
	switch mode {
	case pacing.ModeProgressive:
		g.Knob, g.Monotone = "none", false
		base.Ratio = "1:1"
		add("1:1", base)
	case pacing.ModeRatio:
		g.Knob = "ratio"
		for _, hundredths := range ratioLevels() {
			c := base
			c.Ratio = Taskscale(hundredths)
			add(c.Ratio, c)
		}
	case pacing.ModePredictive:
		g.Knob = "abandon_target"
		for k := 2; k <= 20; k++ {
			c := base
			c.AbandonTarget = roundTo(cap*float64(k)/12, 6)
			add(strconv.FormatFloat(c.AbandonTarget, 'g', -1, 64), c)
		}
	case pacing.ModeVicidial:
		g.Knob = "max_level"
		limits := []float64{base.Vicidial.DropLimit}
		if base.Vicidial.DropLimit == 0 {
			limits = []float64{cap, roundTo(0.8*cap, 6), roundTo(0.6*cap, 6)}
		}
		for i, dl := range limits {
			line = i
			for k := 0; k <= 10; k++ {
				c := base
				c.Vicidial.DropLimit = dl
				c.Vicidial.MaxLevel = 1 + 0.5*float64(k)
				label := fmt.Sprintf("max_level=%g", c.Vicidial.MaxLevel)
				if len(limits) > 1 {
					label += fmt.Sprintf(",drop_limit=%g", dl)
				}
				add(label, c)
			}
		}
	case pacing.ModeClosedForm:
		g.Knob = "aggressiveness"
		for k := 2; k <= 60; k++ {
			c := base
			c.ClosedForm.Aggressiveness = roundTo(0.05*float64(k), 2)
			add(fmt.Sprintf("aggressiveness=%g", c.ClosedForm.Aggressiveness), c)
		}
	case pacing.ModeIssabel:
		g.Knob = "threshold"
		for i, over := range []bool{false, true} {
			line = i
			for _, th := range []float64{0.9999, 0.999, 0.995, 0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.92, 0.90} {
				c := base
				c.Issabel.Threshold, c.Issabel.Overcommit = th, over
				label := fmt.Sprintf("threshold=%g", th)
				if over {
					label += ",overcommit"
				}
				add(label, c)
			}
		}
	default:
		return Grid{}, apierr.Invalid("mode", "no tuning grid for mode %q", mode)
	}
	return g, nil
}

// ratioLevels returns the ratio grid's C/A in hundredths: 1.0–4.0 by 0.1,
// 4.0–8.0 by 0.25, 8.0–20 by 0.5.
func ratioLevels() []int {
	var out []int
	for l := 100; l <= 400; l += 10 {
		out = append(out, l)
	}
	for l := 425; l <= 800; l += 25 {
		out = append(out, l)
	}
	for l := 850; l <= 2000; l += 50 {
		out = append(out, l)
	}
	return out
}

// Taskscale writes a dial level given in hundredths of a call per idle agent
// as a reduced taskscale "A:C" (C/A = hundredths/100): 110 → "10:11".
func Taskscale(hundredths int) string {
	a, c := 100, hundredths
	g := gcd(a, c)
	return fmt.Sprintf("%d:%d", a/g, c/g)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func roundTo(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
