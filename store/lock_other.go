//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package store

// lockDir is a no-op where flock is missing; Badger still locks the
// directory when it opens it.
func lockDir(string) (unlock func(), err error) { return func() {}, nil }
