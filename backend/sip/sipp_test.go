package sip

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/engine"
)

// The tests drive the backend against real SIP peers: SIPp (Debian's
// sip-tester) playing the trunk, the customers and the agent phones on
// loopback.

func needSIPp(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp is not installed (apt-get install -y sip-tester): these tests need a real SIP peer")
	}
}

// freePort returns a port free on 127.0.0.1 for both UDP and TCP.
func freePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		pc.Close()
		if err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// sipp is one SIPp process.
type sipp struct {
	port  int // its SIP port
	mport int // its RTP port
	cmd   *exec.Cmd
	out   bytes.Buffer
	done  chan error
}

// startSIPp runs scenario (a file of testdata) as a server on a free port
// (TCP when tcp), with extra arguments; the test kills it when it ends. A
// port taken by someone else between its choice and SIPp's start is
// replaced by another.
func startSIPp(t testing.TB, scenario string, tcp bool, extra ...string) *sipp {
	t.Helper()
	for try := 0; ; try++ {
		s := &sipp{port: freePort(t), mport: freePort(t)}
		err := s.start(t, scenario, tcp, extra...)
		if err == nil {
			return s
		}
		if try == 2 {
			t.Fatal(err)
		}
	}
}

// start runs scenario on s's ports; it fails when SIPp exits with an error
// before it holds its SIP port.
func (s *sipp) start(t testing.TB, scenario string, tcp bool, extra ...string) error {
	t.Helper()
	tr := "u1"
	if tcp {
		tr = "t1"
	}
	args := append([]string{"-sf", filepath.Join("testdata", scenario), "-i", "127.0.0.1",
		"-p", strconv.Itoa(s.port), "-mp", strconv.Itoa(s.mport), "-t", tr, "-nostdin",
	}, extra...)
	if !slices.Contains(extra, "amd") {
		args = append(args, "-key", "amd", "live")
	}
	s.out.Reset()
	s.cmd = exec.Command("sipp", args...)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	s.cmd.Dir, _ = os.Getwd()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	s.done = done
	go func() { done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-done
	})
	// Wait until SIPp holds its SIP port: until we can no longer bind it
	// while SIPp still runs.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			done <- err
			if err == nil {
				return nil // a client scenario that is already done
			}
			return fmt.Errorf("sipp exited before it served port %d: %v\n%s", s.port, err, s.out.String())
		default:
		}
		if !bindable(s.port, tcp) {
			return nil
		}
	}
	return fmt.Errorf("sipp did not bind port %d\n%s", s.port, s.out.String())
}

// wait waits for SIPp to exit (it does with -m) and fails on an error exit.
func (s *sipp) wait(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Fatalf("sipp: %v\n%s", err, s.out.String())
		}
	case <-time.After(d):
		t.Fatalf("sipp did not finish in %v\n%s", d, s.out.String())
	}
}

func (s *sipp) uri(tcp bool) string {
	u := "sip:{number}@127.0.0.1:" + strconv.Itoa(s.port)
	if tcp {
		u += ";transport=tcp"
	}
	return u
}

// rig runs a Backend and collects its events by call.
type rig struct {
	b      *Backend
	mu     sync.Mutex
	events map[engine.CallID][]engine.Event
	sig    chan struct{}
	stop   context.CancelFunc
	done   chan error
}

func newRig(t testing.TB, cfg Config) *rig {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{b: b, events: map[engine.CallID][]engine.Event{}, sig: make(chan struct{}, 1), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() {
		r.done <- b.Run(ctx, func(ev engine.Event) {
			r.mu.Lock()
			r.events[ev.Call] = append(r.events[ev.Call], ev)
			r.mu.Unlock()
			select {
			case r.sig <- struct{}{}:
			default:
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return")
		}
	})
	return r
}

func (r *rig) send(cmds ...engine.Command) { r.b.Send(cmds) }

func (r *rig) originate(id engine.CallID, phone string, timeout time.Duration) {
	r.send(engine.Command{Kind: engine.CmdOriginate, Call: id, Phone: phone, CallerID: "15550001000", Timeout: timeout})
}

// await waits until call id has n events and returns them.
func (r *rig) await(t testing.TB, id engine.CallID, n int, d time.Duration) []engine.Event {
	t.Helper()
	deadline := time.After(d)
	for {
		r.mu.Lock()
		evs := append([]engine.Event(nil), r.events[id]...)
		r.mu.Unlock()
		if len(evs) >= n {
			return evs
		}
		select {
		case <-r.sig:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("call %d: %d events after %v, want %d: %s", id, len(evs), d, n, kinds(evs))
		}
	}
}

// quiet checks that call id has exactly n events after a while.
func (r *rig) quiet(t testing.TB, id engine.CallID, n int, d time.Duration) {
	t.Helper()
	time.Sleep(d)
	r.mu.Lock()
	evs := r.events[id]
	r.mu.Unlock()
	if len(evs) != n {
		t.Fatalf("call %d: events %s, want %d of them", id, kinds(evs), n)
	}
}

func kinds(evs []engine.Event) string {
	var b bytes.Buffer
	for _, ev := range evs {
		fmt.Fprintf(&b, "[%s out=%d side=%d cause=%d] ", kindName[ev.Kind], ev.Outcome, ev.Side, ev.Cause)
	}
	return b.String()
}

var kindName = map[engine.EventKind]string{
	engine.EvProgress: "progress", engine.EvAnswered: "answered", engine.EvFailed: "failed",
	engine.EvAgentAnswered: "agent-answered", engine.EvAgentFailed: "agent-failed", engine.EvHangup: "hangup",
	engine.EvHold: "hold", engine.EvRetrieve: "retrieve",
}

// expect checks the kinds of evs in order.
func expect(t testing.TB, evs []engine.Event, want ...engine.EventKind) {
	t.Helper()
	if len(evs) != len(want) {
		t.Fatalf("events %s, want %d", kinds(evs), len(want))
	}
	for i := range want {
		if evs[i].Kind != want[i] {
			t.Fatalf("event %d: %s, want %s (all: %s)", i, kindName[evs[i].Kind], kindName[want[i]], kinds(evs))
		}
	}
}

// writeTone writes a WAV of d of a 440 Hz tone, 8 kHz 16-bit mono.
func writeTone(t testing.TB, d time.Duration) string {
	t.Helper()
	n := int(d / (time.Second / 8000))
	var data bytes.Buffer
	for i := range n {
		s := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
		binary.Write(&data, binary.LittleEndian, s)
	}
	var f bytes.Buffer
	f.WriteString("RIFF")
	binary.Write(&f, binary.LittleEndian, uint32(36+data.Len()))
	f.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		binary.Write(&f, binary.LittleEndian, v)
	}
	f.WriteString("data")
	binary.Write(&f, binary.LittleEndian, uint32(data.Len()))
	f.Write(data.Bytes())
	path := filepath.Join(t.TempDir(), "tone.wav")
	if err := os.WriteFile(path, f.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func bindable(port int, tcp bool) bool {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if tcp {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
		}
		return err == nil
	}
	pc, err := net.ListenPacket("udp", addr)
	if err == nil {
		pc.Close()
	}
	return err == nil
}
