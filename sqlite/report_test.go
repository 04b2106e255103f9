package sqlite

import (
	"context"
	"reflect"
	"testing"

	"github.com/bugscope/bugscope"
)

// ReportItems gives every issue what a full load (Classified) gives of it
// as a report reads it (bugscope.ReportItemOf): the same labels, one
// shared map per distinct set; signals of the reported kinds only, values
// with the packing's own characters intact; of the evidence, the first
// of each labelled value of the named dimension, with title and address
// only where there is such evidence; stale classifications marked.
func TestReportItems(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	const repo = "vllm-project/vllm"
	sets := []bugscope.Labels{
		{"kind": {"bug"}, "category": {"memory.oom"}, "patterns": {"quantization", "prefix_caching"}},
		{"kind": {"bug"}, "category": {"memory.oom"}, "patterns": {"prefix_caching", "quantization"}}, // order differs: another set
		{"kind": {"bug"}, "category": {"memory.oom", "api.http"}},
		{"kind": {"feature"}},
		{},
	}
	var cs []bugscope.Classification
	sigs := map[bugscope.IssueRef][]bugscope.Signal{}
	for n := 1; n <= 20; n++ {
		is := mk(repo, n, "issue", "2024-04-01T00:00:00Z")
		if n%3 == 0 {
			is.State, is.ClosedAt, is.Comments, is.Reactions = "closed", tp("2024-02-03T04:05:06Z"), n, 2*n
		}
		upsert(t, db, is)
		c := cls(repo, n, "llm-serving-v1", "rules", sets[n%len(sets)])
		for _, v := range c.Labels["category"] {
			c.Evidence = append(c.Evidence,
				bugscope.Evidence{Dimension: "category", Value: v, Rule: "r1", Field: "body", Match: "OOM", Line: "CUDA OOM: 12:34", Weight: 2},
				bugscope.Evidence{Dimension: "category", Value: v, Rule: "r2", Field: "title", Match: "later"}) // not the first
		}
		c.Evidence = append(c.Evidence, bugscope.Evidence{Dimension: "kind", Value: "bug", Rule: "k", Field: "title"},
			bugscope.Evidence{Dimension: "category", Value: "not.labelled", Rule: "x"})
		cs = append(cs, c)
		sigs[is.Ref()] = []bugscope.Signal{
			{Kind: bugscope.SignalGPU, Value: "A100", Field: "body"},
			{Kind: bugscope.SignalErrorSignature, Value: "3:x:é 12:", Field: "body", Offset: 4}, // looks like the packing
			{Kind: bugscope.SignalCUDA, Value: "12.1", Field: "body"},                           // not a kind reports count
		}
	}
	if err := db.SaveClassifications(ctx, cs, sigs); err != nil {
		t.Fatal(err)
	}
	changed := mk(repo, 7, "issue changed", "2024-05-01T00:00:00Z")
	upsert(t, db, changed)

	f := bugscope.ClassifiedFilter{Taxonomy: "llm-serving-v1", Classifier: "rules", WithSignals: true}
	full := classified(t, db, f)
	f.EvidenceOf = "category"
	got, err := db.ReportItems(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(full) || len(full) != 20 {
		t.Fatalf("%d report items, %d full, want 20 each", len(got), len(full))
	}
	maps := map[uintptr]bool{}
	for i := range got {
		c := full[i]
		c.Classification.Evidence = firstEvidence(c.Classification.Evidence, c.Classification.Labels)
		want := bugscope.ReportItemOf(&c, "category")
		if len(want.Signals) == 2 && want.Signals[0].Kind == bugscope.SignalGPU {
			want.Signals[0], want.Signals[1] = want.Signals[1], want.Signals[0] // kind order
		}
		if len(want.Labels) == 0 {
			want.Labels = bugscope.Labels{}
		}
		g := got[i]
		if !reflect.DeepEqual(g, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", want.Ref(), g, want)
		}
		if (g.Text != nil) != (len(g.Labels["category"]) > 0) {
			t.Errorf("%s: text %+v with categories %v: want one exactly with category evidence", g.Ref(), g.Text, g.Labels["category"])
		}
		if g.Stale != (g.Number == 7) {
			t.Errorf("%s: stale %v", g.Ref(), g.Stale)
		}
		maps[reflect.ValueOf(g.Labels).Pointer()] = true
	}
	if len(maps) != len(sets) {
		t.Errorf("report items have %d label maps, want one per distinct set (%d)", len(maps), len(sets))
	}
	if ev := got[0].Text; ev == nil || len(ev.Evidence) != 1 || ev.Evidence[0].Rule != "r1" || ev.Title != "issue" {
		t.Errorf("%s: text %+v, want the first category evidence and the title", got[0].Ref(), ev)
	}
	if got[1].Text == nil || len(got[1].Text.Evidence) != 2 {
		t.Errorf("%s: text %+v, want the first evidence of each of its two categories", got[1].Ref(), got[1].Text)
	}
	if got[2].Closed == bugscope.NoTime || got[2].Comments != 3 || got[2].Reactions != 6 || got[2].State != "closed" {
		t.Errorf("%+v: want closed 2024-02-03 with 3 comments and 6 reactions", got[2])
	}
}
