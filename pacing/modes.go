package pacing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/records"
)

// ModeSpec is what outpace knows of one pacing mode, in one place: how New
// builds its pacer, how a setting of it is written, its main knob and the
// grid a sweep tunes that knob on. Modes lists them all; the simulator's
// reports, the tuner, the comparison and the scoreboard read them from there.
type ModeSpec struct {
	// Mode is the mode's name as a task or a scenario writes it.
	Mode records.PacingMode
	// Sweep says in a line what a sweep of the mode runs, for help texts.
	Sweep string
	// Knob is the mode's main knob; nil when the mode has none to tune.
	Knob *Knob

	build   func(cfg records.PacingConfig, rng *rand.Rand) (Pacer, error)
	setting func(c records.PacingConfig) string
	flags   func(c records.PacingConfig) string
	grid    func(base records.PacingConfig, cap float64) []GridLine
}

// Paced says that a calculator paces the mode: New builds a Pacer for it.
func (s *ModeSpec) Paced() bool { return s.build != nil }

// Tuned says that the mode has a sweep grid, so that a comparison tunes it
// and sets it beside the others.
func (s *ModeSpec) Tuned() bool { return s.grid != nil }

// Grid returns the lines of the mode's default sweep for a task whose pacing
// block is base, judged on abandon cap: the knobs the grid does not sweep
// keep base's values, and the abandon target of a mode that does not tune it
// is the cap. Each line runs from the least to the most aggressive setting;
// nil when the mode has no grid.
func (s *ModeSpec) Grid(base records.PacingConfig, cap float64) []GridLine {
	if s.grid == nil {
		return nil
	}
	base.Mode = s.Mode
	if s.Mode != records.ModePredictive {
		base.AbandonTarget = cap
	}
	return s.grid(base, cap)
}

// SetFlags returns the simulator's --set flags that select c's setting of
// the mode's knobs, e.g. "--set task.pacing.ratio=4:5"; empty when the mode
// has no knob.
func (s *ModeSpec) SetFlags(c records.PacingConfig) string {
	if s.flags == nil {
		return ""
	}
	return s.flags(c)
}

// GridLine is one line of a sweep grid: settings from the least to the most
// aggressive, along which the abandon rate rises. Lines differ by a second
// knob (VICIdial's drop limit, Issabel's overcommit); Suffix names that
// knob's value in every label of the line (",drop_limit=0.024"), empty on
// a grid of one line.
type GridLine struct {
	Suffix string
	Points []GridPoint
}

// GridPoint is one setting of a grid: its label and its configuration.
type GridPoint struct {
	Label  string
	Config records.PacingConfig
}

// Knob is a mode's main knob: the one setting that makes it dial harder or
// softer, which a sweep tunes.
type Knob struct {
	// Name names the knob in a sweep's output, e.g. "ratio", "max_level".
	Name string
	// Falling says that the knob's value falls as the mode dials harder
	// (Issabel's threshold).
	Falling bool

	def     func() float64
	get     func(c records.PacingConfig) (float64, bool)
	parse   func(s string) (KnobValue, error)
	set     func(c *records.PacingConfig, v KnobValue)
	label   func(v KnobValue) string
	nearest func(x float64) string
}

// KnobValue is one value of a knob.
type KnobValue struct {
	// X is the value as a number: C/A for a ratio.
	X float64
	// Text is the value as a user writes it: "4:75", "0.026".
	Text string
}

// Rank orders values from the least to the most aggressive.
func (k *Knob) Rank(v KnobValue) float64 {
	if k.Falling {
		return -v.X
	}
	return v.X
}

// Default returns the value the knob takes when a configuration leaves it
// out; false when it has none and must be given (a ratio's taskscale).
func (k *Knob) Default() (KnobValue, bool) {
	if k.def == nil {
		return KnobValue{}, false
	}
	x := k.def()
	return KnobValue{X: x, Text: strconv.FormatFloat(x, 'g', -1, 64)}, true
}

// Value returns the knob's value in c; false when c does not hold a valid one.
func (k *Knob) Value(c records.PacingConfig) (float64, bool) { return k.get(c) }

// Parse reads one value of the knob as a user writes it: a taskscale "A:C"
// or C/A as a number with at most two decimals for a ratio, a number for
// the others. A bad value is an InvalidParams error naming the knob.
func (k *Knob) Parse(s string) (KnobValue, error) {
	v, err := k.parse(strings.TrimSpace(s))
	if err != nil {
		return KnobValue{}, apierr.Invalid(k.Name, "%s", err)
	}
	return v, nil
}

// Set writes v into c.
func (k *Knob) Set(c *records.PacingConfig, v KnobValue) { k.set(c, v) }

