package sim

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
	"gopkg.in/yaml.v3"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/pacing"
	"github.com/outpace-dev/outpace/records"
)

// Scenario is a simulator scenario file (BENCHMARK.md): the team, the list, the
// outcome probabilities and timings, the handling times and the task settings.
// The YAML field names are a public contract.
type Scenario struct {
	Name     string        `yaml:"name" json:"name"`
	Seed     uint64        `yaml:"seed" json:"seed"`
	Duration time.Duration `yaml:"duration" json:"duration"`
	Warmup   time.Duration `yaml:"warmup" json:"warmup"`
	// Start is the simulated wall-clock start (time of day matters to pacers
	// such as VICIdial's TAPERED); default 2026-01-05 (a Monday) 08:45 UTC, so
	// that a 15 min warm-up ends at 09:00.
	Start time.Time `yaml:"start" json:"start"`

	Agents   AgentsSpec   `yaml:"agents" json:"agents"`
	List     ListSpec     `yaml:"list" json:"list"`
	Outcomes OutcomesSpec `yaml:"outcomes" json:"outcomes"`
	Timing   TimingSpec   `yaml:"timing" json:"timing"`
	Handling HandlingSpec `yaml:"handling" json:"handling"`
	Task     TaskSpec     `yaml:"task" json:"task"`
	Report   ReportSpec   `yaml:"report" json:"report"`
}

// AgentsSpec is the simulated team.
type AgentsSpec struct {
	Count       int            `yaml:"count" json:"count"`
	AnswerDelay Dist           `yaml:"answer_delay" json:"answer_delay"`
	Schedule    []ScheduleItem `yaml:"schedule" json:"schedule,omitempty"`
	// Strategy is the queue's ring strategy, 1–8 (default 1, longest idle).
	Strategy int `yaml:"strategy" json:"strategy,omitempty"`
}

// ScheduleItem changes staffing at a simulated time: Logout agents leave,
// Login agents arrive, Break agents go NotReady (rest break) for For.
type ScheduleItem struct {
	At     time.Duration `yaml:"at" json:"at"`
	Logout int           `yaml:"logout" json:"logout,omitempty"`
	Login  int           `yaml:"login" json:"login,omitempty"`
	Break  int           `yaml:"break" json:"break,omitempty"`
	For    time.Duration `yaml:"for" json:"for,omitempty"`
}

// ListSpec is the number list.
type ListSpec struct {
	// Size is the number of numbers; 0 means an endless list.
	Size int `yaml:"size" json:"size"`
}

// OutcomesSpec gives the probability of each outcome per dial attempt. Each may
// vary in time; at any moment the five are renormalised to sum to 1.
type OutcomesSpec struct {
	Live     Param `yaml:"live" json:"live"`
	Machine  Param `yaml:"machine" json:"machine"`
	NoAnswer Param `yaml:"no_answer" json:"no_answer"`
	Busy     Param `yaml:"busy" json:"busy"`
	Invalid  Param `yaml:"invalid" json:"invalid"`
}

// TimingSpec gives, per outcome, the time from dial to the moment the engine
// learns the outcome. No-answer always ends at the task's no-answer timeout.
type TimingSpec struct {
	Live    Dist `yaml:"live" json:"live"`
	Machine Dist `yaml:"machine" json:"machine"`
	Busy    Dist `yaml:"busy" json:"busy"`
	Invalid Dist `yaml:"invalid" json:"invalid"`
}

// HandlingSpec gives the talk and wrap-up time of each connected call.
type HandlingSpec struct {
	Talk Dist `yaml:"talk" json:"talk"`
	Wrap Dist `yaml:"wrap" json:"wrap"`
}

// TaskSpec holds the task settings a scenario controls.
type TaskSpec struct {
	NoAnswerTimeout  *time.Duration       `yaml:"no_answer_timeout" json:"no_answer_timeout,omitempty"`
	ConnectDeadline  *time.Duration       `yaml:"connect_deadline" json:"connect_deadline,omitempty"`
	MaxLinesPerAgent float64              `yaml:"max_lines_per_agent" json:"max_lines_per_agent"`
	Pacing           records.PacingConfig `yaml:"pacing" json:"pacing"`
	Retry            records.RetryPolicy  `yaml:"retry" json:"retry"`
}

// ReportSpec shapes the report.
type ReportSpec struct {
	// Slice is the width of the report's time slices (default 1 h).
	Slice time.Duration `yaml:"slice" json:"slice"`
}

