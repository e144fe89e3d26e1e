// Package impure breaks every rule of the deterministic core under another
// name; TestCoreIsPureCatches checks that each is found.
package impure

import (
	crand "crypto/rand"
	t "time"
)

// Named reads the clock and waits on it under an import name.
func Named(d t.Duration) t.Duration {
	start := t.Now()      // want "a clock read"
	t.Sleep(d)            // want "a sleep"
	<-t.After(d)          // want "a timer"
	_ = crand.Text()      // want "the global random source"
	return t.Until(start) // want "a clock read"
}
