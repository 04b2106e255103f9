package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bugscope/bugscope"
)

// UpsertIssues stores issues in one transaction: either all of them are
// applied or, on error, none. An issue replaces the stored one with the same
// (repo, number) unless the stored one is known to be newer: stored
// updated_at later than the incoming one, or set where the incoming one is
// missing. progress, when not nil, is called after each issue.
func (d *DB) UpsertIssues(ctx context.Context, issues []bugscope.Issue, progress func()) (bugscope.UpsertStats, error) {
	return d.StoreIssues(ctx, func(put func(*bugscope.Issue, bool) error, _ func() bugscope.UpsertStats) error {
		for i := range issues {
			if err := put(&issues[i], false); err != nil {
				return err
			}
			if progress != nil {
				progress()
			}
		}
		return nil
	})
}

// StoreIssues stores the issues fill hands to put, one at a time, in one
// transaction: committed when fill returns nil, rolled back, with nothing
// changed, when it or put fails. So dumps can be parsed and stored in one
// pass, in bounded memory. Each issue replaces the stored one as in
// UpsertIssues. dup says that an earlier copy of the issue was put in
// this transaction: it is stored by the same rule, and not counted again.
// totals returns the counts so far (for the part of a caller's work).
// The connection's page cache is enlarged for the bulk work (BulkCacheKiB).
//
// put checks the issue and computes its hashes in the caller's goroutine,
// and hands it to a writer goroutine that stores it, in the order put, so
// that parsing and storing use both cores; an error of the writer's
// (SQLite's, naming the issue) is returned by a later put or by
// StoreIssues itself, and rolls everything back all the same.
func (d *DB) StoreIssues(ctx context.Context, fill func(put func(is *bugscope.Issue, dup bool) error, totals func() bugscope.UpsertStats) error) (bugscope.UpsertStats, error) {
	var st bugscope.UpsertStats
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", BulkCacheKiB)); err != nil {
			return err
		}
		w, err := newIssueWriter(ctx, tx, d.now())
		if err != nil {
			return err
		}
		defer w.close()
		q := newStoreQueue(w)
		finished := false
		defer func() {
			if !finished { // fill panicked: the writer must end before the transaction does
				q.finish(true)
			}
		}()
		err = fill(q.put, q.totals)
		werr := q.finish(err != nil)
		finished = true
		if err == nil {
			err = werr
		}
		if err != nil {
			return err
		}
		st = w.st
		return nil
	})
	if err != nil {
		return bugscope.UpsertStats{}, err
	}
	return st, nil
}

// storeQueue hands prepared issues to the writer goroutine in batches, so
// that the two goroutines meet once per batch rather than once per issue.
type storeQueue struct {
	w       *issueWriter
	prep    issuePrep
	batch   []preparedIssue
	work    chan []preparedIssue
	free    chan []preparedIssue
	pending sync.WaitGroup // batches sent and not yet stored
	done    chan struct{}  // closed when the writer goroutine has ended
	stop    atomic.Bool    // the caller failed: store no more
	failed  atomic.Bool    // err is set
	err     error          // the writer's first error
}

const (
	storeBatch  = 64 // issues handed over at a time
	storeQueued = 4  // batches waiting, at most: memory stays bounded
)

func newStoreQueue(w *issueWriter) *storeQueue {
	q := &storeQueue{w: w, work: make(chan []preparedIssue, storeQueued), free: make(chan []preparedIssue, storeQueued+2),
		done: make(chan struct{})}
	go q.write()
	return q
}

func (q *storeQueue) write() {
	defer close(q.done)
	for b := range q.work {
		for i := range b {
			if q.failed.Load() || q.stop.Load() {
				break
			}
			if err := q.w.store(&b[i]); err != nil {
				q.err = err
				q.failed.Store(true)
			}
		}
		clear(b) // drop the texts before the slice is reused
		select {
		case q.free <- b[:0]:
		default:
		}
		q.pending.Done()
	}
}

