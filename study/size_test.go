package study_test

import (
	"math"
	"testing"

	"github.com/bugscope/bugscope/study"
)

func TestSampleSize(t *testing.T) {
	// Cochran, Sampling Techniques, 3rd ed. (1977), §4.4: n0 = z²pq/e²
	// (eq. 4.2) and, for a finite population, n = n0 / (1 + (n0-1)/N)
	// (eq. 4.3). With z = 1.96 (95%), p = q = 0.5 and e = 0.05, n0 is the
	// familiar 384.16; with z = 2.576 (99%) it is 663.6.
	if got := study.CochranN0(0.95, 0.05, 0.5); math.Abs(got-384.1459) > 1e-3 {
		t.Errorf("n0(95%%, 5%%) = %v, want 384.146", got)
	}
	if got := study.CochranN0(0.99, 0.05, 0.5); math.Abs(got-663.4897) > 1e-3 {
		t.Errorf("n0(99%%, 5%%) = %v, want 663.490", got)
	}
	tests := []struct {
		n                  int
		confidence, margin float64
		formula            float64
		size               int
	}{
		// The figures: vLLM's 1,416 issues give 384.146 /
		// (1 + 383.146/1416) = 302.34, rounded up 303; 1,000 give 277.73 → 278.
		{1416, 0.95, 0.05, 302.3382, 303},
		{1000, 0.95, 0.05, 277.7335, 278},
		{100, 0.95, 0.05, 79.5086, 80},
		// An infinite population needs n0 itself, rounded up.
		{1_000_000_000, 0.95, 0.05, 384.1458, 385},
		{1_000_000_000, 0.99, 0.05, 663.4893, 664},
		// A population smaller than the formula's answer is taken whole.
		{1, 0.95, 0.05, 1, 1},
		{0, 0.95, 0.05, 0, 0},
	}
	for _, tt := range tests {
		f, n := study.SampleSize(tt.n, tt.confidence, tt.margin)
		if math.Abs(f-tt.formula) > 1e-3 || n != tt.size {
			t.Errorf("SampleSize(%d, %v, %v) = %.4f, %d; want %.4f, %d", tt.n, tt.confidence, tt.margin, f, n, tt.formula, tt.size)
		}
	}
}

func TestCheckLevels(t *testing.T) {
	for _, bad := range [][2]float64{{0, 0.05}, {1, 0.05}, {95, 0.05}, {0.95, 0}, {0.95, 5}, {math.NaN(), 0.05}} {
		if study.CheckLevels(bad[0], bad[1]) == nil {
			t.Errorf("CheckLevels(%v, %v) accepted", bad[0], bad[1])
		}
	}
	if err := study.CheckLevels(0.9, 0.1); err != nil {
		t.Error(err)
	}
}
