package sip

import (
	"context"
	"flag"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
)

var benchCPS = flag.Float64("sip.cps", 200, "BenchmarkCalls: call attempts a second")

// BenchmarkCalls places b.N calls at -sip.cps attempts a second against
// SIPp: each customer rings 100 ms and answers, is connected to an agent
// phone as soon as the answer is reported (as a runner with an idle agent
// would), and is hung up once the agent answers. It fails on any failed
// call and reports the rate of INVITEs (attempts/s) and of whole calls
// (calls/s, the last calls' durations included), this process's CPU per call, the
// INVITE → 180 p99 and the 200 OK received → agent INVITE sent p99.
//
//	go test ./backend/sip -run '^$' -bench Calls -benchtime 2000x -sip.cps 200
func BenchmarkCalls(b *testing.B) {
	needSIPp(b)
	cust := startSIPp(b, "answer.xml", false)
	agent := startSIPp(b, "answer.xml", false)
	be, err := New(Config{
		Trunk: cust.uri(false), Listen: "127.0.0.1:0", CallsPerSecond: *benchCPS,
		Agents: map[string]string{"1001": "sip:1001@127.0.0.1:" + strconv.Itoa(agent.port)},
	})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var ring, connect []time.Duration
	var first, last time.Time
	var failed int
	done := make(chan struct{}, 1024)
	be.observe = func(t trace) {
		mu.Lock()
		if first.IsZero() || t.invite.Before(first) {
			first = t.invite
		}
		if t.invite.After(last) {
			last = t.invite
		}
		if !t.ringing.IsZero() {
			ring = append(ring, t.ringing.Sub(t.invite))
		}
		if t.bridged {
			connect = append(connect, t.agentInvite.Sub(t.answer))
		}
		mu.Unlock()
		done <- struct{}{}
	}
	emit := func(ev engine.Event) {
		switch ev.Kind {
		case engine.EvAnswered:
			be.Send([]engine.Command{{Kind: engine.CmdConnect, Call: ev.Call, Phone: "1001"}})
		case engine.EvAgentAnswered:
			be.Send([]engine.Command{{Kind: engine.CmdHangup, Call: ev.Call}})
		case engine.EvFailed, engine.EvAgentFailed:
			mu.Lock()
			failed++
			mu.Unlock()
			be.Send([]engine.Command{{Kind: engine.CmdHangup, Call: ev.Call}})
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- be.Run(ctx, emit) }()
	defer func() { cancel(); <-ran }()

	cpu0 := cpuTime()
	start := time.Now()
	b.ResetTimer()
	for i := range b.N {
		be.Send([]engine.Command{{Kind: engine.CmdOriginate, Call: records.CallID(i + 1), Phone: "1555" + strconv.Itoa(1000000+i), CallerID: "15550001000", Timeout: 5 * time.Second}})
	}
	for range b.N {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			b.Fatalf("calls stalled")
		}
	}
	b.StopTimer()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	mu.Lock()
	defer mu.Unlock()
	if failed > 0 {
		b.Fatalf("%d of %d calls failed", failed, b.N)
	}
	b.ReportMetric(float64(b.N-1)/last.Sub(first).Seconds(), "attempts/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/call")
	b.ReportMetric(p99(ring), "invite→180-p99-ms")
	b.ReportMetric(p99(connect), "200→agent-invite-p99-ms")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func p99(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return float64(ds[len(ds)*99/100]) / float64(time.Millisecond)
}
