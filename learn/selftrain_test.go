package learn

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// selfTrainFixture: a few hand labels in which "alpha" tells a bug and
// "beta" a feature request, and "gamma" is in one of each (no evidence
// either way); many unlabelled issues where "gamma" comes with "alpha".
// Only pseudo-labels can teach the model that "gamma" means a bug.
func selfTrainFixture(rulesKind string) (docs []Doc, gold []bugscope.Labels, pool []Doc) {
	bug := bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom"}, "root_cause": {"resource_constraints"}, "severity": {"P1"}, "patterns": {}}
	feat := bugscope.Labels{"kind": {"feature"}}
	rules := func(kind string) *bugscope.Classification {
		return &bugscope.Classification{Classifier: "rules", ClassifierVersion: "test",
			Labels: bugscope.Labels{"kind": {kind}}, DimConfidence: map[string]float64{"kind": 0.5}}
	}
	add := func(n int, title string, l bugscope.Labels) {
		docs = append(docs, Doc{Issue: bugscope.Issue{Repo: "o/r", Number: len(docs) + 1, Title: title, Body: title + " delta"}, Rules: rules(l.One("kind"))})
		gold = append(gold, l)
	}
	for i := 0; i < 12; i++ {
		add(i, "alpha crash", bug)
		add(i, "beta request", feat)
	}
	add(0, "alpha gamma crash", bug)
	add(0, "beta gamma request", feat)
	for i := 0; i < 60; i++ {
		pool = append(pool, Doc{Issue: bugscope.Issue{Repo: "o/pool", Number: i + 1, Title: "alpha gamma crash", Body: "alpha gamma crash delta"},
			Rules: rules(rulesKind)})
	}
	return docs, gold, pool
}

