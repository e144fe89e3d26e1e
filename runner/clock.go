package runner

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the runner's time: what stamps the events it steps and fires the
// engine's timers. Implementations: Real, Scaled (a simulated world faster
// than life) and Manual (tests: time moves only when told).
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine (Manual: in Advance's) once
	// the clock reaches at, never from inside AfterFunc itself, and returns
	// a function that cancels the call (reporting whether it did).
	AfterFunc(at time.Time, f func()) (stop func() bool)
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// AfterFunc calls f at at, by time.AfterFunc.
func (Real) AfterFunc(at time.Time, f func()) func() bool {
	return time.AfterFunc(time.Until(at), f).Stop
}

// Scaled is a clock that runs Speed times faster than the wall clock from
// the moment it is made: a simulated world at --speed 20 lives twenty
// seconds in each wall second.
type Scaled struct {
	speed  float64
	origin time.Time // the clock's time at wall
	wall   time.Time
}

// NewScaled returns a clock reading origin now and running speed times
// faster than the wall clock; speed must be positive and finite.
func NewScaled(origin time.Time, speed float64) *Scaled {
	return &Scaled{speed: speed, origin: origin, wall: time.Now()}
}

// Now returns origin plus speed times the wall time elapsed.
func (c *Scaled) Now() time.Time {
	return c.origin.Add(time.Duration(float64(time.Since(c.wall)) * c.speed))
}

// AfterFunc calls f when the scaled clock reaches at.
func (c *Scaled) AfterFunc(at time.Time, f func()) func() bool {
	d := float64(at.Sub(c.Now())) / c.speed
	return time.AfterFunc(time.Duration(max(d, 0)), f).Stop
}

// Manual is a clock for tests: it stands still until Advance moves it, and
// Advance calls the functions that fall due, in time order, before it
// returns. It is safe for concurrent use.
type Manual struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers manualHeap
}

// NewManual returns a manual clock reading start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Now returns the clock's time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc arranges for f to be called by the Advance that reaches at (a
// time already past fires at the next Advance, even Advance(0)).
func (c *Manual) AfterFunc(at time.Time, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{at: at, seq: c.seq, f: f}
	heap.Push(&c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if t.index < 0 {
			return false
		}
		heap.Remove(&c.timers, t.index)
		return true
	}
}

// Advance moves the clock by d, calling every function due on the way at
// its own time, in (time, registration) order; functions registered while
// it runs fire too if they fall due before the end.
func (c *Manual) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	for len(c.timers) > 0 && !c.timers[0].at.After(end) {
		t := heap.Pop(&c.timers).(*manualTimer)
		if t.at.After(c.now) {
			c.now = t.at
		}
		c.mu.Unlock()
		t.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

// Next returns when the next function is due, and false when none is.
func (c *Manual) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return c.timers[0].at, true
}

type manualTimer struct {
	at    time.Time
	seq   uint64
	f     func()
	index int
}

type manualHeap []*manualTimer

func (h manualHeap) Len() int { return len(h) }
func (h manualHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h manualHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *manualHeap) Push(x any) {
	t := x.(*manualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *manualHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
