package records

import (
	"math"
	"strings"
	"time"

	"github.com/outpace-dev/outpace/apierr"
)

// PacingMode names a pacing mode as written in a scenario or task.
type PacingMode string

// Pacing modes.
const (
	ModePreview     PacingMode = "preview"
	ModeProgressive PacingMode = "progressive"
	ModeRatio       PacingMode = "ratio"
	ModePredictive  PacingMode = "predictive"
	ModeAgentless   PacingMode = "agentless"
	ModeVicidial    PacingMode = "vicidial"
	ModeIssabel     PacingMode = "issabel"
	ModeClosedForm  PacingMode = "closedform"
	ModeTable       PacingMode = "table"
)

// PacingConfig selects a pacing mode and holds every mode's settings. It is
// what a task or a scenario's `task.pacing` block says; zero values mean
// defaults. Package pacing builds the pacer it selects (pacing.New); the
// names in parentheses in the comments of these configurations are those of
// pacing's implementation.
type PacingConfig struct {
	Mode          PacingMode `yaml:"mode" json:"mode"`
	AbandonTarget float64    `yaml:"abandon_target" json:"abandon_target"`
	// Ratio is the taskscale "A:C": C calls in flight per A idle agents.
	Ratio string `yaml:"ratio" json:"ratio,omitempty"`
	// Table is the table mode's calls to keep in flight with 0, 1, 2, …
	// agents busy, the last entry holding for more (pacing.Table).
	Table []int `yaml:"table" json:"table,omitempty"`
	// TableAbove and TableMix let the table mode share its time with a
	// second table, as the optimum of a Markov twin does when the cap falls
	// between two of its policies: TableMix (a share in [0, 1]) of every
	// pacing.TableMixPeriod is spent on TableAbove, the rest on Table.
	TableAbove []int   `yaml:"table_above" json:"table_above,omitempty"`
	TableMix   float64 `yaml:"table_mix" json:"table_mix,omitempty"`

	Predictive PredictiveConfig `yaml:"predictive" json:"predictive"`
	Vicidial   VicidialConfig   `yaml:"vicidial" json:"vicidial"`
	Issabel    IssabelConfig    `yaml:"issabel" json:"issabel"`
	ClosedForm ClosedFormConfig `yaml:"closedform" json:"closedform"`
}