// selfTrainCorpus is the corpus of selfTrainFixture with its pool as the
// unlabelled issues.
func selfTrainCorpus(t *testing.T, tax *taxonomy.Taxonomy, rulesKind string) *Corpus {
	t.Helper()
	docs, gold, pool := selfTrainFixture(rulesKind)
	c, err := NewCorpus(tax, DefaultFeatures(), docs, gold, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetUnlabelled(pool); err != nil {
		t.Fatal(err)
	}
	return c
}

func pBug(t *testing.T, m *Model, title string) float64 {
	t.Helper()
	p, err := m.Predict(context.Background(), []Doc{{Issue: bugscope.Issue{Repo: "o/new", Number: 1, Title: title, Body: "delta"}}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p[0]["kind"].Probs["bug"]
}

func TestSelfTrainPseudoLabelsChangeTheModel(t *testing.T) {
	tax := mustTax(t)
	c := selfTrainCorpus(t, tax, "bug")
	opt := DefaultTrainOptions()
	opt.CalibrationFolds = 0
	opt.MinPositives = 1
	all := Complement(c.Len(), nil)
	plain, _, err := Train(context.Background(), c, all, opt)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Training.PseudoLabels != 0 || plain.Options.SelfTrain != nil {
		t.Errorf("without self-training: %+v", plain.Training)
	}
	for _, tc := range []struct {
		name      string
		o         SelfTrainOptions
		rulesKind string
		pseudo    int
		gains     bool
	}{
		{"model alone", SelfTrainOptions{Threshold: 0.6, Weight: 0.5, Rounds: 1}, "bug", 60, true},
		{"capped", SelfTrainOptions{Threshold: 0.6, Weight: 0.5, Rounds: 1, MaxPerClass: 10}, "bug", 10, true},
		{"two rounds", SelfTrainOptions{Threshold: 0.6, Weight: 0.5, Rounds: 2}, "bug", 60, true},
		{"rules agree", SelfTrainOptions{Threshold: 0.6, Weight: 0.5, Rounds: 1, AgreeWithRules: true}, "bug", 60, true},
		{"rules disagree", SelfTrainOptions{Threshold: 0.6, Weight: 0.5, Rounds: 1, AgreeWithRules: true}, "feature", 0, false},
		{"threshold unreached", SelfTrainOptions{Threshold: 0.9999, Weight: 0.5, Rounds: 1}, "bug", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := selfTrainCorpus(t, tax, tc.rulesKind)
			o := opt
			st := tc.o
			o.SelfTrain = &st
			m, _, err := Train(context.Background(), c, all, o)
			if err != nil {
				t.Fatal(err)
			}
			if m.Training.PseudoLabels != tc.pseudo || m.Training.Unlabelled != 60 {
				t.Errorf("%d of %d unlabelled issues pseudo-labelled, want %d of 60", m.Training.PseudoLabels, m.Training.Unlabelled, tc.pseudo)
			}
			before, after := pBug(t, plain, "gamma"), pBug(t, m, "gamma")
			t.Logf("P(bug | gamma) %.3f -> %.3f, %d pseudo-labelled", before, after, m.Training.PseudoLabels)
			if tc.gains && !(after > before+0.1) {
				t.Errorf("P(bug | gamma) %.3f without self-training, %.3f with: want a clear rise", before, after)
			}
			if !tc.gains && fmt.Sprintf("%.6f", after) != fmt.Sprintf("%.6f", before) {
				t.Errorf("no pseudo-label, yet P(bug | gamma) moved from %.6f to %.6f", before, after)
			}
			// The hand labels still rule: "beta" stays a feature request.
			if p := pBug(t, m, "beta"); p > 0.5 {
				t.Errorf("P(bug | beta) %.3f after self-training", p)
			}
		})
	}
}

// Fold test issues and gold issues are never pseudo-labelled: the corpus
// refuses an unlabelled doc that is one of its labelled ones (every fold's
// test issues are), and the pseudo-labels of a fit are of unlabelled docs
// only, so a fold's test doc is never among its training rows.
func TestSelfTrainNeverLabelsLabelledIssues(t *testing.T) {
	tax := mustTax(t)
	docs, gold, pool := selfTrainFixture("bug")
	c, err := NewCorpus(tax, DefaultFeatures(), docs, gold, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetUnlabelled(append(pool[:3:3], docs[5])); err == nil || !strings.Contains(err.Error(), "o/r#6 is a labelled one") {
		t.Errorf("a labelled doc offered as unlabelled: %v", err)
	}
	if err := c.SetUnlabelled(pool); err != nil {
		t.Fatal(err)
	}
	opt := DefaultTrainOptions()
	opt.CalibrationFolds = 0
	opt.MinPositives = 1
	o := DefaultSelfTrain()
	o.Threshold = 0.6
	opt.SelfTrain = &o
	train := Complement(c.Len(), []int{0, 1, 24, 25}) // a fold's test docs left out
	m, err := fit(c, train, opt)
	if err != nil {
		t.Fatal(err)
	}
	ps := c.pseudoLabel(m, o)
	if ps.len() == 0 {
		t.Fatal("no pseudo-labels")
	}
	for _, u := range ps.docs {
		if ref := c.Unlabelled[u].Issue.Ref(); ref.Repo != "o/pool" {
			t.Errorf("pseudo-labelled %s, not an unlabelled issue", ref)
		}
	}
	for key, exs := range ps.truth {
		for _, e := range exs {
			if e.row < 0 || e.row >= ps.len() || e.conf < o.Threshold {
				t.Errorf("%q: pseudo-label %+v", key, e)
			}
		}
	}
}

func TestSelfTrainOptionsRecorded(t *testing.T) {
	tax := mustTax(t)
	c := selfTrainCorpus(t, tax, "bug")
	opt := DefaultTrainOptions()
	opt.MinPositives = 1
	o := SelfTrainOptions{Threshold: 0.6, MaxPerClass: 20, Weight: 0.3, Rounds: 2, AgreeWithRules: true}
	opt.SelfTrain = &o
	m, _, err := Train(context.Background(), c, Complement(c.Len(), nil), opt)
	if err != nil {
		t.Fatal(err)
	}
	m2 := saveAndLoad(t, m, tax)
	if got := m2.Options.SelfTrain; got == nil || *got != o || m2.Training.Unlabelled != 60 || m2.Training.PseudoLabels != 20 {
		t.Errorf("model file: self-training %+v, training %+v", got, m2.Training)
	}
}

func TestSelfTrainOptionsCheck(t *testing.T) {
	if err := DefaultSelfTrain().Check(); err != nil {
		t.Error(err)
	}
	for _, o := range []SelfTrainOptions{
		{Threshold: 0.5, Weight: 0.5, Rounds: 1},
		{Threshold: 1.1, Weight: 0.5, Rounds: 1},
		{Threshold: 0.9, Weight: 0, Rounds: 1},
		{Threshold: 0.9, Weight: 1.5, Rounds: 1},
		{Threshold: 0.9, Weight: 0.5, Rounds: 0},
		{Threshold: 0.9, Weight: 0.5, Rounds: 1, MaxPerClass: -1},
	} {
		if err := o.Check(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
