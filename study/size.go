package study

import (
	"math"

	"github.com/bugscope/bugscope"
)

// DefaultConfidence and DefaultMargin are the source study's: a 95%
// confidence level and a 5% confidence interval (margin of error).
const (
	DefaultConfidence = 0.95
	DefaultMargin     = 0.05
	// Proportion is the p of Cochran's formula: 0.5, the most
	// conservative choice when the share being estimated is unknown.
	Proportion = 0.5
)

// Z is the two-sided standard normal quantile of a confidence level:
// 1.959964 for 0.95.
func Z(confidence float64) float64 { return math.Sqrt2 * math.Erfinv(confidence) }

// CochranN0 is Cochran's sample size for an infinite population,
// n0 = z² p (1-p) / e² (Cochran 1977, eq. 4.2): 384.15 for a 95% level, a
// 5% margin and p = 0.5.
func CochranN0(confidence, margin, p float64) float64 {
	z := Z(confidence)
	return z * z * p * (1 - p) / (margin * margin)
}

// CheckLevels validates a confidence level and a margin of error.
func CheckLevels(confidence, margin float64) error {
	if !(confidence > 0 && confidence < 1) {
		return bugscope.Errorf(bugscope.EInvalid, "confidence %v: want a level between 0 and 1, such as 0.95", confidence)
	}
	if !(margin > 0 && margin < 1) {
		return bugscope.Errorf(bugscope.EInvalid, "margin %v: want a margin of error between 0 and 1, such as 0.05", margin)
	}
	return nil
}

// SampleSize is Cochran's sample size for a population of N with the
// finite-population correction, n = n0 / (1 + (n0-1)/N) (Cochran 1977,
// eq. 4.3), with p = 0.5. It returns the formula's value and the sample
// size: the value rounded up, at most N. For N = 1,416 at 95% and 5% the
// formula gives 302.34 and the size is 303.
func SampleSize(N int, confidence, margin float64) (formula float64, n int) {
	if N <= 0 {
		return 0, 0
	}
	n0 := CochranN0(confidence, margin, Proportion)
	formula = n0 / (1 + (n0-1)/float64(N))
	// A value a rounding error above an integer is that integer.
	n = int(math.Ceil(formula - 1e-9))
	return formula, min(n, N)
}
