package sim

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/outpace-dev/outpace/apierr"
)

// TestScenarioFieldErrors: a field of the wrong type or an unknown one, in
// the file or from --set, is reported by its path in the scenario, whatever
// line the overrides moved it to.
func TestScenarioFieldErrors(t *testing.T) {
	data, err := os.ReadFile("../bench/scenarios/S1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		yml   string
		set   string
		field string
		msg   string
	}{
		{"", "task.pacing.predictive.young_window=-1", "task.pacing.predictive.young_window", "a duration such as"},
		{"", "duration=5", "duration", "a duration such as"},
		{"", "agents.count=x", "agents.count", "into int"},
		{"", "task.pacing.predictive.bogus=1", "task.pacing.predictive.bogus", "not found"},
		{"name: x\nagents: {count: 3, answer_delay: soon}\n", "", "agents.answer_delay", ""},
	} {
		in, sets := data, []string{c.set}
		if c.yml != "" {
			in, sets = []byte(c.yml), nil
		}
		_, err := ParseScenario(in, sets, nil)
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Code != apierr.InvalidParams || ae.Field != c.field || !strings.Contains(ae.Msg, c.msg) {
			t.Errorf("%q%q: got %v, want InvalidParams on %s", c.set, c.yml, err, c.field)
		}
	}
}

