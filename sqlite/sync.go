package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bugscope/bugscope"
)

// SyncState returns the stored state, or a zero state (Repo, Resource and
// Query set) when the listing was never synced.
func (d *DB) SyncState(ctx context.Context, repo, resource, query string) (bugscope.SyncState, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+syncColumns+` FROM sync_state WHERE repo = ? AND resource = ? AND query = ?`, repo, resource, query)
	if err != nil {
		return bugscope.SyncState{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return bugscope.SyncState{}, err
		}
		return bugscope.SyncState{Repo: repo, Resource: resource, Query: query}, nil
	}
	return scanSyncState(rows)
}

// SyncStates lists every stored state, by repository and resource.
func (d *DB) SyncStates(ctx context.Context) ([]bugscope.SyncState, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+syncColumns+` FROM sync_state ORDER BY repo, resource, query`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bugscope.SyncState
	for rows.Next() {
		st, err := scanSyncState(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

const syncColumns = `repo, resource, query, cursor, in_pass, pass_since, next_page, last_seen, max_seen,
	pages, repairs, validator_key, etag, last_modified, items, requests, started_at, finished_at`

func scanSyncState(r rowScanner) (bugscope.SyncState, error) {
	var (
		st                                   bugscope.SyncState
		cursor, passSince, lastSeen, maxSeen sql.NullString
		started, finished                    sql.NullString
		pages, repairs                       string
	)
	err := r.Scan(&st.Repo, &st.Resource, &st.Query, &cursor, &st.InPass, &passSince, &st.NextPage, &lastSeen, &maxSeen,
		&pages, &repairs, &st.ValidatorKey, &st.ETag, &st.LastModified, &st.Items, &st.Requests, &started, &finished)
	if err != nil {
		return st, err
	}
	st.Cursor, st.PassSince, st.LastSeen, st.MaxSeen = parseTime(cursor), parseTime(passSince), parseTime(lastSeen), parseTime(maxSeen)
	st.StartedAt, st.FinishedAt = parseTime(started), parseTime(finished)
	if err := json.Unmarshal([]byte(pages), &st.Pages); err != nil {
		return st, fmt.Errorf("sync state of %s %s: pages: %w", st.Repo, st.Resource, err)
	}
	if err := json.Unmarshal([]byte(repairs), &st.Repairs); err != nil {
		return st, fmt.Errorf("sync state of %s %s: repairs: %w", st.Repo, st.Resource, err)
	}
	return st, nil
}

// saveSyncState stores st in tx.
func saveSyncState(ctx context.Context, tx *sql.Tx, st bugscope.SyncState) error {
	if err := bugscope.ValidateRepo(st.Repo); err != nil {
		return err
	}
	if st.Resource == "" {
		return errors.New("sync state without a resource")
	}
	pages, err := json.Marshal(nonNil(st.Pages))
	if err != nil {
		return err
	}
	repairs, err := json.Marshal(nonNil(st.Repairs))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sync_state (`+syncColumns+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (repo, resource, query) DO UPDATE SET
		cursor = excluded.cursor, in_pass = excluded.in_pass, pass_since = excluded.pass_since,
		next_page = excluded.next_page, last_seen = excluded.last_seen, max_seen = excluded.max_seen,
		pages = excluded.pages, repairs = excluded.repairs, validator_key = excluded.validator_key,
		etag = excluded.etag, last_modified = excluded.last_modified, items = excluded.items,
		requests = excluded.requests, started_at = excluded.started_at, finished_at = excluded.finished_at`,
		st.Repo, st.Resource, st.Query, formatTime(st.Cursor), st.InPass, formatTime(st.PassSince), st.NextPage,
		formatTime(st.LastSeen), formatTime(st.MaxSeen), string(pages), string(repairs), st.ValidatorKey, st.ETag,
		st.LastModified, st.Items, st.Requests, formatTime(st.StartedAt), formatTime(st.FinishedAt))
	return err
}

// SaveSyncState stores a listing's sync state in a transaction of its own.
func (d *DB) SaveSyncState(ctx context.Context, st bugscope.SyncState) error {
	return d.inTx(ctx, func(tx *sql.Tx) error { return saveSyncState(ctx, tx, st) })
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// SaveIssuePage stores one page of a repository's issues listing and the
// listing's new sync state in one transaction, so that the state always
// describes what the database holds: the issues and pull requests, the
// merged pull requests, the issues their descriptions close, and why the
// closed issues were closed. next is called inside the transaction with the
// stored updated_at of the page's issues (by number; absent when not
// stored), read before the page is stored, and returns the state to store;
// it must not use the database. An error from next, or a cancelled ctx,
// stores nothing.
func (d *DB) SaveIssuePage(ctx context.Context, p bugscope.IssuePage, next func(prior map[int]time.Time) (bugscope.SyncState, error)) (bugscope.UpsertStats, error) {
	var st bugscope.UpsertStats
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		nums := make([]int, len(p.Issues))
		for i, is := range p.Issues {
			nums[i] = is.Number
		}
		prior, err := storedUpdated(ctx, tx, `SELECT updated_at FROM issues WHERE repo = ? AND number = ?`, p.Repo, nums)
		if err != nil {
			return err
		}
		state, err := next(prior)
		if err != nil {
			return err
		}
		w, err := newIssueWriter(ctx, tx, d.now())
		if err != nil {
			return err
		}
		defer w.close()
		for i := range p.Issues {
			if err := w.put(&p.Issues[i], false); err != nil {
				return err
			}
		}
		st = w.st
		if err := d.saveMergedPulls(ctx, tx, p.MergedPulls); err != nil {
			return err
		}
		for _, f := range p.BodyFixes {
			if err := d.replaceBodyFixes(ctx, tx, f.PullRequest, f.Closes); err != nil {
				return err
			}
		}
		if err := d.noteClosed(ctx, tx, p.Closed); err != nil {
			return err
		}
		return saveSyncState(ctx, tx, state)
	})
	if err != nil {
		return bugscope.UpsertStats{}, err
	}
	return st, nil
}

// SaveCommentPage stores one page of a repository's comments listing and
// the listing's new sync state in one transaction, as SaveIssuePage does;
// prior is keyed by comment id. A comment replaces the stored one with the
// same id unless that one is newer. It returns how many comments were new
// or changed.
func (d *DB) SaveCommentPage(ctx context.Context, repo string, cs []bugscope.Comment, next func(prior map[int64]time.Time) (bugscope.SyncState, error)) (int, error) {
	changed := 0
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		ids := make([]int64, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		prior, err := storedUpdated(ctx, tx, `SELECT updated_at FROM issue_comments WHERE repo = ? AND id = ?`, repo, ids)
		if err != nil {
			return err
		}
		state, err := next(prior)
		if err != nil {
			return err
		}
		if changed, err = d.upsertComments(ctx, tx, cs); err != nil {
			return err
		}
		return saveSyncState(ctx, tx, state)
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}

func storedUpdated[K int | int64](ctx context.Context, tx *sql.Tx, query, repo string, keys []K) (map[K]time.Time, error) {
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	out := map[K]time.Time{}
	for _, k := range keys {
		var s sql.NullString
		err := stmt.QueryRowContext(ctx, repo, k).Scan(&s)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if t := parseTime(s); t != nil {
			out[k] = *t
		}
	}
	return out, nil
}

// upsertComments stores comments in tx; a comment replaces the stored one
// with the same id unless that one is newer. It returns how many were new
// or changed.
func (d *DB) upsertComments(ctx context.Context, tx *sql.Tx, cs []bugscope.Comment) (int, error) {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO issue_comments
		(repo, id, issue_number, author, author_association, body, created_at, updated_at, url, stored_at)
		VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (repo, id) DO UPDATE SET
		issue_number = excluded.issue_number, author = excluded.author,
		author_association = excluded.author_association, body = excluded.body,
		created_at = excluded.created_at, updated_at = excluded.updated_at, url = excluded.url,
		stored_at = excluded.stored_at
		WHERE (issue_comments.updated_at IS NULL OR excluded.updated_at >= issue_comments.updated_at)
		  AND (issue_comments.body, issue_comments.updated_at, issue_comments.author_association, issue_comments.issue_number)
		      IS NOT (excluded.body, excluded.updated_at, excluded.author_association, excluded.issue_number)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	stamp := d.now().UTC().Format(timeLayout)
	changed := 0
	for _, c := range cs {
		if err := bugscope.ValidateRepo(c.Repo); err != nil {
			return changed, fmt.Errorf("comment %d: %w", c.ID, err)
		}
		res, err := stmt.ExecContext(ctx, c.Repo, c.ID, c.IssueNumber, c.Author, c.AuthorAssociation, c.Body,
			formatTime(c.CreatedAt), formatTime(c.UpdatedAt), c.URL, stamp)
		if err != nil {
			return changed, fmt.Errorf("store comment %d of %s#%d: %w", c.ID, c.Repo, c.IssueNumber, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			changed++
		}
	}
	return changed, nil
}

// Comments returns the stored comments of one issue, oldest first.
func (d *DB) Comments(ctx context.Context, ref bugscope.IssueRef) ([]bugscope.Comment, error) {
	return d.IssueComments(ctx, ref, -1)
}
