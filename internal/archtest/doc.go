// Package archtest holds the architecture tests: which packages may import
// what (allow.go, printed in ARCHITECTURE.md), that the deterministic core
// reads no clock, sleeps on no timer, starts no goroutine and draws from no
// global random source (a map's iteration order included), and that every
// package documents itself once.
//
// The core is checked by types, not text: every identifier of a core
// package is resolved to the object it denotes, so time.Now is found under
// any import name, through a dot import, as a function value or as the
// argument of another call.
package archtest
