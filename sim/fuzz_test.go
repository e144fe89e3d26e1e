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
