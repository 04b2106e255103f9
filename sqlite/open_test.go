package sqlite

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/childproc"
)

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// A missing database is not created by a command that reads, nor by one
// that must find it.
func TestOpenMissing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "missing.db")
	for _, o := range []Options{{ReadOnly: true}, {MustExist: true}} {
		_, err := OpenWith(ctx, path, o)
		if bugscope.ErrorCode(err) != bugscope.ENotFound || !strings.Contains(fmt.Sprint(err), "no database at "+path) {
			t.Errorf("%+v: %v, want not found naming the path", o, err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Fatalf("%+v created the database", o)
		}
	}
}

// Opening for reading never writes the file, and a database whose schema
// is older than this program's is refused with the command that migrates
// it, not migrated; one whose schema is newer is refused by every mode.
func TestOpenSchemaVersions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	upsert(t, db, mk("a/b", 1, "kept", "2024-01-01T00:00:00Z"))
	latest := LatestSchema()
	// An older bugscope's database: without the newest migration.
	if err := db.UndoLatestMigration(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := fileHash(t, path)

	_, err = OpenWith(ctx, path, Options{ReadOnly: true})
	if bugscope.ErrorCode(err) != bugscope.EConflict || !strings.Contains(fmt.Sprint(err), "bugscope migrate") {
		t.Fatalf("reading an old schema: %v, want a conflict naming bugscope migrate", err)
	}
	if fileHash(t, path) != before {
		t.Fatal("opening for reading changed the file")
	}
	from, to, err := Migrate(ctx, path)
	if err != nil || from != latest-1 || to != latest {
		t.Fatalf("migrate: %d to %d, %v; want %d to %d", from, to, err, latest-1, latest)
	}
	ro, err := OpenWith(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reading after the migration: %v", err)
	}
	if is, err := ro.Issue(ctx, bugscope.IssueRef{Repo: "a/b", Number: 1}); err != nil || is.Title != "kept" {
		t.Fatalf("read %+v, %v", is, err)
	}
	// Migrating from before 00009 gives stored issues their text hash.
	if _, rows, err := ro.Rows(ctx, `SELECT text_hash FROM issues`); err != nil || len(rows) != 1 || rows[0][0] == "" {
		t.Fatalf("text hashes after the migration: %v, %v", rows, err)
	}
	if _, err := ro.UpsertIssues(ctx, []bugscope.Issue{mk("a/b", 2, "x", "")}, nil); bugscope.ErrorCode(err) != bugscope.EUnavailable {
		t.Errorf("writing through a read-only handle: %v, want unavailable", err)
	}
	ro.Close()

	// A newer bugscope's database.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)`, latest+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, o := range []Options{{}, {ReadOnly: true}, {MustExist: true}} {
		_, err := OpenWith(ctx, path, o)
		if bugscope.ErrorCode(err) != bugscope.EConflict || !strings.Contains(fmt.Sprint(err), "newer than this bugscope") {
			t.Errorf("%+v on a newer schema: %v, want a conflict", o, err)
		}
	}
}

// Damaged pages fail the open with a clear message, not a later query (or
// nothing).
func TestOpenDamagedPages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "damaged.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var batch []bugscope.Issue
	for i := 1; i <= 300; i++ {
		is := mk("a/b", i, fmt.Sprintf("issue %d", i), "2024-01-01T00:00:00Z")
		is.Body = strings.Repeat("a line of a report\n", 40)
		batch = append(batch, is)
	}
	upsert(t, db, batch...)
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	if st.Size() < 40*4096 {
		t.Fatalf("the database has only %d bytes", st.Size())
	}
	junk := []byte(strings.Repeat("\xde\xad\xbe\xef", 2*4096/4))
	if _, err := f.WriteAt(junk, 20*4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, o := range []Options{{}, {ReadOnly: true}} {
		_, err := OpenWith(ctx, path, o)
		if bugscope.ErrorCode(err) != bugscope.EInternal || !strings.Contains(fmt.Sprint(err), "is damaged") {
			t.Errorf("%+v: %v, want an error saying the database is damaged", o, err)
		}
	}
	if _, err := OpenWith(ctx, path, Options{CheckPages: -1}); err != nil {
		t.Errorf("without the check the database opens (the damage shows when read): %v", err)
	}
}

// Processes (and goroutines) creating one new database at once: the
// migrations run one process at a time, the others wait, and every one
// opens the database at the newest schema.
func TestOpenRaceCreatesOnce(t *testing.T) {
	if args, ok := childproc.Args(t); ok {
		raceChild(args[0], args[1])
		return
	}
	if runtime.GOOS == "windows" {
		t.Skip("the folder lock needs flock")
	}
	for round := range 4 {
		dir := t.TempDir()
		path := filepath.Join(dir, "race.db")
		start := time.Now().Add(300 * time.Millisecond)
		var kids []*childproc.Child
		for range 4 {
			kids = append(kids, childproc.Start(t, "TestOpenRaceCreatesOnce", path, start.Format(time.RFC3339Nano)))
		}
		// And goroutines of this process at the same moment.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Until(start))
				db, err := Open(context.Background(), path)
				if err == nil {
					db.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, c := range kids {
			if err := c.Wait(); err != nil {
				t.Errorf("round %d, process %d: %v\n%s", round, i, err, c.Output())
			}
		}
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, goroutine %d: %v", round, i, err)
			}
		}
		db, err := OpenWith(context.Background(), path, Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		v, _ := db.SchemaVersion(context.Background())
		db.Close()
		if v != LatestSchema() {
			t.Fatalf("round %d: schema %d", round, v)
		}
	}
}

func raceChild(path, at string) {
	start, _ := time.Parse(time.RFC3339Nano, at)
	time.Sleep(time.Until(start))
	db, err := Open(context.Background(), path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	db.Close()
	os.Exit(0)
}
