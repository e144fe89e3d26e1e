package store

import (
	"time"

	"github.com/outpace-dev/outpace/records"
)

// openWeek is how far DialUntil looks ahead: a stretch that lasts this long
// is a window that never closes.
const openWeek = 7 * 24 * time.Hour

// DialUntil returns when task stops dialing for the day as seen at now: the
// end of the unbroken stretch, from now on, during which the calling window
// is open for at least one zone set of its numbers (a number spanning several
// zones counts where the window is open in all of them). Zone sets with no
// number left are left out, as NextNumbers leaves them out. The result is
// zero when the window is closed for every zone set at now and when the
// stretch lasts a week or more: a window that never closes has no end of day.
//
// The runner passes it to the engine with each batch of numbers
// (engine.Event.DialUntil), so that the pacer knows the day it has left.
func (s *Badger) DialUntil(task records.TaskID, now time.Time) (time.Time, error) {
	ts, err := s.taskState(task)
	if err != nil {
		return time.Time{}, err
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	buckets := ts.bucketList()
	end, horizon := now, now.Add(openWeek)
	for {
		// Extend the stretch by every zone set open at its current end;
		// one that opens exactly as another closes continues it.
		next := end
		for _, b := range buckets {
			if b.empty {
				continue
			}
			if e, open := b.closes(end, &ts.window, horizon); open && e.After(next) {
				next = e
			}
		}
		if !next.After(end) {
			break
		}
		if end = next; !end.Before(horizon) {
			return time.Time{}, nil
		}
	}
	if end.Equal(now) {
		return time.Time{}, nil
	}
	return end, nil
}

// closes reports whether the window is open for the bucket at t and, if so,
// when it next closes for it (the earliest close among its zones), at most
// horizon.
func (b *bucket) closes(t time.Time, w *records.Window, horizon time.Time) (time.Time, bool) {
	end := horizon
	for _, l := range b.locs {
		e, open := w.Closes(t, l, horizon)
		if !open {
			return time.Time{}, false
		}
		if e.Before(end) {
			end = e
		}
	}
	return end, true
}
