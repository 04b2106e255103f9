package mine

import (
	"context"
	"database/sql"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/sqlite"
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
		prior: func(ctx context.Context, tx *sql.Tx, items []*gh.Issue) ([]*time.Time, error) {
			nums := make([]int, len(items))
			for i, it := range items {
				nums[i] = it.GetNumber()
			}
			m, err := w.db.StoredUpdatedTx(ctx, tx, w.repo, nums)
			if err != nil {
				return nil, err
			}
			out := make([]*time.Time, len(items))
			for i, n := range nums {
				if t, ok := m[n]; ok {
					out[i] = &t
				}
			}
			return out, nil
		},
		store: w.storeIssues,
		stored: func(n int) {
			w.stored += n
			w.res.Listed += n
			w.res.UpsertStats.Add(w.pending)
			w.pending = sqlite.UpsertStats{}
		},
	})
}

// storeIssues stores a page of the issues listing, in the page's
// transaction: the issues and pull requests, the merge times of merged
// pull requests and the issues their descriptions close, and why closed
// issues were closed.
func (w *worker) storeIssues(ctx context.Context, tx *sql.Tx, items []*gh.Issue) error {
	issues := make([]bugscope.Issue, 0, len(items))
	var pulls []sqlite.MergedPull
	var closed []sqlite.ClosedIssue
	type bodyRefs struct {
		pr   bugscope.IssueRef
		refs []bugscope.IssueRef
	}
	var links []bodyRefs
	for _, it := range items {
		if it.GetNumber() <= 0 {
			continue
		}
		is := github.Issue(w.repo, it)
		issues = append(issues, is)
		switch {
		case is.IsPullRequest:
			m := github.MergedAt(it)
			if m == nil {
				continue
			}
			pulls = append(pulls, sqlite.MergedPull{PR: is.Ref(), MergedAt: m})
			var refs []bugscope.IssueRef
			for _, r := range github.ClosingRefs(is.Body, w.repo) {
				if r != is.Ref() {
					refs = append(refs, r)
				}
			}
			links = append(links, bodyRefs{is.Ref(), refs})
		case is.State == "closed":
			closed = append(closed, sqlite.ClosedIssue{Ref: is.Ref(), StateReason: it.GetStateReason(), ClosedAt: is.ClosedAt})
		}
	}
	st, err := w.db.UpsertIssuesTx(ctx, tx, issues)
	if err != nil {
		return err
	}
	if err := w.db.SaveMergedPullsTx(ctx, tx, pulls); err != nil {
		return err
	}
	for _, l := range links {
		if err := w.db.ReplaceBodyFixesTx(ctx, tx, l.pr, l.refs); err != nil {
			return err
		}
	}
	if err := w.db.NoteClosedTx(ctx, tx, closed); err != nil {
		return err
	}
	// Counted only once the transaction commits: see syncListing.
	w.pending = st
	return nil
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
		prior: func(ctx context.Context, tx *sql.Tx, items []*gh.IssueComment) ([]*time.Time, error) {
			ids := make([]int64, len(items))
			for i, c := range items {
				ids[i] = c.GetID()
			}
			m, err := w.db.StoredCommentUpdatedTx(ctx, tx, w.repo, ids)
			if err != nil {
				return nil, err
			}
			out := make([]*time.Time, len(items))
			for i, id := range ids {
				if t, ok := m[id]; ok {
					out[i] = &t
				}
			}
			return out, nil
		},
		store: func(ctx context.Context, tx *sql.Tx, items []*gh.IssueComment) error {
			cs := make([]bugscope.Comment, 0, len(items))
			for _, it := range items {
				if c, ok := github.Comment(w.repo, it); ok {
					cs = append(cs, c)
				}
			}
			n, err := w.db.UpsertCommentsTx(ctx, tx, cs)
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
