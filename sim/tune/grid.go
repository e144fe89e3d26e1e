package tune

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

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
	// Refined says that the sweep placed the setting between two of the
	// grid's (Grid.Refine).
	Refined bool
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
	// Refine is how many times a sweep of a monotone grid halves the step
	// between each line's best fair setting and the next one (not fair, or
	// lower), keeping the half that holds the best: the best setting then
	// does not hang on where the grid's steps fall. DefaultGrid: RefineSteps.
	Refine int
}

// RefineSteps is DefaultGrid's Grid.Refine: the step near each line's best
// setting ends a quarter of the grid's (0.0625 calls per idle agent on the
// ratio grid above 4, 0.0625 % of abandon target at a 3 % cap).
const RefineSteps = 2

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
	g := Grid{Mode: mode, Monotone: true, Refine: RefineSteps}
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
// then to 20 by 0.25 (a step of at most 6 % of the ratio, and under 2 %
// where large floors with a low hit rate find their best ratio).
func ratioLevels() []int {
	var out []int
	for l := 100; l <= 400; l += 10 {
		out = append(out, l)
	}
	for l := 425; l <= 2000; l += 25 {
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

// ValuesGrid returns the grid of mode's main knob at the values given instead
// of DefaultGrid's, to look closer at a stretch of the frontier: taskscales
// for ratio ("4:75", or C/A as a number with at most two decimals, "18.75"),
// abandon targets for predictive ("0.0275"), max_level for vicidial (on each
// of DefaultGrid's drop-limit lines), aggressiveness for closedform and the
// about-to-free threshold for issabel (without, then with overcommit). The
// settings are sorted from the least to the most aggressive, as DefaultGrid's
// are, and each is checked as a pacing configuration; a bad value is an
// InvalidArgument naming it. Every setting runs: the sweep does not leave a
// line after settings over the cap, as it does on DefaultGrid.
func ValuesGrid(mode pacing.Mode, base pacing.Config, cap float64, values []string) (Grid, error) {
	g, err := DefaultGrid(mode, base, cap)
	if err != nil {
		return Grid{}, err
	}
	if len(values) == 0 {
		return Grid{}, apierr.Invalid("values", "no value given")
	}
	if mode == pacing.ModeProgressive {
		return Grid{}, apierr.Invalid("values", "progressive dialing has no knob to sweep")
	}
	points := make([]knobPoint, 0, len(values))
	for _, v := range values {
		p, err := knobValue(mode, strings.TrimSpace(v))
		if err != nil {
			return Grid{}, err
		}
		points = append(points, p)
	}
	slices.SortStableFunc(points, func(a, b knobPoint) int { return cmp.Compare(a.x, b.x) })

	// One line per line of the default grid, each from its first setting.
	var out []Setting
	for i, s := range g.Settings {
		if i > 0 && s.Line == g.Settings[i-1].Line {
			continue
		}
		for _, p := range points {
			v := onLine(p, s)
			if _, err := pacing.New(v.Config, nil); err != nil {
				return Grid{}, apierr.Invalid("values", "%s: %v", p.label, err)
			}
			out = append(out, v)
		}
	}
	// Every value asked for runs, even past settings over the cap, and no other.
	g.Settings, g.Monotone, g.Refine = out, false, 0
	return g, nil
}

// onLine returns the setting of knob value p on the line of s: s's
// configuration with p's value, labelled as p is, followed by what the
// line's label adds (drop_limit=…, overcommit).
func onLine(p knobPoint, s Setting) Setting {
	c := s.Config
	p.set(&c)
	label := p.label
	if _, rest, ok := strings.Cut(s.Label, ","); ok {
		label += "," + rest
	}
	return Setting{Label: label, Config: c, Line: s.Line}
}

// between returns a setting of mode's main knob halfway between a and b, two
// settings of one line, on that line; false when none lies strictly between
// them at the knob's resolution (a taskscale's parts are at most 1000).
func between(mode pacing.Mode, a, b Setting) (Setting, bool) {
	xa, oka := knobOf(mode, a.Config)
	xb, okb := knobOf(mode, b.Config)
	if !oka || !okb {
		return Setting{}, false
	}
	x := (xa + xb) / 2
	var v string
	switch mode {
	case pacing.ModeRatio:
		calls, agents := fraction(x, 1000)
		x = float64(calls) / float64(agents)
		v = fmt.Sprintf("%d:%d", agents, calls)
	default:
		x = roundTo(x, 6)
		v = strconv.FormatFloat(x, 'g', -1, 64)
	}
	if x <= min(xa, xb) || x >= max(xa, xb) {
		return Setting{}, false
	}
	p, err := knobValue(mode, v)
	if err != nil {
		return Setting{}, false
	}
	out := onLine(p, a)
	if _, err := pacing.New(out.Config, nil); err != nil {
		return Setting{}, false
	}
	out.Refined = true
	return out, true
}

// knobOf returns the value of mode's main knob in c.
func knobOf(mode pacing.Mode, c pacing.Config) (float64, bool) {
	switch mode {
	case pacing.ModeRatio:
		a, calls, err := pacing.ParseRatio(c.Ratio)
		return float64(calls) / float64(a), err == nil
	case pacing.ModePredictive:
		return c.AbandonTarget, true
	case pacing.ModeVicidial:
		return c.Vicidial.MaxLevel, true
	case pacing.ModeClosedForm:
		return c.ClosedForm.Aggressiveness, true
	case pacing.ModeIssabel:
		return c.Issabel.Threshold, true
	}
	return 0, false
}

// fraction returns the fraction num/den nearest x with both parts at most
// limit (the smallest den on a tie); x must be positive.
func fraction(x float64, limit int) (num, den int) {
	best := math.Inf(1)
	for d := 1; d <= limit && x*float64(d) <= float64(limit)+0.5; d++ {
		n := max(1, min(limit, int(math.Round(x*float64(d)))))
		if e := math.Abs(float64(n)/float64(d) - x); e < best-1e-12 {
			best, num, den = e, n, d
		}
	}
	return num, den
}

// knobPoint is one value of a mode's main knob: x rises with aggressiveness.
type knobPoint struct {
	x     float64
	label string
	set   func(c *pacing.Config)
}

// knobValue parses one value of mode's main knob (ValuesGrid).
func knobValue(mode pacing.Mode, v string) (knobPoint, error) {
	if mode == pacing.ModeRatio {
		return ratioValue(v)
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return knobPoint{}, apierr.Invalid("values", "%q is not a number", v)
	}
	switch mode {
	case pacing.ModePredictive:
		if !(x > 0 && x < 1) {
			return knobPoint{}, apierr.Invalid("values", "abandon_target %q must be a fraction in (0, 1), such as 0.03", v)
		}
		return knobPoint{x, strconv.FormatFloat(x, 'g', -1, 64), func(cfg *pacing.Config) { cfg.AbandonTarget = x }}, nil
	case pacing.ModeVicidial:
		return knobPoint{x, fmt.Sprintf("max_level=%g", x), func(cfg *pacing.Config) { cfg.Vicidial.MaxLevel = x }}, nil
	case pacing.ModeClosedForm:
		return knobPoint{x, fmt.Sprintf("aggressiveness=%g", x), func(cfg *pacing.Config) { cfg.ClosedForm.Aggressiveness = x }}, nil
	case pacing.ModeIssabel:
		if !(x > 0 && x < 1) {
			return knobPoint{}, apierr.Invalid("values", "threshold %q must be a probability in (0, 1), such as 0.95", v)
		}
		return knobPoint{-x, fmt.Sprintf("threshold=%g", x), func(cfg *pacing.Config) { cfg.Issabel.Threshold = x }}, nil
	}
	return knobPoint{}, apierr.Invalid("values", "mode %q has no knob to sweep", mode)
}

// ratioValue parses a taskscale "A:C", or C/A as a number with at most two
// decimals.
func ratioValue(v string) (knobPoint, error) {
	ratio := v
	if !strings.Contains(v, ":") {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return knobPoint{}, apierr.Invalid("values", "%q is neither a taskscale \"A:C\" nor a number of calls per idle agent", v)
		}
		h := math.Round(100 * x)
		if math.Abs(100*x-h) > 1e-9 || h < 1 || h > 2000 {
			return knobPoint{}, apierr.Invalid("values", "%q: give C/A with at most two decimals, from 0.01 to 20, or a taskscale \"A:C\"", v)
		}
		ratio = Taskscale(int(h))
	}
	a, c, err := pacing.ParseRatio(ratio)
	if err != nil {
		return knobPoint{}, apierr.Invalid("values", "%q: %v", v, err)
	}
	ratio = fmt.Sprintf("%d:%d", a, c)
	return knobPoint{float64(c) / float64(a), ratio, func(cfg *pacing.Config) { cfg.Ratio = ratio }}, nil
}
