package mine

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/github/githubtest"
)

// A hung server: the status says the sync is waiting on a slow server
// (not "queued"), every repository fails within the retry bound with an
// error that says the server does not answer, and the run takes little
// real time (backoffs on the fake clock, attempts of 60ms).
func TestSyncOnAHungServer(t *testing.T) {
	e := newEnv(t)
	srv := githubtest.NewHung(t)
	c := e.client(func(o *github.Options) {
		o.BaseURL = srv.URL
		o.Timeout, o.SlowAfter, o.MaxRetryTime = 60*time.Millisecond, 15*time.Millisecond, 10*time.Second
	})
	var log bytes.Buffer
	p := NewPrinter(&log, false, 0, []string{"acme/one", "acme/two"}, e.clock.Now)
	start := time.Now()
	res, err := Sync(context.Background(), e.db, c, Options{Repos: []string{"acme/one", "acme/two"}, Progress: p.Event})
	p.Close()
	if err == nil || !strings.Contains(err.Error(), "no answer within 60ms") {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
	for _, r := range res.Repos {
		if r.Error == "" || r.Complete {
			t.Errorf("%s: %+v", r.Repo, r)
		}
	}
	out := log.String()
	for _, want := range []string{"acme/one: issues, 0 items", "waiting on a slow server: no answer for 15ms", "acme/one: failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "queued") {
		t.Errorf("log says queued:\n%s", out)
	}
}

// A wrong address fails at once, for every repository, saying so.
func TestSyncOnAClosedPort(t *testing.T) {
	e := newEnv(t)
	addr := githubtest.ClosedAddr(t)
	c := e.client(func(o *github.Options) { o.BaseURL = "http://" + addr + "/" })
	_, err := Sync(context.Background(), e.db, c, Options{Repos: []string{"acme/one", "acme/two"}})
	if err == nil || strings.Count(err.Error(), "connection refused") != 2 || !strings.Contains(err.Error(), "cannot reach the GitHub API at http://"+addr) {
		t.Fatalf("err %v", err)
	}
	if slept, n := e.clock.Slept(); n != 0 || c.Requests() != 2 {
		t.Errorf("%d requests, %d sleeps (%s): retried", c.Requests(), n, slept)
	}
}
