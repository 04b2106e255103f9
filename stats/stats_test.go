package stats

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.10g, want %.10g (±%g)", what, got, want, tol)
	}
}

// Newcombe (1998), "Two-sided confidence intervals for the single
// proportion: comparison of seven methods", Statistics in Medicine 17,
// 857–872, Table I, method 3 (Wilson score interval without continuity
// correction), printed to four decimals.
func TestWilsonNewcombe(t *testing.T) {
	for _, c := range []struct {
		k, n   float64
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
	} {
		iv := Wilson(c.k, c.n, 0.95)
		near(t, "lo", iv.Lo, c.lo, 6e-5)
		near(t, "hi", iv.Hi, c.hi, 6e-5)
	}
	if iv := Wilson(0, 0, 0.95); iv != (Interval{0, 1}) {
		t.Errorf("no trials: %v", iv)
	}
	near(t, "Z(0.95)", Z(0.95), 1.959963984540054, 1e-12)
}

// The column "Bogra" of pymannkendall's tests/data/Monthly Rainfall.csv
// (https://github.com/mmhs013/pyMannKendall, MIT licence), missing months
// dropped as pymannkendall drops them.
var bogra = []float64{
	32, 20, 25, 189, 240, 193, 379, 278, 301, 0, 0, 82, 0, 4, 121, 234, 360, 262, 120, 30,
	11, 1, 7, 3, 31, 31, 355, 102, 248, 274, 308, 5, 26, 11, 16, 6, 48, 388, 539, 431,
	272, 404, 186, 0, 2, 0, 4, 1, 54, 272, 459, 235, 164, 365, 135, 2, 4, 0, 128, 210,
	163, 446, 225, 462, 467, 19, 13, 0, 3, 17, 132, 178, 338, 525, 623, 145, 31, 19, 3, 0,
	29, 25, 87, 259, 756, 486, 180, 292, 43, 92, 1, 0, 16, 2, 0, 130, 253, 594, 111, 273,
	30, 0, 4, 0, 27, 24, 41, 292, 378, 499, 265, 320, 227, 4, 0, 4, 14, 8, 48, 416,
	240, 404, 207, 733, 105, 0, 112, 0, 14, 0, 30, 140, 202, 289, 159, 424, 106, 3, 0, 65,
	3, 14, 58, 268, 466, 432, 266, 240, 95, 1, 0, 10, 26, 4, 114, 94, 289, 173, 208, 263,
	156, 5, 0, 16, 16, 14, 0, 111, 475, 534, 432, 471, 117, 70, 1, 3, 28, 7, 401, 184,
	283, 338, 171, 335, 176, 0, 0, 10, 11, 9, 140, 102, 208, 298, 245, 220, 29, 2, 27, 10,
	13, 26, 84, 143, 367, 749, 563, 283, 353, 10, 0, 0, 0, 0, 9, 246, 265, 343, 429, 168,
	133, 17, 0, 18, 35, 76, 158, 272, 250, 190, 289, 466, 84, 0, 0, 0, 0, 0, 22, 217,
	299, 185, 115, 344, 203, 8, 0, 5, 284, 123, 254, 476, 496, 326, 27, 20, 0, 4, 53, 72,
	113, 214, 364, 219, 220, 156, 264, 0, 13, 0, 0, 45, 90, 137, 638, 529, 261, 206, 251, 0,
	0, 5, 9, 58, 72, 138, 130, 471, 328, 356, 523, 0, 1, 0, 0, 12, 143, 193, 184, 192,
	138, 174, 69, 1, 0, 0, 18, 25, 28, 92, 732, 320, 256, 302, 131, 15, 0, 27, 0, 22,
	20, 213, 393, 474, 374, 109, 159, 0, 0, 0, 3, 3, 49, 205, 128, 194, 570, 169, 89, 0,
	0, 0, 0, 0, 26, 185, 286, 92, 225, 244, 190, 3, 20,
}

