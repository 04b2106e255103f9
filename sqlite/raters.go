package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/study"
)

var _ study.TeamStore = (*DB)(nil)

// CreateRater stores a rater, the samples they may annotate and their
// first sign-in link in one transaction.
func (d *DB) CreateRater(ctx context.Context, r study.Rater, link study.Secret) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM raters WHERE name = ?`, r.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return bugscope.Errorf(bugscope.EConflict, "rater %q exists already (bugscope rater link %s gives them a new sign-in link)", r.Name, r.Name)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO raters (name, admin, every_sample, created_at) VALUES (?,?,?,?)`, r.Name, r.Admin, r.EverySample, d.stamp(r.CreatedAt))
		if err != nil {
			return err
		}
		rid, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for _, s := range r.Samples {
			_, sid, err := getSample(ctx, tx, s)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO rater_samples (rater_id, sample_id) VALUES (?,?)`, rid, sid); err != nil {
				return err
			}
		}
		return insertLink(ctx, tx, d, rid, link)
	})
}

func insertLink(ctx context.Context, tx *sql.Tx, d *DB, rid int64, link study.Secret) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sign_in_links (hash, rater_id, created_at, expires_at) VALUES (?,?,?,?)`,
		link.Hash, rid, d.stamp(link.CreatedAt), d.stamp(link.ExpiresAt))
	return err
}

// raterID returns a rater's row id and whether they are revoked.
func raterID(ctx context.Context, q queryRower, name string) (int64, bool, error) {
	var id int64
	var revoked sql.NullString
	err := q.QueryRowContext(ctx, `SELECT id, revoked_at FROM raters WHERE name = ?`, name).Scan(&id, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, bugscope.Errorf(bugscope.ENotFound, "no rater %q (bugscope rater add %s creates one; bugscope rater list lists them)", name, name)
	}
	return id, revoked.Valid, err
}

// AddLink stores a new sign-in link for a rater and drops their unused
// ones.
func (d *DB) AddLink(ctx context.Context, rater string, link study.Secret) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		rid, revoked, err := raterID(ctx, tx, rater)
		if err != nil {
			return err
		}
		if revoked {
			return bugscope.Errorf(bugscope.EConflict, "rater %q was revoked: add the person again under another name", rater)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sign_in_links WHERE rater_id = ? AND used_at IS NULL`, rid); err != nil {
			return err
		}
		return insertLink(ctx, tx, d, rid, link)
	})
}

const raterColumns = `r.id, r.name, r.admin, r.every_sample, r.created_at, r.revoked_at,
	(SELECT MAX(used_at) FROM sign_in_links WHERE rater_id = r.id),
	(SELECT COUNT(*) FROM sessions WHERE rater_id = r.id AND expires_at > ?),
	(SELECT COUNT(*) FROM sign_in_links WHERE rater_id = r.id AND used_at IS NULL AND expires_at > ?)`

func optStamp(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseStamp(s.String)
	return &t
}

// raters returns the raters the condition selects, by name, with their
// samples.
func (d *DB) raters(ctx context.Context, q interface {
	queryRower
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, cond string, args ...any) ([]study.Rater, error) {
	now := d.stamp(d.now())
	rows, err := q.QueryContext(ctx, `SELECT `+raterColumns+` FROM raters r WHERE `+cond+` ORDER BY r.name`, append([]any{now, now}, args...)...)
	ids := map[int64]int{}
	out, err := collect(rows, err, func(rows *sql.Rows) (study.Rater, error) {
		var r study.Rater
		var id int64
		var created string
		var revoked, last sql.NullString
		if err := rows.Scan(&id, &r.Name, &r.Admin, &r.EverySample, &created, &revoked, &last, &r.Sessions, &r.PendingLinks); err != nil {
			return r, err
		}
		r.CreatedAt, r.RevokedAt, r.LastSignIn = parseStamp(created), optStamp(revoked), optStamp(last)
		r.Samples = []string{}
		ids[id] = len(ids)
		return r, nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	srows, err := q.QueryContext(ctx, `SELECT rs.rater_id, s.name FROM rater_samples rs JOIN samples s ON s.id = rs.sample_id`)
	if err != nil {
		return nil, err
	}
	defer srows.Close()
	for srows.Next() {
		var id int64
		var name string
		if err := srows.Scan(&id, &name); err != nil {
			return nil, err
		}
		if i, ok := ids[id]; ok {
			out[i].Samples = append(out[i].Samples, name)
		}
	}
	for i := range out {
		sort.Strings(out[i].Samples)
	}
	return out, srows.Err()
}

// GetRater returns one rater.
func (d *DB) GetRater(ctx context.Context, name string) (study.Rater, error) {
	rs, err := d.raters(ctx, d.db, `r.name = ?`, name)
	if err != nil {
		return study.Rater{}, err
	}
	if len(rs) == 0 {
		_, _, err := raterID(ctx, d.db, name)
		return study.Rater{}, err
	}
	return rs[0], nil
}

// Raters lists the raters by name.
func (d *DB) Raters(ctx context.Context) ([]study.Rater, error) {
	return d.raters(ctx, d.db, `1`)
}

// RevokeRater revokes a rater: their sessions and unused links are
// deleted in the same transaction, so that no request after it is theirs.
func (d *DB) RevokeRater(ctx context.Context, name string, at time.Time) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		rid, revoked, err := raterID(ctx, tx, name)
		if err != nil {
			return err
		}
		if !revoked {
			if _, err := tx.ExecContext(ctx, `UPDATE raters SET revoked_at = ? WHERE id = ?`, d.stamp(at), rid); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE rater_id = ?`, rid); err != nil {
			return err
		}
		// Used links stay, for the record of sign-ins.
		_, err = tx.ExecContext(ctx, `DELETE FROM sign_in_links WHERE rater_id = ? AND used_at IS NULL`, rid)
		return err
	})
}

