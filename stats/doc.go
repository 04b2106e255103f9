// Package stats holds the statistics of bugscope's reports as pure
// functions: intervals for shares (Wilson; prediction-powered inference for
// shares and ratios with strata), trend tests (Mann–Kendall with Sen's
// slope, Cochran–Armitage), tests of independence (chi-square with a
// Monte-Carlo p-value for sparse tables, Fisher's exact test for 2×2
// tables, Cramér's V with an interval, adjusted standardized residuals),
// corrections for many tests (Benjamini–Hochberg, Holm), and survival
// (Kaplan–Meier with median intervals, the log-rank test), plus an exact
// interval for a median.
//
// Every function is tested against published worked examples or a
// reference implementation's printed output (R, SciPy, statsmodels,
// pymannkendall, confintr), the source named in the test. Distributions
// come from gonum's distuv.
package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Z is the two-sided standard normal quantile for a confidence level:
// 1.959964 for 0.95.
func Z(confidence float64) float64 {
	return distuv.UnitNormal.Quantile(1 - (1-confidence)/2)
}

// normalTwoSided is the two-sided p-value of a standard normal statistic.
func normalTwoSided(z float64) float64 {
	return 2 * distuv.UnitNormal.Survival(math.Abs(z))
}

// chiSquareSurvival is P(X ≥ x) for X chi-square with df degrees of freedom.
func chiSquareSurvival(x, df float64) float64 {
	if df <= 0 {
		return math.NaN()
	}
	if x <= 0 {
		return 1
	}
	return distuv.ChiSquared{K: df}.Survival(x)
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }
