package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"unicode"

	"github.com/bugscope/bugscope"
)

// Bounds of a text query: longer queries are refused, not cut, so that
// what is searched is what was asked.
const (
	MaxQueryBytes = 256
	MaxQueryTerms = 12
	// searchBodyBytes of a body are indexed, as the rule classifier reads
	// the head of very long bodies.
	searchBodyBytes = 256 << 10
)

// QueryTerms splits a text query into its words (letters, digits and
// underscores, lower-cased): what FTSQuery matches and a passage marks.
// A word ending in * is a prefix.
func QueryTerms(q string) []string {
	var terms []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(q, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '*')
	}) {
		prefix := strings.HasSuffix(f, "*")
		w := strings.ToLower(strings.Trim(f, "*"))
		if w == "" {
			continue
		}
		// An underscore separates tokens for FTS5's unicode61: a_b is
		// the phrase "a b"; keep it as one term for marking.
		if prefix {
			w += "*"
		}
		if !seen[w] {
			seen[w] = true
			terms = append(terms, w)
		}
	}
	return terms
}

// FTSQuery turns what a person typed into an FTS5 query: every word must
// occur (each quoted, so FTS5's operators and column filters in the text
// are words like any other). An EInvalid error for a query that is too
// long or has no word.
func FTSQuery(q string) (string, error) {
	if len(q) > MaxQueryBytes {
		return "", bugscope.Errorf(bugscope.EInvalid, "text query of %d bytes: at most %d", len(q), MaxQueryBytes)
	}
	terms := QueryTerms(q)
	if len(terms) == 0 {
		return "", bugscope.Errorf(bugscope.EInvalid, "text query %q has no word to search for", q)
	}
	if len(terms) > MaxQueryTerms {
		return "", bugscope.Errorf(bugscope.EInvalid, "text query of %d words: at most %d", len(terms), MaxQueryTerms)
	}
	parts := make([]string, len(terms))
	for i, t := range terms {
		w, prefix := strings.CutSuffix(t, "*")
		parts[i] = `"` + strings.ReplaceAll(strings.ReplaceAll(w, "_", " "), `"`, `""`) + `"`
		if prefix {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " "), nil
}

// watchConn is the connection DataVersion reads and RefreshSearch writes
// on: SQLite's data_version changes only for other connections' commits,
// so the index's own upkeep does not count as a change of the data.
func (d *DB) watchConn(ctx context.Context) (*sql.Conn, error) {
	if d.watch != nil {
		return d.watch, nil
	}
	c, err := d.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	d.watch = c
	return c, nil
}

// DataVersion changes whenever another connection (any process) commits a
// change to the database: a cheap test of whether figures computed from it
// are stale (PRAGMA data_version).
//
// While RefreshBrowse or RefreshSearch holds the connection it returns the
// version read last, at once: readers do not wait for a rebuild.
func (d *DB) DataVersion(ctx context.Context) (int64, error) {
	if !d.watchMu.TryLock() {
		return d.lastVersion.Load(), nil
	}
	defer d.watchMu.Unlock()
	c, err := d.watchConn(ctx)
	if err != nil {
		return 0, err
	}
	var v int64
	if err := c.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, err
	}
	d.lastVersion.Store(v)
	return v, nil
}

// RefreshSearch brings the full-text index up to date with the issues:
// issues not indexed yet, or changed since (their content hash), are
// indexed; entries of issues gone or changed are removed. One transaction;
// a database opened read-only is an EUnavailable error.
func (d *DB) RefreshSearch(ctx context.Context) (bugscope.SearchStats, error) {
	var st bugscope.SearchStats
	if d.readOnly {
		return st, bugscope.Errorf(bugscope.EUnavailable, "database %s is open read-only: the search index cannot be built", d.path)
	}
	d.watchMu.Lock()
	defer d.watchMu.Unlock()
	c, err := d.watchConn(ctx)
	if err != nil {
		return st, err
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return st, d.classify(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT s.issue_id FROM issues_fts_state s LEFT JOIN issues i ON i.id = s.issue_id
		WHERE i.id IS NULL OR i.content_hash <> s.content_hash`)
	if err != nil {
		return st, err
	}
	var stale []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return st, err
		}
		stale = append(stale, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	for _, id := range stale {
		if _, err := tx.ExecContext(ctx, `DELETE FROM issues_fts WHERE rowid = ?`, id); err != nil {
			return st, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM issues_fts_state WHERE issue_id = ?`, id); err != nil {
			return st, err
		}
	}
	st.Removed = len(stale)
	res, err := tx.ExecContext(ctx, `INSERT INTO issues_fts (rowid, title, body)
		SELECT i.id, i.title, substr(i.body, 1, ?) FROM issues i
		WHERE NOT EXISTS (SELECT 1 FROM issues_fts_state s WHERE s.issue_id = i.id)`, searchBodyBytes)
	if err != nil {
		return st, err
	}
	n, _ := res.RowsAffected()
	st.Indexed = int(n)
	if _, err := tx.ExecContext(ctx, `INSERT INTO issues_fts_state (issue_id, content_hash)
		SELECT i.id, i.content_hash FROM issues i
		WHERE NOT EXISTS (SELECT 1 FROM issues_fts_state s WHERE s.issue_id = i.id)`); err != nil {
		return st, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM issues_fts_state`).Scan(&st.Total); err != nil {
		return st, err
	}
	return st, d.classify(tx.Commit())
}
