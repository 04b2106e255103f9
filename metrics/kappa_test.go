package metrics

import (
	"math"
	"strings"
	"testing"
)

// pairs expands a 2×2 (or k×k) table of counts into parallel label slices.
func pairs(labels []string, table [][]int) (a, b []string) {
	for i, row := range table {
		for j, n := range row {
			for ; n > 0; n-- {
				a, b = append(a, labels[i]), append(b, labels[j])
			}
		}
	}
	return a, b
}

func TestCohenKappa(t *testing.T) {
	// Wikipedia, "Cohen's kappa", worked example (50 grant proposals, two
	// readers): 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no; po 0.7, pe 0.5,
	// κ = 0.4.
	a, b := pairs(s("yes no"), [][]int{{20, 5}, {10, 15}})
	// SAS PROC FREQ printout reproduced in statsmodels' test_inter_rater.py
	// (UnweightedCohens): table [[0 4 1] [0 8 0] [0 1 5]] → kappa 0.4842,
	// ASE 0.1380.
	sa, sb := pairs(s("1 2 3"), [][]int{{0, 4, 1}, {0, 8, 0}, {0, 1, 5}})
	// R irr, kappa2(anxiety[,2:3]) as recorded in statsmodels' tests:
	// unweighted κ = -0.006289308 (data below).
	r2, r3 := anxiety()
	tests := []struct {
		name     string
		a, b     []string
		kappa    float64
		se, tol  float64
		checkSE  bool
		kappaTol float64
	}{
		{name: "wikipedia", a: a, b: b, kappa: 0.4, kappaTol: eps},
		{name: "sas", a: sa, b: sb, kappa: 0.4842, kappaTol: 5e-5, se: 0.1380, tol: 5e-5, checkSE: true},
		{name: "irr anxiety", a: r2, b: r3, kappa: -0.006289308, kappaTol: 1e-9},
		{name: "perfect", a: s("x y x"), b: s("x y x"), kappa: 1, kappaTol: eps, se: 0, tol: eps, checkSE: true},
		// One label throughout: pe = 1, kappa undefined.
		{name: "constant", a: s("x x"), b: s("x x"), kappa: math.NaN()},
		{name: "empty", kappa: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CohenKappa(tt.a, tt.b); !near(got, tt.kappa, tt.kappaTol) {
				t.Errorf("CohenKappa = %v, want %v", got, tt.kappa)
			}
			k, se := Kappa(tt.a, tt.b, nil, Unweighted)
			if !near(k, tt.kappa, tt.kappaTol) {
				t.Errorf("Kappa = %v, want %v", k, tt.kappa)
			}
			if tt.checkSE && !near(se, tt.se, tt.tol) {
				t.Errorf("SE = %v, want %v", se, tt.se)
			}
		})
	}
}

