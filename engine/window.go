package engine

import "time"

// abandonWindow counts live answers and abandons over a rolling window, in
// buckets of 1/1440 of the window (a minute for 24 h), so that the pacer and
// the statistics see the rate the regulator judges, not only the run's total.
type abandonWindow struct {
	width   int64 // bucket width in ns
	cur     int64 // bucket number of the latest add or read
	buckets []windowBucket
	live    int64
	ab      int64
}

type windowBucket struct{ live, ab int64 }

const windowBuckets = 1440

func (w *abandonWindow) init(span time.Duration) {
	w.width = max(int64(span)/windowBuckets, 1)
	w.buckets = make([]windowBucket, windowBuckets)
}

// advance moves the window to the bucket of now, evicting what fell out.
func (w *abandonWindow) advance(now time.Time) {
	b := now.UnixNano() / w.width
	if b <= w.cur {
		return
	}
	if b-w.cur >= windowBuckets {
		clear(w.buckets)
		w.live, w.ab = 0, 0
	} else {
		for k := w.cur + 1; k <= b; k++ {
			x := &w.buckets[k%windowBuckets]
			w.live -= x.live
			w.ab -= x.ab
			*x = windowBucket{}
		}
	}
	w.cur = b
}

func (w *abandonWindow) add(now time.Time, live, ab int64) {
	w.advance(now)
	x := &w.buckets[w.cur%windowBuckets]
	x.live += live
	x.ab += ab
	w.live += live
	w.ab += ab
}

func (w *abandonWindow) sums(now time.Time) (live, ab int64) {
	w.advance(now)
	return w.live, w.ab
}