// PredictiveConfig holds the predictive pacer's knobs. Zero values mean the
// defaults given with each field; the abandon target itself is the task's.
type PredictiveConfig struct {
	// MarginZ sizes the slack the outer loop keeps in hand, in standard
	// errors of the abandon count it reacts to: it holds the window's slack
	// (the abandons the window can still take before its rate reaches the
	// cap) at Reserve + MarginZ·σ, σ being the spread of the abandons
	// expected at the cap in FeedbackTime, E. At the end of a known day σ
	// follows the team's bursts of abandons, √(max(E, c)·c/3.5) with c the
	// mean burst (burstSpread): a smaller team's abandons come in smaller
	// bursts, so it keeps √E from 35 agents up and 62 % of that on five.
	// When the end of the day is not known, σ = √E with E at least 3. A
	// 5-agent team, which expects about 1.6 abandons in 30 minutes, keeps
	// about 3 in hand at the end of its day (0.35 % of its day's live
	// answers); a 300-agent floor keeps about 19 (under 0.1 %). Default 2.5;
	// negative means none.
	MarginZ float64 `yaml:"margin_z" json:"margin_z,omitempty"`
	// CapMargin lowers the cap the pacer works against to target × (1 −
	// CapMargin), so that the rate also holds over spans a little different
	// from the engine's window (a report that leaves out the first
	// minutes). Default 0.03.
	CapMargin float64 `yaml:"cap_margin" json:"cap_margin,omitempty"`
	// Reserve is the slack, in abandons, below which the pacer falls back to
	// progressive dialing until the rate is back under the cap. The slack
	// already counts the abandons expected from the calls in flight.
	// Default 1.
	Reserve float64 `yaml:"reserve" json:"reserve,omitempty"`
	// Taper eases the pacer into the fallback: once the slack is below
	// Reserve + Taper × (setpoint − Reserve), θ is scaled by the share of
	// that span the slack still holds above Reserve, so that it falls to
	// nothing as the slack reaches Reserve instead of dropping from full
	// pace to progressive dialing. On a large floor with a low hit rate a
	// few minutes of progressive dialing cost more occupancy than the
	// taper's lower θ near the reserve. Default 0.25; negative means none.
	Taper float64 `yaml:"taper" json:"taper,omitempty"`
	// FeedbackTime is the time constant of the outer loop: a slack error of
	// E abandons (those expected in FeedbackTime) moves θ by a factor e at
	// once, and its integral, which learns where θ must rest, over twice
	// that time at first, then over the time the pacer has run, up to 16
	// times FeedbackTime (integralTime). Default 30m.
	FeedbackTime time.Duration `yaml:"feedback_time" json:"feedback_time,omitempty"`
	// InitialRisk is the risk threshold θ to start from, as a multiple of the
	// target; the outer loop then learns θ. Default 1.6.
	InitialRisk float64 `yaml:"initial_risk" json:"initial_risk,omitempty"`
	// OutcomeMemory is how many recent dial outcomes the answer probability
	// and the ring-time distributions remember; OutcomeTime makes older ones
	// fade within about that time even on a quiet task. A long memory gives
	// precise estimates on a large floor, where 1000 outcomes are three
	// minutes of dialing; a change of hit rate is still followed at once,
	// since a twentieth of the memory watches for it and the estimates start
	// again from that short memory when the two disagree (noticeChange).
	// Defaults 10000, 30m.
	OutcomeMemory int           `yaml:"outcome_memory" json:"outcome_memory,omitempty"`
	OutcomeTime   time.Duration `yaml:"outcome_time" json:"outcome_time,omitempty"`
	// HandlingMemory and HandlingTime do the same for talk and wrap times.
	// Defaults 2000, 1h.
	HandlingMemory int           `yaml:"handling_memory" json:"handling_memory,omitempty"`
	HandlingTime   time.Duration `yaml:"handling_time" json:"handling_time,omitempty"`
	// MinHistory is the number of dial outcomes needed before leaving
	// progressive dialing (and MinHistory/10 of them live). Default 30.
	MinHistory int `yaml:"min_history" json:"min_history,omitempty"`
	// Ramp is the number of live answers (since the task started) over which
	// the risk threshold grows from nothing to its full value, and at most a
	// quarter of those a known day will bring (rampLength), so that a small
	// team on a short day is not held back for most of it. Default 100.
	Ramp int `yaml:"ramp" json:"ramp,omitempty"`
	// Tick is how often the pacer asks to decide again when nothing happens:
	// time alone changes the forecast (ringing calls age, agents near the end
	// of their wrap-up). Default 500ms.
	Tick time.Duration `yaml:"tick" json:"tick,omitempty"`
	// React is how far ahead the calls still to be placed count as
	// competing with a new call: at the current dial rate, a call placed s
	// seconds from now that answers first weighs e^(−s/React), since calls
	// placed later are placed knowing of this one. Default 16s.
	React time.Duration `yaml:"react" json:"react,omitempty"`
	// ReactAgents is the team size from which React applies in full; on a
	// smaller team (agents idle or busy) the reach shrinks in proportion,
	// and the outer loop's starting θ moves with it from InitialRisk down to
	// a third of it. On a large floor many calls are placed in the seconds before a
	// new call answers, and they do compete with it; on a small team the
	// next calls are few, each placed knowing of this one, and counting
	// them again only holds the team back. Default 100.
	ReactAgents int `yaml:"react_agents" json:"react_agents,omitempty"`
	// Refresh is how often at most the distribution tables are rebuilt from
	// the estimators. Default 1s.
	Refresh time.Duration `yaml:"refresh" json:"refresh,omitempty"`
	// YoungWindow is how long the abandon window stays young when the
	// snapshot says when the task stops dialing for the day (DialUntil). A
	// young window holds fewer live answers than YoungWindow brings at the
	// current rate, or than the rest of the day will bring, if fewer: with
	// the default, a young window is a day that has not ended. While it is
	// young the outer loop saves its margin in step with the live answers
	// instead of before spending anything (the setpoint grows in proportion
	// to them, reaching the whole margin as the day ends), so that the day
	// spends its budget evenly, and the fallback counts the window as
	// already holding the live answers of 1.5 × YoungWindow (youngCredit),
	// or of the whole day if fewer: the first few abandons of a day do not
	// put its rate at the cap, only the day's own budget does. That credit
	// fades as the window fills from YoungWindow's live answers to it.
	// Without a known end of the day the window is never young, since a task
	// that may stop at any moment must keep its margin from the first call.
	// Default 24h; negative means never young.
	YoungWindow time.Duration `yaml:"young_window" json:"young_window,omitempty"`
	// Pool weighs each call's risk against its benefit: θ applies in full
	// while the agents idle now (or free within the connect deadline, less
	// the customers waiting) number at least the live answers expected in
	// Pool mean live-answer times, and in proportion to them below, down to
	// nothing with no agent to serve. A call placed while one agent is idle
	// fills an agent the calls already ringing would fill within a second or
	// two on a large floor: it buys little and risks as much as any. On a
	// team that expects fewer than one live answer in that time the pool is
	// one agent, and θ is cut only while none is free. Default 0.75;
	// negative means none.
	Pool float64 `yaml:"pool" json:"pool,omitempty"`
	// FixedRisk, when above zero, holds θ at FixedRisk × target after the
	// ramp and switches the outer loop off, fallback included: the window's
	// rate is then not held. It is a measuring knob, for tracing what the
	// forecast alone gives at each risk (docs/decisions/0001), not
	// for production. Default 0 (off).
	FixedRisk float64 `yaml:"fixed_risk" json:"fixed_risk,omitempty"`
}

