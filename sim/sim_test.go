package sim

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
)

var seedFlag = flag.Uint64("seed", 0, "replay the randomized simulation tests with this seed")

func loadFile(t testing.TB, path string, sets ...string) *Scenario {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ParseScenario(data, sets, os.DirFS("../bench/scenarios"))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func parse(t testing.TB, yml string, sets ...string) *Scenario {
	t.Helper()
	sc, err := ParseScenario([]byte(yml), sets, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func run(t testing.TB, sc *Scenario) *Report {
	t.Helper()
	s, err := New(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const markov = `
name: markov
seed: 1
duration: 200h
warmup: 1h
agents: {count: 10}
outcomes: {live: 0.3, busy: 0.7}
timing:
  live: {dist: exponential, mean: 15s}
  busy: {dist: exponential, mean: 15s}
handling:
  talk: {dist: exponential, mean: 120s}
  wrap: 0s
task:
  no_answer_timeout: 100000s
  connect_deadline: 0s
  pacing: {mode: progressive}
`

// Progressive dialing on a Markov scenario has a closed form: each agent's
// cycle is a geometric number of attempts of mean r (mean r/p in all) and then
// a talk of mean h, so occupancy = h / (h + r/p).
func TestProgressiveMatchesAnalysis(t *testing.T) {
	want := 120 / (120 + 15/0.3)
	for _, sets := range [][]string{nil, {"task.pacing.mode=ratio", "task.pacing.ratio=1:1"}, {"task.pacing.mode=ratio", "task.pacing.ratio=3:3"}} {
		r := run(t, parse(t, markov, sets...))
		if math.Abs(r.Occupancy-want)/want > 0.01 {
			t.Errorf("%v: occupancy %.4f, want %.4f within 1 %%", sets, r.Occupancy, want)
		}
		if r.Abandoned != 0 {
			t.Errorf("%v: %d abandoned; progressive never abandons", sets, r.Abandoned)
		}
		t.Logf("%v: occupancy %.4f (analysis %.4f), %d dials", sets, r.Occupancy, want, r.Dials)
	}
}

func TestSameSeedSameReport(t *testing.T) {
	a, b := run(t, loadFile(t, "../bench/scenarios/S3.yaml", "duration=2h", "task.pacing.mode=ratio", "task.pacing.ratio=2:3")),
		run(t, loadFile(t, "../bench/scenarios/S3.yaml", "duration=2h", "task.pacing.mode=ratio", "task.pacing.ratio=2:3"))
	a.WallS, b.WallS = 0, 0
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("two runs with one seed differ:\n%s\n%s", ja, jb)
	}
	c := run(t, loadFile(t, "../bench/scenarios/S3.yaml", "duration=2h", "task.pacing.mode=ratio", "task.pacing.ratio=2:3", "seed=2"))
	if c.Dials == a.Dials && c.Occupancy == a.Occupancy {
		t.Fatalf("seeds 1 and 2 gave the same run")
	}
}

func TestSixScenariosRun(t *testing.T) {
	for i := 1; i <= 6; i++ {
		for _, suffix := range []string{"", "-markov"} {
			for _, mode := range []string{"progressive", "ratio"} {
				name := fmt.Sprintf("S%d%s", i, suffix)
				sc := loadFile(t, "../bench/scenarios/"+name+".yaml", "duration=1h", "task.pacing.mode="+mode, "task.pacing.ratio=4:5")
				r := run(t, sc)
				if r.Dials == 0 || r.Occupancy <= 0 || r.Occupancy > 1 {
					t.Errorf("%s %s: implausible report %+v", name, mode, r)
				}
			}
		}
	}
}

// TestRandomizedInvariants runs random scenarios in every pacing mode and
// checks, at every engine step: no agent is on two calls; a live answer waits
// only while no agent is idle, so it is abandoned only when no agent was free
// for its whole deadline; nothing is dialled outside its calling window (which
// closes during the run), before its NotBefore or after its NotAfter, or
// while it is on a blacklist (which changes during the run); and at the end,
// every dial has exactly one outcome or is still in flight.
func TestRandomizedInvariants(t *testing.T) {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	runs := 2
	if testing.Short() {
		runs = 1
	}
	var dials, skipped, handedBack, changes int
	for i := 0; i < runs; i++ {
		for _, mode := range randomModes {
			yml := randomScenario(rng, mode)
			cseed := rng.Uint64()
			t.Run(fmt.Sprintf("%s-%d", mode, i), func(t *testing.T) {
				c := checkInvariants(t, yml, cseed)
				dials, skipped, handedBack, changes = dials+c.dials, skipped+c.skipped, handedBack+c.handedBack, changes+c.changes
			})
		}
	}
	t.Logf("%d dials, %d numbers skipped, %d handed back, %d blacklist changes", dials, skipped, handedBack, changes)
	if !t.Failed() && (dials == 0 || skipped == 0 || handedBack == 0 || changes == 0) {
		t.Fatal("the runs did not exercise the dial-time checks")
	}
}

// randomModes are the pacing modes the simulator paces.
var randomModes = []string{"progressive", "ratio", "predictive", "vicidial", "issabel", "closedform", "table"}

func randomScenario(rng *rand.Rand, mode string) string {
	p := [5]float64{}
	sum := 0.0
	for i := range p {
		p[i] = rng.Float64()
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	p[4] = 1 - p[0] - p[1] - p[2] - p[3]
	if p[4] < 0 {
		p[4] = 0
	}
	agents := 1 + rng.IntN(25)
	ratio := fmt.Sprintf("%d:%d", 2, 2+rng.IntN(6))
	var sched []string
	for k := rng.IntN(4); k > 0; k-- {
		at := time.Duration(rng.IntN(120)) * time.Minute
		switch rng.IntN(3) {
		case 0:
			sched = append(sched, fmt.Sprintf("{at: %s, logout: %d}", at, 1+rng.IntN(agents)))
		case 1:
			sched = append(sched, fmt.Sprintf("{at: %s, login: %d}", at, 1+rng.IntN(agents)))
		default:
			sched = append(sched, fmt.Sprintf("{at: %s, break: %d, for: %dm}", at, 1+rng.IntN(agents), 1+rng.IntN(20)))
		}
	}
	return fmt.Sprintf(`
name: random
seed: %d
duration: 2h
warmup: 0s
agents: {count: %d, answer_delay: {dist: uniform, min: 0s, max: %dms}, schedule: [%s], strategy: %d}
list: {size: %d}
outcomes: {live: %.6f, machine: %.6f, no_answer: %.6f, busy: %.6f, invalid: %.6f}
handling:
  talk: {dist: lognormal, mean: %ds, cv: 1.0}
  wrap: {dist: exponential, mean: %ds}
task:
  no_answer_timeout: 20s
  connect_deadline: %dms
  max_lines_per_agent: %d
  retry: {busy: {max_attempts: 3, delay: 5m}, no_answer: {max_attempts: 2, delay: 20m}}
  pacing: {mode: %s, ratio: "%s", table: [1, 2, 3, 4, 5, 6, 8, 10]}
`, rng.Uint64()%1000, agents, rng.IntN(3000), strings.Join(sched, ", "), 1+rng.IntN(8),
		rng.IntN(3)*rng.IntN(2000), p[0], p[1], p[2], p[3], p[4],
		30+rng.IntN(300), 1+rng.IntN(60), rng.IntN(4000), 1+rng.IntN(4), mode, ratio)
}

func checkInvariants(t *testing.T, yml string, seed uint64) *compliance {
	sc, err := ParseScenario([]byte(yml), nil, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, yml)
	}
	comp := newCompliance(rand.New(rand.NewPCG(seed, 1)), sc)
	var dials, ended int64
	check := func(s *Sim, rd *engine.Ready) error {
		if err := comp.check(s, rd); err != nil {
			return err
		}
		for _, c := range rd.Commands {
			if c.Kind == engine.CmdOriginate {
				dials++
			}
		}
		ended += int64(len(rd.Records))
		onCall := map[records.CallID]records.AgentID{}
		var agents []worldAgent
		if s.world != nil { // nil while the queue and task are created
			agents = s.world.agents
		}
		for _, a := range agents {
			st, err := s.eng.AgentStatus(a.id)
			if err != nil {
				return err
			}
			if st.OnCall {
				if other, dup := onCall[st.Call]; dup {
					return fmt.Errorf("call %d is on agents %d and %d", st.Call, other, a.id)
				}
				onCall[st.Call] = a.id
			}
		}
		qs, _ := s.eng.QueueStats(s.queueID)
		if qs.Waiting > 0 && qs.Idle > 0 {
			return fmt.Errorf("at %s: %d live answers wait while %d agents are idle", s.Now(), qs.Waiting, qs.Idle)
		}
		if qs.LoggedIn != qs.Idle+qs.Paused+qs.Busy {
			return fmt.Errorf("queue counts do not add up: %+v", qs)
		}
		return nil
	}
	s, err := New(sc, Options{Check: check, Task: comp.spec(sc),
		Hooks: Hooks{Fetch: comp.fetch, Commit: comp.commit}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Run()
	if err != nil {
		t.Fatalf("%v\nscenario (compliance seed %d):%s", err, seed, yml)
	}
	if active := int64(s.eng.ActiveCalls()); dials != ended+active {
		t.Fatalf("%d dials but %d ended and %d active\nscenario:%s", dials, ended, active, yml)
	}
	outcomes := r.LiveAnswers + r.Machines + r.NoAnswers + r.Busy + r.Invalid
	if r.Dials < outcomes || r.Dials-outcomes > int64(s.eng.ActiveCalls()) {
		t.Fatalf("report: %d dials, %d outcomes, %d active", r.Dials, outcomes, s.eng.ActiveCalls())
	}
	if r.Connected+r.Abandoned > r.LiveAnswers {
		t.Fatalf("report: %d connected + %d abandoned > %d live answers", r.Connected, r.Abandoned, r.LiveAnswers)
	}
	return comp
}

// An agent logged out while on a call stays logged in until the call ends; a
// scheduled login meanwhile cancels the pending logout instead of failing.
func TestLoginWhileLogoutPending(t *testing.T) {
	r := run(t, loadFile(t, "../bench/scenarios/stress-logout.yaml", "seed=102"))
	if r.Dials == 0 {
		t.Fatal("no dials")
	}
}
