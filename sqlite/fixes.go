package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bugscope/bugscope"
)

// saveMergedPulls records merged pull requests in tx. A pull request's
// merge time is kept once known; its size is written when p.SizeKnown.
func (d *DB) saveMergedPulls(ctx context.Context, tx *sql.Tx, pulls []bugscope.MergedPull) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO pull_requests
		(repo, number, merged_at, additions, deletions, changed_files, merge_commit, size_fetched_at)
		VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (repo, number) DO UPDATE SET
		merged_at = COALESCE(excluded.merged_at, pull_requests.merged_at),
		additions = COALESCE(excluded.additions, pull_requests.additions),
		deletions = COALESCE(excluded.deletions, pull_requests.deletions),
		changed_files = COALESCE(excluded.changed_files, pull_requests.changed_files),
		merge_commit = CASE WHEN excluded.merge_commit <> '' THEN excluded.merge_commit ELSE pull_requests.merge_commit END,
		size_fetched_at = COALESCE(excluded.size_fetched_at, pull_requests.size_fetched_at)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	stamp := d.now().UTC().Format(timeLayout)
	for _, p := range pulls {
		if err := bugscope.ValidateRepo(p.PR.Repo); err != nil {
			return err
		}
		var add, del, files, fetched any
		if p.SizeKnown {
			add, del, files, fetched = p.Additions, p.Deletions, p.ChangedFiles, stamp
		}
		if p.Unavailable {
			fetched = stamp
		}
		if _, err := stmt.ExecContext(ctx, p.PR.Repo, p.PR.Number, formatTime(p.MergedAt), add, del, files,
			p.MergeCommit, fetched); err != nil {
			return fmt.Errorf("store pull request %s: %w", p.PR, err)
		}
	}
	return nil
}

// SaveMergedPulls records merged pull requests in one transaction. A pull
// request's merge time is kept once known; its size is written when
// p.SizeKnown.
func (d *DB) SaveMergedPulls(ctx context.Context, pulls []bugscope.MergedPull) error {
	return d.inTx(ctx, func(tx *sql.Tx) error { return d.saveMergedPulls(ctx, tx, pulls) })
}

// replaceBodyFixes sets, in tx, the issues that a pull request's
// description closes: links found earlier in an older version of the
// description and no longer there are removed.
func (d *DB) replaceBodyFixes(ctx context.Context, tx *sql.Tx, pr bugscope.IssueRef, issues []bugscope.IssueRef) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM fix_links WHERE pr_repo = ? AND pr_number = ? AND source = ?`,
		pr.Repo, pr.Number, bugscope.FixSourceBody); err != nil {
		return err
	}
	links := make([]bugscope.Fix, len(issues))
	for i, is := range issues {
		links[i] = bugscope.Fix{Issue: is, PullRequest: pr, Source: bugscope.FixSourceBody}
	}
	return d.addFixLinks(ctx, tx, links)
}

// addFixLinks records links from issues to the pull requests that fixed
// them, in tx; a link found before keeps its source.
func (d *DB) addFixLinks(ctx context.Context, tx *sql.Tx, links []bugscope.Fix) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO fix_links
		(repo, issue_number, pr_repo, pr_number, source, found_at) VALUES (?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	stamp := d.now().UTC().Format(timeLayout)
	for _, l := range links {
		if err := bugscope.ValidateRepo(l.Issue.Repo); err != nil {
			return err
		}
		if err := bugscope.ValidateRepo(l.PullRequest.Repo); err != nil {
			return err
		}
		if l.Source == "" {
			return fmt.Errorf("fix link %s -> %s without a source", l.Issue, l.PullRequest)
		}
		if _, err := stmt.ExecContext(ctx, l.Issue.Repo, l.Issue.Number, l.PullRequest.Repo, l.PullRequest.Number,
			l.Source, stamp); err != nil {
			return fmt.Errorf("store fix link %s -> %s: %w", l.Issue, l.PullRequest, err)
		}
	}
	return nil
}

// AddFixLinks records links from issues to the pull requests that fixed
// them, in one transaction; a link found before keeps its source.
func (d *DB) AddFixLinks(ctx context.Context, links []bugscope.Fix) error {
	return d.inTx(ctx, func(tx *sql.Tx) error { return d.addFixLinks(ctx, tx, links) })
}

// noteClosed records, in tx, why and when issues were closed, for the
// timeline search of their fixes.
func (d *DB) noteClosed(ctx context.Context, tx *sql.Tx, closed []bugscope.ClosedIssue) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO fix_search (repo, issue_number, state_reason, closed_at)
		VALUES (?,?,?,?)
		ON CONFLICT (repo, issue_number) DO UPDATE SET
		state_reason = excluded.state_reason, closed_at = excluded.closed_at`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, c := range closed {
		if _, err := stmt.ExecContext(ctx, c.Ref.Repo, c.Ref.Number, c.StateReason, formatTime(c.ClosedAt)); err != nil {
			return err
		}
	}
	return nil
}

