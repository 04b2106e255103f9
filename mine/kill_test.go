package mine

import (
	"context"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/github/githubtest"
	"github.com/bugscope/bugscope/internal/childproc"
	"github.com/bugscope/bugscope/sqlite"
)

var killOpt = Options{Repos: []string{"a/one"}, FixSizes: true, Comments: true}

// TestSyncChild is the process TestSyncSurvivesKill kills: a plain sync.
func TestSyncChild(t *testing.T) {
	args, ok := childproc.Args(t)
	if !ok {
		t.Skip("the process TestSyncSurvivesKill starts and kills")
	}
	url, path := args[0], args[1]
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := github.New(github.Options{Token: "t", BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sync(context.Background(), db, c, killOpt); err != nil {
		t.Fatal(err)
	}
}

// Killing the process at any moment (SIGKILL: no clean-up at all) and
// running the same sync again ends with exactly the rows of a sync that was
// never killed.
func TestSyncSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	e := newEnv(t)
	e.srv.Generate("a/one", githubtest.Spec{Issues: 700, Pulls: 80, Comments: 200, Seed: 61})
	e.sync(killOpt)
	clean := dump(t, e.db)
	total := e.srv.Stats().Requests
	for _, tc := range []struct {
		at    int
		delay time.Duration
	}{{2, 0}, {4, 2 * time.Millisecond}, {7, 5 * time.Millisecond}, {total / 2, time.Millisecond}, {total - 5, time.Millisecond}} {
		path := filepath.Join(t.TempDir(), "killed.db")
		e.srv.ResetStats()
		var proc atomic.Pointer[childproc.Child]
		e.srv.OnRequest(func(n int, _ *http.Request) {
			if n == tc.at {
				time.AfterFunc(tc.delay, func() {
					if c := proc.Load(); c != nil {
						c.Kill()
					}
				})
			}
		})
		c := childproc.Start(t, "TestSyncChild", e.srv.URL, path)
		proc.Store(c)
		err := c.Wait()
		e.srv.OnRequest(nil)
		if err == nil {
			t.Logf("request %d: the child finished before the kill", tc.at)
		}
		db := openDB(t, path, e.clock)
		if _, err := e.trySync(context.Background(), db, e.client(nil), killOpt); err != nil {
			t.Fatalf("killed at request %d (+%s), resumed: %v", tc.at, tc.delay, err)
		}
		if got := dump(t, db); got != clean {
			t.Fatalf("killed at request %d (+%s) of %d and resumed: rows differ: %s", tc.at, tc.delay, total, firstDiff(clean, got))
		}
	}
}