// TestScenarioNumbers: every number of a scenario, from the file or from
// --set, is checked: NaN, infinities, negative durations and absurd sizes
// are errors naming the field and the range it accepts.
func TestScenarioNumbers(t *testing.T) {
	data, err := os.ReadFile("../bench/scenarios/S1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"nan.txt":  {Data: []byte("12s\nNaN\n")},
		"inf.txt":  {Data: []byte("+Inf\n")},
		"long.txt": {Data: []byte("90000\n")},
		"ok.txt":   {Data: []byte("12s\n30\n")},
	}
	for _, c := range []struct {
		sets  []string
		field string
		msg   string
	}{
		{[]string{"outcomes.live=NaN"}, "outcomes.live", "NaN is outside [0, 1]"},
		{[]string{"outcomes.live=Inf"}, "outcomes.live", "+Inf is outside"},
		{[]string{"outcomes.busy=-Inf"}, "outcomes.busy", "-Inf is outside"},
		{[]string{"outcomes.live=[{at: 0s, value: 0.35}, {at: 1h, value: .nan}]"}, "outcomes.live", "NaN"},
		{[]string{"outcomes={live: [{at: 0s, value: 1}, {at: 1h, value: 0}]}"}, "outcomes", "sum to 0 at 1h0m0s"},
		{[]string{"outcomes.live=[{at: -1h, value: 0.3}]"}, "outcomes.live[0].at", "from 0s"},
		{[]string{"report.slice=1ns"}, "report.slice", "at most 10000"},
		{[]string{"report.slice=-1h"}, "report.slice", "must be positive"},
		{[]string{"duration=-5s"}, "duration", "from 1ns"},
		{[]string{"duration=10000h"}, "duration", "to 8784h0m0s"},
		{[]string{"warmup=-1s"}, "warmup", "from 0s"},
		{[]string{"agents.count=1000000"}, "agents.count", "from 1 to 100000"},
		{[]string{"agents.schedule=[{at: 1h, login: 1000000}]"}, "agents.schedule[0].login", "from 0 to 100000"},
		{[]string{"agents.schedule=[{at: 1h, break: 2, for: -1m}]"}, "agents.schedule[0].for", "from 0s"},
		{[]string{"list.size=1e12"}, "list.size", "from 0 to 1000000000"},
		{[]string{"task.max_lines_per_agent=.nan"}, "task.max_lines_per_agent", "got NaN"},
		{[]string{"task.max_lines_per_agent=.inf"}, "task.max_lines_per_agent", "got +Inf"},
		{[]string{"task.no_answer_timeout=-5s"}, "task.no_answer_timeout", "from 100ms"},
		// Calls that end as they are placed would be dialled again at the same instant, without end.
		{[]string{"outcomes={no_answer: 1}", "task.no_answer_timeout=1ns"}, "task.no_answer_timeout", "from 100ms"},
		{[]string{"outcomes={busy: 1}", "timing.busy=0s"}, "timing.busy", "a mean of at least 100ms"},
		{[]string{"timing.invalid={dist: uniform, min: 0s, max: 10ms}"}, "timing.invalid", "a mean of at least 100ms"},
		{[]string{"task.connect_deadline=-2s"}, "task.connect_deadline", "from 0s"},
		{[]string{"task.retry.busy={max_attempts: 1000000000, delay: 1m}"}, "task.retry.busy.max_attempts", "from 0 to 1000"},
		{[]string{"task.retry.no_answer={max_attempts: 3, delay: -1h}"}, "task.retry.no_answer.delay", "from 0s"},
		{[]string{"task.pacing.abandon_target=.nan"}, "task.pacing.abandon_target", "got NaN"},
		{[]string{"task.pacing.mode=predictive", "task.pacing.predictive.reserve=.inf"}, "task.pacing.predictive.reserve", "finite"},
		{[]string{"task.pacing.mode=predictive", "task.pacing.predictive.pool=.nan"}, "task.pacing.predictive.pool", "finite"},
		{[]string{"task.pacing.mode=predictive", "task.pacing.predictive.cap_margin=.nan"}, "task.pacing.predictive.cap_margin", "finite"},
		{[]string{"task.pacing.mode=predictive", "task.pacing.predictive.tick=1ns"}, "task.pacing.predictive.tick", "at least 1ms"},
		{[]string{"task.pacing.mode=predictive", "task.pacing.predictive.outcome_memory=1e12"}, "task.pacing.predictive.outcome_memory", "from 0 to 1000000"},
		{[]string{"task.pacing.mode=vicidial", "task.pacing.vicidial.max_level=.nan"}, "task.pacing.vicidial.max_level", "NaN"},
		{[]string{"task.pacing.mode=closedform", "task.pacing.closedform.aggressiveness=.inf"}, "task.pacing.closedform.aggressiveness", "+Inf"},
		{[]string{"task.pacing.mode=table", "task.pacing.table=[1, 2]", "task.pacing.table_mix=.nan"}, "task.pacing.table_mix", "NaN"},
		{[]string{"timing.live={dist: lognormal, mean: 8s, cv: .nan}"}, "timing.live.cv", "got NaN"},
		{[]string{"handling.talk={dist: gamma, mean: 100s, cv: 1e9}"}, "handling.talk.cv", "(0, 10]"},
		{[]string{"handling.talk={dist: exponential, mean: 1000h}"}, "handling.talk.mean", "to 24h0m0s"},
		{[]string{"handling.wrap={dist: constant, value: -3s}"}, "handling.wrap.value", "from 0s"},
		{[]string{"timing.machine={dist: uniform, min: 1s, max: 100h}"}, "timing.machine", "max ≤ 24h0m0s"},
		{[]string{"handling.talk={dist: empirical, file: nan.txt}"}, "handling.talk.file", `line 2: "NaN"`},
		{[]string{"handling.talk={dist: empirical, file: inf.txt}"}, "handling.talk.file", `"+Inf"`},
		{[]string{"handling.talk={dist: empirical, file: long.txt}"}, "handling.talk.file", "from 0 to 24h0m0s"},
	} {
		_, err := ParseScenario(data, c.sets, fsys)
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Code != apierr.InvalidParams || ae.Field != c.field || !strings.Contains(ae.Msg, c.msg) {
			t.Errorf("%q: got %v, want InvalidParams on %s with %q", c.sets, err, c.field, c.msg)
		}
	}
	for _, sets := range [][]string{
		{"handling.talk={dist: empirical, file: ok.txt}"},
		{"report.slice=3s"},
		{"outcomes.live=[{at: 0s, value: 0.35}, {at: 1h, value: 0}]"},
		{"task.no_answer_timeout=100000s", "task.connect_deadline=0s"},
	} {
		if _, err := ParseScenario(data, sets, fsys); err != nil {
			t.Errorf("%q: %v", sets, err)
		}
	}
}

// TestNewChecksScenario: the scenario is checked again, whoever built it.
func TestNewChecksScenario(t *testing.T) {
	sc := loadFile(t, "../bench/scenarios/S3.yaml")
	sc.Outcomes.Live.Points[0].Value = math.NaN()
	if _, err := New(sc, Options{}); apierr.CodeOf(err) != apierr.InvalidParams {
		t.Errorf("NaN outcome: err = %v, want InvalidParams", err)
	}
}
