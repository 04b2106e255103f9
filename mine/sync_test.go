package mine

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/bugscope/bugscope/github/githubtest"
)

func TestSyncSmallRepository(t *testing.T) {
	e := newEnv(t)
	g := e.srv.Generate("acme/engine", githubtest.Spec{Issues: 230, Pulls: 40, Comments: 50, Seed: 1})
	res := e.sync(Options{Repos: []string{"acme/engine"}, FixSizes: true, Comments: true})
	r := res.Repos[0]
	if !r.Complete || r.Error != "" || !res.Complete {
		t.Fatalf("result %+v", r)
	}
	if got := count(t, e.db, `SELECT COUNT(*) FROM issues`); got != 270 {
		t.Fatalf("%d issues and pull requests stored, want 270", got)
	}
	if got := count(t, e.db, `SELECT COUNT(*) FROM issues WHERE is_pull_request`); got != 40 {
		t.Errorf("%d pull requests, want 40", got)
	}
	if got := count(t, e.db, `SELECT COUNT(*) FROM issue_comments`); got != 50 {
		t.Errorf("%d comments, want 50", got)
	}
	want := 0
	for _, prs := range g.BodyFixes {
		want += len(prs)
	}
	if want == 0 {
		t.Fatal("the generated repository has no fixes")
	}
	if got := count(t, e.db, `SELECT COUNT(*) FROM fix_links WHERE source = 'body'`); got != want {
		t.Errorf("%d fix links, want %d", got, want)
	}
	// Each fixing pull request's size, as the server has it.
	for issue, prs := range g.BodyFixes {
		for _, pr := range prs {
			size := g.Sizes[pr]
			if got := count(t, e.db, `SELECT COUNT(*) FROM pull_requests WHERE repo = 'acme/engine' AND number = ?
				AND additions = ? AND deletions = ? AND changed_files = ?`, pr, size[0], size[1], size[2]); got != 1 {
				t.Errorf("pull request #%d (fixing #%d): size not stored as %v", pr, issue, size)
			}
		}
	}
	// The unmerged pull requests that name an issue, and the examples in
	// HTML comments of the template, link nothing.
	if got := count(t, e.db, `SELECT COUNT(*) FROM fix_links f JOIN pull_requests p ON p.repo = f.pr_repo AND p.number = f.pr_number WHERE p.merged_at IS NULL`); got != 0 {
		t.Errorf("%d links to unmerged pull requests", got)
	}
	if got := count(t, e.db, `SELECT COUNT(*) FROM fix_links WHERE issue_number = 1 AND source = 'body'`); got != 0 && len(g.BodyFixes[1]) == 0 {
		t.Errorf("the template's commented example linked #1")
	}
}

// The 422 GitHub answers past its page bound does not stop a sync: the
// pass moves its since forward and carries on, to the end.
func TestSyncPastPageBound(t *testing.T) {
	for _, tc := range []struct {
		name       string
		knownBound int // what the engine assumes; 0: GitHub's 10,000
		want422    bool
	}{
		{"bound learnt from 422", 0, true},
		{"bound known", 1000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.SetPageBound(1000)
			e.srv.Generate("big/engine", githubtest.Spec{Issues: 2200, Pulls: 300, Seed: 7})
			res := e.sync(Options{Repos: []string{"big/engine"}, PageBound: tc.knownBound})
			if got := count(t, e.db, `SELECT COUNT(*) FROM issues`); got != 2500 {
				t.Fatalf("%d of 2500 stored; result %+v", got, res.Repos[0])
			}
			st := e.srv.Stats()
			if got422 := st.ByStatus[422] > 0; got422 != tc.want422 {
				t.Errorf("422s: %d", st.ByStatus[422])
			}
			// 25 pages, a few pages again after each move (the items at the
			// boundary), a 422 per window when the bound was not known, the
			// validation page: never a loop.
			if st.Requests > 25+3+3+1 {
				t.Errorf("%d requests for 2,500 items", st.Requests)
			}
			// Nothing changed: the next sync is one 304.
			e.srv.ResetStats()
			e.sync(Options{Repos: []string{"big/engine"}})
			if st := e.srv.Stats(); st.Requests != 1 || st.NotModified != 1 {
				t.Errorf("second sync: %+v", st)
			}
		})
	}
}