// Redeem marks a sign-in link used and opens a session, in one
// transaction: of two requests with one link, one signs in.
func (d *DB) Redeem(ctx context.Context, linkHash string, session study.Secret, now time.Time) (study.Rater, error) {
	var name string
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var rid int64
		err := tx.QueryRowContext(ctx, `SELECT l.rater_id, r.name FROM sign_in_links l JOIN raters r ON r.id = l.rater_id
			WHERE l.hash = ? AND l.used_at IS NULL AND l.expires_at > ? AND r.revoked_at IS NULL`, linkHash, d.stamp(now)).Scan(&rid, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return bugscope.Errorf(bugscope.EUnauthorized, "no such sign-in link: unknown, used, expired or revoked")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sign_in_links SET used_at = ? WHERE hash = ?`, d.stamp(now), linkHash); err != nil {
			return err
		}
		// Expired sessions of anyone go at each sign-in: the table stays small.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, d.stamp(now)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions (hash, rater_id, created_at, expires_at) VALUES (?,?,?,?)`,
			session.Hash, rid, d.stamp(session.CreatedAt), d.stamp(session.ExpiresAt))
		return err
	})
	if err != nil {
		return study.Rater{}, err
	}
	return d.GetRater(ctx, name)
}

// SessionRater returns the rater of a live session.
func (d *DB) SessionRater(ctx context.Context, sessionHash string, now time.Time) (study.Rater, time.Time, error) {
	var name, expires string
	err := d.db.QueryRowContext(ctx, `SELECT r.name, s.expires_at FROM sessions s JOIN raters r ON r.id = s.rater_id
		WHERE s.hash = ? AND s.expires_at > ? AND r.revoked_at IS NULL`, sessionHash, d.stamp(now)).Scan(&name, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return study.Rater{}, time.Time{}, bugscope.Errorf(bugscope.EUnauthorized, "not signed in, or the session expired: open your sign-in link again, or ask the study's admin for a new one")
	}
	if err != nil {
		return study.Rater{}, time.Time{}, d.classify(err)
	}
	r, err := d.GetRater(ctx, name)
	return r, parseStamp(expires), err
}

// DeleteSession ends a session.
func (d *DB) DeleteSession(ctx context.Context, sessionHash string) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, sessionHash)
	return d.classify(err)
}
