package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/internal/testshared"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/sqlite"
)

// TestSharedData is the acceptance test of part 1 on the real issues:
// counts, idempotent re-import, a truncated file that changes nothing, the
// report's categories and examples, and the rule classifier's accuracy
// against the hand labels.
func TestSharedData(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: the real data")
	}
	files := testshared.DataFiles(t)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string]int{"vllm-project/vllm": 1416, "ggml-org/llama.cpp": 1541, "sgl-project/sglang": 1062}
	check := func(when string) {
		t.Helper()
		got, err := db.CountIssues(ctx, bugscope.IssueFilter{IncludePulls: true})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for repo, n := range want {
			if got[repo] != n {
				t.Errorf("%s: %s has %d issues, want %d", when, repo, got[repo], n)
			}
			total += got[repo]
		}
		if len(got) != len(want) || total != 4019 {
			t.Errorf("%s: %v", when, got)
		}
	}
	if _, err := Import(ctx, db, files, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	check("first import")
	res, err := Import(ctx, db, files, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Inserted+r.Updated != 0 {
			t.Errorf("re-import of %s changed rows: %+v", r.File, r.UpsertStats)
		}
	}
	check("second import")

	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.json")
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(ctx, db, []string{truncated}, ImportOptions{}); err == nil {
		t.Error("a truncated dump imported without error")
	} else {
		t.Logf("truncated dump: %v", err)
	}
	check("failed import")

	tax, rs := builtinRules(t)
	if _, err := Classify(ctx, db, tax, classify.New(rs), ClassifyOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := BuildReport(ctx, db, tax, ReportOptions{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Categories) != 9 {
		t.Errorf("report has %d categories, want the 7 of the source document plus build and other", len(rep.Categories))
	}
	for _, c := range rep.Categories {
		for _, s := range c.Subcategories {
			if s.Count.Count > 0 && len(s.Examples) == 0 {
				t.Errorf("subcategory %s has %d bugs and no example", s.ID, s.Count.Count)
			}
			for _, e := range s.Examples {
				if e.URL == "" || e.Evidence == "" {
					t.Errorf("example %s of %s lacks a link or evidence", e.ID, s.ID)
				}
			}
		}
	}

	gold := testshared.Gold(t)
	recs, err := labelrec.ReadFile(gold, tax)
	if err != nil {
		t.Fatal(err)
	}
	items, err := db.Classified(ctx, bugscope.ClassifiedFilter{Taxonomy: tax.Name, Classifier: classify.Name})
	if err != nil {
		t.Fatal(err)
	}
	pred := map[bugscope.IssueRef]bugscope.Labels{}
	for _, it := range items {
		pred[it.Issue.Ref()] = it.Classification.Labels
	}
	cmp := metrics.Compare(tax, labelrec.LabelMap(recs), pred)
	for _, d := range cmp.Dimensions {
		t.Logf("%-10s %-5s n=%3d accuracy %.3f macro-F1 %.3f kappa %.3f", d.Dimension, d.Level, d.N, d.Accuracy, d.MacroF1, d.Kappa)
		switch {
		case d.Dimension == "kind" && d.Accuracy < 0.85:
			t.Errorf("kind accuracy %.3f, want at least 0.85", d.Accuracy)
		case d.Dimension == "category" && d.Level == metrics.LevelGroup && d.Accuracy < 0.60:
			t.Errorf("top-level category accuracy on gold bugs %.3f, want at least 0.60", d.Accuracy)
		}
	}
}

// BenchmarkStudy measures the main job on the real issues: import,
// classify and report of the 4,019 issues into a fresh database.
func BenchmarkStudy(b *testing.B) {
	files := testshared.DataFiles(b)
	ctx := context.Background()
	tax, rs := builtinRules(b)
	for i := 0; i < b.N; i++ {
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Import(ctx, db, files, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := Classify(ctx, db, tax, classify.New(rs), ClassifyOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := BuildReport(ctx, db, tax, ReportOptions{Now: time.Now()}); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// BenchmarkClassifyStored is the classify step of `bugscope classify --all`
// on the 4,019 real issues already stored: reading them back, rules,
// signals and storing, as scripts/bench-scale.sh times it at scale.
func BenchmarkClassifyStored(b *testing.B) {
	files := testshared.DataFiles(b)
	ctx := context.Background()
	tax, rs := builtinRules(b)
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := Import(ctx, db, files, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	c := classify.New(rs)
	b.ResetTimer()
	for b.Loop() {
		st, err := Classify(ctx, db, tax, c, ClassifyOptions{All: true})
		if err != nil {
			b.Fatal(err)
		}
		if st.Issues != 4019 {
			b.Fatalf("labelled %d issues, want 4019", st.Issues)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*4019), "µs/issue")
}
