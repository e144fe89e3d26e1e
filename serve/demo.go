package serve

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/store"
	"github.com/outpace-dev/outpace/store/lists"
)

// DemoScenario is the scenario of the demo: a 30-agent team (S3) whose
// campaign is paced predictively.
//
//go:embed demo.yaml
var DemoScenario []byte

// DemoTenant owns the demo campaign that serve creates on an empty store.
const DemoTenant = "demo"

// The demo tenant's name says whether its set-up finished: it is stored
// under setUpName first and renamed when every number is imported, so that
// a set-up cut short is found and done again on the next start.
const (
	demoName  = "Demo"
	setUpName = "Demo (set-up not finished)"
)

// demoSpec is the demo campaign's task as the scenario sets it.
func demoSpec(sc *sim.Scenario) records.TaskSpec {
	acw := time.Duration(0)
	if sim.ScenarioWraps(sc) {
		acw = 10 * time.Minute
	}
	return records.TaskSpec{
		Tenant: DemoTenant, Name: "demo campaign", Pacing: sc.Task.Pacing,
		CallerIDs:       []string{"+14155550100", "+14155550101"},
		NoAnswerTimeout: *sc.Task.NoAnswerTimeout, ConnectDeadline: *sc.Task.ConnectDeadline,
		ACWTimeout: acw, MaxLinesPerAgent: sc.Task.MaxLinesPerAgent, Retry: sc.Task.Retry,
		SafeHarbor: "safe-harbor", AllowShortRing: true, AllowZeroDeadline: true,
	}
}

// demoCampaign returns the demo task and the agents of its queue. On a store
// with no tenant it creates them and imports n numbers, as one step: a
// set-up that was cut short (ctx done, a crash) is removed and done again
// on the next start. applySettings says that the scenario was chosen for
// this start (--scenario, --set): its task settings then replace those of
// a stored campaign that differs, so that the log, the engine and the
// report speak of the same campaign.
func demoCampaign(ctx context.Context, st *store.Badger, sc *sim.Scenario, n int, applySettings bool, progress func(read, total int), log *slog.Logger) (store.Task, []records.AgentID, error) {
	ten, err := st.GetTenant(DemoTenant)
	switch {
	case err == nil && ten.Name == setUpName:
		log.Warn("the demo's set-up was cut short by the last stop: doing it again")
		if err := removeDemo(st); err != nil {
			return store.Task{}, nil, err
		}
	case err == nil:
		return storedDemo(st, sc, applySettings, log)
	case !errors.Is(err, store.ErrNotFound):
		return store.Task{}, nil, err
	default:
		tenants, err := st.ListTenants()
		if err != nil {
			return store.Task{}, nil, err
		}
		if len(tenants) > 0 {
			return store.Task{}, nil, fmt.Errorf("the store has tenants but no demo campaign: serve runs the demo only")
		}
	}
	log.Info("empty store: creating the demo campaign", "agents", sc.Agents.Count, "numbers", n)
	if err := st.PutTenant(store.Tenant{ID: DemoTenant, Name: setUpName, Created: time.Now()}); err != nil {
		return store.Task{}, nil, err
	}
	q := store.Queue{Spec: records.QueueSpec{Tenant: DemoTenant, Name: "demo", Strategy: records.StrategyLongestIdle}}
	agents := make([]records.AgentID, sc.Agents.Count)
	for i := range agents {
		a := records.AgentSpec{Tenant: DemoTenant, Name: fmt.Sprintf("%d", 1001+i), Phone: fmt.Sprintf("%d", 1001+i)}
		if err := st.PutAgent(&a); err != nil {
			return store.Task{}, nil, err
		}
		agents[i] = a.ID
	}
	q.Members = agents
	if err := st.PutQueue(&q); err != nil {
		return store.Task{}, nil, err
	}
	t := store.Task{
		Spec: demoSpec(sc),
		// The simulated customers answer at any hour; a real campaign keeps
		// records.DefaultWindow (08:00–21:00 in each callee's time).
		Window:  records.AlwaysOpen,
		Created: time.Now(),
	}
	t.Spec.Queue = q.Spec.ID
	if err := st.CreateTask(&t); err != nil {
		return store.Task{}, nil, err
	}
	if err := importDemoNumbers(ctx, st, t.Spec.ID, n, progress); err != nil {
		return store.Task{}, nil, err
	}
	if err := ctx.Err(); err != nil {
		return store.Task{}, nil, err
	}
	if err := st.PutTenant(store.Tenant{ID: DemoTenant, Name: demoName, Created: time.Now()}); err != nil {
		return store.Task{}, nil, err
	}
	return t, agents, nil
}

