package mine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/github/githubtest"
	"github.com/bugscope/bugscope/sqlite"
)

// epoch is the fake clock's start; generated data lies in 2024.
var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

type env struct {
	t     *testing.T
	clock *githubtest.Clock
	srv   *githubtest.Server
	db    *sqlite.DB
	mu    sync.Mutex
	evs   []Event
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clock := githubtest.NewClock(epoch)
	srv := githubtest.New(clock)
	t.Cleanup(srv.Close)
	return &env{t: t, clock: clock, srv: srv, db: openDB(t, filepath.Join(t.TempDir(), "sync.db"), clock)}
}

func openDB(t *testing.T, path string, clock *githubtest.Clock) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetClock(clock.Now)
	t.Cleanup(func() { db.Close() })
	return db
}

// client returns a client of the fake server on the fake clock.
func (e *env) client(mod func(*github.Options)) *github.Client {
	e.t.Helper()
	o := github.Options{Token: "test-token", BaseURL: e.srv.URL, Clock: e.clock, Jitter: func() float64 { return 0.5 }}
	if mod != nil {
		mod(&o)
	}
	c, err := github.New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// sync runs a sync with a fresh client and fails the test on error.
func (e *env) sync(opt Options) Result {
	e.t.Helper()
	res, err := e.trySync(context.Background(), e.db, e.client(nil), opt)
	if err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	return res
}

func (e *env) trySync(ctx context.Context, db *sqlite.DB, c *github.Client, opt Options) (Result, error) {
	opt.Progress = func(ev Event) {
		e.mu.Lock()
		e.evs = append(e.evs, ev)
		e.mu.Unlock()
	}
	return Sync(ctx, db, c, opt)
}

// dump lists every row the sync writes, by natural key, without the
// surrogate ids and the times of storing: two databases holding the same
// data dump the same.
func dump(t *testing.T, db *sqlite.DB) string {
	t.Helper()
	queries := []string{
		`SELECT repo, number, title, body, labels, state, author_association, created_at, updated_at, closed_at,
			comments, reactions, url, is_pull_request, content_hash FROM issues ORDER BY repo, number`,
		`SELECT i.repo, i.number, l.label FROM issue_labels l JOIN issues i ON i.id = l.issue_id ORDER BY 1, 2, 3`,
		`SELECT repo, id, issue_number, author, author_association, body, created_at, updated_at, url FROM issue_comments ORDER BY repo, id`,
		`SELECT repo, number, merged_at, additions, deletions, changed_files, merge_commit, size_fetched_at IS NOT NULL FROM pull_requests ORDER BY repo, number`,
		`SELECT repo, issue_number, pr_repo, pr_number, source FROM fix_links ORDER BY 1, 2, 3, 4`,
		`SELECT repo, issue_number, state_reason, closed_at, timeline_checked_for FROM fix_search ORDER BY 1, 2`,
	}
	var b strings.Builder
	for _, q := range queries {
		cols, rows, err := db.Rows(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("## " + strings.Join(cols, ",") + "\n")
		for _, vals := range rows {
			for i, v := range vals {
				if i > 0 {
					b.WriteByte('|')
				}
				fmt.Fprint(&b, v)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// count runs a query for one number (0 when it returns no row).
func count(t *testing.T, db *sqlite.DB, query string, args ...any) int {
	t.Helper()
	_, rows, err := db.Rows(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || rows[0][0] == nil {
		return 0
	}
	n, ok := rows[0][0].(int64)
	if !ok {
		t.Fatalf("%s: %T, not a number", query, rows[0][0])
	}
	return int(n)
}

// firstDiff shows where two dumps part.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(la), len(lb))
}

func sqliteAll() bugscope.IssueFilter { return bugscope.IssueFilter{IncludePulls: true} }
