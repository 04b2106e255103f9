package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
)

const crashChildEnv = "BUGSCOPE_SQLITE_CRASH_CHILD"

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
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
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

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKilledMidTransaction$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "MID-TRANSACTION" {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatalf("child ended before the middle of its transaction; stderr:\n%s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not reach the middle of its transaction; stderr:\n%s", stderr.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

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
