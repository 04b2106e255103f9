// Package par runs the iterations of a loop on several goroutines.
package par

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Each calls fn(i) for every i in 0..n-1 on GOMAXPROCS goroutines and
// returns when the calls are done. The calls must not depend on each
// other's order; each typically writes the i-th element of a result. When
// ctx ends first, the indices not yet started are skipped and Each returns
// ctx.Err().
func Each(ctx context.Context, n int, fn func(i int)) error {
	return Workers(ctx, n, 0, func(int) func(int) { return fn })
}

// Workers is Each on at most workers goroutines (0: GOMAXPROCS) that
// keep their own state: start(w) is called once on worker w's goroutine,
// w in 0..workers-1, and returns the function it calls for its share of
// the indices.
func Workers(ctx context.Context, n, workers int, start func(w int) func(i int)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	var (
		next    atomic.Int64
		stopped atomic.Bool
		wg      sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn := start(w)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if ctx.Err() != nil {
					stopped.Store(true)
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	if stopped.Load() {
		return ctx.Err()
	}
	return nil
}
