package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/study"
)

func TestStudyStoreIsTransactional(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var issues []bugscope.Issue
	for i := 1; i <= 3; i++ {
		issues = append(issues, bugscope.Issue{Repo: "a/b", Number: i, Title: "t", CreatedAt: &now, UpdatedAt: &now})
	}
	if _, err := db.UpsertIssues(ctx, issues, nil); err != nil {
		t.Fatal(err)
	}
	r := func(n int) bugscope.IssueRef { return bugscope.IssueRef{Repo: "a/b", Number: n} }
	items := []study.SampleItem{{Issue: r(2), Stratum: "a/b", Position: 1, StratumPosition: 1, Half: 1}, {Issue: r(1), Stratum: "a/b", Position: 2, StratumPosition: 2, Half: 2}}
	// A sample naming an issue that is not stored is not created at all.
	bad := append(append([]study.SampleItem(nil), items...), study.SampleItem{Issue: r(9), Stratum: "a/b", Position: 3, StratumPosition: 3, Half: 2})
	if err := db.CreateSample(ctx, study.Sample{Name: "s", Taxonomy: "t", TaxonomyVersion: "1", Method: "fixed", Items: bad}, false); !errors.Is(err, bugscope.ErrNotFound) {
		t.Fatalf("missing issue: %v", err)
	}
	if _, err := db.GetSample(ctx, "s"); !errors.Is(err, bugscope.ErrNotFound) {
		t.Fatalf("half a sample was stored: %v", err)
	}
	sm := study.Sample{Name: "s", Taxonomy: "t", TaxonomyVersion: "1", Method: "fixed", CreatedAt: now, Items: items,
		Params: study.Params{Seed: 7, Stratify: "repo"}}
	if err := db.CreateSample(ctx, sm, false); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSample(ctx, sm, false); bugscope.ErrorCode(err) != bugscope.EConflict {
		t.Fatalf("a second sample of the same name: %v, want a conflict", err)
	}
	if got, err := db.GetSample(ctx, "s"); err != nil || got.Params.Seed != 7 || !got.CreatedAt.Equal(now) {
		t.Fatalf("stored sample %+v, %v", got, err)
	}
	got, err := db.SampleItems(ctx, "s")
	if err != nil || len(got) != 2 || got[0].Issue != r(2) || got[1].Half != 2 {
		t.Fatalf("items %+v, %v", got, err)
	}
	// One answer on an issue outside the sample: none is stored.
	anns := []study.Annotation{{Issue: r(1), Rater: "x", Labels: bugscope.Labels{"kind": {"bug"}}}, {Issue: r(3), Rater: "x"}}
	if _, err := db.SaveAnnotations(ctx, "s", anns); !errors.Is(err, bugscope.ErrNotFound) {
		t.Fatalf("answer outside the sample: %v", err)
	}
	if all, _ := db.Annotations(ctx, "s", study.AnnotationQuery{History: true}); len(all) != 0 {
		t.Fatalf("%d answers stored by a failed call", len(all))
	}
	// The latest answer counts; the history keeps both, in order.
	db.SetClock(func() time.Time { return now })
	for _, k := range []string{"bug", "feature"} {
		if _, err := db.SaveAnnotations(ctx, "s", []study.Annotation{{Issue: r(1), Rater: "x", Labels: bugscope.Labels{"kind": {k}}, Source: "cli"}}); err != nil {
			t.Fatal(err)
		}
	}
	latest, _ := db.Annotations(ctx, "s", study.AnnotationQuery{})
	hist, _ := db.Annotations(ctx, "s", study.AnnotationQuery{History: true})
	if len(latest) != 1 || latest[0].Labels.One("kind") != "feature" || len(hist) != 2 || !latest[0].CreatedAt.Equal(now) {
		t.Fatalf("latest %+v, history %d", latest, len(hist))
	}
	ids, err := db.SaveArbitrations(ctx, "s", []study.Arbitration{{Issue: r(1), Arbitrator: "z", Labels: bugscope.Labels{"kind": {"docs"}}, Settled: []int64{latest[0].ID}}})
	if err != nil || len(ids) != 1 {
		t.Fatal(err)
	}
	arbs, _ := db.Arbitrations(ctx, "s", false)
	if len(arbs) != 1 || arbs[0].Settled[0] != latest[0].ID {
		t.Fatalf("arbitrations %+v", arbs)
	}
	list, _ := db.Samples(ctx)
	if len(list) != 1 || list[0].ItemCount != 2 || list[0].Raters["x"] != 1 || list[0].Arbitrated != 1 {
		t.Fatalf("summary %+v", list)
	}
	// Deleting the sample takes its answers and decisions along.
	if err := db.DeleteSample(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	var n int
	db.db.QueryRow(`SELECT (SELECT COUNT(*) FROM annotations) + (SELECT COUNT(*) FROM arbitrations) + (SELECT COUNT(*) FROM sample_items)`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d rows left after delete", n)
	}
}