// More items sharing one updated_at than page numbers reach is an error,
// not a loop.
func TestSyncStuckOnTiesFails(t *testing.T) {
	e := newEnv(t)
	e.srv.SetPageBound(200)
	e.srv.Generate("tied/engine", githubtest.Spec{Issues: 400, Ties: 300, Seed: 3})
	_, err := e.trySync(context.Background(), e.db, e.client(nil), Options{Repos: []string{"tied/engine"}})
	if err == nil || !strings.Contains(err.Error(), "share one updated_at") {
		t.Fatalf("sync of 300 tied items with a page bound of 200: err %v", err)
	}
	if st := e.srv.Stats(); st.Requests > 10 {
		t.Errorf("%d requests before giving up", st.Requests)
	}
	t.Log(err)
}

// Ties below the bound are paged through, and the next sync of the
// unchanged listing is still a single 304.
func TestSyncTiesBelowBound(t *testing.T) {
	e := newEnv(t)
	e.srv.Generate("tied/engine", githubtest.Spec{Issues: 400, Ties: 150, Seed: 3})
	e.sync(Options{Repos: []string{"tied/engine"}})
	if got := count(t, e.db, `SELECT COUNT(*) FROM issues`); got != 400 {
		t.Fatalf("%d of 400 stored", got)
	}
	e.srv.ResetStats()
	e.sync(Options{Repos: []string{"tied/engine"}})
	if st := e.srv.Stats(); st.Requests > 2 {
		t.Errorf("second sync: %+v", st)
	}
}

// The budget of the issue's acceptance criteria: 2,500 issues and 300
// pull requests in 3 repositories.
func TestSyncIsIncrementalAndCheap(t *testing.T) {
	e := newEnv(t)
	repos := []struct {
		name          string
		issues, pulls int
	}{{"vllm/fake", 1200, 100}, {"llama/fake", 800, 120}, {"sglang/fake", 500, 80}}
	var names []string
	fixPulls := map[string]bool{}
	listPages := 0
	for i, r := range repos {
		g := e.srv.Generate(r.name, githubtest.Spec{Issues: r.issues, Pulls: r.pulls, Seed: uint64(10 + i)})
		for _, prs := range g.BodyFixes {
			for _, pr := range prs {
				fixPulls[r.name+"#"+strconv.Itoa(pr)] = true
			}
		}
		names = append(names, r.name)
		listPages += (r.issues + r.pulls + 99) / 100
	}
	opt := Options{Repos: names}

	// First, full sync: one request per 100 items, and one per repository
	// (the first page of the next sync's request, for its validators).
	first := e.sync(opt)
	st := e.srv.Stats()
	if got := count(t, e.db, `SELECT COUNT(*) FROM issues`); got != 2800 {
		t.Fatalf("%d of 2,800 stored", got)
	}
	if st.Requests > listPages+len(repos) || st.ByKind["issues"] != st.Requests {
		t.Errorf("first sync: %d requests (%v) for %d pages of items in %d repositories", st.Requests, st.ByKind, listPages, len(repos))
	}
	if first.Requests != int64(st.Requests) {
		t.Errorf("the client counted %d requests, the server %d", first.Requests, st.Requests)
	}
	t.Logf("first sync: %d requests for %d pages of items in %d repositories", st.Requests, listPages, len(repos))
	if got := count(t, e.db, `SELECT COUNT(*) FROM fix_links`); got < len(fixPulls) {
		t.Errorf("%d fix links for %d fixing pull requests", got, len(fixPulls))
	}

	// With FixSizes, the size of each fixing pull request, once; the
	// listings are not changed and cost nothing.
	opt.FixSizes = true
	e.srv.ResetStats()
	e.sync(opt)
	st = e.srv.Stats()
	if st.ByKind["pull"] != len(fixPulls) || st.ByKind["issues"] != len(repos) || st.NotModified != len(repos) {
		t.Errorf("sizes: %+v; want %d pull requests and %d 304s", st, len(fixPulls), len(repos))
	}

	// Second sync, nothing changed: all 304, no rate limit spent.
	e.srv.ResetStats()
	second := e.sync(opt)
	st = e.srv.Stats()
	if st.Requests != len(repos) || st.NotModified != len(repos) || st.Spent != 0 {
		t.Errorf("second sync: %+v, want %d requests, all 304, nothing spent", st, len(repos))
	}
	for _, r := range second.Repos {
		if r.NotModified != 1 || r.Listed != 0 || !r.Complete {
			t.Errorf("second sync of %s: %+v", r.Repo, r)
		}
	}

	// 10 issues change: the third sync fetches those (and the item at each
	// cursor, which the request includes), one request per changed
	// repository.
	e.clock.Advance(time.Hour)
	changed := map[string][]int{"vllm/fake": {3, 500, 1100, 1250}, "llama/fake": {7, 400, 900}, "sglang/fake": {10, 300, 555}}
	for repo, nums := range changed {
		for _, n := range nums {
			e.srv.Edit(repo, n, func(is *gh.Issue) { is.Title = gh.Ptr(is.GetTitle() + " (edited)") })
		}
	}
	e.srv.ResetStats()
	third := e.sync(opt)
	st = e.srv.Stats()
	updated := 0
	for _, r := range third.Repos {
		updated += r.Updated
		if r.Inserted != 0 {
			t.Errorf("third sync of %s inserted %d", r.Repo, r.Inserted)
		}
	}
	if updated != 10 {
		t.Errorf("third sync updated %d issues, want 10", updated)
	}
	if st.Requests != len(repos) || st.Items > 10+len(repos) {
		t.Errorf("third sync: %d requests, %d items served; want %d requests and at most %d items", st.Requests, st.Items, len(repos), 10+len(repos))
	}
	if got := count(t, e.db, `SELECT COUNT(*) FROM issues WHERE title LIKE '% (edited)'`); got != 10 {
		t.Errorf("%d edited titles stored", got)
	}

	// And again nothing changed: free.
	e.srv.ResetStats()
	e.sync(opt)
	if st := e.srv.Stats(); st.Spent != 0 || st.NotModified != len(repos) {
		t.Errorf("fourth sync: %+v", st)
	}
}

