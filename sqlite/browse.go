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

// bestOnly is the condition that classification c is the best one of its
// issue in its taxonomy (bugscope.BestClassifier).
var bestOnly = `NOT EXISTS (SELECT 1 FROM classifications c2 WHERE c2.issue_id = c.issue_id AND c2.taxonomy = c.taxonomy
	AND (` + classifierRank("c2.classifier") + ` < ` + classifierRank("c.classifier") + `
	OR (` + classifierRank("c2.classifier") + ` = ` + classifierRank("c.classifier") + ` AND c2.classifier < c.classifier)))`

// browseWhere is the SQL condition (on issues i, classifications c and, with
// a text query, the search matches f) and its arguments.
func browseWhere(q bugscope.IssueQuery) (string, []any, error) {
	where, args := issueWhere(q.Filter)
	conds := []string{where, "c.taxonomy = ?"}
	args = append(args, q.Taxonomy)
	if q.Classifier != "" {
		conds = append(conds, "c.classifier = ?")
		args = append(args, q.Classifier)
	} else {
		conds = append(conds, bestOnly)
	}
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
		conds = append(conds, "EXISTS (SELECT 1 FROM classification_labels l WHERE l.classification_id = c.id AND l.dimension = ? AND l.value IN ("+placeholders(len(vs))+"))")
		args = append(args, d)
		for _, v := range vs {
			args = append(args, v)
		}
	}
	if q.Confidence != "" {
		b, ok := bugscope.Band(q.Confidence)
		if !ok {
			return "", nil, bugscope.Errorf(bugscope.EInvalid, "confidence band %q: want low, medium or high", q.Confidence)
		}
		conds = append(conds, "c.confidence >= ? AND c.confidence < ?")
		args = append(args, b.Lo, b.Hi)
	}
	if q.Signal != nil {
		conds = append(conds, "EXISTS (SELECT 1 FROM signals s WHERE s.issue_id = i.id AND s.kind = ? AND s.value = ?)")
		args = append(args, q.Signal.Kind, q.Signal.Value)
	}
	return strings.Join(conds, " AND "), args, nil
}

var browseOrder = map[string]string{
	"-created":    "i.created_at DESC, i.id DESC",
	"created":     "i.created_at, i.id",
	"-updated":    "i.updated_at DESC, i.id DESC",
	"updated":     "i.updated_at, i.id",
	"-comments":   "i.comments DESC, i.id DESC",
	"-reactions":  "i.reactions DESC, i.id DESC",
	"confidence":  "c.confidence, i.id",
	"-confidence": "c.confidence DESC, i.id",
	"number":      "i.repo, i.number",
	"relevance":   "f.score, i.id",
}

// BrowseIssues returns one page of the classified issues q selects, in its
// order, with the labels each is listed by, and how many it selects in
// all. With a text query the rows carry the head of their bodies, for the
// passage that matched; the search index must be current (RefreshSearch).
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
	from := "issues i JOIN classifications c ON c.issue_id = i.id"
	var fargs []any
	body := "''"
	if q.Text != "" {
		match, err := FTSQuery(q.Text)
		if err != nil {
			return out, err
		}
		from = "(SELECT rowid AS id, bm25(issues_fts, 4.0, 1.0) AS score FROM issues_fts WHERE issues_fts MATCH ?) f JOIN issues i ON i.id = f.id JOIN classifications c ON c.issue_id = i.id"
		fargs = []any{match}
		body = "substr(i.body, 1, " + strconv.Itoa(passageHead) + ")"
	}
	all := append(append([]any{}, fargs...), args...)
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+from+` WHERE `+where, all...).Scan(&out.Total); err != nil {
		return out, err
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	if q.Offset < 0 {
		return out, bugscope.Errorf(bugscope.EInvalid, "offset %d: want 0 or more", q.Offset)
	}
	if q.Offset >= out.Total {
		return out, nil
	}
	rows, err := d.db.QueryContext(ctx, `SELECT i.id, i.repo, i.number, i.title, `+body+`, i.labels, i.state, i.author_association,
		i.created_at, i.updated_at, i.closed_at, i.comments, i.reactions, i.url, i.is_pull_request, c.id, c.classifier, c.confidence
		FROM `+from+` WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(all, limit, q.Offset)...)
	if err != nil {
		return out, err
	}
	var cids []any
	byClass := map[int64]int{}
	for rows.Next() {
		var r bugscope.IssueRow
		var cid int64
		is, err := scanIssueWith(rows, &cid, &r.Classifier, &r.Confidence)
		if err != nil {
			rows.Close()
			return out, err
		}
		r.Issue = is
		r.Labels = bugscope.Labels{}
		byClass[cid] = len(out.Rows)
		cids = append(cids, cid)
		out.Rows = append(out.Rows, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	if len(cids) == 0 {
		return out, nil
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
		l := out.Rows[byClass[cid]].Labels
		l[dim] = append(l[dim], val)
	}
	return out, lrows.Err()
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
