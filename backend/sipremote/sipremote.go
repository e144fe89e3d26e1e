// Package sipremote runs the SIP backend (backend/sip) as a stand-alone
// process attached to a server over the backend protocol by a
// remote.Client: outpace backend sip. Its configuration is a YAML file of
// sip.Config's fields (ExampleConfig shows them all), which flags may
// override.
package sipremote

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/backend/remote"
	"github.com/outpace-dev/outpace/backend/sip"
)

// ExampleConfig is a configuration file with every field, commented; the
// repository keeps it as docs/examples/sip.yaml.
const ExampleConfig = `# The SIP backend of outpace (outpace backend sip --config sip.yaml, or
# outpace serve --backend sip --sip-config sip.yaml). Fields left out take
# their defaults; durations are written like 30s or 1m30s.

# The carrier trunk: {number} is the dialled number. Add ;transport=tcp
# to place the calls over TCP.
trunk: "sip:{number}@203.0.113.5:5060"
# Our SIP address (UDP and TCP), one the trunk and the phones can reach.
listen: "192.0.2.10:5060"
# Our RTP sockets: their address (default listen's) and a port range to
# open in the firewall (default: any free port).
media_ip: "192.0.2.10"
rtp_port_min: 20000
rtp_port_max: 20999

# The caller ID goes into From; also into P-Asserted-Identity when the
# trunk takes it from there.
assert_identity: true
# Headers added to every customer INVITE.
headers:
  X-Account: "1234"
# The trunk's digest challenge (401 or 407) is answered with these.
username: "outpace"
password: "change-me"

# The trunk's limits: calls at once and INVITEs a second (0 = none).
lines: 100
calls_per_second: 20
# How long phones ring before we give up.
ring_timeout: 30s
agent_ring_timeout: 15s

# Agent phones by the phone of their agent record; phones that REGISTER
# with us are found by their user part.
agents:
  "1001": "sip:1001@192.0.2.30:5060"
  "1002": "sip:1002@192.0.2.31:5060"
registrar: true
max_expires: 1h

# Recordings by the names the tasks give them (safe-harbor message,
# machine message): WAV, 8 kHz mono, 16-bit PCM or G.711.
messages:
  safe-harbor: "/etc/outpace/safe-harbor.wav"

# The carrier's answering-machine result, if it sends one.
machine_header: "X-AMD-Result"
machine_values: ["machine", "fax"]
`

// Config configures a SIP backend process.
type Config struct {
	// Client attaches to the server; its Lines and CallsPerSecond, when
	// zero, are the trunk's (SIP.Lines, SIP.CallsPerSecond), so that the
	// server never asks for more than the trunk takes.
	Client remote.ClientConfig
	SIP    sip.Config
}

// Check fills in the defaults and reports a bad configuration, naming the
// field.
func (c *Config) Check() error {
	if err := c.SIP.Validate(); err != nil {
		return err
	}
	if c.Client.Lines == 0 {
		c.Client.Lines = c.SIP.Lines
	}
	if c.Client.CallsPerSecond == 0 {
		c.Client.CallsPerSecond = c.SIP.CallsPerSecond
	}
	return c.Client.Check()
}

// Run binds the SIP sockets, attaches the backend to the server and keeps
// it attached until ctx is done; then the calls still up are hung up.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	b, err := sip.New(cfg.SIP)
	if err != nil {
		return err
	}
	if cfg.Client.Logger != nil {
		cfg.Client.Logger.Info("SIP backend listening", "sip", b.Addr().String(), "trunk", cfg.SIP.Trunk,
			"lines", cfg.SIP.Lines, "calls_per_second", cfg.SIP.CallsPerSecond)
	}
	return remote.NewClient(cfg.Client, b).Run(ctx)
}

// LoadConfig reads a configuration file (YAML, the fields of ExampleConfig).
func LoadConfig(path string) (sip.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return sip.Config{}, err
	}
	cfg, err := parse(data)
	if err != nil {
		return sip.Config{}, apierr.Invalid("sip", "%s: %v", path, err)
	}
	return cfg, nil
}

// ParseConfig parses a configuration in YAML; a field sip.Config does not
// have is an error naming it. Nothing is checked beyond the syntax:
// Config.Check (or sip.New) validates.
func ParseConfig(data []byte) (sip.Config, error) {
	cfg, err := parse(data)
	if err != nil {
		return sip.Config{}, apierr.Invalid("sip", "%v", err)
	}
	return cfg, nil
}

func parse(data []byte) (sip.Config, error) {
	var cfg sip.Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return sip.Config{}, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return cfg, nil
}

// SetTransport sets the transport of cfg's trunk URI ("udp" or "tcp"),
// replacing a ";transport=" parameter it has.
func SetTransport(cfg *sip.Config, transport string) error {
	t := strings.ToLower(transport)
	if t != "udp" && t != "tcp" {
		return apierr.Invalid("transport", "must be udp or tcp, got %q", transport)
	}
	var kept []string
	for i, p := range strings.Split(cfg.Trunk, ";") {
		if i > 0 && strings.HasPrefix(strings.ToLower(p), "transport=") {
			continue
		}
		kept = append(kept, p)
	}
	cfg.Trunk = strings.Join(kept, ";")
	if t == "tcp" {
		cfg.Trunk += ";transport=tcp"
	}
	return nil
}