// pymannkendall's tests/test_pymannkendall.py, test_original_test, on the
// Bogra column; and MannKendall.jl's test/runtests.jl on 1:100.
func TestMannKendallPymannkendall(t *testing.T) {
	if len(bogra) != 353 {
		t.Fatalf("%d observations", len(bogra))
	}
	r := MannKendall(bogra)
	near(t, "S", r.S, -1959, 0)
	near(t, "var_s", r.VarS, 4889800.333333333, 1e-6)
	near(t, "z", r.Z, -0.8854562842589916, 1e-12)
	near(t, "p", r.P, 0.37591058740506833, 1e-12)
	near(t, "Tau", r.Tau, -0.03153167653875869, 1e-14)
	s := SenSlope(bogra, 0.95)
	near(t, "slope", s.Slope, -0.0064516129032258064, 1e-15)
	if !(s.Interval.Lo <= s.Slope && s.Slope <= s.Interval.Hi) {
		t.Errorf("slope %v outside its interval %v", s.Slope, s.Interval)
	}

	seq := make([]float64, 100)
	for i := range seq {
		seq[i] = float64(i + 1)
	}
	r = MannKendall(seq)
	near(t, "S 1:100", r.S, 4950, 0)
	near(t, "var_s 1:100", r.VarS, 112750, 0)
	near(t, "z 1:100", r.Z, 14.73869998208331, 1e-12)
	near(t, "tau 1:100", r.Tau, 1, 0)
	s = SenSlope(seq, 0.95)
	near(t, "slope 1:100", s.Slope, 1, 0)
	near(t, "intercept 1:100", s.Intercept, 1, 1e-12)
	if s.Interval != (Interval{1, 1}) {
		t.Errorf("interval of a straight line: %v", s.Interval)
	}
}

// R's prop.trend.test example (stats package, ?prop.trend.test):
// smokers <- c(83, 90, 129, 70); patients <- c(86, 93, 136, 82);
// prop.trend.test(smokers, patients) prints X-squared = 8.2249, df = 1,
// p-value = 0.004132.
func TestCochranArmitageR(t *testing.T) {
	r := CochranArmitage([]int{83, 90, 129, 70}, []int{86, 93, 136, 82}, nil, 0.95)
	near(t, "X-squared", r.ChiSquare, 8.2249, 5e-5)
	near(t, "p", r.P, 0.004132, 5e-7)
	if r.Slope >= 0 || r.Interval.Lo > r.Slope || r.Interval.Hi < r.Slope {
		t.Errorf("slope %v, interval %v: the share falls", r.Slope, r.Interval)
	}
	// A constant proportion has no trend.
	flat := CochranArmitage([]int{10, 20, 30}, []int{100, 200, 300}, nil, 0.95)
	near(t, "flat X-squared", flat.ChiSquare, 0, 1e-12)
	near(t, "flat p", flat.P, 1, 1e-12)
}

// Agresti (2007), An Introduction to Categorical Data Analysis, 2nd ed.,
// §2.4, Tables 2.5 and 2.10: party identification by gender, X² = 30.07
// (df 2) and the standardized residuals 4.50, 0.70, −5.32 (R's
// chisq.test()$stdres gives the same).
func TestChiSquareAgresti(t *testing.T) {
	table := [][]float64{{762, 327, 468}, {484, 239, 477}}
	r := ChiSquare(table)
	near(t, "X2", r.ChiSquare, 30.07, 0.005)
	if r.DF != 2 || r.P > 1e-6 || r.Sparse {
		t.Errorf("df %d p %g sparse %v", r.DF, r.P, r.Sparse)
	}
	want := [][]float64{{4.50, 0.70, -5.32}, {-4.50, -0.70, 5.32}}
	for i := range want {
		for j := range want[i] {
			near(t, "residual", r.Residuals[i][j], want[i][j], 0.005)
		}
	}
	// Cramér's V = √(30.07/2757) (scipy.stats.contingency.association).
	v := CramersV(r, 2, 3, 0.95)
	near(t, "V", v.V, math.Sqrt(r.ChiSquare/2757), 1e-12)
	if !(v.Interval.Lo > 0 && v.Interval.Lo < v.V && v.V < v.Interval.Hi) {
		t.Errorf("V %v interval %v", v.V, v.Interval)
	}
	// The Monte-Carlo p-value of a table this clear is the smallest
	// possible, 1/(B+1).
	mc := ChiSquareMonteCarlo(table, 200, 1)
	near(t, "Monte-Carlo p", mc.P, 1.0/201, 1e-12)
	near(t, "Monte-Carlo X2", mc.ChiSquare, r.ChiSquare, 0)
}

// A table with no association: the Monte-Carlo p-value is large, agrees
// with the asymptotic one roughly, and repeats with the same seed.
func TestChiSquareMonteCarloSparse(t *testing.T) {
	table := [][]float64{{3, 1, 0, 2}, {2, 2, 1, 1}, {0, 1, 1, 2}}
	r := ChiSquare(table)
	if !r.Sparse {
		t.Fatal("a table of tiny counts is not marked sparse")
	}
	a := ChiSquareMonteCarlo(table, 2000, 7)
	b := ChiSquareMonteCarlo(table, 2000, 7)
	if a.P != b.P || a.MonteCarlo != 2000 {
		t.Errorf("not reproducible: %v %v", a.P, b.P)
	}
	if a.P < 0.3 || math.Abs(a.P-r.P) > 0.25 {
		t.Errorf("Monte-Carlo p %v, asymptotic %v", a.P, r.P)
	}
}

