package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/store"
	"github.com/outpace-dev/outpace/store/lists"
)

//go:embed demo.yaml
var demoScenario []byte

// demoTenant owns the demo campaign that serve creates on an empty store.
const demoTenant = "demo"

// maxDemoNumbers bounds --numbers.
const maxDemoNumbers = 100_000_000

func init() { extraCommands = append(extraCommands, serveCmd) }

type serveFlags struct {
	drain    time.Duration
	data     string
	scenario string
	sets     []string
	speed    float64
	numbers  int
	every    time.Duration
	json     bool
	metrics  string
}

func serveCmd() *cobra.Command {
	var f serveFlags
	c := &cobra.Command{
		Use:   "serve [--data DIR] [--speed X]",
		Short: "Run the dialer on its Badger store with the simulated telephony backend",
		Long: `serve runs the engine in real time the way production does: one runner owns
the engine, every Ready is committed to the Badger store (numbers marked
dialing, call records, task status, the CTI event log) before its commands go
to the backend, and numbers come from the store in dialling order.

The backend is the simulator, playing the carrier and a team of agents in real
time (or faster with --speed). On an empty store serve creates a demo tenant,
its queue and agents, and a predictive campaign with --numbers numbers; on a
restart it recovers: calls in flight at a crash are closed with a record and
their numbers come back later, and the campaign goes on where it stopped.

Stop it with Ctrl-C (or SIGTERM): it places no new call and lets the calls
in flight end, for at most --drain, then prints the report of the time it
ran. A second Ctrl-C stops it at once; the calls still up are then closed
with a record on the next start. Either way the campaign keeps its status
and dials again on the next start.`,
		Example: `  outpace serve                      # ./data, real time
  outpace serve --speed 20           # twenty times faster than real time
  outpace serve --data /var/lib/outpace --scenario my-team.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The first signal drains, the second stops at once.
			sigs := make(chan os.Signal, 2)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sigs)
			ctx, drain := context.WithCancel(cmd.Context())
			defer drain()
			now, done := make(chan struct{}), make(chan struct{})
			defer close(done)
			go func() {
				select {
				case <-sigs:
				case <-done:
					return
				}
				drain()
				select {
				case <-sigs:
					close(now)
				case <-done:
				}
			}()
			return serve(ctx, now, f, cmd)
		},
	}
	c.Flags().StringVar(&f.data, "data", "data", "Badger data directory")
	c.Flags().StringVarP(&f.scenario, "scenario", "s", "", "scenario of the simulated team and carrier (default: the embedded demo, 30 agents)")
	c.Flags().StringArrayVar(&f.sets, "set", nil, "override a scenario field (repeatable), e.g. --set agents.count=10")
	c.Flags().Float64Var(&f.speed, "speed", 1, "simulated seconds per wall second")
	c.Flags().IntVar(&f.numbers, "numbers", 100000, "numbers in the demo campaign created on an empty store")
	c.Flags().DurationVar(&f.every, "every", 10*time.Second, "how often to log the campaign's figures")
	c.Flags().BoolVar(&f.json, "log-json", false, "log as JSON lines instead of text")
	c.Flags().StringVar(&f.metrics, "metrics", "127.0.0.1:9464", `serve Prometheus metrics at http://ADDR/metrics ("" = off)`)
	c.Flags().DurationVar(&f.drain, "drain", 30*time.Second, "on Ctrl-C, the longest wait (wall time) for the calls in flight to end (0 = stop at once)")
	return c
}

// serve runs until ctx is done, then drains (no new call) until no call is
// left, f.drain has passed or now is closed.
func serve(ctx context.Context, now <-chan struct{}, f serveFlags, cmd *cobra.Command) error {
	switch {
	case !(f.speed > 0 && f.speed <= sim.MaxSpeed):
		return fmt.Errorf("--speed must be above 0 and at most %v, got %v", sim.MaxSpeed, f.speed)
	case f.drain < 0 || f.every < 0:
		return fmt.Errorf("--drain and --every must not be negative, got %v and %v", f.drain, f.every)
	case f.numbers < 1 || f.numbers > maxDemoNumbers:
		return fmt.Errorf("--numbers must be from 1 to %d, got %d", maxDemoNumbers, f.numbers)
	}
	var h slog.Handler = slog.NewTextHandler(cmd.ErrOrStderr(), nil)
	if f.json {
		h = slog.NewJSONHandler(cmd.ErrOrStderr(), nil)
	}
	log := slog.New(h)

	data, fsys := demoScenario, os.DirFS(".")
	if f.scenario != "" {
		var err error
		if data, err = os.ReadFile(f.scenario); err != nil {
			return err
		}
		fsys = os.DirFS(filepath.Dir(f.scenario))
	}
	sc, err := sim.ParseScenario(data, f.sets, fsys)
	if err != nil {
		return err
	}
	sc.Start = time.Now().Truncate(time.Millisecond)
	sc.Warmup = 0

	st, err := store.Open(store.Config{Dir: f.data, Logger: log.With("component", "store")})
	if err != nil {
		return err
	}
	defer st.Close()

	rs, err := st.Recover(sc.Start)
	if err != nil {
		return err
	}
	for _, in := range rs.Interrupted {
		log.Warn("call in flight at the last stop closed", "task", in.Task, "call", in.Call, "number", in.Number, "due_again", in.NextAt)
	}
	task, agents, err := demoCampaign(st, sc, f.numbers, cmd, log)
	if err != nil {
		return err
	}
	log.Info("serving", "data", f.data, "task", task.Spec.ID, "status", task.Status.String(), "agents", len(agents),
		"pacing", task.Spec.Pacing.Mode, "speed", f.speed, "seed", sc.Seed, "last_call", rs.LastCall)
	if task.Status == records.TaskEnded {
		log.Info("the demo campaign is over; remove the data directory to start a new one", "data", f.data)
		return nil
	}

	// The metrics outlive the drain.
	mctx, stopMetrics := context.WithCancel(context.WithoutCancel(ctx))
	defer stopMetrics()
	metrics := newCampaignMetrics()
	if f.metrics != "" {
		if err := metrics.serve(mctx, f.metrics, log); err != nil {
			return fmt.Errorf("--metrics %s: %w", f.metrics, err)
		}
	}
	stopped, finished := make(chan struct{}), make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
		case <-finished:
			return
		}
		if f.drain > 0 {
			log.Info("stopping: no new call; waiting for the calls in flight to end (Ctrl-C again to stop now)", "at_most", f.drain)
			t := time.NewTimer(f.drain)
			defer t.Stop()
			select {
			case <-t.C:
				log.Warn("calls still in flight after the drain; they are closed with a record on the next start", "drain", f.drain)
			case <-now:
			case <-finished:
				return
			}
		}
		close(stopped)
	}()

	var seqs []uint64
	var skipped engine.Ready
	var tickDials int64
	spec := task.EngineSpec()
	opts := sim.Options{
		Speed: f.speed, Stop: stopped, Drain: ctx.Done(), CTIEvents: true,
		Task: &spec, Agents: agents, Status: task.Status, LastCall: rs.LastCall,
		Every: f.every,
		OnTick: func(s *sim.Sim) {
			l := s.Live()
			metrics.update(l)
			attrs := []any{"simulated", l.Simulated.Round(time.Second), "dials", l.Dials, "dials_since_last", l.Dials - tickDials,
				"live_answers", l.LiveAnswers, "connected", l.Connected, "abandoned", l.Abandoned,
				"abandon_rate", fmt.Sprintf("%.2f%%", 100*l.AbandonRate), "occupancy", fmt.Sprintf("%.1f%%", 100*l.Occupancy),
				"agents_idle", l.Queue.Idle, "agents_busy", l.Queue.Busy, "ringing", l.Task.Ringing, "waiting", l.Task.Waiting,
				"level", fmt.Sprintf("%.2f", l.Task.Level)}
			if !l.Task.DialUntil.IsZero() { // the calling window closes for the day
				attrs = append(attrs, "dial_until", l.Task.DialUntil.Format(time.RFC3339))
			}
			log.Info("campaign", attrs...)
			tickDials = l.Dials
		},
		Hooks: sim.Hooks{
			Commit: func(rd *engine.Ready) error {
				var err error
				w := records.Writes{Numbers: rd.Numbers, Records: rd.Records, Tasks: rd.Tasks, Events: rd.Events}
				seqs, err = st.Commit(w, nil, seqs[:0])
				return err
			},
			Fetch: func(t records.TaskID, now time.Time, max int, buf []records.Number) ([]records.Number, bool, error) {
				// Fewer than max means nothing else is due now; the engine
				// asks again when its buffer runs low, the simulator when
				// nothing at all was due.
				nums, err := st.NextNumbers(t, now, max, buf)
				if err != nil {
					return nil, false, err
				}
				exhausted := len(nums) == 0
				nums, err = skipBlacklisted(st, task.Spec.Tenant, t, now, nums, &skipped)
				return nums, exhausted, err
			},
			// The pacer spends the day's abandon budget knowing when the
			// calling window closes.
			DialUntil: st.DialUntil,
		},
	}
	s, err := sim.New(sc, opts)
	if err != nil {
		return err
	}
	r, err := s.Run()
	if err != nil {
		return err
	}
	log.Info("stopped; the campaign resumes from the store on the next start", "calls_in_flight", s.Engine().ActiveCalls())
	return r.WriteText(cmd.OutOrStdout())
}

