package sim

import (
	"context"
	"sync"
	"time"

	"github.com/outpace-dev/outpace/engine"
	"github.com/outpace-dev/outpace/records"
)

// Clock is the time a Live world runs on (runner.Clock has the same
// methods: the wall clock, a scaled one, or a manual one in tests).
type Clock interface {
	Now() time.Time
	AfterFunc(at time.Time, f func()) (stop func() bool)
}

// Live is a scenario's World as a backend of the runner: commands come in
// through Send, and the carrier's and the agents' events go out through the
// emit function of Run, each at its time on the clock. The agents are the
// ones named at construction (the members of the stored queue); they log
// in when Run starts and follow the scenario's schedule from then on.
type Live struct {
	mu     sync.Mutex
	emitMu sync.Mutex // held while emitting, so that events leave in order
	clock  Clock
	start  time.Time
	cur    int64 // ns since start of the happening being played
	heap   eventHeap
	world  *World
	out    []engine.Event
	emitFn func(engine.Event)
	armed  int64
	stop   func() bool
}

// NewLive returns the live world of sc on clock, its random streams seeded
// from seed (independent of sc.Seed, so that a restart does not replay the
// same customers), with agents as its simulated team. wraps says whether
// the task puts agents in after-call work after a talk, which they end
// after the scenario's wrap time.
func NewLive(sc *Scenario, seed uint64, agents []records.AgentID, wraps bool, clock Clock) *Live {
	l := &Live{clock: clock, start: clock.Now(), armed: -1}
	l.world = newWorld(sc, seed, agents, wraps, liveHost{l}, nil)
	return l
}

// Run logs the agents in, then delivers the world's events to emit until
// ctx is done.
func (l *Live) Run(ctx context.Context, emit func(engine.Event)) error {
	l.mu.Lock()
	l.emitFn = emit
	l.cur = l.sinceStart()
	for i := range l.world.agents {
		_ = l.world.login(i)
	}
	l.world.scheduleItems()
	l.settle()
	<-ctx.Done()
	l.mu.Lock()
	if l.stop != nil {
		l.stop()
	}
	l.emitFn = nil
	l.mu.Unlock()
	return nil
}

// Send carries out the commands at the clock's time.
func (l *Live) Send(cmds []engine.Command) {
	l.mu.Lock()
	l.cur = max(l.cur, l.sinceStart())
	for i := range cmds {
		l.world.command(&cmds[i])
	}
	l.settle()
}

func (l *Live) sinceStart() int64 { return int64(l.clock.Now().Sub(l.start)) }

// fire plays every happening that is due.
func (l *Live) fire() {
	l.mu.Lock()
	l.armed = -1
	now := l.sinceStart()
	for len(l.heap.h) > 0 && l.heap.h[0].at <= now {
		h := l.heap.pop()
		l.cur = max(l.cur, h.at)
		_, _ = l.world.handle(&h)
	}
	l.settle()
}

// settle arms the clock for the next happening, then, unlocked, emits what
// was produced. It is called with l.mu held and releases it.
func (l *Live) settle() {
	if len(l.heap.h) > 0 && l.emitFn != nil {
		if at := l.heap.h[0].at; at != l.armed {
			if l.stop != nil {
				l.stop()
			}
			l.armed = at
			l.stop = l.clock.AfterFunc(l.start.Add(time.Duration(at)), l.fire)
		}
	}
	emit, out := l.emitFn, l.out
	if emit == nil {
		l.mu.Unlock()
		return
	}
	l.out = nil
	l.emitMu.Lock()
	defer l.emitMu.Unlock()
	l.mu.Unlock()
	for _, ev := range out {
		emit(ev)
	}
}

type liveHost struct{ l *Live }

func (h liveHost) now() int64        { return h.l.cur }
func (h liveHost) push(hp happening) { h.l.heap.push(hp) }
func (h liveHost) emit(ev engine.Event) error {
	ev.At = h.l.start.Add(time.Duration(h.l.cur))
	h.l.out = append(h.l.out, ev)
	return nil
}

// eventHeap is a binary heap of happenings ordered by (time, sequence).
type eventHeap struct {
	h   []happening
	seq uint64
}

func (e *eventHeap) push(h happening) {
	e.seq++
	h.seq = e.seq
	e.h = append(e.h, h)
	x := e.h
	i := len(x) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(&x[i], &x[p]) {
			break
		}
		x[p], x[i] = x[i], x[p]
		i = p
	}
}

func (e *eventHeap) pop() happening {
	x := e.h
	top := x[0]
	n := len(x) - 1
	x[0] = x[n]
	x = x[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && less(&x[r], &x[l]) {
			m = r
		}
		if !less(&x[m], &x[i]) {
			break
		}
		x[i], x[m] = x[m], x[i]
		i = m
	}
	e.h = x
	return top
}
