package metrics

import (
	"fmt"
	"math"
)

// Weighting selects the agreement weights of Cohen's kappa.
type Weighting int

const (
	// Unweighted: full credit on the diagonal, none elsewhere (nominal data).
	Unweighted Weighting = iota
	// Linear: credit 1-|i-j|/(k-1) for ranks i and j on a scale of k.
	Linear
	// Quadratic: credit 1-(i-j)²/(k-1)²; the usual choice for ordinal data.
	Quadratic
)

func (w Weighting) String() string {
	switch w {
	case Unweighted:
		return "unweighted"
	case Linear:
		return "linear"
	case Quadratic:
		return "quadratic"
	}
	return fmt.Sprintf("Weighting(%d)", int(w))
}

// AgreementWeights returns the k×k agreement weights (1 on the diagonal) of
// a weighting for an ordinal scale of k values.
func AgreementWeights(k int, w Weighting) [][]float64 {
	out := make([][]float64, k)
	for i := range out {
		out[i] = make([]float64, k)
		for j := range out[i] {
			switch {
			case i == j:
				out[i][j] = 1
			case w == Linear:
				out[i][j] = 1 - math.Abs(float64(i-j))/float64(k-1)
			case w == Quadratic:
				d := float64(i-j) / float64(k-1)
				out[i][j] = 1 - d*d
			}
		}
	}
	return out
}

// CohenKappa is Cohen's (1960) kappa of b against a on nominal labels:
// (po-pe)/(1-pe), observed against chance agreement from the two marginal
// distributions. NaN when there are no items or pe is 1 (both always give
// the same single label).
func CohenKappa(a, b []string) float64 {
	k, _ := Kappa(a, b, nil, Unweighted)
	return k
}

// WeightedKappa is Cohen's (1968) weighted kappa on the ordinal scale order
// (lowest first). Weights follow the full scale, not only the values that
// occur, so figures are comparable across samples. A value outside the scale
// (e.g. "(none)" for a missing answer) is a category of its own that
// agrees only with itself.
func WeightedKappa(a, b []string, order []string, w Weighting) float64 {
	k, _ := Kappa(a, b, order, w)
	return k
}

// Kappa returns Cohen's kappa (weighted as w on the scale order; order is
// ignored when unweighted) and its large-sample standard error by Fleiss,
// Cohen & Everitt (1969), the ASE that SAS PROC FREQ reports.
func Kappa(a, b []string, order []string, w Weighting) (kappa, se float64) {
	checkLen(len(a), len(b))
	ca, cb, agree := kappaCodes(a, b, order, w)
	return codedKappa(ca, cb, agree, nil)
}

