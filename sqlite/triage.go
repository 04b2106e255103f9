package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/triage"
)

var _ triage.Store = (*DB)(nil)
var _ triage.Issues = (*DB)(nil)

// EnqueueDelivery stores a webhook delivery as pending, once per
// delivery id.
func (d *DB) EnqueueDelivery(ctx context.Context, dl triage.Delivery) (bool, error) {
	var dup bool
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (delivery_id, event, action, repo, number, payload, state, received_at)
			VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (delivery_id) DO NOTHING`,
			dl.DeliveryID, dl.Event, dl.Action, dl.Issue.Repo, dl.Issue.Number, dl.Payload, d.stamp(d.now()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		dup = n == 0
		return err
	})
	return dup, err
}

const deliveryCols = `id, delivery_id, event, action, repo, number, payload, state, attempts, error, received_at`

func scanDelivery(r rowScanner) (triage.Delivery, error) {
	var dl triage.Delivery
	var at string
	err := r.Scan(&dl.ID, &dl.DeliveryID, &dl.Event, &dl.Action, &dl.Issue.Repo, &dl.Issue.Number, &dl.Payload, &dl.State, &dl.Attempts, &dl.Error, &at)
	dl.ReceivedAt = parseStamp(at)
	return dl, err
}

// ClaimDelivery marks the oldest pending delivery working and returns it.
func (d *DB) ClaimDelivery(ctx context.Context) (triage.Delivery, bool, error) {
	var dl triage.Delivery
	found := false
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET state = 'working', attempts = attempts + 1
			WHERE id = (SELECT id FROM webhook_deliveries WHERE state = 'pending' ORDER BY id LIMIT 1)
			RETURNING `+deliveryCols)
		var err error
		dl, err = scanDelivery(row)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	return dl, found, err
}

// RequeueWorking puts deliveries left working (by a crash or a stop)
// back in the queue.
func (d *DB) RequeueWorking(ctx context.Context) (int, error) {
	var n int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = 'pending' WHERE state = 'working'`)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// FinishDelivery records a delivery's outcome.
func (d *DB) FinishDelivery(ctx context.Context, id int64, state, errText string) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var done any
		if state != triage.DeliveryPending {
			done = d.stamp(d.now())
		}
		_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = ?, error = ?, done_at = ? WHERE id = ?`, state, bound(errText, 2000), done, id)
		return err
	})
}

// PruneDeliveries empties the payloads of deliveries done (or failed)
// before t, keeping their rows: a redelivery of one is still known. It
// returns how many it emptied.
func (d *DB) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET payload = x'' WHERE state IN ('done', 'failed', 'ignored')
			AND done_at < ? AND length(payload) > 0`, d.stamp(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// Deliveries returns the newest deliveries, newest first.
func (d *DB) Deliveries(ctx context.Context, limit int) ([]triage.Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := d.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries ORDER BY id DESC LIMIT ?`, limit)
	return collect(rows, err, func(r *sql.Rows) (triage.Delivery, error) { return scanDelivery(r) })
}