func TestWeightedKappa(t *testing.T) {
	// Hand computation, scale 1 < 2 < 3, six items (a→b): 1→1, 1→2, 2→2,
	// 2→3, 3→3, 3→3. Row margins 1/3 each, column margins 1/6, 2/6, 3/6.
	//   unweighted: po = 4/6, pe = 1/3 → κ = 0.5
	//   linear (credit 0.5 one step apart): po = 5/6, pe = 5/9 → κ = 5/8
	//   quadratic (credit 0.75 one step apart, 0 two): po = 5.5/6,
	//   pe = 2/3 → κ = 0.75
	ha, hb := s("1 1 2 2 3 3"), s("1 2 2 3 3 3")
	// SAS PROC FREQ printout reproduced in statsmodels' test_inter_rater.py
	// (TestWeightedCohens): table [[0 4 1] [0 8 0] [0 1 5]] with
	// Cicchetti-Allison (linear) weights → 0.4701, ASE 0.1457.
	sa, sb := pairs(s("1 2 3"), [][]int{{0, 4, 1}, {0, 8, 0}, {0, 1, 5}})
	// R irr, kappa2(anxiety[,2:3], "equal") = 0.1459075 and
	// kappa2(anxiety[,2:3], "squared") = 0.2520325, as recorded in
	// statsmodels' tests. irr weights over the levels that occur
	// (1 2 3 4 6), so that is the scale here.
	r2, r3 := anxiety()
	tests := []struct {
		name   string
		a, b   []string
		scale  []string
		w      Weighting
		kappa  float64
		ktol   float64
		se     float64
		setol  float64
		wantSE bool
	}{
		{name: "hand unweighted", a: ha, b: hb, scale: s("1 2 3"), w: Unweighted, kappa: 0.5, ktol: eps},
		{name: "hand linear", a: ha, b: hb, scale: s("1 2 3"), w: Linear, kappa: 5.0 / 8, ktol: eps},
		{name: "hand quadratic", a: ha, b: hb, scale: s("1 2 3"), w: Quadratic, kappa: 0.75, ktol: eps},
		{name: "sas linear", a: sa, b: sb, scale: s("1 2 3"), w: Linear, kappa: 0.4701, ktol: 5e-5, se: 0.1457, setol: 5e-5, wantSE: true},
		{name: "irr linear", a: r2, b: r3, scale: s("1 2 3 4 6"), w: Linear, kappa: 0.1459075, ktol: 1e-7},
		{name: "irr quadratic", a: r2, b: r3, scale: s("1 2 3 4 6"), w: Quadratic, kappa: 0.2520325, ktol: 1e-7},
		// A value off the scale agrees with nothing else: "(none)" against
		// 1, 2 and 3 costs as much as the widest gap.
		{name: "off scale", a: s("1 2 3 3"), b: s("1 2 3 (none)"), scale: s("1 2 3"), w: Quadratic,
			kappa: quadOffScale(), ktol: eps},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WeightedKappa(tt.a, tt.b, tt.scale, tt.w); !near(got, tt.kappa, tt.ktol) {
				t.Errorf("WeightedKappa = %v, want %v", got, tt.kappa)
			}
			if _, se := Kappa(tt.a, tt.b, tt.scale, tt.w); tt.wantSE && !near(se, tt.se, tt.setol) {
				t.Errorf("SE = %v, want %v", se, tt.se)
			}
		})
	}
}

// quadOffScale computes the "off scale" case by hand with TableKappa: rows
// and columns 1, 2, 3, (none); quadratic credit on 1..3, none for (none).
func quadOffScale() float64 {
	w := [][]float64{
		{1, 0.75, 0, 0},
		{0.75, 1, 0.75, 0},
		{0, 0.75, 1, 0},
		{0, 0, 0, 1},
	}
	t := [][]float64{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 1}, {0, 0, 0, 0}}
	k, _ := TableKappa(t, w)
	return k
}

func TestWeightedKappaUsesFullScale(t *testing.T) {
	// Weights follow the ranks on the whole scale, not only the values the
	// sample uses (as R irr does): an unused P1 keeps P0 two steps from P2.
	// By hand, a = P0 P2 P3, b = P2 P2 P3, squared rank distances:
	//   on P0..P3: observed mean 4/3, expected 20/9 → κ = 1 - 12/20 = 0.4
	//   on P0 P2 P3 (P1 dropped): observed 1/3, expected 1 → κ = 2/3
	a, b := s("P0 P2 P3"), s("P2 P2 P3")
	if got := WeightedKappa(a, b, s("P0 P1 P2 P3"), Quadratic); !near(got, 0.4, eps) {
		t.Errorf("full scale: %v, want 0.4", got)
	}
	if got := WeightedKappa(a, b, s("P0 P2 P3"), Quadratic); !near(got, 2.0/3, eps) {
		t.Errorf("used values only: %v, want 2/3", got)
	}
}

