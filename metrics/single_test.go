package metrics

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

const eps = 1e-9

func near(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol
}

func TestAccuracyAndMacroF1(t *testing.T) {
	tests := []struct {
		name     string
		a, b     []string
		acc, mf1 float64
	}{
		// scikit-learn, f1_score docstring: y_true [0 1 2 0 1 2], y_pred
		// [0 2 1 0 0 1], average="macro" → 0.2666…; accuracy 2/6.
		{"sklearn f1_score", s("0 1 2 0 1 2"), s("0 2 1 0 0 1"), 1.0 / 3, 0.8 / 3},
		// scikit-learn, classification_report docstring: y_true [0 1 2 2 2],
		// y_pred [0 0 2 2 1] → accuracy 0.60, macro avg F1 0.49.
		{"sklearn classification_report", s("0 1 2 2 2"), s("0 0 2 2 1"), 0.6, (2.0/3 + 0 + 0.8) / 3},
		{"perfect", s("x y"), s("x y"), 1, 1},
		{"empty", nil, nil, math.NaN(), math.NaN()},
		// A class only b uses counts in the macro average with F1 0.
		{"invented class", s("x x"), s("x z"), 0.5, (2.0/3 + 0) / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Accuracy(tt.a, tt.b); !near(got, tt.acc, eps) {
				t.Errorf("Accuracy = %v, want %v", got, tt.acc)
			}
			if got := MacroF1(tt.a, tt.b); !near(got, tt.mf1, eps) {
				t.Errorf("MacroF1 = %v, want %v", got, tt.mf1)
			}
		})
	}
}

func TestPerClass(t *testing.T) {
	// scikit-learn, classification_report docstring (see above): class 0
	// P 0.50 R 1.00 F1 0.67; class 1 all 0; class 2 P 1.00 R 0.67 F1 0.80.
	got := PerClass(s("0 1 2 2 2"), s("0 0 2 2 1"), s("2 1 0"))
	want := []ClassScore{
		{Class: "2", Support: 3, Predicted: 2, Correct: 2, Precision: 1, Recall: Float(2.0 / 3), F1: 0.8},
		{Class: "1", Support: 1, Predicted: 1, Correct: 0},
		{Class: "0", Support: 1, Predicted: 2, Correct: 1, Precision: 0.5, Recall: 1, F1: Float(2.0 / 3)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d classes, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Class != w.Class || g.Support != w.Support || g.Predicted != w.Predicted || g.Correct != w.Correct ||
			!near(float64(g.Precision), float64(w.Precision), eps) || !near(float64(g.Recall), float64(w.Recall), eps) || !near(float64(g.F1), float64(w.F1), eps) {
			t.Errorf("class %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestConfusionMatrix(t *testing.T) {
	tests := []struct {
		name  string
		a, b  []string
		order []string
		want  Confusion
	}{
		// scikit-learn, confusion_matrix docstring: y_true [cat ant cat cat
		// ant bird], y_pred [ant ant cat cat ant cat], labels [ant bird cat]
		// → [[2 0 0] [0 0 1] [1 0 2]].
		{"sklearn", s("cat ant cat cat ant bird"), s("ant ant cat cat ant cat"), s("ant bird cat"),
			Confusion{s("ant bird cat"), [][]int{{2, 0, 0}, {0, 0, 1}, {1, 0, 2}}}},
		// Labels outside order come after it, sorted; unused order entries are dropped.
		{"order then sorted", s("b a c"), s("b z c"), s("c b q"),
			Confusion{s("c b a z"), [][]int{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 0, 1}, {0, 0, 0, 0}}}},
		{"empty", nil, nil, nil, Confusion{Labels: []string{}, Counts: [][]int{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ConfusionMatrix(tt.a, tt.b, tt.order); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLengthMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic on unequal lengths")
		}
	}()
	Accuracy(s("a b"), s("a"))
}

// s splits a space-separated list.
func s(list string) []string { return strings.Fields(list) }
