package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
)

var clock = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// openTest opens a fresh database in a temporary directory with a fixed clock.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "bugscope.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetClock(func() time.Time { return clock })
	t.Cleanup(func() { db.Close() })
	return db
}

func tp(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// mk builds an issue; updated is RFC 3339 or "" for none.
func mk(repo string, n int, title, updated string, labels ...string) bugscope.Issue {
	return bugscope.Issue{
		Repo: repo, Number: n, Title: title, Body: "body of " + title, Labels: labels, State: "open",
		CreatedAt: tp("2024-01-01T00:00:00Z"), UpdatedAt: tp(updated),
		URL: fmt.Sprintf("https://github.com/%s/issues/%d", repo, n),
	}
}

func upsert(t testing.TB, db *DB, issues ...bugscope.Issue) bugscope.UpsertStats {
	t.Helper()
	st, err := db.UpsertIssues(context.Background(), issues, nil)
	if err != nil {
		t.Fatalf("UpsertIssues: %v", err)
	}
	return st
}

func countAll(t testing.TB, db *DB) int {
	t.Helper()
	var n int
	if err := db.db.QueryRow(`SELECT COUNT(*) FROM issues`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v; want >= 1", v, err)
	}
	var mode string
	if err := db.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := db.db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
	upsert(t, db, mk("a/b", 1, "kept", "2024-02-01T00:00:00Z"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Opening again applies nothing new and keeps the data.
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer db2.Close()
	v2, err := db2.SchemaVersion(ctx)
	if err != nil || v2 != v {
		t.Errorf("SchemaVersion after reopen = %d, %v; want %d", v2, err, v)
	}
	if n := countAll(t, db2); n != 1 {
		t.Errorf("issues after reopen = %d, want 1", n)
	}

	// A path in a missing directory fails cleanly.
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")); err == nil {
		t.Errorf("Open in a missing directory succeeded")
	}
}

func TestUpsertSemantics(t *testing.T) {
	const (
		t1 = "2024-05-01T10:00:00Z"
		t2 = "2024-05-02T10:00:00Z"
	)
	cases := []struct {
		name      string
		stored    *bugscope.Issue // nil: nothing stored before
		incoming  bugscope.Issue
		want      bugscope.UpsertStats
		wantTitle string
	}{
		{"new", nil, mk("o/r", 1, "new", t1), bugscope.UpsertStats{Inserted: 1}, "new"},
		{"identical", ptr(mk("o/r", 1, "same", t1)), mk("o/r", 1, "same", t1), bugscope.UpsertStats{Unchanged: 1}, "same"},
		{"newer updated_at", ptr(mk("o/r", 1, "old", t1)), mk("o/r", 1, "new", t2), bugscope.UpsertStats{Updated: 1}, "new"},
		{"same updated_at, changed content", ptr(mk("o/r", 1, "old", t1)), mk("o/r", 1, "new", t1), bugscope.UpsertStats{Updated: 1}, "new"},
		{"older updated_at", ptr(mk("o/r", 1, "stored", t2)), mk("o/r", 1, "older", t1), bugscope.UpsertStats{Stale: 1}, "stored"},
		{"incoming without updated_at", ptr(mk("o/r", 1, "stored", t1)), mk("o/r", 1, "undated", ""), bugscope.UpsertStats{Stale: 1}, "stored"},
		{"stored without updated_at", ptr(mk("o/r", 1, "undated", "")), mk("o/r", 1, "dated", t1), bugscope.UpsertStats{Updated: 1}, "dated"},
		{"both without updated_at", ptr(mk("o/r", 1, "first", "")), mk("o/r", 1, "second", ""), bugscope.UpsertStats{Updated: 1}, "second"},
		{"other number is new", ptr(mk("o/r", 1, "one", t1)), mk("o/r", 2, "two", t1), bugscope.UpsertStats{Inserted: 1}, "two"},
		{"other repo is new", ptr(mk("o/r", 1, "one", t1)), mk("o/s", 1, "other", t1), bugscope.UpsertStats{Inserted: 1}, "other"},
	}
	// One database for all cases (opening one costs an fsync); each case
	// works in a repository of its own.
	db := openTest(t)
	ctx := context.Background()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			owner := fmt.Sprintf("case%d/", i)
			tc.incoming.Repo = owner + tc.incoming.Repo[2:]
			if tc.stored != nil {
				stored := *tc.stored
				stored.Repo = owner + stored.Repo[2:]
				upsert(t, db, stored)
			}
			calls := 0
			st, err := db.UpsertIssues(ctx, []bugscope.Issue{tc.incoming}, func() { calls++ })
			if err != nil {
				t.Fatal(err)
			}
			if st != tc.want {
				t.Errorf("stats = %+v, want %+v", st, tc.want)
			}
			if calls != 1 {
				t.Errorf("progress called %d times, want 1", calls)
			}
			got, err := db.Issue(ctx, tc.incoming.Ref())
			if err != nil {
				t.Fatal(err)
			}
			if got.Title != tc.wantTitle {
				t.Errorf("stored title = %q, want %q", got.Title, tc.wantTitle)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestUpsertStatsAdd(t *testing.T) {
	s := bugscope.UpsertStats{Inserted: 1, Updated: 2, Unchanged: 3, Stale: 4}
	s.Add(bugscope.UpsertStats{Inserted: 10, Updated: 20, Unchanged: 30, Stale: 40})
	if want := (bugscope.UpsertStats{Inserted: 11, Updated: 22, Unchanged: 33, Stale: 44}); s != want {
		t.Errorf("Add = %+v, want %+v", s, want)
	}
}

func TestUpsertRoundTripAllFields(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	// A time with a zone and sub-second part is stored in UTC to the second.
	created := time.Date(2024, 6, 1, 14, 30, 15, 123456789, time.FixedZone("CEST", 2*3600))
	in := bugscope.Issue{
		Repo: "vllm-project/vllm", Number: 42, Title: "t", Body: "b\nwith ünïcode", Labels: []string{"bug", "ROCm"},
		State: "closed", AuthorAssociation: "CONTRIBUTOR", CreatedAt: &created, UpdatedAt: tp("2024-06-02T00:00:00Z"),
		ClosedAt: tp("2024-06-03T00:00:00Z"), Comments: 7, Reactions: 3, URL: "https://github.com/vllm-project/vllm/issues/42",
		IsPullRequest: true,
	}
	upsert(t, db, in)
	got, err := db.Issue(ctx, in.Ref())
	if err != nil {
		t.Fatal(err)
	}
	want := in
	c := created.Truncate(time.Second).UTC()
	want.CreatedAt = &c
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// Storing the round-tripped issue again changes nothing.
	if st := upsert(t, db, got); st != (bugscope.UpsertStats{Unchanged: 1}) {
		t.Errorf("re-upsert of the stored issue = %+v, want Unchanged", st)
	}
	// Nil and empty labels are the same thing.
	noLabels := mk("o/r", 1, "x", "")
	upsert(t, db, noLabels)
	got, _ = db.Issue(ctx, noLabels.Ref())
	if got.Labels == nil || len(got.Labels) != 0 {
		t.Errorf("labels of an issue without labels = %#v, want empty", got.Labels)
	}
	if _, err := db.Issue(ctx, bugscope.IssueRef{Repo: "o/r", Number: 999}); !errors.Is(err, bugscope.ErrNotFound) {
		t.Errorf("Issue(missing) = %v, want ErrNotFound", err)
	}
}

func refsOf(t *testing.T, db *DB, f bugscope.IssueFilter) []string {
	t.Helper()
	var out []string
	err := db.EachIssue(context.Background(), f, func(is bugscope.Issue) error {
		out = append(out, is.Ref().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUpsertReplacesLabels(t *testing.T) {
	db := openTest(t)
	upsert(t, db, mk("o/r", 1, "x", "2024-01-01T00:00:00Z", "bug", "cuda"))
	if got := refsOf(t, db, bugscope.IssueFilter{Labels: []string{"cuda"}}); !reflect.DeepEqual(got, []string{"o/r#1"}) {
		t.Fatalf("label cuda before update finds %v", got)
	}
	st := upsert(t, db, mk("o/r", 1, "x", "2024-01-02T00:00:00Z", "bug", "rocm"))
	if st.Updated != 1 {
		t.Fatalf("stats %+v", st)
	}
	if got := refsOf(t, db, bugscope.IssueFilter{Labels: []string{"cuda"}}); len(got) != 0 {
		t.Errorf("old label still finds %v", got)
	}
	if got := refsOf(t, db, bugscope.IssueFilter{Labels: []string{"rocm"}}); !reflect.DeepEqual(got, []string{"o/r#1"}) {
		t.Errorf("new label finds %v", got)
	}
	if got := refsOf(t, db, bugscope.IssueFilter{Labels: []string{"bug"}}); !reflect.DeepEqual(got, []string{"o/r#1"}) {
		t.Errorf("kept label finds %v", got)
	}
	// A stale version does not bring the old labels back.
	if st := upsert(t, db, mk("o/r", 1, "x", "2023-12-01T00:00:00Z", "cuda")); st.Stale != 1 {
		t.Fatalf("stats %+v, want stale", st)
	}
	if got := refsOf(t, db, bugscope.IssueFilter{Labels: []string{"cuda"}}); len(got) != 0 {
		t.Errorf("stale version restored label cuda: %v", got)
	}
	is, _ := db.Issue(context.Background(), bugscope.IssueRef{Repo: "o/r", Number: 1})
	if !reflect.DeepEqual(is.Labels, []string{"bug", "rocm"}) {
		t.Errorf("labels = %v", is.Labels)
	}
}

func TestUpsertIsTransactional(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	upsert(t, db, mk("o/r", 1, "before", "2024-01-01T00:00:00Z", "bug"))
	before := countAll(t, db)
	for _, bad := range []string{"noslash", "", "o/", "/r", "o/r/x", "o r/x"} {
		t.Run(fmt.Sprintf("repo %q", bad), func(t *testing.T) {
			batch := []bugscope.Issue{
				mk("o/r", 1, "after", "2024-02-01T00:00:00Z", "changed"), // would update
				mk("o/r", 2, "new", "2024-02-01T00:00:00Z"),              // would insert
				mk(bad, 3, "invalid", ""),
				mk("o/r", 4, "never reached", ""),
			}
			st, err := db.UpsertIssues(ctx, batch, nil)
			if err == nil {
				t.Fatalf("batch with repo %q stored: %+v", bad, st)
			}
			if st != (bugscope.UpsertStats{}) {
				t.Errorf("stats of a failed batch = %+v, want zero", st)
			}
			if n := countAll(t, db); n != before {
				t.Errorf("issues after failed batch = %d, want %d", n, before)
			}
			is, _ := db.Issue(ctx, bugscope.IssueRef{Repo: "o/r", Number: 1})
			if is.Title != "before" || !reflect.DeepEqual(is.Labels, []string{"bug"}) {
				t.Errorf("issue 1 changed by a failed batch: %+v", is)
			}
			if got := refsOf(t, db, bugscope.IssueFilter{Labels: []string{"changed"}}); len(got) != 0 {
				t.Errorf("labels of a failed batch stored: %v", got)
			}
		})
	}
}

// TestUpsertCancelledMidTransaction cancels the context from the progress
// callback after k issues, as a process stopped mid-batch would: nothing of
// the batch may be stored, whatever k.
func TestUpsertCancelledMidTransaction(t *testing.T) {
	var batch []bugscope.Issue
	for i := 1; i <= 5; i++ {
		batch = append(batch, mk("o/r", i, fmt.Sprintf("issue %d", i), "2024-03-01T00:00:00Z", "l"))
	}
	db := openTest(t)
	for k := 1; k <= len(batch); k++ {
		t.Run(fmt.Sprintf("after %d", k), func(t *testing.T) {
			before := countAll(t, db)
			upsert(t, db, mk("o/r", 1, "original", "2024-01-01T00:00:00Z"))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			calls := 0
			_, err := db.UpsertIssues(ctx, batch, func() {
				calls++
				if calls == k {
					cancel()
				}
			})
			if err == nil {
				t.Fatalf("UpsertIssues cancelled after %d issues returned no error", k)
			}
			if n := countAll(t, db); n != max(before, 1) {
				t.Errorf("issues = %d after a cancelled batch, want %d", n, max(before, 1))
			}
			is, _ := db.Issue(context.Background(), bugscope.IssueRef{Repo: "o/r", Number: 1})
			if is.Title != "original" {
				t.Errorf("issue 1 = %q after a cancelled batch", is.Title)
			}
			if got := refsOf(t, db, bugscope.IssueFilter{Labels: []string{"l"}}); len(got) != 0 {
				t.Errorf("labels of a cancelled batch stored: %v", got)
			}
			// The database still takes writes; the next case starts over.
			if st := upsert(t, db, batch...); st.Inserted != 4 || st.Updated != 1 {
				t.Errorf("batch after cancel: %+v", st)
			}
			if _, err := db.db.Exec(`DELETE FROM issues`); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// filterFixture stores issues that differ in every filtered field.
func filterFixture(t *testing.T, db *DB) {
	t.Helper()
	at := func(is bugscope.Issue, created, state string, pr bool) bugscope.Issue {
		is.CreatedAt, is.State, is.IsPullRequest = tp(created), state, pr
		return is
	}
	upsert(t, db,
		at(mk("a/x", 1, "a1", "", "bug"), "2024-01-10T00:00:00Z", "open", false),
		at(mk("a/x", 2, "a2", "", "bug", "cuda"), "2024-02-10T00:00:00Z", "closed", false),
		at(mk("a/x", 3, "a3 pr", "", "bug"), "2024-02-11T00:00:00Z", "closed", true),
		at(mk("b/y", 1, "b1", "", "enhancement"), "2024-03-01T00:00:00Z", "open", false),
		at(mk("b/y", 2, "b2", ""), "2024-03-01T00:00:01Z", "closed", false),
		at(mk("c/z", 7, "c7", "", "cuda"), "2023-12-31T23:59:59Z", "open", false),
	)
}

func TestIssueFilter(t *testing.T) {
	db := openTest(t)
	filterFixture(t, db)
	cases := []struct {
		name string
		f    bugscope.IssueFilter
		want []string
	}{
		{"zero filter leaves pull requests out", bugscope.IssueFilter{}, []string{"a/x#1", "a/x#2", "b/y#1", "b/y#2", "c/z#7"}},
		{"include pulls", bugscope.IssueFilter{IncludePulls: true}, []string{"a/x#1", "a/x#2", "a/x#3", "b/y#1", "b/y#2", "c/z#7"}},
		{"one repo", bugscope.IssueFilter{Repos: []string{"b/y"}}, []string{"b/y#1", "b/y#2"}},
		{"two repos", bugscope.IssueFilter{Repos: []string{"c/z", "a/x"}}, []string{"a/x#1", "a/x#2", "c/z#7"}},
		{"unknown repo", bugscope.IssueFilter{Repos: []string{"nobody/nothing"}}, nil},
		{"open", bugscope.IssueFilter{State: "open"}, []string{"a/x#1", "b/y#1", "c/z#7"}},
		{"closed with pulls", bugscope.IssueFilter{State: "closed", IncludePulls: true}, []string{"a/x#2", "a/x#3", "b/y#2"}},
		{"since is inclusive", bugscope.IssueFilter{Since: tp("2024-03-01T00:00:00Z")}, []string{"b/y#1", "b/y#2"}},
		{"until is exclusive", bugscope.IssueFilter{Until: tp("2024-03-01T00:00:00Z")}, []string{"a/x#1", "a/x#2", "c/z#7"}},
		{"since and until", bugscope.IssueFilter{Since: tp("2024-01-01T00:00:00Z"), Until: tp("2024-03-01T00:00:01Z")}, []string{"a/x#1", "a/x#2", "b/y#1"}},
		{"since in another zone", bugscope.IssueFilter{Since: tp("2024-03-01T01:00:00+01:00")}, []string{"b/y#1", "b/y#2"}},
		{"one label", bugscope.IssueFilter{Labels: []string{"cuda"}}, []string{"a/x#2", "c/z#7"}},
		{"any of the labels", bugscope.IssueFilter{Labels: []string{"enhancement", "cuda"}}, []string{"a/x#2", "b/y#1", "c/z#7"}},
		{"labels are exact", bugscope.IssueFilter{Labels: []string{"CUDA"}}, nil},
		{"everything at once", bugscope.IssueFilter{Repos: []string{"a/x"}, State: "closed", Labels: []string{"bug"}, Since: tp("2024-02-01T00:00:00Z"), IncludePulls: true}, []string{"a/x#2", "a/x#3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := refsOf(t, db, tc.f)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("EachIssue = %v, want %v", got, tc.want)
			}
			counts, err := db.CountIssues(context.Background(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range counts {
				n += c
			}
			if n != len(tc.want) {
				t.Errorf("CountIssues = %v, total %d; want %d", counts, n, len(tc.want))
			}
		})
	}
}

func TestEachIssueStopsOnError(t *testing.T) {
	db := openTest(t)
	filterFixture(t, db)
	stop := errors.New("stop")
	seen := 0
	err := db.EachIssue(context.Background(), bugscope.IssueFilter{}, func(bugscope.Issue) error {
		seen++
		if seen == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || seen != 2 {
		t.Errorf("EachIssue = %v after %d issues; want the callback's error after 2", err, seen)
	}
}

func TestIssueBatches(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for _, tc := range []struct {
		total, size int
		wantSizes   []int
	}{
		{10, 3, []int{3, 3, 3, 1}},
		{9, 3, []int{3, 3, 3}},
		{4, 10, []int{4}},
		{1, 1, []int{1}},
		{0, 5, nil},
	} {
		t.Run(fmt.Sprintf("%d by %d", tc.total, tc.size), func(t *testing.T) {
			if _, err := db.db.Exec(`DELETE FROM issues`); err != nil {
				t.Fatal(err)
			}
			var all []bugscope.Issue
			for i := 0; i < tc.total; i++ {
				// Numbers out of order: batches follow insertion (id) order.
				all = append(all, mk("o/r", 100-i, fmt.Sprintf("t%d", i), ""))
			}
			all = append(all, func() bugscope.Issue { p := mk("o/r", 500, "pr", ""); p.IsPullRequest = true; return p }())
			upsert(t, db, all...)
			var sizes []int
			var seen []int
			// The issues the callback writes are in another repository, so
			// that they are not selected themselves.
			err := db.IssueBatches(ctx, bugscope.IssueFilter{Repos: []string{"o/r"}}, tc.size, func(batch []bugscope.Issue) error {
				sizes = append(sizes, len(batch))
				var cs []bugscope.Classification
				for _, is := range batch {
					seen = append(seen, is.Number)
					if is.Body == "" {
						t.Errorf("%s: batch without body", is.Ref())
					}
					cs = append(cs, bugscope.Classification{Issue: is.Ref(), Taxonomy: "tx", TaxonomyVersion: "1",
						Classifier: "c", ClassifierVersion: "1", Labels: bugscope.Labels{"kind": {"bug"}}, Confidence: 0.5})
				}
				// Writing between batches must not block or disturb paging.
				if err := db.SaveClassifications(ctx, cs, nil); err != nil {
					return err
				}
				_, err := db.UpsertIssues(ctx, []bugscope.Issue{mk("w/w", len(sizes), "written between batches", "")}, nil)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(sizes, tc.wantSizes) {
				t.Errorf("batch sizes = %v, want %v", sizes, tc.wantSizes)
			}
			// Every selected issue exactly once, in id (insertion) order.
			var want []int
			for i := 0; i < tc.total; i++ {
				want = append(want, 100-i)
			}
			if !reflect.DeepEqual(seen, want) {
				t.Errorf("issues seen = %v, want %v", seen, want)
			}
			if n := countAll(t, db); n != tc.total+1+len(sizes) {
				t.Errorf("issues after the run = %d, want %d (the callback's writes kept)", n, tc.total+1+len(sizes))
			}
			c, err := db.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c.Classifications["tx/c"] != tc.total {
				t.Errorf("classifications written between batches = %d, want %d", c.Classifications["tx/c"], tc.total)
			}
		})
	}
}

func TestIssueBatchesFilterAndError(t *testing.T) {
	db := openTest(t)
	filterFixture(t, db)
	var got []string
	err := db.IssueBatches(context.Background(), bugscope.IssueFilter{Repos: []string{"a/x"}, IncludePulls: true}, 2, func(b []bugscope.Issue) error {
		for _, is := range b {
			got = append(got, is.Ref().String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a/x#1", "a/x#2", "a/x#3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("filtered batches = %v, want %v", got, want)
	}
	stop := errors.New("stop")
	calls := 0
	err = db.IssueBatches(context.Background(), bugscope.IssueFilter{}, 1, func([]bugscope.Issue) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("IssueBatches = %v after %d calls; want the callback's error after 1", err, calls)
	}
}

func TestCountsAndCountIssues(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	filterFixture(t, db)
	c, err := db.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issues != 5 || c.PullRequests != 1 {
		t.Errorf("Counts issues %d, pulls %d; want 5, 1", c.Issues, c.PullRequests)
	}
	if want := map[string]int{"a/x": 2, "b/y": 2, "c/z": 1}; !reflect.DeepEqual(c.IssuesByRepo, want) {
		t.Errorf("IssuesByRepo = %v, want %v", c.IssuesByRepo, want)
	}
	if len(c.Classifications) != 0 {
		t.Errorf("Classifications = %v, want none", c.Classifications)
	}
	save(t, db, cls("a/x", 1, "tax1", "rules", bugscope.Labels{"kind": {"bug"}}), cls("a/x", 2, "tax1", "rules", nil),
		cls("b/y", 1, "tax1", "model", nil), cls("b/y", 1, "tax2", "rules", nil))
	c, _ = db.Counts(ctx)
	if want := map[string]int{"tax1/rules": 2, "tax1/model": 1, "tax2/rules": 1}; !reflect.DeepEqual(c.Classifications, want) {
		t.Errorf("Classifications = %v, want %v", c.Classifications, want)
	}
	byRepo, err := db.CountIssues(ctx, bugscope.IssueFilter{State: "closed", IncludePulls: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"a/x": 2, "b/y": 1}; !reflect.DeepEqual(byRepo, want) {
		t.Errorf("CountIssues(closed) = %v, want %v", byRepo, want)
	}
}

// TestStoreIssuesRepeatsOnFreshTable stores, into an empty table (where
// issues are inserted without a look-up first), copies of one issue as
// later files of one import bring them: each is stored by the rule of
// UpsertIssues, and totals counts what was stored so far.
func TestStoreIssuesRepeatsOnFreshTable(t *testing.T) {
	const t1, t2, t3 = "2024-05-01T10:00:00Z", "2024-05-02T10:00:00Z", "2024-05-03T10:00:00Z"
	steps := []struct {
		is   bugscope.Issue
		dup  bool
		want bugscope.UpsertStats // totals after the step
	}{
		{mk("o/r", 1, "v1", t1, "bug"), false, bugscope.UpsertStats{Inserted: 1}},
		{mk("o/r", 2, "other", t1), false, bugscope.UpsertStats{Inserted: 2}},
		{mk("o/r", 1, "v2", t2, "cuda"), false, bugscope.UpsertStats{Inserted: 2, Updated: 1}},
		{mk("o/r", 1, "v1", t1, "bug"), false, bugscope.UpsertStats{Inserted: 2, Updated: 1, Stale: 1}},
		{mk("o/r", 1, "v2", t2, "cuda"), false, bugscope.UpsertStats{Inserted: 2, Updated: 1, Stale: 1, Unchanged: 1}},
		{mk("o/r", 1, "v3", t3, "rocm"), true, bugscope.UpsertStats{Inserted: 2, Updated: 1, Stale: 1, Unchanged: 1}},
		{mk("O/R", 1, "other case", t1), true, bugscope.UpsertStats{Inserted: 2, Updated: 1, Stale: 1, Unchanged: 1}},
	}
	db := openTest(t)
	ctx := context.Background()
	st, err := db.StoreIssues(ctx, func(put func(*bugscope.Issue, bool) error, totals func() bugscope.UpsertStats) error {
		for i, s := range steps {
			if err := put(&s.is, s.dup); err != nil {
				return err
			}
			if got := totals(); got != s.want {
				t.Errorf("step %d: totals %+v, want %+v", i, got, s.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := steps[len(steps)-1].want; st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	is, err := db.Issue(ctx, bugscope.IssueRef{Repo: "o/r", Number: 1})
	if err != nil {
		t.Fatal(err)
	}
	if is.Title != "v3" || !reflect.DeepEqual(is.Labels, []string{"rocm"}) {
		t.Errorf("o/r#1 = %q %v, want v3 [rocm]", is.Title, is.Labels)
	}
	if got := refsOf(t, db, bugscope.IssueFilter{Labels: []string{"rocm"}}); !reflect.DeepEqual(got, []string{"o/r#1"}) {
		t.Errorf("label rocm finds %v", got)
	}
	for _, l := range []string{"bug", "cuda"} {
		if got := refsOf(t, db, bugscope.IssueFilter{Labels: []string{l}}); len(got) != 0 {
			t.Errorf("replaced label %s finds %v", l, got)
		}
	}
	if n := countAll(t, db); n != 3 { // o/r#1, o/r#2, O/R#1
		t.Errorf("%d issues stored, want 3", n)
	}
}

// TestStoreIssuesWriterFails makes SQLite refuse one issue of many (a
// trigger), on an empty table and on one with issues: the error comes
// back, put stops taking issues, and nothing of the batch is stored.
func TestStoreIssuesWriterFails(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if _, err := db.db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON issues WHEN NEW.number = 150
		BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	for _, stored := range []bool{false, true} {
		if stored {
			upsert(t, db, mk("o/r", 1, "before", "2024-01-01T00:00:00Z", "bug"))
		}
		before := countAll(t, db)
		puts := 0
		_, err := db.StoreIssues(ctx, func(put func(*bugscope.Issue, bool) error, _ func() bugscope.UpsertStats) error {
			for n := 1; n <= 5000; n++ {
				is := mk("o/r", n, fmt.Sprint("issue ", n), "2024-02-01T00:00:00Z", "new")
				if err := put(&is, false); err != nil {
					return err
				}
				puts++
			}
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "refused by the test") || !strings.Contains(err.Error(), "o/r#150") {
			t.Fatalf("stored: %v, want the trigger's error naming o/r#150", err)
		}
		if puts == 5000 {
			t.Errorf("put took every issue after the writer failed")
		}
		if n := countAll(t, db); n != before {
			t.Errorf("%d issues after the failed batch, want %d", n, before)
		}
		if got := refsOf(t, db, bugscope.IssueFilter{Labels: []string{"new"}}); len(got) != 0 {
			t.Errorf("labels of the failed batch stored: %d", len(got))
		}
	}
}

// A fill that panics halfway ends the writer goroutine before the
// transaction is rolled back: the panic reaches the caller, nothing is
// stored, no goroutine is left behind, and the database takes the next
// import.
func TestStoreIssuesFillPanics(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	before := runtime.NumGoroutine()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		db.StoreIssues(ctx, func(put func(*bugscope.Issue, bool) error, _ func() bugscope.UpsertStats) error {
			for n := 1; n <= 200; n++ {
				is := mk("a/b", n, fmt.Sprintf("issue %d", n), "2025-01-01T00:00:00Z")
				if err := put(&is, false); err != nil {
					return err
				}
			}
			panic("the parser broke")
		})
	}()
	for i := 0; i < 100 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(10 * time.Millisecond) // database/sql's own goroutines settle
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the panic, %d before", n, before)
	}
	if n := countAll(t, db); n != 0 {
		t.Errorf("%d issues stored after the panic, want none", n)
	}
	if st := upsert(t, db, mk("a/b", 1, "after", "2025-01-02T00:00:00Z")); st.Inserted != 1 {
		t.Errorf("import after the panic: %+v", st)
	}
}
