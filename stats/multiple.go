package stats

import (
	"math"
	"sort"
)

// BenjaminiHochberg adjusts p-values for the false discovery rate
// (Benjamini and Hochberg 1995; R's p.adjust(method = "BH")). NaN p-values
// are left out of the family and stay NaN.
func BenjaminiHochberg(p []float64) []float64 {
	idx, m := family(p)
	out := nanLike(p)
	running := 1.0
	for k := len(idx) - 1; k >= 0; k-- {
		i := idx[k]
		running = math.Min(running, p[i]*m/float64(k+1))
		out[i] = running
	}
	return out
}

// Holm adjusts p-values for the family-wise error rate (Holm 1979; R's
// p.adjust(method = "holm")). NaN p-values stay NaN.
func Holm(p []float64) []float64 {
	idx, m := family(p)
	out := nanLike(p)
	running := 0.0
	for k, i := range idx {
		running = math.Max(running, math.Min(1, p[i]*(m-float64(k))))
		out[i] = running
	}
	return out
}

// family returns the indexes of the non-NaN p-values, smallest first, and
// their number.
func family(p []float64) ([]int, float64) {
	var idx []int
	for i, v := range p {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	return idx, float64(len(idx))
}

func nanLike(p []float64) []float64 {
	out := make([]float64, len(p))
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}