func bound(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// SaveDecision stores an issue's latest triage decision.
func (d *DB) SaveDecision(ctx context.Context, dec triage.Decision) error {
	b, err := json.Marshal(dec)
	if err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO triage_decisions (repo, number, mode, taxonomy, classifier, decision, decided_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, number) DO UPDATE SET mode = excluded.mode, taxonomy = excluded.taxonomy,
			classifier = excluded.classifier, decision = excluded.decision, decided_at = excluded.decided_at`,
			dec.Issue.Repo, dec.Issue.Number, dec.Mode, dec.Taxonomy, dec.Classifier, string(b), d.stamp(dec.DecidedAt))
		return err
	})
}

// Decision returns an issue's latest decision, or an ENotFound error.
func (d *DB) Decision(ctx context.Context, ref bugscope.IssueRef) (triage.Decision, error) {
	var s string
	err := d.db.QueryRowContext(ctx, `SELECT decision FROM triage_decisions WHERE repo = ? AND number = ?`, ref.Repo, ref.Number).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return triage.Decision{}, bugscope.Errorf(bugscope.ENotFound, "%s has not been triaged", ref)
	}
	if err != nil {
		return triage.Decision{}, err
	}
	var dec triage.Decision
	return dec, json.Unmarshal([]byte(s), &dec)
}

// Decisions returns the latest decisions of repos (all when empty),
// newest first.
func (d *DB) Decisions(ctx context.Context, repos []string, limit int) ([]triage.Decision, error) {
	q := `SELECT decision FROM triage_decisions`
	var args []any
	if len(repos) > 0 {
		q += ` WHERE repo IN (` + placeholders(len(repos)) + `)`
		for _, r := range repos {
			args = append(args, r)
		}
	}
	q += ` ORDER BY decided_at DESC, repo, number`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	return collect(rows, err, func(r *sql.Rows) (triage.Decision, error) {
		var s string
		var dec triage.Decision
		if err := r.Scan(&s); err != nil {
			return dec, err
		}
		return dec, json.Unmarshal([]byte(s), &dec)
	})
}

// StartAction records a GitHub call before it is made (or a dry-run's
// call that is not).
func (d *DB) StartAction(ctx context.Context, a triage.Action) (int64, error) {
	var id int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var fin any
		if a.State != "started" {
			fin = d.stamp(d.now())
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO triage_actions (repo, number, delivery_id, mode, call, request, state, result, created_at, finished_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.Issue.Repo, a.Issue.Number, a.DeliveryID, a.Mode, a.Call, a.Request, a.State, a.Result, d.stamp(d.now()), fin)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// FinishAction records a call's outcome.
func (d *DB) FinishAction(ctx context.Context, id int64, state, result string) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE triage_actions SET state = ?, result = ?, finished_at = ? WHERE id = ?`, state, bound(result, 2000), d.stamp(d.now()), id)
		return err
	})
}

// Actions returns the calls made for an issue (all issues when ref is
// zero), oldest first.
func (d *DB) Actions(ctx context.Context, ref bugscope.IssueRef) ([]triage.Action, error) {
	q := `SELECT id, repo, number, delivery_id, mode, call, request, state, result, created_at FROM triage_actions`
	var args []any
	if ref.Repo != "" {
		q += ` WHERE repo = ? AND number = ?`
		args = []any{ref.Repo, ref.Number}
	}
	rows, err := d.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	return collect(rows, err, func(r *sql.Rows) (triage.Action, error) {
		var a triage.Action
		var at string
		err := r.Scan(&a.ID, &a.Issue.Repo, &a.Issue.Number, &a.DeliveryID, &a.Mode, &a.Call, &a.Request, &a.State, &a.Result, &at)
		a.CreatedAt = parseStamp(at)
		return a, err
	})
}

// Applied returns the labels bugscope applied to an issue.
func (d *DB) Applied(ctx context.Context, ref bugscope.IssueRef) ([]triage.Applied, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT label, dimension, value, applied_at FROM triage_applied WHERE repo = ? AND number = ? ORDER BY label`, ref.Repo, ref.Number)
	return collect(rows, err, func(r *sql.Rows) (triage.Applied, error) {
		var a triage.Applied
		var at string
		err := r.Scan(&a.Label, &a.Dimension, &a.Value, &at)
		a.AppliedAt = parseStamp(at)
		return a, err
	})
}

// SaveApplied records labels bugscope applied.
func (d *DB) SaveApplied(ctx context.Context, ref bugscope.IssueRef, labels []triage.Applied) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		for _, a := range labels {
			if _, err := tx.ExecContext(ctx, `INSERT INTO triage_applied (repo, number, label, dimension, value, applied_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT DO NOTHING`, ref.Repo, ref.Number, a.Label, a.Dimension, a.Value, d.stamp(a.AppliedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

// AppliedCounts counts the labels bugscope applied, by repository and
// label.
func (d *DB) AppliedCounts(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT repo, label, COUNT(*) FROM triage_applied GROUP BY repo, label`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var repo, label string
		var n int
		if err := rows.Scan(&repo, &label, &n); err != nil {
			return nil, err
		}
		if out[repo] == nil {
			out[repo] = map[string]int{}
		}
		out[repo][label] = n
	}
	return out, rows.Err()
}

