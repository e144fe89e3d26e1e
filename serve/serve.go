// Package serve is the server's wiring: the Badger store, the runner that
// owns the engine, the simulated world as its backend, the demo campaign,
// Prometheus metrics and /healthz. cmd/outpace binds flags into a Config;
// the gRPC API plugs into the same runner (Submit, Subscribe, Snapshot).
package serve

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"text/tabwriter"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/backend/remote"
	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/runner"
	"github.com/outpace-dev/outpace/sim"
	"github.com/outpace-dev/outpace/store"
)

// MaxSpeed bounds Config.Speed: beyond it the wall time of a single step
// is simulated seconds, and the engine no longer paces in step with the
// simulated world.
const MaxSpeed = 10_000

// Config is what serve runs.
type Config struct {
	// Data is the Badger data directory.
	Data string
	// Scenario is the simulated team and carrier, and the settings of the
	// demo campaign created on an empty store (DemoScenario by default).
	Scenario *sim.Scenario
	// ApplySettings says that Scenario was chosen for this start (a file or
	// overrides): its task settings replace those of the stored campaign.
	ApplySettings bool
	// Speed is simulated seconds per wall second (1 = real time).
	Speed float64
	// Numbers is how many numbers the demo campaign gets on an empty store.
	Numbers int
	// Every is how often the campaign's figures are logged (0 = never).
	Every time.Duration
	// Metrics is the address of /metrics and /healthz ("" = none).
	Metrics string
	// GRPC is the address of the gRPC API ("" = none; port 0 picks a free
	// one, which the log names).
	GRPC string
	// RemoteBackends makes the runner's backend the backends that attach
	// to the gRPC API (outpace backend sim, a media server's adapter)
	// instead of the simulated world in process; it needs GRPC. The
	// backends must run at Speed.
	RemoteBackends bool
	// Backend, when set, is the runner's backend instead of the simulated
	// world (backend/sip, which runs in real time: Speed must be 1); the
	// agents log in through the API.
	Backend runner.Backend
	// AdminKey, when set, is the administrative tenant's access key;
	// otherwise a store without that tenant gets a random key, logged once.
	AdminKey string
	// Drain is the longest wait, in wall time, for the calls in flight to
	// end after the stop (0 = stop at once).
	Drain time.Duration
	// Logger receives the server's log (nil: discarded).
	Logger *slog.Logger
	// Progress, if set, is told how far the demo's import is.
	Progress func(read, total int)
	// Out receives the summary printed at the end (nil: none).
	Out io.Writer
}

// defaults returns the logger and the scenario of cfg, or their defaults:
// a discarding logger and DemoScenario.
func (cfg *Config) defaults() (*slog.Logger, *sim.Scenario, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Scenario != nil {
		return log, cfg.Scenario, nil
	}
	sc, err := sim.ParseScenario(DemoScenario, nil, nil)
	return log, sc, err
}

// SetUp creates the demo campaign on an empty store of cfg.Data (or
// finishes one whose set-up was cut short), as Run does first, and returns
// without serving.
func SetUp(ctx context.Context, cfg Config) error {
	log, sc, err := cfg.defaults()
	if err != nil {
		return err
	}
	st, err := store.Open(store.Config{Dir: cfg.Data, Logger: log.With("component", "store")})
	if err != nil {
		return err
	}
	defer st.Close()
	_, _, err = demoCampaign(ctx, st, sc, cfg.Numbers, cfg.ApplySettings, cfg.Progress, log)
	return err
}