// A sync against a server that fails a fifth of its responses, answers
// one request 429, runs out of its primary limit once and cuts one body
// off half-way ends with exactly the rows of a sync without faults, and
// takes no real time: the waits pass on the fake clock.
func TestSyncSurvivesFaults(t *testing.T) {
	e := newEnv(t)
	for i, r := range []string{"a/one", "b/two", "c/three"} {
		e.srv.Generate(r, githubtest.Spec{Issues: 400 + 100*i, Pulls: 60, Comments: 150, TimelineFixes: 4, Seed: uint64(20 + i)})
	}
	opt := Options{Repos: []string{"a/one", "b/two", "c/three"}, FixSizes: true, Comments: true, Timeline: true}
	e.sync(opt)
	clean := dump(t, e.db)
	cleanRequests := e.srv.Stats().Requests

	faulty := openDB(t, t.TempDir()+"/faulty.db", e.clock)
	e.srv.ResetStats()
	e.srv.SetFaults(githubtest.Faults{ErrorRate: 0.2, Seed: 99, TooManyAt: 5, RetryAfter: 45, ExhaustAt: 12, ResetIn: 30 * time.Minute, CutBodyAt: 8, SecondaryAt: 17})
	before := e.clock.Now()
	start := time.Now()
	e.evs = nil
	res, err := e.trySync(context.Background(), faulty, e.client(nil), opt)
	if err != nil {
		t.Fatalf("sync with faults: %v", err)
	}
	if !res.Complete {
		t.Fatalf("sync with faults incomplete: %+v", res)
	}
	if got := dump(t, faulty); got != clean {
		t.Fatalf("rows differ from the sync without faults: %s", firstDiff(clean, got))
	}
	st := e.srv.Stats()
	if st.ByStatus[502] == 0 || st.ByStatus[429] != 1 || st.ByStatus[403] < 2 {
		t.Errorf("faults not all injected: %v", st.ByStatus)
	}
	waits, retries := 0, 0
	for _, ev := range e.evs {
		switch ev.Phase {
		case PhaseWaiting:
			waits++
		case PhaseRetry:
			retries++
		}
	}
	if waits < 3 || retries < st.ByStatus[502]+1 {
		t.Errorf("%d waits (primary, 429, secondary), %d retries for %d 502s and a cut body", waits, retries, st.ByStatus[502])
	}
	// The spent primary limit made the sync wait for its reset, on the fake clock.
	if waited := e.clock.Now().Sub(before); waited < 30*time.Minute {
		t.Errorf("the fake clock moved %s; the reset was 30 minutes away", waited)
	}
	if real := time.Since(start); real > 20*time.Second {
		t.Errorf("the sync took %s of real time", real)
	}
	t.Logf("clean: %d requests; with faults: %d (%v), %d retries, %d waits", cleanRequests, st.Requests, st.ByStatus, retries, waits)
}

