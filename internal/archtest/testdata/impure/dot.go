package impure

import . "time"

// Dotted reads the clock through a dot import.
func Dotted(t Time) Duration {
	return Since(t) + Until(t) // want "a clock read"
}
