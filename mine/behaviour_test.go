package mine

import (
	"context"
	"net/http"
	"sort"
	"testing"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/github/githubtest"
)

// Items updated while a pass pages through the listing move to its end
// and shift the rest up: an item slips between two pages. The pass fetches
// the boundaries served after the move again, and nothing is lost.
func TestSyncLosesNothingToLiveUpdates(t *testing.T) {
	e := newEnv(t)
	e.srv.Generate("live/engine", githubtest.Spec{Issues: 1000, Seed: 8})
	// The items first in the listing: fetched with the first page.
	var first []int
	e.srv.OnRequest(func(n int, _ *http.Request) {})
	byUpdated := e.serverIssues("live/engine")
	sort.Slice(byUpdated, func(i, j int) bool {
		a, b := byUpdated[i], byUpdated[j]
		if !a.GetUpdatedAt().Time.Equal(b.GetUpdatedAt().Time) {
			return a.GetUpdatedAt().Time.Before(b.GetUpdatedAt().Time)
		}
		return a.GetNumber() < b.GetNumber()
	})
	for _, is := range byUpdated[:3] {
		first = append(first, is.GetNumber())
	}
	// Every request takes a second; before pages 4, 6 and 7 are served, an
	// item of page 1 is commented on.
	edits := map[int]int{4: first[0], 6: first[1], 7: first[2]}
	e.srv.OnRequest(func(n int, _ *http.Request) {
		e.clock.Advance(time.Second)
		if num, ok := edits[n]; ok {
			e.srv.Edit("live/engine", num, func(is *gh.Issue) { is.Comments = gh.Ptr(is.GetComments() + 1) })
		}
	})
	res := e.sync(Options{Repos: []string{"live/engine"}})
	e.srv.OnRequest(nil)
	if res.Repos[0].Repairs == 0 {
		t.Error("no boundary fetched again")
	}
	e.checkMatchesServer("live/engine")
	t.Logf("%+v", res.Repos[0])
}

func (e *env) serverIssues(repo string) []*gh.Issue {
	var out []*gh.Issue
	r := e.srv.Repo(repo)
	for _, n := range e.srv.Numbers(repo) {
		out = append(out, r.Issues[n])
	}
	return out
}

// checkMatchesServer fails unless the database holds every item of the
// server's repository at its current version.
func (e *env) checkMatchesServer(repo string) {
	e.t.Helper()
	want := e.serverIssues(repo)
	if got := count(e.t, e.db, `SELECT COUNT(*) FROM issues WHERE repo = ?`, repo); got != len(want) {
		e.t.Errorf("%s: %d of %d items stored", repo, got, len(want))
	}
	for _, is := range want {
		if got := count(e.t, e.db, `SELECT COUNT(*) FROM issues WHERE repo = ? AND number = ? AND updated_at = ? AND comments = ?`,
			repo, is.GetNumber(), is.GetUpdatedAt().UTC().Format(time.RFC3339), is.GetComments()); got != 1 {
			e.t.Errorf("%s#%d: not stored at its latest version (updated %s)", repo, is.GetNumber(), is.GetUpdatedAt())
		}
	}
}

// A budget or a limit stops the sync cleanly; the next run continues to
// the same rows as one uninterrupted sync.
func TestSyncStopsAndContinues(t *testing.T) {
	e := newEnv(t)
	e.srv.Generate("a/one", githubtest.Spec{Issues: 640, Pulls: 60, Comments: 90, Seed: 41})
	base := Options{Repos: []string{"a/one"}, FixSizes: true, Comments: true}
	e.sync(base)
	clean := dump(t, e.db)
	for _, tc := range []struct {
		name string
		mod  func(*Options, *github.Options)
		stop string
	}{
		{"budget", func(_ *Options, c *github.Options) { c.MaxRequests = 4 }, "budget"},
		{"limit", func(o *Options, _ *github.Options) { o.Limit = 250 }, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t, t.TempDir()+"/stopped.db", e.clock)
			runs := 0
			for {
				opt := base
				var copt github.Options
				tc.mod(&opt, &copt)
				c := e.client(func(o *github.Options) { o.MaxRequests = copt.MaxRequests })
				res, err := e.trySync(context.Background(), db, c, opt)
				if err != nil {
					t.Fatal(err)
				}
				runs++
				if res.Complete {
					break
				}
				if res.Repos[0].Stopped != tc.stop {
					t.Fatalf("run %d stopped: %q", runs, res.Repos[0].Stopped)
				}
				if c.Requests() > int64(copt.MaxRequests) && copt.MaxRequests > 0 {
					t.Fatalf("run %d made %d requests, budget %d", runs, c.Requests(), copt.MaxRequests)
				}
				if runs > 100 {
					t.Fatal("no end")
				}
			}
			if runs < 3 {
				t.Errorf("done in %d runs; the stop did not bite", runs)
			}
			if got := dump(t, db); got != clean {
				t.Fatalf("after %d runs: %s", runs, firstDiff(clean, got))
			}
		})
	}
}

