package metrics

import (
	"fmt"
	"sort"
)

// ClassScore is how well b finds one class of a.
type ClassScore struct {
	Class     string `json:"class"`
	Support   int    `json:"support"`   // items of the class in a
	Predicted int    `json:"predicted"` // items of the class in b
	Correct   int    `json:"correct"`   // items of the class in both
	Precision Float  `json:"precision"`
	Recall    Float  `json:"recall"`
	F1        Float  `json:"f1"`
}

// Confusion is a confusion matrix: Counts[i][j] is the number of items that
// a labels Labels[i] and b labels Labels[j].
type Confusion struct {
	Labels []string `json:"labels"`
	Counts [][]int  `json:"counts"`
}

func checkLen(a, b int) {
	if a != b {
		panic(fmt.Sprintf("metrics: %d reference labels but %d to score", a, b))
	}
}

// Accuracy is the share of items on which b equals a; NaN with no items.
func Accuracy(a, b []string) float64 {
	checkLen(len(a), len(b))
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return ratio(float64(same), float64(len(a)))
}

// PerClass scores every class that occurs in a or in b, ordered as in order
// and then by name.
func PerClass(a, b []string, order []string) []ClassScore {
	checkLen(len(a), len(b))
	support, predicted, correct := map[string]int{}, map[string]int{}, map[string]int{}
	for i := range a {
		support[a[i]]++
		predicted[b[i]]++
		if a[i] == b[i] {
			correct[a[i]]++
		}
	}
	var out []ClassScore
	for _, c := range orderLabels(order, support, predicted) {
		p := ratio0(float64(correct[c]), float64(predicted[c]))
		r := ratio0(float64(correct[c]), float64(support[c]))
		out = append(out, ClassScore{
			Class: c, Support: support[c], Predicted: predicted[c], Correct: correct[c],
			Precision: Float(p), Recall: Float(r), F1: Float(f1(p, r)),
		})
	}
	return out
}

// MacroF1 is the unweighted mean F1 over the classes that occur in a or in
// b (scikit-learn's default label set), so a class that b invents and never
// gets right counts as an F1 of 0. NaN with no items.
func MacroF1(a, b []string) float64 {
	return MacroAverage(PerClass(a, b, nil)).F1
}

// Averages are unweighted means of per-class figures.
type Averages struct{ Precision, Recall, F1 float64 }

// MacroAverage averages the given class scores; NaN when there are none.
func MacroAverage(cs []ClassScore) Averages {
	if len(cs) == 0 {
		return Averages{nan, nan, nan}
	}
	var s Averages
	for _, c := range cs {
		s.Precision += float64(c.Precision)
		s.Recall += float64(c.Recall)
		s.F1 += float64(c.F1)
	}
	n := float64(len(cs))
	return Averages{s.Precision / n, s.Recall / n, s.F1 / n}
}

// ConfusionMatrix counts (a, b) pairs. Its labels are those that occur in a
// or in b, ordered as in order and then by name; pass the taxonomy's values
// as order so that matrices line up across runs.
func ConfusionMatrix(a, b []string, order []string) Confusion {
	checkLen(len(a), len(b))
	seen := map[string]int{}
	for i := range a {
		seen[a[i]]++
		seen[b[i]]++
	}
	labels := orderLabels(order, seen)
	idx := make(map[string]int, len(labels))
	for i, l := range labels {
		idx[l] = i
	}
	counts := make([][]int, len(labels))
	for i := range counts {
		counts[i] = make([]int, len(labels))
	}
	for i := range a {
		counts[idx[a[i]]][idx[b[i]]]++
	}
	return Confusion{Labels: labels, Counts: counts}
}

// orderLabels returns the keys present in any of the sets: first those in
// order, in that order, then the rest sorted.
func orderLabels[V any](order []string, sets ...map[string]V) []string {
	present := map[string]bool{}
	for _, s := range sets {
		for k := range s {
			present[k] = true
		}
	}
	out := make([]string, 0, len(present))
	for _, o := range order {
		if present[o] {
			out = append(out, o)
			delete(present, o)
		}
	}
	rest := make([]string, 0, len(present))
	for k := range present {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	return append(out, rest...)
}
