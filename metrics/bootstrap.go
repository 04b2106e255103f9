package metrics

import (
	"math"
	"math/rand/v2"
	"sort"
)

// CI is a confidence interval.
type CI struct {
	Lo Float `json:"lo"`
	Hi Float `json:"hi"`
	// Coverage is the nominal coverage (0.95), Resamples the bootstrap
	// resamples drawn and Used those on which the statistic was defined.
	Coverage  float64 `json:"coverage"`
	Resamples int     `json:"resamples"`
	Used      int     `json:"used"`
}

// Defined reports whether both bounds are numbers.
func (iv CI) Defined() bool { return iv.Lo.Defined() && iv.Hi.Defined() }

// BootstrapOptions control Bootstrap. Zero values mean 1,000 resamples,
// seed 1 and a 95% interval.
type BootstrapOptions struct {
	Resamples int
	Seed      uint64
	Level     float64
}

func (o BootstrapOptions) withDefaults() BootstrapOptions {
	if o.Resamples == 0 {
		o.Resamples = 1000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Level == 0 {
		o.Level = 0.95
	}
	return o
}

// Bootstrap is a percentile bootstrap interval over items: it draws n items
// with replacement Resamples times, computes stat on each draw (stat gets
// the drawn indices, which it must not keep) and returns the (1-Level)/2 and
// (1+Level)/2 quantiles, interpolated linearly (numpy's default). Draws on
// which stat is NaN are skipped and not counted in Used. The generator is
// seeded PCG, so a given Seed always gives the same interval.
func Bootstrap(n int, stat func(idx []int) float64, opt BootstrapOptions) CI {
	opt = opt.withDefaults()
	iv := CI{Lo: Float(nan), Hi: Float(nan), Coverage: opt.Level, Resamples: opt.Resamples}
	if opt.Resamples < 0 {
		iv.Resamples = 0
		return iv
	}
	if n == 0 {
		return iv
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
	idx := make([]int, n)
	stats := make([]float64, 0, opt.Resamples)
	for r := 0; r < opt.Resamples; r++ {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		if s := stat(idx); !math.IsNaN(s) {
			stats = append(stats, s)
		}
	}
	iv.Used = len(stats)
	if len(stats) == 0 {
		return iv
	}
	sort.Float64s(stats)
	iv.Lo = Float(quantile(stats, (1-opt.Level)/2))
	iv.Hi = Float(quantile(stats, (1+opt.Level)/2))
	return iv
}

// quantile of sorted xs with linear interpolation between order statistics
// (Hyndman & Fan type 7).
func quantile(xs []float64, q float64) float64 {
	h := q * float64(len(xs)-1)
	lo := int(math.Floor(h))
	if lo >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	return xs[lo] + (h-float64(lo))*(xs[lo+1]-xs[lo])
}

// KappaCI is a percentile bootstrap interval for Kappa(a, b, order, w).
func KappaCI(a, b []string, order []string, w Weighting, opt BootstrapOptions) CI {
	checkLen(len(a), len(b))
	ca, cb, agree := kappaCodes(a, b, order, w)
	return Bootstrap(len(a), func(idx []int) float64 {
		k, _ := codedKappa(ca, cb, agree, idx)
		return k
	}, opt)
}
