package stats

import (
	"math"
	"sort"
)

// MannKendallResult is the Mann–Kendall test for a monotonic trend.
type MannKendallResult struct {
	N    int     `json:"n"`
	S    float64 `json:"s"`
	VarS float64 `json:"var_s"`
	Z    float64 `json:"z"`
	P    float64 `json:"p"` // two-sided
	Tau  float64 `json:"tau"`
}

// MannKendall tests x (equally spaced observations in time order) for a
// monotonic trend: S counts the increasing minus the decreasing pairs,
// its variance is corrected for ties, and Z = (S ∓ 1)/√Var(S) carries a
// continuity correction (Mann 1945; Kendall 1975; as pymannkendall's
// original_test). Kendall's tau is S over the number of pairs.
func MannKendall(x []float64) MannKendallResult {
	n := len(x)
	r := MannKendallResult{N: n}
	if n < 3 {
		r.P = 1
		return r
	}
	for i := 0; i < n-1; i++ {
		for j := i + 1; j < n; j++ {
			switch {
			case x[j] > x[i]:
				r.S++
			case x[j] < x[i]:
				r.S--
			}
		}
	}
	fn := float64(n)
	v := fn * (fn - 1) * (2*fn + 5)
	counts := map[float64]int{}
	for _, xi := range x {
		counts[xi]++
	}
	for _, t := range counts {
		if t > 1 {
			ft := float64(t)
			v -= ft * (ft - 1) * (2*ft + 5)
		}
	}
	r.VarS = v / 18
	switch {
	case r.VarS <= 0:
	case r.S > 0:
		r.Z = (r.S - 1) / math.Sqrt(r.VarS)
	case r.S < 0:
		r.Z = (r.S + 1) / math.Sqrt(r.VarS)
	}
	r.P = normalTwoSided(r.Z)
	r.Tau = r.S / (fn * (fn - 1) / 2)
	return r
}

// SenResult is Sen's slope estimate with its interval.
type SenResult struct {
	Slope     float64  `json:"slope"`
	Intercept float64  `json:"intercept"`
	Interval  Interval `json:"interval"`
}

// SenSlope is the median of the pairwise slopes (x[j]−x[i])/(j−i) of
// equally spaced observations (Sen 1968), the intercept median(x) −
// slope·median(index) as pymannkendall's sens_slope, and the
// distribution-free interval of Gilbert (1987, §16.5.1): the ordered
// slopes of ranks (N' − C)/2 and (N' + C)/2 + 1, with C = z·√Var(S) of
// the Mann–Kendall test and N' the number of slopes, rounded as R's
// trend::sens.slope.
func SenSlope(x []float64, confidence float64) SenResult {
	n := len(x)
	if n < 2 {
		return SenResult{}
	}
	slopes := make([]float64, 0, n*(n-1)/2)
	for i := 0; i < n-1; i++ {
		for j := i + 1; j < n; j++ {
			slopes = append(slopes, (x[j]-x[i])/float64(j-i))
		}
	}
	sort.Float64s(slopes)
	r := SenResult{Slope: medianSorted(slopes)}
	sx := append([]float64(nil), x...)
	sort.Float64s(sx)
	r.Intercept = medianSorted(sx) - r.Slope*float64(n-1)/2
	c := Z(confidence) * math.Sqrt(MannKendall(x).VarS)
	np := float64(len(slopes))
	m1 := int(math.Round((np - c) / 2))
	m2 := int(math.Round((np+c)/2 + 1))
	at := func(rank int) float64 { // 1-based, clamped
		return slopes[max(0, min(len(slopes)-1, rank-1))]
	}
	r.Interval = Interval{at(m1), at(m2)}
	return r
}

func medianSorted(s []float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// TrendResult is the Cochran–Armitage test for a trend in proportions.
type TrendResult struct {
	ChiSquare float64 `json:"chi_square"` // 1 degree of freedom
	Z         float64 `json:"z"`
	P         float64 `json:"p"`
	// Slope is the least-squares change of the proportion per unit of
	// score (weighted by the trials), with a Wald interval.
	Slope    float64  `json:"slope"`
	Interval Interval `json:"interval"`
}

// CochranArmitage tests proportions x[i]/n[i] at ordered scores for a
// linear trend (Cochran 1954; Armitage 1955): the statistic is the
// regression sum of squares of the proportions on the scores, weighted by
// n/(p̄(1−p̄)), as R's prop.trend.test. Nil scores are 1, 2, 3, ...
func CochranArmitage(x, n []int, score []float64, confidence float64) TrendResult {
	var sx, sn, sw float64
	for i := range x {
		sx += float64(x[i])
		sn += float64(n[i])
	}
	var r TrendResult
	if sn == 0 {
		r.P = 1
		return r
	}
	p := sx / sn
	sc := func(i int) float64 {
		if score == nil {
			return float64(i + 1)
		}
		return score[i]
	}
	for i := range x {
		sw += float64(n[i]) * sc(i)
	}
	mean := sw / sn
	var sxx, sxy, vAlt float64
	for i := range x {
		if n[i] == 0 {
			continue
		}
		d := sc(i) - mean
		pi := float64(x[i]) / float64(n[i])
		sxx += float64(n[i]) * d * d
		sxy += float64(n[i]) * d * pi
		vAlt += float64(n[i]) * d * d * pi * (1 - pi)
	}
	if sxx == 0 || p == 0 || p == 1 {
		r.P = 1
		return r
	}
	r.Slope = sxy / sxx
	r.Z = r.Slope / math.Sqrt(p*(1-p)/sxx)
	r.ChiSquare = r.Z * r.Z
	r.P = chiSquareSurvival(r.ChiSquare, 1)
	se := math.Sqrt(vAlt) / sxx
	z := Z(confidence)
	r.Interval = Interval{r.Slope - z*se, r.Slope + z*se}
	return r
}
