package http

import (
	"context"
	"errors"
	"io"
	"log"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
)

// versionStore is a store of which the cache reads only the data version.
type versionStore struct {
	Store
	v atomic.Int64
}

func (s *versionStore) DataVersion(context.Context) (int64, error) { return s.v.Load(), nil }

func TestCacheServesStaleWhileRebuilding(t *testing.T) {
	st := &versionStore{}
	s := &Server{opt: Options{Store: st}, log: log.New(io.Discard, "", 0)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	defer s.Close()
	var builds atomic.Int64
	release := make(chan struct{}, 10)
	fail := atomic.Bool{}
	c := newCache(s, "test", 2, func(ctx context.Context, f bugscope.IssueFilter) (int64, error) {
		<-release
		n := builds.Add(1)
		if fail.Load() {
			return 0, errors.New("broken")
		}
		return st.v.Load()*100 + n, nil
	})
	ctx := context.Background()
	all := bugscope.IssueFilter{}
	release <- struct{}{}
	if v, stale, err := c.getStale(ctx, all); v != 1 || stale || err != nil {
		t.Fatalf("first: %d %v %v", v, stale, err)
	}
	if v, _ := c.get(ctx, all); v != 1 || builds.Load() != 1 {
		t.Fatalf("unchanged data built again: %d, %d builds", v, builds.Load())
	}
	// The data changes: the old value at once, marked stale, while the
	// new one is built; then the new one.
	st.v.Store(1)
	if v, stale, err := c.getStale(ctx, all); v != 1 || !stale || err != nil {
		t.Fatalf("after a change: %d %v %v", v, stale, err)
	}
	release <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, stale, _ := c.getStale(ctx, all)
		if v == 102 && !stale {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never rebuilt: %d %v", v, stale)
		}
		time.Sleep(time.Millisecond)
	}
	// A failed build of a new filter is its answer until the data
	// changes; a filter's older value survives a failed rebuild.
	fail.Store(true)
	repo := bugscope.IssueFilter{Repos: []string{"a/b"}}
	release <- struct{}{}
	if _, err := c.get(ctx, repo); err == nil {
		t.Fatal("no error")
	}
	if _, err := c.get(ctx, repo); err == nil || builds.Load() != 3 {
		t.Fatalf("the error was not kept: %v, %d builds", err, builds.Load())
	}
	// At most two filters: a third drops the least recently used.
	fail.Store(false)
	c.get(ctx, all)
	release <- struct{}{}
	c.get(ctx, bugscope.IssueFilter{State: "open"})
	c.mu.Lock()
	_, kept := c.entries[filterKey(repo)]
	n := len(c.entries)
	c.mu.Unlock()
	if kept || n != 2 {
		t.Errorf("%d entries, the least recently used kept: %v", n, kept)
	}
}
