package metrics

import (
	"math"
	"testing"
)

func TestMultiLabel(t *testing.T) {
	// scikit-learn, jaccard_score docstring: y_true [[0 1 1] [1 1 0]],
	// y_pred [[1 1 1] [1 0 0]]; average="samples" → 0.5833 (2/3 and 1/2).
	// By hand: exact match 0; micro TP 3, FP 1, FN 1 → P = R = F1 = 0.75;
	// per label: l0 P 1/2 R 1 F1 2/3, l1 P 1 R 1/2 F1 2/3, l2 P 1 R 1 F1 1
	// → macro-F1 7/9.
	a := [][]string{{"l1", "l2"}, {"l0", "l1"}}
	b := [][]string{{"l0", "l1", "l2"}, {"l0"}}
	m := MultiLabel(a, b, nil)
	checks := []struct {
		name      string
		got, want Float
	}{
		{"exact match", m.ExactMatch, 0},
		{"mean jaccard", m.MeanJaccard, Float((2.0/3 + 0.5) / 2)},
		{"micro precision", m.MicroPrecision, 0.75},
		{"micro recall", m.MicroRecall, 0.75},
		{"micro F1", m.MicroF1, 0.75},
		{"macro F1", m.MacroF1, Float(7.0 / 9)},
		{"l0 F1", m.Labels[0].F1, Float(2.0 / 3)},
		{"l1 recall", m.Labels[1].Recall, 0.5},
		{"l2 F1", m.Labels[2].F1, 1},
	}
	for _, c := range checks {
		if !near(float64(c.got), float64(c.want), eps) {
			t.Errorf("%s = %v, want %v", c.name, float64(c.got), float64(c.want))
		}
	}
}

func TestMultiLabelKappa(t *testing.T) {
	// scikit-learn, accuracy_score docstring (multilabel): [[0 1] [1 1]]
	// against all ones → subset accuracy 0.5.
	a := [][]string{{"y"}, {"x", "y"}}
	b := [][]string{{"x", "y"}, {"x", "y"}}
	if m := MultiLabel(a, b, nil); m.ExactMatch != 0.5 {
		t.Errorf("exact match = %v, want 0.5", m.ExactMatch)
	}

	// Per-label kappa, by hand. Four items:
	//   a: {p} {p,q} {}  {q}
	//   b: {p} {p}   {q} {q}
	// p: yes/yes, yes/yes, no/no, no/no → κ = 1
	// q: no/no, yes/no, no/yes, yes/yes → po 0.5, pe 0.5 → κ = 0
	// mean per-label kappa 0.5; two empty sets never occur here.
	a = [][]string{{"p"}, {"p", "q"}, {}, {"q"}}
	b = [][]string{{"p"}, {"p"}, {"q"}, {"q"}}
	m := MultiLabel(a, b, s("q p"))
	if m.Labels[0].Label != "q" || m.Labels[1].Label != "p" {
		t.Fatalf("labels not in the given order: %+v", m.Labels)
	}
	if !near(float64(m.Labels[0].Kappa), 0, eps) || !near(float64(m.Labels[1].Kappa), 1, eps) || !near(float64(m.MeanKappa), 0.5, eps) {
		t.Errorf("kappas q %v p %v mean %v, want 0, 1, 0.5", m.Labels[0].Kappa, m.Labels[1].Kappa, m.MeanKappa)
	}
	// Jaccard: 1, 1/2, 0, 1 → 0.625.
	if !near(float64(m.MeanJaccard), 0.625, eps) {
		t.Errorf("mean Jaccard = %v, want 0.625", m.MeanJaccard)
	}
	iv := MultiLabelKappaCI(a, b, BootstrapOptions{})
	if !iv.Defined() || iv.Lo > 0.5 || iv.Hi < 0.5 {
		t.Errorf("interval %+v", iv)
	}
}

func TestMultiLabelEmpty(t *testing.T) {
	// Two empty sets agree: Jaccard 1, exact match 1; with no label at all
	// the F1 figures and kappa are undefined.
	m := MultiLabel([][]string{{}, {}}, [][]string{{}, {}}, nil)
	if m.ExactMatch != 1 || m.MeanJaccard != 1 {
		t.Errorf("exact %v jaccard %v, want 1 and 1", m.ExactMatch, m.MeanJaccard)
	}
	for name, f := range map[string]Float{"micro F1": m.MicroF1, "macro F1": m.MacroF1, "mean kappa": m.MeanKappa} {
		if f.Defined() {
			t.Errorf("%s = %v, want undefined", name, f)
		}
	}
	m = MultiLabel(nil, nil, nil)
	if m.N != 0 || m.ExactMatch.Defined() || !math.IsNaN(float64(m.MeanJaccard)) {
		t.Errorf("no items: %+v", m)
	}
}
