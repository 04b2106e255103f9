// Package mine is bugscope's sync engine: it mines issues, pull requests,
// comments and the pull requests that fixed issues from GitHub into the
// database, incrementally, cheaply and resumably.
//
// Each listing (a repository's issues, which hold its pull requests, and
// its comments) is read in passes ordered by update time from a cursor:
// every item updated before the cursor is stored. Every page is stored
// together with the listing's sync state in one transaction, so a killed
// sync resumes where it stopped without duplicates or gaps; a resumed pass
// starts afresh from the last stored item's updated_at rather than from a
// page number, which may have shifted meanwhile.
//
// GitHub stops page-number pagination at 10,000 items (HTTP 422); a pass
// that reaches the bound moves its since forward to the last stored item
// and starts again at page 1. Every since is stepped back by a second, so
// that whether GitHub's since includes its own second does not matter.
//
// Conditional requests: when the whole listing since the cursor fits one
// page, the cursor stays and the page's validators (ETag, Last-Modified)
// are kept, so that the next sync sends the same request and an unchanged
// repository answers 304 Not Modified, which costs no rate limit. A longer
// pass moves the cursor to its newest item and fetches the first page of
// the next request once, for its validators.
//
// An item updated while a pass pages through the listing moves to its end
// and shifts the items after its old place, so that one item can slip
// between two pages. The engine notices the moved item when it meets it
// again and fetches the page boundaries served after the move once more.
package mine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/preset"
)

// Store is what a sync needs of the database. Package sqlite implements
// it. A page of a listing is stored with the listing's state in one
// transaction of the store's (SaveIssuePage, SaveCommentPage), so that the
// state always describes what the store holds: a killed sync resumes
// without gaps or duplicates.
type Store interface {
	// SyncState returns a listing's stored state, or a zero state (Repo,
	// Resource and Query set) when it was never synced; SaveSyncState
	// stores one.
	SyncState(ctx context.Context, repo, resource, query string) (bugscope.SyncState, error)
	SaveSyncState(ctx context.Context, st bugscope.SyncState) error
	// SaveIssuePage and SaveCommentPage store one page and the state next
	// returns, in one transaction; next gets the stored updated_at of the
	// page's items (by number or comment id; absent when not stored), read
	// in that transaction before the page is stored, and must not use the
	// store. An error from next stores nothing.
	SaveIssuePage(ctx context.Context, p bugscope.IssuePage, next func(prior map[int]time.Time) (bugscope.SyncState, error)) (bugscope.UpsertStats, error)
	SaveCommentPage(ctx context.Context, repo string, cs []bugscope.Comment, next func(prior map[int64]time.Time) (bugscope.SyncState, error)) (int, error)
	// IssuesNeedingTimeline lists the closed issues of repo whose fix is
	// not known and whose timeline was not read since they were closed;
	// SaveTimelineCheck records, in one transaction, that one was read,
	// with the links and pull requests it found.
	IssuesNeedingTimeline(ctx context.Context, repo string, limit int) ([]bugscope.ClosedIssue, error)
	SaveTimelineCheck(ctx context.Context, issue bugscope.IssueRef, closedAt *time.Time, links []bugscope.Fix, pulls []bugscope.MergedPull) error
	// PullsNeedingSize lists the fixing pull requests of repo whose size
	// is not known; SaveMergedPulls records sizes and merge times.
	PullsNeedingSize(ctx context.Context, repo string) ([]int, error)
	SaveMergedPulls(ctx context.Context, pulls []bugscope.MergedPull) error
	// FixCounts summarises a repository's fix data.
	FixCounts(ctx context.Context, repo string) (bugscope.FixCounts, error)
}