// TriageComment returns bugscope's comment on an issue (id 0: none).
func (d *DB) TriageComment(ctx context.Context, ref bugscope.IssueRef) (int64, string, error) {
	var id int64
	var hash string
	err := d.db.QueryRowContext(ctx, `SELECT comment_id, body_hash FROM triage_comments WHERE repo = ? AND number = ?`, ref.Repo, ref.Number).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return id, hash, err
}

// SaveTriageComment records bugscope's comment on an issue.
func (d *DB) SaveTriageComment(ctx context.Context, ref bugscope.IssueRef, id int64, hash string) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO triage_comments (repo, number, comment_id, body_hash, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (repo, number) DO UPDATE SET comment_id = excluded.comment_id, body_hash = excluded.body_hash, updated_at = excluded.updated_at`,
			ref.Repo, ref.Number, id, hash, d.stamp(d.now()))
		return err
	})
}

// SaveFeedback stores maintainers' label changes (once per delivery,
// action and label).
func (d *DB) SaveFeedback(ctx context.Context, fs []triage.Feedback) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		for _, f := range fs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO triage_feedback (repo, number, delivery_id, action, label, dimension, value, actor, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, f.Issue.Repo, f.Issue.Number, f.DeliveryID, f.Action, f.Label,
				f.Dimension, f.Value, f.Actor, d.stamp(f.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Feedback returns maintainers' label changes in repos (all when empty),
// oldest first.
func (d *DB) Feedback(ctx context.Context, repos []string) ([]triage.Feedback, error) {
	q := `SELECT repo, number, delivery_id, action, label, dimension, value, actor, created_at FROM triage_feedback`
	var args []any
	if len(repos) > 0 {
		q += ` WHERE repo IN (` + placeholders(len(repos)) + `)`
		for _, r := range repos {
			args = append(args, r)
		}
	}
	rows, err := d.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	return collect(rows, err, func(r *sql.Rows) (triage.Feedback, error) {
		var f triage.Feedback
		var at string
		err := r.Scan(&f.Issue.Repo, &f.Issue.Number, &f.DeliveryID, &f.Action, &f.Label, &f.Dimension, &f.Value, &f.Actor, &at)
		f.CreatedAt = parseStamp(at)
		return f, err
	})
}

// SaveGate stores a go-live check and returns its id.
func (d *DB) SaveGate(ctx context.Context, g triage.GateResult) (int64, error) {
	var id int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(check_id), 0) + 1 FROM triage_gate`).Scan(&id); err != nil {
			return err
		}
		for _, l := range g.Labels {
			if _, err := tx.ExecContext(ctx, `INSERT INTO triage_gate (check_id, repo, label, dimension, value, gold, examples, predicted, correct, scored, pass, checked_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, l.Entry, l.Label, l.Dimension, l.Value, g.Gold, l.Examples, l.Predicted, l.Correct, l.Scored, l.Pass,
				d.stamp(g.CheckedAt)); err != nil {
				return err
			}
		}
		if len(g.Labels) == 0 {
			return bugscope.Errorf(bugscope.EInvalid, "the check measured no label: the configuration maps none")
		}
		return nil
	})
	return id, err
}

// LatestGate returns the newest go-live check, or an ENotFound error.
func (d *DB) LatestGate(ctx context.Context) (triage.GateResult, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT check_id, repo, label, dimension, value, gold, examples, predicted, correct, scored, pass, checked_at
		FROM triage_gate WHERE check_id = (SELECT MAX(check_id) FROM triage_gate) ORDER BY repo, label`)
	if err != nil {
		return triage.GateResult{}, err
	}
	defer rows.Close()
	var g triage.GateResult
	for rows.Next() {
		var l triage.GateLabel
		var at string
		if err := rows.Scan(&g.ID, &l.Entry, &l.Label, &l.Dimension, &l.Value, &g.Gold, &l.Examples, &l.Predicted, &l.Correct, &l.Scored, &l.Pass, &at); err != nil {
			return g, err
		}
		g.CheckedAt = parseStamp(at)
		g.Labels = append(g.Labels, l)
	}
	if err := rows.Err(); err != nil {
		return g, err
	}
	if g.ID == 0 {
		return g, bugscope.Errorf(bugscope.ENotFound, "no go-live check yet: run bugscope triage check --gold FILE.jsonl")
	}
	return g, nil
}

