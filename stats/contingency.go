package stats

import (
	"math"
	"math/rand/v2"
)

// ChiSquareResult is Pearson's chi-square test of independence of a
// table's rows and columns.
type ChiSquareResult struct {
	ChiSquare float64 `json:"chi_square"`
	DF        int     `json:"df"`
	// P is the asymptotic p-value, or the Monte-Carlo one when
	// MonteCarlo > 0 (that many tables drawn).
	P          float64 `json:"p"`
	MonteCarlo int     `json:"monte_carlo,omitempty"`
	N          float64 `json:"n"`
	// Expected counts and adjusted standardized residuals (O − E) /
	// √(E (1 − row/N)(1 − col/N)), which are standard normal under
	// independence (Haberman 1973; R's chisq.test()$stdres).
	Expected  [][]float64 `json:"expected"`
	Residuals [][]float64 `json:"residuals"`
	// Sparse: more than a fifth of the expected counts are below 5, or
	// one is below 1 (Cochran 1954), so the asymptotic p-value is not to
	// be trusted.
	Sparse bool `json:"sparse"`
}

// ChiSquare tests the independence of a table's rows and columns. Rows
// and columns without any count are dropped first (they carry no
// information and would make expected counts 0).
func ChiSquare(table [][]float64) ChiSquareResult {
	t := dropEmpty(table)
	var r ChiSquareResult
	rows, cols, n := margins(t)
	r.N = n
	if len(rows) < 2 || len(cols) < 2 {
		r.P = 1
		return r
	}
	r.DF = (len(rows) - 1) * (len(cols) - 1)
	r.ChiSquare = chiSquareStat(t, rows, cols, n)
	r.P = chiSquareSurvival(r.ChiSquare, float64(r.DF))
	small, cells := 0, 0
	r.Expected = make([][]float64, len(rows))
	r.Residuals = make([][]float64, len(rows))
	for i := range rows {
		r.Expected[i] = make([]float64, len(cols))
		r.Residuals[i] = make([]float64, len(cols))
		for j := range cols {
			e := rows[i] * cols[j] / n
			r.Expected[i][j] = e
			r.Residuals[i][j] = (t[i][j] - e) / math.Sqrt(e*(1-rows[i]/n)*(1-cols[j]/n))
			cells++
			if e < 5 {
				small++
			}
			if e < 1 {
				r.Sparse = true
			}
		}
	}
	if float64(small) > 0.2*float64(cells) {
		r.Sparse = true
	}
	return r
}