// Options control a sync.
type Options struct {
	// Repos to sync (owner/name); known former names are resolved.
	Repos []string
	// State (all, open, closed; default all) and Labels (all of them)
	// filter the issues listing; a cursor belongs to its filters.
	State  string
	Labels []string
	// Since is where a repository's first sync starts (updated since);
	// later syncs continue from their cursor. With Full, every repository
	// is read again from Since (or from the beginning).
	Since *time.Time
	Full  bool
	// Limit stops each repository after storing this many issues and pull
	// requests in this run (0: no limit); the next run continues.
	Limit int
	// Comments also mines issue and pull-request comments.
	Comments bool
	// Issues are always linked to the merged pull requests whose
	// description closes them ("Fixes #12"): the descriptions come with the
	// listing, so it costs nothing.
	//
	// FixSizes fetches the size of each pull request that fixes an issue:
	// one request per pull request, once (merged pull requests do not
	// change).
	FixSizes bool
	// Timeline also reads the timeline of closed issues that no
	// description links, to find the pull request or commit that closed
	// them: one request (or two) per such issue.
	Timeline bool
	// Workers is how many repositories sync at once (default 4).
	Workers int
	// PerPage items per listing page (default and GitHub's maximum: 100).
	PerPage int
	// PageBound is how many items of a listing page numbers reach before
	// the pass moves its since forward (default 10,000, GitHub's bound).
	PageBound int
	// Progress, when set, receives events; it must not block.
	Progress func(Event)
}

// Phases of a repository's sync, as events name them.
const (
	PhaseIssues   = "issues"
	PhaseComments = "comments"
	PhaseTimeline = "timeline"
	PhaseSizes    = "fix sizes"
	PhaseWaiting  = "waiting"
	PhaseRetry    = "retry"
	PhaseSlow     = "slow" // the server has not answered for a while
	PhaseDone     = "done"
	PhaseStopped  = "stopped"
	PhaseFailed   = "failed"
)

// Event is progress of one repository's sync (Repo) or of the client
// (Repo empty).
type Event struct {
	Repo  string
	Phase string
	// Items stored in this phase so far; Fraction is the estimated share
	// of the phase done (0 when unknown).
	Items    int
	Fraction float64
	Requests int64
	Rate     github.Rate
	// Until is when a wait for the rate-limit reset ends.
	Until time.Time
	Note  string
	Err   error
}

