package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/backend/sip"
	"github.com/outpace-dev/outpace/runner"
	server "github.com/outpace-dev/outpace/serve"
	"github.com/outpace-dev/outpace/sim"
)

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
	grpc     string
	adminKey string
	backend  string
	sip      sipFlags
}

func serveCmd() *cobra.Command {
	var f serveFlags
	c := &cobra.Command{
		Use:   "serve [--data DIR] [--speed X]",
		Short: "Run the dialer on its Badger store, the gRPC API and a telephony backend",
		Long: `serve runs the engine in real time the way production does: one runner owns
the engine, every Ready is committed to the Badger store (numbers marked
dialing, call records, task status, the CTI event log) before its calls are
placed, and numbers come from the store in dialling order.

The backend (--backend) is by default the simulated world, playing the
carrier and a team of agents in real time (or faster with --speed); it sees
only the engine's commands and answers with carrier events and agent
requests, as real phones and agents would. --backend remote waits for
backends that attach to the gRPC port (outpace backend sim, outpace backend
sip, or an adapter of your own); --backend sip places real calls on a SIP
trunk from this process (--sip-config), with agents logging in through the
API. On an empty store serve creates a demo tenant, its queue and agents,
and a predictive campaign with --numbers numbers, in one step (a set-up cut
short is done again on the next start); on a restart it recovers: calls in
flight at a crash are closed with a record and their numbers come back
later, and the campaign goes on where it stopped. --scenario and --set
change the simulated team and carrier, and their task settings are applied
to the stored campaign.

Stop it with Ctrl-C (or SIGTERM): it places no new call and lets the calls
in flight end, for at most --drain, then prints what it did. A second Ctrl-C
stops it at once; the calls still up are then closed with a record on the
next start. Either way the campaign keeps its status and dials again on the
next start. /healthz (next to /metrics) answers 200 while the runner steps
and the store takes writes, 503 otherwise.

The gRPC API (--grpc, with server reflection) serves the store and the
runner; outpace ctl is its client. Its administrative tenant "admin" logs in
with app "admin" and the key of --admin-key (or OUTPACE_ADMIN_KEY); without
one, the first start draws a key and logs it once.`,
		Example: `  outpace serve                      # ./data, real time
  outpace serve --speed 20           # twenty times faster than real time
  outpace serve --data /var/lib/outpace --scenario my-team.yaml
  outpace serve --backend remote     # then: outpace backend sim --server 127.0.0.1:7070 ...
  outpace serve --backend sip --sip-config sip.yaml`,
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
	c.Flags().DurationVar(&f.every, "every", 10*time.Second, "how often to log the campaign's figures (0 = never)")
	c.Flags().BoolVar(&f.json, "log-json", false, "log as JSON lines instead of text")
	c.Flags().StringVar(&f.metrics, "metrics", "127.0.0.1:9464", `serve Prometheus metrics at http://ADDR/metrics and health at /healthz ("" = off)`)
	c.Flags().StringVar(&f.grpc, "grpc", "127.0.0.1:7070", `serve the gRPC API at ADDR ("" = off; outpace ctl is its client)`)
	c.Flags().StringVar(&f.backend, "backend", "sim", `the telephony backend: "sim", the simulated world in process, or "remote", the backends that attach to --grpc (outpace backend sim), or "sip", the SIP user agent in process (--sip-config)`)
	f.sip.bind(c, "sip-config", `the SIP configuration file of --backend sip (YAML: see outpace backend sip --help)`, false)
	c.Flags().StringVar(&f.adminKey, "admin-key", os.Getenv("OUTPACE_ADMIN_KEY"), "access key of the administrative tenant's app \"admin\" (default $OUTPACE_ADMIN_KEY; unset: drawn on the first start and logged once)")
	c.Flags().DurationVar(&f.drain, "drain", 30*time.Second, "on Ctrl-C, the longest wait (wall time) for the calls in flight to end (0 = stop at once)")
	return c
}

// serve binds the flags into a server.Config and runs it until ctx is
// done, then drains until no call is left, --drain has passed or now is
// closed.
func serve(ctx context.Context, now <-chan struct{}, f serveFlags, cmd *cobra.Command) error {
	switch {
	case !(f.speed > 0 && f.speed <= server.MaxSpeed):
		return fmt.Errorf("--speed must be above 0 and at most %v, got %v", server.MaxSpeed, f.speed)
	case f.drain < 0 || f.every < 0:
		return fmt.Errorf("--drain and --every must not be negative, got %v and %v", f.drain, f.every)
	case f.numbers < 1 || f.numbers > maxDemoNumbers:
		return fmt.Errorf("--numbers must be from 1 to %d, got %d", maxDemoNumbers, f.numbers)
	case f.backend != "sim" && f.backend != "remote" && f.backend != "sip":
		return fmt.Errorf(`--backend must be "sim", "remote" or "sip", got %q`, f.backend)
	case (f.backend == "sip") != (f.sip.file != ""):
		return fmt.Errorf("--sip-config goes with --backend sip, and --backend sip needs it")
	case f.backend == "sip" && f.speed != 1:
		return fmt.Errorf("--backend sip places real calls: --speed must be 1, got %v", f.speed)
	}
	var backend runner.Backend
	if f.backend == "sip" {
		scfg, err := f.sip.config()
		if err != nil {
			return sipFlagError(err)
		}
		b, err := sip.New(scfg)
		if err != nil {
			return sipFlagError(err)
		}
		backend = b
	}

	var h slog.Handler = slog.NewTextHandler(cmd.ErrOrStderr(), nil)
	if f.json {
		h = slog.NewJSONHandler(cmd.ErrOrStderr(), nil)
	}
	data, fsys := server.DemoScenario, os.DirFS(".")
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
	var bar *progressbar.ProgressBar
	defer func() {
		if bar != nil {
			_ = bar.Finish()
		}
	}()
	return server.Run(ctx, now, server.Config{
		Data: f.data, Scenario: sc, ApplySettings: f.scenario != "" || len(f.sets) > 0,
		Speed: f.speed, Numbers: f.numbers, Every: f.every, Metrics: f.metrics, Drain: f.drain,
		GRPC: f.grpc, AdminKey: f.adminKey, RemoteBackends: f.backend == "remote", Backend: backend,
		Logger: slog.New(h), Out: cmd.OutOrStdout(),
		Progress: func(read, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(cmd.ErrOrStderr()),
					progressbar.OptionSetDescription("importing demo numbers"), progressbar.OptionShowCount(),
					progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
			}
			_ = bar.Set(read)
		},
	})
}

// demoTenant owns the demo campaign that serve creates on an empty store.
const demoTenant = server.DemoTenant

// maxDemoNumbers bounds --numbers.
const maxDemoNumbers = 100_000_000
