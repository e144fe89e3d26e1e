package sim

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// FuzzScenario feeds arbitrary scenario text and --set overrides to the
// parser and, when they parse, to the simulator's set-up and a short run: bad
// input must come back as an error, never as a panic.
func FuzzScenario(f *testing.F) {
	files, _ := filepath.Glob("../bench/scenarios/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "duration=10m")
	}
	// Overrides at the edges of what each field accepts, on a small team.
	base, err := os.ReadFile("../bench/scenarios/S1.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, set := range []string{
		"agents.count=0", "agents.count=-1", "outcomes.live=1.5", "outcomes.live=0",
		"timing.live={dist: lognormal, mean: 0s, cv: 0}", "handling.talk={dist: gamma, mean: 1ns, cv: 100}",
		"handling.wrap={dist: uniform, min: 5s, max: 1s}", "task.max_lines_per_agent=0",
		"report.slice=0s", "warmup=-1s", "task.pacing.mode=ratio", "task.pacing.ratio=0:1",
		"task.pacing.mode=table", "task.pacing.table=[]", "task.pacing.predictive.react=-1s",
		"task.pacing.abandon_target=0", "task.pacing.mode=closedform", "task.pacing.mode=issabel",
		"agents.schedule=[{at: 1m, logout: 5}]", "task.connect_deadline=1ns", "task.no_answer_timeout=0s",
		// NaN, infinities and absurd sizes, as a float or YAML's .nan/.inf.
		"outcomes.live=NaN", "outcomes.live=Inf", "outcomes.live=-Inf", "outcomes.machine=.nan",
		"outcomes.live=[{at: 0s, value: 0.35}, {at: 1h, value: .nan}]", "outcomes.live=[{at: 0s, value: 0.35}, {at: 1m, value: 0}]",
		"task.max_lines_per_agent=.nan", "task.max_lines_per_agent=.inf", "task.pacing.abandon_target=.nan",
		"task.pacing.abandon_target=-.inf", "timing.live={dist: lognormal, mean: 8s, cv: .nan}",
		"handling.talk={dist: gamma, mean: 100s, cv: .inf}", "handling.talk={dist: lognormal, mean: 100s, cv: 10}",
		"report.slice=1ns", "report.slice=-1h", "duration=-5s", "list.size=1e12", "agents.count=1e9",
		"task.pacing={mode: predictive, predictive: {reserve: .inf}}", "task.pacing={mode: predictive, predictive: {pool: .nan}}",
		"task.pacing={mode: predictive, predictive: {tick: 1ns}}", "task.pacing={mode: predictive, predictive: {outcome_memory: 1e12}}",
		"task.pacing={mode: vicidial, vicidial: {max_level: .nan}}", "task.pacing={mode: closedform, closedform: {aggressiveness: .inf}}",
		"task.pacing={mode: issabel, issabel: {threshold: .nan}}", "task.pacing={mode: table, table: [1, 2], table_mix: .nan}",
		"task.retry.busy={max_attempts: 1e9, delay: -1h}", "timing.busy=0s", "task.no_answer_timeout=1ns",
		"timing.invalid={dist: uniform, min: 0s, max: 1ms}",
	} {
		f.Add(base, set)
	}
	f.Add([]byte("name: x\nagents: {count: 3}\n"), "task.pacing.mode=vicidial")
	f.Add([]byte("name: x\nagents: {count: 3}\noutcomes: {live: [{at: 1h, value: 0.2}]}\n"), "agents.schedule=[]")
	f.Fuzz(func(t *testing.T, data []byte, set string) {
		sc, err := ParseScenario(data, []string{set}, nil)
		if err != nil {
			return
		}
		if path := notFinite(reflect.ValueOf(sc).Elem(), "scenario"); path != "" {
			t.Fatalf("the scenario parsed with %s not a finite number", path)
		}
		// Keep each run short: the fuzzer looks for panics, not results.
		sc.Duration = min(sc.Duration, 5*time.Minute)
		sc.Warmup = min(sc.Warmup, time.Minute)
		if sc.Agents.Count > 50 {
			return
		}
		s, err := New(sc, Options{})
		if err != nil {
			return
		}
		_, _ = s.Run()
	})
}

// notFinite returns the path of a float in v that is NaN or infinite, or "".
func notFinite(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return path
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return notFinite(v.Elem(), path)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if p := notFinite(v.Field(i), path+"."+v.Type().Field(i).Name); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if p := notFinite(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}
