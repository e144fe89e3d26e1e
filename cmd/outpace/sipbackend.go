package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/backend/sip"
	"github.com/outpace-dev/outpace/backend/sipremote"
)

// sipFlags are the flags that override the common fields of a SIP
// configuration file.
type sipFlags struct {
	file              string
	trunk, listen, tr string
	mediaIP           string
	assert, registrar bool
	machineHeader     string
	bound             *cobra.Command
}

// bind binds the file as configFlag, and the flags of the common fields
// when common.
func (f *sipFlags) bind(c *cobra.Command, configFlag, usage string, common bool) {
	f.bound = c
	fl := c.Flags()
	fl.StringVar(&f.file, configFlag, "", usage)
	if !common {
		return
	}
	fl.StringVar(&f.trunk, "trunk", "", `the trunk's URI template, {number} the dialled number (the file's trunk), e.g. "sip:{number}@203.0.113.5:5060"`)
	fl.StringVar(&f.listen, "listen", "", "our SIP address IP:port, UDP and TCP (the file's listen)")
	fl.StringVar(&f.mediaIP, "media-ip", "", "the address of our RTP sockets (the file's media_ip; default the listen address)")
	fl.StringVar(&f.tr, "transport", "", `"udp" or "tcp": the transport of the trunk's calls (sets ;transport= on the trunk URI)`)
	fl.BoolVar(&f.assert, "assert-identity", false, "also put the caller ID in P-Asserted-Identity (the file's assert_identity)")
	fl.BoolVar(&f.registrar, "registrar", false, "accept REGISTER from agent phones (the file's registrar)")
	fl.StringVar(&f.machineHeader, "machine-header", "", `the header of the trunk's 200 OK with the carrier's answering-machine result, e.g. "X-AMD-Result" (the file's machine_header)`)
}

// config reads the file, if any, and applies the flags that were given.
func (f *sipFlags) config() (sip.Config, error) {
	var cfg sip.Config
	if f.file != "" {
		var err error
		if cfg, err = sipremote.LoadConfig(f.file); err != nil {
			return cfg, err
		}
	}
	fl := f.bound.Flags()
	set := func(name string, apply func()) {
		if fl.Lookup(name) != nil && fl.Changed(name) {
			apply()
		}
	}
	set("trunk", func() { cfg.Trunk = f.trunk })
	set("listen", func() { cfg.Listen = f.listen })
	set("media-ip", func() { cfg.MediaIP = f.mediaIP })
	set("assert-identity", func() { cfg.AssertIdentity = f.assert })
	set("registrar", func() { cfg.Registrar = f.registrar })
	set("machine-header", func() { cfg.MachineHeader = f.machineHeader })
	if f.tr != "" {
		if err := sipremote.SetTransport(&cfg, f.tr); err != nil {
			return cfg, err
		}
	}
	if pw := os.Getenv("OUTPACE_SIP_PASSWORD"); pw != "" {
		cfg.Password = pw
	}
	return cfg, nil
}

// sipExample is the example configuration of the help texts, indented.
func sipExample() string {
	return "  " + strings.ReplaceAll(strings.TrimSpace(sipremote.ExampleConfig), "\n", "\n  ")
}

func backendSIPCmd() *cobra.Command {
	var (
		bf backendFlags
		sf sipFlags
	)
	c := &cobra.Command{
		Use:   "sip --config FILE [--server ADDR] [--trunk URI] [--listen ADDR]",
		Short: "Attach the SIP user agent to a server as a backend",
		Long: `backend sip places the engine's calls over SIP as a backend process attached
to a server (serve --backend remote): it sends INVITEs to the carrier trunk
with the campaign's caller ID, CANCELs at the ring timeout, answers the
trunk's digest challenge, rings the agent's phone when a customer answers,
bridges the two legs' RTP and plays the safe-harbor recording to an
abandoned call. It keeps to the trunk's limits (lines, calls_per_second)
and announces them to the server.

The configuration is a YAML file (--config) of the fields below; the flags
override the file's. The trunk's password may also come from
OUTPACE_SIP_PASSWORD. The agents are not logged in by the backend: they log
in through the API (outpace ctl, their desktop), and the engine rings their
phones (agents, or the phones registered with registrar: true).

An example configuration (docs/examples/sip.yaml):

` + sipExample(),
		Example: `  OUTPACE_ACCESS_KEY=... outpace backend sip --app backend --server 127.0.0.1:7070 --config sip.yaml
  # the trunk over TCP, the caller ID also in P-Asserted-Identity
  outpace backend sip --token "$TOKEN" --config sip.yaml --transport tcp --assert-identity`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			scfg, err := sf.config()
			if err != nil {
				return sipFlagError(err)
			}
			// --lines and --cps are the trunk's limits, which the client
			// announces.
			if cmd.Flags().Changed("lines") {
				scfg.Lines = bf.cfg.Lines
			}
			if cmd.Flags().Changed("cps") {
				scfg.CallsPerSecond = bf.cfg.CallsPerSecond
			}
			if bf.cfg.BackendID == "" {
				host, _ := os.Hostname()
				bf.cfg.BackendID = "sip-" + host
			}
			cfg := sipremote.Config{Client: bf.config(cmd), SIP: scfg}
			if err := cfg.Check(); err != nil {
				return sipFlagError(err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cfg.Client.Logger.Info("SIP backend starting", "server", cfg.Client.Server, "backend", cfg.Client.BackendID)
			if err := sipremote.Run(ctx, cfg); err != nil {
				return fmt.Errorf("backend sip: %w", err)
			}
			return nil
		},
	}
	bf.bind(c)
	c.Flags().Lookup("lines").Usage = "the trunk's most calls at once (the file's lines; 0 = no limit); the server keeps to it"
	c.Flags().Lookup("cps").Usage = "the trunk's most INVITEs a second (the file's calls_per_second; 0 = no limit); the server keeps to it"
	sf.bind(c, "config", "the SIP configuration file (YAML, the fields of the example below)", true)
	return c
}

// sipFlagError names the field of a configuration error: a flag, or a
// field of the configuration file ("sip.trunk").
func sipFlagError(err error) error {
	var e *apierr.Error
	if errors.As(err, &e) && strings.HasPrefix(e.Field, "sip") {
		return fmt.Errorf("%s: %s", e.Field, e.Msg)
	}
	return flagError(err)
}
