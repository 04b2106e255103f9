package study

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/taxonomy"
)

// Subset restricts agreement to part of a sample. Zero fields keep
// everything.
type Subset struct {
	Half   int                 `json:"half,omitempty"`   // 1 or 2
	Strata []string            `json:"strata,omitempty"` // repositories, for a sample stratified by repo
	Items  []bugscope.IssueRef `json:"items,omitempty"`
}

func (sub Subset) String() string {
	var parts []string
	if sub.Half != 0 {
		parts = append(parts, "half "+strconv.Itoa(sub.Half))
	}
	if len(sub.Strata) > 0 {
		parts = append(parts, "strata "+strings.Join(sub.Strata, ", "))
	}
	if len(sub.Items) > 0 {
		parts = append(parts, strconv.Itoa(len(sub.Items))+" chosen items")
	}
	if len(parts) == 0 {
		return "all items"
	}
	return strings.Join(parts, "; ")
}

func (sub Subset) keep(it SampleItem) bool {
	if sub.Half != 0 && it.Half != sub.Half {
		return false
	}
	if len(sub.Strata) > 0 && !slices.Contains(sub.Strata, it.Stratum) {
		return false
	}
	if len(sub.Items) > 0 {
		found := false
		for _, r := range sub.Items {
			if r == it.Issue {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// AgreementOptions control Agreement.
type AgreementOptions struct {
	// Raters to compare, in order; the first is the reference of a
	// two-rater comparison. Default: every rater of the sample, in the
	// order of their first answer.
	Raters    []string
	Subset    Subset
	Bootstrap metrics.BootstrapOptions
}

// Measures of DimAgreement.Measure beyond metrics' own.
const (
	MeasureFleiss             = "fleiss"
	MeasureFleissMeanPerLabel = "fleiss_mean_per_label"
)

// Agreement is the inter-rater agreement on (part of) a sample.
type Agreement struct {
	Sample          string         `json:"sample"`
	Taxonomy        string         `json:"taxonomy"`
	TaxonomyVersion string         `json:"taxonomy_version"`
	Raters          []string       `json:"raters"`
	Subset          string         `json:"subset"`
	Items           int            `json:"items"`    // sample items in the subset
	Answered        map[string]int `json:"answered"` // items each rater answered, in the subset
	// Common items were answered by every rater; Scored of them were
	// labelled (not excluded) by every rater, the base of the per-dimension
	// kappas.
	Common     int            `json:"common"`
	Scored     int            `json:"scored"`
	Inclusion  Inclusion      `json:"inclusion"`
	Dimensions []DimAgreement `json:"dimensions"`
	// Disagreements lists, by item, every dimension on which the raters
	// who answered differ; an item that some exclude and others label has
	// one "exclusion" disagreement instead.
	Disagreements []Disagreement `json:"disagreements"`
	// Comparison is the full two-rater comparison (confusion matrices,
	// per-class figures), the same as bugscope eval computes; nil for
	// more than two raters.
	Comparison *metrics.Comparison `json:"comparison,omitempty"`
}

// Inclusion is the agreement on which issues to keep, over the common
// items.
type Inclusion struct {
	Items       int            `json:"items"`
	Excluded    map[string]int `json:"excluded"` // by rater
	AllIncluded int            `json:"all_included"`
	AllExcluded int            `json:"all_excluded"`
	Split       int            `json:"split"`
	Raw         metrics.Float  `json:"raw"`
	Kappa       metrics.Float  `json:"kappa"`
	Measure     string         `json:"measure"`
}

// DimAgreement is the agreement on one dimension, at the value or the
// group level.
type DimAgreement struct {
	Dimension string `json:"dimension"`
	Name      string `json:"name"`
	Level     string `json:"level"`
	Multi     bool   `json:"multi"`
	Ordinal   bool   `json:"ordinal"`
	Scope     string `json:"scope"`
	// N items were scored. Two raters: the items where the first rater's
	// labels put the dimension in scope and give it a value (Unscored
	// more in scope have none). More raters: the items where the
	// dimension applies for at least one rater; a rater without a value
	// there counts as the category "(none)".
	N        int `json:"n"`
	Unscored int `json:"unscored,omitempty"`
	// Raw is the share of scored items on which all raters agree (for a
	// multi-valued dimension: the same set).
	Raw     metrics.Float `json:"raw"`
	Kappa   metrics.Float `json:"kappa"`
	Measure string        `json:"measure"`
	KappaCI metrics.CI    `json:"kappa_ci"`
	// Alpha is Krippendorff's alpha with missing values left out (ordinal
	// for ordinal dimensions, else nominal; for a multi-valued dimension
	// the mean over its values of the nominal alpha of their presence).
	// AlphaN units had two or more values.
	Alpha      metrics.Float `json:"alpha"`
	AlphaLevel string        `json:"alpha_level"`
	AlphaN     int           `json:"alpha_n"`
	AlphaCI    metrics.CI    `json:"alpha_ci"`
}

// Disagreement is one item and dimension on which raters differ.
type Disagreement struct {
	Issue     bugscope.IssueRef   `json:"-"`
	Item      string              `json:"item"`
	Dimension string              `json:"dimension"`
	Values    map[string][]string `json:"values"` // by rater; an exclusion is ["excluded: reason"]
}

// ExclusionDimension names the disagreement on whether to keep an issue.
const ExclusionDimension = "exclusion"

// Agreement measures how far the raters agree on the sample (or the
// subset), dimension by dimension: raw agreement; Cohen's kappa for two
// raters (quadratic-weighted for ordinal dimensions, mean per-value kappa
// for multi-valued ones) exactly as bugscope eval computes it, the first
// rater standing where eval has the gold labels; Fleiss' kappa for more;
// Krippendorff's alpha, which takes missing answers in its stride; each
// with a percentile bootstrap interval.
func (s *Service) Agreement(ctx context.Context, sample string, opt AgreementOptions) (*Agreement, error) {
	sm, err := s.Load(ctx, sample)
	if err != nil {
		return nil, err
	}
	raters, answers, err := s.answers(ctx, sample, opt.Raters)
	if err != nil {
		return nil, err
	}
	if len(raters) < 2 {
		return nil, bugscope.Errorf(bugscope.EConflict, "sample %q: agreement needs two raters or more, it has %d (%s)", sample, len(raters), strings.Join(raters, ", "))
	}
	ag := &Agreement{Sample: sample, Taxonomy: s.Tax.Name, TaxonomyVersion: s.Tax.Version, Raters: raters,
		Subset: opt.Subset.String(), Answered: map[string]int{}, Dimensions: []DimAgreement{}, Disagreements: []Disagreement{},
		Inclusion: Inclusion{Excluded: map[string]int{}}}
	var items []SampleItem
	for _, it := range sm.Items {
		if opt.Subset.keep(it) {
			items = append(items, it)
		}
	}
	ag.Items = len(items)
	for _, it := range items {
		for r := range answers[it.Issue] {
			ag.Answered[r]++
		}
	}
	// common: answered by every rater; scored: labelled by every rater.
	var common, scored []SampleItem
	for _, it := range items {
		as := answers[it.Issue]
		if len(as) != len(raters) {
			continue
		}
		common = append(common, it)
		excl := 0
		for _, a := range as {
			if a.Excluded() {
				excl++
			}
		}
		if excl == 0 {
			scored = append(scored, it)
		}
	}
	ag.Common, ag.Scored = len(common), len(scored)
	ag.Inclusion = inclusion(raters, common, answers)

	if len(raters) == 2 {
		a, b := map[bugscope.IssueRef]bugscope.Labels{}, map[bugscope.IssueRef]bugscope.Labels{}
		for _, it := range scored {
			a[it.Issue] = answers[it.Issue][raters[0]].Labels
			b[it.Issue] = answers[it.Issue][raters[1]].Labels
		}
		cmp := metrics.CompareWith(s.Tax, a, b, metrics.CompareOptions{Bootstrap: opt.Bootstrap})
		ag.Comparison = &cmp
		for _, row := range cmp.Dimensions {
			ag.Dimensions = append(ag.Dimensions, s.pairRow(row, scored, a, b, opt.Bootstrap))
		}
	} else {
		for _, d := range s.Tax.Dimensions {
			ag.Dimensions = append(ag.Dimensions, s.manyRow(d, metrics.LevelValue, raters, items, answers, opt.Bootstrap))
			if len(d.Groups) > 0 {
				ag.Dimensions = append(ag.Dimensions, s.manyRow(d, metrics.LevelGroup, raters, items, answers, opt.Bootstrap))
			}
		}
	}
	ag.Disagreements = s.disagreements(raters, items, answers)
	return ag, nil
}

// answers loads the latest answers of the chosen raters by issue.
func (s *Service) answers(ctx context.Context, sample string, chosen []string) ([]string, map[bugscope.IssueRef]map[string]Answer, error) {
	all, err := s.Raters(ctx, sample)
	if err != nil {
		return nil, nil, err
	}
	raters := all
	if len(chosen) > 0 {
		seen := map[string]bool{}
		for _, r := range chosen {
			if !slices.Contains(all, r) {
				return nil, nil, fmt.Errorf("rater %q has no answers in sample %q (raters: %s): %w", r, sample, strings.Join(all, ", "), bugscope.ErrNotFound)
			}
			if seen[r] {
				return nil, nil, bugscope.Errorf(bugscope.EInvalid, "rater %q named twice", r)
			}
			seen[r] = true
		}
		raters = chosen
	}
	anns, err := s.Store.Annotations(ctx, sample, AnnotationQuery{})
	if err != nil {
		return nil, nil, err
	}
	out := map[bugscope.IssueRef]map[string]Answer{}
	for _, a := range anns {
		if !slices.Contains(raters, a.Rater) {
			continue
		}
		if out[a.Issue] == nil {
			out[a.Issue] = map[string]Answer{}
		}
		out[a.Issue][a.Rater] = answerOf(a)
	}
	return raters, out, nil
}

func inclusion(raters []string, common []SampleItem, answers map[bugscope.IssueRef]map[string]Answer) Inclusion {
	inc := Inclusion{Items: len(common), Excluded: map[string]int{}, Measure: metrics.KappaCohen}
	ratings := make([][]string, len(common))
	for i, it := range common {
		excl := 0
		for _, r := range raters {
			v := "included"
			if answers[it.Issue][r].Excluded() {
				v = "excluded"
				excl++
				inc.Excluded[r]++
			}
			ratings[i] = append(ratings[i], v)
		}
		switch excl {
		case 0:
			inc.AllIncluded++
		case len(raters):
			inc.AllExcluded++
		default:
			inc.Split++
		}
	}
	inc.Raw = metrics.Float(ratio(float64(inc.AllIncluded+inc.AllExcluded), float64(len(common))))
	if len(raters) == 2 {
		var a, b []string
		for _, r := range ratings {
			a, b = append(a, r[0]), append(b, r[1])
		}
		k, _ := metrics.Kappa(a, b, nil, metrics.Unweighted)
		inc.Kappa = metrics.Float(k)
	} else {
		inc.Measure = MeasureFleiss
		inc.Kappa = metrics.Float(fleiss(ratings, nil, nil))
	}
	return inc
}

// pairRow turns a row of the two-rater comparison into a DimAgreement,
// adding the bootstrap interval of Krippendorff's alpha on the same pairs.
func (s *Service) pairRow(row metrics.DimensionScores, scored []SampleItem, a, b map[bugscope.IssueRef]bugscope.Labels, bo metrics.BootstrapOptions) DimAgreement {
	out := DimAgreement{Dimension: row.Dimension, Name: row.Name, Level: row.Level, Multi: row.Multi, Ordinal: row.Ordinal,
		Scope: row.Scope, N: row.N, Unscored: row.MissingA, Raw: row.Accuracy, Kappa: row.Kappa, Measure: row.KappaMeasure,
		KappaCI: row.KappaCI, Alpha: metrics.Float(nan), AlphaCI: metrics.CI{Lo: metrics.Float(nan), Hi: metrics.Float(nan)}}
	d := s.Tax.Dimension(row.Dimension)
	if d == nil {
		return out
	}
	conv := valueMapper(d, row.Level)
	level := metrics.Nominal
	if row.Level == metrics.LevelValue && d.Ordinal {
		level = metrics.Ordinal
	}
	out.AlphaLevel = level.String()
	// The units are the comparison's own: items where the first rater's
	// labels put the dimension in scope, with a value.
	var units [][]float64
	if d.Multi {
		var sets [][][]string
		for _, it := range scored {
			if !s.Tax.Applies(d, a[it.Issue]) {
				continue
			}
			sets = append(sets, [][]string{mapSet(a[it.Issue][d.ID], conv), mapSet(b[it.Issue][d.ID], conv)})
		}
		out.Alpha, out.AlphaN, out.AlphaCI = multiAlpha(sets, bo)
		return out
	}
	for _, it := range scored {
		if !s.Tax.Applies(d, a[it.Issue]) {
			continue
		}
		x := a[it.Issue].One(d.ID)
		if x == "" {
			continue
		}
		u := []float64{code(d, conv(x), level)}
		if y := b[it.Issue].One(d.ID); y != "" {
			if c := code(d, conv(y), level); c == c {
				u = append(u, c)
			}
		}
		units = append(units, u)
	}
	out.Alpha, out.AlphaN, out.AlphaCI = alphaWithCI(units, level, bo)
	return out
}

// valueMapper maps a value to itself or, at the group level, to its group.
func valueMapper(d *taxonomy.Dimension, level string) func(string) string {
	if level != metrics.LevelGroup {
		return func(v string) string { return v }
	}
	return func(v string) string {
		if g := d.GroupOf(v); g != "" {
			return g
		}
		return v
	}
}

func mapSet(vs []string, conv func(string) string) []string {
	set := map[string]bool{}
	for _, v := range vs {
		set[conv(v)] = true
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// code numbers a value for Krippendorff's alpha: its rank on an ordinal
// scale, else its index among the dimension's values and groups. NaN (a
// missing value) for anything else.
func code(d *taxonomy.Dimension, v string, level metrics.Level) float64 {
	if level == metrics.Ordinal {
		if r := d.Rank(v); r >= 0 {
			return float64(r)
		}
		return nan
	}
	for i, x := range d.AllValues() {
		if x.ID == v {
			return float64(i)
		}
	}
	for i, g := range d.Groups {
		if g.ID == v {
			return float64(len(d.AllValues()) + i)
		}
	}
	return nan // not a value of the dimension: missing
}

// alphaWithCI is Krippendorff's alpha of the units with a bootstrap
// interval over units; n counts the pairable units.
func alphaWithCI(units [][]float64, level metrics.Level, bo metrics.BootstrapOptions) (metrics.Float, int, metrics.CI) {
	n := 0
	for _, u := range units {
		if len(u) >= 2 {
			n++
		}
	}
	alpha := metrics.KrippendorffAlpha(units, level)
	sub := make([][]float64, len(units))
	ci := metrics.Bootstrap(len(units), func(idx []int) float64 {
		sub = sub[:0]
		for _, i := range idx {
			sub = append(sub, units[i])
		}
		return metrics.KrippendorffAlpha(sub, level)
	}, bo)
	return metrics.Float(alpha), n, ci
}

// multiAlpha is the mean over values of the nominal alpha of their
// presence; sets[i] holds each coder's set on unit i.
func multiAlpha(sets [][][]string, bo metrics.BootstrapOptions) (metrics.Float, int, metrics.CI) {
	n := 0
	for _, u := range sets {
		if len(u) >= 2 {
			n++
		}
	}
	names := setValues(sets)
	stat := func(idx []int) float64 {
		var sum float64
		k := 0
		for _, l := range names {
			var units [][]float64
			for _, i := range idx {
				var u []float64
				for _, set := range sets[i] {
					u = append(u, b2f(slices.Contains(set, l)))
				}
				units = append(units, u)
			}
			if a := metrics.KrippendorffAlpha(units, metrics.Nominal); a == a {
				sum += a
				k++
			}
		}
		return ratio(sum, float64(k))
	}
	return metrics.Float(stat(indices(len(sets)))), n, metrics.Bootstrap(len(sets), stat, bo)
}

// setValues lists the values of sets[i][coder], sorted.
func setValues(sets [][][]string) []string {
	values := map[string]bool{}
	for _, u := range sets {
		for _, set := range u {
			for _, v := range set {
				values[v] = true
			}
		}
	}
	return sortedKeys(values)
}

// indices is 0..n-1.
func indices(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// manyRow is the agreement of three or more raters on one dimension.
func (s *Service) manyRow(d *taxonomy.Dimension, level string, raters []string, items []SampleItem,
	answers map[bugscope.IssueRef]map[string]Answer, bo metrics.BootstrapOptions) DimAgreement {
	conv := valueMapper(d, level)
	name := d.Name
	if level == metrics.LevelGroup {
		name += " (group)"
	}
	out := DimAgreement{Dimension: d.ID, Name: name, Level: level, Multi: d.Multi, Ordinal: d.Ordinal && level == metrics.LevelValue,
		Scope: metrics.Scope(d)}
	alphaLevel := metrics.Nominal
	if out.Ordinal {
		alphaLevel = metrics.Ordinal
	}
	out.AlphaLevel = alphaLevel.String()
	applies := func(as map[string]Answer, who []string) bool {
		for _, r := range who {
			if a, ok := as[r]; ok && !a.Excluded() && s.Tax.Applies(d, a.Labels) {
				return true
			}
		}
		return false
	}
	// Fleiss and raw agreement: items every rater labelled, in scope for
	// one of them at least.
	var ratings [][]string // single-valued: one value (or None) per rater
	var sets [][][]string  // multi-valued: one set per rater
	for _, it := range items {
		as := answers[it.Issue]
		if len(as) != len(raters) || anyExcluded(as) || !applies(as, raters) {
			continue
		}
		if d.Multi {
			sets = append(sets, unitSets(as, raters, d.ID, conv))
			continue
		}
		var row []string
		for _, r := range raters {
			v := as[r].Labels.One(d.ID)
			if v == "" {
				v = metrics.None
			} else {
				v = conv(v)
			}
			row = append(row, v)
		}
		ratings = append(ratings, row)
	}
	// Alpha: every item two raters or more labelled; a rater who gave no
	// value is missing, not a category.
	var units [][]float64
	var alphaSets [][][]string
	for _, it := range items {
		as := answers[it.Issue]
		var who []string
		for _, r := range raters {
			if a, ok := as[r]; ok && !a.Excluded() {
				who = append(who, r)
			}
		}
		if len(who) < 2 || !applies(as, who) {
			continue
		}
		if d.Multi {
			alphaSets = append(alphaSets, unitSets(as, who, d.ID, conv))
			continue
		}
		var u []float64
		for _, r := range who {
			if v := as[r].Labels.One(d.ID); v != "" {
				if c := code(d, conv(v), alphaLevel); c == c {
					u = append(u, c)
				}
			}
		}
		units = append(units, u)
	}
	if d.Multi {
		out.N = len(sets)
		out.Measure = MeasureFleissMeanPerLabel
		out.Raw = share(sets, allSameSet)
		stat := func(idx []int) float64 { return meanLabelFleiss(sets, idx) }
		out.Kappa = metrics.Float(stat(nil))
		out.KappaCI = metrics.Bootstrap(len(sets), stat, bo)
		out.Alpha, out.AlphaN, out.AlphaCI = multiAlpha(alphaSets, bo)
		return out
	}
	out.N = len(ratings)
	out.Measure = MeasureFleiss
	out.Raw = share(ratings, allSame)
	counts, _ := metrics.CountRatings(ratings, nil)
	out.Kappa = metrics.Float(fleissCounts(counts, nil))
	out.KappaCI = metrics.Bootstrap(len(counts), func(idx []int) float64 { return fleissCounts(counts, idx) }, bo)
	out.Alpha, out.AlphaN, out.AlphaCI = alphaWithCI(units, alphaLevel, bo)
	return out
}

// unitSets is each rater's set of values of dimension dim on one item.
func unitSets(as map[string]Answer, raters []string, dim string, conv func(string) string) [][]string {
	var u [][]string
	for _, r := range raters {
		u = append(u, mapSet(as[r].Labels[dim], conv))
	}
	return u
}

// share is the share of the units on which all raters agree.
func share[U any](units []U, agree func(U) bool) metrics.Float {
	n := 0
	for _, u := range units {
		if agree(u) {
			n++
		}
	}
	return metrics.Float(ratio(float64(n), float64(len(units))))
}

func anyExcluded(as map[string]Answer) bool {
	for _, a := range as {
		if a.Excluded() {
			return true
		}
	}
	return false
}

func allSame(vs []string) bool {
	for _, v := range vs {
		if v != vs[0] {
			return false
		}
	}
	return true
}

func allSameSet(sets [][]string) bool {
	for _, s := range sets {
		if !sameSet(s, sets[0]) {
			return false
		}
	}
	return true
}

// fleiss is Fleiss' kappa of ratings (one label per rater per item) over
// the items idx (all when nil).
func fleiss(ratings [][]string, order []string, idx []int) float64 {
	counts, _ := metrics.CountRatings(ratings, order)
	return fleissCounts(counts, idx)
}

func fleissCounts(counts [][]int, idx []int) float64 {
	rows := counts
	if idx != nil {
		rows = make([][]int, len(idx))
		for i, j := range idx {
			rows[i] = counts[j]
		}
	}
	if len(rows) == 0 {
		return nan
	}
	k, err := metrics.FleissKappa(rows)
	if err != nil {
		return nan
	}
	return k
}

// meanLabelFleiss is the mean over values of Fleiss' kappa of their
// presence (yes/no per rater), over the items idx (all when nil); values
// whose kappa is undefined are left out.
func meanLabelFleiss(sets [][][]string, idx []int) float64 {
	if idx == nil {
		idx = indices(len(sets))
	}
	var sum float64
	n := 0
	for _, l := range setValues(sets) {
		counts := make([][]int, 0, len(idx))
		for _, i := range idx {
			yes := 0
			for _, set := range sets[i] {
				if slices.Contains(set, l) {
					yes++
				}
			}
			counts = append(counts, []int{yes, len(sets[i]) - yes})
		}
		if k := fleissCounts(counts, nil); k == k {
			sum += k
			n++
		}
	}
	return ratio(sum, float64(n))
}

// disagreements lists per item (in sample order) the dimensions on which
// the raters who answered differ.
func (s *Service) disagreements(raters []string, items []SampleItem, answers map[bugscope.IssueRef]map[string]Answer) []Disagreement {
	out := []Disagreement{}
	for _, it := range items {
		as := answers[it.Issue]
		if len(as) < 2 {
			continue
		}
		out = append(out, s.itemDisagreements(it.Issue, raters, as)...)
	}
	return out
}

func (s *Service) itemDisagreements(ref bugscope.IssueRef, raters []string, as map[string]Answer) []Disagreement {
	excl := 0
	for _, a := range as {
		if a.Excluded() {
			excl++
		}
	}
	if excl == len(as) {
		return nil
	}
	if excl > 0 {
		d := Disagreement{Issue: ref, Item: ref.String(), Dimension: ExclusionDimension, Values: map[string][]string{}}
		for _, r := range raters {
			if a, ok := as[r]; ok {
				if a.Excluded() {
					d.Values[r] = []string{"excluded: " + a.ExcludeReason}
				} else {
					d.Values[r] = []string{"included"}
				}
			}
		}
		return []Disagreement{d}
	}
	var out []Disagreement
	for _, d := range s.Tax.Dimensions {
		applies := false
		var sets [][]string
		for _, r := range raters {
			if a, ok := as[r]; ok {
				applies = applies || s.Tax.Applies(d, a.Labels)
				sets = append(sets, a.Labels[d.ID])
			}
		}
		if !applies || allSameSet(sets) {
			continue
		}
		dis := Disagreement{Issue: ref, Item: ref.String(), Dimension: d.ID, Values: map[string][]string{}}
		for _, r := range raters {
			if a, ok := as[r]; ok {
				v := append([]string{}, a.Labels[d.ID]...)
				dis.Values[r] = v
			}
		}
		out = append(out, dis)
	}
	return out
}