// However many repositories and workers, no more than MaxInFlight
// requests are in flight at once.
func TestSyncBoundsRequestsInFlight(t *testing.T) {
	e := newEnv(t)
	var repos []string
	for i := range 6 {
		r := "org/repo" + string(rune('a'+i))
		e.srv.Generate(r, githubtest.Spec{Issues: 350, Seed: uint64(50 + i)})
		repos = append(repos, r)
	}
	e.srv.OnRequest(func(int, *http.Request) { time.Sleep(3 * time.Millisecond) })
	c := e.client(func(o *github.Options) { o.MaxInFlight = 3 })
	if _, err := e.trySync(context.Background(), e.db, c, Options{Repos: repos, Workers: 6}); err != nil {
		t.Fatal(err)
	}
	if st := e.srv.Stats(); st.MaxInFlight > 3 || st.MaxInFlight < 2 {
		t.Errorf("%d requests in flight at most; want 3 (and more than 1)", st.MaxInFlight)
	}
	for _, r := range repos {
		e.checkMatchesServer(r)
	}
}

// Without a token the sync still works within the 60 requests an hour,
// waiting for the reset when they are spent.
func TestSyncWithoutToken(t *testing.T) {
	e := newEnv(t)
	e.srv.SetRateLimits(5000, 5)
	e.srv.Generate("a/one", githubtest.Spec{Issues: 1200, Seed: 4})
	c := e.client(func(o *github.Options) { o.Token = "" })
	if c.Authenticated() {
		t.Fatal("authenticated without a token")
	}
	before := e.clock.Now()
	if _, err := e.trySync(context.Background(), e.db, c, Options{Repos: []string{"a/one"}}); err != nil {
		t.Fatal(err)
	}
	st := e.srv.Stats()
	if st.Anonymous != st.Requests {
		t.Errorf("%d of %d requests anonymous", st.Anonymous, st.Requests)
	}
	if e.clock.Now().Sub(before) < 2*time.Hour {
		t.Errorf("13 requests at 5 an hour took %s on the clock", e.clock.Now().Sub(before))
	}
	e.checkMatchesServer("a/one")
}

// Filters select what is listed, and each set of filters keeps its own
// cursor.
func TestSyncFilters(t *testing.T) {
	e := newEnv(t)
	e.srv.Generate("a/one", githubtest.Spec{Issues: 500, Pulls: 50, Seed: 12})
	e.sync(Options{Repos: []string{"a/one"}, State: "open", Labels: []string{"bug"}})
	want := 0
	for _, is := range e.serverIssues("a/one") {
		for _, l := range is.Labels {
			if l.Name == "bug" && is.GetState() == "open" {
				want++
			}
		}
	}
	if got := count(t, e.db, `SELECT COUNT(*) FROM issues`); got != want || want == 0 {
		t.Fatalf("%d stored, want the %d open bugs", got, want)
	}
	if got := count(t, e.db, `SELECT COUNT(*) FROM issues WHERE state <> 'open' OR labels NOT LIKE '%"bug"%'`); got != 0 {
		t.Errorf("%d stored outside the filters", got)
	}
	since := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	e.sync(Options{Repos: []string{"a/one"}, Since: &since})
	n := 0
	for _, is := range e.serverIssues("a/one") {
		if !is.GetUpdatedAt().Before(since) || is.GetState() == "open" && hasLabel(is, "bug") {
			n++
		}
	}
	if got := count(t, e.db, `SELECT COUNT(*) FROM issues`); got != n {
		t.Errorf("after --since %s: %d stored, want %d", since.Format(time.DateOnly), got, n)
	}
	e.sync(Options{Repos: []string{"a/one"}, Full: true})
	e.checkMatchesServer("a/one")
}

func hasLabel(is *gh.Issue, name string) bool {
	for _, l := range is.Labels {
		if l.Name == name {
			return true
		}
	}
	return false
}