func TestFleissKappa(t *testing.T) {
	// Fleiss (1971) as reproduced on Wikipedia, "Fleiss' kappa": 10
	// subjects, 14 raters, 5 categories; P̄ = 0.378, P̄e = 0.213, κ = 0.210
	// (0.20993070442195522 unrounded).
	wiki := [][]int{
		{0, 0, 0, 0, 14},
		{0, 2, 6, 4, 2},
		{0, 0, 3, 5, 6},
		{0, 3, 9, 2, 0},
		{2, 2, 8, 1, 1},
		{7, 7, 0, 0, 0},
		{3, 2, 6, 3, 0},
		{2, 5, 3, 2, 2},
		{6, 5, 2, 1, 0},
		{0, 2, 2, 3, 7},
	}
	got, err := FleissKappa(wiki)
	if err != nil || !near(got, 0.20993070442195522, 1e-12) {
		t.Errorf("Wikipedia example: got %v, %v; want 0.210", got, err)
	}

	// R irr, kappam.fleiss(diagnoses) = 0.4302445: the psychiatric
	// diagnoses of Fleiss (1971), 30 patients by 6 raters, as shipped with
	// irr and recorded in statsmodels' tests.
	counts, cats := CountRatings(diagnoses(), nil)
	if len(cats) != 5 {
		t.Fatalf("diagnoses: %d categories, want 5", len(cats))
	}
	got, err = FleissKappa(counts)
	if err != nil || !near(got, 0.4302445, 1e-7) {
		t.Errorf("irr diagnoses: got %v, %v; want 0.4302445", got, err)
	}

	bad := []struct {
		name   string
		counts [][]int
	}{
		{"no subjects", nil},
		{"unequal raters", [][]int{{1, 1}, {2, 1}}},
		{"ragged", [][]int{{1, 1}, {2}}},
		{"one rater", [][]int{{1, 0}, {0, 1}}},
		{"negative", [][]int{{3, -1}, {1, 1}}},
	}
	for _, tt := range bad {
		if _, err := FleissKappa(tt.counts); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestFleissTwoRatersIsScottsPi(t *testing.T) {
	// With two raters Fleiss' kappa is Scott's pi: chance agreement from
	// the pooled margins. Wikipedia's 50-proposal table: pooled yes
	// (25+30)/100 = 0.55, pe = 0.55² + 0.45² = 0.505, po = 0.7,
	// pi = 0.195/0.495.
	a, b := pairs(s("yes no"), [][]int{{20, 5}, {10, 15}})
	var ratings [][]string
	for i := range a {
		ratings = append(ratings, []string{a[i], b[i]})
	}
	counts, _ := CountRatings(ratings, s("yes no"))
	got, err := FleissKappa(counts)
	if err != nil || !near(got, 0.195/0.495, eps) {
		t.Errorf("got %v, %v; want %v", got, err, 0.195/0.495)
	}
}

// anxiety returns raters 2 and 3 of the anxiety data set shipped with R's
// irr package (20 subjects, ratings 1..6).
func anxiety() (r2, r3 []string) {
	return s("3 6 4 6 2 4 2 4 3 3 2 3 3 3 2 2 1 3 3 4"),
		s("2 1 4 4 3 2 1 6 1 1 1 2 3 3 1 1 3 3 2 2")
}

// diagnoses returns R irr's diagnoses data (Fleiss 1971): one line per
// patient, the category (1..5) each of six psychiatrists gave.
func diagnoses() [][]string {
	rows := strings.Split(strings.TrimSpace(`
4 4 4 4 4 4
2 2 2 5 5 5
2 3 3 3 3 5
5 5 5 5 5 5
2 2 2 4 4 4
1 1 3 3 3 3
3 3 3 3 5 5
1 1 3 3 3 4
1 1 4 4 4 4
5 5 5 5 5 5
1 4 4 4 4 4
1 2 4 4 4 4
2 2 2 3 3 3
1 4 4 4 4 4
2 2 4 4 4 5
3 3 3 3 3 5
1 1 1 4 5 5
1 1 1 1 1 2
2 2 4 4 4 4
1 3 3 5 5 5
5 5 5 5 5 5
2 4 4 4 4 4
2 2 4 5 5 5
1 1 4 4 4 4
1 4 4 4 4 5
2 2 2 2 2 4
1 1 1 1 5 5
2 2 4 4 4 4
1 3 3 3 3 3
5 5 5 5 5 5`), "\n")
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = s(r)
	}
	return out
}