// SimilarCandidates returns repo's stored issues with their error signatures and
// exceptions, for similar-issue search.
func (d *DB) SimilarCandidates(ctx context.Context, repo string) ([]triage.Candidate, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, number, title, state, url, created_at FROM issues WHERE repo = ? AND is_pull_request = 0 ORDER BY number`, repo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []triage.Candidate
	byID := map[int64]int{}
	for rows.Next() {
		var c triage.Candidate
		var id int64
		var created sql.NullString
		if err := rows.Scan(&id, &c.Issue.Number, &c.Title, &c.State, &c.URL, &created); err != nil {
			return nil, err
		}
		c.Issue.Repo = repo
		c.CreatedAt = parseTime(created)
		byID[id] = len(out)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	srows, err := d.db.QueryContext(ctx, `SELECT s.issue_id, s.kind, s.value FROM signals s JOIN issues i ON i.id = s.issue_id
		WHERE i.repo = ? AND s.kind IN (?, ?)`, repo, bugscope.SignalErrorSignature, bugscope.SignalException)
	if err != nil {
		return nil, err
	}
	defer srows.Close()
	for srows.Next() {
		var id int64
		var kind, value string
		if err := srows.Scan(&id, &kind, &value); err != nil {
			return nil, err
		}
		i, ok := byID[id]
		if !ok {
			continue
		}
		if kind == bugscope.SignalErrorSignature {
			out[i].Signatures = append(out[i].Signatures, value)
		} else {
			out[i].Exceptions = append(out[i].Exceptions, value)
		}
	}
	return out, srows.Err()
}

// LastTriageRun returns when `triage --new` last ran for repo.
func (d *DB) LastTriageRun(ctx context.Context, repo string) (*time.Time, error) {
	var s string
	err := d.db.QueryRowContext(ctx, `SELECT ran_at FROM triage_runs WHERE repo = ?`, repo).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t := parseStamp(s)
	return &t, nil
}

// SaveTriageRun records a `triage --new` run.
func (d *DB) SaveTriageRun(ctx context.Context, repo string, at time.Time) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO triage_runs (repo, ran_at) VALUES (?, ?) ON CONFLICT (repo) DO UPDATE SET ran_at = excluded.ran_at`, repo, d.stamp(at))
		return err
	})
}

// IssuesChangedSince lists the issues of repo stored (imported, synced or
// received) or updated on GitHub since t (all when nil), for `triage
// --new`.
func (d *DB) IssuesChangedSince(ctx context.Context, repo string, t *time.Time) ([]bugscope.IssueRef, error) {
	q := `SELECT number FROM issues WHERE repo = ? AND is_pull_request = 0`
	args := []any{repo}
	if t != nil {
		// stored_at is written to the millisecond (earlier versions wrote
		// whole seconds): both forms are compared as milliseconds, so an
		// issue stored in the same second as the last run, before it
		// started, is not taken again, and none stored after it is lost.
		q += ` AND (strftime('%Y-%m-%dT%H:%M:%fZ', stored_at) >= ? OR updated_at >= ?)`
		args = append(args, t.UTC().Format(answerLayout), formatTime(t))
	}
	rows, err := d.db.QueryContext(ctx, q+` ORDER BY number`, args...)
	return collect(rows, err, func(r *sql.Rows) (bugscope.IssueRef, error) {
		ref := bugscope.IssueRef{Repo: repo}
		return ref, r.Scan(&ref.Number)
	})
}

// Now is the database's clock, that of stored_at: `triage --new` dates its
// runs by it.
func (d *DB) Now() time.Time { return d.now() }
