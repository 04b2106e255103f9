package study_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

var update = flag.Bool("update", false, "rewrite golden files")

// clock is a fixed clock that ticks a second per call, so that stored
// times are distinct and reproducible.
type clock struct{ t time.Time }

func (c *clock) now() time.Time {
	c.t = c.t.Add(time.Second)
	return c.t
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

// openDB opens a fresh database holding the given issues.
func openDB(t *testing.T, issues []bugscope.Issue) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "study.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := newClock()
	db.SetClock(c.now)
	if len(issues) > 0 {
		if _, err := db.UpsertIssues(ctx, issues, nil); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// fixtureIssues makes n issues of repo, numbered from 1; every third is
// open, the others closed; titles and bodies mention what tests look for.
func fixtureIssues(repo string, n int) []bugscope.Issue {
	out := make([]bugscope.Issue, n)
	for i := range out {
		num := i + 1
		created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(num) * 24 * time.Hour)
		state := "closed"
		if num%3 == 0 {
			state = "open"
		}
		body := fmt.Sprintf("Report %d.\nSteps to reproduce: run the server.", num)
		if num%5 == 0 {
			body += "\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2 GiB"
		}
		labels := []string{"bug"}
		if num%4 == 0 {
			labels = []string{"question"}
		}
		out[i] = bugscope.Issue{Repo: repo, Number: num, Title: fmt.Sprintf("[Bug] issue %d of %s", num, repo), Body: body,
			Labels: labels, State: state, CreatedAt: &created, UpdatedAt: &created,
			URL: fmt.Sprintf("https://github.com/%s/issues/%d", repo, num)}
	}
	return out
}

func defaultTax(t *testing.T) *taxonomy.Taxonomy {
	t.Helper()
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

func textbookTax(t *testing.T) *taxonomy.Taxonomy {
	t.Helper()
	tax, err := taxonomy.LoadFile("testdata/textbook.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

func newService(t *testing.T, db *sqlite.DB, tax *taxonomy.Taxonomy) *study.Service {
	s := study.New(db, tax)
	s.Now = newClock().now
	return s
}

func ref(repo string, n int) bugscope.IssueRef { return bugscope.IssueRef{Repo: repo, Number: n} }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file; run go test -update after checking the diff.\ngot:\n%s", name, got)
	}
}
