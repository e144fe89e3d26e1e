package sip

import (
	"log/slog"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/outpace-dev/outpace/apierr"
)

// Config says where the trunk is, who we are on the network and how calls
// are placed. The zero value of an optional field takes the default its
// comment names; Validate fills them in and rejects the rest with an error
// naming the field ("sip." and its YAML name).
type Config struct {
	// Trunk is the request URI of a customer call, with {number} standing for
	// the dialled number: "sip:{number}@203.0.113.5:5060". A
	// ";transport=tcp" parameter sends the trunk's calls over TCP, else UDP.
	Trunk string `yaml:"trunk" json:"trunk,omitempty"`
	// Listen is the IP address and port of our SIP signalling, served on UDP
	// and TCP alike: "192.0.2.10:5060". Port 0 takes a free port (the same
	// one for both). The address must be one the trunk and the agent phones
	// can reach: it goes into Via and Contact.
	Listen string `yaml:"listen" json:"listen,omitempty"`
	// MediaIP is the address of our RTP sockets, announced in SDP; default
	// the Listen address.
	MediaIP string `yaml:"media_ip" json:"media_ip,omitempty"`
	// RTPPortMin and RTPPortMax bound the UDP ports of our RTP sockets (one
	// per leg), for a firewall to open; both 0 lets the system pick free
	// ports.
	RTPPortMin int `yaml:"rtp_port_min" json:"rtp_port_min,omitempty"`
	RTPPortMax int `yaml:"rtp_port_max" json:"rtp_port_max,omitempty"`
	// SymmetricRTP sends each leg's RTP to where that leg's RTP comes from
	// (RFC 4961) rather than to the address of its SDP, once a packet has
	// come: for phones and trunks behind NAT, whose SDP names a private
	// address. Anyone who can reach a leg's port can then redirect it.
	SymmetricRTP bool `yaml:"symmetric_rtp" json:"symmetric_rtp,omitempty"`
	// FromHost is the host part of the From URI of a customer call, whose
	// user part is the task's caller ID; default the Listen address.
	FromHost string `yaml:"from_host" json:"from_host,omitempty"`

	// AssertIdentity adds a P-Asserted-Identity header with the caller ID
	// (RFC 3325), for trunks that take the caller ID from it rather than
	// from From.
	AssertIdentity bool `yaml:"assert_identity" json:"assert_identity,omitempty"`

	// Headers are added to every customer INVITE as they are, for a
	// carrier that routes or bills by a header of its own:
	// {"X-Account": "1234"}.
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`

	// Username and Password answer the trunk's digest challenge (401 or
	// 407); with no Password a challenged call fails.
	Username string `yaml:"username" json:"username,omitempty"`
	Password string `yaml:"password" json:"-"` // never in JSON: Config may be shown

	// Lines is the most customer calls in progress at once (ringing or
	// answered) the trunk accepts; 0 means no limit. An originate beyond it
	// waits for a free line.
	Lines int `yaml:"lines" json:"lines,omitempty"`
	// CallsPerSecond is the most INVITEs a second the trunk accepts; 0 means
	// no limit. Originates are spaced by 1/CallsPerSecond.
	CallsPerSecond float64 `yaml:"calls_per_second" json:"calls_per_second,omitempty"`

	// RingTimeout is how long a customer's phone rings before we CANCEL, when
	// the originate command gives no timeout; default 30s.
	RingTimeout time.Duration `yaml:"ring_timeout" json:"ring_timeout,omitempty"`
	// AgentRingTimeout is how long an agent's phone rings before the offer
	// fails with EvAgentFailed; default 15s.
	AgentRingTimeout time.Duration `yaml:"agent_ring_timeout" json:"agent_ring_timeout,omitempty"`

	// Agents maps an agent phone as the engine names it (AgentSpec.Phone) to
	// the SIP URI we call: {"1001": "sip:1001@192.0.2.30:5060"}. A phone not
	// in the map is looked up among the phones registered to our registrar
	// by user part; a phone given as a "sip:" URI is called as it is.
	Agents map[string]string `yaml:"agents" json:"agents,omitempty"`
	// Registrar accepts REGISTER from agent phones on Listen; a registered
	// phone is reached at its Contact. Registrations are not authenticated:
	// serve the registrar on a trusted network only.
	Registrar bool `yaml:"registrar" json:"registrar,omitempty"`
	// MaxExpires caps the lifetime of a registration; default 1h.
	MaxExpires time.Duration `yaml:"max_expires" json:"max_expires,omitempty"`

	// Messages maps a message name (TaskSpec.SafeHarbor, TaskSpec.MachineMsg)
	// to a WAV file: 8 kHz mono, 16-bit linear PCM or G.711 (A-law,
	// µ-law). Every file is loaded and checked by New. A message the map
	// does not name hangs up at once.
	Messages map[string]string `yaml:"messages" json:"messages,omitempty"`

	// MachineHeader names a header of the trunk's 200 OK that carries the
	// carrier's answering-machine result ("X-AMD-Result"); empty means every
	// answer is live.
	MachineHeader string `yaml:"machine_header" json:"machine_header,omitempty"`
	// MachineValues are the values of MachineHeader (case-insensitive) that
	// mean a machine answered; default {"machine"}.
	MachineValues []string `yaml:"machine_values" json:"machine_values,omitempty"`

	// Logger receives the backend's warnings (a failed BYE, an unknown
	// message); default slog.Default().
	Logger *slog.Logger `yaml:"-" json:"-"`
}

// Validate fills in the defaults and checks every field; the error names the
// first bad field.
func (c *Config) Validate() error {
	if !strings.Contains(c.Trunk, "{number}") {
		return apierr.Invalid("sip.trunk", "must hold {number}, got %q", c.Trunk)
	}
	var u sip.Uri
	if err := sip.ParseUri(strings.ReplaceAll(c.Trunk, "{number}", "0"), &u); err != nil || u.Host == "" {
		return apierr.Invalid("sip.trunk", "not a SIP URI: %q", c.Trunk)
	}
	if t, _ := u.UriParams.Get("transport"); t != "" && !strings.EqualFold(t, "udp") && !strings.EqualFold(t, "tcp") {
		return apierr.Invalid("sip.trunk", "transport must be udp or tcp, got %q", t)
	}
	ap, err := netip.ParseAddrPort(c.Listen)
	if err != nil {
		return apierr.Invalid("sip.listen", "must be IP:port, got %q", c.Listen)
	}
	if ap.Addr().IsUnspecified() {
		return apierr.Invalid("sip.listen", "must be an address the peers can reach, not %s", ap.Addr())
	}
	if c.MediaIP == "" {
		c.MediaIP = ap.Addr().String()
	}
	if ip, err := netip.ParseAddr(c.MediaIP); err != nil || ip.IsUnspecified() {
		return apierr.Invalid("sip.media_ip", "must be a reachable IP address, got %q", c.MediaIP)
	}
	if (c.RTPPortMin == 0) != (c.RTPPortMax == 0) || c.RTPPortMin < 0 || c.RTPPortMax > 65535 || c.RTPPortMin > c.RTPPortMax {
		return apierr.Invalid("sip.rtp_port_min", "the RTP ports must be both 0 or a range within 1–65535, got %d–%d", c.RTPPortMin, c.RTPPortMax)
	}
	if c.FromHost == "" {
		c.FromHost = ap.Addr().String()
	}
	if strings.ContainsAny(c.FromHost, " <>;@\"") {
		return apierr.Invalid("sip.from_host", "not a host: %q", c.FromHost)
	}
	if c.Username != "" && c.Password == "" {
		return apierr.Invalid("sip.password", "must be set with sip.username")
	}
	if c.Lines < 0 || c.Lines > 1_000_000 {
		return apierr.Invalid("sip.lines", "must be 0 (no limit) to 1000000, got %d", c.Lines)
	}
	if math.IsNaN(c.CallsPerSecond) || math.IsInf(c.CallsPerSecond, 0) || c.CallsPerSecond < 0 || c.CallsPerSecond > 100_000 {
		return apierr.Invalid("sip.calls_per_second", "must be 0 (no limit) to 100000, got %v", c.CallsPerSecond)
	}
	if c.RingTimeout == 0 {
		c.RingTimeout = 30 * time.Second
	}
	if c.RingTimeout < 0 || c.RingTimeout > 10*time.Minute {
		return apierr.Invalid("sip.ring_timeout", "must be positive and at most 10m, got %v", c.RingTimeout)
	}
	if c.AgentRingTimeout == 0 {
		c.AgentRingTimeout = 15 * time.Second
	}
	if c.AgentRingTimeout < 0 || c.AgentRingTimeout > 10*time.Minute {
		return apierr.Invalid("sip.agent_ring_timeout", "must be positive and at most 10m, got %v", c.AgentRingTimeout)
	}
	for phone, uri := range c.Agents {
		var au sip.Uri
		if phone == "" {
			return apierr.Invalid("sip.agents", "an empty phone")
		}
		if err := sip.ParseUri(uri, &au); err != nil || au.Host == "" {
			return apierr.Invalid("sip.agents", "phone %q: not a SIP URI: %q", phone, uri)
		}
	}
	if c.MaxExpires == 0 {
		c.MaxExpires = time.Hour
	}
	if c.MaxExpires < time.Second || c.MaxExpires > 24*time.Hour {
		return apierr.Invalid("sip.max_expires", "must be 1s to 24h, got %v", c.MaxExpires)
	}
	for name, value := range c.Headers {
		if name == "" || strings.ContainsAny(name, " :\r\n") || strings.ContainsAny(value, "\r\n") {
			return apierr.Invalid("sip.headers", "not a header: %q: %q", name, value)
		}
		switch strings.ToLower(name) {
		case "via", "from", "to", "call-id", "cseq", "contact", "content-type", "content-length", "max-forwards":
			return apierr.Invalid("sip.headers", "%s is ours to set", name)
		}
	}
	for name, path := range c.Messages {
		if name == "" || path == "" {
			return apierr.Invalid("sip.messages", "a message needs a name and a file, got %q: %q", name, path)
		}
	}
	if strings.ContainsAny(c.MachineHeader, " :\r\n") {
		return apierr.Invalid("sip.machine_header", "not a header name: %q", c.MachineHeader)
	}
	if len(c.MachineValues) == 0 {
		c.MachineValues = []string{"machine"}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}
