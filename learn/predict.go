package learn

import (
	"context"
	"math"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/par"
	"github.com/bugscope/bugscope/taxonomy"
)

func (h *Head) logits(x SparseVec) []float64 {
	K := len(h.Classes)
	z := append([]float64(nil), h.Bias...)
	if len(h.dense) == 0 { // a constant head
		return z
	}
	for n, j := range x.Idx {
		v := float64(x.Val[n])
		row := h.dense[int(j)*K : int(j)*K+K]
		for k, w := range row {
			z[k] += float64(w) * v
		}
	}
	return z
}

func (h *Head) probs(z []float64) []float64 {
	p := make([]float64, len(z))
	softmaxInto(z, h.Temperature, p)
	return p
}

// contributions returns the features of x that push class k up the most
// DimPrediction is the model's decision on one dimension.
type DimPrediction struct {
	Values []string `json:"values"`
	// Confidence is the calibrated probability that the decision is right
	// (for a multi-valued dimension, of its least certain yes/no).
	Confidence float64 `json:"confidence"`
	// Probs is the calibrated probability of each value (of "yes" for
	// each value of a multi-valued dimension).
	Probs    map[string]float64  `json:"probs"`
	Evidence []bugscope.Evidence `json:"evidence,omitempty"`
}

// Prediction is the model's decision on every dimension, whether or not
// the dimension applies to the issue (the ensemble may need the category
// of an issue the model thinks is no bug).
type Prediction map[string]*DimPrediction

// Labels returns the decisions as labels, taking a dimension only where
// it applies given the decisions before it.
func (p Prediction) Labels(tax *taxonomy.Taxonomy) bugscope.Labels {
	l := bugscope.Labels{}
	for _, d := range tax.Dimensions {
		dp := p[d.ID]
		if dp == nil || len(dp.Values) == 0 || !tax.Applies(d, l) {
			continue
		}
		l[d.ID] = append([]string(nil), dp.Values...)
	}
	return l
}

// predictVec decides every dimension for one vector; doc, when set, is
// used to locate the evidence in the issue's text.
func (m *Model) predictVec(x SparseVec, doc *Doc, evidence int) Prediction {
	p := Prediction{}
	var loc *locator
	if doc != nil && evidence > 0 {
		loc = &locator{issue: &doc.Issue}
	}
	for _, dm := range m.Dimensions {
		d := m.tax.Dimension(dm.Dimension)
		dp := &DimPrediction{Probs: map[string]float64{}, Values: []string{}}
		p[dm.Dimension] = dp
		if dm.Multi {
			dp.Confidence = 1
			for _, h := range dm.Values {
				pr := h.probs(h.logits(x))
				py := pr[indexOf(h.Classes, yes)]
				dp.Probs[h.Value] = py
				dp.Confidence = min(dp.Confidence, max(py, 1-py))
				if py >= 0.5 {
					dp.Values = append(dp.Values, h.Value)
					if loc != nil {
						dp.Evidence = append(dp.Evidence, m.evidence(loc, h, x, indexOf(h.Classes, yes), dm.Dimension, h.Value, evidence)...)
					}
				}
			}
			continue
		}
		h := dm.Head
		pr := h.probs(h.logits(x))
		for k, c := range h.Classes {
			dp.Probs[c] = pr[k]
		}
		k := decide(dm.Decision, d, h.Classes, pr)
		if dm.Decision == DecideCutpoints && len(dm.Cutpoints) > 0 {
			v := cutValue(d, dm.Cutpoints, dp.Probs)
			if i := indexOf(h.Classes, v); i >= 0 {
				k = i
			} else { // a value the training data lacked: no evidence for it
				dp.Values = []string{v}
				continue
			}
		}
		dp.Values = []string{h.Classes[k]}
		dp.Confidence = pr[k]
		if loc != nil {
			dp.Evidence = m.evidence(loc, h, x, k, dm.Dimension, h.Classes[k], evidence)
		}
	}
	return p
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// decide picks a class of a single-valued head from its probabilities.
func decide(how string, d *taxonomy.Dimension, classes []string, p []float64) int {
	best := func(ok func(k int) bool) int {
		b := -1
		for k := range p {
			if ok(k) && (b < 0 || p[k] > p[b]) {
				b = k
			}
		}
		return b
	}
	all := func(int) bool { return true }
	switch how {
	case DecideExpectedRank, DecideCutpoints:
		er := 0.0
		for k, c := range classes {
			er += p[k] * float64(d.Rank(c))
		}
		b := 0
		for k, c := range classes {
			if math.Abs(float64(d.Rank(c))-er) < math.Abs(float64(d.Rank(classes[b]))-er) {
				b = k
			}
		}
		return b
	case DecideGroupFirst:
		group := map[string]float64{}
		for k, c := range classes {
			group[groupOf(d, c)] += p[k]
		}
		g, gp := "", -1.0
		for _, c := range classes { // class order breaks ties
			if v := group[groupOf(d, c)]; v > gp {
				g, gp = groupOf(d, c), v
			}
		}
		return best(func(k int) bool { return groupOf(d, classes[k]) == g })
	}
	return best(all)
}

func groupOf(d *taxonomy.Dimension, v string) string {
	if g := d.GroupOf(v); g != "" {
		return g
	}
	return v
}

// Predict decides every dimension of each doc, with up to `evidence`
// strongest features per decision (0: none).
func (m *Model) Predict(ctx context.Context, docs []Doc, evidence int) ([]Prediction, error) {
	out := make([]Prediction, len(docs))
	err := par.Workers(ctx, len(docs), 0, func(int) func(int) {
		ex := newExtractor(m.Features, nil)
		return func(i int) {
			x := m.Vocab.vector(ex.extract(&docs[i]), m.Features)
			out[i] = m.predictVec(x, &docs[i], evidence)
		}
	})
	return out, err
}

// evidence turns the strongest features of a decision into evidence: a
// word found in the issue is quoted with its place; any other feature is
// expectedRank is Σ P(v)·rank(v) over an ordinal dimension's values.
func expectedRank(d *taxonomy.Dimension, probs map[string]float64) float64 {
	s := 0.0
	for v, p := range probs {
		s += p * float64(d.Rank(v))
	}
	return s
}

// cutValue is the value whose rank is the number of cutpoints at or below
// the expected rank.
func cutValue(d *taxonomy.Dimension, cuts []float64, probs map[string]float64) string {
	s := expectedRank(d, probs)
	r := 0
	for _, c := range cuts {
		if s >= c {
			r++
		}
	}
	all := d.AllValues()
	return all[min(r, len(all)-1)].ID
}