// Label names v in a sweep: "4:5", "0.02", "max_level=2.5".
func (k *Knob) Label(v KnobValue) string { return k.label(v) }

// Nearest returns the value of the knob nearest x at the knob's resolution
// (a taskscale's parts are at most 1000, other knobs have six decimals);
// false when there is none.
func (k *Knob) Nearest(x float64) (KnobValue, bool) {
	if math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 {
		return KnobValue{}, false
	}
	v, err := k.parse(k.nearest(x))
	return v, err == nil
}

// modes lists every pacing mode, those a comparison tunes first and in the
// order it reports them.
var modes = []*ModeSpec{
	{
		Mode:  records.ModeProgressive,
		Sweep: `nothing: one call in flight per idle agent (a single point)`,
		build: func(records.PacingConfig, *rand.Rand) (Pacer, error) { return NewRatio(1, 1), nil },
		setting: func(records.PacingConfig) string {
			return "1:1"
		},
		grid: func(base records.PacingConfig, _ float64) []GridLine {
			base.Ratio = "1:1"
			return []GridLine{{Points: []GridPoint{{"1:1", base}}}}
		},
	},
	{
		Mode:  records.ModeRatio,
		Sweep: `the taskscale C/A, 1.0 to 20 ("1:1", "10:11", … "1:20")`,
		Knob: &Knob{
			Name: "ratio",
			get: func(c records.PacingConfig) (float64, bool) {
				a, calls, err := ParseRatio(c.Ratio)
				return float64(calls) / float64(a), err == nil
			},
			parse: parseRatioValue,
			set:   func(c *records.PacingConfig, v KnobValue) { c.Ratio = v.Text },
			label: func(v KnobValue) string { return v.Text },
			nearest: func(x float64) string {
				calls, agents := fraction(x, 1000)
				return fmt.Sprintf("%d:%d", agents, calls)
			},
		},
		build: func(cfg records.PacingConfig, _ *rand.Rand) (Pacer, error) {
			a, c, err := ParseRatio(cfg.Ratio)
			if err != nil {
				return nil, err
			}
			return NewRatio(a, c), nil
		},
		setting: func(c records.PacingConfig) string { return c.Ratio },
		flags:   func(c records.PacingConfig) string { return "--set task.pacing.ratio=" + c.Ratio },
		grid: func(base records.PacingConfig, _ float64) []GridLine {
			var l GridLine
			for _, h := range ratioLevels() {
				c := base
				c.Ratio = Taskscale(h)
				l.Points = append(l.Points, GridPoint{c.Ratio, c})
			}
			return []GridLine{l}
		},
	},
	{
		Mode:  records.ModePredictive,
		Sweep: `abandon_target, cap/6 to 5·cap/3 (0.005 to 0.05 at a 3 % cap)`,
		Knob: &Knob{
			Name:  "abandon_target",
			def:   func() float64 { return DefaultAbandonTarget },
			get:   func(c records.PacingConfig) (float64, bool) { return c.AbandonTarget, true },
			parse: fractionValue("abandon_target %q must be a fraction in (0, 1), such as 0.03"),
			set:   func(c *records.PacingConfig, v KnobValue) { c.AbandonTarget = v.X },
			label: func(v KnobValue) string { return v.Text },
			nearest: func(x float64) string {
				return strconv.FormatFloat(roundTo(x, 6), 'g', -1, 64)
			},
		},
		build: func(cfg records.PacingConfig, _ *rand.Rand) (Pacer, error) {
			return NewPredictive(cfg.Predictive, cfg.AbandonTarget)
		},
		setting: func(c records.PacingConfig) string { return fmt.Sprintf("abandon_target=%g", c.AbandonTarget) },
		flags: func(c records.PacingConfig) string {
			return fmt.Sprintf("--set task.pacing.abandon_target=%g", c.AbandonTarget)
		},
		grid: func(base records.PacingConfig, cap float64) []GridLine {
			var l GridLine
			for k := 2; k <= 20; k++ {
				c := base
				c.AbandonTarget = roundTo(cap*float64(k)/12, 6)
				l.Points = append(l.Points, GridPoint{strconv.FormatFloat(c.AbandonTarget, 'g', -1, 64), c})
			}
			return []GridLine{l}
		},
	},
	{
		Mode: records.ModeVicidial,
		Sweep: "max_level, 1.0 to 6.0, with the drop limit at the cap, 0.8·cap and 0.6·cap\n" +
			"(unless the scenario sets one; method and intensity from the scenario)",
		Knob: &Knob{
			Name:    "max_level",
			def:     func() float64 { v, _ := records.VicidialConfig{}.WithDefaults(); return v.MaxLevel },
			get:     func(c records.PacingConfig) (float64, bool) { return c.Vicidial.MaxLevel, true },
			parse:   numberValue,
			set:     func(c *records.PacingConfig, v KnobValue) { c.Vicidial.MaxLevel = v.X },
			label:   func(v KnobValue) string { return fmt.Sprintf("max_level=%g", v.X) },
			nearest: sixDecimals,
		},
		build: func(cfg records.PacingConfig, _ *rand.Rand) (Pacer, error) { return NewVicidial(cfg.Vicidial) },
		setting: func(c records.PacingConfig) string {
			v, _ := c.Vicidial.WithDefaults()
			return fmt.Sprintf("max_level=%g intensity=%d", v.MaxLevel, v.Intensity)
		},
		flags: func(c records.PacingConfig) string {
			return fmt.Sprintf("--set task.pacing.vicidial.max_level=%g --set task.pacing.vicidial.drop_limit=%g", c.Vicidial.MaxLevel, c.Vicidial.DropLimit)
		},
		grid: func(base records.PacingConfig, cap float64) []GridLine {
			limits := []float64{base.Vicidial.DropLimit}
			if base.Vicidial.DropLimit == 0 {
				limits = []float64{cap, roundTo(0.8*cap, 6), roundTo(0.6*cap, 6)}
			}
			lines := make([]GridLine, len(limits))
			for i, dl := range limits {
				if len(limits) > 1 {
					lines[i].Suffix = fmt.Sprintf(",drop_limit=%g", dl)
				}
				for k := 0; k <= 10; k++ {
					c := base
					c.Vicidial.DropLimit = dl
					c.Vicidial.MaxLevel = 1 + 0.5*float64(k)
					lines[i].Points = append(lines[i].Points, GridPoint{fmt.Sprintf("max_level=%g", c.Vicidial.MaxLevel) + lines[i].Suffix, c})
				}
			}
			return lines
		},
	},
	{
		Mode:  records.ModeIssabel,
		Sweep: `the about-to-free threshold 0.9999 … 0.90, without then with overcommit`,
		Knob: &Knob{
			Name:    "threshold",
			def:     func() float64 { v, _ := records.IssabelConfig{}.WithDefaults(); return v.Threshold },
			Falling: true,
			get:     func(c records.PacingConfig) (float64, bool) { return c.Issabel.Threshold, true },
			parse:   fractionValue("threshold %q must be a probability in (0, 1), such as 0.95"),
			set:     func(c *records.PacingConfig, v KnobValue) { c.Issabel.Threshold = v.X },
			label:   func(v KnobValue) string { return fmt.Sprintf("threshold=%g", v.X) },
			nearest: sixDecimals,
		},
		build: func(cfg records.PacingConfig, _ *rand.Rand) (Pacer, error) { return NewIssabel(cfg.Issabel) },
		setting: func(c records.PacingConfig) string {
			v, _ := c.Issabel.WithDefaults()
			return fmt.Sprintf("overcommit=%t threshold=%g", v.Overcommit, v.Threshold)
		},
		flags: func(c records.PacingConfig) string {
			return fmt.Sprintf("--set task.pacing.issabel.threshold=%g --set task.pacing.issabel.overcommit=%v", c.Issabel.Threshold, c.Issabel.Overcommit)
		},
		grid: func(base records.PacingConfig, _ float64) []GridLine {
			lines := make([]GridLine, 2)
			for i, over := range []bool{false, true} {
				if over {
					lines[i].Suffix = ",overcommit"
				}
				for _, th := range []float64{0.9999, 0.999, 0.995, 0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.92, 0.90} {
					c := base
					c.Issabel.Threshold, c.Issabel.Overcommit = th, over
					lines[i].Points = append(lines[i].Points, GridPoint{fmt.Sprintf("threshold=%g", th) + lines[i].Suffix, c})
				}
			}
			return lines
		},
	},
	{
		Mode:  records.ModeClosedForm,
		Sweep: `aggressiveness, 0.1 to 3.0`,
		Knob: &Knob{
			Name:    "aggressiveness",
			def:     func() float64 { v, _ := records.ClosedFormConfig{}.WithDefaults(); return v.Aggressiveness },
			get:     func(c records.PacingConfig) (float64, bool) { return c.ClosedForm.Aggressiveness, true },
			parse:   numberValue,
			set:     func(c *records.PacingConfig, v KnobValue) { c.ClosedForm.Aggressiveness = v.X },
			label:   func(v KnobValue) string { return fmt.Sprintf("aggressiveness=%g", v.X) },
			nearest: sixDecimals,
		},
		build: func(cfg records.PacingConfig, _ *rand.Rand) (Pacer, error) { return NewClosedForm(cfg.ClosedForm) },
		setting: func(c records.PacingConfig) string {
			v, _ := c.ClosedForm.WithDefaults()
			return fmt.Sprintf("aggressiveness=%g", v.Aggressiveness)
		},
		flags: func(c records.PacingConfig) string {
			return fmt.Sprintf("--set task.pacing.closedform.aggressiveness=%g", c.ClosedForm.Aggressiveness)
		},
		grid: func(base records.PacingConfig, _ float64) []GridLine {
			var l GridLine
			for k := 2; k <= 60; k++ {
				c := base
				c.ClosedForm.Aggressiveness = roundTo(0.05*float64(k), 2)
				l.Points = append(l.Points, GridPoint{fmt.Sprintf("aggressiveness=%g", c.ClosedForm.Aggressiveness), c})
			}
			return []GridLine{l}
		},
	},
	{
		Mode: records.ModeTable,
		build: func(cfg records.PacingConfig, _ *rand.Rand) (Pacer, error) {
			return NewTable(cfg.Table, cfg.TableAbove, cfg.TableMix)
		},
		setting: func(c records.PacingConfig) string {
			if c.TableMix > 0 {
				return fmt.Sprintf("table=%s above=%s mix=%.4g", FormatTable(c.Table), FormatTable(c.TableAbove), c.TableMix)
			}
			return "table=" + FormatTable(c.Table)
		},
	},
	{Mode: records.ModePreview},
	{Mode: records.ModeAgentless},
}

