package report

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"unsafe"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/stats"
	"github.com/bugscope/bugscope/taxonomy"
)

// Confidence is the level of every interval of the report.
const Confidence = 0.95

// Methods of an Estimate.
const (
	MethodWilson = "wilson" // the classifier's labels, sampling noise only
	MethodPPI    = "ppi"    // prediction-powered inference with hand labels
)

// Gold is a sample of hand labels of the reported issues (label records,
// or a bugscope sample's final labels) for correcting the shares.
type Gold struct {
	// Source names where the labels come from (files, a sample).
	Source string
	Labels map[bugscope.IssueRef]bugscope.Labels
	// Strata names each labelled issue's stratum (x_stratum, a sample's
	// stratum); an issue without one is in its repository's.
	Strata map[bugscope.IssueRef]string
	// NotRandom says the labels are not a random sample of the reported
	// issues: they measure the labels' accuracy but correct nothing.
	NotRandom bool
	// CrossPredicted counts the hand-labelled issues a learned classifier
	// was trained on whose labels in the report are its out-of-fold
	// predictions (cross-prediction): the estimation says so.
	CrossPredicted int
}

// Estimate is a share with its 95% interval: the corrected share when the
// report has a random sample of hand labels (method ppi), else the
// classifier's share with a Wilson interval that covers sampling noise
// only (method wilson).
type Estimate struct {
	Share  float64 `json:"share"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	Method string  `json:"method"`
}

// LabelAccuracy is how the classifier's labels of one value compare with
// the hand labels: precision (of the issues it gave the value, the share
// that have it) and recall (of the issues that have it, the share it
// found), weighted by the strata's inclusion probabilities; nil where no
// hand-labelled issue was predicted (precision) or has the value (recall).
type LabelAccuracy struct {
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
	Predicted int      `json:"predicted"` // hand-labelled issues the classifier gave the value
	Actual    int      `json:"actual"`    // hand-labelled issues with the value
}

// Estimation says how the report's shares were estimated.
type Estimation struct {
	Method     string  `json:"method"`
	Confidence float64 `json:"confidence"`
	Note       string  `json:"note"`
	// Gold describes the hand labels, when given.
	Gold *GoldSummary `json:"gold,omitempty"`
	// Accuracy of the classifier on the hand labels, per dimension (value
	// and group level), as bugscope eval computes it.
	Accuracy []DimensionAccuracy `json:"accuracy,omitempty"`
	Warnings []string            `json:"warnings,omitempty"`
}

// GoldSummary counts the hand labels the correction used.
type GoldSummary struct {
	Source string `json:"source"`
	// Labels in the files; Used of them are reported issues.
	Labels  int `json:"labels"`
	Used    int `json:"used"`
	Outside int `json:"outside"`
	Bugs    int `json:"bugs"` // used hand labels that are bugs
	// Strata: hand labels and population per stratum.
	Strata    []GoldStratum `json:"strata"`
	Random    bool          `json:"random"`
	Corrected bool          `json:"corrected"`
}

// GoldStratum is one stratum of the hand-labelled sample.
type GoldStratum struct {
	Name       string `json:"name"`
	Population int    `json:"population"`
	Labelled   int    `json:"labelled"`
}

// DimensionAccuracy is the headline agreement of the classifier with the
// hand labels on one dimension.
type DimensionAccuracy struct {
	Dimension    string  `json:"dimension"`
	Name         string  `json:"name"`
	Level        string  `json:"level"`
	N            int     `json:"n"`
	Accuracy     float64 `json:"accuracy"`
	MacroF1      float64 `json:"macro_f1"`
	Kappa        float64 `json:"kappa"`
	KappaMeasure string  `json:"kappa_measure"`
}

// estimator computes every share's estimate over the reported issues,
// from the classifier's labels and, with gold, the hand labels.
type estimator struct {
	tax    *taxonomy.Taxonomy
	catDim *taxonomy.Dimension
	items  []*bugscope.ReportItem
	// stratum of each item, and the hand labels of the labelled ones by
	// item index (nil without a usable random gold sample).
	stratum []int
	nStrata int
	gold    map[int]bugscope.Labels
	// weight of a labelled item: its stratum's population over its hand
	// labels, for precision and recall.
	weight map[int]float64
	// sets: the classifier's views, one per distinct label set, and
	// setOf each item's (loaders share one map per set, so a share's
	// predicates are evaluated once per set, not once per item);
	// perSet[repo][set] counts the items ("" for all). goldV: the hand
	// labels' views of the labelled items (random or not: precision and
	// recall use them).
	sets   []view
	setOf  []int32
	perSet map[string][]int
	goldV  map[int]view
}

// pred is the classifier's view of item i.
func (e *estimator) pred(i int) view { return e.sets[e.setOf[i]] }

// predicate selects issues by labels; den and num of a share are two.
type predicate func(bugscope.Labels) bool

func (e *estimator) isBug(l bugscope.Labels) bool { return e.tax.Applies(e.catDim, l) }

// has says whether labels carry value v of dimension d (or, for a group
// id, one of its values).
func has(d *taxonomy.Dimension, v string, group bool) predicate {
	return func(l bugscope.Labels) bool {
		for _, x := range l[d.ID] {
			if x == v || group && d.GroupOf(x) == v {
				return true
			}
		}
		return false
	}
}

// newEstimator prepares the estimates; with a random gold sample it maps
// the hand labels onto the reported issues and their strata, and returns
// the summary and warnings of that.
func newEstimator(tax *taxonomy.Taxonomy, catDim *taxonomy.Dimension, items []*bugscope.ReportItem, g *Gold) (*estimator, Estimation) {
	e := &estimator{tax: tax, catDim: catDim, items: items}
	e.setOf = make([]int32, len(items))
	setIndex := map[unsafe.Pointer]int32{} // a map's identity: equal maps are one set
	for i, it := range items {
		id := reflect.ValueOf(it.Labels).UnsafePointer()
		k, ok := setIndex[id]
		if !ok {
			k = int32(len(e.sets))
			setIndex[id] = k
			e.sets = append(e.sets, e.view(it.Labels))
		}
		e.setOf[i] = k
	}
	e.perSet = map[string][]int{}
	for i, it := range items {
		for _, repo := range [2]string{"", it.Repo} {
			c := e.perSet[repo]
			if c == nil {
				c = make([]int, len(e.sets))
				e.perSet[repo] = c
			}
			c[e.setOf[i]]++
		}
	}
	est := Estimation{Method: MethodWilson, Confidence: Confidence,
		Note: "Intervals are Wilson score intervals of the classifier's labels: they cover sampling noise only, not labelling error."}
	if g == nil {
		est.Warnings = append(est.Warnings, "No hand labels were given (report --gold FILE or --sample NAME): the shares are the classifier's, uncorrected, and its errors are not in the intervals.")
		return e, est
	}
	// The hand-labelled items' positions: a map of the few labelled, not
	// of every item.
	byRef := make(map[bugscope.IssueRef]int, len(g.Labels))
	for i, it := range items {
		if ref := it.Ref(); hasKey(g.Labels, ref) {
			byRef[ref] = i
		}
	}
	sum := &GoldSummary{Source: g.Source, Labels: len(g.Labels), Random: !g.NotRandom}
	est.Gold = sum
	// Strata: the gold's own names when they are the repositories or a
	// single stratum for all; otherwise the repositories (post-strata).
	repos := map[string]bool{}
	for _, it := range items {
		repos[it.Repo] = true
	}
	names := map[string]bool{}
	labelled := map[int]bugscope.Labels{}
	var refs []bugscope.IssueRef
	for ref := range g.Labels {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	for _, ref := range refs {
		i, ok := byRef[ref]
		if !ok {
			sum.Outside++
			continue
		}
		labelled[i] = g.Labels[ref]
		s := g.Strata[ref]
		if s == "" {
			s = ref.Repo
		}
		names[s] = true
	}
	sum.Used = len(labelled)
	byRepo := true
	for n := range names {
		byRepo = byRepo && repos[n]
	}
	single := len(names) == 1 && !byRepo
	if !byRepo && !single {
		est.Warnings = append(est.Warnings, "The hand labels' strata are not the repositories: they are post-stratified by repository.")
	}
	stratumOf := map[string]int{}
	var order []string
	e.stratum = make([]int, len(items))
	for i, it := range items {
		key := it.Repo
		if single {
			key = "all"
		}
		k, ok := stratumOf[key]
		if !ok {
			k = len(order)
			stratumOf[key] = k
			order = append(order, key)
		}
		e.stratum[i] = k
	}
	e.nStrata = len(order)
	pop := make([]int, len(order))
	lab := make([]int, len(order))
	for i := range items {
		pop[e.stratum[i]]++
	}
	for i := range labelled {
		lab[e.stratum[i]]++
	}
	for k, name := range order {
		sum.Strata = append(sum.Strata, GoldStratum{Name: name, Population: pop[k], Labelled: lab[k]})
	}
	e.weight = map[int]float64{}
	for i, l := range labelled {
		e.weight[i] = float64(pop[e.stratum[i]]) / float64(lab[e.stratum[i]])
		if e.isBug(l) {
			sum.Bugs++
		}
	}
	if sum.Outside > 0 {
		est.Warnings = append(est.Warnings, fmt.Sprintf("%d of the %d hand labels are of issues outside the reported population (other filters or data): left out. If the sample was drawn from another population, the correction is not valid for this one.", sum.Outside, sum.Labels))
	}
	for k, name := range order {
		if lab[k] < 2 {
			est.Warnings = append(est.Warnings, fmt.Sprintf("Stratum %s (%d issues) has %d hand labels: its part of every share is the classifier's, uncorrected. The sample does not cover the reported population.", name, pop[k], lab[k]))
		} else if lab[k] < 30 {
			est.Warnings = append(est.Warnings, fmt.Sprintf("Stratum %s has only %d hand labels: its corrections are noisy.", name, lab[k]))
		}
	}
	if len(labelled) == 0 {
		est.Warnings = append(est.Warnings, "None of the hand labels is of a reported issue: nothing is corrected.")
		return e, est
	}
	est.Accuracy = accuracy(tax, items, labelled)
	e.goldV = map[int]view{}
	for i, l := range labelled {
		e.goldV[i] = e.view(l)
	}
	if g.NotRandom {
		est.Warnings = append(est.Warnings, "The hand labels are not a random sample of the reported issues (--gold-not-random): they measure the labels' accuracy, but the shares are not corrected.")
		return e, est
	}
	e.gold = labelled
	sum.Corrected = true
	est.Method = MethodPPI
	est.Note = fmt.Sprintf("Shares are corrected for the classifier's errors with %d hand labels (%d bugs) of a random sample, %s: prediction-powered inference (Angelopoulos et al., Science 2023) with power tuning, per stratum, weighted by the strata's populations; shares of bugs are ratios (bugs of a value over bugs), so the classifier's kind errors are corrected too. Intervals cover sampling noise and labelling error.", sum.Used, sum.Bugs, strataText(sum.Strata))
	if g.CrossPredicted > 0 {
		est.Note += fmt.Sprintf(" The learned model was trained on %d of these hand-labelled issues: their labels here are its out-of-fold predictions from train's cross-validation, each made by a model that did not learn from it (cross-prediction-powered inference, Zrnic and Candès, PNAS 2024); the model trained on every label labels the other issues, where the paper averages the fold models.", g.CrossPredicted)
	}
	return e, est
}

func strataText(ss []GoldStratum) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprintf("%s %d of %d", s.Name, s.Labelled, s.Population)
	}
	return "strata " + strings.Join(parts, ", ")
}

// accuracy scores the classifier against the hand labels as bugscope eval
// does (without its bootstrap intervals).
func accuracy(tax *taxonomy.Taxonomy, items []*bugscope.ReportItem, gold map[int]bugscope.Labels) []DimensionAccuracy {
	a := map[bugscope.IssueRef]bugscope.Labels{}
	b := map[bugscope.IssueRef]bugscope.Labels{}
	for i, l := range gold {
		ref := items[i].Ref()
		a[ref], b[ref] = l, items[i].Labels
	}
	cmp := metrics.CompareWith(tax, a, b, metrics.CompareOptions{Bootstrap: metrics.BootstrapOptions{Resamples: -1}})
	var out []DimensionAccuracy
	for _, d := range cmp.Dimensions {
		out = append(out, DimensionAccuracy{Dimension: d.Dimension, Name: d.Name, Level: d.Level, N: d.N,
			Accuracy: finite(float64(d.Accuracy)), MacroF1: finite(float64(d.MacroF1)), Kappa: finite(float64(d.Kappa)), KappaMeasure: d.KappaMeasure})
	}
	return out
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// view is one labelling of one issue (the classifier's or the hand
// labels), with whether it makes the issue a bug, decided once.
type view struct {
	l   bugscope.Labels
	bug bool
}

// vpred selects views; a share is num among den.
type vpred func(view) bool

func labels(p predicate) vpred { return func(v view) bool { return p(v.l) } }
func bugView(v view) bool      { return v.bug }
func anyView(view) bool        { return true }

func andV(ps ...vpred) vpred {
	return func(v view) bool {
		for _, p := range ps {
			if !p(v) {
				return false
			}
		}
		return true
	}
}

func (e *estimator) view(l bugscope.Labels) view { return view{l, e.isBug(l)} }

// indicators evaluates a share's numerator and denominator once for every
// label set (classifier: f and fden by set) and hand-labelled issue (hand
// labels).
type indicators struct {
	f, fden []bool
	y, yden map[int]bool
}

func (e *estimator) indicators(num, den vpred) indicators {
	ind := indicators{f: make([]bool, len(e.sets)), fden: make([]bool, len(e.sets))}
	for k, v := range e.sets {
		ind.fden[k] = den(v)
		ind.f[k] = ind.fden[k] && num(v)
	}
	if e.gold != nil {
		ind.y, ind.yden = map[int]bool{}, map[int]bool{}
		for i, v := range e.goldV {
			ind.yden[i] = den(v)
			ind.y[i] = ind.yden[i] && num(v)
		}
	}
	return ind
}

// shares estimates the share num/den over all issues and per engine.
func (e *estimator) shares(num, den vpred, engs []Engine) (Estimate, map[string]Estimate) {
	ind := e.indicators(num, den)
	by := make(map[string]Estimate, len(engs))
	for _, eng := range engs {
		by[eng.Repo] = e.estimate(ind, eng.Repo)
	}
	return e.estimate(ind, ""), by
}

// estimate is the share of the issues of repo ("" for all): Wilson's
// without hand labels (or without any in this engine), else PPI.
func (e *estimator) estimate(ind indicators, repo string) Estimate {
	b := func(x bool) float64 {
		if x {
			return 1
		}
		return 0
	}
	if e.gold == nil {
		return e.wilson(ind, repo)
	}
	strata := make([]stats.PPIStratum, e.nStrata)
	used := make([]bool, e.nStrata)
	for i, it := range e.items {
		if repo != "" && it.Repo != repo {
			continue
		}
		h := e.stratum[i]
		used[h] = true
		s := &strata[h]
		f, fden := b(ind.f[e.setOf[i]]), b(ind.fden[e.setOf[i]])
		s.F = append(s.F, f)
		s.FDen = append(s.FDen, fden)
		if yden, ok := ind.yden[i]; ok {
			s.Gold = append(s.Gold, stats.GoldUnit{Y: b(ind.y[i]), YDen: b(yden), F: f, FDen: fden})
		}
	}
	var in []stats.PPIStratum
	gold := 0
	for h, s := range strata {
		if used[h] {
			in = append(in, s)
			gold += len(s.Gold)
		}
	}
	if gold == 0 {
		// No hand label in this engine (a stratum the sample missed, which
		// the warnings name): its share is the classifier's.
		return e.wilson(ind, repo)
	}
	r := stats.PPIRatio(in, Confidence)
	return Estimate{Share: r.Estimate, Lo: r.Interval.Lo, Hi: r.Interval.Hi, Method: MethodPPI}
}

// wilson is the classifier's share with its Wilson interval.
func (e *estimator) wilson(ind indicators, repo string) Estimate {
	k, n := 0, 0
	for set, items := range e.perSet[repo] {
		if ind.fden[set] {
			n += items
			if ind.f[set] {
				k += items
			}
		}
	}
	iv := stats.Wilson(float64(k), float64(n), Confidence)
	return Estimate{Share: share(k, n), Lo: iv.Lo, Hi: iv.Hi, Method: MethodWilson}
}

// labelAccuracy measures precision and recall of value num (among den) on
// the hand labels.
func (e *estimator) labelAccuracy(num, den vpred) *LabelAccuracy {
	if len(e.goldV) == 0 {
		return nil
	}
	var tp, pred, act float64
	a := &LabelAccuracy{}
	for i, g := range e.goldV {
		w := e.weight[i]
		p := e.pred(i)
		isP, isA := den(p) && num(p), den(g) && num(g)
		if isP {
			pred += w
			a.Predicted++
		}
		if isA {
			act += w
			a.Actual++
		}
		if isP && isA {
			tp += w
		}
	}
	if pred > 0 {
		v := tp / pred
		a.Precision = &v
	}
	if act > 0 {
		v := tp / act
		a.Recall = &v
	}
	return a
}

// fillEstimates gives every share of the report its estimate, overall and
// per engine, and the categories, root causes and severities the
// classifier's precision and recall on the hand labels.
func (e *estimator) fillEstimates(r *Report) {
	tax := e.tax
	bug := vpred(bugView)
	count := func(c *Count, num, den vpred) {
		all, by := e.shares(num, den, r.Engines)
		c.Estimate, c.EstimateByRepo = &all, by
		c.LabelAccuracy = e.labelAccuracy(num, den)
	}
	dist := func(dd *Distribution, den vpred) {
		d := tax.Dimension(dd.Dimension)
		if d == nil {
			return
		}
		for i := range dd.Values {
			count(&dd.Values[i], labels(has(d, dd.Values[i].ID, false)), den)
		}
		for i := range dd.Groups {
			count(&dd.Groups[i], labels(has(d, dd.Groups[i].ID, true)), den)
		}
	}
	if d := tax.ByRole(taxonomy.RoleKind); d != nil {
		dist(&r.Kinds, anyView)
	}
	// within estimates shares inside one subcategory's bugs.
	within := func(cs []Count, dim *taxonomy.Dimension, den vpred) {
		if dim == nil {
			return
		}
		for i := range cs {
			est := e.estimate(e.indicators(labels(has(dim, cs[i].ID, false)), den), "")
			cs[i].Estimate = &est
		}
	}
	for i := range r.Categories {
		c := &r.Categories[i]
		isGroup := e.catDim.Group(c.ID) != nil
		count(&c.Count, andV(bug, labels(has(e.catDim, c.ID, isGroup))), bug)
		for j := range c.Subcategories {
			s := &c.Subcategories[j]
			in := andV(bug, labels(has(e.catDim, s.ID, false)))
			count(&s.Count, in, bug)
			within(s.Severities, tax.ByRole(taxonomy.RoleSeverity), in)
			within(s.RootCauses, tax.ByRole(taxonomy.RoleRootCause), in)
			within(s.Patterns, tax.ByRole(taxonomy.RolePatterns), in)
		}
	}
	if tax.ByRole(taxonomy.RoleRootCause) != nil {
		dist(&r.RootCauses, bug)
	}
	if tax.ByRole(taxonomy.RoleSeverity) != nil {
		dist(&r.Severities, bug)
	}
	for i := range r.OtherDimensions {
		den := vpred(anyView)
		if d := tax.Dimension(r.OtherDimensions[i].Dimension); d != nil && len(d.AppliesWhen) > 0 {
			den = bug
		}
		dist(&r.OtherDimensions[i], den)
	}
	if d := tax.ByRole(taxonomy.RolePatterns); d != nil {
		for i := range r.Patterns {
			ep := &r.Patterns[i]
			for j := range ep.Patterns {
				est := e.estimate(e.indicators(labels(has(d, ep.Patterns[j].ID, false)), bug), ep.Repo)
				ep.Patterns[j].Estimate = &est
			}
		}
	}
}

func hasKey[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}
