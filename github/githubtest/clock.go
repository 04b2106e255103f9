// Package githubtest is a fake GitHub REST API on loopback for tests: it
// serves issues, pull requests, comments, timelines and pull-request
// details in GitHub's JSON shapes, with Link pagination (and GitHub's 422
// past its page bound), ETag and Last-Modified validators answered with
// 304, per-token primary rate limits with their headers, and injected
// faults: 502s, a 429 with Retry-After, a spent primary limit, a secondary
// limit, and a connection cut mid-body. It counts what clients asked and
// spent, and runs on a fake Clock so that waits take no real time.
package githubtest

import (
	"context"
	"sync"
	"time"
)

// Clock is a fake clock: Sleep advances it instead of waiting. It
// implements github.Clock.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
	waits int
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t.UTC()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the clock by d at once, unless ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.slept += d
	c.waits++
	c.mu.Unlock()
	return nil
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Slept returns the total time slept and the number of sleeps.
func (c *Clock) Slept() (time.Duration, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept, c.waits
}
