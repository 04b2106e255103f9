package metrics

import (
	"fmt"
	"math"
	"sort"
)

// Level is the level of measurement that Krippendorff's alpha assumes,
// which sets its difference function δ².
type Level int

const (
	Nominal  Level = iota // δ² = 0 if equal, else 1
	Ordinal               // δ² from the ranks' marginal frequencies
	Interval              // δ² = (c-k)²
	Ratio                 // δ² = ((c-k)/(c+k))²
)

func (l Level) String() string {
	switch l {
	case Nominal:
		return "nominal"
	case Ordinal:
		return "ordinal"
	case Interval:
		return "interval"
	case Ratio:
		return "ratio"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// KrippendorffAlpha is Krippendorff's alpha for reliability data with any
// number of coders and missing values. units[u] holds the values the coders
// gave unit u; a missing value is NaN or simply left out, and a unit with
// fewer than two values is not pairable and is ignored. For nominal and
// ordinal data the numbers only name (or rank) the categories.
//
// It follows Krippendorff, "Computing Krippendorff's Alpha-Reliability"
// (2011): a coincidence matrix o_ck with each unit's pairs weighted
// 1/(m_u-1), then α = 1 - (n-1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck. NaN when
// fewer than two values are pairable or the expected disagreement is 0
// (every value the same).
func KrippendorffAlpha(units [][]float64, level Level) float64 {
	// Distinct values, sorted: ordinal ranks follow this order.
	set := map[float64]bool{}
	for _, u := range units {
		for _, v := range u {
			if !math.IsNaN(v) {
				set[v] = true
			}
		}
	}
	vals := make([]float64, 0, len(set))
	for v := range set {
		vals = append(vals, v)
	}
	sort.Float64s(vals)
	idx := make(map[float64]int, len(vals))
	for i, v := range vals {
		idx[v] = i
	}
	k := len(vals)
	o := make([][]float64, k)
	for i := range o {
		o[i] = make([]float64, k)
	}
	var codes []int
	for _, u := range units {
		codes = codes[:0]
		for _, v := range u {
			if !math.IsNaN(v) {
				codes = append(codes, idx[v])
			}
		}
		m := len(codes)
		if m < 2 {
			continue
		}
		w := 1 / float64(m-1)
		for i, c := range codes {
			for j, d := range codes {
				if i != j {
					o[c][d] += w
				}
			}
		}
	}
	nc := make([]float64, k)
	var n float64
	for c := range o {
		for _, x := range o[c] {
			nc[c] += x
		}
		n += nc[c]
	}
	if n < 2 {
		return nan
	}
	delta := func(c, d int) float64 {
		switch level {
		case Nominal:
			if c == d {
				return 0
			}
			return 1
		case Ordinal:
			lo, hi := min(c, d), max(c, d)
			var s float64
			for g := lo; g <= hi; g++ {
				s += nc[g]
			}
			s -= (nc[c] + nc[d]) / 2
			return s * s
		case Interval:
			x := vals[c] - vals[d]
			return x * x
		case Ratio:
			if vals[c]+vals[d] == 0 {
				return 0
			}
			x := (vals[c] - vals[d]) / (vals[c] + vals[d])
			return x * x
		}
		panic(fmt.Sprintf("metrics: unknown level %d", int(level)))
	}
	var do, de float64
	for c := 0; c < k; c++ {
		for d := 0; d < k; d++ {
			if c == d {
				continue
			}
			dd := delta(c, d)
			do += o[c][d] * dd
			de += nc[c] * nc[d] * dd
		}
	}
	if de == 0 {
		return nan
	}
	return 1 - (n-1)*do/de
}
