package pacing

import (
	"math/rand/v2"
	"testing"
	"time"
)

var windowT0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return windowT0.Add(d) }

func TestWindowEdges(t *testing.T) {
	w := NewWindow(time.Minute, 60)
	if got := w.Sum(at(0)); got != 0 {
		t.Fatalf("empty window sum = %d", got)
	}
	w.Add(at(0), 1)
	w.Add(at(500*time.Millisecond), 2)
	w.Add(at(30*time.Second), 4)
	for _, c := range []struct {
		at   time.Duration
		want int64
	}{
		{0, 3},
		{29 * time.Second, 3},
		{30 * time.Second, 7},
		{59*time.Second + 999*time.Millisecond, 7},
		{60 * time.Second, 4},
		{89*time.Second + 999*time.Millisecond, 4},
		{90 * time.Second, 0},
		{time.Hour, 0},
	} {
		if got := w.Sum(at(c.at)); got != c.want {
			t.Errorf("Sum(%v) = %d, want %d", c.at, got, c.want)
		}
	}
	if got := w.Span(); got != time.Minute {
		t.Errorf("Span = %v", got)
	}
}

func TestWindowOutOfOrder(t *testing.T) {
	w := NewWindow(10*time.Second, 10)
	w.Add(at(20*time.Second), 1)
	w.Add(at(15*time.Second), 1) // inside the span of the newest: kept
	w.Add(at(10*time.Second), 1) // 10 buckets before the newest: dropped
	if got := w.Sum(at(20 * time.Second)); got != 2 {
		t.Fatalf("Sum = %d, want 2", got)
	}
	if got := w.Sum(at(16 * time.Second)); got != 1 {
		t.Fatalf("Sum before the newest = %d, want 1", got)
	}
	// A jump longer than the span clears everything.
	w.Add(at(100*time.Second), 5)
	if got := w.Sum(at(100 * time.Second)); got != 5 {
		t.Fatalf("Sum after jump = %d, want 5", got)
	}
}

func TestWindowBeforeUnixEpoch(t *testing.T) {
	w := NewWindow(time.Minute, 60)
	t0 := time.Date(1969, 12, 31, 23, 59, 30, 500, time.UTC)
	w.Add(t0, 1)
	w.Add(t0.Add(time.Minute), 1)
	if got := w.Sum(t0.Add(time.Minute)); got != 1 {
		t.Fatalf("Sum = %d, want 1", got)
	}
}

// TestWindowDifferential checks Window against a list of every event, under
// the documented rules: buckets of width span/n aligned on the Unix epoch,
// events older than the newest one's span dropped, Sum(now) over the
// retained buckets up to now. The runs are seeded 1 to 200.
func TestWindowDifferential(t *testing.T) {
	for iter := 0; iter < 200; iter++ {
		seed := uint64(iter + 1)
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 1 + rng.IntN(MaxWindowBuckets)
		width := time.Duration(1+rng.IntN(5000)) * time.Millisecond
		w := NewWindow(width*time.Duration(n), n)
		bucket := func(d time.Duration) int64 { return int64(at(d).UnixNano()) / int64(width) }
		type ev struct {
			k int64
			c int64
		}
		var evs []ev
		var head int64
		started := false
		now := time.Duration(rng.IntN(1000)) * time.Millisecond
		for step := 0; step < 300; step++ {
			now += time.Duration(rng.IntN(int(width) * 3))
			et := now - time.Duration(rng.IntN(int(width)*n*2)/4)
			c := int64(1 + rng.IntN(3))
			w.Add(at(et), c)
			k := bucket(et)
			switch {
			case !started:
				started, head = true, k
				evs = append(evs, ev{k, c})
			case k > head:
				head = k
				evs = append(evs, ev{k, c})
			case k > head-int64(n):
				evs = append(evs, ev{k, c})
			}
			q := now - time.Duration(rng.IntN(int(width)*2))
			qk := bucket(q)
			lo, hi := max(qk, head)-int64(n)+1, min(qk, head)
			var want int64
			for _, e := range evs {
				if e.k >= lo && e.k <= hi {
					want += e.c
				}
			}
			if got := w.Sum(at(q)); got != want {
				t.Fatalf("seed %d step %d: Sum = %d, want %d", seed, step, got, want)
			}
		}
	}
}

func TestWindowPanics(t *testing.T) {
	for _, c := range []struct {
		span    time.Duration
		buckets int
	}{{time.Minute, 0}, {time.Minute, MaxWindowBuckets + 1}, {10, 60}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewWindow(%v, %d) did not panic", c.span, c.buckets)
				}
			}()
			NewWindow(c.span, c.buckets)
		}()
	}
}

func TestMean(t *testing.T) {
	var m Mean
	if m.Value() != 0 || m.N() != 0 {
		t.Fatal("empty Mean not zero")
	}
	for _, x := range []float64{10, 20, 60} {
		m.Add(x)
	}
	if m.N() != 3 || m.Value() != 30 {
		t.Fatalf("Mean = %v over %d", m.Value(), m.N())
	}
}

func TestSamples(t *testing.T) {
	s := NewSamples(3)
	if s.Mean() != 0 || s.Len() != 0 {
		t.Fatal("empty Samples not zero")
	}
	s.Push(1)
	s.Push(2)
	if s.Len() != 2 || s.Mean() != 1.5 {
		t.Fatalf("Mean = %v over %d", s.Mean(), s.Len())
	}
	s.Push(3)
	s.Push(10) // evicts 1
	if s.Len() != 3 || s.Mean() != 5 {
		t.Fatalf("Mean = %v over %d", s.Mean(), s.Len())
	}
}

func TestRounding(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{2.5, 3}, {3.5, 4}, {-2.5, -3}, {2.4999, 2}, {0, 0},
		{1.15 * 10, 12}, {3.0 / 0.4, 8}, {-7.5, -8},
	} {
		if got := RoundHalfAway(c.x); got != c.want {
			t.Errorf("RoundHalfAway(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	for _, c := range []struct{ x, want float64 }{
		{1.0125, 1.013}, {2.1904, 2.19}, {1.09744, 1.097}, {0.83372, 0.834}, {3.2412, 3.241},
	} {
		if got := Round3(c.x); got != c.want {
			t.Errorf("Round3(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	for _, c := range []struct{ x, want float64 }{
		{20 * 1.1, 22}, {22.5, 23}, {0, 0}, {23.0000001, 24},
	} {
		if got := ceilEps(c.x); got != c.want {
			t.Errorf("ceilEps(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

func TestWindowZeroAlloc(t *testing.T) {
	w := NewWindow(time.Minute, 60)
	var s Samples = NewSamples(15)
	var m Mean
	now := at(0)
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(700 * time.Millisecond)
		w.Add(now, 1)
		_ = w.Sum(now)
		s.Push(1)
		_ = s.Mean()
		m.Add(2)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run", allocs)
	}
}
