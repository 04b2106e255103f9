package ensemble

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/taxonomy"
)

func mustTax(t testing.TB) *taxonomy.Taxonomy {
	t.Helper()
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

// FitGates on examples where the rules are right exactly when their
// confidence is at least 0.6 and the model is right everywhere else: the
// threshold lands at 0.6.
func TestFitGatesThreshold(t *testing.T) {
	tax := mustTax(t)
	r := rand.New(rand.NewPCG(1, 1))
	var rules []*bugscope.Classification
	var oof []learn.Prediction
	var gold []bugscope.Labels
	kinds := []string{"bug", "feature", "question", "docs"}
	for i := 0; i < 200; i++ {
		truth := kinds[i%4]
		wrong := kinds[(i+1)%4]
		conf := []float64{0.3, 0.45, 0.6, 0.75, 0.9}[r.IntN(5)]
		rv, mv := truth, wrong
		if conf < 0.6 {
			rv, mv = wrong, truth
		}
		rules = append(rules, &bugscope.Classification{Labels: bugscope.Labels{"kind": {rv}}, DimConfidence: map[string]float64{"kind": conf}})
		oof = append(oof, learn.Prediction{"kind": {Values: []string{mv}, Confidence: 0.5, Probs: map[string]float64{mv: 0.5}}})
		gold = append(gold, bugscope.Labels{"kind": {truth}})
	}
	g := FitGates(tax, rules, oof, gold)["kind"]
	if g.Mode != GateThreshold || g.Threshold != 0.6 {
		t.Errorf("gate %+v, want a threshold at 0.6", g)
	}
	if g.Examples != 200 || g.RulesShare < 0.5 || g.RulesShare > 0.7 {
		t.Errorf("gate %+v", g)
	}
	// The calibration says the rules are right above 0.6, wrong below.
	if p := sigmoid(g.A*0.9 + g.B); p < 0.8 {
		t.Errorf("P(right | 0.9) = %.2f", p)
	}
	if p := sigmoid(g.A*0.3 + g.B); p > 0.2 {
		t.Errorf("P(right | 0.3) = %.2f", p)
	}
	// A dimension where the rules never decide goes to the model.
	if _, ok := FitGates(tax, rules, oof, gold)["category"]; ok {
		t.Error("a gate for category without any gold bug")
	}
}

// When the model is right exactly where it is more confident than the
// rules' calibrated confidence, the comparison gate wins.
func TestFitGatesCompare(t *testing.T) {
	tax := mustTax(t)
	var rules []*bugscope.Classification
	var oof []learn.Prediction
	var gold []bugscope.Labels
	for i := 0; i < 120; i++ {
		truth, wrong := "bug", "feature"
		if i%2 == 0 {
			truth, wrong = "feature", "bug"
		}
		// Rules always say 0.7 and are right half the time; the model is
		// sure (0.95) and right, or unsure (0.2) and wrong.
		rv := truth
		mv, mc := truth, 0.95
		if i%4 < 2 {
			rv = wrong
		} else {
			mv, mc = wrong, 0.2
		}
		rules = append(rules, &bugscope.Classification{Labels: bugscope.Labels{"kind": {rv}}, DimConfidence: map[string]float64{"kind": 0.7}})
		oof = append(oof, learn.Prediction{"kind": {Values: []string{mv}, Confidence: mc}})
		gold = append(gold, bugscope.Labels{"kind": {truth}})
	}
	g := FitGates(tax, rules, oof, gold)["kind"]
	if g.Mode != GateCompare || math.Abs(g.RulesShare-0.5) > 1e-9 {
		t.Errorf("gate %+v, want compare, rules on half", g)
	}
}

// synthetic labelled docs: the title tells the kind; the rules are right
// and sure on bugs, unsure and wrong on questions.
func synthetic(n int) ([]learn.Doc, []bugscope.Labels) {
	var docs []learn.Doc
	var gold []bugscope.Labels
	for i := 0; i < n; i++ {
		var title string
		var g, rl bugscope.Labels
		conf := 0.9
		switch i % 3 {
		case 0:
			title = "crash out of memory oom"
			g = bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom"}, "root_cause": {"resource_constraints"}, "severity": {"P1"}}
			rl = g
		case 1:
			title = "please add support proposal"
			g = bugscope.Labels{"kind": {"feature"}}
			rl = g
		default:
			title = "how do i configure question"
			g = bugscope.Labels{"kind": {"question"}}
			rl = bugscope.Labels{"kind": {"feature"}}
			conf = 0.35
		}
		docs = append(docs, learn.Doc{
			Issue: bugscope.Issue{Repo: "o/r", Number: i + 1, Title: title, Body: strings.Repeat("words here ", i%5)},
			Rules: &bugscope.Classification{Issue: bugscope.IssueRef{Repo: "o/r", Number: i + 1}, Classifier: "rules", ClassifierVersion: "t",
				Labels: rl, DimConfidence: map[string]float64{"kind": conf, "category": conf, "root_cause": conf, "severity": conf},
				Evidence: []bugscope.Evidence{{Dimension: "kind", Value: rl.One("kind"), Rule: "r1", Field: "title", Match: "x"}}},
		})
		gold = append(gold, g)
	}
	return docs, gold
}

func TestTrainCombineAndCrossValidate(t *testing.T) {
	tax := mustTax(t)
	docs, gold := synthetic(90)
	c, err := learn.NewCorpus(tax, learn.DefaultFeatures(), docs, gold, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := learn.DefaultTrainOptions()
	m, err := Train(context.Background(), c, learn.Complement(c.Len(), nil), opt)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := m.Gates["kind"]
	if !ok {
		t.Fatalf("no kind gate: %+v", m.Gates)
	}
	preds, err := m.Learned.Predict(context.Background(), docs[:3], 2)
	if err != nil {
		t.Fatal(err)
	}
	// A bug the rules are sure of: the rules' evidence, prefixed.
	bug := Combine(m, docs[0].Rules, preds[0])
	if bug.Labels.One("kind") != "bug" || bug.Classifier != Name || bug.Issue.Number != 1 {
		t.Errorf("bug: %+v", bug)
	}
	if err := tax.Check(bug.Labels); err != nil {
		t.Error(err)
	}
	// The question the rules get wrong with low confidence: the model's.
	q := Combine(m, docs[2].Rules, preds[2])
	if q.Labels.One("kind") != "question" {
		t.Errorf("question: labels %v (gate %+v, model %v)", q.Labels, g, preds[2]["kind"])
	}
	found := false
	for _, e := range q.Evidence {
		if e.Dimension == "kind" && strings.HasPrefix(e.Rule, learn.Name) {
			found = true
		}
		if e.Dimension == "kind" && strings.HasPrefix(e.Rule, "rules:") {
			t.Errorf("the rules' evidence kept for a decision of the model: %+v", e)
		}
	}
	if !found {
		t.Errorf("no model evidence for the question: %+v", q.Evidence)
	}
	if q.Confidence <= 0 || q.Confidence > 1 || q.DimConfidence["kind"] <= 0 {
		t.Errorf("confidence %v %v", q.Confidence, q.DimConfidence)
	}
	if q.Labels["category"] != nil {
		t.Errorf("a category for a question: %v", q.Labels)
	}

	res, err := CrossValidate(context.Background(), c, 3, opt, CVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Folds != 3 || res.Examples != 90 || res.Rules.Common != 90 || res.Ensemble.Common != 90 {
		t.Fatalf("cv %+v", res)
	}
	rulesAcc := float64(res.Rules.Dimensions[0].Accuracy)
	ensAcc := float64(res.Ensemble.Dimensions[0].Accuracy)
	if math.Abs(rulesAcc-2.0/3) > 1e-9 || ensAcc < 0.95 {
		t.Errorf("kind accuracy: rules %.3f (want 2/3), ensemble %.3f", rulesAcc, ensAcc)
	}
	sum := res.Summary()
	if sum.Folds != 3 || len(sum.Figures) != 4*len(res.Ensemble.Dimensions) {
		t.Errorf("summary %+v", sum)
	}
	if _, err := CrossValidate(context.Background(), c, 1, opt, CVOptions{}); err == nil {
		t.Error("one fold accepted")
	}
}

func TestClassifierRunsAllThree(t *testing.T) {
	tax := mustTax(t)
	docs, gold := synthetic(60)
	c, err := learn.NewCorpus(tax, learn.DefaultFeatures(), docs, gold, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Train(context.Background(), c, learn.Complement(c.Len(), nil), learn.DefaultTrainOptions())
	if err != nil {
		t.Fatal(err)
	}
	var issues []bugscope.Issue
	for _, d := range docs[:6] {
		issues = append(issues, d.Issue)
	}
	rules := &fixedRules{docs: docs}
	ens := &Classifier{Model: m, Rules: rules}
	res, err := ens.ClassifyAll(context.Background(), issues, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rules.calls != 1 {
		t.Errorf("the rules ran %d times, want once", rules.calls)
	}
	for i := range issues {
		if res.Rules[i].Classifier != "rules" || res.Model[i].Classifier != learn.Name || res.Ensemble[i].Classifier != Name {
			t.Errorf("issue %d: %s %s %s", i, res.Rules[i].Classifier, res.Model[i].Classifier, res.Ensemble[i].Classifier)
		}
		if res.Ensemble[i].Issue != issues[i].Ref() || res.Model[i].Issue != issues[i].Ref() {
			t.Errorf("issue %d: refs %v %v", i, res.Ensemble[i].Issue, res.Model[i].Issue)
		}
	}
	if res.Ensemble[2].Labels.One("kind") != "question" {
		t.Errorf("ensemble: %v", res.Ensemble[2].Labels)
	}
	cs, err := ens.Classify(context.Background(), issues)
	if err != nil || len(cs) != len(issues) || cs[0].Classifier != Name {
		t.Errorf("Classify: %v %v", len(cs), err)
	}
	if _, err := (&Classifier{Model: m}).Classify(context.Background(), issues); err == nil {
		t.Error("no rule classifier, no error")
	}
}

// fixedRules answers the synthetic docs' rule decisions.
type fixedRules struct {
	docs  []learn.Doc
	calls int
}

func (f *fixedRules) Name() string    { return "rules" }
func (f *fixedRules) Version() string { return "t" }
func (f *fixedRules) Classify(_ context.Context, issues []bugscope.Issue) ([]bugscope.Classification, error) {
	f.calls++
	out := make([]bugscope.Classification, len(issues))
	for i, is := range issues {
		out[i] = *f.docs[is.Number-1].Rules
	}
	return out, nil
}

// Cross-validation lets the model take part only where it beats the rules
// out of fold on the held-out source: on the synthetic labels the rules
// call every question a feature, so the kind goes to the gates; where the
// rules are always right, no dimension does, and the final ensemble is
// the rules. Figures come per source, and the final ensemble is never
// below the rules on the judged labels.
func TestCrossValidateChoices(t *testing.T) {
	tax := mustTax(t)
	for _, tc := range []struct {
		name      string
		perfect   bool
		wantModel bool
	}{{"rules wrong on questions", false, true}, {"rules always right", true, false}} {
		docs, gold := synthetic(90)
		if tc.perfect {
			for i := range docs {
				docs[i].Rules.Labels = gold[i]
			}
		}
		c, err := learn.NewCorpus(tax, learn.DefaultFeatures(), docs, gold, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Source = make([]string, c.Len())
		for i := range c.Source {
			c.Source[i] = []string{"tuned.jsonl", "held.jsonl"}[i/45]
		}
		res, err := CrossValidate(context.Background(), c, 3, learn.DefaultTrainOptions(), CVOptions{HeldOut: "held.jsonl"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Subsets) != 2 || res.Subsets[1].Source != "held.jsonl" || res.Subsets[1].Examples != 45 || res.HeldOut != "held.jsonl" {
			t.Fatalf("%s: subsets %+v", tc.name, res.Subsets)
		}
		var kind GateChoice
		for _, ch := range res.Choices {
			if ch.Dimension == "kind" {
				kind = ch
			}
			if tc.perfect && ch.UseModel {
				t.Errorf("%s: the model takes part in %s: %s", tc.name, ch.Dimension, ch.Why)
			}
		}
		if kind.UseModel != tc.wantModel || kind.Why == "" {
			t.Errorf("%s: kind choice %+v", tc.name, kind)
		}
		for _, g := range res.Gains {
			switch {
			case tc.perfect && g.Gain.Defined() && (g.Gain != 0 || g.Lo != 0 || g.Hi != 0):
				t.Errorf("%s: %s gains %v [%v, %v] where the ensemble is the rules", tc.name, g.Dimension, g.Gain, g.Lo, g.Hi)
			case !tc.perfect && g.Dimension == "kind" && !(g.Gain > 0 && g.Lo > 0 && g.Hi >= g.Gain):
				t.Errorf("%s: the kind gains %v [%v, %v], want a gain with an interval above 0", tc.name, g.Gain, g.Lo, g.Hi)
			}
		}
		held := res.Subsets[1]
		if fell := lower(held.Rules, held.Final); fell != "" {
			t.Errorf("%s: the final ensemble is below the rules on the held-out labels: %s", tc.name, fell)
		}
		m, err := Train(context.Background(), c, learn.Complement(c.Len(), nil), learn.DefaultTrainOptions())
		if err != nil {
			t.Fatal(err)
		}
		res.Apply(m)
		if g := m.Gates["kind"]; (g.Mode == GateRules) == tc.wantModel || g.Why != kind.Why || m.CV == nil || m.CV.HeldOut != "held.jsonl" {
			t.Errorf("%s: applied kind gate %+v, cv %+v", tc.name, g, m.CV)
		}
		if tc.perfect {
			for i := range docs {
				p, err := m.Learned.Predict(context.Background(), docs[i:i+1], 0)
				if err != nil {
					t.Fatal(err)
				}
				if got := Combine(m, docs[i].Rules, p[0]).Labels; !sameLabels(got, gold[i]) {
					t.Errorf("%s: issue %d: ensemble %v, rules %v", tc.name, i, got, gold[i])
					break
				}
			}
		}
	}
	// The held-out source must exist.
	docs, gold := synthetic(30)
	c, _ := learn.NewCorpus(tax, learn.DefaultFeatures(), docs, gold, nil)
	if _, err := CrossValidate(context.Background(), c, 3, learn.DefaultTrainOptions(), CVOptions{HeldOut: "nope.jsonl"}); err == nil || !strings.Contains(err.Error(), "nope.jsonl") {
		t.Errorf("an unknown held-out source: %v", err)
	}
}

func sameLabels(a, b bugscope.Labels) bool {
	for _, l := range []bugscope.Labels{a, b} {
		for d := range l {
			if !sameSet(a[d], b[d]) {
				return false
			}
		}
	}
	return true
}
