package sqlite

import (
	"context"
	"reflect"
	"testing"

	"github.com/bugscope/bugscope"
)

// A classification records the text it read: once an import changes the
// issue it is stale (Classified says so, and a run labels the issue
// again), and one computed from the replaced text is refused when stored
// (issue 15, item 4).
func TestStaleClassifications(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	a := mk("o/r", 1, "CUDA out of memory", "2024-02-01T00:00:00Z", "bug")
	b := mk("o/r", 2, "slow decoding", "2024-02-01T00:00:00Z")
	c := mk("o/r", 3, "new issue", "2024-02-01T00:00:00Z")
	upsert(t, db, a, b)
	cls := func(is bugscope.Issue, version string) bugscope.Classification {
		return bugscope.Classification{Issue: is.Ref(), Taxonomy: "t", TaxonomyVersion: "1", Classifier: "rules",
			ClassifierVersion: version, Labels: bugscope.Labels{"kind": {"bug"}}, Confidence: 0.5, InputHash: is.TextHash()}
	}
	if err := db.SaveClassifications(ctx, []bugscope.Classification{cls(a, "v1"), cls(b, "v1")}, nil); err != nil {
		t.Fatal(err)
	}
	f := bugscope.ClassifyFilter{Taxonomy: "t", Current: map[string]string{"rules": "v1"}}
	plan := func() bugscope.ClassifyPlan {
		t.Helper()
		p, err := db.PlanClassify(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	todo := func() []int {
		t.Helper()
		var out []int
		if err := db.ClassifyBatches(ctx, f, 1, func(batch []bugscope.Issue) error {
			for _, is := range batch {
				out = append(out, is.Number)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if p, got := plan(), todo(); p != (bugscope.ClassifyPlan{Current: 2}) || got != nil {
		t.Fatalf("after classifying: plan %+v, to do %v; want 2 current, none to do", p, got)
	}

	// An import changes #1's body and adds #3; #2 comes again with only
	// another comment count, which classifiers do not read.
	old := a
	a.Body += "\nstill happens"
	a.UpdatedAt = tp("2024-03-01T00:00:00Z")
	b.Comments = 9
	b.UpdatedAt = tp("2024-03-01T00:00:00Z")
	upsert(t, db, a, b, c)
	if p, got := plan(), todo(); p != (bugscope.ClassifyPlan{New: 1, Changed: 1, Current: 1}) || !reflect.DeepEqual(got, []int{1, 3}) {
		t.Fatalf("after the import: plan %+v, to do %v; want 1 new, 1 changed, 1 current; #1 and #3", p, got)
	}
	got := classified(t, db, bugscope.ClassifiedFilter{Taxonomy: "t", Classifier: "rules"})
	if len(got) != 2 || !got[0].Classification.Stale || got[1].Classification.Stale {
		t.Fatalf("stale flags: %+v", got)
	}
	// Another rules version makes every issue to do.
	f.Current["rules"] = "v2"
	if p := plan(); p != (bugscope.ClassifyPlan{New: 1, Changed: 1, OtherVersion: 1}) {
		t.Fatalf("with rules v2: plan %+v", p)
	}
	f.Current["rules"] = "v1"

	// Labels computed from #1's replaced text: SaveClassifications refuses
	// the lot, SaveCurrent stores the others and names #1.
	before := countRows(t, db, "classifications")
	err := db.SaveClassifications(ctx, []bugscope.Classification{cls(c, "v1"), cls(old, "v1")}, nil)
	if bugscope.ErrorCode(err) != bugscope.EConflict || countRows(t, db, "classifications") != before {
		t.Fatalf("SaveClassifications of a stale one: %v, %d classifications (was %d); want a conflict, nothing stored", err, countRows(t, db, "classifications"), before)
	}
	sigs := map[bugscope.IssueRef][]bugscope.Signal{old.Ref(): {{Kind: bugscope.SignalGPU, Value: "H100", Field: "body"}},
		c.Ref(): {{Kind: bugscope.SignalGPU, Value: "A100", Field: "body"}}}
	rejected, err := db.SaveCurrent(ctx, []bugscope.Classification{cls(c, "v1"), cls(old, "v1")}, sigs)
	if err != nil || !reflect.DeepEqual(rejected, []bugscope.IssueRef{old.Ref()}) {
		t.Fatalf("SaveCurrent: rejected %v, %v; want #1", rejected, err)
	}
	if s, _ := db.Signals(ctx, old.Ref()); len(s) != 0 {
		t.Errorf("signals of the refused issue were stored: %v", s)
	}
	if s, _ := db.Signals(ctx, c.Ref()); len(s) != 1 {
		t.Errorf("signals of #3: %v", s)
	}
	if p, got := plan(), todo(); p != (bugscope.ClassifyPlan{Changed: 1, Current: 2}) || !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("after SaveCurrent: plan %+v, to do %v", p, got)
	}
	// From the new text it is current again.
	if _, err := db.SaveCurrent(ctx, []bugscope.Classification{cls(a, "v1")}, nil); err != nil {
		t.Fatal(err)
	}
	if p := plan(); p != (bugscope.ClassifyPlan{Current: 3}) {
		t.Fatalf("at the end: plan %+v", p)
	}
	// All selects every issue.
	f.All = true
	if got := todo(); len(got) != 3 {
		t.Errorf("All: %v", got)
	}
}
