package sip

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/internal/sipptest"
	"github.com/outpace-dev/outpace/records"
)

// The tests drive the backend against real SIP peers: SIPp (Debian's
// sip-tester) playing the trunk, the customers and the agent phones on
// loopback.

func needSIPp(t testing.TB) { t.Helper(); sipptest.Need(t) }

func freePort(t testing.TB) int { t.Helper(); return sipptest.FreePort(t) }

// sipp is one SIPp process, its ports under the names the tests use.
type sipp struct {
	*sipptest.SIPp
	port  int // its SIP port
	mport int // its RTP port
}

// startSIPp runs scenario (a file of testdata) as a server on a free port
// (TCP when tcp), with extra arguments; the test kills it when it ends.
func startSIPp(t testing.TB, scenario string, tcp bool, extra ...string) *sipp {
	t.Helper()
	s := sipptest.Start(t, filepath.Join("testdata", scenario), tcp, extra...)
	return &sipp{SIPp: s, port: s.Port, mport: s.MPort}
}

// start runs scenario on s's ports, as sipptest.StartOn.
func (s *sipp) start(t testing.TB, scenario string, tcp bool, extra ...string) error {
	t.Helper()
	n, err := sipptest.StartOn(t, s.port, s.mport, filepath.Join("testdata", scenario), tcp, extra...)
	s.SIPp = n
	return err
}

func (s *sipp) wait(t testing.TB, d time.Duration) { t.Helper(); s.Wait(t, d) }

func (s *sipp) uri(tcp bool) string { return s.URI(tcp) }

// rig runs a Backend and collects its events by call.
type rig struct {
	b      *Backend
	mu     sync.Mutex
	events map[records.CallID][]engine.Event
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
	r := &rig{b: b, events: map[records.CallID][]engine.Event{}, sig: make(chan struct{}, 1), done: make(chan error, 1)}
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

func (r *rig) originate(id records.CallID, phone string, timeout time.Duration) {
	r.send(engine.Command{Kind: engine.CmdOriginate, Call: id, Phone: phone, CallerID: "15550001000", Timeout: timeout})
}

// await waits until call id has n events and returns them.
func (r *rig) await(t testing.TB, id records.CallID, n int, d time.Duration) []engine.Event {
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
func (r *rig) quiet(t testing.TB, id records.CallID, n int, d time.Duration) {
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

func writeTone(t testing.TB, d time.Duration) string { t.Helper(); return sipptest.WriteTone(t, d) }