func (q *storeQueue) put(is *bugscope.Issue, dup bool) error {
	if q.failed.Load() {
		return q.err // set before failed
	}
	r, err := q.prep.prepare(is, dup)
	if err != nil {
		return err
	}
	if q.batch == nil {
		select {
		case q.batch = <-q.free:
		default:
			q.batch = make([]preparedIssue, 0, storeBatch)
		}
	}
	if q.batch = append(q.batch, r); len(q.batch) == storeBatch {
		q.send()
	}
	return nil
}

func (q *storeQueue) send() {
	if len(q.batch) == 0 {
		return
	}
	q.pending.Add(1)
	q.work <- q.batch
	q.batch = nil
}

// totals waits until every issue put is stored and returns the counts.
func (q *storeQueue) totals() bugscope.UpsertStats {
	q.send()
	q.pending.Wait()
	return q.w.st
}

// finish ends the writer goroutine, after storing what was put unless
// abort, and returns its error.
func (q *storeQueue) finish(abort bool) error {
	if abort {
		q.stop.Store(true)
	} else {
		q.send()
	}
	close(q.work)
	<-q.done
	return q.err
}

// BulkCacheKiB is the page cache of a connection that stores issues in
// bulk (SQLite's default is 2 MiB): large enough that the indexes' pages
// stay in memory on imports of a million issues instead of spilling into
// the write-ahead log again and again.
const BulkCacheKiB = 64 << 10

// preparedIssue is an issue checked and hashed, ready to store.
type preparedIssue struct {
	is                     bugscope.Issue
	dup                    bool
	labels, hash, textHash string
}

// issuePrep prepares issues, keeping its buffers for the next one.
type issuePrep struct {
	hasher contentHasher
	labels []byte
}

func (p *issuePrep) prepare(is *bugscope.Issue, dup bool) (preparedIssue, error) {
	if err := bugscope.ValidateRepo(is.Repo); err != nil {
		return preparedIssue{}, fmt.Errorf("issue #%d: %w", is.Number, err)
	}
	// The JSON array of the labels, as json.Marshal writes it.
	b := append(p.labels[:0], '[')
	for i, l := range is.Labels {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, l)
	}
	p.labels = append(b, ']')
	return preparedIssue{is: *is, dup: dup, labels: string(p.labels), hash: p.hasher.hash(is), textHash: is.TextHash()}, nil
}

// issueWriter stores issues with prepared statements inside a transaction.
type issueWriter struct {
	ctx                                          context.Context
	find, ins, insNew, upd, delLabels, insLabels *sql.Stmt
	stamp                                        string
	st                                           bugscope.UpsertStats
	prep                                         issuePrep
	// insertFirst: the table was empty when the transaction began, so an
	// issue is inserted without looking for a stored version first; only
	// the rare conflict (an issue of an earlier file) looks it up.
	insertFirst bool
}

const insertIssue = `INSERT INTO issues
		(repo, number, title, body, labels, state, author_association, created_at, updated_at, closed_at,
		 comments, reactions, url, is_pull_request, content_hash, text_hash, stored_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

func newIssueWriter(ctx context.Context, tx *sql.Tx, now time.Time) (*issueWriter, error) {
	w := &issueWriter{ctx: ctx, stamp: now.UTC().Format(answerLayout)}
	var stored bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM issues)`).Scan(&stored); err != nil {
		return nil, err
	}
	w.insertFirst = !stored
	for _, s := range []struct {
		stmt **sql.Stmt
		q    string
	}{
		{&w.find, `SELECT id, updated_at, content_hash FROM issues WHERE repo = ? AND number = ?`},
		{&w.ins, insertIssue},
		{&w.insNew, insertIssue + ` ON CONFLICT (repo, number) DO NOTHING`},
		{&w.upd, `UPDATE issues SET
		title=?, body=?, labels=?, state=?, author_association=?, created_at=?, updated_at=?, closed_at=?,
		comments=?, reactions=?, url=?, is_pull_request=?, content_hash=?, text_hash=?, stored_at=? WHERE id=?`},
		{&w.delLabels, `DELETE FROM issue_labels WHERE issue_id = ?`},
		// One row a statement: a statement that may write several rows
		// (INSERT ... SELECT FROM json_each) keeps a statement journal,
		// since the foreign key could abort it halfway, which costs more
		// than the statements saved.
		{&w.insLabels, `INSERT OR IGNORE INTO issue_labels (issue_id, label) VALUES (?, ?)`},
	} {
		var err error
		if *s.stmt, err = tx.PrepareContext(ctx, s.q); err != nil {
			w.close()
			return nil, err
		}
	}
	return w, nil
}

