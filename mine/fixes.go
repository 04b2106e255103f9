package mine

import (
	"context"
	"strings"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/github"
)

// maxTimelinePages bounds the timeline pages read for one issue.
const maxTimelinePages = 10

// Window around an issue's closing in which a merged pull request that
// referenced it counts as its fix: merged up to a day before the close
// (maintainers close by hand after merging) or minutes after (clock
// differences between the events).
const (
	fixBefore = 24 * time.Hour
	fixAfter  = 10 * time.Minute
)

// searchTimelines reads the timeline of each closed issue that no pull
// request's description links, looking for the pull request that closed
// it: a merged pull request that cross-referenced the issue around its
// closing, or else the pull request holding the commit that closed it.
func (w *worker) searchTimelines(ctx context.Context) error {
	cands, err := w.db.IssuesNeedingTimeline(ctx, w.repo, 0)
	if err != nil {
		return err
	}
	for i, c := range cands {
		links, pulls, err := w.timelineFixes(ctx, c)
		if err != nil {
			return err
		}
		if err := w.db.SaveTimelineCheck(ctx, c.Ref, c.ClosedAt, links, pulls); err != nil {
			return err
		}
		w.res.TimelineChecked++
		w.emit(PhaseTimeline, i+1, float64(i+1)/float64(len(cands)))
	}
	return nil
}

func (w *worker) timelineFixes(ctx context.Context, c bugscope.ClosedIssue) ([]bugscope.Fix, []bugscope.MergedPull, error) {
	var events []*gh.Timeline
	opt := &gh.ListOptions{PerPage: 100}
	for range maxTimelinePages {
		evs, resp, err := w.client.GH.Issues.ListIssueTimeline(ctx, w.owner, w.name, c.Ref.Number, opt)
		if github.StatusOf(err) == 404 || github.StatusOf(err) == 410 {
			return nil, nil, nil // deleted or transferred: nothing to find
		}
		if err != nil {
			return nil, nil, w.apiError("timeline of "+c.Ref.String(), err)
		}
		events = append(events, evs...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	closedAt, commit := closing(events)
	if closedAt == nil {
		closedAt = c.ClosedAt
	}
	var best *gh.Issue
	var bestGap time.Duration
	for _, e := range events {
		if e.GetEvent() != "cross-referenced" || e.Source == nil || e.Source.Issue == nil {
			continue
		}
		src := e.Source.Issue
		m := github.MergedAt(src)
		if m == nil || closedAt == nil || !w.sameRepo(src) {
			continue
		}
		gap := closedAt.Sub(*m)
		if gap > fixBefore || gap < -fixAfter {
			continue
		}
		if gap < 0 {
			gap = -gap
		}
		if best == nil || gap < bestGap {
			best, bestGap = src, gap
		}
	}
	if best != nil {
		pr := bugscope.IssueRef{Repo: w.repo, Number: best.GetNumber()}
		return []bugscope.Fix{{Issue: c.Ref, PullRequest: pr, Source: bugscope.FixSourceTimeline}},
			[]bugscope.MergedPull{{PR: pr, MergedAt: github.MergedAt(best)}}, nil
	}
	if commit == "" {
		return nil, nil, nil
	}
	prs, _, err := w.client.GH.PullRequests.ListPullRequestsWithCommit(ctx, w.owner, w.name, commit, nil)
	if s := github.StatusOf(err); s == 404 || s == 422 {
		return nil, nil, nil // the commit is gone, or not in a pull request
	}
	if err != nil {
		return nil, nil, w.apiError("pull requests of commit "+commit, err)
	}
	var links []bugscope.Fix
	var pulls []bugscope.MergedPull
	for _, p := range prs {
		if p.MergedAt == nil || p.GetNumber() <= 0 {
			continue
		}
		pr := bugscope.IssueRef{Repo: w.repo, Number: p.GetNumber()}
		links = append(links, bugscope.Fix{Issue: c.Ref, PullRequest: pr, Source: bugscope.FixSourceCommit})
		pulls = append(pulls, bugscope.MergedPull{PR: pr, MergedAt: tsPtr(p.MergedAt)})
	}
	return links, pulls, nil
}

// closing returns when the issue was last closed and by which commit.
func closing(events []*gh.Timeline) (*time.Time, string) {
	var at *time.Time
	commit := ""
	for _, e := range events {
		if e.GetEvent() == "closed" {
			at, commit = tsPtr(e.CreatedAt), e.GetCommitID()
		}
	}
	return at, commit
}

// sameRepo reports whether an issue from a timeline belongs to the
// repository being synced.
func (w *worker) sameRepo(i *gh.Issue) bool {
	repo := ""
	if i.Repository != nil && i.Repository.GetFullName() != "" {
		repo = i.Repository.GetFullName()
	} else {
		repo = github.RepoOfURL(i.GetRepositoryURL())
	}
	return repo == "" || strings.EqualFold(repo, w.repo)
}

// fetchSizes fetches, once, the size of every pull request that fixes an
// issue: merged pull requests do not change.
func (w *worker) fetchSizes(ctx context.Context) error {
	nums, err := w.db.PullsNeedingSize(ctx, w.repo)
	if err != nil {
		return err
	}
	for i, n := range nums {
		ref := bugscope.IssueRef{Repo: w.repo, Number: n}
		pr, _, err := w.client.GH.PullRequests.Get(ctx, w.owner, w.name, n)
		var mp bugscope.MergedPull
		switch s := github.StatusOf(err); {
		case s == 404 || s == 410:
			mp = bugscope.MergedPull{PR: ref, Unavailable: true}
		case err != nil:
			return w.apiError("pull request "+ref.String(), err)
		default:
			mp = bugscope.MergedPull{PR: ref, MergedAt: tsPtr(pr.MergedAt), SizeKnown: true,
				Additions: pr.GetAdditions(), Deletions: pr.GetDeletions(), ChangedFiles: pr.GetChangedFiles(),
				MergeCommit: pr.GetMergeCommitSHA()}
		}
		if err := w.db.SaveMergedPulls(ctx, []bugscope.MergedPull{mp}); err != nil {
			return err
		}
		w.res.SizesFetched++
		w.emit(PhaseSizes, i+1, float64(i+1)/float64(len(nums)))
	}
	return nil
}
