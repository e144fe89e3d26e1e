package records

import (
	"fmt"
	"time"

	"github.com/outpace-dev/outpace/apierr"
)

// Window is a task's calling window in the called party's local time: the
// hours of each weekday (indexed by time.Weekday) during which its numbers
// may be dialled. The zero Window means DefaultWindow.
type Window struct {
	Days [7]Hours `json:"days"` // Sunday first, as time.Weekday
}

// Hours are the calling hours of one day: from From to To after local
// midnight (From inclusive, To exclusive). From == To closes the day.
type Hours struct {
	From time.Duration `json:"from"` // first instant open
	To   time.Duration `json:"to"`   // first instant closed again
}

// DefaultWindow is 08:00–21:00 every day (the US and UK rules).
var DefaultWindow = everyDay(8*time.Hour, 21*time.Hour)

// AlwaysOpen is a window open at every hour of every day.
var AlwaysOpen = everyDay(0, 24*time.Hour)

func everyDay(from, to time.Duration) Window {
	var w Window
	for i := range w.Days {
		w.Days[i] = Hours{from, to}
	}
	return w
}

// IsZero reports whether w is the zero Window.
func (w Window) IsZero() bool { return w == Window{} }

// Effective returns the window in force: w, or DefaultWindow when w is zero.
func (w Window) Effective() Window {
	if w.IsZero() {
		return DefaultWindow
	}
	return w
}

// Validate reports the first day whose hours are out of order or outside
// the day, naming the field.
func (w Window) Validate() error {
	for i, h := range w.Days {
		if h.From < 0 || h.To > 24*time.Hour || h.From > h.To {
			return apierr.Invalid(fmt.Sprintf("task.window.days[%d]", i),
				"hours must satisfy 0 ≤ from ≤ to ≤ 24h, got %v–%v", h.From, h.To)
		}
	}
	return nil
}

// OpenAt reports whether the window is open at now in loc.
func (w *Window) OpenAt(now time.Time, loc *time.Location) bool {
	t := now.In(loc)
	h := w.Days[t.Weekday()]
	if h.From == h.To {
		return false
	}
	tod := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
	return tod >= h.From && tod < h.To
}

// OpenIn reports whether the window is open at now in every one of locs.
func (w *Window) OpenIn(now time.Time, locs []*time.Location) bool {
	for _, l := range locs {
		if !w.OpenAt(now, l) {
			return false
		}
	}
	return true
}

// Closes reports whether w is open at t in loc and, if so, when it next
// closes there, at most horizon. The hours are wall-clock hours: 21:00 is
// 21:00 local time on the day of a change to or from summer time too. A day
// that ends at 24:00 continues into a next day open from 00:00.
func (w *Window) Closes(t time.Time, loc *time.Location, horizon time.Time) (time.Time, bool) {
	if !w.OpenAt(t, loc) {
		return time.Time{}, false
	}
	for at := t; at.Before(horizon); {
		lt := at.In(loc)
		h := w.Days[lt.Weekday()]
		y, m, d := lt.Date()
		end := time.Date(y, m, d, int(h.To/time.Hour), int(h.To%time.Hour/time.Minute), 0, int(h.To%time.Minute), loc)
		if h.To < 24*time.Hour || !w.OpenAt(end, loc) {
			return end, true
		}
		at = end
	}
	return horizon, true
}

// Opens returns the first instant from t on at which w is open in loc, and
// false when it does not open before horizon. The hours are wall-clock
// hours, as in OpenAt.
func (w *Window) Opens(t time.Time, loc *time.Location, horizon time.Time) (time.Time, bool) {
	for at := t; at.Before(horizon); {
		if w.OpenAt(at, loc) {
			return at, true
		}
		lt := at.In(loc)
		y, m, d := lt.Date()
		if h := w.Days[lt.Weekday()]; h.From < h.To {
			// Closed now: before today's hours, or past them.
			if from := time.Date(y, m, d, 0, 0, 0, int(h.From), loc); from.After(at) {
				at = from
				continue
			}
		}
		next := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		if !next.After(at) { // a midnight the zone skips
			next = at.Add(time.Hour)
		}
		at = next
	}
	return time.Time{}, false
}