// Modes returns every mode's description: those a comparison tunes first, in
// the order it reports them, then the others.
func Modes() []*ModeSpec { return append([]*ModeSpec(nil), modes...) }

// Spec returns the description of mode m; the empty mode is progressive.
func Spec(m records.PacingMode) (*ModeSpec, bool) {
	if m == "" {
		m = records.ModeProgressive
	}
	for _, s := range modes {
		if s.Mode == m {
			return s, true
		}
	}
	return nil, false
}

// TunedModes returns the modes a comparison tunes, in the order it reports them.
func TunedModes() []records.PacingMode {
	var out []records.PacingMode
	for _, s := range modes {
		if s.Tuned() {
			out = append(out, s.Mode)
		}
	}
	return out
}

// Setting names c's setting of its mode's knobs for reports: "4:5",
// "max_level=2.5 intensity=0", "abandon_target=0.02" (also for a mode
// without a setting of its own).
func Setting(c records.PacingConfig) string {
	if s, ok := Spec(c.Mode); ok && c.Mode != "" && s.setting != nil {
		return s.setting(c)
	}
	return fmt.Sprintf("abandon_target=%g", c.AbandonTarget)
}

// ModeNames joins the names of the modes that keep(spec) selects, "a, b or c".
func ModeNames(keep func(*ModeSpec) bool, or string) string {
	var names []string
	for _, s := range modes {
		if keep(s) {
			names = append(names, string(s.Mode))
		}
	}
	if len(names) < 2 || or == "" {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + or + " " + names[len(names)-1]
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

func sixDecimals(x float64) string { return strconv.FormatFloat(roundTo(x, 6), 'g', -1, 64) }

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

// numberValue parses a knob's value as a finite number.
func numberValue(v string) (KnobValue, error) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return KnobValue{}, fmt.Errorf("%q is not a number", v)
	}
	return KnobValue{X: x, Text: strconv.FormatFloat(x, 'g', -1, 64)}, nil
}