// maxMemory bounds OutcomeMemory and HandlingMemory: the estimators keep
// that many observations.
const maxMemory = 1_000_000

// WithDefaults returns the configuration with every knob left out set to
// its default, and an error naming the first knob out of its range (the
// defaults are filled in either way).
func (c PredictiveConfig) WithDefaults() (PredictiveConfig, error) {
	orDefault(&c.MarginZ, 2.5)
	c.MarginZ = max(c.MarginZ, 0)
	orDefault(&c.CapMargin, 0.03)
	orDefault(&c.Reserve, 1)
	orDefault(&c.Taper, 0.25)
	c.Taper = max(c.Taper, 0)
	orDefault(&c.FeedbackTime, 30*time.Minute)
	orDefault(&c.InitialRisk, 1.6)
	orDefault(&c.OutcomeMemory, 10000)
	orDefault(&c.OutcomeTime, 30*time.Minute)
	orDefault(&c.HandlingMemory, 2000)
	orDefault(&c.HandlingTime, time.Hour)
	orDefault(&c.MinHistory, 30)
	orDefault(&c.Ramp, 100)
	orDefault(&c.Tick, 500*time.Millisecond)
	orDefault(&c.React, 16*time.Second)
	orDefault(&c.ReactAgents, 100)
	orDefault(&c.Refresh, time.Second)
	orDefault(&c.Pool, 0.75)
	c.Pool = max(c.Pool, 0)
	orDefault(&c.YoungWindow, 24*time.Hour)
	if err := apierr.First(
		apierr.Finite("pacing.predictive.margin_z", c.MarginZ),
		apierr.Finite("pacing.predictive.cap_margin", c.CapMargin),
		apierr.Finite("pacing.predictive.reserve", c.Reserve),
		apierr.Finite("pacing.predictive.taper", c.Taper),
		apierr.Finite("pacing.predictive.initial_risk", c.InitialRisk),
		apierr.Finite("pacing.predictive.pool", c.Pool),
		apierr.Finite("pacing.predictive.fixed_risk", c.FixedRisk),
		apierr.IntRange("pacing.predictive.outcome_memory", c.OutcomeMemory, 0, maxMemory),
		apierr.IntRange("pacing.predictive.handling_memory", c.HandlingMemory, 0, maxMemory),
	); err != nil {
		return c, err
	}
	switch {
	case c.CapMargin < 0 || c.CapMargin >= 1:
		return c, apierr.Invalid("pacing.predictive.cap_margin", "must be in [0, 1), got %v", c.CapMargin)
	case c.Reserve < 0:
		return c, apierr.Invalid("pacing.predictive.reserve", "must be ≥ 0, got %v", c.Reserve)
	case c.FeedbackTime < 0:
		return c, apierr.Invalid("pacing.predictive.feedback_time", "must be ≥ 0, got %v", c.FeedbackTime)
	case c.InitialRisk <= 0:
		return c, apierr.Invalid("pacing.predictive.initial_risk", "must be > 0, got %v", c.InitialRisk)
	case c.OutcomeMemory < 10 || c.HandlingMemory < 10:
		return c, apierr.Invalid("pacing.predictive", "outcome_memory and handling_memory must be at least 10")
	case c.OutcomeTime < 0 || c.HandlingTime < 0:
		return c, apierr.Invalid("pacing.predictive", "outcome_time and handling_time must be ≥ 0")
	case c.MinHistory < 0 || c.Ramp < 0:
		return c, apierr.Invalid("pacing.predictive", "min_history and ramp must be ≥ 0")
	case c.FixedRisk < 0:
		return c, apierr.Invalid("pacing.predictive.fixed_risk", "must be ≥ 0, got %v", c.FixedRisk)
	case c.Tick < time.Millisecond:
		return c, apierr.Invalid("pacing.predictive.tick", "must be at least 1ms, got %v", c.Tick)
	case c.Refresh < 0 || c.React < 0:
		return c, apierr.Invalid("pacing.predictive", "refresh and react must be ≥ 0")
	case c.Taper > 1:
		return c, apierr.Invalid("pacing.predictive.taper", "must be at most 1 (negative for none), got %v", c.Taper)
	case c.ReactAgents < 0:
		return c, apierr.Invalid("pacing.predictive.react_agents", "must be ≥ 0, got %d", c.ReactAgents)
	}
	return c, nil
}