// Issues that no description links are found fixed through their
// timeline: a cross-referencing merged pull request, or the pull request
// of the closing commit.
func TestSyncFindsFixesInTimelines(t *testing.T) {
	e := newEnv(t)
	g := e.srv.Generate("a/one", githubtest.Spec{Issues: 300, Pulls: 80, TimelineFixes: 8, Seed: 14})
	if len(g.TimelineFixes) == 0 || len(g.CommitFixes) == 0 {
		t.Fatalf("generated %v %v", g.TimelineFixes, g.CommitFixes)
	}
	res := e.sync(Options{Repos: []string{"a/one"}, FixSizes: true, Timeline: true})
	for issue, pr := range g.TimelineFixes {
		if got := count(t, e.db, `SELECT COUNT(*) FROM fix_links WHERE issue_number = ? AND pr_number = ? AND source = 'timeline'`, issue, pr); got != 1 {
			t.Errorf("#%d: timeline fix #%d not found", issue, pr)
		}
	}
	for issue, pr := range g.CommitFixes {
		if got := count(t, e.db, `SELECT COUNT(*) FROM fix_links WHERE issue_number = ? AND pr_number = ? AND source = 'commit'`, issue, pr); got != 1 {
			t.Errorf("#%d: commit fix #%d not found", issue, pr)
		}
	}
	extra := count(t, e.db, `SELECT COUNT(*) FROM fix_links WHERE source <> 'body'`)
	if extra != len(g.TimelineFixes)+len(g.CommitFixes) {
		t.Errorf("%d timeline and commit links, want %d", extra, len(g.TimelineFixes)+len(g.CommitFixes))
	}
	// Timelines are read once: the next sync reads none.
	checked := res.Repos[0].TimelineChecked
	if checked == 0 {
		t.Fatal("no timeline read")
	}
	e.srv.ResetStats()
	res = e.sync(Options{Repos: []string{"a/one"}, FixSizes: true, Timeline: true})
	if st := e.srv.Stats(); st.Requests != 1 || res.Repos[0].TimelineChecked != 0 {
		t.Errorf("second sync: %+v, %d timelines", st, res.Repos[0].TimelineChecked)
	}
	// Fixes come out with their sizes and times to fix.
	fixes, err := e.db.Fixes(context.Background(), sqliteAll())
	if err != nil {
		t.Fatal(err)
	}
	for ref, fs := range fixes {
		for _, f := range fs {
			if !f.SizeKnown || f.TimeToFix <= 0 || f.MergedAt == nil {
				t.Errorf("%s: fix %+v", ref, f)
			}
			if size := g.Sizes[f.PullRequest.Number]; size != [3]int{f.Additions, f.Deletions, f.ChangedFiles} {
				t.Errorf("%s: size %d/%d/%d, want %v", ref, f.Additions, f.Deletions, f.ChangedFiles, size)
			}
		}
	}
}

// A description edited to drop its closing reference drops the link.
func TestSyncFollowsEditedDescriptions(t *testing.T) {
	e := newEnv(t)
	g := e.srv.Generate("a/one", githubtest.Spec{Issues: 100, Pulls: 40, Seed: 15})
	e.sync(Options{Repos: []string{"a/one"}})
	var issue, pr int
	for i, prs := range g.BodyFixes {
		issue, pr = i, prs[0]
		break
	}
	if pr == 0 {
		t.Fatal("no fixes generated")
	}
	e.clock.Advance(time.Minute)
	e.srv.Edit("a/one", pr, func(is *gh.Issue) { is.Body = gh.Ptr("Rewritten; no reference.") })
	e.sync(Options{Repos: []string{"a/one"}})
	if got := count(t, e.db, `SELECT COUNT(*) FROM fix_links WHERE issue_number = ? AND pr_number = ?`, issue, pr); got != 0 {
		t.Error("the link survived the edit")
	}
}

// A listing that links its next page by cursor rather than page number is
// read to its end too, by moving the since.
func TestSyncFollowsCursorLinks(t *testing.T) {
	e := newEnv(t)
	e.srv.SetCursorLinks(true)
	e.srv.Generate("a/one", githubtest.Spec{Issues: 450, Pulls: 30, Seed: 16})
	e.sync(Options{Repos: []string{"a/one"}})
	e.checkMatchesServer("a/one")
	if st := e.srv.Stats(); st.Requests > 8 {
		t.Errorf("%d requests for 480 items", st.Requests)
	}
}
