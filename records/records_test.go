package records

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/apierr"
)

// TestOutcomeNames checks that every outcome's name parses back to it and
// that unknown names and values are told apart.
func TestOutcomeNames(t *testing.T) {
	for o := OutcomeNone; o <= OutcomeInvalid; o++ {
		got, ok := ParseOutcome(o.String())
		if !ok || got != o {
			t.Errorf("ParseOutcome(%q) = %v, %v; want %v", o.String(), got, ok, o)
		}
	}
	if _, ok := ParseOutcome("answered"); ok {
		t.Error("ParseOutcome accepted an unknown name")
	}
	if s := (OutcomeInvalid + 1).String(); s != "unknown" {
		t.Errorf("an outcome past the last is %q, want unknown", s)
	}
	if s := (EventAgentError + 1).String(); s != "EventUnknown" {
		t.Errorf("a CTI name past the last is %q, want EventUnknown", s)
	}
}

// TestCallRecordSeconds checks the durations of a call record: whole seconds,
// zero for a step that did not happen or ran backwards.
func TestCallRecordSeconds(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	for _, c := range []struct {
		name                    string
		r                       CallRecord
		ring, talk, wait, total int64
	}{
		{"connected", CallRecord{Start: t0, Answer: at(12 * time.Second), AgentAnswer: at(13500 * time.Millisecond), End: at(200 * time.Second)},
			12, 186, 1, 200},
		{"abandoned", CallRecord{Start: t0, Answer: at(8 * time.Second), End: at(10 * time.Second)},
			8, 0, 2, 10},
		{"no answer", CallRecord{Start: t0, End: at(25 * time.Second)},
			25, 0, 0, 25},
		{"never started", CallRecord{}, 0, 0, 0, 0},
		{"end before start", CallRecord{Start: t0, End: at(-time.Second)}, 0, 0, 0, 0},
	} {
		r := c.r
		if got := [4]int64{r.RingSeconds(), r.TalkSeconds(), r.WaitSeconds(), r.TotalSeconds()}; got != [4]int64{c.ring, c.talk, c.wait, c.total} {
			t.Errorf("%s: ring, talk, wait, total = %v; want %v", c.name, got, [4]int64{c.ring, c.talk, c.wait, c.total})
		}
	}
}

// TestTaskSpecNormalize checks the defaults a task takes and that each bad
// field is named in the error.
func TestTaskSpecNormalize(t *testing.T) {
	s := TaskSpec{ID: 1}
	if err := s.Normalize(); err != nil {
		t.Fatal(err)
	}
	if s.NoAnswerTimeout != DefaultNoAnswerTimeout || s.ConnectDeadline != DefaultConnectDeadline ||
		s.MaxLinesPerAgent != DefaultMaxLinesPerAgent || s.AbandonWindow != DefaultAbandonWindow ||
		s.AgentRingTimeout != DefaultAgentRingTimeout {
		t.Errorf("defaults not filled: %+v", s)
	}
	z := TaskSpec{ID: 1, AllowZeroDeadline: true}
	if err := z.Normalize(); err != nil || z.ConnectDeadline != 0 {
		t.Errorf("AllowZeroDeadline: deadline %v, err %v; want 0, nil", z.ConnectDeadline, err)
	}
	for _, c := range []struct {
		field string
		s     TaskSpec
	}{
		{"task.id", TaskSpec{}},
		{"task.no_answer_timeout", TaskSpec{ID: 1, NoAnswerTimeout: 10 * time.Second}},
		{"task.no_answer_timeout", TaskSpec{ID: 1, NoAnswerTimeout: -time.Second, AllowShortRing: true}},
		{"task.connect_deadline", TaskSpec{ID: 1, ConnectDeadline: -time.Second}},
		{"task.agent_ring_timeout", TaskSpec{ID: 1, AgentRingTimeout: -time.Second}},
		{"task.agent_ring_timeout", TaskSpec{ID: 1, AgentRingTimeout: time.Millisecond}},
		{"task.agent_ring_timeout", TaskSpec{ID: 1, AgentRingTimeout: MaxAgentRingTimeout + 1}},
		{"task.acw_timeout", TaskSpec{ID: 1, ACWTimeout: -time.Second}},
		{"task.max_lines_per_agent", TaskSpec{ID: 1, MaxLinesPerAgent: 51}},
		{"task.abandon_window", TaskSpec{ID: 1, AbandonWindow: time.Second}},
		{"task.retry[1]", TaskSpec{ID: 1, Retry: RetryPolicy{NoAnswer: RetryRule{MaxAttempts: -1}}}},
	} {
		err := c.s.Normalize()
		var e *apierr.Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%+v: got %v, want an invalid-parameter error naming %s", c.s, err, c.field)
		}
	}
	short := TaskSpec{ID: 1, NoAnswerTimeout: 5 * time.Second, AllowShortRing: true}
	if err := short.Normalize(); err != nil {
		t.Errorf("AllowShortRing: %v", err)
	}
}

