package metrics

import (
	"math"
	"testing"
)

func TestBootstrapDeterministic(t *testing.T) {
	a, b := pairs(s("yes no"), [][]int{{20, 5}, {10, 15}})
	opt := BootstrapOptions{Seed: 7}
	one := KappaCI(a, b, nil, Unweighted, opt)
	two := KappaCI(a, b, nil, Unweighted, opt)
	if one != two {
		t.Errorf("same seed, different intervals: %+v and %+v", one, two)
	}
	other := KappaCI(a, b, nil, Unweighted, BootstrapOptions{Seed: 8})
	if other == one {
		t.Errorf("seeds 7 and 8 gave the same interval %+v", one)
	}
	if one.Resamples != 1000 || one.Coverage != 0.95 || one.Used != 1000 {
		t.Errorf("defaults not applied: %+v", one)
	}
	if !(one.Lo < 0.4 && 0.4 < one.Hi) {
		t.Errorf("interval %+v does not cover the estimate 0.4", one)
	}
}

func TestBootstrapAgreesWithAnalyticalSE(t *testing.T) {
	// For 50 items the percentile interval should be close to ±1.96 ASE.
	a, b := pairs(s("yes no"), [][]int{{20, 5}, {10, 15}})
	_, se := Kappa(a, b, nil, Unweighted)
	iv := KappaCI(a, b, nil, Unweighted, BootstrapOptions{Resamples: 2000})
	half := float64(iv.Hi-iv.Lo) / 2
	if math.Abs(half-1.96*se) > 0.03 {
		t.Errorf("bootstrap half-width %.3f, 1.96·ASE %.3f", half, 1.96*se)
	}
}

func TestBootstrapEdges(t *testing.T) {
	if iv := Bootstrap(0, func([]int) float64 { return 1 }, BootstrapOptions{}); iv.Defined() {
		t.Errorf("no items: %+v, want undefined", iv)
	}
	if iv := Bootstrap(10, func([]int) float64 { return 1 }, BootstrapOptions{Resamples: -1}); iv.Defined() || iv.Resamples != 0 {
		t.Errorf("disabled: %+v", iv)
	}
	// A statistic that is always NaN leaves the interval undefined.
	if iv := Bootstrap(10, func([]int) float64 { return math.NaN() }, BootstrapOptions{}); iv.Defined() || iv.Used != 0 {
		t.Errorf("NaN statistic: %+v", iv)
	}
	// A constant statistic gives a point interval.
	if iv := Bootstrap(10, func([]int) float64 { return 0.5 }, BootstrapOptions{}); iv.Lo != 0.5 || iv.Hi != 0.5 {
		t.Errorf("constant statistic: %+v", iv)
	}
}

func TestQuantile(t *testing.T) {
	// numpy.quantile([1, 2, 3, 4], q) with linear interpolation:
	// 0 → 1, 0.25 → 1.75, 0.5 → 2.5, 1 → 4.
	xs := []float64{1, 2, 3, 4}
	for q, want := range map[float64]float64{0: 1, 0.25: 1.75, 0.5: 2.5, 1: 4} {
		if got := quantile(xs, q); !near(got, want, eps) {
			t.Errorf("quantile(%v) = %v, want %v", q, got, want)
		}
	}
}
