package stats

import "math"

// Interval is a confidence interval.
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Wilson is the Wilson score interval for k successes in n trials (R's
// prop.test without continuity correction). It is defined for a
// fractional k and n too, as the effective-sample-size intervals of
// prediction-powered estimates need. n ≤ 0 gives [0, 1].
func Wilson(k, n, confidence float64) Interval {
	if n <= 0 {
		return Interval{0, 1}
	}
	p := clamp01(k / n)
	z := Z(confidence)
	z2 := z * z
	den := 1 + z2/n
	centre := (p + z2/(2*n)) / den
	half := z / den * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	lo, hi := clamp01(centre-half), clamp01(centre+half)
	// At the bounds the formula's rounding can leave p a hair outside.
	return Interval{math.Min(lo, p), math.Max(hi, p)}
}
