package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/bugscope/bugscope"
)

// HandLabels returns the hand labels of one issue in every sample: each
// rater's latest answer and the arbitrator's latest decision.
func (d *DB) HandLabels(ctx context.Context, ref bugscope.IssueRef) ([]bugscope.HandLabel, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT sm.name, x.who, x.final, x.labels, x.exclude_reason, x.note, x.created_at FROM (
			SELECT a.sample_id, a.rater AS who, 0 AS final, a.labels, a.exclude_reason, a.note, a.created_at, a.id
			FROM annotations a JOIN issues i ON i.id = a.issue_id WHERE i.repo = ? AND i.number = ?
			AND a.id = (SELECT MAX(b.id) FROM annotations b WHERE b.sample_id = a.sample_id AND b.rater = a.rater AND b.issue_id = a.issue_id)
			UNION ALL
			SELECT a.sample_id, a.arbitrator, 1, a.labels, a.exclude_reason, a.note, a.created_at, a.id
			FROM arbitrations a JOIN issues i ON i.id = a.issue_id WHERE i.repo = ? AND i.number = ?
			AND a.id = (SELECT MAX(b.id) FROM arbitrations b WHERE b.sample_id = a.sample_id AND b.issue_id = a.issue_id)
		) x JOIN samples sm ON sm.id = x.sample_id ORDER BY sm.name, x.final, x.who`, ref.Repo, ref.Number, ref.Repo, ref.Number)
	return collect(rows, err, func(rows *sql.Rows) (bugscope.HandLabel, error) {
		var h bugscope.HandLabel
		var labels, created string
		if err := rows.Scan(&h.Sample, &h.Who, &h.Final, &labels, &h.Excluded, &h.Note, &created); err != nil {
			return h, err
		}
		if err := json.Unmarshal([]byte(labels), &h.Labels); err != nil {
			return h, fmt.Errorf("hand labels of %s: %w", ref, err)
		}
		h.CreatedAt = parseStamp(created)
		return h, nil
	})
}

// IssueComments returns the first limit stored comments of one issue,
// oldest first (all with a negative limit).
func (d *DB) IssueComments(ctx context.Context, ref bugscope.IssueRef, limit int) ([]bugscope.Comment, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT repo, id, issue_number, author, author_association, body,
		created_at, updated_at, url FROM issue_comments WHERE repo = ? AND issue_number = ?
		ORDER BY created_at, id LIMIT ?`, ref.Repo, ref.Number, limit)
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
