package study

import "math"

var nan = math.NaN()

// ratio returns num/den, or NaN when den is 0.
func ratio(num, den float64) float64 {
	if den == 0 {
		return nan
	}
	return num / den
}