// confintr's tests/testthat/test-noncentral.R (Mayer, CRAN package
// confintr): mtcars am × vs ([[12, 7], [6, 7]]), chisq.test without
// correction: the ncp interval (0, 8.475743), one-sided 95% upper bound
// 6.735455; Cramér's V 0.1683451, upper bounds 0.5441663 (two-sided) and
// 0.4916635 (one-sided); the lower bound √(df/(n(k−1))) = 0.1767767
// before the adjustment that sets it to 0 when the ncp's lower bound is 0.
func TestCramersVConfintr(t *testing.T) {
	r := ChiSquare([][]float64{{12, 7}, {6, 7}})
	v := CramersV(r, 2, 2, 0.95)
	near(t, "V", v.V, 0.1683451, 1e-6)
	near(t, "ncp lo", v.NCP.Lo, 0, 0)
	near(t, "ncp hi", v.NCP.Hi, 8.475743, 1e-3)
	near(t, "V hi", v.Interval.Hi, 0.5441663, 1e-4)
	near(t, "V lo (adjusted)", v.Interval.Lo, 0, 0)
	near(t, "unadjusted lo", math.Sqrt(float64(r.DF)/32), 0.1767767, 1e-6)
	one := NoncentralityInterval(r.ChiSquare, 1, 0, 0.95)
	near(t, "one-sided ncp hi", one.Hi, 6.735455, 1e-3)
	near(t, "one-sided V hi", math.Sqrt((one.Hi+1)/32), 0.4916635, 1e-4)
}

// The non-central chi-square CDF against closed forms: with λ = 0 it is
// the central one, and for df = 1 P(X ≤ x) = Φ(√x − √λ) − Φ(−√x − √λ).
func TestNoncentralChiSquareCDF(t *testing.T) {
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	for _, c := range []struct{ x, lambda float64 }{{0.9, 3}, {5, 2}, {20, 15}, {300, 280}} {
		want := phi(math.Sqrt(c.x)-math.Sqrt(c.lambda)) - phi(-math.Sqrt(c.x)-math.Sqrt(c.lambda))
		near(t, "cdf", NoncentralChiSquareCDF(c.x, 1, c.lambda), want, 1e-9)
	}
	near(t, "central", NoncentralChiSquareCDF(3.841458820694124, 1, 0), 0.95, 1e-12)
}

// R's fisher.test examples (?fisher.test): the tea-tasting experiment
// matrix(c(3, 1, 1, 3), nrow = 2), p-value = 0.4857; Fisher's
// convictions of twins matrix(c(2, 10, 15, 3), nrow = 2), two-sided
// p-value = 0.0005367.
func TestFisherExactR(t *testing.T) {
	near(t, "tea", FisherExact(3, 1, 1, 3), 0.4857, 5e-5)
	near(t, "convictions", FisherExact(2, 15, 10, 3), 0.0005367, 5e-8)
	near(t, "empty", FisherExact(0, 0, 0, 0), 1, 0)
}

// statsmodels' stats/tests/test_multi.py, res_multtest1: p-values adjusted
// by R's multtest (mt.rawp2adjp), columns Holm and BH, rows sorted by raw p.
func TestMultipleTestingR(t *testing.T) {
	raw := []float64{0.838541367553, 0.642193923795, 0.680845947633, 0.967833824309, 0.71626938238,
		0.177096952723, 5.23656777208e-005, 0.0202732688798, 0.00028140506198, 0.0149877310796}
	// By rank of the raw p-value.
	holm := []float64{5.2365677720800005e-04, 2.5326455578199999e-03, 1.1990184863680001e-01,
		1.4191288215860001e-01, 1, 1, 1, 1, 1, 1}
	bh := []float64{5.2365677720800005e-04, 1.4070253098999999e-03, 4.9959103598666670e-02,
		5.0683172199499998e-02, 3.5419390544599999e-01, 8.9533672797500008e-01,
		8.9533672797500008e-01, 8.9533672797500008e-01, 9.3171263061444454e-01, 9.6783382430900000e-01}
	order := []int{6, 8, 9, 7, 5, 1, 2, 4, 0, 3} // indexes of raw, smallest first
	gotH, gotB := Holm(raw), BenjaminiHochberg(raw)
	for rank, i := range order {
		near(t, "holm", gotH[i], holm[rank], 1e-15)
		near(t, "bh", gotB[i], bh[rank], 1e-15)
	}
	withNaN := BenjaminiHochberg([]float64{0.01, math.NaN(), 0.04})
	if !math.IsNaN(withNaN[1]) || withNaN[0] != 0.02 || withNaN[2] != 0.04 {
		t.Errorf("NaN handling: %v", withNaN)
	}
}