// fractionValue parses a knob's value as a number in (0, 1); why says
// what is wrong with one out of range.
func fractionValue(why string) func(string) (KnobValue, error) {
	return func(v string) (KnobValue, error) {
		k, err := numberValue(v)
		if err != nil {
			return k, err
		}
		if !(k.X > 0 && k.X < 1) {
			return KnobValue{}, fmt.Errorf(why, v)
		}
		return k, nil
	}
}

// parseRatioValue parses a taskscale "A:C", or C/A as a number with at most
// two decimals.
func parseRatioValue(v string) (KnobValue, error) {
	ratio := v
	if !strings.Contains(v, ":") {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return KnobValue{}, fmt.Errorf("%q is neither a taskscale \"A:C\" nor a number of calls per idle agent", v)
		}
		h := math.Round(100 * x)
		if math.Abs(100*x-h) > 1e-9 || h < 1 || h > 2000 {
			return KnobValue{}, fmt.Errorf("%q: give C/A with at most two decimals, from 0.01 to 20, or a taskscale \"A:C\"", v)
		}
		ratio = Taskscale(int(h))
	}
	a, c, err := ParseRatio(ratio)
	if err != nil {
		return KnobValue{}, fmt.Errorf("%q: %v", v, err)
	}
	return KnobValue{X: float64(c) / float64(a), Text: fmt.Sprintf("%d:%d", a, c)}, nil
}