// VICIdial adaptive methods: what the adapt loop does to the dial level once
// the day's drop percentage is over the limit.
const (
	VicidialHardLimit = "ADAPT_HARD_LIMIT" // drop to level 1.0
	VicidialTapered   = "ADAPT_TAPERED"    // scale by the time left before the latest hour
	VicidialAverage   = "ADAPT_AVERAGE"    // halve the level
)

// VicidialConfig holds the VICIdial baseline's knobs. Zero values mean the
// defaults given on each field.
type VicidialConfig struct {
	// Method is ADAPT_HARD_LIMIT (the default), ADAPT_TAPERED or ADAPT_AVERAGE.
	Method string `yaml:"method" json:"method,omitempty"`
	// MaxLevel caps the dial level (default 3.0, at most 20).
	MaxLevel float64 `yaml:"max_level" json:"max_level,omitempty"`
	// Intensity skews the adapt step, −40 to +40 (default 0): positive values
	// raise the level faster and lower it slower.
	Intensity int `yaml:"intensity" json:"intensity,omitempty"`
	// DiffTarget is added to avg(ready) − avg(waiting) (default 0).
	DiffTarget float64 `yaml:"diff_target" json:"diff_target,omitempty"`
	// DropLimit is the day's drop fraction above which the method acts
	// (default 0.03).
	DropLimit float64 `yaml:"drop_limit" json:"drop_limit,omitempty"`
	// DropAfter is VICIdial's drop_call_seconds: a live answer that waited
	// this long for an agent counts as a drop. Zero means the task's connect
	// deadline: then exactly the abandoned live answers are drops.
	DropAfter time.Duration `yaml:"drop_seconds" json:"drop_seconds,omitempty"`
	// AvailableOnly tallies Ready agents only instead of Ready and in-call.
	AvailableOnly bool `yaml:"available_only" json:"available_only,omitempty"`
	// LatestHHMM is the latest hour of the TAPERED method, as HHMM (default 2100).
	LatestHHMM int `yaml:"latest_hhmm" json:"latest_hhmm,omitempty"`
	// StartLevel is the dial level at start (default 1.0, at most MaxLevel).
	StartLevel float64 `yaml:"start_level" json:"start_level,omitempty"`
}