// storedDemo returns the stored demo campaign, with the scenario's task
// settings applied when they were asked for and differ.
func storedDemo(st *store.Badger, sc *sim.Scenario, applySettings bool, log *slog.Logger) (store.Task, []records.AgentID, error) {
	tasks, err := st.ListTasks(DemoTenant)
	if err != nil {
		return store.Task{}, nil, err
	}
	if len(tasks) == 0 {
		return store.Task{}, nil, fmt.Errorf("the demo tenant has no campaign: remove the data directory to start afresh")
	}
	t := tasks[len(tasks)-1]
	q, err := st.GetQueue(DemoTenant, t.Spec.Queue)
	if err != nil {
		return store.Task{}, nil, err
	}
	if applySettings {
		want := t.Spec
		setScenario(&want, demoSpec(sc))
		if !reflect.DeepEqual(scenarioPart(&want), scenarioPart(&t.Spec)) {
			log.Warn("the scenario's task settings differ from the stored campaign's: applying them to it",
				"task", t.Spec.ID, "pacing_was", t.Spec.Pacing.Mode, "pacing", want.Pacing.Mode,
				"setting_was", sim.Setting(t.Spec.Pacing), "setting", sim.Setting(want.Pacing))
			t.Spec = want
			if err := st.UpdateTask(&t); err != nil {
				return store.Task{}, nil, err
			}
		}
	}
	return t, q.Members, nil
}

// taskSettings is what a scenario sets of a task.
type taskSettings struct {
	Pacing                  records.PacingConfig
	NoAnswer, Deadline, ACW time.Duration
	MaxLinesPerAgent        float64
	Retry                   records.RetryPolicy
}

func scenarioPart(s *records.TaskSpec) taskSettings {
	lines := s.MaxLinesPerAgent
	if lines == 0 {
		lines = records.DefaultMaxLinesPerAgent
	}
	return taskSettings{s.Pacing, s.NoAnswerTimeout, s.ConnectDeadline, s.ACWTimeout, lines, s.Retry}
}

func setScenario(dst *records.TaskSpec, src records.TaskSpec) {
	dst.Pacing, dst.NoAnswerTimeout, dst.ConnectDeadline, dst.ACWTimeout = src.Pacing, src.NoAnswerTimeout, src.ConnectDeadline, src.ACWTimeout
	dst.MaxLinesPerAgent, dst.Retry = src.MaxLinesPerAgent, src.Retry
}

// removeDemo removes what a cut-short set-up left of the demo tenant.
func removeDemo(st *store.Badger) error {
	tasks, err := st.ListTasks(DemoTenant)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if err := st.DeleteTask(DemoTenant, t.Spec.ID); err != nil {
			return err
		}
	}
	queues, err := st.ListQueues(DemoTenant)
	if err != nil {
		return err
	}
	for _, q := range queues {
		if err := st.DeleteQueue(DemoTenant, q.Spec.ID); err != nil {
			return err
		}
	}
	agents, err := st.ListAgents(DemoTenant)
	if err != nil {
		return err
	}
	for _, a := range agents {
		if err := st.DeleteAgent(DemoTenant, a.ID); err != nil {
			return err
		}
	}
	return nil
}

// importDemoNumbers imports n numbers of the form +1 415 2xx xxxx, every
// fourth with an alternative phone +1 415 3xx xxxx (dialled once the first
// gives up). It stops early when ctx is done.
func importDemoNumbers(ctx context.Context, st *store.Badger, task records.TaskID, n int, progress func(read, total int)) error {
	src := func(yield func(records.Number, error) bool) {
		for i := 0; i < n && ctx.Err() == nil; i++ {
			phone, err := lists.Normalize(fmt.Sprintf("+1415%07d", 2000000+i), "US")
			num := records.Number{Phone: phone, TZ: "America/Los_Angeles"}
			if i%4 == 3 && err == nil {
				var alt string
				alt, err = lists.Normalize(fmt.Sprintf("+1415%07d", 3000000+i), "US")
				num.Alternatives = []string{alt}
			}
			if !yield(num, err) {
				return
			}
		}
	}
	res, err := st.ImportStream(task, src, func(p store.ImportProgress) {
		if progress != nil {
			progress(p.Read, n)
		}
	})
	if err != nil {
		return err
	}
	if res.Stored == 0 && ctx.Err() == nil {
		return errors.New("no demo number could be imported")
	}
	return nil
}