// demoCampaign returns the demo task and its agents, creating them (and
// importing the numbers) when the store has none.
func demoCampaign(st *store.Badger, sc *sim.Scenario, numbers int, cmd *cobra.Command, log *slog.Logger) (store.Task, []records.AgentID, error) {
	tasks, err := st.ListTasks(demoTenant)
	if err != nil {
		return store.Task{}, nil, err
	}
	if len(tasks) > 0 {
		t := tasks[len(tasks)-1]
		q, err := st.GetQueue(demoTenant, t.Spec.Queue)
		if err != nil {
			return store.Task{}, nil, err
		}
		return t, q.Members, nil
	}
	log.Info("empty store: creating the demo campaign", "agents", sc.Agents.Count, "numbers", numbers)
	if err := st.PutTenant(store.Tenant{ID: demoTenant, Name: "Demo", Created: sc.Start}); err != nil {
		return store.Task{}, nil, err
	}
	q := store.Queue{Spec: records.QueueSpec{Tenant: demoTenant, Name: "demo", Strategy: records.StrategyLongestIdle}}
	agents := make([]records.AgentID, sc.Agents.Count)
	for i := range agents {
		a := records.AgentSpec{Tenant: demoTenant, Name: fmt.Sprintf("%d", 1001+i), Phone: fmt.Sprintf("%d", 1001+i)}
		if err := st.PutAgent(&a); err != nil {
			return store.Task{}, nil, err
		}
		agents[i] = a.ID
	}
	q.Members = agents
	if err := st.PutQueue(&q); err != nil {
		return store.Task{}, nil, err
	}
	acw := time.Duration(0)
	if sc.Handling.Wrap.MeanSeconds() > 0 {
		acw = 10 * time.Minute
	}
	t := store.Task{
		Spec: records.TaskSpec{
			Tenant: demoTenant, Name: "demo campaign", Queue: q.Spec.ID, Pacing: sc.Task.Pacing,
			CallerIDs:       []string{"+14155550100", "+14155550101"},
			NoAnswerTimeout: *sc.Task.NoAnswerTimeout, ConnectDeadline: *sc.Task.ConnectDeadline,
			ACWTimeout: acw, MaxLinesPerAgent: sc.Task.MaxLinesPerAgent, Retry: sc.Task.Retry,
			SafeHarbor: "safe-harbor", AllowShortRing: true, AllowZeroDeadline: true,
		},
		// The simulated customers answer at any hour; a real campaign keeps
		// records.DefaultWindow (08:00–21:00 in each callee's time).
		Window: records.AlwaysOpen,
	}
	if err := st.CreateTask(&t); err != nil {
		return store.Task{}, nil, err
	}
	if err := importDemoNumbers(st, t.Spec.ID, numbers, cmd); err != nil {
		return store.Task{}, nil, err
	}
	return t, agents, nil
}