// WithDefaults returns the configuration with every knob left out set to
// its default, and an error naming the first knob out of its range (the
// defaults are filled in either way).
func (c VicidialConfig) WithDefaults() (VicidialConfig, error) {
	c.Method = strings.ToUpper(strings.TrimSpace(c.Method))
	if c.Method == "" {
		c.Method = VicidialHardLimit
	}
	orDefault(&c.MaxLevel, 3.0)
	orDefault(&c.DropLimit, 0.03)
	orDefault(&c.LatestHHMM, 2100)
	orDefault(&c.StartLevel, 1.0)
	switch {
	case c.Method != VicidialHardLimit && c.Method != VicidialTapered && c.Method != VicidialAverage:
		return c, apierr.Invalid("pacing.vicidial.method", "want ADAPT_HARD_LIMIT, ADAPT_TAPERED or ADAPT_AVERAGE, got %q", c.Method)
	case !(c.MaxLevel >= 1 && c.MaxLevel <= 20):
		return c, apierr.Invalid("pacing.vicidial.max_level", "must be between 1 and 20, got %v", c.MaxLevel)
	case c.Intensity < -40 || c.Intensity > 40:
		return c, apierr.Invalid("pacing.vicidial.intensity", "must be between -40 and 40, got %d", c.Intensity)
	case math.IsNaN(c.DiffTarget) || math.IsInf(c.DiffTarget, 0):
		return c, apierr.Invalid("pacing.vicidial.diff_target", "must be a finite number, got %v", c.DiffTarget)
	case !(c.DropLimit > 0 && c.DropLimit < 1):
		return c, apierr.Invalid("pacing.vicidial.drop_limit", "must be a fraction in (0, 1), got %v", c.DropLimit)
	case c.DropAfter < 0:
		return c, apierr.Invalid("pacing.vicidial.drop_seconds", "must not be negative, got %v", c.DropAfter)
	case c.LatestHHMM < 0 || c.LatestHHMM > 2359 || c.LatestHHMM%100 > 59:
		return c, apierr.Invalid("pacing.vicidial.latest_hhmm", "must be a time of day HHMM from 0001 to 2359, got %d", c.LatestHHMM)
	case !(c.StartLevel >= 1 && c.StartLevel <= c.MaxLevel):
		return c, apierr.Invalid("pacing.vicidial.start_level", "must be between 1 and max_level %v, got %v", c.MaxLevel, c.StartLevel)
	}
	return c, nil
}

// IssabelConfig holds the Issabel baseline's knobs. Zero values mean the
// defaults given on each field.
type IssabelConfig struct {
	// Overcommit divides the calls wanted by the answer ratio of the last
	// 30 minutes (floored at 0.2). Off by default, as in Issabel.
	Overcommit bool `yaml:"overcommit" json:"overcommit,omitempty"`
	// Threshold is the probability that a busy agent's call has ended by
	// the time a new call is answered above which the agent counts as about
	// to be free (default 0.97).
	Threshold float64 `yaml:"threshold" json:"threshold,omitempty"`
	// MinCalls is the number of completed calls before the about-to-free rule
	// applies (default 10).
	MinCalls int `yaml:"min_calls" json:"min_calls,omitempty"`
	// Period is the dialer loop period (default 5 s).
	Period time.Duration `yaml:"period" json:"period,omitempty"`
}

// WithDefaults returns the configuration with every knob left out set to
// its default, and an error naming the first knob out of its range (the
// defaults are filled in either way).
func (c IssabelConfig) WithDefaults() (IssabelConfig, error) {
	orDefault(&c.Threshold, 0.97)
	orDefault(&c.MinCalls, 10)
	orDefault(&c.Period, 5*time.Second)
	switch {
	case !(c.Threshold > 0 && c.Threshold < 1):
		return c, apierr.Invalid("pacing.issabel.threshold", "must be a probability in (0, 1), got %v", c.Threshold)
	case c.MinCalls < 0:
		return c, apierr.Invalid("pacing.issabel.min_calls", "must not be negative, got %d", c.MinCalls)
	case c.Period < 10*time.Millisecond || c.Period > time.Minute:
		return c, apierr.Invalid("pacing.issabel.period", "must be between 10ms and 1m, got %v", c.Period)
	}
	return c, nil
}

