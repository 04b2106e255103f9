package metrics

import (
	"math"
	"testing"
)

func TestKrippendorffAlpha(t *testing.T) {
	// Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011),
	// example C: 4 observers, 12 units, missing values (·). Units as
	// columns in the paper; here one row per unit.
	//   observer A: 1 2 3 3 2 1 4 1 2 · · ·
	//   observer B: 1 2 3 3 2 2 4 1 2 5 · 3
	//   observer C: · 3 3 3 2 3 4 2 2 5 1 ·
	//   observer D: 1 2 3 3 2 4 4 1 2 5 1 ·
	// Published: nominal α = 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
	x := math.NaN()
	units := [][]float64{
		{1, 1, x, 1}, {2, 2, 3, 2}, {3, 3, 3, 3}, {3, 3, 3, 3}, {2, 2, 2, 2}, {1, 2, 3, 4},
		{4, 4, 4, 4}, {1, 1, 2, 1}, {2, 2, 2, 2}, {x, 5, 5, 5}, {x, x, 1, 1}, {x, 3, x, x},
	}
	// Leaving missing values out instead of marking them NaN is the same.
	dropped := make([][]float64, len(units))
	for i, u := range units {
		for _, v := range u {
			if !math.IsNaN(v) {
				dropped[i] = append(dropped[i], v)
			}
		}
	}
	tests := []struct {
		level Level
		want  float64
	}{
		{Nominal, 0.743},
		{Ordinal, 0.815},
		{Interval, 0.849},
		{Ratio, 0.797},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			if got := KrippendorffAlpha(units, tt.level); !near(got, tt.want, 5e-4) {
				t.Errorf("alpha = %v, want %v", got, tt.want)
			}
			if got := KrippendorffAlpha(dropped, tt.level); !near(got, tt.want, 5e-4) {
				t.Errorf("alpha without NaN = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKrippendorffAlphaEdges(t *testing.T) {
	tests := []struct {
		name  string
		units [][]float64
		want  float64
	}{
		{"no data", nil, math.NaN()},
		{"no pairable unit", [][]float64{{1}, {2}}, math.NaN()},
		{"all one value", [][]float64{{1, 1}, {1, 1}}, math.NaN()},
		{"perfect", [][]float64{{1, 1}, {2, 2}, {3, 3}}, 1},
		// Two coders, two units, full disagreement: o = [[0 2] [2 0]],
		// n = 4, α = 1 - 3·4/(2·2·2) = -0.5.
		{"systematic disagreement", [][]float64{{1, 2}, {2, 1}}, -0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KrippendorffAlpha(tt.units, Nominal); !near(got, tt.want, eps) {
				t.Errorf("alpha = %v, want %v", got, tt.want)
			}
		})
	}
}
