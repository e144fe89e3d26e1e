package apierr

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestRanges: NaN is in no range, an infinity only in one it bounds, and
// the error names the field and the range.
func TestRanges(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		err  error
		want string // "" for nil
	}{
		{Range("x", 0.5, 0, 1), ""},
		{Range("x", 0, 0, 1), ""},
		{Range("x", math.NaN(), 0, 1), "x: must be a number from 0 to 1, got NaN"},
		{Range("x", inf, 0, 1), "got +Inf"},
		{Range("x", inf, 0, inf), ""},
		{Range("x", -inf, 0, 1), "got -Inf"},
		{Finite("y", 1e308), ""},
		{Finite("y", math.NaN()), "y: must be a finite number, got NaN"},
		{Finite("y", -inf), "got -Inf"},
		{DurationRange("d", time.Second, 0, time.Hour), ""},
		{DurationRange("d", -5*time.Second, 0, time.Hour), "d: must be a duration from 0s to 1h0m0s, got -5s"},
		{IntRange("n", 7, 1, 8), ""},
		{IntRange("n", -5, 0, 8), "n: must be a whole number from 0 to 8, got -5"},
		{First(nil, IntRange("a", 9, 0, 1), Finite("b", inf)), "a: "},
		{First(nil, nil), ""},
	} {
		if c.want == "" {
			if c.err != nil {
				t.Errorf("got %v, want nil", c.err)
			}
			continue
		}
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) || CodeOf(c.err) != InvalidParams {
			t.Errorf("got %v, want InvalidParams with %q", c.err, c.want)
		}
	}
}
