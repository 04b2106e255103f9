package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// fixture stores n issues (the first with a hostile title and body) in a
// fresh database and a sample "s" of them, and returns the service.
func fixture(t *testing.T, n int) (*study.Service, []bugscope.IssueRef) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tui.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var issues []bugscope.Issue
	var refs []bugscope.IssueRef
	for i := 1; i <= n; i++ {
		created := time.Date(2025, 5, i, 0, 0, 0, 0, time.UTC)
		is := bugscope.Issue{Repo: "acme/engine", Number: i, Title: fmt.Sprintf("[Bug] issue number %d", i),
			Body:  fmt.Sprintf("Line one of issue %d.\ntorch.OutOfMemoryError: CUDA out of memory on an A100\nvllm 0.6.3", i),
			State: "closed", Labels: []string{"bug"}, CreatedAt: &created, UpdatedAt: &created,
			URL: fmt.Sprintf("https://github.com/acme/engine/issues/%d", i)}
		if i == 1 {
			is.Title = "Crash \x1b[2J\x1b]0;pwned\x07 in \u202egnirts\u202c scheduler"
			is.Body = "before \x1b[31mred\x1b[0m after\x1b[?1049h\r\nnext line\x00\x07"
		}
		issues = append(issues, is)
		refs = append(refs, is.Ref())
	}
	if _, err := db.UpsertIssues(ctx, issues, nil); err != nil {
		t.Fatal(err)
	}
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	svc := study.New(db, tax)
	sm, err := svc.FromRefs("s", refs, "fixture")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Save(ctx, sm, false); err != nil {
		t.Fatal(err)
	}
	return svc, refs
}
