package mine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/github"
)

// source is one listing of a repository, ordered by update time
// ascending, read from a since.
type source[T any] struct {
	resource string
	query    string
	phase    string
	// limit is how many more items this run may store (-1: no limit).
	limit func() int
	list  func(ctx context.Context, since *time.Time, page, perPage int) ([]T, *gh.Response, error)
	// updated is an item's updated_at (nil when missing).
	updated func(T) *time.Time
	// save stores a page of items with the listing's state in one
	// transaction of the store's: next gets the stored updated_at of each
	// item (nil where not stored), read in that transaction before the page
	// is stored, and returns the state to store with it.
	save func(ctx context.Context, items []T, next func(prior []*time.Time) (bugscope.SyncState, error)) error
	// stored is told, after the page's commit, how many items it held.
	stored func(n int)
}

// testHookInPageTx, when set (tests), runs inside each page's transaction
// before the page and its state are stored.
var testHookInPageTx func(ctx context.Context, resource string, page int)

// slack steps a since back by a second. GitHub's since appears to include
// items updated at that very second; stepping back makes that not matter,
// at the cost of fetching again the few items of one second.
func slack(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	s := t.Add(-time.Second)
	return &s
}

// errStuck: more items share one updated_at than page numbers reach.
var errStuck = errors.New("more items share one updated_at than GitHub pages through; cannot move past them")

// syncListing runs a listing to its end (or the limit, budget or
// cancellation), storing every page with the listing's state in one
// transaction.
func syncListing[T any](ctx context.Context, w *worker, src source[T]) error {
	clock := w.client.Clock()
	st, err := w.db.SyncState(ctx, w.repo, src.resource, src.query)
	if err != nil {
		return err
	}
	now := clock.Now().UTC()
	st.StartedAt = &now
	switch {
	case st.InPass:
		// Resume from the last stored item rather than by page number: the
		// pages may have shifted since the earlier run stopped. (A --full
		// run that was interrupted continues too.)
		if st.LastSeen != nil {
			st.PassSince = slack(st.LastSeen)
		}
		st.NextPage = 1
	case w.opt.Full:
		st.Cursor, st.Pages, st.Repairs = w.opt.Since, nil, nil
		st.ValidatorKey, st.ETag, st.LastModified = "", "", ""
	case st.Cursor == nil && w.opt.Since != nil:
		st.Cursor = w.opt.Since
	}
	perPage, bound := w.opt.PerPage, w.opt.PageBound
	var runStart *time.Time // the first since of this run, for the progress estimate
	stored := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if src.limit() == 0 {
			w.res.Stopped = "limit"
			return nil
		}
		var since *time.Time
		page := 1
		var val github.Validators
		key := ""
		if st.InPass {
			since, page = st.PassSince, max(st.NextPage, 1)
			if page > 1 && page*perPage > bound {
				if err := w.moveWindow(ctx, &st); err != nil {
					return err
				}
				continue
			}
		} else {
			since = st.Cursor
			key = validatorKey(since)
			if st.ValidatorKey == key {
				val = github.Validators{ETag: st.ETag, LastModified: st.LastModified}
			}
		}
		if runStart == nil {
			runStart = since
		}
		items, resp, err := src.list(github.WithValidators(ctx, val), since, page, perPage)
		if github.IsNotModified(resp) {
			w.res.NotModified++
			st.Requests++
			st.FinishedAt = &now
			w.emit(src.phase, stored, 1)
			return w.db.SaveSyncState(ctx, st)
		}
		if err != nil {
			if github.StatusOf(err) == 422 && st.InPass && page > 1 {
				// GitHub's page bound, lower than we thought.
				st.Requests++
				if err := w.moveWindow(ctx, &st); err != nil {
					return err
				}
				continue
			}
			return w.apiError("list "+src.resource, err)
		}
		served := github.ServedAt(resp)
		if served.IsZero() {
			served = clock.Now().UTC().Truncate(time.Second)
		}
		limited := false
		if lim := src.limit(); lim >= 0 && lim < len(items) {
			items, limited = items[:lim], true
		}
		// GitHub pages issues by number; should a listing answer with a
		// cursor instead, the pass goes on from its last item.
		byCursor := resp.NextPage == 0 && (resp.After != "" || resp.Cursor != "" || resp.NextPageToken != "")
		var next bugscope.SyncState
		done := false
		err = src.save(ctx, items, func(prior []*time.Time) (bugscope.SyncState, error) {
			next = st
			next.Pages, next.Repairs = slices.Clone(st.Pages), slices.Clone(st.Repairs)
			next.Requests++
			if !next.InPass {
				if !limited && resp.NextPage == 0 && !byCursor {
					// The whole listing since the cursor fits this page. The
					// cursor stays, so that the next sync sends this very
					// request again, with this response's validators: 304 if
					// nothing changed, else one page again.
					v := github.ResponseValidators(resp)
					next.ValidatorKey, next.ETag, next.LastModified = key, v.ETag, v.LastModified
					next.FinishedAt = &now
					next.Items += int64(len(items))
					done = true
					return next, nil
				}
				next.InPass, next.PassSince, next.LastSeen, next.MaxSeen = true, since, since, since
				next.Pages, next.Repairs = nil, nil
				next.ValidatorKey, next.ETag, next.LastModified = "", "", ""
			}
			mark := bugscope.PageMark{Served: served, Offset: page > 1}
			if next.LastSeen != nil {
				mark.Boundary = *next.LastSeen
			}
			next.Pages = append(next.Pages, mark)
			for i, it := range items {
				u, p := src.updated(it), prior[i]
				if u == nil || p == nil || !u.After(*p) {
					continue
				}
				// Stored by this pass (between its start and the last item
				// stored) and updated since: it moved to the end, and the
				// items after its old place moved up by one.
				if (next.Cursor == nil || !p.Before(*next.Cursor)) && (next.LastSeen == nil || !p.After(*next.LastSeen)) {
					next.Repairs = addRepairs(next.Repairs, next.Pages, *u)
				}
			}
			for _, it := range items {
				if u := src.updated(it); u != nil {
					next.LastSeen = u
					if next.MaxSeen == nil || u.After(*next.MaxSeen) {
						next.MaxSeen = u
					}
				}
			}
			next.Items += int64(len(items))
			switch {
			case limited || byCursor:
				next.NextPage = page + 1
			default:
				next.NextPage = resp.NextPage // 0: the listing's end
			}
			if testHookInPageTx != nil {
				testHookInPageTx(ctx, src.resource, page)
			}
			return next, nil
		})
		if err != nil {
			return err
		}
		st = next
		stored += len(items)
		src.stored(len(items))
		w.emit(src.phase, stored, estimate(resp, page, perPage, bound, stored, runStart, st.LastSeen, served))
		if done {
			return nil
		}
		if limited {
			w.res.Stopped = "limit"
			return nil
		}
		if byCursor {
			if err := w.moveWindow(ctx, &st); err != nil {
				return err
			}
			continue
		}
		if st.NextPage > 0 {
			continue
		}
		// The pass reached the end of the listing: fetch the boundaries
		// items may have slipped past, then close the pass.
		if err := repairListing(ctx, w, src, &st); err != nil {
			return err
		}
		progressed := st.MaxSeen != nil && (st.Cursor == nil || slack(st.MaxSeen).After(*st.Cursor))
		if progressed {
			st.Cursor = slack(st.MaxSeen)
		}
		st.InPass, st.PassSince, st.NextPage, st.LastSeen, st.MaxSeen = false, nil, 0, nil, nil
		st.Pages, st.Repairs = nil, nil
		if !progressed {
			// Only items at the cursor itself, more than a page of them:
			// nothing new, and no single page to validate next time.
			st.FinishedAt = &now
			return w.db.SaveSyncState(ctx, st)
		}
		if err := w.db.SaveSyncState(ctx, st); err != nil {
			return err
		}
		// Loop: the first page of the next sync's request, whose
		// validators make the next sync of an unchanged listing free.
	}
}