// RepoResult is what a sync did for one repository.
type RepoResult struct {
	Repo string `json:"repo"`
	// Listed counts issues and pull requests received; the upsert counts
	// say what changed in the database.
	Listed int `json:"listed"`
	bugscope.UpsertStats
	Comments        int   `json:"comments"`         // new or changed comments
	TimelineChecked int   `json:"timeline_checked"` // closed issues whose timeline was read
	SizesFetched    int   `json:"sizes_fetched"`    // fixing pull requests whose size was fetched
	Repairs         int   `json:"repairs"`          // page boundaries fetched again
	Requests        int64 `json:"requests"`
	NotModified     int   `json:"not_modified"`
	// Complete: every listing reached its end. Stopped says why not
	// (budget, limit, cancelled) and Error what failed.
	Complete bool          `json:"complete"`
	Stopped  string        `json:"stopped,omitempty"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	bugscope.FixCounts
	// err is the failure Error words, with its kind.
	err error
}

// Result is what a sync did.
type Result struct {
	Repos    []RepoResult `json:"repos"`
	Requests int64        `json:"requests"`
	Rate     github.Rate  `json:"rate"`
	Complete bool         `json:"complete"`
}

// Failed lists the repositories whose sync failed.
func (r Result) Failed() []string {
	var out []string
	for _, x := range r.Repos {
		if x.Error != "" {
			out = append(out, x.Repo)
		}
	}
	return out
}

// Sync mines the repositories into db through client, Options.Workers at
// a time. It returns an error when a repository failed (of the kind of the
// first failure: ENotFound for a missing repository, EUnauthorized for a
// refused token, EUnavailable when GitHub cannot be reached) or ctx ended;
// the result says what each repository did either way, and the others
// are synced whatever one of them does. A spent budget (github.ErrBudget)
// stops the sync without error: Complete is false and the next run
// continues.
func Sync(ctx context.Context, db Store, client *github.Client, opt Options) (Result, error) {
	if err := opt.normalise(); err != nil {
		return Result{}, err
	}
	progress := opt.Progress
	if progress == nil {
		progress = func(Event) {}
	}
	client.OnEvent(func(e github.Event) {
		switch e.Kind {
		case github.EventWaitReset:
			progress(Event{Repo: e.Label, Phase: PhaseWaiting, Until: e.Until, Rate: e.Rate,
				Note: "primary rate limit spent"})
		case github.EventLimited:
			progress(Event{Repo: e.Label, Phase: PhaseWaiting, Until: client.Clock().Now().Add(e.Wait), Rate: e.Rate,
				Note: fmt.Sprintf("secondary rate limit (HTTP %d)", e.Status)})
		case github.EventRetry:
			what := fmt.Sprintf("HTTP %d", e.Status)
			if e.Err != nil {
				what = e.Err.Error()
			}
			progress(Event{Repo: e.Label, Phase: PhaseRetry, Rate: e.Rate,
				Note: fmt.Sprintf("retry %d in %s after %s", e.Attempt, e.Wait.Round(time.Millisecond), what)})
		case github.EventSlow:
			progress(Event{Repo: e.Label, Phase: PhaseSlow, Rate: e.Rate,
				Note: fmt.Sprintf("waiting on a slow server: no answer for %s (gives up at %s; --timeout)",
					e.Wait.Round(time.Millisecond), e.Until.Local().Format("15:04:05"))})
		}
	})
	defer client.OnEvent(nil)

	res := Result{Repos: make([]RepoResult, len(opt.Repos))}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(opt.Workers, len(opt.Repos)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				w := &worker{db: db, client: client, opt: &opt, repo: opt.Repos[i], progress: progress}
				res.Repos[i] = w.run(ctx)
			}
		}()
	}
	for i := range opt.Repos {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			for j := i; j < len(opt.Repos); j++ {
				if res.Repos[j].Repo == "" {
					res.Repos[j] = RepoResult{Repo: opt.Repos[j], Stopped: "cancelled"}
				}
			}
			break
		}
	}
	close(jobs)
	wg.Wait()
	res.Requests = client.Requests()
	res.Rate = client.Rate()
	res.Complete = true
	var failed []string
	var errs []error
	for _, r := range res.Repos {
		res.Complete = res.Complete && r.Complete
		if r.Error != "" {
			failed = append(failed, r.Repo+": "+r.Error)
			errs = append(errs, r.err)
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if len(failed) > 0 {
		return res, &bugscope.Error{Code: bugscope.ErrorCode(errs[0]),
			Message: fmt.Sprintf("sync failed for %d of %d repositories:\n  %s", len(failed), len(res.Repos), strings.Join(failed, "\n  ")),
			Err:     errors.Join(errs...)}
	}
	return res, nil
}

func (o *Options) normalise() error {
	seen := map[string]bool{}
	var repos []string
	for _, r := range o.Repos {
		r = strings.TrimSpace(r)
		if err := bugscope.ValidateRepo(r); err != nil {
			return err
		}
		if _, canon, ok := preset.Lookup(r); ok {
			r = canon
		}
		if !seen[strings.ToLower(r)] {
			seen[strings.ToLower(r)] = true
			repos = append(repos, r)
		}
	}
	if len(repos) == 0 {
		return errors.New("no repositories to sync")
	}
	o.Repos = repos
	switch o.State {
	case "":
		o.State = "all"
	case "all", "open", "closed":
	default:
		return fmt.Errorf("state %q: want all, open or closed", o.State)
	}
	var labels []string
	for _, l := range o.Labels {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	sort.Strings(labels)
	o.Labels = labels
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.PerPage <= 0 || o.PerPage > 100 {
		o.PerPage = 100
	}
	if o.PageBound <= 0 {
		o.PageBound = 10000
	}
	if o.Limit < 0 {
		o.Limit = 0
	}
	return nil
}

// issuesQuery is the key of the issues listing's cursor: its filters.
func (o *Options) issuesQuery() string {
	q := "state=" + o.State
	if len(o.Labels) > 0 {
		q += "&labels=" + strings.Join(o.Labels, ",")
	}
	return q
}

// worker syncs one repository.
type worker struct {
	db       Store
	client   *github.Client
	opt      *Options
	repo     string
	owner    string
	name     string
	progress func(Event)
	requests atomic.Int64
	res      RepoResult
	stored   int                  // issues listing items stored this run, for Limit
	pending  bugscope.UpsertStats // of the page in its transaction, counted on commit
}

func (w *worker) run(ctx context.Context) RepoResult {
	start := w.client.Clock().Now()
	w.res.Repo = w.repo
	w.owner, w.name, _ = strings.Cut(w.repo, "/")
	ctx = github.WithLabel(ctx, w.repo)
	ctx = github.WithCounter(ctx, &w.requests)
	w.emit(PhaseIssues, 0, 0) // started: no longer queued
	err := w.phases(ctx)
	w.res.Requests = w.requests.Load()
	w.res.Duration = w.client.Clock().Now().Sub(start)
	if c, cerr := w.db.FixCounts(context.WithoutCancel(ctx), w.repo); cerr == nil {
		w.res.FixCounts = c
	}
	ev := Event{Repo: w.repo, Phase: PhaseDone, Items: w.res.Listed, Requests: w.res.Requests, Rate: w.client.Rate(), Fraction: 1}
	switch {
	case err == nil && w.res.Stopped == "":
		w.res.Complete = true
	case err == nil:
		ev.Phase, ev.Note = PhaseStopped, w.res.Stopped
	case errors.Is(err, github.ErrBudget):
		w.res.Stopped = "budget"
		ev.Phase, ev.Note = PhaseStopped, "request budget spent"
	case ctx.Err() != nil:
		w.res.Stopped = "cancelled"
		ev.Phase, ev.Note = PhaseStopped, "cancelled"
	default:
		w.res.Error, w.res.err = err.Error(), err
		ev.Phase, ev.Err = PhaseFailed, err
	}
	w.progress(ev)
	return w.res
}

func (w *worker) phases(ctx context.Context) error {
	if err := w.syncIssues(ctx); err != nil {
		return err
	}
	if w.res.Stopped != "" {
		return nil
	}
	if w.opt.Comments {
		if err := w.syncComments(ctx); err != nil {
			return err
		}
	}
	if w.opt.Timeline {
		if err := w.searchTimelines(ctx); err != nil {
			return err
		}
	}
	if w.opt.FixSizes {
		if err := w.fetchSizes(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (w *worker) emit(phase string, items int, fraction float64) {
	w.progress(Event{Repo: w.repo, Phase: phase, Items: items, Fraction: fraction,
		Requests: w.requests.Load(), Rate: w.client.Rate()})
}

// apiError words a failed request for people (which repository, and what
// GitHub said) and gives it its kind.
func (w *worker) apiError(what string, err error) error {
	if errors.Is(err, github.ErrBudget) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ue *github.UnreachableError
	if errors.As(err, &ue) {
		return bugscope.Errorf(bugscope.EUnavailable, "%s: %w", what, ue) // the address says it all
	}
	switch s := github.StatusOf(err); {
	case s == 404:
		return bugscope.Errorf(bugscope.ENotFound, "%s: %s not found (or private, and the token cannot see it): %w", what, w.repo, err)
	case s == 401:
		return bugscope.Errorf(bugscope.EUnauthorized, "%s: the token was refused (check GITHUB_TOKEN): %w", what, err)
	case s == 403:
		return bugscope.Errorf(bugscope.EForbidden, "%s: GitHub refused access to %s: %w", what, w.repo, err)
	case s == 0 || s >= 500:
		return bugscope.Errorf(bugscope.EUnavailable, "%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
