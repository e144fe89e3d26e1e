package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
)

// BenchmarkEngineSteadyState measures the engine alone: a 100-agent task in
// ratio 1:2 whose calls are answered live or fail in turn, connected, talked
// and hung up by a scripted world that costs next to nothing. Each op is one
// engine Step; allocs/op is allocations per event in steady state.
func BenchmarkEngineSteadyState(b *testing.B) {
	const agents = 100
	e := engine.New(engine.Config{Rand: rand.New(rand.NewPCG(1, 1)), FetchBatch: 256})
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(e.Step(engine.Event{At: now, Kind: engine.EvCreateQueue, QueueSpec: &records.QueueSpec{ID: 1}}))
	must(e.Step(engine.Event{At: now, Kind: engine.EvCreateTask, TaskSpec: &records.TaskSpec{
		ID: 1, Queue: 1, Pacing: records.PacingConfig{Mode: records.ModeRatio, Ratio: "1:2"}, MaxLinesPerAgent: 3,
		Window: records.AlwaysOpen, // the scripted day lasts some two days
	}}))
	for i := 1; i <= agents; i++ {
		id := records.AgentID(i)
		must(e.Step(engine.Event{At: now, Kind: engine.EvCreateAgent, AgentSpec: &records.AgentSpec{ID: id}}))
		must(e.Step(engine.Event{At: now, Kind: engine.EvSignIn, Agent: id, Queue: 1}))
		must(e.Step(engine.Event{At: now, Kind: engine.EvAgentLogin, Agent: id}))
	}
	// The world: a FIFO of events to feed back, built from the commands.
	queue := make([]engine.Event, 0, 4096)
	nums := make([]records.Number, 256)
	var nextNum records.NumberID
	var k int
	handle := func() {
		rd := e.Ready()
		for _, c := range rd.Commands {
			switch c.Kind {
			case engine.CmdOriginate:
				k++
				if k%3 == 0 {
					queue = append(queue, engine.Event{Kind: engine.EvAnswered, Call: c.Call, Outcome: records.OutcomeLive})
				} else {
					queue = append(queue, engine.Event{Kind: engine.EvFailed, Call: c.Call, Outcome: records.OutcomeNoAnswer})
				}
			case engine.CmdConnect:
				queue = append(queue, engine.Event{Kind: engine.EvAgentAnswered, Call: c.Call},
					engine.Event{Kind: engine.EvHangup, Call: c.Call, Side: engine.SideCustomer})
			case engine.CmdFetchNumbers:
				for i := range nums[:c.Count] {
					nextNum++
					nums[i] = records.Number{ID: nextNum, Task: 1}
				}
				queue = append(queue, engine.Event{Kind: engine.EvNumbers, Task: 1, Numbers: nums[:c.Count]})
			}
		}
		e.Advance(rd)
	}
	must(e.Step(engine.Event{At: now, Kind: engine.EvStartTask, Task: 1}))
	handle()
	step := func() {
		ev := queue[0]
		queue = queue[1:]
		now = now.Add(100 * time.Millisecond)
		ev.At = now
		if err := e.Step(ev); err != nil {
			b.Fatal(err)
		}
		handle()
		if len(queue) == 0 {
			b.Fatal("the world ran dry")
		}
		if cap(queue)-len(queue) < 64 {
			queue = append(make([]engine.Event, 0, 4096), queue...)
		}
	}
	for range 100000 { // warm up to steady state
		step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func loadScenario(b *testing.B, name string, sets ...string) *sim.Scenario {
	data, err := os.ReadFile("scenarios/" + name + ".yaml")
	if err != nil {
		b.Fatal(err)
	}
	sc, err := sim.ParseScenario(data, sets, os.DirFS("scenarios"))
	if err != nil {
		b.Fatal(err)
	}
	return sc
}

// BenchmarkSimulator runs whole 8 h scenarios (S5: 100 agents) with the full
// engine in the loop. dials/s is dial attempts simulated per wall second.
func BenchmarkSimulator(b *testing.B) {
	for _, c := range []struct{ scenario, mode, ratio string }{
		{"S5", "progressive", "1:1"},
		{"S5", "ratio", "1:3"},
		{"S6", "ratio", "2:5"},
		{"S3", "progressive", "1:1"},
	} {
		b.Run(fmt.Sprintf("%s/%s", c.scenario, c.mode), func(b *testing.B) {
			sc := loadScenario(b, c.scenario, "task.pacing.mode="+c.mode, "task.pacing.ratio="+c.ratio)
			var dials int64
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				s, err := sim.New(sc, sim.Options{})
				if err != nil {
					b.Fatal(err)
				}
				r, err := s.Run()
				if err != nil {
					b.Fatal(err)
				}
				dials += r.Dials
			}
			b.ReportMetric(float64(dials)/b.Elapsed().Seconds(), "dials/s")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
		})
	}
}
