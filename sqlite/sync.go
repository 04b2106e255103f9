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

// SyncState is where `bugscope sync` stands for one listing (Resource) of
// one repository under one set of filters (Query). The sync engine (package
// mine) reads it before a sync and writes it with every page it stores, in
// the page's transaction.
type SyncState struct {
	Repo     string `json:"repo"`
	Resource string `json:"resource"`
	Query    string `json:"query"`
	// Cursor: every item updated before it is stored; the next sync asks
	// for items updated since. Nil before the first complete pass.
	Cursor *time.Time `json:"cursor,omitempty"`
	// A pass in progress: its window (since PassSince), the next page,
	// and the newest items it stored.
	InPass    bool       `json:"in_pass"`
	PassSince *time.Time `json:"pass_since,omitempty"`
	NextPage  int        `json:"next_page,omitempty"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	MaxSeen   *time.Time `json:"max_seen,omitempty"`
	// Pages logs the pass's pages (when served, where they started); Repairs
	// the boundaries to fetch again because an item moved during the pass.
	Pages   []PageMark  `json:"pages,omitempty"`
	Repairs []time.Time `json:"repairs,omitempty"`
	// Validators of the listing's first page, for the request ValidatorKey.
	ValidatorKey string `json:"validator_key,omitempty"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Totals over all syncs.
	Items    int64 `json:"items"`
	Requests int64 `json:"requests"`
	// StartedAt: the last sync that started; FinishedAt: the last that
	// reached the end of the listing.
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// PageMark records one page of a pass: when the server served it (its
// Date), the updated_at boundary it started from, and whether it was
// fetched by page number (Offset) rather than from a fresh since.
type PageMark struct {
	Served   time.Time `json:"served"`
	Boundary time.Time `json:"boundary"`
	Offset   bool      `json:"offset,omitempty"`
}

// SyncState returns the stored state, or a zero state (Repo, Resource and
// Query set) when the listing was never synced.
func (d *DB) SyncState(ctx context.Context, repo, resource, query string) (SyncState, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+syncColumns+` FROM sync_state WHERE repo = ? AND resource = ? AND query = ?`, repo, resource, query)
	if err != nil {
		return SyncState{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return SyncState{}, err
		}
		return SyncState{Repo: repo, Resource: resource, Query: query}, nil
	}
	return scanSyncState(rows)
}

// SyncStates lists every stored state, by repository and resource.
func (d *DB) SyncStates(ctx context.Context) ([]SyncState, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+syncColumns+` FROM sync_state ORDER BY repo, resource, query`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SyncState
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

func scanSyncState(r rowScanner) (SyncState, error) {
	var (
		st                                   SyncState
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

// SaveSyncStateTx stores st in the caller's transaction, which also holds
// the page the state describes.
func (d *DB) SaveSyncStateTx(ctx context.Context, tx *sql.Tx, st SyncState) error {
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

// SaveSyncState stores st in a transaction of its own.
func (d *DB) SaveSyncState(ctx context.Context, st SyncState) error {
	return d.inTx(ctx, func(tx *sql.Tx) error { return d.SaveSyncStateTx(ctx, tx, st) })
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// StoredUpdatedTx returns the stored updated_at of those of the numbered
// issues of repo that are stored, in the caller's transaction. The sync
// engine uses it to notice items that moved while it paged.
func (d *DB) StoredUpdatedTx(ctx context.Context, tx *sql.Tx, repo string, numbers []int) (map[int]time.Time, error) {
	return storedUpdated(ctx, tx, `SELECT updated_at FROM issues WHERE repo = ? AND number = ?`, repo, numbers)
}

// StoredCommentUpdatedTx is StoredUpdatedTx for comments, by comment id.
func (d *DB) StoredCommentUpdatedTx(ctx context.Context, tx *sql.Tx, repo string, ids []int64) (map[int64]time.Time, error) {
	return storedUpdated(ctx, tx, `SELECT updated_at FROM issue_comments WHERE repo = ? AND id = ?`, repo, ids)
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

// UpsertCommentsTx stores comments in the caller's transaction; a comment
// replaces the stored one with the same id unless that one is newer. It
// returns how many were new or changed.
func (d *DB) UpsertCommentsTx(ctx context.Context, tx *sql.Tx, cs []bugscope.Comment) (int, error) {
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
	rows, err := d.db.QueryContext(ctx, `SELECT repo, id, issue_number, author, author_association, body,
		created_at, updated_at, url FROM issue_comments WHERE repo = ? AND issue_number = ?
		ORDER BY created_at, id`, ref.Repo, ref.Number)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bugscope.Comment
	for rows.Next() {
		var c bugscope.Comment
		var created, updated sql.NullString
		if err := rows.Scan(&c.Repo, &c.ID, &c.IssueNumber, &c.Author, &c.AuthorAssociation, &c.Body,
			&created, &updated, &c.URL); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UpdatedAt = parseTime(created), parseTime(updated)
		out = append(out, c)
	}
	return out, rows.Err()
}
