// Package sqlite stores bugscope's issues, classifications and study data in
// an embedded SQLite database, through the pure-Go driver modernc.org/sqlite.
// The schema is built by the versioned migrations in migrations/, applied by
// goose when the database is opened.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open bugscope database.
type DB struct {
	db   *sql.DB
	path string
	// now is the clock used for stored times; tests replace it.
	now func() time.Time
}

// Open opens (creating if needed) the database at path and migrates it to
// the newest schema. WAL mode lets readers work beside a writer, and
// synchronous=NORMAL under WAL keeps every committed transaction safe from a
// process crash; BEGIN IMMEDIATE takes the write lock up front so that two
// writers wait for each other (busy_timeout) instead of failing.
func Open(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	d := &DB{db: sqldb, path: path, now: time.Now}
	if err := d.migrate(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return d, nil
}

func (d *DB) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, d.db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// SchemaVersion returns the newest applied migration.
func (d *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var v int64
	err := d.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v)
	return v, err
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Path returns the file the database lives in.
func (d *DB) Path() string { return d.path }

// SQL exposes the underlying handle for packages that keep their own tables
// in this database (added by their own migrations).
func (d *DB) SQL() *sql.DB { return d.db }

// SetClock replaces the clock used for stored times (tests).
func (d *DB) SetClock(now func() time.Time) { d.now = now }

// inTx runs fn in one transaction: committed when fn returns nil, rolled
// back otherwise, so a failure leaves the database as it was.
func (d *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

const timeLayout = "2006-01-02T15:04:05Z"

// formatTime stores times in UTC with a fixed layout, so that text order is
// time order.
func formatTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s.String)
	if err != nil {
		return nil
	}
	return &t
}
