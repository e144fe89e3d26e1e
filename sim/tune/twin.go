package tune

import (
	"fmt"
	"math"
	"time"

	"github.com/outpace-dev/outpace/pacing/optimum"
	"github.com/outpace-dev/outpace/sim"
)

// Twin is the Markov twin of a scenario (BENCHMARK.md): every outcome live or
// not, the time from dial to outcome exponential with mean r, talk
// exponential with mean h, no wrap-up, no wait for an agent. Its optimal
// occupancy at the cap is computable exactly (package pacing/optimum).
type Twin struct {
	Agents           int     `json:"agents"`
	LiveProb         float64 `json:"live_prob"`
	MeanOutcomeS     float64 `json:"mean_outcome_s"`
	MeanTalkS        float64 `json:"mean_talk_s"`
	MaxLinesPerAgent float64 `json:"max_lines_per_agent"`
	// Exact is true when the scenario is itself a Markov twin, so that the
	// optimum bounds every pacer on it. When false the twin was derived from
	// a realistic scenario (see Derivation) and its optimum is a reference,
	// not a bound on the scenario.
	Exact bool `json:"exact"`
	// Derivation says how the twin was obtained and what it leaves out.
	Derivation []string `json:"derivation"`
}

// Params returns the optimum solver's parameters for the twin at cap.
func (t Twin) Params(cap float64) optimum.Params {
	return optimum.Params{
		Agents:           t.Agents,
		LiveProb:         t.LiveProb,
		MeanOutcome:      time.Duration(t.MeanOutcomeS * float64(time.Second)),
		MeanTalk:         time.Duration(t.MeanTalkS * float64(time.Second)),
		Cap:              cap,
		MaxLinesPerAgent: t.MaxLinesPerAgent,
	}
}

// MarkovTwin returns sc's Markov twin. When sc is a Markov scenario (only
// live and busy outcomes with one exponential dial-to-outcome time,
// exponential talk, no wrap-up, no answer delay, a zero connect deadline, a
// no-answer timeout that cuts no live answer, constant parameters, a fixed
// team and an endless list) the twin is sc itself and Exact is true.
// Otherwise the twin is derived: the live probability at the start, r the
// mean dial-to-outcome time over every outcome (a no-answer lasting the
// no-answer timeout), h the mean talk plus the mean wrap-up; Derivation lists
// the differences from sc that the twin ignores.
func MarkovTwin(sc *sim.Scenario) Twin {
	o := &sc.Outcomes
	tm := &sc.Timing
	live := o.Live.At(0)
	sum := live + o.Machine.At(0) + o.NoAnswer.At(0) + o.Busy.At(0) + o.Invalid.At(0)
	if sum > 0 && math.Abs(sum-1) > 1e-9 {
		live /= sum
	}
	tw := Twin{Agents: sc.Agents.Count, LiveProb: live, MaxLinesPerAgent: sc.Task.MaxLinesPerAgent}

	var why []string
	note := func(format string, args ...any) { why = append(why, fmt.Sprintf(format, args...)) }
	for _, p := range []struct {
		name string
		p    *sim.Param
	}{{"live", &o.Live}, {"machine", &o.Machine}, {"no_answer", &o.NoAnswer}, {"busy", &o.Busy}, {"invalid", &o.Invalid}} {
		if len(p.p.Points) > 1 {
			note("outcomes.%s varies in time; the twin keeps its value at the start", p.name)
		}
	}
	for _, x := range []struct {
		name string
		p    float64
	}{{"machine", o.Machine.At(0)}, {"no_answer", o.NoAnswer.At(0)}, {"invalid", o.Invalid.At(0)}} {
		if x.p > 0 {
			note("%s outcomes (%.0f %%) become non-live outcomes with the common mean time", x.name, 100*x.p/sum)
		}
	}
	nat := sc.Task.NoAnswerTimeout.Seconds()
	var r float64
	if sum > 0 {
		r = (o.Live.At(0)*tm.Live.MeanSeconds() + o.Machine.At(0)*tm.Machine.MeanSeconds() +
			o.NoAnswer.At(0)*nat + o.Busy.At(0)*tm.Busy.MeanSeconds() + o.Invalid.At(0)*tm.Invalid.MeanSeconds()) / sum
	}
	tw.MeanOutcomeS = r
	if tm.Live.Kind != "exponential" && live > 0 {
		note("timing.live is %s, not exponential", tm.Live.Kind)
	}
	if tm.Busy.Kind != "exponential" && o.Busy.At(0) > 0 {
		note("timing.busy is %s, not exponential", tm.Busy.Kind)
	}
	if other := sum - o.Live.At(0); live > 0 && other > 0 {
		otherMean := (r*sum - o.Live.At(0)*tm.Live.MeanSeconds()) / other
		if math.Abs(otherMean-tm.Live.MeanSeconds()) > 1e-9 {
			note("live answers take %.1fs on average and other outcomes %.1fs; the twin uses the mean over all outcomes",
				tm.Live.MeanSeconds(), otherMean)
		}
	}
	if live > 0 && r > 0 && math.Exp(-nat/tm.Live.MeanSeconds()) > 1e-6 && tm.Live.Kind == "exponential" {
		note("the no-answer timeout (%gs) cuts some live answers", nat)
	}
	talk, wrap := sc.Handling.Talk, sc.Handling.Wrap
	tw.MeanTalkS = talk.MeanSeconds() + wrap.MeanSeconds()
	if talk.Kind != "exponential" {
		note("handling.talk is %s (cv %g), not exponential", talk.Kind, talk.CV)
	}
	if wrap.MeanSeconds() > 0 {
		note("wrap-up (mean %.0fs) is added to the talk time", wrap.MeanSeconds())
	}
	if d := sc.Agents.AnswerDelay.MeanSeconds(); d > 0 {
		note("agents take %.1fs to answer; the twin connects at once", d)
	}
	if d := *sc.Task.ConnectDeadline; d > 0 {
		note("a live answer may wait %s for an agent; in the twin it is abandoned at once when no agent is free", d)
	}
	if len(sc.Agents.Schedule) > 0 {
		note("agents.schedule changes staffing; the twin keeps %d agents throughout", sc.Agents.Count)
	}
	if sc.List.Size > 0 {
		note("the list holds %d numbers; the twin's is endless", sc.List.Size)
	}
	tw.Exact = len(why) == 0
	if tw.Exact {
		tw.Derivation = []string{"the scenario is a Markov twin: the optimum bounds every pacer on it"}
	} else {
		tw.Derivation = append([]string{fmt.Sprintf(
			"derived twin: live probability %.3g, r = %.1fs (mean dial-to-outcome time over all outcomes), h = %.0fs (talk + wrap-up); its optimum is a reference, not a bound on this scenario",
			tw.LiveProb, tw.MeanOutcomeS, tw.MeanTalkS)}, why...)
	}
	return tw
}

// Bound solves the twin's optimum at cap. A failure of the solver, panics
// included, comes back as an error.
func Bound(t Twin, cap float64) (res optimum.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("optimum solver failed: %v", p)
		}
	}()
	return optimum.Solve(t.Params(cap))
}
