package http

import (
	"context"
	"encoding/json"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/chart"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/review"
)

// errComputing answers a request whose figures are computed for the
// first time and not ready within Options.FirstWait: the page says so and
// reloads itself.
var errComputing = bugscope.Errorf(bugscope.EUnavailable, "the figures of this filter are being computed for the first time: try again in a few seconds")

// cache keeps one value per filter, computed from the database as it was
// at one data version. A value whose version is no longer current is
// served while a new one is computed in the background (a report of
// 100,000 issues takes seconds); only the first request of a filter
// waits. At most max filters are kept, the least recently used dropped.
type cache[T any] struct {
	s     *Server
	what  string // for the log
	max   int
	build func(ctx context.Context, f bugscope.IssueFilter) (T, error)

	mu      sync.Mutex
	entries map[string]*slot[T]
	tick    int64
}

type slot[T any] struct {
	filter   bugscope.IssueFilter
	version  int64 // of val (or of err)
	val      T
	have     bool
	err      error
	building bool
	done     chan struct{} // closed when the build in progress ends
	used     int64
}

func newCache[T any](s *Server, what string, max int, build func(context.Context, bugscope.IssueFilter) (T, error)) *cache[T] {
	return &cache[T]{s: s, what: what, max: max, build: build, entries: map[string]*slot[T]{}}
}

func filterKey(f bugscope.IssueFilter) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// get returns the value for f: current, or stale while a current one is
// built.
func (c *cache[T]) get(ctx context.Context, f bugscope.IssueFilter) (T, error) {
	v, _, err := c.getStale(ctx, f)
	return v, err
}

// getStale is get that also says whether the value is stale.
func (c *cache[T]) getStale(ctx context.Context, f bugscope.IssueFilter) (T, bool, error) {
	var zero T
	v, err := c.s.opt.Store.DataVersion(ctx)
	if err != nil {
		return zero, false, err
	}
	key := filterKey(f)
	c.mu.Lock()
	sl := c.entries[key]
	c.tick++
	if sl == nil {
		sl = &slot[T]{filter: f}
		c.entries[key] = sl
	}
	sl.used = c.tick
	c.evict()
	current := sl.version == v && (sl.have || sl.err != nil)
	if current && sl.err == nil {
		val := sl.val
		c.mu.Unlock()
		return val, false, nil
	}
	if current && !sl.have {
		err := sl.err
		c.mu.Unlock()
		return zero, false, err
	}
	if !sl.building {
		c.start(sl, v)
	}
	if sl.have {
		val := sl.val // stale while the new one is built
		c.mu.Unlock()
		return val, true, nil
	}
	done := sl.done
	c.mu.Unlock()
	var wait <-chan time.Time
	if c.s.opt.FirstWait > 0 {
		t := time.NewTimer(c.s.opt.FirstWait)
		defer t.Stop()
		wait = t.C
	}
	select {
	case <-done:
	case <-ctx.Done():
		return zero, false, ctx.Err()
	case <-wait:
		return zero, false, errComputing
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !sl.have {
		return zero, false, sl.err
	}
	return sl.val, false, nil
}

// start builds sl's value at version v in the background; c.mu is held.
func (c *cache[T]) start(sl *slot[T], v int64) {
	sl.building = true
	sl.done = make(chan struct{})
	c.s.wg.Add(1)
	go func() {
		defer c.s.wg.Done()
		t0 := time.Now()
		val, err := c.build(c.s.ctx, sl.filter)
		c.mu.Lock()
		defer c.mu.Unlock()
		sl.building = false
		defer close(sl.done)
		if err != nil {
			if c.s.ctx.Err() == nil {
				c.s.logf("%s of filter %s: %v", c.what, filterKey(sl.filter), err)
				if !sl.have {
					sl.err, sl.version = err, v
				}
			}
			return
		}
		sl.val, sl.have, sl.err, sl.version = val, true, nil, v
		c.s.logf("%s of filter %s built in %v", c.what, filterKey(sl.filter), time.Since(t0).Round(time.Millisecond))
		// Building held every issue's labels and evidence; what is kept
		// is a small part of it: give the rest back to the system.
		go debug.FreeOSMemory()
	}()
}

// evict drops the least recently used entries beyond max (never the one
// just used, nor one being built); c.mu is held.
func (c *cache[T]) evict() {
	for len(c.entries) > c.max {
		oldest := ""
		var used int64 = -1
		for k, sl := range c.entries {
			if !sl.building && sl.used != c.tick && (used < 0 || sl.used < used) {
				oldest, used = k, sl.used
			}
		}
		if oldest == "" {
			return
		}
		delete(c.entries, oldest)
	}
}

// reportEntry is a report with its charts drawn, as SVG.
type reportEntry struct {
	rep    *report.Report
	charts map[string][]byte
	titles map[string]string
}

func (s *Server) buildReport(ctx context.Context, f bugscope.IssueFilter) (*reportEntry, error) {
	rep, err := s.opt.Report(ctx, f)
	if err != nil {
		return nil, err
	}
	e := &reportEntry{rep: rep, charts: map[string][]byte{}, titles: map[string]string{}}
	figs, err := chart.Figures(rep)
	if err != nil {
		return nil, err
	}
	for _, fig := range figs {
		svg, err := chart.SVG(fig.Plot)
		if err != nil {
			return nil, err
		}
		e.charts[fig.ID], e.titles[fig.ID] = svg, fig.Title
	}
	return e, nil
}

// MaxReviewItems bounds the review items kept whole per filter: the
// items to check first (a queue of 100,000 issues with both sides'
// evidence would take hundreds of megabytes). The pages beyond them are
// built when asked, from the queue's order.
const MaxReviewItems = 2000

// reviewEntry is the review queue of a filter: its first items, the order
// of all of them (issue references), and how many are disagreements.
type reviewEntry struct {
	items         []review.Item
	order         []string
	total         int
	final         string
	disagreements int
}

func (s *Server) buildReview(ctx context.Context, f bugscope.IssueFilter) (*reviewEntry, error) {
	if s.opt.Review == nil {
		return nil, bugscope.Errorf(bugscope.ENotFound, "this server has no review queue")
	}
	items, final, err := s.opt.Review(ctx, f)
	if err != nil {
		return nil, err
	}
	e := &reviewEntry{items: items, total: len(items), final: final, order: make([]string, len(items))}
	for i, it := range items {
		e.order[i] = it.Issue
		if len(it.Disagreements) > 0 {
			e.disagreements++
		}
	}
	if len(items) > s.opt.ReviewKept {
		e.items = slices.Clone(items[:s.opt.ReviewKept])
	}
	return e, nil
}
