package stats

import "math"

// GoldUnit is one hand-labelled unit of a prediction-powered estimate: its
// true numerator and denominator values (Y, YDen) and the classifier's
// (F, FDen). For a share among all units the denominators are 1; for a
// share among bugs, YDen says whether the unit truly is a bug and Y
// whether it is a bug of the category, F and FDen the same by the
// classifier's labels.
type GoldUnit struct {
	Y, YDen, F, FDen float64
}

// PPIStratum is one stratum of a prediction-powered estimate: the
// classifier's values for every unit of the stratum's population (the
// hand-labelled ones included, with the same predictions as in Gold), and
// the hand-labelled units, a simple random sample of the stratum. FDen nil
// means a denominator of 1 for every unit.
type PPIStratum struct {
	F, FDen []float64
	Gold    []GoldUnit
}

// PPIResult is a prediction-powered estimate of a ratio.
type PPIResult struct {
	// Estimate is the corrected ratio, clipped to [0, 1]; Interval its
	// confidence interval; SE the standard error of the unclipped ratio
	// (delta method).
	Estimate float64  `json:"estimate"`
	SE       float64  `json:"se"`
	Interval Interval `json:"interval"`
	// Raw is the classifier's own ratio over the population.
	Raw float64 `json:"raw"`
	// Lambda is the power-tuning weight of each stratum (0: the hand
	// labels alone; 1: plain prediction-powered inference).
	Lambda []float64 `json:"lambda"`
	// Gold is the number of hand-labelled units, GoldDen the sum of their
	// true denominators (the hand-labelled bugs, for a share of bugs).
	Gold    int     `json:"gold"`
	GoldDen float64 `json:"gold_den"`
	// EffectiveN is the sample size a simple proportion with the same
	// variance would have; the interval is Wilson's at that size.
	EffectiveN float64 `json:"effective_n"`
	// Uncorrected lists the strata without hand labels (at least two are
	// needed): their part of the estimate is the classifier's, uncorrected.
	Uncorrected []int `json:"uncorrected,omitempty"`
}

