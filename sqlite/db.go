// Package sqlite stores bugscope's issues, classifications and study data in
// an embedded SQLite database, through the pure-Go driver modernc.org/sqlite.
// The schema is built by the versioned migrations in migrations/, applied by
// goose when a database is opened for writing, one process at a time.
//
// DB implements the stores the other packages define where they use them
// (study.Store, mine.Store, pipeline.Store). Transactions never leave this
// package: every method that writes is one transaction.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/bugscope/bugscope"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open bugscope database.
type DB struct {
	db       *sql.DB
	path     string
	readOnly bool
	// watch is the connection of DataVersion and RefreshSearch (search.go).
	watchMu     sync.Mutex
	watch       *sql.Conn
	lastVersion atomic.Int64
	// now is the clock used for stored times; tests replace it.
	now func() time.Time
}

// Options say how to open a database.
type Options struct {
	// ReadOnly opens an existing database for reading only: nothing is
	// written, nothing migrated. A database whose schema is older than this
	// program's is refused with the command that migrates it.
	ReadOnly bool
	// MustExist refuses to create a database: a missing file is an
	// ENotFound error. (ReadOnly implies it.)
	MustExist bool
	// CheckPages runs SQLite's quick_check on databases of at most this
	// many bytes (0: DefaultCheckPages; negative: never), so that damaged
	// pages fail the command at once with a clear message.
	CheckPages int64
}

// DefaultCheckPages bounds the databases whose pages are checked when
// opened: quick_check reads every page, a median 0.17 s for the 29 MB of
// the 4,019 real issues, classified (5 runs on a shared 2-core machine).
// Larger databases rely on SQLite's own errors when a query meets a
// damaged page.
const DefaultCheckPages = 64 << 20

// Open opens the database at path for reading and writing, creating it
// when it does not exist, and migrates it to the newest schema.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith opens the database at path as o says. WAL mode lets readers
// work beside a writer, and synchronous=NORMAL under WAL keeps every
// committed transaction safe from a process crash; BEGIN IMMEDIATE takes
// the write lock up front so that two writers wait for each other
// (busy_timeout) instead of failing. Migrations run under a lock of the
// database's folder: a second process opening the same new database waits
// for the first to build it, then uses it.
func OpenWith(ctx context.Context, path string, o Options) (*DB, error) {
	mustExist := o.MustExist || o.ReadOnly
	if mustExist {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, bugscope.Errorf(bugscope.ENotFound, "no database at %s (create one with bugscope import or bugscope sync)", path)
		}
	}
	q := url.Values{}
	pragmas := []string{"busy_timeout(10000)", "foreign_keys(1)"}
	if !o.ReadOnly {
		pragmas = append(pragmas, "journal_mode(WAL)", "synchronous(NORMAL)")
	}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	switch {
	case o.ReadOnly:
		q.Set("mode", "ro")
	case mustExist:
		q.Set("mode", "rw") // SQLite would create a missing file
	}
	d, err := open(ctx, path, q, o)
	if err != nil && o.ReadOnly && cannotShareWAL(err) {
		// A WAL database in a folder this user may not write: SQLite
		// cannot make the files readers share (-shm, -wal), so it is read
		// as immutable. A writer's changes made meanwhile are not seen.
		q.Set("immutable", "1")
		d, err = open(ctx, path, q, o)
	}
	return d, err
}

func open(ctx context.Context, path string, q url.Values, o Options) (*DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	d := &DB{db: sqldb, path: path, readOnly: o.ReadOnly, now: time.Now}
	if !o.ReadOnly {
		// The first connection of a writer switches a new file to WAL and
		// migrates it; SQLite answers a second process doing the same at
		// that moment with SQLITE_BUSY without waiting (the journal-mode
		// change takes no busy handler), so writers open one at a time.
		unlock, err := lockDir(ctx, filepath.Dir(path))
		if err != nil {
			sqldb.Close()
			return nil, err
		}
		defer unlock()
	}
	if err := d.prepare(ctx, o); err != nil {
		sqldb.Close()
		return nil, err
	}
	return d, nil
}

// cannotShareWAL reports whether opening failed for want of the WAL's
// shared files: SQLITE_READONLY_CANTINIT or _DIRECTORY, or SQLITE_CANTOPEN.
func cannotShareWAL(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case 8 | 5<<8, 8 | 6<<8, 14:
		return true
	}
	return false
}

// prepare checks the schema version, migrates when writing, and checks the
// pages of a small database.
func (d *DB) prepare(ctx context.Context, o Options) error {
	have, err := d.SchemaVersion(ctx)
	if err != nil {
		return d.classify(fmt.Errorf("database %s: %w", d.path, err))
	}
	want := LatestSchema()
	switch {
	case have > want:
		return bugscope.Errorf(bugscope.EConflict, "database %s has schema version %d, newer than this bugscope knows (%d): use a newer bugscope", d.path, have, want)
	case have < want && d.readOnly:
		return bugscope.Errorf(bugscope.EConflict, "database %s has schema version %d and this bugscope reads version %d: run bugscope migrate --db %s (or any command that writes, such as bugscope classify) to upgrade it", d.path, have, want, d.path)
	case have < want:
		if err := d.migrate(ctx); err != nil {
			return d.classify(fmt.Errorf("database %s: %w", d.path, err))
		}
	}
	limit := o.CheckPages
	if limit == 0 {
		limit = DefaultCheckPages
	}
	if fi, err := os.Stat(d.path); err == nil && limit > 0 && fi.Size() <= limit {
		return d.QuickCheck(ctx)
	}
	return nil
}

