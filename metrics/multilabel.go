package metrics

// LabelScore is how well b finds one label of a multi-valued dimension,
// each item being a binary yes/no for the label.
type LabelScore struct {
	Label     string `json:"label"`
	Support   int    `json:"support"`   // items with the label in a
	Predicted int    `json:"predicted"` // items with the label in b
	Correct   int    `json:"correct"`   // items with the label in both
	Precision Float  `json:"precision"`
	Recall    Float  `json:"recall"`
	F1        Float  `json:"f1"`
	// Kappa is Cohen's kappa of the label's presence (yes/no) per item.
	Kappa Float `json:"kappa"`
}

// MultiLabelScores are the figures for a multi-valued dimension.
type MultiLabelScores struct {
	N int `json:"n"`
	// ExactMatch is the share of items whose two label sets are equal.
	ExactMatch Float `json:"exact_match"`
	// Micro figures pool the yes/no decisions of every label and item;
	// undefined when no item has any label in a or b.
	MicroPrecision Float `json:"micro_precision"`
	MicroRecall    Float `json:"micro_recall"`
	MicroF1        Float `json:"micro_f1"`
	// MacroF1 averages the F1 of every label that occurs in a or in b;
	// undefined when none does.
	MacroF1 Float `json:"macro_f1"`
	// MeanJaccard averages |a∩b|/|a∪b| over items; two empty sets agree
	// fully (1), since "no pattern" is a common, meaningful answer.
	MeanJaccard Float `json:"mean_jaccard"`
	// MeanKappa averages the per-label kappas that are defined (a label
	// present on every item in both has none); it is the multi-label
	// stand-in for Cohen's kappa.
	MeanKappa Float        `json:"mean_kappa"`
	Labels    []LabelScore `json:"labels"`
}

// MultiLabel scores label sets b against a. Labels are ordered as in order
// and then by name; duplicates within a set count once.
func MultiLabel(a, b [][]string, order []string) MultiLabelScores {
	checkLen(len(a), len(b))
	pa, pb, labels := presence(a, b, order)
	out := MultiLabelScores{N: len(a)}
	var tp, fp, fn int
	var exact, jac float64
	for i := range a {
		inter, union, same := 0, 0, true
		for l := range labels {
			x, y := pa[l][i], pb[l][i]
			if x && y {
				inter++
			}
			if x || y {
				union++
			}
			if x != y {
				same = false
			}
		}
		if same {
			exact++
		}
		if union == 0 {
			jac++
		} else {
			jac += float64(inter) / float64(union)
		}
	}
	var sumF1, sumK float64
	nK := 0
	for l, name := range labels {
		s := LabelScore{Label: name}
		for i := range a {
			x, y := pa[l][i], pb[l][i]
			if x {
				s.Support++
			}
			if y {
				s.Predicted++
			}
			if x && y {
				s.Correct++
			}
		}
		p := ratio0(float64(s.Correct), float64(s.Predicted))
		r := ratio0(float64(s.Correct), float64(s.Support))
		s.Precision, s.Recall, s.F1 = Float(p), Float(r), Float(f1(p, r))
		k := binaryKappa(pa[l], pb[l], nil)
		s.Kappa = Float(k)
		sumF1 += f1(p, r)
		if s.Kappa.Defined() {
			sumK += k
			nK++
		}
		tp += s.Correct
		fp += s.Predicted - s.Correct
		fn += s.Support - s.Correct
		out.Labels = append(out.Labels, s)
	}
	n := float64(len(a))
	out.ExactMatch = Float(ratio(exact, n))
	out.MeanJaccard = Float(ratio(jac, n))
	out.MacroF1 = Float(ratio(sumF1, float64(len(labels))))
	out.MeanKappa = Float(ratio(sumK, float64(nK)))
	mp := ratio0(float64(tp), float64(tp+fp))
	mr := ratio0(float64(tp), float64(tp+fn))
	out.MicroPrecision, out.MicroRecall, out.MicroF1 = Float(mp), Float(mr), Float(f1(mp, mr))
	if tp+fp+fn == 0 {
		// No label anywhere: nothing to be precise about.
		out.MicroPrecision, out.MicroRecall, out.MicroF1 = Float(nan), Float(nan), Float(nan)
	}
	return out
}

// MultiLabelKappaCI is a percentile bootstrap interval over items for
// MultiLabel's MeanKappa.
func MultiLabelKappaCI(a, b [][]string, opt BootstrapOptions) CI {
	checkLen(len(a), len(b))
	pa, pb, labels := presence(a, b, nil)
	return Bootstrap(len(a), func(idx []int) float64 {
		var s float64
		n := 0
		for l := range labels {
			if k := binaryKappa(pa[l], pb[l], idx); k == k { // not NaN
				s += k
				n++
			}
		}
		return ratio(s, float64(n))
	}, opt)
}

// presence turns label sets into one yes/no column per label.
func presence(a, b [][]string, order []string) (pa, pb [][]bool, labels []string) {
	seen := map[string]bool{}
	for i := range a {
		for _, v := range a[i] {
			seen[v] = true
		}
		for _, v := range b[i] {
			seen[v] = true
		}
	}
	labels = orderLabels(order, seen)
	idx := map[string]int{}
	for i, l := range labels {
		idx[l] = i
	}
	pa, pb = make([][]bool, len(labels)), make([][]bool, len(labels))
	for l := range labels {
		pa[l], pb[l] = make([]bool, len(a)), make([]bool, len(a))
	}
	for i := range a {
		for _, v := range a[i] {
			pa[idx[v]][i] = true
		}
		for _, v := range b[i] {
			pb[idx[v]][i] = true
		}
	}
	return pa, pb, labels
}

// binaryKappa is Cohen's kappa of two yes/no columns over idx (all if nil).
func binaryKappa(x, y []bool, idx []int) float64 {
	var t [2][2]float64
	add := func(i int) {
		t[b2i(x[i])][b2i(y[i])]++
	}
	if idx == nil {
		for i := range x {
			add(i)
		}
	} else {
		for _, i := range idx {
			add(i)
		}
	}
	k, _ := TableKappa([][]float64{t[0][:], t[1][:]}, nil)
	return k
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
