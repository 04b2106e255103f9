package metrics

import (
	"slices"
	"sort"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// None stands for the value b leaves out where a has one: it counts as a
// wrong answer, appears in confusion matrices, but is no class of its own in
// per-class scores and macro-F1 (it would only count the same miss twice).
const None = "(none)"

// Levels of a DimensionScores row.
const (
	LevelValue = "value" // the dimension's own values
	LevelGroup = "group" // values mapped to their group (category memory.oom → memory)
)

// Kappa measures, as DimensionScores.KappaMeasure names them.
const (
	KappaCohen        = "cohen"          // unweighted Cohen's kappa
	KappaQuadratic    = "quadratic"      // quadratic-weighted kappa, for ordinal dimensions
	KappaMeanPerLabel = "mean_per_label" // mean of per-label yes/no kappas, for multi-valued dimensions
)

// Comparison scores labels b against labels a over the items both have.
type Comparison struct {
	Taxonomy        string `json:"taxonomy"`
	TaxonomyVersion string `json:"taxonomy_version"`
	Common          int    `json:"common"` // items labelled in both a and b
	OnlyA           int    `json:"only_a"` // items only a labels: not scored
	OnlyB           int    `json:"only_b"` // items only b labels: not scored
	// Dimensions has one row per dimension in taxonomy order, each followed
	// by its group-level row when the dimension has groups.
	Dimensions []DimensionScores `json:"dimensions"`
	// Disagreements lists every scored item and dimension (value level)
	// where a and b differ, by item and then dimension.
	Disagreements []Disagreement `json:"disagreements"`
}

// DimensionScores is one row of a Comparison: one dimension at the value or
// the group level. The headline figures (Accuracy, MacroF1, Kappa) are
// filled for every row; Single or MultiLabel has the detail.
type DimensionScores struct {
	Dimension string `json:"dimension"`
	Name      string `json:"name"`
	Level     string `json:"level"`
	Multi     bool   `json:"multi"`
	Ordinal   bool   `json:"ordinal"`
	// Scope is the applies_when condition, checked on a ("kind=bug"), or "all".
	Scope string `json:"scope"`
	// N items were scored. MissingA items in scope were skipped because a
	// gives no value (single-valued dimensions only); MissingB scored items
	// have no value in b and count as None.
	N        int `json:"n"`
	MissingA int `json:"missing_a"`
	MissingB int `json:"missing_b"`
	// Accuracy is exact-match accuracy for a multi-valued dimension.
	Accuracy Float `json:"accuracy"`
	MacroF1  Float `json:"macro_f1"`
	// Kappa is the headline agreement; KappaMeasure says which kappa it is.
	Kappa        Float  `json:"kappa"`
	KappaMeasure string `json:"kappa_measure"`
	KappaCI      CI     `json:"kappa_ci"`

	Single     *SingleScores     `json:"single,omitempty"`
	MultiLabel *MultiLabelScores `json:"multi_label,omitempty"`
}

// SingleScores is the detail of a single-valued dimension.
type SingleScores struct {
	// Kappa is Cohen's unweighted kappa, with its asymptotic standard
	// error and bootstrap interval.
	Kappa   Float `json:"kappa"`
	KappaSE Float `json:"kappa_se"`
	KappaCI CI    `json:"kappa_ci"`
	// Weighted kappas, for ordinal dimensions, on the taxonomy's full scale.
	Weighted *WeightedKappas `json:"weighted,omitempty"`
	// Alpha is Krippendorff's alpha (ordinal for ordinal dimensions, else
	// nominal). Unlike the other figures it treats a value b leaves out as
	// missing data, as Krippendorff does, not as a wrong answer: it is the
	// agreement on the AlphaN items where both give a value (on the scale,
	// for ordinal dimensions).
	Alpha      Float  `json:"alpha"`
	AlphaLevel string `json:"alpha_level"`
	AlphaN     int    `json:"alpha_n"`
	// Classes scores every class of a or b but None, in taxonomy order.
	Classes   []ClassScore `json:"classes"`
	Confusion Confusion    `json:"confusion"`
}

// WeightedKappas are the weighted kappas of an ordinal dimension.
type WeightedKappas struct {
	Linear      Float `json:"linear"`
	LinearSE    Float `json:"linear_se"`
	Quadratic   Float `json:"quadratic"`
	QuadraticSE Float `json:"quadratic_se"`
	QuadraticCI CI    `json:"quadratic_ci"`
}

// Disagreement is one item and dimension on which a and b differ. A single
// value left out is an empty list.
type Disagreement struct {
	Item      string   `json:"item"`
	Dimension string   `json:"dimension"`
	A         []string `json:"a"`
	B         []string `json:"b"`
}

// CompareOptions tune CompareWith.
type CompareOptions struct {
	// Bootstrap sets the kappa intervals: zero values give 1,000
	// resamples, seed 1, 95%; Resamples < 0 turns intervals off.
	Bootstrap BootstrapOptions
}

// Compare scores labels b (e.g. a classifier, or rater 2) against labels a
// (e.g. gold, or rater 1) over the items both have, dimension by dimension,
// with default options.
//
// A dimension with applies_when is scored only on the items where a meets
// the condition (category only on a's bugs); there a value missing in b is
// None, a wrong answer. A single-valued dimension gets accuracy, macro-F1,
// Cohen's kappa (and weighted kappas when ordinal), Krippendorff's alpha,
// per-class scores and a confusion matrix; a multi-valued one the
// multi-label figures. A dimension with groups gets a second row at the
// group level.
func Compare(tax *taxonomy.Taxonomy, a, b map[bugscope.IssueRef]bugscope.Labels) Comparison {
	return CompareWith(tax, a, b, CompareOptions{})
}

// CompareWith is Compare with options.
func CompareWith(tax *taxonomy.Taxonomy, a, b map[bugscope.IssueRef]bugscope.Labels, opt CompareOptions) Comparison {
	c := Comparison{Taxonomy: tax.Name, TaxonomyVersion: tax.Version, Dimensions: []DimensionScores{}, Disagreements: []Disagreement{}}
	var items []bugscope.IssueRef
	for ref := range a {
		if _, ok := b[ref]; ok {
			items = append(items, ref)
		} else {
			c.OnlyA++
		}
	}
	c.OnlyB = len(b) - len(items)
	c.Common = len(items)
	sort.Slice(items, func(i, j int) bool { return lessRef(items[i], items[j]) })
	// Disagreements are gathered dimension by dimension with their item's
	// rank, then ordered by item.
	type ranked struct {
		rank int
		d    Disagreement
	}
	var dis []ranked
	rank := make(map[bugscope.IssueRef]int, len(items))
	for i, ref := range items {
		rank[ref] = i
	}
	disagree := func(ref bugscope.IssueRef, d Disagreement) { dis = append(dis, ranked{rank[ref], d}) }

	for _, d := range tax.Dimensions {
		var scoped []bugscope.IssueRef
		for _, ref := range items {
			if tax.Applies(d, a[ref]) {
				scoped = append(scoped, ref)
			}
		}
		base := DimensionScores{Dimension: d.ID, Name: d.Name, Level: LevelValue, Multi: d.Multi, Ordinal: d.Ordinal, Scope: Scope(d)}
		grouped := len(d.Groups) > 0
		if d.Multi {
			var sa, sb, ga, gb [][]string
			for _, ref := range scoped {
				x, y := canonSet(a[ref][d.ID], ValueOrder(d)), canonSet(b[ref][d.ID], ValueOrder(d))
				sa, sb = append(sa, x), append(sb, y)
				if !slices.Equal(x, y) {
					disagree(ref, Disagreement{Item: ref.String(), Dimension: d.ID, A: x, B: y})
				}
				if grouped {
					ga, gb = append(ga, groupSet(d, x)), append(gb, groupSet(d, y))
				}
			}
			c.Dimensions = append(c.Dimensions, multiRow(base, sa, sb, ValueOrder(d), opt))
			if grouped {
				base.Level, base.Name = LevelGroup, d.Name+" (group)"
				c.Dimensions = append(c.Dimensions, multiRow(base, ga, gb, groupOrder(d), opt))
			}
			continue
		}
		var va, vb, ga, gb []string
		for _, ref := range scoped {
			x, y := a[ref].One(d.ID), b[ref].One(d.ID)
			if x == "" {
				base.MissingA++
				continue
			}
			dis := Disagreement{Item: ref.String(), Dimension: d.ID, A: []string{x}, B: []string{}}
			if y == "" {
				base.MissingB++
				y = None
			} else {
				dis.B = []string{y}
			}
			if x != y {
				disagree(ref, dis)
			}
			va, vb = append(va, x), append(vb, y)
			if grouped {
				ga, gb = append(ga, groupOf(d, x)), append(gb, groupOf(d, y))
			}
		}
		var scale []string
		if d.Ordinal {
			for _, v := range d.AllValues() {
				scale = append(scale, v.ID)
			}
		}
		c.Dimensions = append(c.Dimensions, singleRow(base, va, vb, ValueOrder(d), scale, opt))
		if grouped {
			base.Level, base.Name, base.Ordinal = LevelGroup, d.Name+" (group)", false
			c.Dimensions = append(c.Dimensions, singleRow(base, ga, gb, groupOrder(d), nil, opt))
		}
	}
	sort.SliceStable(dis, func(i, j int) bool { return dis[i].rank < dis[j].rank })
	for _, r := range dis {
		c.Disagreements = append(c.Disagreements, r.d)
	}
	return c
}

// singleRow fills a row of a single-valued dimension; scale is the ordinal
// scale, nil for nominal dimensions.
func singleRow(row DimensionScores, a, b []string, order, scale []string, opt CompareOptions) DimensionScores {
	row.N = len(a)
	order = append(append([]string(nil), order...), None)
	s := &SingleScores{Classes: []ClassScore{}}
	s.Kappa, s.KappaSE = floats(Kappa(a, b, nil, Unweighted))
	s.KappaCI = KappaCI(a, b, nil, Unweighted, opt.Bootstrap)
	row.Kappa, row.KappaMeasure, row.KappaCI = s.Kappa, KappaCohen, s.KappaCI
	if scale != nil {
		w := &WeightedKappas{}
		w.Linear, w.LinearSE = floats(Kappa(a, b, scale, Linear))
		w.Quadratic, w.QuadraticSE = floats(Kappa(a, b, scale, Quadratic))
		w.QuadraticCI = KappaCI(a, b, scale, Quadratic, opt.Bootstrap)
		s.Weighted = w
		row.Kappa, row.KappaMeasure, row.KappaCI = w.Quadratic, KappaQuadratic, w.QuadraticCI
	}
	alpha, alphaN := pairAlpha(a, b, order, scale)
	s.Alpha, s.AlphaN, s.AlphaLevel = Float(alpha), alphaN, Nominal.String()
	if scale != nil {
		s.AlphaLevel = Ordinal.String()
	}
	for _, cs := range PerClass(a, b, order) {
		if cs.Class != None {
			s.Classes = append(s.Classes, cs)
		}
	}
	s.Confusion = ConfusionMatrix(a, b, order)
	row.Accuracy = Float(Accuracy(a, b))
	row.MacroF1 = Float(MacroAverage(s.Classes).F1)
	row.Single = s
	return row
}

// pairAlpha is Krippendorff's alpha for two coders, leaving out None and,
// on an ordinal scale, values off the scale.
func pairAlpha(a, b []string, order, scale []string) (alpha float64, pairs int) {
	code := map[string]float64{}
	for i, v := range order {
		code[v] = float64(i)
	}
	level := Nominal
	if scale != nil {
		level = Ordinal
		code = map[string]float64{}
		for i, v := range scale {
			code[v] = float64(i)
		}
	}
	units := make([][]float64, 0, len(a))
	for i := range a {
		var u []float64
		for _, v := range []string{a[i], b[i]} {
			if c, ok := code[v]; ok && v != None {
				u = append(u, c)
			}
		}
		if len(u) == 2 {
			pairs++
		}
		units = append(units, u)
	}
	return KrippendorffAlpha(units, level), pairs
}

func multiRow(row DimensionScores, a, b [][]string, order []string, opt CompareOptions) DimensionScores {
	row.N = len(a)
	m := MultiLabel(a, b, order)
	if m.Labels == nil {
		m.Labels = []LabelScore{}
	}
	row.Accuracy, row.MacroF1, row.Kappa = m.ExactMatch, m.MacroF1, m.MeanKappa
	row.KappaMeasure = KappaMeanPerLabel
	row.KappaCI = MultiLabelKappaCI(a, b, opt.Bootstrap)
	row.MultiLabel = &m
	return row
}

func floats(x, y float64) (Float, Float) { return Float(x), Float(y) }

// ValueOrder is the order of a dimension's values: group by group, a
// group id (when it stands as a value) before its leaves, each once.
func ValueOrder(d *taxonomy.Dimension) []string {
	var out []string
	for _, g := range d.Groups {
		if d.AcceptGroups {
			out = append(out, g.ID)
		}
		for _, v := range g.Values {
			out = append(out, v.ID)
		}
	}
	for _, v := range d.Values {
		out = append(out, v.ID)
	}
	return dedupe(out)
}

func groupOrder(d *taxonomy.Dimension) []string {
	var out []string
	for _, g := range d.Groups {
		out = append(out, g.ID)
	}
	return append(out, None)
}

// groupOf maps a value to its group; None and values the taxonomy does not
// know stay as they are.
func groupOf(d *taxonomy.Dimension, v string) string {
	if g := d.GroupOf(v); g != "" {
		return g
	}
	return v
}

func groupSet(d *taxonomy.Dimension, vs []string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, groupOf(d, v))
	}
	return canonSet(out, groupOrder(d))
}

// canonSet returns the distinct values of vs in a fixed order, never nil.
func canonSet(vs []string, order []string) []string {
	set := map[string]bool{}
	for _, v := range vs {
		set[v] = true
	}
	out := orderLabels(order, set)
	if out == nil {
		out = []string{}
	}
	return out
}

// Scope says where a dimension applies: its applies_when condition
// ("kind=bug"), or "all".
func Scope(d *taxonomy.Dimension) string {
	if len(d.AppliesWhen) == 0 {
		return "all"
	}
	var parts []string
	for k, v := range d.AppliesWhen {
		parts = append(parts, k+"="+strings.Join(v, "|"))
	}
	sort.Strings(parts)
	return strings.Join(parts, " and ")
}

func lessRef(x, y bugscope.IssueRef) bool {
	if x.Repo != y.Repo {
		return x.Repo < y.Repo
	}
	return x.Number < y.Number
}
