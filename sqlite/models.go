package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/bugscope/bugscope"
)

// SaveModel remembers a learned model for its taxonomy, replacing the one
// remembered before.
func (d *DB) SaveModel(ctx context.Context, m bugscope.StoredModel) error {
	if m.Taxonomy == "" || len(m.Data) == 0 {
		return bugscope.Errorf(bugscope.EInvalid, "a stored model needs a taxonomy and data")
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO classifier_models (taxonomy, version, source, model, stored_at) VALUES (?,?,?,?,?)
			ON CONFLICT (taxonomy) DO UPDATE SET version = excluded.version, source = excluded.source,
			model = excluded.model, stored_at = excluded.stored_at`,
			m.Taxonomy, m.Version, m.Source, m.Data, d.now().UTC().Format(timeLayout))
		return err
	})
}

// Model returns the model remembered for a taxonomy, or an ENotFound
// error.
func (d *DB) Model(ctx context.Context, taxonomy string) (bugscope.StoredModel, error) {
	m := bugscope.StoredModel{Taxonomy: taxonomy}
	var stored string
	err := d.db.QueryRowContext(ctx, `SELECT version, source, model, stored_at FROM classifier_models WHERE taxonomy = ?`, taxonomy).
		Scan(&m.Version, &m.Source, &m.Data, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return m, bugscope.Errorf(bugscope.ENotFound, "no model remembered for taxonomy %s", taxonomy)
	}
	if err != nil {
		return m, err
	}
	if t := parseTime(sql.NullString{String: stored, Valid: true}); t != nil {
		m.StoredAt = *t
	}
	return m, nil
}