// ClosedFormMinContact floors the closed-form baseline's measured answer
// ratio so that a run of unanswered calls gives a large but finite number of
// channels; it is also the least DefaultContact may be.
const ClosedFormMinContact = 0.01

// ClosedFormConfig holds the closed-form baseline's knobs. Zero values mean
// the defaults given on each field.
type ClosedFormConfig struct {
	// Aggressiveness multiplies the channel count (default 1.2, at most 10).
	Aggressiveness float64 `yaml:"aggressiveness" json:"aggressiveness,omitempty"`
	// DefaultContact is the answer ratio used until MinOutcomes dial attempts
	// have ended (default 0.28).
	DefaultContact float64 `yaml:"default_contact" json:"default_contact,omitempty"`
	// DefaultRing is the mean dial → outcome time used until MinOutcomes
	// dial attempts have ended (default 18 s).
	DefaultRing time.Duration `yaml:"default_ring" json:"default_ring,omitempty"`
	// DefaultTalk is the mean talk time used until MinTalks conversations
	// have ended (default 180 s).
	DefaultTalk time.Duration `yaml:"default_talk" json:"default_talk,omitempty"`
	// AbandonHold is how long the answer ratio is forced to 1 after an
	// abandon (default 30 s).
	AbandonHold time.Duration `yaml:"abandon_hold" json:"abandon_hold,omitempty"`
	// MinOutcomes is the number of ended dial attempts before the measured
	// answer ratio and ring time replace the defaults (default 20).
	MinOutcomes int `yaml:"min_outcomes" json:"min_outcomes,omitempty"`
	// MinTalks is the number of ended conversations before the measured talk
	// time replaces the default (default 5).
	MinTalks int `yaml:"min_talks" json:"min_talks,omitempty"`
}

// WithDefaults returns the configuration with every knob left out set to
// its default, and an error naming the first knob out of its range (the
// defaults are filled in either way).
func (c ClosedFormConfig) WithDefaults() (ClosedFormConfig, error) {
	orDefault(&c.Aggressiveness, 1.2)
	orDefault(&c.DefaultContact, 0.28)
	orDefault(&c.DefaultRing, 18*time.Second)
	orDefault(&c.DefaultTalk, 180*time.Second)
	orDefault(&c.AbandonHold, 30*time.Second)
	orDefault(&c.MinOutcomes, 20)
	orDefault(&c.MinTalks, 5)
	switch {
	case !(c.Aggressiveness > 0 && c.Aggressiveness <= 10):
		return c, apierr.Invalid("pacing.closedform.aggressiveness", "must be in (0, 10], got %v", c.Aggressiveness)
	case !(c.DefaultContact >= ClosedFormMinContact && c.DefaultContact <= 1):
		return c, apierr.Invalid("pacing.closedform.default_contact", "must be in [0.01, 1], got %v", c.DefaultContact)
	case c.DefaultRing < 0:
		return c, apierr.Invalid("pacing.closedform.default_ring", "must not be negative, got %v", c.DefaultRing)
	case c.DefaultTalk < time.Second:
		return c, apierr.Invalid("pacing.closedform.default_talk", "must be at least 1s, got %v", c.DefaultTalk)
	case c.AbandonHold < 0:
		return c, apierr.Invalid("pacing.closedform.abandon_hold", "must not be negative, got %v", c.AbandonHold)
	case c.MinOutcomes < 1:
		return c, apierr.Invalid("pacing.closedform.min_outcomes", "must be at least 1, got %d", c.MinOutcomes)
	case c.MinTalks < 1:
		return c, apierr.Invalid("pacing.closedform.min_talks", "must be at least 1, got %d", c.MinTalks)
	}
	return c, nil
}

// orDefault sets *v to def when it holds its type's zero value: a knob left
// out of a configuration takes its default.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
