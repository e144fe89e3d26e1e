package sim

import (
	"os"
	"path/filepath"
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
