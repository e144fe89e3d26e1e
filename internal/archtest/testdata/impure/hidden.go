package impure

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Hidden starts goroutines and timers through other packages' functions.
func Hidden(d time.Duration) {
	var wg sync.WaitGroup
	wg.Go(func() {}) // want "a goroutine"
	spawn := wg.Go   // want "a goroutine"
	_ = spawn
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), d) // want "a timer"
	defer cancel()
	stop := context.AfterFunc(ctx, func() {}) // want "a goroutine"
	_ = stop
	_ = maphash.MakeSeed() // want "the global random source"

	// A context without a deadline starts nothing.
	_, cancel2 := context.WithCancel(context.Background())
	cancel2()
}