// importDemoNumbers imports n numbers of the form +1 415 2xx xxxx, every
// fourth with an alternative phone +1 415 3xx xxxx (dialled once the first
// gives up), with a progress bar.
func importDemoNumbers(st *store.Badger, task records.TaskID, n int, cmd *cobra.Command) error {
	bar := progressbar.NewOptions(n, progressbar.OptionSetWriter(cmd.ErrOrStderr()),
		progressbar.OptionSetDescription("importing demo numbers"), progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	src := func(yield func(records.Number, error) bool) {
		for i := 0; i < n; i++ {
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
	res, err := st.ImportStream(task, src, func(p store.ImportProgress) { _ = bar.Set(p.Read) })
	_ = bar.Finish()
	if err != nil {
		return err
	}
	if res.Stored == 0 {
		return errors.New("no demo number could be imported")
	}
	return nil
}

// skipBlacklisted drops the numbers on the tenant's or the task's blacklist,
// checked when they are about to be dialled (not only at import): each is
// written durably as skipped with NoCallReasonCode 2 and announced with
// EventCallDeleted, so it is never handed out again. It returns the rest.
func skipBlacklisted(st *store.Badger, tenant string, task records.TaskID, now time.Time, nums []records.Number, rd *engine.Ready) ([]records.Number, error) {
	rd.Numbers, rd.Events = rd.Numbers[:0], rd.Events[:0]
	kept := nums[:0]
	for _, n := range nums {
		black, err := st.Blacklisted(tenant, task, n.Phone)
		if err != nil {
			return nil, err
		}
		if !black {
			kept = append(kept, n)
			continue
		}
		rd.Numbers = append(rd.Numbers, records.NumberUpdate{At: now, Task: task, Number: n.ID, State: records.NumberSkipped,
			Attempts: n.Attempts, Reason: records.NoCallBlacklisted})
		rd.Events = append(rd.Events, records.CTIEvent{Name: records.EventCallDeleted, At: now, Tenant: tenant, Task: task,
			OtherDN: n.Phone, Reason: records.NoCallBlacklisted})
	}
	if len(rd.Numbers) > 0 {
		if _, err := st.Commit(records.Writes{Numbers: rd.Numbers, Events: rd.Events}, nil, nil); err != nil {
			return nil, err
		}
	}
	return kept, nil
}
