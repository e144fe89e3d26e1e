package sip

import (
	"errors"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/internal/sipptest"
)

func TestConfigValidate(t *testing.T) {
	good := func() Config {
		return Config{Trunk: "sip:{number}@127.0.0.1:5060", Listen: "127.0.0.1:0"}
	}
	c := good()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.RingTimeout != 30*time.Second || c.MediaIP != "127.0.0.1" || c.FromHost != "127.0.0.1" || c.MachineValues[0] != "machine" {
		t.Fatalf("defaults not filled in: %+v", c)
	}
	for _, tc := range []struct {
		field string
		edit  func(*Config)
	}{
		{"sip.trunk", func(c *Config) { c.Trunk = "sip:1234@127.0.0.1" }},
		{"sip.trunk", func(c *Config) { c.Trunk = "sip:{number}@127.0.0.1;transport=sctp" }},
		{"sip.listen", func(c *Config) { c.Listen = "localhost" }},
		{"sip.listen", func(c *Config) { c.Listen = "0.0.0.0:5060" }},
		{"sip.media_ip", func(c *Config) { c.MediaIP = "nowhere" }},
		{"sip.password", func(c *Config) { c.Username = "u" }},
		{"sip.lines", func(c *Config) { c.Lines = -1 }},
		{"sip.calls_per_second", func(c *Config) { c.CallsPerSecond = math.NaN() }},
		{"sip.calls_per_second", func(c *Config) { c.CallsPerSecond = math.Inf(1) }},
		{"sip.calls_per_second", func(c *Config) { c.CallsPerSecond = -1 }},
		{"sip.ring_timeout", func(c *Config) { c.RingTimeout = -time.Second }},
		{"sip.agent_ring_timeout", func(c *Config) { c.AgentRingTimeout = time.Hour }},
		{"sip.agents", func(c *Config) { c.Agents = map[string]string{"1001": "not a uri"} }},
		{"sip.max_expires", func(c *Config) { c.MaxExpires = time.Millisecond }},
		{"sip.messages", func(c *Config) { c.Messages = map[string]string{"safe": ""} }},
		{"sip.machine_header", func(c *Config) { c.MachineHeader = "X-AMD: x" }},
		{"sip.rtp_port_min", func(c *Config) { c.RTPPortMin = 10000 }},
		{"sip.headers", func(c *Config) { c.Headers = map[string]string{"X-A": "1\r\nVia: x"} }},
		{"sip.headers", func(c *Config) { c.Headers = map[string]string{"Call-ID": "x"} }},
		{"sip.rtp_port_min", func(c *Config) { c.RTPPortMin, c.RTPPortMax = 20000, 10000 }},
		{"sip.rtp_port_min", func(c *Config) { c.RTPPortMin, c.RTPPortMax = 10000, 70000 }},
	} {
		c := good()
		tc.edit(&c)
		err := c.Validate()
		var ae *apierr.Error
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: got %v, want an error naming %s", c, err, tc.field)
		}
	}
}

// RTP ports come from the configured range in turn, skipping one in use.
func TestRTPPortRange(t *testing.T) {
	base := freePort(t)
	busy, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: base + 1})
	if err != nil || !sipptest.Bindable(base+2, false) {
		t.Skip("the ports after a free one are taken")
	}
	defer busy.Close()
	ps := &ports{min: base, max: base + 2}
	var got []int
	for range 2 {
		p, err := openRTP("127.0.0.1", ps, false)
		if err != nil {
			t.Fatal(err)
		}
		defer p.close()
		got = append(got, p.port)
	}
	if got[0] != base || got[1] != base+2 {
		t.Fatalf("ports %v, want %d and %d", got, base, base+2)
	}
	if _, err := openRTP("127.0.0.1", ps, false); err == nil {
		t.Fatal("a third port from a range of three with one taken")
	}
}

func TestNewRejectsBadMessage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.wav")
	os.WriteFile(path, []byte("not a wav"), 0o644)
	_, err := New(Config{Trunk: "sip:{number}@127.0.0.1:5060", Listen: "127.0.0.1:0", Messages: map[string]string{"safe": path}})
	if err == nil || !strings.Contains(err.Error(), "sip.messages[safe]") {
		t.Fatalf("got %v, want an error naming the message", err)
	}
}

// The G.711 encoders invert the decoders on every code (but the two zeros
// of µ-law), and encoding a decoded sample is stable.
func TestG711RoundTrip(t *testing.T) {
	for i := range 256 {
		a := byte(i)
		if got := linearToAlaw(alawToLinear(a)); got != a {
			t.Errorf("A-law %#x → %d → %#x", a, alawToLinear(a), got)
		}
		u := byte(i)
		if got := linearToUlaw(ulawToLinear(u)); got != u && u != 0x7F {
			t.Errorf("µ-law %#x → %d → %#x", u, ulawToLinear(u), got)
		}
	}
	for _, s := range []int16{0, 1, -1, 1000, -1000, 32767, -32768} {
		for _, law := range []struct {
			enc func(int16) byte
			dec func(byte) int16
		}{{linearToAlaw, alawToLinear}, {linearToUlaw, ulawToLinear}} {
			d := law.dec(law.enc(s))
			if math.Abs(float64(d)-float64(s)) > math.Abs(float64(s))/16+16 {
				t.Errorf("%d decodes back as %d", s, d)
			}
		}
	}
}

func TestLoadWAV(t *testing.T) {
	m, err := loadWAV(writeTone(t, 100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.pcmu) != 800 || len(m.pcma) != 800 {
		t.Fatalf("%d and %d samples, want 800", len(m.pcmu), len(m.pcma))
	}
}

func TestAnswerSDP(t *testing.T) {
	ap, pt, err := answerSDP([]byte("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 8 0 101\r\n"))
	if err != nil || ap != netip.MustParseAddrPort("10.0.0.2:4000") || pt != 8 {
		t.Fatalf("got %v %d %v", ap, pt, err)
	}
	if _, _, err := answerSDP([]byte("v=0\r\nc=IN IP4 10.0.0.2\r\nm=audio 4000 RTP/AVP 18\r\n")); err == nil {
		t.Fatal("an answer without G.711 was accepted")
	}
}
