package mine

import (
	"context"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/github"
)

// syncIssues runs the issues listing, which holds pull requests too.
func (w *worker) syncIssues(ctx context.Context) error {
	return syncListing(ctx, w, source[*gh.Issue]{
		resource: "issues",
		query:    w.opt.issuesQuery(),
		phase:    PhaseIssues,
		limit: func() int {
			if w.opt.Limit == 0 {
				return -1
			}
			return max(w.opt.Limit-w.stored, 0)
		},
		list: func(ctx context.Context, since *time.Time, page, perPage int) ([]*gh.Issue, *gh.Response, error) {
			o := &gh.IssueListByRepoOptions{State: w.opt.State, Labels: w.opt.Labels, Sort: "updated", Direction: "asc",
				ListOptions: gh.ListOptions{Page: page, PerPage: perPage}}
			if since != nil {
				o.Since = *since
			}
			return w.client.GH.Issues.ListByRepo(ctx, w.owner, w.name, o)
		},
		updated: func(i *gh.Issue) *time.Time { return tsPtr(i.UpdatedAt) },
		save: func(ctx context.Context, items []*gh.Issue, next func([]*time.Time) (bugscope.SyncState, error)) error {
			st, err := w.db.SaveIssuePage(ctx, w.issuePage(items), func(prior map[int]time.Time) (bugscope.SyncState, error) {
				return next(inOrder(items, prior, (*gh.Issue).GetNumber))
			})
			// Counted only once the transaction commits: see stored.
			w.pending = st
			return err
		},
		stored: func(n int) {
			w.stored += n
			w.res.Listed += n
			w.res.UpsertStats.Add(w.pending)
			w.pending = bugscope.UpsertStats{}
		},
	})
}

// issuePage is what a page of the issues listing stores: the issues and
// pull requests, the merge times of merged pull requests and the issues
// their descriptions close, and why closed issues were closed.
func (w *worker) issuePage(items []*gh.Issue) bugscope.IssuePage {
	p := bugscope.IssuePage{Repo: w.repo, Issues: make([]bugscope.Issue, 0, len(items))}
	for _, it := range items {
		if it.GetNumber() <= 0 {
			continue
		}
		is := github.Issue(w.repo, it)
		p.Issues = append(p.Issues, is)
		switch {
		case is.IsPullRequest:
			m := github.MergedAt(it)
			if m == nil {
				continue
			}
			p.MergedPulls = append(p.MergedPulls, bugscope.MergedPull{PR: is.Ref(), MergedAt: m})
			var refs []bugscope.IssueRef
			for _, r := range github.ClosingRefs(is.Body, w.repo) {
				if r != is.Ref() {
					refs = append(refs, r)
				}
			}
			p.BodyFixes = append(p.BodyFixes, bugscope.BodyFixes{PullRequest: is.Ref(), Closes: refs})
		case is.State == "closed":
			p.Closed = append(p.Closed, bugscope.ClosedIssue{Ref: is.Ref(), StateReason: it.GetStateReason(), ClosedAt: is.ClosedAt})
		}
	}
	return p
}

// inOrder lists the stored updated_at of each item, nil where not stored.
func inOrder[T any, K comparable](items []T, stored map[K]time.Time, key func(T) K) []*time.Time {
	out := make([]*time.Time, len(items))
	for i, it := range items {
		if t, ok := stored[key(it)]; ok {
			out[i] = &t
		}
	}
	return out
}

// syncComments runs the repository's comments listing.
func (w *worker) syncComments(ctx context.Context) error {
	changed := 0
	return syncListing(ctx, w, source[*gh.IssueComment]{
		resource: "comments",
		query:    "",
		phase:    PhaseComments,
		limit:    func() int { return -1 },
		list: func(ctx context.Context, since *time.Time, page, perPage int) ([]*gh.IssueComment, *gh.Response, error) {
			o := &gh.IssueListCommentsOptions{Sort: gh.Ptr("updated"), Direction: gh.Ptr("asc"), Since: since,
				ListOptions: gh.ListOptions{Page: page, PerPage: perPage}}
			return w.client.GH.Issues.ListComments(ctx, w.owner, w.name, 0, o)
		},
		updated: func(c *gh.IssueComment) *time.Time { return tsPtr(c.UpdatedAt) },
		save: func(ctx context.Context, items []*gh.IssueComment, next func([]*time.Time) (bugscope.SyncState, error)) error {
			cs := make([]bugscope.Comment, 0, len(items))
			for _, it := range items {
				if c, ok := github.Comment(w.repo, it); ok {
					cs = append(cs, c)
				}
			}
			n, err := w.db.SaveCommentPage(ctx, w.repo, cs, func(prior map[int64]time.Time) (bugscope.SyncState, error) {
				return next(inOrder(items, prior, (*gh.IssueComment).GetID))
			})
			changed = n
			return err
		},
		stored: func(int) { w.res.Comments += changed },
	})
}

func tsPtr(t *gh.Timestamp) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
