package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

// builtinRules returns the default taxonomy and its built-in rules.
func builtinRules(t testing.TB) (*taxonomy.Taxonomy, *classify.RuleSet) {
	t.Helper()
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := classify.BuiltinRules(tax)
	if err != nil {
		t.Fatal(err)
	}
	return tax, rs
}

// changingStore changes an issue's text just before classifications of
// it are stored (the first changes times), as an import running
// alongside would.
type changingStore struct {
	*sqlite.DB
	change  *bugscope.Issue
	changes int // how many saves to change it before
}

func (s *changingStore) SaveCurrent(ctx context.Context, cs []bugscope.Classification, sigs map[bugscope.IssueRef][]bugscope.Signal) ([]bugscope.IssueRef, error) {
	has := false
	for _, c := range cs {
		has = has || c.Issue == s.change.Ref()
	}
	if has && s.changes > 0 {
		s.changes--
		s.change.Body += " (edited)"
		if _, err := s.DB.UpsertIssues(ctx, []bugscope.Issue{*s.change}, nil); err != nil {
			return nil, err
		}
	}
	return s.DB.SaveCurrent(ctx, cs, sigs)
}

// Classify refuses labels computed from text an import replaced meanwhile
// and labels the issue again from its new text; an issue that keeps
// changing fails the run with a conflict after MaxRounds. A second run
// labels nothing, and one after a change only the changed issue.
func TestClassifyConcurrentChange(t *testing.T) {
	ctx := context.Background()
	tax, rs := builtinRules(t)
	for _, tc := range []struct {
		changes      int
		wantRejected int
		wantConflict bool
	}{{1, 1, false}, {MaxRounds, MaxRounds, true}} {
		db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "b.db"))
		if err != nil {
			t.Fatal(err)
		}
		var issues []bugscope.Issue
		for i := 1; i <= 30; i++ {
			issues = append(issues, bugscope.Issue{Repo: "acme/engine", Number: i, Title: fmt.Sprintf("CUDA out of memory %d", i), Body: "torch.OutOfMemoryError"})
		}
		if _, err := db.UpsertIssues(ctx, issues, nil); err != nil {
			t.Fatal(err)
		}
		s := &changingStore{DB: db, change: &issues[4], changes: tc.changes}
		st, err := Classify(ctx, s, tax, classify.New(rs), ClassifyOptions{BatchSize: 7})
		if tc.wantConflict != (bugscope.ErrorCode(err) == bugscope.EConflict) || st.Rejected != tc.wantRejected {
			t.Fatalf("%d changes: rejected %d, %v; want %d, conflict %v", tc.changes, st.Rejected, err, tc.wantRejected, tc.wantConflict)
		}
		items, err := db.Classified(ctx, bugscope.ClassifiedFilter{Taxonomy: tax.Name, Classifier: classify.Name})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.Classification.Stale {
				t.Errorf("%d changes: %s stored stale", tc.changes, it.Issue.Ref())
			}
		}
		if !tc.wantConflict {
			if len(items) != 30 || st.Issues != 30 {
				t.Fatalf("%d stored, %d labelled; want 30", len(items), st.Issues)
			}
			st, err = Classify(ctx, db, tax, classify.New(rs), ClassifyOptions{})
			if err != nil || st.Issues != 0 || st.Skipped != 30 {
				t.Fatalf("second run: %+v, %v; want nothing labelled, 30 skipped", st, err)
			}
			issues[9].Title += " again"
			db.UpsertIssues(ctx, issues[9:10], nil)
			st, err = Classify(ctx, db, tax, classify.New(rs), ClassifyOptions{})
			if err != nil || st.Issues != 1 || st.Skipped != 29 || st.Reasons.Changed != 1 {
				t.Fatalf("after a change: %+v, %v; want 1 labelled (changed), 29 skipped", st, err)
			}
		} else if len(items) != 29 {
			t.Fatalf("kept changing: %d stored, want the 29 others", len(items))
		}
		db.Close()
	}
}

// A report built from the compact load (BuildReport) is the one built
// from every stored field (Labelled): same figures, same examples, same
// evidence quoted.
func TestCompactReportIsTheFullOne(t *testing.T) {
	ctx := context.Background()
	tax, rs := builtinRules(t)
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files := []string{"../cmd/bugscope/testdata/issues.json", "../cmd/bugscope/testdata/other.jsonl"}
	if _, err := ImportFiles(ctx, db, files, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Classify(ctx, db, tax, classify.New(rs), ClassifyOptions{}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	compact, err := BuildReport(ctx, db, tax, ReportOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	items, err := Labelled(ctx, db, tax, "", bugscope.IssueFilter{}, true)
	if err != nil {
		t.Fatal(err)
	}
	inFilter, _ := db.CountIssues(ctx, bugscope.IssueFilter{})
	full, err := report.Build(tax, items, report.Options{Now: now, InFilter: inFilter, Fixes: map[bugscope.IssueRef][]bugscope.Fix{}})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	compact.WriteJSON(&a)
	full.WriteJSON(&b)
	if a.String() != b.String() {
		t.Fatalf("compact report differs:\n%s\nfull:\n%s", a.String(), b.String())
	}
	if !strings.Contains(a.String(), `"evidence"`) {
		t.Fatalf("no examples with evidence in the report: %s", a.String())
	}
}
