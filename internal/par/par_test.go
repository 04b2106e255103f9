package par

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestEachCallsEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 1000} {
		calls := make([]atomic.Int32, n)
		if err := Each(context.Background(), n, func(i int) { calls[i].Add(1) }); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Fatalf("n=%d: index %d called %d times", n, i, c)
			}
		}
	}
}

func TestWorkersKeepTheirState(t *testing.T) {
	for _, tc := range []struct{ n, workers, want int }{
		{100, 3, 3}, // as asked
		{2, 5, 2},   // no more workers than indices
		{0, 4, 0},   // nothing to do
		{10, 1, 1},  // sequential
	} {
		var started atomic.Int32
		sums := make([]int, max(tc.workers, 1))
		err := Workers(context.Background(), tc.n, tc.workers, func(w int) func(int) {
			started.Add(1)
			return func(i int) { sums[w] += i } // w's own slot: no race
		})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, s := range sums {
			total += s
		}
		if int(started.Load()) != tc.want || total != tc.n*(tc.n-1)/2 {
			t.Errorf("n=%d workers=%d: %d workers started (want %d), sum %d (want %d)",
				tc.n, tc.workers, started.Load(), tc.want, total, tc.n*(tc.n-1)/2)
		}
	}
}

func TestEachStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var done atomic.Int32
	err := Workers(ctx, 1000, 1, func(int) func(int) {
		return func(i int) {
			if done.Add(1) == 10 {
				cancel()
			}
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := done.Load(); d != 10 {
		t.Errorf("%d calls, want 10 (the rest skipped)", d)
	}
	// A context that ends during the last call is no error: nothing was
	// skipped.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	err = Workers(ctx, 5, 1, func(int) func(int) {
		return func(i int) {
			if i == 4 {
				cancel()
			}
		}
	})
	if err != nil {
		t.Errorf("cancelled during the last call: err = %v, want nil", err)
	}
}