// Run serves until ctx is done, then drains (no new call) until no call is
// left, Drain has passed or now is closed. A ctx done before the runner
// starts places no call; the metrics address is bound before the store is
// opened, so a busy port fails before anything is touched.
func Run(ctx context.Context, now <-chan struct{}, cfg Config) error {
	switch {
	case !(cfg.Speed > 0 && cfg.Speed <= MaxSpeed):
		return apierr.Invalid("speed", "must be above 0 and at most %v simulated seconds a wall second, got %v", MaxSpeed, cfg.Speed)
	case cfg.Every < 0 || cfg.Drain < 0:
		return apierr.Invalid("every", "every and drain must not be negative, got %v and %v", cfg.Every, cfg.Drain)
	}
	log, sc, err := cfg.defaults()
	if err != nil {
		return err
	}
	var ln net.Listener
	if cfg.Metrics != "" {
		var err error
		if ln, err = listen(cfg.Metrics); err != nil {
			return fmt.Errorf("metrics address %s: %w", cfg.Metrics, err)
		}
		defer ln.Close()
	}
	if cfg.Backend != nil && (cfg.RemoteBackends || cfg.Speed != 1) {
		return apierr.Invalid("backend", "a backend of its own runs alone and in real time (speed 1)")
	}
	if cfg.RemoteBackends && cfg.GRPC == "" {
		return apierr.Invalid("backend", "remote backends attach to the gRPC API: it needs an address")
	}
	var grpcLn net.Listener
	if cfg.GRPC != "" {
		var err error
		if grpcLn, err = net.Listen("tcp", cfg.GRPC); err != nil {
			return fmt.Errorf("gRPC address %s: %w", cfg.GRPC, err)
		}
		defer grpcLn.Close()
	}
	if ctx.Err() != nil {
		log.Info("stopped before the start: no call placed")
		return nil
	}

	st, err := store.Open(store.Config{Dir: cfg.Data, Logger: log.With("component", "store")})
	if err != nil {
		return err
	}
	defer st.Close()
	task, members, err := demoCampaign(ctx, st, sc, cfg.Numbers, cfg.ApplySettings, cfg.Progress, log)
	if ctx.Err() != nil {
		log.Info("stopped during the set-up: no call placed; the next start finishes it")
		return nil
	}
	if err != nil {
		return err
	}
	if task.Status == records.TaskEnded {
		log.Info("the demo campaign is over; remove the data directory to start a new one", "data", cfg.Data)
		return nil
	}
	agents := members
	if n := sc.Agents.Count; n < len(agents) {
		agents = agents[:n]
	} else if n > len(agents) {
		log.Warn("the stored queue has fewer agents than the scenario: the simulated team is the queue", "agents", len(agents), "scenario", n)
	}

	// The world's draws differ at every start: the seed moves with the
	// event log, so a restart does not replay the previous run.
	last, err := st.LastSeq(DemoTenant)
	if err != nil {
		return err
	}
	seed := sc.Seed + last*0x9e3779b97f4a7c15
	clock := runner.NewScaled(time.Now().Truncate(time.Millisecond), cfg.Speed)
	var world runner.Backend
	var hub *remote.Hub
	switch {
	case cfg.Backend != nil:
		world = cfg.Backend
	case !cfg.RemoteBackends:
		world = sim.NewLive(sc, seed, agents, task.Spec.ACWTimeout > 0, clock)
	default:
		hub = remote.NewHub(remote.HubConfig{Clock: clock, Logger: log.With("component", "backends")})
		world = hub
		log.Info("waiting for backends to attach", "attach", fmt.Sprintf("OUTPACE_ACCESS_KEY=... outpace backend sim --app %s --server %s --speed %g --agents 1-%d",
			AdminApp, grpcLn.Addr(), cfg.Speed, len(agents)))
	}
	m := newMetrics(task.Spec.ID, task.Spec.Queue)
	r := runner.New(runner.Config{Store: st, Backend: world, Clock: clock, Seed: seed,
		Logger: log.With("component", "runner"), Observe: m.observe})
	m.r.Store(r)
	log.Info("serving", "data", cfg.Data, "task", task.Spec.ID, "status", task.Status.String(), "agents", len(agents),
		"pacing", task.Spec.Pacing.Mode, "setting", sim.Setting(task.Spec.Pacing), "speed", cfg.Speed, "seed", seed)

	hard, stopHard := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHard()
	if ln != nil {
		m.serveHTTP(hard, ln, st, log)
	}
	if grpcLn != nil {
		stopAPI, err := serveAPI(grpcLn, st, r, hub, cfg.AdminKey, m.reg, log)
		if err != nil {
			return err
		}
		defer stopAPI()
	}
	if ctx.Err() != nil {
		r.Drain() // a stop during the start: the runner places no call
	}
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(hard) }()
	if task.Status == records.TaskCreated {
		if err := r.Submit(hard, engine.Event{Kind: engine.EvStartTask, Task: task.Spec.ID}); err != nil && r.Err() == nil && ctx.Err() == nil {
			log.Warn("the demo campaign could not start", "err", err)
		}
	}

	start := clock.Now()
	wallStart := time.Now()
	var tick <-chan time.Time
	if cfg.Every > 0 {
		t := time.NewTicker(cfg.Every)
		defer t.Stop()
		tick = t.C
	}
	var lastDials int64
	logFigures := func() {
		s := r.Snapshot()
		ts, q := s.Tasks[task.Spec.ID], s.Queues[task.Spec.Queue]
		d := m.n.dials.Load()
		attrs := []any{"simulated", clock.Now().Sub(start).Round(time.Second), "dials", d, "dials_since_last", d - lastDials,
			"live_answers", m.n.live.Load(), "connected", m.n.connected.Load(), "abandoned", m.n.abandoned.Load(),
			"abandon_rate", fmt.Sprintf("%.2f%%", 100*ts.AbandonRate), "occupancy", fmt.Sprintf("%.1f%%", 100*occupancy(q)),
			"agents_idle", q.Idle, "agents_busy", q.Busy, "ringing", ts.Ringing, "waiting", ts.Waiting,
			"level", fmt.Sprintf("%.2f", ts.Level)}
		if ts.Exhausted { // not a stall: the list has nothing to dial now
			attrs = append(attrs, "numbers", "none due (dials again when a retry falls due or numbers are added)")
		}
		if !ts.DialUntil.IsZero() { // the calling window closes for the day
			attrs = append(attrs, "dial_until", ts.DialUntil.Format(time.RFC3339))
		}
		log.Info("campaign", attrs...)
		lastDials = d
	}

	stopping := ctx.Done()
	var deadline <-chan time.Time
	for {
		select {
		case err := <-runErr:
			if err != nil {
				return err
			}
			s := r.Snapshot()
			log.Info("stopped; the campaign resumes from the store on the next start", "calls_in_flight", s.ActiveCalls)
			return summary(cfg.Out, clock.Now().Sub(start), time.Since(wallStart), cfg.Speed, &m.n, occupancy(s.Queues[task.Spec.Queue]), s.ActiveCalls)
		case <-tick:
			logFigures()
		case <-stopping:
			stopping = nil
			if cfg.Drain <= 0 {
				stopHard()
				continue
			}
			log.Info("stopping: no new call; waiting for the calls in flight to end (Ctrl-C again to stop now)", "at_most", cfg.Drain)
			r.Drain()
			t := time.NewTimer(cfg.Drain)
			defer t.Stop()
			deadline = t.C
		case <-deadline:
			deadline = nil
			log.Warn("calls still in flight after the drain; they are closed with a record on the next start", "drain", cfg.Drain)
			stopHard()
		case <-now:
			now = nil
			stopHard()
		}
	}
}

// summary prints what the run did.
func summary(w io.Writer, simulated, wall time.Duration, speed float64, n *totals, occ float64, left int) error {
	if w == nil {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	live, ab := n.live.Load(), n.abandoned.Load()
	rate := 0.0
	if live > 0 {
		rate = float64(ab) / float64(live)
	}
	fmt.Fprintf(tw, "ran\t%s simulated in %s at speed %g\n", simulated.Round(time.Second), wall.Round(time.Millisecond), speed)
	fmt.Fprintf(tw, "dials\t%d\n", n.dials.Load())
	fmt.Fprintf(tw, "live answers\t%d: %d connected, %d abandoned (%.2f %%)\n", live, n.connected.Load(), ab, 100*rate)
	fmt.Fprintf(tw, "occupancy\t%.1f %%\n", 100*occ)
	fmt.Fprintf(tw, "calls left\t%d in flight (closed with a record on the next start)\n", left)
	return tw.Flush()
}