// A sync cancelled at any point and run again ends with exactly the rows
// of a sync that was never cancelled.
func TestSyncResumesAfterCancel(t *testing.T) {
	e := newEnv(t)
	for i, r := range []string{"a/one", "b/two"} {
		e.srv.Generate(r, githubtest.Spec{Issues: 450 + 200*i, Pulls: 50, Comments: 120, TimelineFixes: 3, Seed: uint64(30 + i)})
	}
	opt := Options{Repos: []string{"a/one", "b/two"}, FixSizes: true, Comments: true, Timeline: true, Workers: 2}
	e.sync(opt)
	clean := dump(t, e.db)
	total := e.srv.Stats().Requests
	if total < 20 {
		t.Fatalf("only %d requests; the test needs more", total)
	}
	for _, at := range []int{1, 2, 4, 7, 11, total / 2, total - 3, total - 1} {
		t0 := time.Now()
		db := openDB(t, t.TempDir()+"/resumed.db", e.clock)
		ctx, cancel := context.WithCancel(context.Background())
		e.srv.OnRequest(func(n int, _ *http.Request) {
			if n == at {
				cancel()
			}
		})
		e.srv.ResetStats()
		_, err := e.trySync(ctx, db, e.client(nil), opt)
		cancel()
		e.srv.OnRequest(nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled at request %d: err %v", at, err)
		}
		if _, err := e.trySync(context.Background(), db, e.client(nil), opt); err != nil {
			t.Fatalf("resumed after request %d: %v", at, err)
		}
		t.Logf("at %d: %d requests to finish, %s", at, e.srv.Stats().Requests, time.Since(t0))
		if got := dump(t, db); got != clean {
			t.Fatalf("cancelled at request %d of %d and resumed: rows differ: %s", at, total, firstDiff(clean, got))
		}
	}
}

// A page whose transaction is cut short leaves nothing behind: the
// database holds whole pages and a state that matches them.
func TestSyncCrashMidPageLeavesNoPartialPage(t *testing.T) {
	e := newEnv(t)
	e.srv.Generate("a/one", githubtest.Spec{Issues: 500, Seed: 5})
	opt := Options{Repos: []string{"a/one"}}
	ctx, cancel := context.WithCancel(context.Background())
	testHookInPageTx = func(_ context.Context, resource string, page int) {
		if resource == "issues" && page == 3 {
			cancel() // the page's transaction cannot commit now
		}
	}
	t.Cleanup(func() { testHookInPageTx = nil })
	_, err := e.trySync(ctx, e.db, e.client(nil), opt)
	testHookInPageTx = nil
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if got := count(t, e.db, `SELECT COUNT(*) FROM issues`); got != 200 {
		t.Fatalf("%d issues after a crash in page 3's transaction; want the 200 of pages 1 and 2", got)
	}
	if got := count(t, e.db, `SELECT items FROM sync_state WHERE repo = 'a/one'`); got != 200 {
		t.Fatalf("the state counts %d items", got)
	}
	if got := count(t, e.db, `SELECT COUNT(*) FROM issue_labels l JOIN issues i ON i.id = l.issue_id`); got == 0 {
		t.Fatal("no labels")
	}
	e.sync(opt)
	if got := count(t, e.db, `SELECT COUNT(*) FROM issues`); got != 500 {
		t.Fatalf("%d of 500 after resuming", got)
	}
}
