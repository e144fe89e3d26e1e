package tune

import (
	"cmp"
	"errors"
	"slices"
	"strings"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
)

// Setting is one point of a sweep: a label for people and the pacing
// configuration it runs.
type Setting struct {
	// Label names the setting, e.g. "4:5", "0.02", "max_level=2.5".
	Label string
	// Config is the complete pacing configuration of the point.
	Config records.PacingConfig
	// Line numbers the monotone line of the grid the setting is on (see Grid).
	Line int
	// Refined says that the sweep placed the setting between two of the
	// grid's (Grid.Refine).
	Refined bool
}

// Grid is the list of settings a sweep runs for one mode.
type Grid struct {
	Mode records.PacingMode
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
// they are reported: those with a sweep grid (pacing.ModeSpec.Tuned).
var Modes = pacing.TunedModes()

// ParseMode checks the name of a mode that has a sweep grid.
func ParseMode(s string) (records.PacingMode, error) {
	if spec, ok := pacing.Spec(records.PacingMode(s)); ok && s != "" && spec.Tuned() {
		return spec.Mode, nil
	}
	return "", apierr.Invalid("mode", "unknown pacing mode %q (want %s)", s, pacing.ModeNames((*pacing.ModeSpec).Tuned, "or"))
}

// ParseModes checks a list of mode names, dropping blanks and repeats; an
// empty list stays empty (Compare then runs Modes).
func ParseModes(names []string) ([]records.PacingMode, error) {
	var out []records.PacingMode
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		m, err := ParseMode(n)
		if err != nil {
			return nil, apierr.Invalid("modes", "unknown pacing mode %q (want some of %s)", n, pacing.ModeNames((*pacing.ModeSpec).Tuned, ""))
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// DefaultGrid returns the grid of mode's main knob (pacing.ModeSpec.Grid;
// see the package comment). base is the scenario's pacing block: the knobs
// the grid does not sweep keep its values. cap is the abandon cap the sweep
// is judged on.
func DefaultGrid(mode records.PacingMode, base records.PacingConfig, cap float64) (Grid, error) {
	if !(cap > 0 && cap < 1) {
		return Grid{}, apierr.Invalid("cap", "must be in (0, 1), got %v", cap)
	}
	spec, ok := pacing.Spec(mode)
	if !ok || mode == "" || !spec.Tuned() {
		return Grid{}, apierr.Invalid("mode", "no tuning grid for mode %q", mode)
	}
	g := Grid{Mode: mode, Knob: "none", Refine: RefineSteps}
	if spec.Knob != nil {
		g.Knob, g.Monotone = spec.Knob.Name, true
	}
	for line, l := range spec.Grid(base, cap) {
		for _, p := range l.Points {
			g.Settings = append(g.Settings, Setting{Label: p.Label, Config: p.Config, Line: line})
		}
	}
	return g, nil
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
func ValuesGrid(mode records.PacingMode, base records.PacingConfig, cap float64, values []string) (Grid, error) {
	g, err := DefaultGrid(mode, base, cap)
	if err != nil {
		return Grid{}, err
	}
	if len(values) == 0 {
		return Grid{}, apierr.Invalid("values", "no value given")
	}
	spec, _ := pacing.Spec(mode)
	k := spec.Knob
	if k == nil {
		return Grid{}, apierr.Invalid("values", "%s dialing has no knob to sweep", mode)
	}
	points := make([]pacing.KnobValue, 0, len(values))
	for _, v := range values {
		p, err := k.Parse(v)
		if err != nil {
			var e *apierr.Error
			if errors.As(err, &e) {
				return Grid{}, apierr.Invalid("values", "%s", e.Msg)
			}
			return Grid{}, err
		}
		points = append(points, p)
	}
	slices.SortStableFunc(points, func(a, b pacing.KnobValue) int { return cmp.Compare(k.Rank(a), k.Rank(b)) })

	// One line per line of the default grid, each from its first setting.
	var out []Setting
	for i, s := range g.Settings {
		if i > 0 && s.Line == g.Settings[i-1].Line {
			continue
		}
		for _, p := range points {
			v := onLine(k, p, s)
			if _, err := pacing.New(v.Config, nil); err != nil {
				return Grid{}, apierr.Invalid("values", "%s: %v", k.Label(p), err)
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
func onLine(k *pacing.Knob, p pacing.KnobValue, s Setting) Setting {
	c := s.Config
	k.Set(&c, p)
	label := k.Label(p)
	if _, rest, ok := strings.Cut(s.Label, ","); ok {
		label += "," + rest
	}
	return Setting{Label: label, Config: c, Line: s.Line}
}

// between returns a setting of mode's main knob halfway between a and b, two
// settings of one line, on that line; false when none lies strictly between
// them at the knob's resolution (a taskscale's parts are at most 1000).
func between(mode records.PacingMode, a, b Setting) (Setting, bool) {
	spec, ok := pacing.Spec(mode)
	if !ok || spec.Knob == nil {
		return Setting{}, false
	}
	k := spec.Knob
	xa, oka := k.Value(a.Config)
	xb, okb := k.Value(b.Config)
	if !oka || !okb {
		return Setting{}, false
	}
	p, ok := k.Nearest((xa + xb) / 2)
	if !ok || p.X <= min(xa, xb) || p.X >= max(xa, xb) {
		return Setting{}, false
	}
	out := onLine(k, p, a)
	if _, err := pacing.New(out.Config, nil); err != nil {
		return Setting{}, false
	}
	out.Refined = true
	return out, true
}

// knobOf returns the value of mode's main knob in c.
func knobOf(mode records.PacingMode, c records.PacingConfig) (float64, bool) {
	spec, ok := pacing.Spec(mode)
	if !ok || spec.Knob == nil {
		return 0, false
	}
	return spec.Knob.Value(c)
}
