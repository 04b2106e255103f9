package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/bugscope/bugscope"
)

// SimilarIssues returns up to limit other issues (not pull requests) that
// share an error signature with ref: for each of its signatures the most
// recently stored issues that have it (an index range each), those
// sharing more signatures first.
func (d *DB) SimilarIssues(ctx context.Context, ref bugscope.IssueRef, limit int) ([]bugscope.SimilarIssue, error) {
	var id int64
	if err := d.db.QueryRowContext(ctx, `SELECT id FROM issues WHERE repo = ? AND number = ?`, ref.Repo, ref.Number).Scan(&id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("issue %s: %w", ref, bugscope.ErrNotFound)
		}
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT value FROM signals WHERE issue_id = ? AND kind = ? ORDER BY offset`, id, bugscope.SignalErrorSignature)
	sigs, err := collect(rows, err, func(rows *sql.Rows) (string, error) {
		var v string
		return v, rows.Scan(&v)
	})
	if err != nil {
		return nil, err
	}
	shared := map[int64]int{}
	sigOf := map[int64]string{}
	var ids []int64
	for _, sig := range sigs {
		rows, err := d.db.QueryContext(ctx, `SELECT issue_id FROM signals WHERE kind = ? AND value = ? AND issue_id <> ?
			ORDER BY issue_id DESC LIMIT ?`, bugscope.SignalErrorSignature, sig, id, 2*limit)
		others, err := collect(rows, err, func(rows *sql.Rows) (int64, error) {
			var o int64
			return o, rows.Scan(&o)
		})
		if err != nil {
			return nil, err
		}
		for _, o := range others {
			if shared[o] == 0 {
				ids = append(ids, o)
				sigOf[o] = sig
			}
			shared[o]++
		}
	}
	sort.SliceStable(ids, func(i, j int) bool {
		if shared[ids[i]] != shared[ids[j]] {
			return shared[ids[i]] > shared[ids[j]]
		}
		return ids[i] > ids[j]
	})
	out := []bugscope.SimilarIssue{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, o := range ids {
		args[i] = o
	}
	rows, err = d.db.QueryContext(ctx, `SELECT id, repo, number, title, state FROM issues WHERE is_pull_request = 0 AND id IN (`+placeholders(len(ids))+`)`, args...)
	type row struct {
		id int64
		s  bugscope.SimilarIssue
	}
	found, err := collect(rows, err, func(rows *sql.Rows) (row, error) {
		var r row
		return r, rows.Scan(&r.id, &r.s.Ref.Repo, &r.s.Ref.Number, &r.s.Title, &r.s.State)
	})
	if err != nil {
		return nil, err
	}
	byID := map[int64]bugscope.SimilarIssue{}
	for _, r := range found {
		r.s.Signature = sigOf[r.id]
		byID[r.id] = r.s
	}
	for _, o := range ids {
		if s, ok := byID[o]; ok && len(out) < limit {
			out = append(out, s)
		}
	}
	return out, nil
}

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
