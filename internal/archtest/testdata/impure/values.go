package impure

import (
	"math/rand"
	rnd "math/rand/v2"
	"time"
)

// now is the clock as a function value; clock is a timer under an alias.
var now = time.Now // want "a clock read"

type clock = time.Ticker // want "a timer"

// Values takes the clock, timers and the global source as values.
func Values(c *clock, d time.Duration) float64 {
	f := time.Now           // want "a clock read"
	after := time.AfterFunc // want "a timer"
	_ = after
	apply(time.Since)                 // want "a clock read"
	tick := time.NewTicker            // want "a timer"
	_, _ = tick, time.NewTimer        // want "a timer"
	_ = f().Sub(now())                // calls through the values: found where they were taken
	n := rnd.N(d)                     // want "the global random source"
	pick := rnd.IntN                  // want "the global random source"
	rnd.Shuffle(3, func(i, j int) {}) // want "the global random source"
	generic := rnd.N[int64]           // want "the global random source"
	_, _ = generic, pick
	old := rand.Float64 // want "the global random source"
	_ = old
	go func() {}() // want "a goroutine"
	go c.Stop()    // want "a goroutine"

	// A seeded source and its methods, as values too, are what the core is given.
	r := rnd.New(rnd.NewPCG(1, 2))
	draw := r.Float64
	legacy := rand.New(rand.NewSource(1))
	return draw() + legacy.Float64() + float64(n) + time.Duration(r.IntN(3)).Seconds()
}

func apply(func(time.Time) time.Duration) {}
