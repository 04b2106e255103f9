package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/bugscope/bugscope"
)

// MaxPage bounds the rows of one page of an issue list.
const MaxPage = 200

// passageHead is how much of a body a text query's rows carry, for the
// matching passage.
const passageHead = 64 << 10

// classifierRank is the SQL of bugscope.ClassifierRank over column col.
func classifierRank(col string) string {
	var b strings.Builder
	b.WriteString("CASE " + col)
	for i, name := range bugscope.ClassifierPreference {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", name, i)
	}
	fmt.Fprintf(&b, " ELSE %d END", len(bugscope.ClassifierPreference))
	return b.String()
}

// browseWhere is the SQL condition on the rows b of serve_browse (and
// its arguments) that q selects.
func browseWhere(q bugscope.IssueQuery) (string, []any, error) {
	conds := []string{"b.taxonomy = ?"}
	args := []any{q.Taxonomy}
	if q.Classifier != "" {
		conds = append(conds, "b.classifier = ?")
		args = append(args, q.Classifier)
	} else {
		conds = append(conds, "b.best = 1")
	}
	// Pull requests are not in serve_browse.
	fw, fargs := filterWhere(q.Filter, filterCols{id: "b.issue_id", repo: "b.repo", number: "b.number", state: "b.state", created: "b.created_at"})
	conds = append(conds, fw)
	args = append(args, fargs...)
	dims := make([]string, 0, len(q.Labels))
	for d := range q.Labels {
		dims = append(dims, d)
	}
	sort.Strings(dims)
	for _, d := range dims {
		vs := q.Labels[d]
		if len(vs) == 0 {
			continue
		}
		var any []string
		for _, v := range vs {
			any = append(any, "instr(b.labels, ?) > 0")
			args = append(args, "|"+d+"="+v+"|")
		}
		conds = append(conds, "("+strings.Join(any, " OR ")+")")
	}
	if q.Confidence != "" {
		band, ok := bugscope.Band(q.Confidence)
		if !ok {
			return "", nil, bugscope.Errorf(bugscope.EInvalid, "confidence band %q: want low, medium or high", q.Confidence)
		}
		conds = append(conds, "b.confidence >= ? AND b.confidence < ?")
		args = append(args, band.Lo, band.Hi)
	}
	if q.Signal != nil {
		conds = append(conds, "b.issue_id IN (SELECT s.issue_id FROM signals s WHERE s.kind = ? AND s.value = ?)")
		args = append(args, q.Signal.Kind, q.Signal.Value)
	}
	return strings.Join(conds, " AND "), args, nil
}

var browseOrder = map[string]string{
	"-created":    "b.created_at DESC, b.classification_id DESC",
	"created":     "b.created_at, b.classification_id",
	"-updated":    "b.updated_at DESC, b.classification_id DESC",
	"updated":     "b.updated_at, b.classification_id",
	"-comments":   "b.comments DESC, b.classification_id DESC",
	"-reactions":  "b.reactions DESC, b.classification_id DESC",
	"confidence":  "b.confidence, b.classification_id",
	"-confidence": "b.confidence DESC, b.classification_id DESC",
	"number":      "b.repo, b.number",
	"relevance":   "bm25(issues_fts, 4.0, 1.0), b.classification_id",
}

