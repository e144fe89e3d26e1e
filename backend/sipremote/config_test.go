package sipremote

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/backend/remote"
	"github.com/outpace-dev/outpace/backend/sip"
)

// The example of the docs is the one --help shows, and it is valid.
func TestExampleConfig(t *testing.T) {
	doc, err := os.ReadFile("../../docs/examples/sip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != ExampleConfig {
		t.Fatal("docs/examples/sip.yaml and ExampleConfig differ: keep them the same")
	}
	cfg, err := LoadConfig("../../docs/examples/sip.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := Config{SIP: cfg, Client: remote.ClientConfig{Server: "127.0.0.1:7070", Token: "t", BackendID: "sip-1"}}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	if c.SIP.RingTimeout != 30*time.Second || c.SIP.Agents["1002"] != "sip:1002@192.0.2.31:5060" || c.SIP.Password != "change-me" ||
		c.SIP.Headers["X-Account"] != "1234" || len(c.SIP.MachineValues) != 2 || !c.SIP.Registrar {
		t.Fatalf("the example did not load as written: %+v", c.SIP)
	}
	if c.Client.Lines != 100 || c.Client.CallsPerSecond != 20 {
		t.Fatalf("the client announces %d lines and %v calls/s, want the trunk's 100 and 20", c.Client.Lines, c.Client.CallsPerSecond)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"trunk: sip:{number}@h\nlisten: 127.0.0.1:5060\nringtimeout: 3s\n", "ringtimeout"},
		{"trunk: [\n", "sip"},
		{"ring_timeout: soon\n", "line 1"},
	} {
		_, err := ParseConfig([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one naming %q", tc.yaml, err, tc.want)
		}
	}
	cfg, err := ParseConfig([]byte("trunk: sip:{number}@127.0.0.1:5060\nlisten: 127.0.0.1:0\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := Config{SIP: cfg, Client: remote.ClientConfig{Server: "127.0.0.1:7070", BackendID: "sip-1"}}
	if err := c.Check(); err == nil || !strings.Contains(err.Error(), "token") {
		t.Fatalf("no credentials: %v", err)
	}
	c.SIP.Trunk = "sip:nobody@127.0.0.1"
	if err := c.Check(); err == nil || !strings.Contains(err.Error(), "sip.trunk") {
		t.Fatalf("a trunk without {number}: %v", err)
	}
}

func TestSetTransport(t *testing.T) {
	for _, tc := range []struct{ trunk, tr, want string }{
		{"sip:{number}@h:5060", "tcp", "sip:{number}@h:5060;transport=tcp"},
		{"sip:{number}@h:5060;transport=tcp", "udp", "sip:{number}@h:5060"},
		{"sip:{number}@h;user=phone;transport=UDP", "TCP", "sip:{number}@h;user=phone;transport=tcp"},
	} {
		cfg := sip.Config{Trunk: tc.trunk}
		if err := SetTransport(&cfg, tc.tr); err != nil || cfg.Trunk != tc.want {
			t.Errorf("%s with %s: %q %v, want %q", tc.trunk, tc.tr, cfg.Trunk, err, tc.want)
		}
	}
	if err := SetTransport(&sip.Config{Trunk: "sip:{number}@h"}, "tls"); err == nil || !strings.Contains(err.Error(), "transport") {
		t.Errorf("tls: %v", err)
	}
}
