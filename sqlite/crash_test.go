package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/childproc"
)

// crashBatch is large enough (about 4 MiB of bodies) for SQLite to spill
// uncommitted pages into the WAL before the child is killed.
func crashBatch() []bugscope.Issue {
	body := strings.Repeat("a report line that fills pages of the database file\n", 400)
	var out []bugscope.Issue
	for i := 1; i <= 200; i++ {
		out = append(out, mk("crash/test", i, fmt.Sprintf("issue %d", i), "2024-06-01T00:00:00Z", "bug", fmt.Sprint("l", i)))
		out[len(out)-1].Body = body
	}
	return out
}

// TestCrashKilledMidTransaction runs a child process that stores a batch and
// is killed with SIGKILL in the middle of the transaction: the database must
// open afterwards with exactly what was committed before.
func TestCrashKilledMidTransaction(t *testing.T) {
	if args, ok := childproc.Args(t); ok {
		crashChild(args[0])
		return
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL semantics")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	upsert(t, db, mk("crash/test", 1, "committed before", "2024-01-01T00:00:00Z", "before"))
	db.Close()

	c := childproc.Start(t, "TestCrashKilledMidTransaction", path)
	c.WaitLine(t, regexp.MustCompile(`^MID-TRANSACTION$`), 30*time.Second)
	c.Kill()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer db.Close()
	var check string
	if err := db.db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
	if n := countAll(t, db); n != 1 {
		t.Errorf("issues after crash = %d, want 1 (the batch must not be half applied)", n)
	}
	is, err := db.Issue(ctx, bugscope.IssueRef{Repo: "crash/test", Number: 1})
	if err != nil || is.Title != "committed before" {
		t.Errorf("issue 1 after crash = %+v, %v", is, err)
	}
	if n := countRows(t, db, "issue_labels"); n != 1 {
		t.Errorf("label rows after crash = %d, want 1", n)
	}
}

// crashChild stores crashBatch and, two thirds in, reports and waits to be killed.
func crashChild(path string) {
	db, err := Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	n := 0
	_, err = db.UpsertIssues(context.Background(), crashBatch(), func() {
		n++
		if n == 150 {
			fmt.Println("MID-TRANSACTION")
			os.Stdout.Sync()
			time.Sleep(time.Minute) // killed here
		}
	})
	fmt.Fprintln(os.Stderr, "child was not killed:", err)
	os.Exit(3)
}