// Point is one {at, value} point of a time-varying parameter.
type Point struct {
	At    time.Duration `yaml:"at" json:"at"`
	Value float64       `yaml:"value" json:"value"`
}

// Param is a number that may change during the run: a plain number, or a list
// of {at, value} points (a step function; before the first point, its value).
type Param struct {
	Points []Point
}

// UnmarshalYAML accepts a scalar or a list of points.
func (p *Param) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return fmt.Errorf("line %d: %q is not a number", n.Line, n.Value)
		}
		p.Points = []Point{{Value: v}}
		return nil
	}
	var pts []Point
	if err := n.Decode(&pts); err != nil {
		return err
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].At < pts[j].At })
	p.Points = pts
	return nil
}

// MarshalJSON writes a constant as a number and a schedule as its points.
func (p Param) MarshalJSON() ([]byte, error) {
	if len(p.Points) == 1 && p.Points[0].At == 0 {
		return []byte(strconv.FormatFloat(p.Points[0].Value, 'g', -1, 64)), nil
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, pt := range p.Points {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"at":%q,"value":%s}`, pt.At, strconv.FormatFloat(pt.Value, 'g', -1, 64))
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// At returns the value at simulated time t (since the start).
func (p *Param) At(t time.Duration) float64 {
	v := 0.0
	for i, pt := range p.Points {
		if i == 0 || pt.At <= t {
			v = pt.Value
		} else {
			break
		}
	}
	return v
}

// Const sets p to a constant.
func (p *Param) Const(v float64) { p.Points = []Point{{Value: v}} }

// Dist is a distribution of durations: constant {value}, exponential {mean},
// uniform {min, max}, lognormal {mean, cv}, gamma {mean, cv} or empirical
// {file} (one duration a line, e.g. "42s" or plain seconds "42").
type Dist struct {
	Kind  string        `yaml:"dist" json:"dist"`
	Value time.Duration `yaml:"value" json:"value,omitempty"`
	Mean  time.Duration `yaml:"mean" json:"mean,omitempty"`
	CV    float64       `yaml:"cv" json:"cv,omitempty"`
	Min   time.Duration `yaml:"min" json:"min,omitempty"`
	Max   time.Duration `yaml:"max" json:"max,omitempty"`
	File  string        `yaml:"file" json:"file,omitempty"`

	samples []float64 // empirical, in seconds
	mu, sd  float64   // lognormal parameters
	gamma   distuv.Gamma
}

// UnmarshalYAML also accepts a bare duration ("0s") as a constant.
func (d *Dist) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v, err := time.ParseDuration(n.Value)
		if err != nil {
			return fmt.Errorf("line %d: %q is not a duration or a distribution", n.Line, n.Value)
		}
		*d = Dist{Kind: "constant", Value: v}
		return nil
	}
	type plain Dist
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*d = Dist(p)
	return nil
}

// prepare reads d's file (empirical), validates d and precomputes its
// parameters. field names it in errors.
func (d *Dist) prepare(field string, fsys fs.FS) error {
	if d.Kind == "" {
		d.Kind = "constant"
	}
	if d.Kind == "empirical" {
		if err := d.load(field, fsys); err != nil {
			return err
		}
	}
	if err := d.check(field); err != nil {
		return err
	}
	switch d.Kind {
	case "lognormal":
		s2 := math.Log(1 + d.CV*d.CV)
		d.mu, d.sd = math.Log(d.Mean.Seconds())-s2/2, math.Sqrt(s2)
	case "gamma":
		k := 1 / (d.CV * d.CV)
		d.gamma = distuv.Gamma{Alpha: k, Beta: k / d.Mean.Seconds()}
	}
	return nil
}

// check validates d's numbers: every duration in [0, MaxDist], a mean
// above zero, a CV in (0, MaxCV].
func (d *Dist) check(field string) error {
	mean := func() error { return apierr.DurationRange(field+".mean", d.Mean, time.Nanosecond, MaxDist) }
	switch d.Kind {
	case "", "constant":
		return apierr.DurationRange(field+".value", d.Value, 0, MaxDist)
	case "exponential":
		return mean()
	case "uniform":
		if d.Min < 0 || d.Max < d.Min || d.Max > MaxDist {
			return apierr.Invalid(field, "want 0 ≤ min ≤ max ≤ %v, got min %v max %v", MaxDist, d.Min, d.Max)
		}
		return nil
	case "lognormal", "gamma":
		if err := mean(); err != nil {
			return err
		}
		if !(d.CV > 0 && d.CV <= MaxCV) {
			return apierr.Invalid(field+".cv", "must be in (0, %v], got %v", MaxCV, d.CV)
		}
		return nil
	case "empirical":
		if len(d.samples) == 0 {
			return apierr.Invalid(field+".file", "%s holds no durations", d.File)
		}
		return nil
	}
	return apierr.Invalid(field+".dist", "unknown distribution %q (want constant, exponential, uniform, lognormal, gamma or empirical)", d.Kind)
}

// load reads the durations of an empirical distribution, each in
// [0, MaxDist].
func (d *Dist) load(field string, fsys fs.FS) error {
	if d.File == "" {
		return apierr.Invalid(field+".file", "must name a file of durations")
	}
	if fsys == nil {
		return apierr.Invalid(field+".file", "no directory to read %q from", d.File)
	}
	data, err := fs.ReadFile(fsys, d.File)
	if err != nil {
		return apierr.Invalid(field+".file", "%v", err)
	}
	d.samples = d.samples[:0]
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			dd, err2 := time.ParseDuration(s)
			if err2 != nil {
				return apierr.Invalid(field+".file", "%s line %d: %q is not a duration", d.File, line, s)
			}
			v = dd.Seconds()
		}
		if !(v >= 0 && v <= MaxDist.Seconds()) {
			return apierr.Invalid(field+".file", "%s line %d: %q is not a duration from 0 to %v", d.File, line, s, MaxDist)
		}
		d.samples = append(d.samples, v)
	}
	if len(d.samples) == 0 {
		return apierr.Invalid(field+".file", "%s holds no durations", d.File)
	}
	return nil
}

// Sample draws one duration.
func (d *Dist) Sample(r *rand.Rand) time.Duration {
	var s float64
	switch d.Kind {
	case "constant":
		return d.Value
	case "exponential":
		s = r.ExpFloat64() * d.Mean.Seconds()
	case "uniform":
		return d.Min + time.Duration(r.Float64()*float64(d.Max-d.Min))
	case "lognormal":
		s = math.Exp(d.mu + d.sd*r.NormFloat64())
	case "gamma":
		g := d.gamma
		g.Src = r
		s = g.Rand()
	case "empirical":
		s = d.samples[r.IntN(len(d.samples))]
	}
	// A draw from far in a heavy tail must not overflow a Duration.
	return time.Duration(min(s, MaxDuration.Seconds()) * float64(time.Second))
}

// MeanSeconds returns the distribution's mean in seconds.
func (d *Dist) MeanSeconds() float64 {
	switch d.Kind {
	case "constant":
		return d.Value.Seconds()
	case "uniform":
		return (d.Min + d.Max).Seconds() / 2
	case "empirical":
		s := 0.0
		for _, v := range d.samples {
			s += v
		}
		return s / float64(len(d.samples))
	}
	return d.Mean.Seconds()
}

// Defaults of a scenario.
var (
	DefaultStart = time.Date(2026, 1, 5, 8, 45, 0, 0, time.UTC)
)

// ParseScenario reads a scenario from YAML, applies the --set overrides
// ("path=value", e.g. "task.pacing.mode=vicidial", "seed=7") and validates it.
// fsys resolves empirical distribution files; it may be nil.
func ParseScenario(data []byte, sets []string, fsys fs.FS) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, apierr.Invalid("scenario", "%v", err)
	}
	if root.Kind == 0 {
		root = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	for _, s := range sets {
		if err := applySet(&root, s); err != nil {
			return nil, err
		}
	}
	var sc Scenario
	dec := yaml.Node(root)
	if err := decodeStrict(&dec, &sc); err != nil {
		var ae *apierr.Error
		if errors.As(err, &ae) {
			return nil, err
		}
		return nil, apierr.Invalid("scenario", "%v", err)
	}
	if err := sc.normalize(fsys); err != nil {
		return nil, err
	}
	return &sc, nil
}

// decodeStrict decodes n into v, refusing unknown fields. A field of the
// wrong type or an unknown one is reported by its path in the scenario
// (apierr.Invalid), not by a line of the document the overrides rewrote.
func decodeStrict(n *yaml.Node, v any) error {
	blockStyle(n) // one key a line, so that a line names a field
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(n); err != nil {
		return err
	}
	text := buf.Bytes()
	d := yaml.NewDecoder(bytes.NewReader(text))
	d.KnownFields(true)
	err := d.Decode(v)
	if err == nil {
		return nil
	}
	// The decoder's type errors and our unmarshalers' both read
	// "line N: what is wrong".
	first, more := err.Error(), 0
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		first, more = te.Errors[0], len(te.Errors)-1
	}
	var line int
	if _, scanErr := fmt.Sscanf(first, "line %d:", &line); scanErr != nil {
		return err
	}
	var doc yaml.Node
	if yaml.Unmarshal(text, &doc) != nil {
		return err
	}
	_, msg, _ := strings.Cut(first, ": ")
	if strings.Contains(msg, "time.Duration") {
		msg += " (write a duration such as 45s, 5m or 1h30m)"
	}
	if more > 0 {
		msg += fmt.Sprintf(" (and %d more)", more)
	}
	path := pathAtLine(&doc, line, "")
	if path == "" {
		path = "scenario"
	}
	return apierr.Invalid(path, "%s", msg)
}

// blockStyle turns the flow mappings and sequences under n into blocks.
func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style &^= yaml.FlowStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// pathAtLine returns the dotted path of the mapping key at line, or of the
// key whose value starts there, in the document under n.
func pathAtLine(n *yaml.Node, line int, prefix string) string {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if p := pathAtLine(c, line, prefix); p != "" {
				return p
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			if k.Line == line || (v.Kind == yaml.ScalarNode && v.Line == line) {
				return path
			}
			if p := pathAtLine(v, line, path); p != "" {
				return p
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if p := pathAtLine(c, line, fmt.Sprintf("%s[%d]", prefix, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// applySet sets one "a.b.c=value" path in a YAML document, creating mappings
// as needed. The value is parsed as YAML, so "0.3", "1:3" and "{dist: exponential, mean: 15s}" all work.
func applySet(root *yaml.Node, set string) error {
	path, value, ok := strings.Cut(set, "=")
	if !ok || path == "" {
		return apierr.Invalid("set", "want path=value, got %q", set)
	}
	var val yaml.Node
	if err := yaml.Unmarshal([]byte(value), &val); err != nil {
		return apierr.Invalid("set", "%s: %v", path, err)
	}
	var vnode *yaml.Node
	if val.Kind == yaml.DocumentNode && len(val.Content) == 1 {
		vnode = val.Content[0]
	} else {
		vnode = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	}
	n := root
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	keys := strings.Split(path, ".")
	for i, k := range keys {
		if n.Kind != yaml.MappingNode {
			return apierr.Invalid("set", "%s: %s is not a mapping", path, strings.Join(keys[:i], "."))
		}
		var child *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == k {
				child = n.Content[j+1]
				if i == len(keys)-1 {
					n.Content[j+1] = vnode
				}
				break
			}
		}
		if i == len(keys)-1 {
			if child == nil {
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, vnode)
			}
			return nil
		}
		if child == nil || child.Kind != yaml.MappingNode {
			child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			replaced := false
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == k {
					n.Content[j+1] = child
					replaced = true
				}
			}
			if !replaced {
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, child)
			}
		}
		n = child
	}
	return nil
}

// Bounds of a scenario's numbers: beyond them a scenario is a mistake (a
// typo, a unit missed), and would run out of memory or time before it said so.
const (
	// MaxAgents is the largest team.
	MaxAgents = 100_000
	// MaxDuration bounds the simulated time (duration, warmup), and any time
	// in it.
	MaxDuration = 366 * 24 * time.Hour
	// MaxSlices bounds the number of report slices of a run.
	MaxSlices = 10_000
	// MaxListSize bounds list.size.
	MaxListSize = 1_000_000_000
	// MaxDist bounds every duration a distribution gives: a ring, a talk or
	// a wrap-up time of more than a day is a mistake.
	MaxDist = 24 * time.Hour
	// MaxCV bounds the coefficient of variation of the lognormal and gamma
	// distributions; beyond it nearly every draw is close to zero and a
	// rare one is huge.
	MaxCV = 10.0
	// MaxAttempts bounds the attempts of a retry rule.
	MaxAttempts = 1000
	// MinRing is the least mean of the timing distributions and the least
	// task.no_answer_timeout: calls that end as soon as they are placed
	// would be dialled again at the same instant, without end.
	MinRing = 100 * time.Millisecond
)

func (sc *Scenario) normalize(fsys fs.FS) error {
	if sc.Name == "" {
		sc.Name = "unnamed"
	}
	if sc.Duration == 0 {
		sc.Duration = 8 * time.Hour
	}
	if sc.Start.IsZero() {
		sc.Start = DefaultStart
	}
	o := &sc.Outcomes
	if len(o.Live.Points)+len(o.Machine.Points)+len(o.NoAnswer.Points)+len(o.Busy.Points)+len(o.Invalid.Points) == 0 {
		return apierr.Invalid("outcomes", "give at least one outcome probability")
	}
	for _, p := range []*Param{&o.Live, &o.Machine, &o.NoAnswer, &o.Busy, &o.Invalid} {
		if len(p.Points) == 0 {
			p.Const(0)
		}
	}
	t := &sc.Task
	if t.NoAnswerTimeout == nil {
		d := records.DefaultNoAnswerTimeout
		t.NoAnswerTimeout = &d
	}
	if t.ConnectDeadline == nil {
		d := records.DefaultConnectDeadline
		t.ConnectDeadline = &d
	}
	if t.MaxLinesPerAgent == 0 {
		t.MaxLinesPerAgent = records.DefaultMaxLinesPerAgent
	}
	if t.Pacing.Mode == "" {
		t.Pacing.Mode = records.ModeProgressive
	}
	if t.Pacing.AbandonTarget == 0 {
		t.Pacing.AbandonTarget = pacing.DefaultAbandonTarget
	}
	for _, x := range sc.dists() {
		if x.d.Kind == "" && x.d.Value == 0 && x.d.Mean == 0 && x.d.Max == 0 && x.d.File == "" {
			*x.d = x.def
		}
		if err := x.d.prepare(x.name, fsys); err != nil {
			return err
		}
	}
	if sc.Report.Slice == 0 {
		sc.Report.Slice = time.Hour
	}
	return sc.Validate()
}

// namedDist is one of a scenario's distributions, with its path in the
// scenario and its default.
type namedDist struct {
	name string
	d    *Dist
	def  Dist
}

// dists returns the scenario's distributions.
func (sc *Scenario) dists() []namedDist {
	return []namedDist{
		{"agents.answer_delay", &sc.Agents.AnswerDelay, Dist{Kind: "constant"}},
		{"timing.live", &sc.Timing.Live, Dist{Kind: "lognormal", Mean: 8 * time.Second, CV: 0.5}},
		{"timing.machine", &sc.Timing.Machine, Dist{Kind: "uniform", Min: 17500 * time.Millisecond, Max: 23500 * time.Millisecond}},
		{"timing.busy", &sc.Timing.Busy, Dist{Kind: "constant", Value: 3 * time.Second}},
		{"timing.invalid", &sc.Timing.Invalid, Dist{Kind: "constant", Value: 2 * time.Second}},
		{"handling.talk", &sc.Handling.Talk, Dist{Kind: "lognormal", Mean: 150 * time.Second, CV: 1}},
		{"handling.wrap", &sc.Handling.Wrap, Dist{Kind: "constant"}},
	}
}

// Validate checks every number of a scenario whose defaults are filled in
// (ParseScenario returns such a scenario, and New checks it again): NaN,
// infinities, negative durations and sizes beyond the Max bounds are
// errors naming the field and the range it accepts.
func (sc *Scenario) Validate() error {
	a := &sc.Agents
	if err := apierr.First(
		apierr.DurationRange("duration", sc.Duration, time.Nanosecond, MaxDuration),
		apierr.DurationRange("warmup", sc.Warmup, 0, MaxDuration),
		apierr.IntRange("agents.count", a.Count, 1, MaxAgents),
		apierr.IntRange("agents.strategy", a.Strategy, 0, 8),
		apierr.IntRange("list.size", sc.List.Size, 0, MaxListSize),
	); err != nil {
		return err
	}
	for i, it := range a.Schedule {
		f := fmt.Sprintf("agents.schedule[%d]", i)
		if err := apierr.First(
			apierr.DurationRange(f+".at", it.At, 0, MaxDuration),
			apierr.IntRange(f+".logout", it.Logout, 0, MaxAgents),
			apierr.IntRange(f+".login", it.Login, 0, MaxAgents),
			apierr.IntRange(f+".break", it.Break, 0, MaxAgents),
			apierr.DurationRange(f+".for", it.For, 0, MaxDuration),
		); err != nil {
			return err
		}
		if it.Break > 0 && it.For == 0 {
			return apierr.Invalid(f+".for", "a break needs a length")
		}
	}
	if err := sc.Outcomes.validate(); err != nil {
		return err
	}
	for _, x := range sc.dists() {
		if err := x.d.check(x.name); err != nil {
			return err
		}
		if strings.HasPrefix(x.name, "timing.") && x.d.MeanSeconds() < MinRing.Seconds() {
			return apierr.Invalid(x.name, "must have a mean of at least %v, got %.3gs", MinRing, x.d.MeanSeconds())
		}
	}
	t := &sc.Task
	if t.NoAnswerTimeout == nil || t.ConnectDeadline == nil {
		return apierr.Invalid("task", "no_answer_timeout and connect_deadline must be filled in")
	}
	if err := apierr.First(
		apierr.DurationRange("task.no_answer_timeout", *t.NoAnswerTimeout, MinRing, MaxDuration),
		apierr.DurationRange("task.connect_deadline", *t.ConnectDeadline, 0, MaxDuration),
		apierr.Range("task.max_lines_per_agent", t.MaxLinesPerAgent, 1, 50),
	); err != nil {
		return err
	}
	r := &t.Retry
	for _, x := range []struct {
		name string
		r    records.RetryRule
	}{{"busy", r.Busy}, {"no_answer", r.NoAnswer}, {"machine", r.Machine}, {"failed", r.Failed}, {"abandoned", r.Abandoned}} {
		if err := apierr.First(
			apierr.IntRange("task.retry."+x.name+".max_attempts", x.r.MaxAttempts, 0, MaxAttempts),
			apierr.DurationRange("task.retry."+x.name+".delay", x.r.Delay, 0, MaxDuration),
		); err != nil {
			return err
		}
	}
	if _, err := pacing.New(t.Pacing, nil); err != nil {
		var ae *apierr.Error
		if errors.As(err, &ae) && !strings.HasPrefix(ae.Field, "task.") {
			ae.Field = "task." + ae.Field
		}
		return err
	}
	if sc.Report.Slice <= 0 {
		return apierr.Invalid("report.slice", "must be positive, got %v", sc.Report.Slice)
	}
	if n := sc.Duration / sc.Report.Slice; n > MaxSlices {
		return apierr.Invalid("report.slice", "%v cuts the %v run into %d slices, at most %d: give at least %v",
			sc.Report.Slice, sc.Duration, n, MaxSlices, (sc.Duration+MaxSlices-1)/MaxSlices)
	}
	return nil
}

// validate checks the outcome probabilities: each in [0, 1], summing to 1
// at the start and to more than 0 at every change (they are renormalised).
func (o *OutcomesSpec) validate() error {
	params := []struct {
		name string
		p    *Param
	}{{"live", &o.Live}, {"machine", &o.Machine}, {"no_answer", &o.NoAnswer}, {"busy", &o.Busy}, {"invalid", &o.Invalid}}
	changes := []time.Duration{0}
	for _, p := range params {
		if len(p.p.Points) == 0 {
			return apierr.Invalid("outcomes."+p.name, "no probability given")
		}
		for i, pt := range p.p.Points {
			if !(pt.Value >= 0 && pt.Value <= 1) {
				return apierr.Invalid("outcomes."+p.name, "probability %v is outside [0, 1]", pt.Value)
			}
			if err := apierr.DurationRange(fmt.Sprintf("outcomes.%s[%d].at", p.name, i), pt.At, 0, MaxDuration); err != nil {
				return err
			}
			changes = append(changes, pt.At)
		}
	}
	sum := func(t time.Duration) float64 {
		return o.Live.At(t) + o.Machine.At(t) + o.NoAnswer.At(t) + o.Busy.At(t) + o.Invalid.At(t)
	}
	if s := sum(0); !(math.Abs(s-1) <= 1e-3) {
		return apierr.Invalid("outcomes", "probabilities sum to %v, want 1", s)
	}
	for _, t := range changes {
		if !(sum(t) > 0) {
			return apierr.Invalid("outcomes", "probabilities sum to 0 at %v: at least one outcome must be possible", t)
		}
	}
	return nil
}