// moveWindow starts the pass's window again at page 1 from the last
// stored item: page numbers do not reach further.
func (w *worker) moveWindow(ctx context.Context, st *bugscope.SyncState) error {
	if st.LastSeen == nil || st.PassSince != nil && !slack(st.LastSeen).After(*st.PassSince) {
		at := "the start"
		if st.LastSeen != nil {
			at = st.LastSeen.Format(time.RFC3339)
		}
		return fmt.Errorf("%s %s at %s: %w", w.repo, st.Resource, at, errStuck)
	}
	st.PassSince, st.NextPage = slack(st.LastSeen), 1
	return w.db.SaveSyncState(ctx, *st)
}

// repairListing fetches once more the first page from each boundary an
// item may have slipped past, each page with its state in one transaction.
func repairListing[T any](ctx context.Context, w *worker, src source[T], st *bugscope.SyncState) error {
	for len(st.Repairs) > 0 {
		since := slack(&st.Repairs[0])
		items, _, err := src.list(ctx, since, 1, w.opt.PerPage)
		if err != nil {
			return w.apiError("list "+src.resource, err)
		}
		var next bugscope.SyncState
		err = src.save(ctx, items, func([]*time.Time) (bugscope.SyncState, error) {
			next = *st
			next.Pages, next.Repairs = slices.Clone(st.Pages), slices.Clone(st.Repairs[1:])
			next.Requests++
			for _, it := range items {
				if u := src.updated(it); u != nil && (next.MaxSeen == nil || u.After(*next.MaxSeen)) {
					next.MaxSeen = u
				}
			}
			next.Items += int64(len(items))
			return next, nil
		})
		if err != nil {
			return err
		}
		*st = next
		w.res.Repairs++
		src.stored(len(items))
	}
	return nil
}

// addRepairs adds the boundaries of the pages that may have lost an item
// to a move at time u: a page fetched by page number and served in u's
// second (before or after the move, Date cannot tell), and the first page
// served after it. A page started afresh from a since cannot lose items.
func addRepairs(repairs []time.Time, pages []bugscope.PageMark, u time.Time) []time.Time {
	u = u.Truncate(time.Second)
	for _, p := range pages {
		s := p.Served.Truncate(time.Second)
		if s.Before(u) {
			continue
		}
		if p.Offset && !slices.ContainsFunc(repairs, p.Boundary.Equal) {
			repairs = append(repairs, p.Boundary)
		}
		if s.After(u) {
			break
		}
	}
	return repairs
}

func validatorKey(since *time.Time) string {
	if since == nil {
		return "since="
	}
	return "since=" + since.UTC().Format(time.RFC3339)
}

// estimate is the share of the listing done: from the last page number
// when page numbers reach the end, else from how far the last item's
// update time has come between the run's start and now.
func estimate(resp *gh.Response, page, perPage, bound, stored int, start, last *time.Time, now time.Time) float64 {
	if resp.NextPage == 0 {
		return 1
	}
	if resp.LastPage > 0 && resp.LastPage*perPage < bound {
		left := (resp.LastPage - page) * perPage
		return float64(stored) / float64(stored+left)
	}
	if start != nil && last != nil && now.After(*start) {
		return min(1, max(0, float64(last.Sub(*start))/float64(now.Sub(*start))))
	}
	return 0
}
