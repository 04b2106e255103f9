package report

import (
	"math"

	"github.com/bugscope/bugscope/stats"
)

// MonteCarloTables is how many random tables give a sparse table's
// p-value (R's default B).
const MonteCarloTables = 2000

// Comparison compares the engines on one dimension: the engine × value
// table of the classifier's labels, the chi-square test of independence
// (Monte-Carlo p-value where expected counts are small), Cramér's V with
// its interval, the adjusted standardized residuals, and every pair of
// engines tested alike with Holm's correction.
type Comparison struct {
	Dimension string   `json:"dimension"`
	Name      string   `json:"name"`
	Base      string   `json:"base"` // issues or bugs
	Engines   []string `json:"engines"`
	Values    []string `json:"values"`
	Names     []string `json:"value_names"`
	// Table[i][j]: issues of engine i with value j.
	Table     [][]int        `json:"table"`
	Test      ChiTest        `json:"test"`
	CramersV  float64        `json:"cramers_v"`
	VInterval stats.Interval `json:"cramers_v_interval"`
	// Residuals[i][j]: adjusted standardized residual of the cell; beyond
	// ±1.96 the cell stands out at the 5% level, beyond ±3.29 at 0.1%.
	Residuals [][]float64 `json:"residuals"`
	Pairwise  []PairTest  `json:"pairwise"`
}

// ChiTest is a chi-square test with its adjusted p-value.
type ChiTest struct {
	ChiSquare   float64 `json:"chi_square"`
	DF          int     `json:"df"`
	P           float64 `json:"p"`
	PAdjusted   float64 `json:"p_adjusted"`
	MonteCarlo  int     `json:"monte_carlo,omitempty"`
	N           int     `json:"n"`
	Significant bool    `json:"significant"`
}

// PairTest compares two engines on a dimension; PHolm is Holm-adjusted
// over the dimension's pairs.
type PairTest struct {
	A          string  `json:"a"`
	B          string  `json:"b"`
	ChiSquare  float64 `json:"chi_square"`
	DF         int     `json:"df"`
	P          float64 `json:"p"`
	PHolm      float64 `json:"p_holm"`
	MonteCarlo int     `json:"monte_carlo,omitempty"`
}

// chiTest runs the chi-square test of a table, by Monte Carlo when sparse.
func chiTest(t [][]float64, seed uint64) stats.ChiSquareResult {
	r := stats.ChiSquare(t)
	if r.Sparse && r.DF > 0 {
		r = stats.ChiSquareMonteCarlo(t, MonteCarloTables, seed)
	}
	return r
}

// compareEngines builds the comparison of one dimension from its counts
// per engine (values with no issue in any engine are left out).
func compareEngines(dim, name, base string, engs []Engine, cs []Count, seed uint64) *Comparison {
	if len(engs) < 2 {
		return nil
	}
	c := &Comparison{Dimension: dim, Name: name, Base: base}
	for _, v := range cs {
		if v.Count > 0 {
			c.Values = append(c.Values, v.ID)
			c.Names = append(c.Names, v.Name)
		}
	}
	if len(c.Values) < 2 {
		return nil
	}
	table := make([][]float64, len(engs))
	for i, e := range engs {
		c.Engines = append(c.Engines, e.Repo)
		row := make([]int, 0, len(c.Values))
		for _, v := range cs {
			if v.Count > 0 {
				row = append(row, v.ByRepo[e.Repo])
				table[i] = append(table[i], float64(v.ByRepo[e.Repo]))
			}
		}
		c.Table = append(c.Table, row)
	}
	r := chiTest(table, seed)
	c.Test = ChiTest{ChiSquare: r.ChiSquare, DF: r.DF, P: r.P, MonteCarlo: r.MonteCarlo, N: int(r.N)}
	v := stats.CramersV(r, len(engs), len(c.Values), Confidence)
	c.CramersV, c.VInterval = v.V, v.Interval
	// Residuals in the full table's shape (rows or columns without any
	// count were dropped by the test).
	c.Residuals = fullResiduals(table, r.Residuals)
	var ps []float64
	for i := range engs {
		for j := i + 1; j < len(engs); j++ {
			pr := chiTest([][]float64{table[i], table[j]}, seed+uint64(i*len(engs)+j))
			c.Pairwise = append(c.Pairwise, PairTest{A: engs[i].Repo, B: engs[j].Repo, ChiSquare: pr.ChiSquare, DF: pr.DF, P: pr.P, MonteCarlo: pr.MonteCarlo})
			ps = append(ps, pr.P)
		}
	}
	for k, p := range stats.Holm(ps) {
		c.Pairwise[k].PHolm = p
	}
	return c
}

// fullResiduals maps the residuals of the table without its empty rows
// and columns back onto the full table, 0 for the empty ones.
func fullResiduals(t [][]float64, res [][]float64) [][]float64 {
	rows := make([]bool, len(t))
	var cols []bool
	if len(t) > 0 {
		cols = make([]bool, len(t[0]))
	}
	for i := range t {
		for j, v := range t[i] {
			if v > 0 {
				rows[i], cols[j] = true, true
			}
		}
	}
	out := make([][]float64, len(t))
	ri := 0
	for i := range t {
		out[i] = make([]float64, len(cols))
		if !rows[i] {
			continue
		}
		cj := 0
		for j := range cols {
			if cols[j] {
				if ri < len(res) && cj < len(res[ri]) && !math.IsNaN(res[ri][cj]) {
					out[i][j] = res[ri][cj]
				}
				cj++
			}
		}
		ri++
	}
	return out
}

// patternTests tests, for each engine and pattern, whether the engine's
// bugs carry the pattern more or less often than the other engines'
// (Fisher's exact test); the lift keeps its meaning.
func patternTests(eps []EnginePatterns) {
	total := map[string]int{}
	bugs := 0
	for _, ep := range eps {
		bugs += ep.Bugs
		for _, p := range ep.Patterns {
			total[p.ID] += p.Count
		}
	}
	for i := range eps {
		ep := &eps[i]
		for j := range ep.Patterns {
			p := &ep.Patterns[j]
			a, b := p.Count, ep.Bugs-p.Count
			c := total[p.ID] - p.Count
			d := bugs - ep.Bugs - c
			pv := stats.FisherExact(a, b, c, d)
			p.P = &pv
		}
	}
}
