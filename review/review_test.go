package review

import (
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

func cl(n int, classifier string, conf float64, labels bugscope.Labels, ev ...bugscope.Evidence) bugscope.Classified {
	return bugscope.Classified{
		Issue: bugscope.Issue{Repo: "o/r", Number: n, Title: "issue"},
		Classification: bugscope.Classification{Issue: bugscope.IssueRef{Repo: "o/r", Number: n}, Classifier: classifier,
			Labels: labels, Confidence: conf, Evidence: ev},
	}
}

func TestBuildOrder(t *testing.T) {
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	bugOOM := bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom"}, "root_cause": {"resource_constraints"}, "severity": {"P1"}}
	bugLoad := bugscope.Labels{"kind": {"bug"}, "category": {"model.loading"}, "root_cause": {"resource_constraints"}, "severity": {"P1"}}
	feature := bugscope.Labels{"kind": {"feature"}}
	ruleEv := bugscope.Evidence{Dimension: "kind", Value: "bug", Rule: "kind.bug.prefix", Field: "title", Match: "[Bug]"}
	modelEv := bugscope.Evidence{Dimension: "kind", Value: "feature", Rule: "model", Field: "title", Match: "support"}
	rules := []bugscope.Classified{
		cl(1, "rules", 0.9, bugOOM),         // all agree, sure
		cl(2, "rules", 0.8, bugOOM, ruleEv), // kind disagreement
		cl(3, "rules", 0.9, bugOOM),         // category disagreement
		cl(4, "rules", 0.9, feature),        // agree, unsure
	}
	model := []bugscope.Classified{
		cl(1, "model", 0.9, bugOOM),
		cl(2, "model", 0.7, feature, modelEv),
		cl(3, "model", 0.6, bugLoad),
		cl(4, "model", 0.3, feature),
	}
	final := []bugscope.Classified{
		cl(1, "ensemble", 0.95, bugOOM),
		cl(2, "ensemble", 0.7, feature, modelEv),
		cl(3, "ensemble", 0.85, bugOOM),
		cl(4, "ensemble", 0.2, feature),
	}
	items := Build(tax, final, rules, model)
	var order []int
	for _, it := range items {
		order = append(order, map[string]int{"o/r#1": 1, "o/r#2": 2, "o/r#3": 3, "o/r#4": 4}[it.Issue])
	}
	// #2: 0.3 + kind 1 = 1.3 (category and below apply to one side only);
	// #3: 0.15 + 0.6 = 0.75; #4: 0.8; #1: 0.05.
	want := []int{2, 4, 3, 1}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	top := items[0]
	if len(top.Disagreements) != 1 || top.Disagreements[0].Dimension != "kind" ||
		top.Disagreements[0].Rules[0] != "bug" || top.Disagreements[0].Model[0] != "feature" || top.Disagreements[0].Final[0] != "feature" {
		t.Errorf("disagreements %+v", top.Disagreements)
	}
	if d := items[2].Disagreements; len(d) != 1 || d[0].Dimension != "category" || d[0].Model[0] != "model.loading" || d[0].Rules[0] != "memory.oom" {
		t.Errorf("category disagreement %+v", d)
	}
	if ev := top.Rules.EvidenceFor("kind"); len(ev) != 1 || ev[0].Match != "[Bug]" {
		t.Errorf("rules evidence %+v", ev)
	}
	if ev := top.Model.EvidenceFor("kind"); len(ev) != 1 || ev[0].Match != "support" {
		t.Errorf("model evidence %+v", ev)
	}
	if d := items[1].Disagreements; len(d) != 0 {
		t.Errorf("#4 has disagreements %+v", d)
	}
	if s := items[0].Score; s < 1.299 || s > 1.301 {
		t.Errorf("score %v, want 1.3", s)
	}

	// Without rules and model, only the confidence orders.
	items = Build(tax, final, nil, nil)
	if items[0].Issue != "o/r#4" || items[3].Issue != "o/r#1" || items[0].Rules != nil {
		t.Errorf("confidence order: %s ... %s", items[0].Issue, items[3].Issue)
	}
}