// IssuesNeedingTimeline lists the closed issues of repo (not pull
// requests) that were closed as completed (or for no stated reason), have
// no fix link, and whose timeline was not read since they were last
// closed; oldest first, at most limit (0: all).
func (d *DB) IssuesNeedingTimeline(ctx context.Context, repo string, limit int) ([]bugscope.ClosedIssue, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := d.db.QueryContext(ctx, `SELECT s.repo, s.issue_number, s.state_reason, s.closed_at
		FROM fix_search s JOIN issues i ON i.repo = s.repo AND i.number = s.issue_number
		WHERE s.repo = ? AND i.is_pull_request = 0 AND i.state = 'closed'
		  AND s.state_reason IN ('completed', '')
		  AND (s.timeline_checked_for IS NULL OR s.timeline_checked_for IS NOT s.closed_at)
		  AND NOT EXISTS (SELECT 1 FROM fix_links f WHERE f.repo = s.repo AND f.issue_number = s.issue_number)
		ORDER BY s.issue_number LIMIT ?`, repo, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bugscope.ClosedIssue
	for rows.Next() {
		var c bugscope.ClosedIssue
		var closed sql.NullString
		if err := rows.Scan(&c.Ref.Repo, &c.Ref.Number, &c.StateReason, &closed); err != nil {
			return nil, err
		}
		c.ClosedAt = parseTime(closed)
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveTimelineCheck records, in one transaction, that an issue's timeline
// was read while it was closed at closedAt, with the fix links it found
// and the merged pull requests they point to.
func (d *DB) SaveTimelineCheck(ctx context.Context, issue bugscope.IssueRef, closedAt *time.Time, links []bugscope.Fix, pulls []bugscope.MergedPull) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		if err := d.saveMergedPulls(ctx, tx, pulls); err != nil {
			return err
		}
		if err := d.addFixLinks(ctx, tx, links); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE fix_search SET timeline_checked_for = ? WHERE repo = ? AND issue_number = ?`,
			formatTime(closedAt), issue.Repo, issue.Number)
		return err
	})
}

// PullsNeedingSize lists the pull requests of repo that fix an issue and
// whose size has not been fetched, by number.
func (d *DB) PullsNeedingSize(ctx context.Context, repo string) ([]int, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT DISTINCT f.pr_number FROM fix_links f
		LEFT JOIN pull_requests p ON p.repo = f.pr_repo AND p.number = f.pr_number
		WHERE f.pr_repo = ? AND p.size_fetched_at IS NULL ORDER BY f.pr_number`, repo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Fixes returns the merged pull requests that fixed the issues the filter
// selects, by issue, earliest merge first, with their sizes where known
// and the time from each issue's creation to the merge.
func (d *DB) Fixes(ctx context.Context, f bugscope.IssueFilter) (map[bugscope.IssueRef][]bugscope.Fix, error) {
	where, args := issueWhere(f)
	rows, err := d.db.QueryContext(ctx, `SELECT i.repo, i.number, i.created_at, l.pr_repo, l.pr_number, l.source,
		p.merged_at, p.additions, p.deletions, p.changed_files
		FROM issues i
		JOIN fix_links l ON l.repo = i.repo AND l.issue_number = i.number
		JOIN pull_requests p ON p.repo = l.pr_repo AND p.number = l.pr_number
		WHERE p.merged_at IS NOT NULL AND `+where+`
		ORDER BY i.repo, i.number, p.merged_at, l.pr_repo, l.pr_number`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[bugscope.IssueRef][]bugscope.Fix{}
	for rows.Next() {
		var (
			fx              bugscope.Fix
			created, merged sql.NullString
			add, del, files sql.NullInt64
		)
		if err := rows.Scan(&fx.Issue.Repo, &fx.Issue.Number, &created, &fx.PullRequest.Repo, &fx.PullRequest.Number,
			&fx.Source, &merged, &add, &del, &files); err != nil {
			return nil, err
		}
		fx.MergedAt = parseTime(merged)
		if add.Valid && del.Valid && files.Valid {
			fx.SizeKnown = true
			fx.Additions, fx.Deletions, fx.ChangedFiles = int(add.Int64), int(del.Int64), int(files.Int64)
		}
		if c := parseTime(created); c != nil && fx.MergedAt != nil && !fx.MergedAt.Before(*c) {
			fx.TimeToFix = fx.MergedAt.Sub(*c)
		}
		out[fx.Issue] = append(out[fx.Issue], fx)
	}
	return out, rows.Err()
}

// FixCounts counts the fix links, fixed issues, sized fixing pull requests
// and comments stored for repo.
func (d *DB) FixCounts(ctx context.Context, repo string) (bugscope.FixCounts, error) {
	var c bugscope.FixCounts
	err := d.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM fix_links WHERE repo = ?1),
		(SELECT COUNT(DISTINCT issue_number) FROM fix_links WHERE repo = ?1),
		(SELECT COUNT(*) FROM pull_requests p WHERE p.repo = ?1 AND p.size_fetched_at IS NOT NULL
			AND EXISTS (SELECT 1 FROM fix_links f WHERE f.pr_repo = p.repo AND f.pr_number = p.number)),
		(SELECT COUNT(*) FROM issue_comments WHERE repo = ?1)`, repo).
		Scan(&c.Links, &c.FixedIssues, &c.SizedPulls, &c.Comments)
	return c, err
}
