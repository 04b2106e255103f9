package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
)

func openSyncTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "sync.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func syncAt(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestSyncStateRoundTrip(t *testing.T) {
	db := openSyncTest(t)
	ctx := context.Background()
	st, err := db.SyncState(ctx, "a/b", "issues", "state=all")
	if err != nil || st.Repo != "a/b" || st.Cursor != nil || st.InPass {
		t.Fatalf("zero state %+v %v", st, err)
	}
	st.Cursor, st.InPass, st.PassSince, st.NextPage = syncAt("2025-01-02T03:04:05Z"), true, syncAt("2025-01-01T00:00:00Z"), 7
	st.LastSeen, st.MaxSeen = syncAt("2025-01-03T00:00:00Z"), syncAt("2025-01-04T00:00:00Z")
	st.Pages = []bugscope.PageMark{{Served: *syncAt("2026-01-01T00:00:00Z"), Boundary: *syncAt("2025-01-01T00:00:00Z"), Offset: true}}
	st.Repairs = []time.Time{*syncAt("2025-01-02T00:00:00Z")}
	st.ValidatorKey, st.ETag, st.LastModified, st.Items, st.Requests = "since=x", `W/"abc"`, "Mon, 02 Jan 2006 15:04:05 GMT", 1234, 13
	if err := db.SaveSyncState(ctx, st); err != nil {
		t.Fatal(err)
	}
	got, err := db.SyncState(ctx, "a/b", "issues", "state=all")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Cursor.Equal(*st.Cursor) || !got.InPass || got.NextPage != 7 || !got.LastSeen.Equal(*st.LastSeen) ||
		len(got.Pages) != 1 || !got.Pages[0].Offset || len(got.Repairs) != 1 || got.ETag != st.ETag || got.Items != 1234 {
		t.Errorf("round trip: %+v", got)
	}
	// Another query of the same repository is another cursor.
	if other, _ := db.SyncState(ctx, "a/b", "issues", "state=open"); other.Cursor != nil {
		t.Error("cursor shared between queries")
	}
	all, err := db.SyncStates(ctx)
	if err != nil || len(all) != 1 {
		t.Errorf("states %v %v", all, err)
	}
}

func TestCommentsKeepTheNewest(t *testing.T) {
	db := openSyncTest(t)
	ctx := context.Background()
	put := func(body, updated string) int {
		n, err := db.SaveCommentPage(ctx, "a/b", []bugscope.Comment{{Repo: "a/b", IssueNumber: 3, ID: 9, Body: body, UpdatedAt: syncAt(updated)}},
			func(map[int64]time.Time) (bugscope.SyncState, error) {
				return bugscope.SyncState{Repo: "a/b", Resource: "comments"}, nil
			})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if put("first", "2025-01-01T00:00:00Z") != 1 || put("first", "2025-01-01T00:00:00Z") != 0 {
		t.Error("an unchanged comment counted as changed")
	}
	if put("older", "2024-01-01T00:00:00Z") != 0 || put("edited", "2025-02-01T00:00:00Z") != 1 {
		t.Error("an older version replaced a newer one, or an edit was lost")
	}
	cs, err := db.Comments(ctx, bugscope.IssueRef{Repo: "a/b", Number: 3})
	if err != nil || len(cs) != 1 || cs[0].Body != "edited" {
		t.Errorf("comments %+v %v", cs, err)
	}
}

func TestFixes(t *testing.T) {
	db := openSyncTest(t)
	ctx := context.Background()
	issue := bugscope.Issue{Repo: "a/b", Number: 1, Title: "crash", State: "closed", CreatedAt: syncAt("2025-01-01T00:00:00Z")}
	if _, err := db.UpsertIssues(ctx, []bugscope.Issue{issue}, nil); err != nil {
		t.Fatal(err)
	}
	pr := bugscope.IssueRef{Repo: "a/b", Number: 5}
	state := func(map[int]time.Time) (bugscope.SyncState, error) {
		return bugscope.SyncState{Repo: "a/b", Resource: "issues"}, nil
	}
	_, err := db.SaveIssuePage(ctx, bugscope.IssuePage{Repo: "a/b",
		MergedPulls: []bugscope.MergedPull{{PR: pr, MergedAt: syncAt("2025-01-03T12:00:00Z")}},
		BodyFixes:   []bugscope.BodyFixes{{PullRequest: pr, Closes: []bugscope.IssueRef{issue.Ref(), {Repo: "a/b", Number: 2}}}}}, state)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := db.PullsNeedingSize(ctx, "a/b"); len(n) != 1 || n[0] != 5 {
		t.Errorf("needing size: %v", n)
	}
	fixes, err := db.Fixes(ctx, bugscope.IssueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	f := fixes[issue.Ref()]
	if len(fixes) != 1 || len(f) != 1 || f[0].SizeKnown || f[0].TimeToFix != 60*time.Hour || f[0].Source != bugscope.FixSourceBody {
		t.Fatalf("fixes %+v", fixes)
	}
	// The size arrives; the merge time from the listing stays.
	if err := db.SaveMergedPulls(ctx, []bugscope.MergedPull{{PR: pr, SizeKnown: true, Additions: 10, Deletions: 2, ChangedFiles: 1}}); err != nil {
		t.Fatal(err)
	}
	fixes, _ = db.Fixes(ctx, bugscope.IssueFilter{})
	if f := fixes[issue.Ref()][0]; !f.SizeKnown || f.LinesChanged() != 12 || f.MergedAt == nil {
		t.Errorf("sized fix %+v", f)
	}
	if n, _ := db.PullsNeedingSize(ctx, "a/b"); len(n) != 0 {
		t.Errorf("still needing size: %v", n)
	}
	// The description no longer closes #1.
	_, err = db.SaveIssuePage(ctx, bugscope.IssuePage{Repo: "a/b", BodyFixes: []bugscope.BodyFixes{{PullRequest: pr}}}, state)
	if err != nil {
		t.Fatal(err)
	}
	if fixes, _ := db.Fixes(ctx, bugscope.IssueFilter{}); len(fixes) != 0 {
		t.Errorf("fixes after the edit: %+v", fixes)
	}
}
