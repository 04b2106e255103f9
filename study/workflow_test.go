package study

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/sqlite"
)

func TestAnswersAreCheckedAndKept(t *testing.T) {
	ctx := context.Background()
	s, refs := twoRaters(t)
	bad := []Answer{
		{Issue: refs[0], Labels: bugscope.Labels{"kind": {"feature"}, "category": {"memory.oom"}}}, // category on a feature
		{Issue: refs[0], Labels: bugscope.Labels{"kind": {"bugg"}}},
		{Issue: refs[0], Labels: bugscope.Labels{"kind": {"bug"}, "severity": {"P1", "P2"}}},
		{Issue: refs[0]}, // nothing
		{Issue: refs[0], ExcludeReason: "dup", Labels: bugscope.Labels{"kind": {"bug"}}},
		{Issue: refs[0], Labels: bugscope.Labels{"kind": {"docs"}}, Confidence: "very"},
		{Issue: refs[0], Labels: bugscope.Labels{"kind": {"docs"}}, Note: strings.Repeat("n", MaxNote+1)},
		{Issue: ref("acme/e", 99), Labels: bugscope.Labels{"kind": {"docs"}}}, // not in the sample
	}
	for i, a := range bad {
		if _, err := s.Annotate(ctx, "t", "ann", []Answer{a}, SourceCLI); err == nil {
			t.Errorf("bad answer %d accepted", i)
		}
	}
	for _, name := range []string{"", " x", "a\tb", "a\x1b[2Jb", strings.Repeat("r", 65)} {
		if _, err := s.Annotate(ctx, "t", name, []Answer{{Issue: refs[0], Labels: bugscope.Labels{"kind": {"docs"}}}}, SourceCLI); err == nil {
			t.Errorf("rater name %q accepted", name)
		}
	}
	// The same answer again is not stored twice; a new one is, and wins,
	// and the history keeps both.
	again := Answer{Issue: refs[0], Labels: bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom"}, "root_cause": {"resource_constraints"}, "severity": {"P1"}}, Confidence: "high"}
	res, err := s.Annotate(ctx, "t", "ann", []Answer{again}, SourceCLI)
	if err != nil || res.Saved != 0 || res.Unchanged != 1 {
		t.Fatalf("same answer: %+v, %v", res, err)
	}
	again.Labels["severity"] = []string{"P0"}
	if res, err := s.Annotate(ctx, "t", "ann", []Answer{again}, SourceCLI); err != nil || res.Saved != 1 {
		t.Fatalf("changed answer: %+v, %v", res, err)
	}
	items, err := s.RaterItems(ctx, "t", "ann", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Issue == refs[0] && it.Answer.Labels.One("severity") != "P0" {
			t.Errorf("latest answer not the one shown: %+v", it.Answer)
		}
	}
	hist, _ := s.DB.Annotations(ctx, "t", sqlite.AnnotationQuery{Rater: "ann", History: true})
	n := 0
	for _, a := range hist {
		if a.Issue == refs[0] {
			n++
		}
	}
	if n != 2 {
		t.Errorf("history of the item: %d answers, want 2", n)
	}
	// Pruning: labels of dimensions that no longer apply are dropped.
	p := s.Prune(bugscope.Labels{"kind": {"feature"}, "category": {"memory.oom"}, "patterns": {"platform"}})
	if len(p) != 1 || p.One("kind") != "feature" {
		t.Errorf("prune: %v", p)
	}
	if m := s.Missing(bugscope.Labels{"kind": {"bug"}, "category": {"other"}}); strings.Join(m, ",") != "root_cause,severity" {
		t.Errorf("missing: %v", m)
	}
}

func TestArbitrateFinalsExport(t *testing.T) {
	ctx := context.Background()
	s, refs := twoRaters(t)
	cases, err := s.Cases(ctx, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 6 {
		t.Fatalf("%d cases, want 6", len(cases))
	}
	byRef := map[bugscope.IssueRef]Case{}
	for _, c := range cases {
		byRef[c.Item.Issue] = c
	}
	c1 := byRef[refs[1]]
	if strings.Join(c1.Disagreements, " ") != "category root_cause" || c1.Agreed.One("severity") != "P1" || c1.Agreed.One("kind") != "bug" ||
		len(c1.Agreed["patterns"]) != 1 || c1.Agreed.One("category") != "" {
		t.Errorf("case 1: %+v", c1)
	}

	// Export refuses while disagreements are open.
	if _, err := s.Dataset(ctx, "t", ExportOptions{}); err == nil || !strings.Contains(err.Error(), "6 items with a disagreement") {
		t.Fatalf("unfinished export: %v", err)
	}

	// Incomplete labels are no final decision.
	if _, err := s.Arbitrate(ctx, "t", "carol", []Answer{{Issue: refs[1], Labels: bugscope.Labels{"kind": {"bug"}}}}, SourceCLI); err == nil {
		t.Fatal("an incomplete decision was accepted")
	}
	var decisions []Answer
	for _, c := range cases {
		l := bugscope.Labels{}
		for k, v := range c.Agreed {
			l[k] = v
		}
		d := Answer{Issue: c.Item.Issue, Labels: l, Confidence: "high", Note: "settled"}
		switch c.Item.Issue {
		case refs[10]:
			d = Answer{Issue: refs[10], ExcludeReason: "user error, not an engine defect"}
		case refs[5], refs[8]:
			d.Labels = bugscope.Labels{"kind": {"question"}}
		default:
			// Take the first rater's value on every disputed dimension.
			for _, dim := range c.Disagreements {
				if v := c.Answers["ann"].Labels[dim]; len(v) > 0 {
					l[dim] = v
				} else {
					delete(l, dim)
				}
			}
		}
		decisions = append(decisions, d)
	}
	res, err := s.Arbitrate(ctx, "t", "carol", decisions, SourceCLI)
	if err != nil || res.Saved != 6 {
		t.Fatalf("arbitrate: %+v, %v", res, err)
	}
	if res, _ := s.Arbitrate(ctx, "t", "carol", decisions, SourceCLI); res.Saved != 0 || res.Unchanged != 6 {
		t.Fatalf("the same decisions again: %+v", res)
	}
	finals, err := s.Finals(ctx, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]int{}
	for _, f := range finals {
		status[f.Status]++
		if f.Stale {
			t.Errorf("%s: stale", f.Item.Issue)
		}
	}
	if status[StatusAgreed] != 5 || status[StatusArbitrated] != 6 || status[StatusSingle] != 1 {
		t.Fatalf("statuses %v", status)
	}
	// A rater changing an answer after the decision makes it stale.
	if _, err := s.Annotate(ctx, "t", "bob", []Answer{{Issue: refs[7], Labels: bugscope.Labels{"kind": {"docs"}}}}, SourceCLI); err != nil {
		t.Fatal(err)
	}
	finals, _ = s.Finals(ctx, "t", nil)
	for _, f := range finals {
		if f.Stale != (f.Item.Issue == refs[7]) {
			t.Errorf("%s: stale %v", f.Item.Issue, f.Stale)
		}
		if f.Item.Issue == refs[1] && (f.Provenance() != "arbitrated by carol" || f.Labels.One("category") != "memory.leak") {
			t.Errorf("item 1: %s, %v", f.Provenance(), f.Labels)
		}
		if f.Item.Issue == refs[0] && (f.Provenance() != "agreed by ann, bob" || f.Confidence != "low") {
			t.Errorf("item 0: %s, confidence %q", f.Provenance(), f.Confidence)
		}
	}

	// The dataset: gold labels that labelrec (and so bugscope eval) reads.
	ds, err := s.Dataset(ctx, "t", ExportOptions{DataFile: "t.jsonl", CardFile: "t.card.md", Now: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var jl bytes.Buffer
	if err := ds.WriteJSONL(&jl); err != nil {
		t.Fatal(err)
	}
	recs, err := labelrec.Read(bytes.NewReader(jl.Bytes()), "t.jsonl", s.Tax)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 12 {
		t.Fatalf("%d records", len(recs))
	}
	var excluded int
	for _, r := range recs {
		if r.Issue == refs[1] {
			var raters map[string]map[string]any
			if err := json.Unmarshal(r.Extra["x_raters"], &raters); err != nil {
				t.Fatal(err)
			}
			if raters["bob"]["category"] != "memory.oom" || raters["ann"]["category"] != "memory.leak" || string(r.Extra["x_arbitrator"]) != `"carol"` {
				t.Errorf("item 1 record: %s", r.Extra)
			}
			if r.Labels.One("category") != "memory.leak" {
				t.Errorf("item 1 final: %v", r.Labels)
			}
		}
		if _, ok := r.Extra["x_excluded"]; ok {
			excluded++
			if len(r.Labels) != 0 {
				t.Errorf("excluded %s has labels", r.Issue)
			}
		}
	}
	if excluded != 1 {
		t.Errorf("%d excluded records", excluded)
	}
	// Scoring the raters against the benchmark works like eval.
	cmp := metrics.Compare(s.Tax, labelrec.LabelMap(recs), labelrec.LabelMap(recs))
	if k := cmp.Dimensions[0].Kappa; k != 1 {
		t.Errorf("the benchmark against itself: kappa %v", k)
	}

	var cb bytes.Buffer
	if err := ds.WriteCSV(&cb); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 13 || rows[0][0] != "id" || rows[0][len(rows[0])-1] != "bob:exclude_reason" {
		t.Fatalf("csv: %d rows, header %v", len(rows), rows[0])
	}

	var md bytes.Buffer
	if err := ds.Card.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	golden(t, "card.golden.md", md.Bytes())
	var cj bytes.Buffer
	if err := ds.Card.WriteJSON(&cj); err != nil {
		t.Fatal(err)
	}
	var back Card
	if err := json.Unmarshal(cj.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Items.Included != 11 || back.Items.Excluded != 1 || len(back.Agreement) != 2 || back.Items.Stale != 1 {
		t.Errorf("card: %+v", back.Items)
	}
}
