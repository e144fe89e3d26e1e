package records

import (
	"testing"
	"time"
)

func TestWindowOpens(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	weekdays := everyDay(9*time.Hour, 17*time.Hour)
	weekdays.Days[time.Saturday], weekdays.Days[time.Sunday] = Hours{}, Hours{}
	mon := time.Date(2026, 1, 5, 0, 0, 0, 0, ny) // a Monday
	never := Window{}                            // every day closed (not Effective)
	for _, c := range []struct {
		name string
		w    Window
		at   time.Time
		want time.Time // zero: does not open within the horizon
	}{
		{"open now", DefaultWindow, mon.Add(10 * time.Hour), mon.Add(10 * time.Hour)},
		{"before the hours", DefaultWindow, mon.Add(3 * time.Hour), mon.Add(8 * time.Hour)},
		{"at the close", DefaultWindow, mon.Add(21 * time.Hour), mon.Add(32 * time.Hour)},
		{"friday evening", weekdays, mon.Add(4*24*time.Hour + 18*time.Hour), mon.Add(7*24*time.Hour + 9*time.Hour)},
		{"spring forward", DefaultWindow, time.Date(2026, 3, 8, 1, 0, 0, 0, ny), time.Date(2026, 3, 8, 8, 0, 0, 0, ny)},
		{"never", never, mon, time.Time{}},
	} {
		got, ok := c.w.Opens(c.at, ny, c.at.Add(8*24*time.Hour))
		if ok != !c.want.IsZero() || !got.Equal(c.want) {
			t.Errorf("%s: Opens(%s) = %s, %t; want %s", c.name, c.at, got, ok, c.want)
		}
		if ok && !c.w.OpenAt(got, ny) {
			t.Errorf("%s: closed at the opening %s it returned", c.name, got)
		}
	}
}