// The aml data of R's survival package (Miller 1981; ?aml): weeks to
// relapse of acute myelogenous leukaemia, maintained chemotherapy or not.
var amlMaintained = []Observation{{9, true}, {13, true}, {13, false}, {18, true}, {23, true}, {28, false},
	{31, true}, {34, true}, {45, false}, {48, true}, {161, false}}
var amlNonmaintained = []Observation{{5, true}, {5, true}, {8, true}, {8, true}, {12, true}, {16, false},
	{23, true}, {27, true}, {30, true}, {33, true}, {43, true}, {45, true}}

// R: print(survfit(Surv(time, status) ~ x, data = aml)) prints
//
//	                 n events median 0.95LCL 0.95UCL
//	x=Maintained    11      7     31      18      NA
//	x=Nonmaintained 12     11     23       8      NA
//
// and survfit(Surv(time, status) ~ 1, data = aml): n 23, events 18,
// median 27, 0.95LCL 18, 0.95UCL 45. summary() gives S(9) = 0.909 with
// the interval 0.7541–1 for the maintained group.
func TestKaplanMeierAML(t *testing.T) {
	check := func(name string, obs []Observation, events int, med, lo float64, hi *float64) {
		t.Helper()
		r := KaplanMeier(obs, 0.95)
		if r.N != len(obs) || r.Events != events {
			t.Errorf("%s: n %d events %d", name, r.N, r.Events)
		}
		if r.Median == nil || *r.Median != med || r.MedianLo == nil || *r.MedianLo != lo {
			t.Errorf("%s: median %v lo %v, want %v %v", name, deref(r.Median), deref(r.MedianLo), med, lo)
		}
		if (hi == nil) != (r.MedianHi == nil) || hi != nil && *hi != *r.MedianHi {
			t.Errorf("%s: median hi %v, want %v", name, deref(r.MedianHi), deref(hi))
		}
	}
	check("maintained", amlMaintained, 7, 31, 18, nil)
	check("nonmaintained", amlNonmaintained, 11, 23, 8, nil)
	hi := 45.0
	check("all", append(append([]Observation(nil), amlMaintained...), amlNonmaintained...), 18, 27, 18, &hi)
	r := KaplanMeier(amlMaintained, 0.95)
	first := r.Steps[0]
	near(t, "S(9)", first.Survival, 0.9090909, 1e-7)
	near(t, "lower(9)", first.Lo, 0.7541, 5e-5)
	near(t, "upper(9)", first.Hi, 1, 0)
}

func deref(p *float64) any {
	if p == nil {
		return "NA"
	}
	return *p
}

// R: survdiff(Surv(time, status) ~ x, data = aml) prints
//
//	                 N Observed Expected (O-E)^2/E (O-E)^2/V
//	x=Maintained    11        7    10.69      1.27       3.4
//	x=Nonmaintained 12       11     7.31      1.86       3.4
//	 Chisq= 3.4  on 1 degrees of freedom, p= 0.0653
func TestLogRankAML(t *testing.T) {
	r := LogRank([][]Observation{amlMaintained, amlNonmaintained})
	near(t, "chisq", r.ChiSquare, 3.4, 0.05)
	near(t, "p", r.P, 0.0653, 5e-5)
	near(t, "expected maintained", r.Expected[0], 10.69, 0.005)
	near(t, "expected nonmaintained", r.Expected[1], 7.31, 0.005)
	if r.Observed[0] != 7 || r.Observed[1] != 11 || r.DF != 1 {
		t.Errorf("%+v", r)
	}
	// Three groups: the statistic has two degrees of freedom and does not
	// depend on the order of the groups.
	third := []Observation{{4, true}, {6, true}, {10, false}, {15, true}}
	a := LogRank([][]Observation{amlMaintained, amlNonmaintained, third})
	b := LogRank([][]Observation{third, amlNonmaintained, amlMaintained})
	if a.DF != 2 || math.Abs(a.ChiSquare-b.ChiSquare) > 1e-9 {
		t.Errorf("k groups: %+v vs %+v", a, b)
	}
}

// The distribution-free interval for a median: for n = 10 at 95% the
// 2nd and 9th order statistics, coverage 1 − 2·11/1024 = 0.9785
// (Conover 1999, Practical Nonparametric Statistics, §3.2, Table A3;
// Hollander and Wolfe 1999, §3.6).
func TestMedianInterval(t *testing.T) {
	xs := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	iv, cov, ok := MedianInterval(xs, 0.95)
	if !ok || iv != (Interval{2, 9}) {
		t.Errorf("interval %v ok %v", iv, ok)
	}
	near(t, "coverage", cov, 1-2*11.0/1024, 1e-12)
	if _, _, ok := MedianInterval([]float64{1, 2, 3, 4, 5}, 0.95); ok {
		t.Error("five observations cannot give a 95% interval")
	}
}