// migrate applies the pending migrations. It runs under the folder's lock
// (open), so two processes never migrate one database at once; the second
// finds the work done.
func (d *DB) migrate(ctx context.Context) error {
	p, err := d.migrations()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return d.backfillTextHash(ctx)
}

// UndoLatestMigration runs the Down part of the newest migration, making
// the database one of the bugscope before it: for tests of older
// databases.
func (d *DB) UndoLatestMigration(ctx context.Context) error {
	p, err := d.migrations()
	if err != nil {
		return err
	}
	_, err = p.Down(ctx)
	return err
}

// migrations is goose's provider of the embedded migrations over d.
func (d *DB) migrations() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, d.db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Migrate brings the database at path to the newest schema (OpenWith does
// it for a database opened for writing) and returns the versions before
// and after.
func Migrate(ctx context.Context, path string) (before, after int64, err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, 0, bugscope.Errorf(bugscope.ENotFound, "no database at %s (create one with bugscope import or bugscope sync)", path)
	}
	sqldb, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return 0, 0, err
	}
	peek := &DB{db: sqldb, path: path, readOnly: true}
	before, err = peek.SchemaVersion(ctx)
	sqldb.Close()
	if err != nil {
		return 0, 0, peek.classify(fmt.Errorf("database %s: %w", path, err))
	}
	d, err := OpenWith(ctx, path, Options{MustExist: true})
	if err != nil {
		return before, 0, err
	}
	defer d.Close()
	after, err = d.SchemaVersion(ctx)
	return before, after, err
}

// LatestSchema is the newest schema version this program knows: that of
// its last migration.
func LatestSchema() int64 {
	ents, _ := fs.ReadDir(migrations, "migrations")
	var latest int64
	for _, e := range ents {
		num, _, _ := strings.Cut(e.Name(), "_")
		if v, err := strconv.ParseInt(num, 10, 64); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}

// SchemaVersion returns the newest applied migration, 0 for a database
// that has none (a new file).
func (d *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	var v int64
	err := d.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v)
	return v, err
}

// QuickCheck runs SQLite's quick_check (every page read, the structure of
// each b-tree checked): a damaged database is an error naming the first
// problems.
func (d *DB) QuickCheck(ctx context.Context) error {
	rows, err := d.db.QueryContext(ctx, `PRAGMA quick_check(5)`)
	if err != nil {
		return d.classify(fmt.Errorf("database %s: %w", d.path, err))
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return d.classify(fmt.Errorf("database %s: %w", d.path, err))
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return d.classify(fmt.Errorf("database %s: %w", d.path, err))
	}
	if len(problems) > 0 {
		return bugscope.Errorf(bugscope.EInternal, "database %s is damaged (%s): restore it from a backup, or build a new one with bugscope import or sync", d.path, strings.Join(problems, "; "))
	}
	return nil
}

// classify gives SQLite's errors their kinds, with a word on what to do:
// a locked, read-only or full database is unavailable, a damaged one an
// internal failure. Errors that have a kind keep it.
func (d *DB) classify(err error) error {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	if code := bugscope.ErrorCode(err); code != bugscope.EInternal {
		return err
	}
	switch se.Code() & 0xff {
	case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
		return bugscope.Errorf(bugscope.EUnavailable, "database %s is busy: another process holds it (%w); try again when it is done", d.path, se)
	case 8: // SQLITE_READONLY
		return bugscope.Errorf(bugscope.EUnavailable, "database %s cannot be written (%w): check the file's and its folder's permissions", d.path, se)
	case 13: // SQLITE_FULL
		return bugscope.Errorf(bugscope.EUnavailable, "database %s: the disk is full (%w)", d.path, se)
	case 14: // SQLITE_CANTOPEN
		return bugscope.Errorf(bugscope.EUnavailable, "database %s cannot be opened (%w)", d.path, se)
	case 11, 26: // SQLITE_CORRUPT, SQLITE_NOTADB
		return bugscope.Errorf(bugscope.EInternal, "database %s is damaged or not a database (%w): restore it from a backup, or build a new one with bugscope import or sync", d.path, se)
	}
	return err
}

// Close closes the database.
func (d *DB) Close() error {
	d.watchMu.Lock()
	if d.watch != nil {
		d.watch.Close()
		d.watch = nil
	}
	d.watchMu.Unlock()
	return d.db.Close()
}

// Path returns the file the database lives in.
func (d *DB) Path() string { return d.path }

// ReadOnly reports whether the database was opened for reading only.
func (d *DB) ReadOnly() bool { return d.readOnly }

// SetClock replaces the clock used for stored times (tests).
func (d *DB) SetClock(now func() time.Time) { d.now = now }

// Rows runs a query that only reads and returns its columns and rows, for
// tests and diagnostics that look at the tables directly.
func (d *DB) Rows(ctx context.Context, query string, args ...any) ([]string, [][]any, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		out = append(out, vals)
	}
	return cols, out, rows.Err()
}

// Tables lists the database's tables, for diagnostics.
func (d *DB) Tables(ctx context.Context) ([]string, error) {
	_, rows, err := d.Rows(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r[0]))
	}
	sort.Strings(out)
	return out, err
}

// inTx runs fn in one transaction: committed when fn returns nil, rolled
// back otherwise, so a failure leaves the database as it was.
func (d *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return d.classify(err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback() // a panic must not leave the database locked
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		tx.Rollback()
		return d.classify(err)
	}
	return d.classify(tx.Commit())
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