// TestWindow checks the calling window in local wall-clock time: From
// inclusive, To exclusive, a closed day, validation naming the day, and the
// next close across a change to summer time and across midnight.
func TestWindow(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time-zone data:", err)
	}
	if (Window{}).Effective() != DefaultWindow || AlwaysOpen.Effective() != AlwaysOpen {
		t.Error("Effective: the zero window is not the default, or a set one not itself")
	}
	w := DefaultWindow
	w.Days[time.Sunday] = Hours{} // closed on Sundays
	for _, c := range []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 3, 2, 7, 59, 59, 0, ny), false},
		{time.Date(2026, 3, 2, 8, 0, 0, 0, ny), true},
		{time.Date(2026, 3, 2, 20, 59, 59, 0, ny), true},
		{time.Date(2026, 3, 2, 21, 0, 0, 0, ny), false},
		{time.Date(2026, 3, 1, 12, 0, 0, 0, ny), false}, // a Sunday
	} {
		if got := w.OpenAt(c.at.UTC(), ny); got != c.open {
			t.Errorf("OpenAt(%v) = %v, want %v", c.at, got, c.open)
		}
	}

	// 8 March 2026 is the change to summer time in New York: the window
	// still closes at 21:00 local, 23 hours after the day began.
	dst := DefaultWindow
	end, open := dst.Closes(time.Date(2026, 3, 8, 9, 0, 0, 0, ny), ny, time.Date(2026, 3, 9, 0, 0, 0, 0, ny))
	if want := time.Date(2026, 3, 8, 21, 0, 0, 0, ny); !open || !end.Equal(want) {
		t.Errorf("Closes on the day of the change = %v, %v; want %v, true", end, open, want)
	}
	// Open to midnight then from midnight: the close is the next day's.
	late := AlwaysOpen
	late.Days[time.Tuesday] = Hours{From: 0, To: 3 * time.Hour}
	horizon := time.Date(2026, 3, 10, 12, 0, 0, 0, ny)
	end, open = late.Closes(time.Date(2026, 3, 9, 22, 0, 0, 0, ny), ny, horizon)
	if want := time.Date(2026, 3, 10, 3, 0, 0, 0, ny); !open || !end.Equal(want) {
		t.Errorf("Closes across midnight = %v, %v; want %v, true", end, open, want)
	}
	if _, open := w.Closes(time.Date(2026, 3, 1, 12, 0, 0, 0, ny), ny, horizon); open {
		t.Error("Closes reports a closed day open")
	}

	bad := DefaultWindow
	bad.Days[time.Wednesday] = Hours{From: 10 * time.Hour, To: 9 * time.Hour}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "task.window.days[3]") {
		t.Errorf("Validate = %v, want an error naming task.window.days[3]", err)
	}
	if err := DefaultWindow.Validate(); err != nil {
		t.Errorf("DefaultWindow: %v", err)
	}
}