// BrowseIssues returns one page of the classified issues q selects, in its
// order, with the labels each is listed by, and how many it selects in
// all; pull requests are never listed. With a text query the rows carry
// the head of their bodies, for the passage that matched. It reads the
// tables RefreshBrowse and RefreshSearch keep: call them when the data
// changed.
func (d *DB) BrowseIssues(ctx context.Context, q bugscope.IssueQuery) (bugscope.IssueList, error) {
	out := bugscope.IssueList{Rows: []bugscope.IssueRow{}}
	where, args, err := browseWhere(q)
	if err != nil {
		return out, err
	}
	sortKey := q.Sort
	if sortKey == "" {
		sortKey = "-created"
		if q.Text != "" {
			sortKey = "relevance"
		}
	}
	order, ok := browseOrder[sortKey]
	if !ok || sortKey == "relevance" && q.Text == "" {
		return out, bugscope.Errorf(bugscope.EInvalid, "sort %q: want one of %s (relevance with a text query)", q.Sort, strings.Join(bugscope.IssueSorts, ", "))
	}
	if q.Offset < 0 {
		return out, bugscope.Errorf(bugscope.EInvalid, "offset %d: want 0 or more", q.Offset)
	}
	from := "serve_browse b"
	var fargs []any

	body := "''"
	if q.Text != "" {
		match, err := FTSQuery(q.Text)
		if err != nil {
			return out, err
		}
		// The index's matches drive the join (CROSS JOIN keeps that
		// order), each looked up in serve_browse by issue.
		from = "issues_fts f CROSS JOIN serve_browse b INDEXED BY serve_browse_issue ON b.issue_id = f.rowid"
		where = "issues_fts MATCH ? AND " + where
		fargs = []any{match}
		body = "substr(i.body, 1, " + strconv.Itoa(passageHead) + ")"
	}
	all := append(append([]any{}, fargs...), args...)
	limit := q.Limit
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	var cids []any
	if sortKey == "relevance" {
		// Every match is ranked anyway: count them in the same pass.
		// (FTS5 refuses bm25 beside a window function: it is computed in
		// a subquery.)
		rows, err := d.db.QueryContext(ctx, `SELECT cid, COUNT(*) OVER () FROM (SELECT b.classification_id AS cid,
			bm25(issues_fts, 4.0, 1.0) AS score FROM `+from+` WHERE `+where+`) ORDER BY score, cid LIMIT ? OFFSET ?`, append(all, limit, q.Offset)...)
		if err != nil {
			return out, d.classify(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id, &out.Total); err != nil {
				rows.Close()
				return out, err
			}
			cids = append(cids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return out, err
		}
	}
	if len(cids) == 0 {
		if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+from+` WHERE `+where, all...).Scan(&out.Total); err != nil {
			return out, d.classify(err)
		}
		if q.Offset >= out.Total || sortKey == "relevance" {
			return out, nil
		}
		idRows, err := d.db.QueryContext(ctx, `SELECT b.classification_id FROM `+from+` WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(all, limit, q.Offset)...)
		if cids, err = collect(idRows, err, func(rows *sql.Rows) (any, error) {
			var id int64
			return id, rows.Scan(&id)
		}); err != nil || len(cids) == 0 {
			return out, err
		}
	}
	rows, err := d.db.QueryContext(ctx, `SELECT i.id, i.repo, i.number, i.title, `+body+`, i.labels, i.state, i.author_association,
		i.created_at, i.updated_at, i.closed_at, i.comments, i.reactions, i.url, i.is_pull_request, c.id, c.classifier, c.confidence
		FROM classifications c JOIN issues i ON i.id = c.issue_id WHERE c.id IN (`+placeholders(len(cids))+`)`, cids...)
	if err != nil {
		return out, err
	}
	byClass := map[int64]bugscope.IssueRow{}
	for rows.Next() {
		var r bugscope.IssueRow
		var cid int64
		is, err := scanIssueWith(rows, &cid, &r.Classifier, &r.Confidence)
		if err != nil {
			rows.Close()
			return out, err
		}
		r.Issue, r.Labels = is, bugscope.Labels{}
		byClass[cid] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	lrows, err := d.db.QueryContext(ctx, `SELECT classification_id, dimension, value FROM classification_labels
		WHERE classification_id IN (`+placeholders(len(cids))+`) ORDER BY classification_id, dimension, position`, cids...)
	if err != nil {
		return out, err
	}
	defer lrows.Close()
	for lrows.Next() {
		var cid int64
		var dim, val string
		if err := lrows.Scan(&cid, &dim, &val); err != nil {
			return out, err
		}
		if r, ok := byClass[cid]; ok {
			r.Labels[dim] = append(r.Labels[dim], val)
		}
	}
	if err := lrows.Err(); err != nil {
		return out, err
	}
	for _, id := range cids {
		if r, ok := byClass[id.(int64)]; ok {
			out.Rows = append(out.Rows, r)
		}
	}
	return out, nil
}

// RefreshBrowse rebuilds the table the issue lists read (serve_browse)
// from the issues and their classifications, in one transaction on the
// connection of DataVersion, so that it does not count as a change of the
// data.
func (d *DB) RefreshBrowse(ctx context.Context) error {
	if d.readOnly {
		return bugscope.Errorf(bugscope.EUnavailable, "database %s is open read-only: the issue lists cannot be built", d.path)
	}
	d.watchMu.Lock()
	defer d.watchMu.Unlock()
	c, err := d.watchConn(ctx)
	if err != nil {
		return err
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return d.classify(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM serve_browse`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO serve_browse (classification_id, issue_id, taxonomy, classifier, best, confidence,
			repo, number, state, created_at, updated_at, comments, reactions, labels)
		SELECT c.id, c.issue_id, c.taxonomy, c.classifier,
			ROW_NUMBER() OVER (PARTITION BY c.issue_id, c.taxonomy ORDER BY `+classifierRank("c.classifier")+`, c.classifier) = 1,
			c.confidence, i.repo, i.number, i.state, i.created_at, i.updated_at, i.comments, i.reactions,
			'|' || COALESCE((SELECT group_concat(l.dimension || '=' || l.value, '|') FROM classification_labels l
				WHERE l.classification_id = c.id), '') || '|'
		FROM classifications c JOIN issues i ON i.id = c.issue_id WHERE i.is_pull_request = 0`); err != nil {
		return err
	}
	return d.classify(tx.Commit())
}

// scanIssueWith scans the issue columns of issueColumns' order, then the
// extra destinations.
func scanIssueWith(r rowScanner, extra ...any) (bugscope.Issue, error) {
	var (
		id                        int64
		is                        bugscope.Issue
		labels                    string
		created, updated, closedT sql.NullString
	)
	dest := append([]any{&id, &is.Repo, &is.Number, &is.Title, &is.Body, &labels, &is.State, &is.AuthorAssociation,
		&created, &updated, &closedT, &is.Comments, &is.Reactions, &is.URL, &is.IsPullRequest}, extra...)
	if err := r.Scan(dest...); err != nil {
		return is, err
	}
	if err := json.Unmarshal([]byte(labels), &is.Labels); err != nil {
		return is, fmt.Errorf("issue %s: stored labels: %w", is.Ref(), err)
	}
	is.CreatedAt, is.UpdatedAt, is.ClosedAt = parseTime(created), parseTime(updated), parseTime(closedT)
	return is, nil
}

// IssueLabelNames lists the GitHub labels of the issues (not pull
// requests) with how many carry each, most used first, at most limit.
func (d *DB) IssueLabelNames(ctx context.Context, limit int) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT l.label FROM issue_labels l JOIN issues i ON i.id = l.issue_id
		WHERE i.is_pull_request = 0 GROUP BY l.label ORDER BY COUNT(*) DESC, l.label LIMIT ?`, limit)
	return collect(rows, err, func(rows *sql.Rows) (string, error) {
		var s string
		return s, rows.Scan(&s)
	})
}