// PPIRatio estimates the ratio of two population means, Σ num / Σ den, from
// a classifier's values on every unit and true values on a stratified
// random sample of hand-labelled units: prediction-powered inference
// (Angelopoulos, Bates, Fannjiang, Jordan and Zrnic, Science 382, 2023)
// with power tuning (PPI++: Angelopoulos, Duchi and Zrnic, 2023), per
// stratum, combined with the strata's population weights, for a ratio by
// the delta method.
//
// In stratum h with N units and n hand labels, the mean of a value is
// estimated as ȳ + λ(F̄ − f̄): the hand labels' mean plus λ times the
// classifier's bias measured on them, F̄ the classifier's mean over all N
// units and f̄ over the n labelled ones. Since the labelled units are part
// of the population, its variance is var(u − c·g)/n + c²·var(g)/(N − n)
// with c = λ(1 − n/N), for the ratio's linearised values u = y − r·yden
// (hand labels) and g = f − r·fden (classifier); λ = cov(u, g)/var(g) on
// the hand labels (the regression estimator's coefficient), clipped to
// [0, 1], minimises it, so the estimate is never worse than the hand
// labels alone. Two pseudo-units of half weight, a missed positive and a
// false one, enter the variance (not the estimate), so that a rare value
// whose few hand labels show no error keeps an honest interval. The variance is that of the superpopulation the
// issues stand for, as the Wilson interval of the raw share.
//
// The interval is the normal one, r ± z·SE, clipped to [0, 1]. Where no
// hand-labelled unit is positive by either labelling, the hand labels say
// nothing about the classifier's errors on this value, and the standard
// error is at least that of a share of the hand-labelled denominator
// (EffectiveN is then that denominator; otherwise r(1−r)/var, capped at
// the population).
//
// The classifier must not have learned from the hand-labelled units: for
// those, F must be out-of-fold predictions (cross-prediction-powered
// inference, Zrnic and Candès, PNAS 2024).
func PPIRatio(strata []PPIStratum, confidence float64) PPIResult {
	res := PPIResult{Lambda: make([]float64, len(strata))}
	type moments struct {
		n, N       float64
		fa, fb     float64 // population means
		ya, yb     float64 // gold means of y
		ga, gb     float64 // gold means of f
		hasGold    bool
		informativ bool
	}
	ms := make([]moments, len(strata))
	var total, popDen, popNum float64
	for h, s := range strata {
		m := &ms[h]
		m.N = float64(len(s.F))
		for i, f := range s.F {
			m.fa += f
			m.fb += den(s.FDen, i)
		}
		popNum += m.fa
		popDen += m.fb
		if m.N > 0 {
			m.fa /= m.N
			m.fb /= m.N
		}
		total += m.N
		m.n = float64(len(s.Gold))
		m.hasGold = len(s.Gold) >= 2
		for _, g := range s.Gold {
			m.ya += g.Y
			m.yb += g.YDen
			m.ga += g.F
			m.gb += g.FDen
			res.GoldDen += g.YDen
			if g.Y > 0 || g.F > 0 {
				m.informativ = true
			}
		}
		res.Gold += len(s.Gold)
		if m.n > 0 {
			m.ya, m.yb, m.ga, m.gb = m.ya/m.n, m.yb/m.n, m.ga/m.n, m.gb/m.n
		}
		if !m.hasGold {
			res.Uncorrected = append(res.Uncorrected, h)
		}
	}
	if popDen > 0 {
		res.Raw = popNum / popDen
	}
	if total == 0 {
		res.Interval = Interval{0, 1}
		return res
	}
	// ratio combines the strata's estimates of the numerator's and the
	// denominator's means for the given weights λ.
	ratio := func(lambda []float64) (r, a, b float64) {
		for h, m := range ms {
			w := m.N / total
			if !m.hasGold {
				a += w * m.fa
				b += w * m.fb
				continue
			}
			a += w * (m.ya + lambda[h]*(m.fa-m.ga))
			b += w * (m.yb + lambda[h]*(m.fb-m.gb))
		}
		if b <= 0 {
			return 0, a, b
		}
		return a / b, a, b
	}
	// stratumVar is the variance of stratum h's linearised estimate at
	// ratio r and weight λ, and the λ that minimises it.
	stratumVar := func(h int, r, lambda float64) (v, best float64) {
		s, m := strata[h], ms[h]
		n := m.n
		var gMean, gVar float64
		for i, f := range s.F {
			gMean += f - r*den(s.FDen, i)
		}
		gMean /= m.N
		for i, f := range s.F {
			d := f - r*den(s.FDen, i) - gMean
			gVar += d * d
		}
		if m.N > 1 {
			gVar /= m.N - 1
		}
		var uMean, sMean float64
		for _, g := range s.Gold {
			uMean += g.Y - r*g.YDen
			sMean += g.F - r*g.FDen
		}
		uMean /= n
		sMean /= n
		var cov float64
		for _, g := range s.Gold {
			cov += (g.Y - r*g.YDen - uMean) * (g.F - r*g.FDen - sMean)
		}
		cov /= n - 1
		var sVar float64
		for _, g := range s.Gold {
			d := g.F - r*g.FDen - sMean
			sVar += d * d
		}
		sVar /= n - 1
		best = 1
		if sVar > 0 {
			best = math.Max(0, math.Min(1, cov/sVar))
		}
		c := lambda * (1 - n/m.N)
		// The variance of the rectified values, over the hand labels and
		// two pseudo-units of half weight each: a positive the classifier
		// missed and a negative it took for a positive. Like the pseudo-
		// counts of Agresti and Coull (1998), they keep the variance from
		// vanishing where the hand labels happen to show no error on a
		// rare value; the estimate itself does not use them.
		gold := append(s.Gold[:len(s.Gold):len(s.Gold)], pseudoUnits...)
		wsum, dMean, dVar := 0.0, 0.0, 0.0
		for k, g := range gold {
			w := 1.0
			if k >= len(s.Gold) {
				w = pseudoWeight
			}
			wsum += w
			dMean += w * ((g.Y - r*g.YDen) - c*(g.F-r*g.FDen))
		}
		dMean /= wsum
		for k, g := range gold {
			w := 1.0
			if k >= len(s.Gold) {
				w = pseudoWeight
			}
			d := (g.Y - r*g.YDen) - c*(g.F-r*g.FDen) - dMean
			dVar += w * d * d
		}
		dVar /= wsum - 1
		v = dVar / n
		if m.N > n {
			v += c * c * gVar / (m.N - n)
		}
		return v, best
	}
	lambda := make([]float64, len(strata))
	for h := range lambda {
		lambda[h] = 1
	}
	r, _, b := ratio(lambda)
	// λ depends on r through the linearised values and r on λ: two rounds
	// settle both.
	for range 2 {
		for h, m := range ms {
			if m.hasGold {
				_, lambda[h] = stratumVar(h, r, lambda[h])
			}
		}
		r, _, b = ratio(lambda)
	}
	var v float64
	for h, m := range ms {
		if m.hasGold {
			w := m.N / total
			vh, _ := stratumVar(h, r, lambda[h])
			v += w * w * vh
		}
	}
	if b > 0 {
		v /= b * b
	}
	copy(res.Lambda, lambda)
	res.SE = math.Sqrt(v)
	res.Estimate = clamp01(r)
	informative := false
	for _, m := range ms {
		informative = informative || m.informativ
	}
	limit := b * total // the estimated number of denominator units
	if !informative {
		limit = math.Min(limit, res.GoldDen)
	}
	p := res.Estimate
	neff := limit
	if v > 0 && p > 0 && p < 1 {
		neff = math.Min(p*(1-p)/v, limit)
	}
	res.EffectiveN = neff
	z := Z(confidence)
	se := math.Sqrt(v)
	if neff < limit || v == 0 {
		se = math.Max(se, math.Sqrt(p*(1-p)/neff))
	}
	if neff <= 0 || math.IsNaN(se) {
		res.Interval = Interval{0, 1} // nothing to go by
		return res
	}
	res.Interval = Interval{clamp01(math.Min(p, r-z*se)), clamp01(math.Max(p, r+z*se))}
	return res
}

// pseudoUnits and pseudoWeight: see the variance in PPIRatio. The
// simulation test (TestPPISimulation) measured the weight: with 0.5 the
// intervals of a category of 2.4% cover the truth in 98% of the draws
// (89% without), at 4% more width for the common ones.
var pseudoUnits = []GoldUnit{{Y: 1, YDen: 1, F: 0, FDen: 1}, {Y: 0, YDen: 1, F: 1, FDen: 1}}

const pseudoWeight = 0.5

func den(d []float64, i int) float64 {
	if d == nil {
		return 1
	}
	return d[i]
}
