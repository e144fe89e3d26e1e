package pacing

import (
	"fmt"
	"math"
	"time"
)

// This file holds the small estimators the pacers share. All of them are plain
// values with fixed-size storage: once constructed they never allocate, read no
// clock (time arrives as an argument) and give the same answer for the same
// inputs.

// MaxWindowBuckets is the largest number of buckets a Window may use.
const MaxWindowBuckets = 64

// Window counts events over a rolling span of time, such as "dials in the last
// 60 s" or "live answers in the last 30 min". The span is cut into equal
// buckets aligned on the Unix epoch (bucket k holds the events at times t with
// k·width ≤ t < (k+1)·width, width = span/buckets); Sum(now) adds the bucket
// holding now and the buckets-1 before it. With 1 s buckets over 60 s, an
// event at 10:00:00 is counted at 10:00:59.999 but no longer at 10:01:00:
// the window is the half-open interval (now−span, now] rounded down to whole
// buckets. Finer buckets give a smoother edge; the error at the edge is at
// most one bucket.
//
// Add accepts events out of order as long as they are still inside the span
// of the newest one; older events are dropped. Sum is meant for times at or
// after the newest event; asked about an earlier time, it counts only the
// buckets still retained (those within the span of the newest event) up to
// that time.
//
// The zero Window is unusable; build one with NewWindow.
type Window struct {
	width   int64 // bucket width in nanoseconds
	n       int64 // buckets in use
	head    int64 // absolute number of the newest bucket written
	started bool
	b       [MaxWindowBuckets]int64
}

// NewWindow returns a Window spanning span in the given number of buckets
// (1 to MaxWindowBuckets). It panics on a bucket count out of range or a span
// shorter than one nanosecond per bucket: both are programming errors.
func NewWindow(span time.Duration, buckets int) Window {
	if buckets < 1 || buckets > MaxWindowBuckets {
		panic(fmt.Sprintf("pacing: NewWindow with %d buckets (want 1 to %d)", buckets, MaxWindowBuckets))
	}
	width := int64(span) / int64(buckets)
	if width <= 0 {
		panic(fmt.Sprintf("pacing: NewWindow span %v too short for %d buckets", span, buckets))
	}
	return Window{width: width, n: int64(buckets)}
}

// Span returns the length of time the window covers.
func (w *Window) Span() time.Duration { return time.Duration(w.width * w.n) }

func (w *Window) bucket(t time.Time) int64 {
	ns := t.UnixNano()
	k := ns / w.width
	if ns%w.width < 0 {
		k-- // floor division for times before 1970
	}
	return k
}

func (w *Window) slot(k int64) int64 {
	s := k % w.n
	if s < 0 {
		s += w.n
	}
	return s
}

// Add records n events at time now.
func (w *Window) Add(now time.Time, n int64) {
	k := w.bucket(now)
	switch {
	case !w.started:
		w.started = true
		w.head = k
	case k > w.head:
		if k-w.head >= w.n {
			w.b = [MaxWindowBuckets]int64{}
		} else {
			for i := w.head + 1; i <= k; i++ {
				w.b[w.slot(i)] = 0
			}
		}
		w.head = k
	case k <= w.head-w.n:
		return // older than the span of the newest event
	}
	w.b[w.slot(k)] += n
}

// Sum returns the number of events in the span ending at now.
func (w *Window) Sum(now time.Time) int64 {
	if !w.started {
		return 0
	}
	k := w.bucket(now)
	hi := min(k, w.head)
	lo := max(k, w.head) - w.n + 1
	var s int64
	for i := lo; i <= hi; i++ {
		s += w.b[w.slot(i)]
	}
	return s
}

// Mean is the running arithmetic mean of every value added, such as the mean
// talk time so far. The zero Mean is empty and ready to use.
type Mean struct {
	n   int64
	sum float64
}

// Add records one value.
func (m *Mean) Add(x float64) {
	m.n++
	m.sum += x
}

// N returns how many values were added.
func (m *Mean) N() int64 { return m.n }

// Value returns the mean, or 0 when empty.
func (m *Mean) Value() float64 {
	if m.n == 0 {
		return 0
	}
	return m.sum / float64(m.n)
}

// MaxSamples is the largest capacity of a Samples.
const MaxSamples = 64

// Samples keeps the last k values pushed (a fixed ring, k ≤ MaxSamples) and
// averages them, such as VICIdial's last 15 one-second samples. The mean is
// summed oldest first, so it does not depend on where the ring starts.
// The zero Samples is unusable; build one with NewSamples.
type Samples struct {
	k, n, next int
	v          [MaxSamples]float64
}

// NewSamples returns an empty Samples keeping the last k values. It panics
// when k is outside 1..MaxSamples.
func NewSamples(k int) Samples {
	if k < 1 || k > MaxSamples {
		panic(fmt.Sprintf("pacing: NewSamples(%d) (want 1 to %d)", k, MaxSamples))
	}
	return Samples{k: k}
}

// Push adds a value, evicting the oldest one when full.
func (s *Samples) Push(x float64) {
	s.v[s.next] = x
	s.next++
	if s.next == s.k {
		s.next = 0
	}
	if s.n < s.k {
		s.n++
	}
}

// Len returns how many values are held (at most the capacity).
func (s *Samples) Len() int { return s.n }

// Mean returns the mean of the values held, or 0 when empty.
func (s *Samples) Mean() float64 {
	if s.n == 0 {
		return 0
	}
	start := s.next - s.n
	if start < 0 {
		start += s.k
	}
	var sum float64
	for i := 0; i < s.n; i++ {
		j := start + i
		if j >= s.k {
			j -= s.k
		}
		sum += s.v[j]
	}
	return sum / float64(s.n)
}

// roundEps absorbs binary floating-point noise when rounding: a product that is
// a half in decimal (1.15 × 10 = 11.5) may land a few ulps below it.
const roundEps = 1e-9

// RoundHalfAway rounds x to the nearest whole number, halves away from zero,
// as Perl's and PHP's round do on decimal input: values within 1e-9 of a half
// count as the half, so 1.15 × 10 rounds to 12 although the float product is
// 11.499999999999998.
func RoundHalfAway(x float64) float64 {
	return math.Round(x + math.Copysign(roundEps, x))
}

// Round3 rounds x to three decimals, halves away from zero (see RoundHalfAway).
func Round3(x float64) float64 {
	return RoundHalfAway(x*1000) / 1000
}

// ceilEps returns the smallest whole number ≥ x, treating values within 1e-9
// above a whole number as that number (so 20 × 1.1 = 22.000000000000004 gives 22).
func ceilEps(x float64) float64 {
	return math.Ceil(x - roundEps)
}
