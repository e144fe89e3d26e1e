package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/backend/remote"
	"github.com/outpace-dev/outpace/backend/simulated"
	"github.com/outpace-dev/outpace/records"
	server "github.com/outpace-dev/outpace/serve"
	"github.com/outpace-dev/outpace/sim"
)

// backendFlags are the flags of every backend process: where the server
// is, how to log in, what to announce.
type backendFlags struct {
	cfg     remote.ClientConfig
	tls     bool
	logJSON bool
}

func (f *backendFlags) bind(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.cfg.Server, "server", "", "the server's gRPC address (default $OUTPACE_SERVER, else 127.0.0.1:7070)")
	fl.StringVar(&f.cfg.AppID, "app", os.Getenv("OUTPACE_APP_ID"), "app id of the administrative tenant to log in with (default $OUTPACE_APP_ID); the access key comes from $OUTPACE_ACCESS_KEY")
	fl.StringVar(&f.cfg.Token, "token", "", "a token of the administrative tenant instead of --app (default $OUTPACE_TOKEN)")
	fl.StringVar(&f.cfg.BackendID, "backend-id", "", "the backend's stable name (default sim-HOSTNAME)")
	fl.IntVar(&f.cfg.Lines, "lines", 0, "calls in flight at once this backend takes (0 = no limit)")
	fl.Float64Var(&f.cfg.CallsPerSecond, "cps", 0, "originates a second this backend takes (0 = no limit)")
	fl.BoolVar(&f.tls, "tls", false, "dial the server with TLS (system roots)")
	fl.BoolVar(&f.logJSON, "log-json", false, "log as JSON lines instead of text")
}

// config completes the client configuration from the environment.
func (f *backendFlags) config(c *cobra.Command) remote.ClientConfig {
	cfg := f.cfg
	if cfg.Server == "" {
		cfg.Server = envOr("OUTPACE_SERVER", "127.0.0.1:7070")
	}
	if cfg.Token == "" {
		cfg.Token = os.Getenv("OUTPACE_TOKEN")
	}
	cfg.AccessKey = os.Getenv("OUTPACE_ACCESS_KEY")
	if cfg.BackendID == "" {
		host, _ := os.Hostname()
		cfg.BackendID = "sim-" + host
	}
	if f.tls {
		cfg.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	var h slog.Handler = slog.NewTextHandler(c.ErrOrStderr(), nil)
	if f.logJSON {
		h = slog.NewJSONHandler(c.ErrOrStderr(), nil)
	}
	cfg.Logger = slog.New(h)
	return cfg
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func backendCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "backend COMMAND",
		Short: "Run a telephony backend that attaches to a server",
		Long: `backend runs a telephony backend as its own process: it attaches to the
server's gRPC port over the backend protocol (proto/outpace/backend/v1),
places the engine's calls and answers with their events, and attaches again
with backoff when the connection breaks, resuming its calls.

It logs in as an app of the administrative tenant: --app (or OUTPACE_APP_ID)
with the access key in OUTPACE_ACCESS_KEY, or a token (--token or
OUTPACE_TOKEN).`,
		Example: `  # the simulated carrier and agents, attached to a server on this machine
  OUTPACE_ACCESS_KEY=... outpace backend sim --app backend --server 127.0.0.1:7070
  # the same world ten times faster than real time
  outpace backend sim --token "$OUTPACE_TOKEN" --speed 10`,
		Args: cobra.NoArgs,
	}
	c.AddCommand(backendSimCmd(), backendSIPCmd())
	return c
}

func backendSimCmd() *cobra.Command {
	var (
		bf     backendFlags
		sf     scenarioFlags
		speed  float64
		agents string
	)
	c := &cobra.Command{
		Use:   "sim [--server ADDR] [--scenario FILE] [--speed X] [--agents IDS]",
		Short: "Attach the simulated carrier and agents to a server as a backend",
		Long: `backend sim plays the simulated world of a scenario (the carrier that answers,
rings out or is busy, and the agents who pick up, talk, wrap up and take
breaks) as a backend process attached to a server, in real time or --speed
times faster; the server must run at the same speed.

The agents are the ones of --agents (ids, as the server's queue has them);
they log in when the backend starts. Without --scenario it plays the demo
team and carrier that serve uses, standing in for agents 1 to 30.`,
		Example: `  OUTPACE_ACCESS_KEY=... outpace backend sim --app backend --server 127.0.0.1:7070
  outpace backend sim --token "$TOKEN" --scenario bench/scenarios/S3.yaml --agents 1-30 --speed 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var sc *sim.Scenario
			var err error
			if sf.file != "" {
				sc, err = sf.load()
			} else {
				sc, err = sim.ParseScenario(server.DemoScenario, sf.sets, nil)
			}
			if err != nil {
				return flagError(err)
			}
			if cmd.Flags().Changed("seed") {
				if sf.seed < 0 {
					return fmt.Errorf("--seed must be 0 or more, got %d", sf.seed)
				}
				sc.Seed = uint64(sf.seed)
			}
			var ids []records.AgentID
			if agents != "" {
				if ids, err = simulated.ParseAgents(agents); err != nil {
					return flagError(err)
				}
			} else {
				ids = simulated.AgentRange(sc.Agents.Count)
			}
			cfg := simulated.Config{Client: bf.config(cmd), Scenario: sc, Agents: ids, Speed: speed, Seed: sc.Seed}
			if err := cfg.Check(); err != nil {
				return flagError(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cfg.Client.Logger.Info("simulated backend starting", "server", cfg.Client.Server, "backend", cfg.Client.BackendID,
				"agents", len(ids), "speed", speed, "seed", sc.Seed)
			if err := simulated.Run(ctx, cfg); err != nil {
				return fmt.Errorf("backend sim: %w", err)
			}
			return nil
		},
	}
	bf.bind(c)
	c.Flags().StringVarP(&sf.file, "scenario", "s", "", "scenario of the simulated team and carrier (default: the demo's)")
	c.Flags().StringArrayVar(&sf.sets, "set", nil, "override a scenario field (repeatable), e.g. --set agents.count=10")
	c.Flags().Int64Var(&sf.seed, "seed", 0, "random seed, 0 or more (default: the scenario's)")
	sf.cmd = c
	c.Flags().Float64Var(&speed, "speed", 1, "simulated seconds per wall second (the server's --speed)")
	c.Flags().StringVar(&agents, "agents", "", `ids of the agents the world stands in for, e.g. "1-30,41" (default 1 to the scenario's agents.count)`)
	return c
}