func (w *issueWriter) close() {
	for _, s := range []*sql.Stmt{w.find, w.ins, w.insNew, w.upd, w.delLabels, w.insLabels} {
		if s != nil {
			s.Close()
		}
	}
}

// put stores one issue (prepared here, in the writer's goroutine).
func (w *issueWriter) put(is *bugscope.Issue, dup bool) error {
	r, err := w.prep.prepare(is, dup)
	if err != nil {
		return err
	}
	return w.store(&r)
}

func (w *issueWriter) store(r *preparedIssue) error {
	ctx, is := w.ctx, &r.is
	count := func(n *int) {
		if !r.dup {
			*n++
		}
	}
	insert := func(stmt *sql.Stmt) (sql.Result, error) {
		return stmt.ExecContext(ctx, is.Repo, is.Number, is.Title, is.Body, r.labels, is.State,
			is.AuthorAssociation, formatTime(is.CreatedAt), formatTime(is.UpdatedAt), formatTime(is.ClosedAt),
			is.Comments, is.Reactions, is.URL, is.IsPullRequest, r.hash, r.textHash, w.stamp)
	}
	var id int64
	if w.insertFirst && !r.dup {
		res, err := insert(w.insNew)
		if err != nil {
			return fmt.Errorf("store %s: %w", is.Ref(), err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			if id, err = res.LastInsertId(); err != nil {
				return err
			}
			count(&w.st.Inserted)
			return w.storeLabels(id, r)
		}
		// Stored by this transaction already: as below.
	}
	var storedUpdated sql.NullString
	var storedHash string
	err := w.find.QueryRowContext(ctx, is.Repo, is.Number).Scan(&id, &storedUpdated, &storedHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := insert(w.ins)
		if err != nil {
			return fmt.Errorf("store %s: %w", is.Ref(), err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		count(&w.st.Inserted)
	case err != nil:
		return err
	case storedHash == r.hash:
		count(&w.st.Unchanged)
		return nil
	case olderThanStored(is.UpdatedAt, storedUpdated):
		count(&w.st.Stale)
		return nil
	default:
		if _, err := w.upd.ExecContext(ctx, is.Title, is.Body, r.labels, is.State, is.AuthorAssociation,
			formatTime(is.CreatedAt), formatTime(is.UpdatedAt), formatTime(is.ClosedAt), is.Comments, is.Reactions,
			is.URL, is.IsPullRequest, r.hash, r.textHash, w.stamp, id); err != nil {
			return fmt.Errorf("update %s: %w", is.Ref(), err)
		}
		if _, err := w.delLabels.ExecContext(ctx, id); err != nil {
			return err
		}
		count(&w.st.Updated)
	}
	return w.storeLabels(id, r)
}

func (w *issueWriter) storeLabels(id int64, r *preparedIssue) error {
	if len(r.is.Labels) == 0 {
		return nil
	}
	for _, l := range r.is.Labels {
		if _, err := w.insLabels.ExecContext(w.ctx, id, l); err != nil {
			return err
		}
	}
	return nil
}

// backfillTextHash gives the issues of a database made before text
// hashes were stored (migration 00009) theirs, in one transaction.
func (d *DB) backfillTextHash(ctx context.Context) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, title, body, labels FROM issues WHERE text_hash = ''`)
		if err != nil {
			return err
		}
		type row struct {
			id   int64
			hash string
		}
		var todo []row
		for rows.Next() {
			var is bugscope.Issue
			var id int64
			var labels string
			if err := rows.Scan(&id, &is.Title, &is.Body, &labels); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(labels), &is.Labels); err != nil {
				rows.Close()
				return fmt.Errorf("issue %d: stored labels: %w", id, err)
			}
			todo = append(todo, row{id, is.TextHash()})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range todo {
			if _, err := tx.ExecContext(ctx, `UPDATE issues SET text_hash = ? WHERE id = ?`, r.hash, r.id); err != nil {
				return err
			}
		}
		return nil
	})
}

// olderThanStored reports whether an incoming version must not replace the
// stored one (bugscope.Replaces).
func olderThanStored(incoming *time.Time, stored sql.NullString) bool {
	return !bugscope.Replaces(incoming, parseTime(stored))
}

const issueColumns = `id, repo, number, title, body, labels, state, author_association, created_at, updated_at,
	closed_at, comments, reactions, url, is_pull_request`

type rowScanner interface{ Scan(dest ...any) error }

func scanIssue(r rowScanner) (int64, bugscope.Issue, error) {
	var (
		id                        int64
		is                        bugscope.Issue
		labels                    string
		created, updated, closedT sql.NullString
	)
	err := r.Scan(&id, &is.Repo, &is.Number, &is.Title, &is.Body, &labels, &is.State, &is.AuthorAssociation,
		&created, &updated, &closedT, &is.Comments, &is.Reactions, &is.URL, &is.IsPullRequest)
	if err != nil {
		return 0, is, err
	}
	if err := json.Unmarshal([]byte(labels), &is.Labels); err != nil {
		return 0, is, fmt.Errorf("issue %s: stored labels: %w", is.Ref(), err)
	}
	is.CreatedAt, is.UpdatedAt, is.ClosedAt = parseTime(created), parseTime(updated), parseTime(closedT)
	return id, is, nil
}

// Issue returns one stored issue or pull request.
func (d *DB) Issue(ctx context.Context, ref bugscope.IssueRef) (bugscope.Issue, error) {
	row := d.db.QueryRowContext(ctx, `SELECT `+issueColumns+` FROM issues WHERE repo = ? AND number = ?`, ref.Repo, ref.Number)
	_, is, err := scanIssue(row)
	if errors.Is(err, sql.ErrNoRows) {
		return is, fmt.Errorf("issue %s: %w", ref, bugscope.ErrNotFound)
	}
	return is, err
}

// issueWhere is the SQL condition on issues i (and its arguments) that
// selects what f selects.
func issueWhere(f bugscope.IssueFilter) (string, []any) {
	return filterWhere(f, issueCols)
}

// filterCols names the columns a filter's conditions test.
type filterCols struct {
	id, pulls, repo, number, state, created string
}

var issueCols = filterCols{id: "i.id", pulls: "i.is_pull_request", repo: "i.repo", number: "i.number", state: "i.state", created: "i.created_at"}

// filterWhere is the SQL condition (and its arguments) that selects what f
// selects, on the columns c; without c.pulls, pull requests are not there
// to leave out.
func filterWhere(f bugscope.IssueFilter, c filterCols) (string, []any) {
	var conds []string
	var args []any
	if !f.IncludePulls && c.pulls != "" {
		conds = append(conds, c.pulls+" = 0")
	}
	if len(f.Repos) > 0 {
		conds = append(conds, c.repo+" IN ("+placeholders(len(f.Repos))+")")
		for _, r := range f.Repos {
			args = append(args, r)
		}
	}
	if f.Number != 0 {
		conds = append(conds, c.number+" = ?")
		args = append(args, f.Number)
	}
	if f.State != "" {
		conds = append(conds, c.state+" = ?")
		args = append(args, f.State)
	}
	if f.Since != nil {
		conds = append(conds, c.created+" >= ?")
		args = append(args, formatTime(f.Since))
	}
	if f.Until != nil {
		conds = append(conds, c.created+" < ?")
		args = append(args, formatTime(f.Until))
	}
	if len(f.Labels) > 0 {
		conds = append(conds, c.id+" IN (SELECT l.issue_id FROM issue_labels l WHERE l.label IN ("+placeholders(len(f.Labels))+"))")
		for _, l := range f.Labels {
			args = append(args, l)
		}
	}
	if len(conds) == 0 {
		return "1", nil
	}
	return strings.Join(conds, " AND "), args
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// EachIssue calls fn for every issue the filter selects, in (repo, number)
// order, streaming so that memory stays flat on large databases.
func (d *DB) EachIssue(ctx context.Context, f bugscope.IssueFilter, fn func(bugscope.Issue) error) error {
	where, args := issueWhere(f)
	rows, err := d.db.QueryContext(ctx, `SELECT `+prefixed("i.", issueColumns)+` FROM issues i WHERE `+where+` ORDER BY i.repo, i.number`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		_, is, err := scanIssue(rows)
		if err != nil {
			return err
		}
		if err := fn(is); err != nil {
			return err
		}
	}
	return rows.Err()
}

func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// CountIssues counts issues by repository for the filter.
func (d *DB) CountIssues(ctx context.Context, f bugscope.IssueFilter) (map[string]int, error) {
	where, args := issueWhere(f)
	rows, err := d.db.QueryContext(ctx, `SELECT i.repo, COUNT(*) FROM issues i WHERE `+where+` GROUP BY i.repo`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var repo string
		var n int
		if err := rows.Scan(&repo, &n); err != nil {
			return nil, err
		}
		out[repo] = n
	}
	return out, rows.Err()
}

// Counts is a summary of the database's contents.
type Counts struct {
	Issues          int            `json:"issues"`
	PullRequests    int            `json:"pull_requests"`
	IssuesByRepo    map[string]int `json:"issues_by_repo"`
	Classifications map[string]int `json:"classifications"` // "taxonomy/classifier" -> count
}

// Counts summarises what the database holds.
func (d *DB) Counts(ctx context.Context) (Counts, error) {
	c := Counts{Classifications: map[string]int{}}
	var err error
	if c.IssuesByRepo, err = d.CountIssues(ctx, bugscope.IssueFilter{}); err != nil {
		return c, err
	}
	for _, n := range c.IssuesByRepo {
		c.Issues += n
	}
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM issues WHERE is_pull_request = 1`).Scan(&c.PullRequests); err != nil {
		return c, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT taxonomy || '/' || classifier, COUNT(*) FROM classifications GROUP BY 1`)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return c, err
		}
		c.Classifications[k] = n
	}
	return c, rows.Err()
}

// IssueBatches calls fn with the issues the filter selects, bodies
// included, in batches of at most size, in id order. It pages by id, so fn
// may write to the database between batches.
func (d *DB) IssueBatches(ctx context.Context, f bugscope.IssueFilter, size int, fn func([]bugscope.Issue) error) error {
	where, args := issueWhere(f)
	return d.batches(ctx, where, args, size, fn)
}

// batches pages through the issues the condition where selects, by id.
func (d *DB) batches(ctx context.Context, where string, args []any, size int, fn func([]bugscope.Issue) error) error {
	q := `SELECT ` + prefixed("i.", issueColumns) + ` FROM issues i WHERE i.id > ? AND ` + where + ` ORDER BY i.id LIMIT ?`
	var after int64
	for {
		rows, err := d.db.QueryContext(ctx, q, append(append([]any{after}, args...), size)...)
		if err != nil {
			return err
		}
		batch := make([]bugscope.Issue, 0, size)
		for rows.Next() {
			id, is, err := scanIssue(rows)
			if err != nil {
				rows.Close()
				return err
			}
			after = id
			batch = append(batch, is)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		if err := fn(batch); err != nil {
			return err
		}
		if len(batch) < size {
			return nil
		}
	}
}