// kappaCodes maps labels to indices: the scale first (when weighted), then
// the other labels sorted, and returns the matching agreement weights.
func kappaCodes(a, b []string, order []string, w Weighting) (ca, cb []int, agree [][]float64) {
	if w == Unweighted {
		order = nil
	}
	seen := map[string]bool{}
	for i := range a {
		seen[a[i]], seen[b[i]] = true, true
	}
	scale := dedupe(order)
	idx := map[string]int{}
	for i, v := range scale {
		idx[v] = i
	}
	labels := append([]string(nil), scale...)
	for _, v := range orderLabels(nil, seen) {
		if _, ok := idx[v]; !ok {
			idx[v] = len(labels)
			labels = append(labels, v)
		}
	}
	ca, cb = make([]int, len(a)), make([]int, len(b))
	for i := range a {
		ca[i], cb[i] = idx[a[i]], idx[b[i]]
	}
	agree = AgreementWeights(len(labels), Unweighted)
	if w != Unweighted && len(scale) > 1 {
		sw := AgreementWeights(len(scale), w)
		for i := range scale {
			copy(agree[i], sw[i])
		}
	}
	return ca, cb, agree
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// codedKappa is kappa over the items idx (all when nil) of coded labels.
func codedKappa(ca, cb []int, agree [][]float64, idx []int) (kappa, se float64) {
	k := len(agree)
	t := make([][]float64, k)
	for i := range t {
		t[i] = make([]float64, k)
	}
	if idx == nil {
		for i := range ca {
			t[ca[i]][cb[i]]++
		}
	} else {
		for _, i := range idx {
			t[ca[i]][cb[i]]++
		}
	}
	return TableKappa(t, agree)
}

// TableKappa is kappa and its standard error from a square table of counts
// (rows a, columns b) and agreement weights (1 on the diagonal, 0..1 off
// it; nil for unweighted). The variance is Fleiss, Cohen & Everitt (1969):
//
//	var = [Σ p_ij (w_ij - (w̄_i + w̄_j)(1-κ))² - (κ - pe(1-κ))²] / (n (1-pe)²)
//
// with w̄_i = Σ_j p_.j w_ij and w̄_j = Σ_i p_i. w_ij.
func TableKappa(t [][]float64, agree [][]float64) (kappa, se float64) {
	k := len(t)
	if agree == nil {
		agree = AgreementWeights(k, Unweighted)
	}
	var n float64
	for i := range t {
		if len(t[i]) != k || len(agree) != k || len(agree[i]) != k {
			panic("metrics: kappa table and weights must be square and of one size")
		}
		for _, c := range t[i] {
			n += c
		}
	}
	if n == 0 {
		return nan, nan
	}
	row, col := make([]float64, k), make([]float64, k)
	for i := range t {
		for j, c := range t[i] {
			row[i] += c / n
			col[j] += c / n
		}
	}
	var po, pe float64
	for i := range t {
		for j, c := range t[i] {
			po += agree[i][j] * c / n
			pe += agree[i][j] * row[i] * col[j]
		}
	}
	// A chance agreement of 1 leaves kappa 0/0; allow for rounding.
	if 1-pe < 1e-12 {
		return nan, nan
	}
	kappa = (po - pe) / (1 - pe)
	wi, wj := make([]float64, k), make([]float64, k)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			wi[i] += col[j] * agree[i][j]
			wj[j] += row[i] * agree[i][j]
		}
	}
	var s float64
	for i := range t {
		for j, c := range t[i] {
			d := agree[i][j] - (wi[i]+wj[j])*(1-kappa)
			s += c / n * d * d
		}
	}
	c := kappa - pe*(1-kappa)
	s -= c * c
	if s < 0 {
		s = 0 // rounding, when agreement is perfect
	}
	return kappa, math.Sqrt(s / (n * (1 - pe) * (1 - pe)))
}

// FleissKappa is Fleiss' (1971) kappa for any number of raters: counts[i][j]
// is how many raters put subject i in category j, and every subject must
// have the same number of ratings, at least two.
func FleissKappa(counts [][]int) (float64, error) {
	if len(counts) == 0 {
		return nan, fmt.Errorf("fleiss kappa: no subjects")
	}
	m := -1
	k := len(counts[0])
	for i, row := range counts {
		if len(row) != k {
			return nan, fmt.Errorf("fleiss kappa: subject %d has %d categories, subject 0 has %d", i, len(row), k)
		}
		s := 0
		for _, c := range row {
			if c < 0 {
				return nan, fmt.Errorf("fleiss kappa: subject %d has a negative count", i)
			}
			s += c
		}
		if m < 0 {
			m = s
		} else if s != m {
			return nan, fmt.Errorf("fleiss kappa: subject %d has %d ratings, subject 0 has %d", i, s, m)
		}
	}
	if m < 2 {
		return nan, fmt.Errorf("fleiss kappa: %d rating(s) per subject, need at least 2", m)
	}
	n, mf := float64(len(counts)), float64(m)
	pj := make([]float64, k)
	var pbar float64
	for _, row := range counts {
		var sq float64
		for j, c := range row {
			pj[j] += float64(c) / (n * mf)
			sq += float64(c * c)
		}
		pbar += (sq - mf) / (mf * (mf - 1)) / n
	}
	var pe float64
	for _, p := range pj {
		pe += p * p
	}
	if 1-pe < 1e-12 {
		return nan, nil
	}
	return (pbar - pe) / (1 - pe), nil
}

// CountRatings turns the ratings of each subject (one label per rater) into
// the counts FleissKappa takes, with its categories ordered as in order and
// then by name.
func CountRatings(ratings [][]string, order []string) (counts [][]int, categories []string) {
	seen := map[string]bool{}
	for _, r := range ratings {
		for _, v := range r {
			seen[v] = true
		}
	}
	categories = orderLabels(order, seen)
	idx := map[string]int{}
	for i, c := range categories {
		idx[c] = i
	}
	counts = make([][]int, len(ratings))
	for i, r := range ratings {
		counts[i] = make([]int, len(categories))
		for _, v := range r {
			counts[i][idx[v]]++
		}
	}
	return counts, categories
}