// ChiSquareMonteCarlo is ChiSquare with the p-value estimated from b
// random tables with the same margins, as R's chisq.test(simulate.p.value
// = TRUE, B = b): (1 + tables at least as extreme) / (b + 1). The tables
// are drawn by permuting the column labels of the table's units, which
// samples the hypergeometric distribution given both margins; seed makes
// the draw reproducible. Counts must be whole numbers.
func ChiSquareMonteCarlo(table [][]float64, b int, seed uint64) ChiSquareResult {
	r := ChiSquare(table)
	if r.DF == 0 || b <= 0 {
		return r
	}
	t := dropEmpty(table)
	rows, cols, n := margins(t)
	var rowOf, colOf []int
	for i := range t {
		for j := range t[i] {
			for range int(t[i][j]) {
				rowOf = append(rowOf, i)
				colOf = append(colOf, j)
			}
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	sim := make([][]float64, len(rows))
	for i := range sim {
		sim[i] = make([]float64, len(cols))
	}
	// R counts ties with a relative tolerance of 64 machine epsilons.
	limit := r.ChiSquare * (1 - 64*2.220446049250313e-16)
	hits := 0
	for range b {
		rng.Shuffle(len(colOf), func(a, c int) { colOf[a], colOf[c] = colOf[c], colOf[a] })
		for i := range sim {
			clear(sim[i])
		}
		for k := range rowOf {
			sim[rowOf[k]][colOf[k]]++
		}
		if chiSquareStat(sim, rows, cols, n) >= limit {
			hits++
		}
	}
	r.P = float64(1+hits) / float64(b+1)
	r.MonteCarlo = b
	return r
}

func chiSquareStat(t [][]float64, rows, cols []float64, n float64) float64 {
	var x float64
	for i := range rows {
		for j := range cols {
			e := rows[i] * cols[j] / n
			d := t[i][j] - e
			x += d * d / e
		}
	}
	return x
}

func margins(t [][]float64) (rows, cols []float64, n float64) {
	rows = make([]float64, len(t))
	if len(t) > 0 {
		cols = make([]float64, len(t[0]))
	}
	for i := range t {
		for j, v := range t[i] {
			rows[i] += v
			cols[j] += v
			n += v
		}
	}
	return rows, cols, n
}

// dropEmpty removes the rows and columns whose margins are zero.
func dropEmpty(t [][]float64) [][]float64 {
	rows, cols, _ := margins(t)
	var out [][]float64
	for i := range t {
		if rows[i] == 0 {
			continue
		}
		var row []float64
		for j, v := range t[i] {
			if cols[j] > 0 {
				row = append(row, v)
			}
		}
		out = append(out, row)
	}
	return out
}

// CramersVResult is Cramér's V with a confidence interval.
type CramersVResult struct {
	V        float64  `json:"v"`
	Interval Interval `json:"interval"`
	// NCP is the interval of the chi-square's non-centrality parameter
	// the interval of V comes from.
	NCP Interval `json:"ncp"`
}

// CramersV is √(χ²/(N (k − 1))), k the smaller dimension of the table
// (Cramér 1946; scipy.stats.contingency.association), with the interval
// of Smithson (2003) as confintr's ci_cramersv computes it: a two-sided
// interval for the non-centrality parameter λ of the statistic's
// distribution, turned into √((λ + df)/(N (k − 1))); when λ's lower bound
// is 0 (the test is not significant) so is V's.
func CramersV(chi ChiSquareResult, rows, cols int, confidence float64) CramersVResult {
	k := float64(min(rows, cols))
	var r CramersVResult
	if chi.N == 0 || k < 2 || chi.DF == 0 {
		r.Interval = Interval{0, 1}
		return r
	}
	scale := chi.N * (k - 1)
	r.V = math.Min(1, math.Sqrt(chi.ChiSquare/scale))
	alpha := 1 - confidence
	r.NCP = NoncentralityInterval(chi.ChiSquare, float64(chi.DF), alpha/2, 1-alpha/2)
	df := float64(chi.DF)
	r.Interval.Hi = math.Min(1, math.Sqrt((r.NCP.Hi+df)/scale))
	if r.NCP.Lo > 0 {
		r.Interval.Lo = math.Min(1, math.Sqrt((r.NCP.Lo+df)/scale))
	}
	r.Interval.Lo = math.Min(r.Interval.Lo, r.V)
	r.Interval.Hi = math.Max(r.Interval.Hi, r.V)
	return r
}

// NoncentralityInterval is the interval for the non-centrality parameter λ
// of a chi-square statistic x with df degrees of freedom whose error
// probabilities are lo and hi (0.025 and 0.975 for a two-sided 95%
// interval): the λ at which P(X ≤ x; df, λ) = 1 − lo and 1 − hi, 0 where
// no λ ≥ 0 reaches it (confintr's ci_chisq_ncp).
func NoncentralityInterval(x, df, lo, hi float64) Interval {
	solve := func(target float64) float64 {
		if NoncentralChiSquareCDF(x, df, 0) < target {
			return 0
		}
		a, b := 0.0, math.Max(10, 2*x)
		for NoncentralChiSquareCDF(x, df, b) > target {
			a, b = b, 2*b
		}
		for range 200 {
			m := (a + b) / 2
			if NoncentralChiSquareCDF(x, df, m) > target {
				a = m
			} else {
				b = m
			}
			if b-a < 1e-10*math.Max(1, b) {
				break
			}
		}
		return (a + b) / 2
	}
	var iv Interval
	if lo > 0 {
		iv.Lo = solve(1 - lo)
	}
	if hi < 1 {
		iv.Hi = solve(1 - hi)
	} else {
		iv.Hi = math.Inf(1)
	}
	return iv
}

// NoncentralChiSquareCDF is P(X ≤ x) for a non-central chi-square with df
// degrees of freedom and non-centrality λ: the Poisson(λ/2) mixture of
// central chi-squares with df + 2j degrees of freedom, summed outward
// from the mixture's mode until the terms vanish.
func NoncentralChiSquareCDF(x, df, lambda float64) float64 {
	if x <= 0 {
		return 0
	}
	if lambda == 0 {
		return 1 - chiSquareSurvival(x, df)
	}
	half := lambda / 2
	mode := math.Floor(half)
	term := func(j float64) float64 {
		lw := -half + j*math.Log(half) - lgamma(j+1)
		return math.Exp(lw) * (1 - chiSquareSurvival(x, df+2*j))
	}
	weight := func(j float64) float64 { return math.Exp(-half + j*math.Log(half) - lgamma(j+1)) }
	sum := 0.0
	for j := mode; j >= 0; j-- {
		t := term(j)
		sum += t
		if weight(j) < 1e-16 {
			break
		}
	}
	for j := mode + 1; ; j++ {
		t := term(j)
		sum += t
		if weight(j) < 1e-16 || t < 1e-18 {
			break
		}
	}
	return math.Min(1, sum)
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// FisherExact is the two-sided p-value of Fisher's exact test of a 2×2
// table [[a, b], [c, d]]: the probability, given the margins, of the
// tables no more likely than this one (R's fisher.test, with its relative
// tolerance of 1e-7).
func FisherExact(a, b, c, d int) float64 {
	r1, c1, n := a+b, a+c, a+b+c+d
	if n == 0 {
		return 1
	}
	lchoose := func(n, k int) float64 { return lgamma(float64(n+1)) - lgamma(float64(k+1)) - lgamma(float64(n-k+1)) }
	logP := func(x int) float64 { return lchoose(c1, x) + lchoose(n-c1, r1-x) - lchoose(n, r1) }
	obs := logP(a)
	lo, hi := max(0, r1+c1-n), min(r1, c1)
	p := 0.0
	for x := lo; x <= hi; x++ {
		if lp := logP(x); lp <= obs+math.Log1p(1e-7) {
			p += math.Exp(lp)
		}
	}
	return math.Min(1, p)
}
