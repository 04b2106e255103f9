package ensemble

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/taxonomy"
)

// CVOptions control CrossValidate.
type CVOptions struct {
	// HeldOut names the source (learn.Corpus.Source) of the labels that
	// judge the ensemble against the rules: labels the rules were not tuned
	// on. "" judges on every label.
	HeldOut string
	// Progress, when set, is called after each fold.
	Progress func(fold int)
}

// CVResult is what stratified k-fold cross-validation measured: the rules
// alone, the model alone and the ensemble, each scored over the same
// held-out predictions with metrics.Compare (the figures of bugscope
// eval); per source of the labels too; and which dimensions the model may
// decide (Choices) with the figures of that final ensemble (Final).
type CVResult struct {
	Folds    int                `json:"folds"`
	Seed     uint64             `json:"seed"`
	Examples int                `json:"examples"`
	Rules    metrics.Comparison `json:"rules"`
	Model    metrics.Comparison `json:"model"`
	// Ensemble is the ensemble with the gates each fold learned from its
	// training labels; Final is the ensemble with those gates only on the
	// dimensions Choices let the model decide, the rules on the others:
	// the figures to expect of the model train writes.
	Ensemble metrics.Comparison `json:"ensemble"`
	Final    metrics.Comparison `json:"final"`
	// HeldOut is the source the choices were judged on ("" for all).
	HeldOut string `json:"held_out,omitempty"`
	// Subsets are the same figures on the labels of each source, when the
	// labels have more than one.
	Subsets []CVSubset   `json:"subsets,omitempty"`
	Choices []GateChoice `json:"choices"`
	// Gains are the final ensemble's gains over the rules on the judged
	// labels, per dimension, with paired bootstrap intervals.
	Gains   []Gain  `json:"gains"`
	Seconds float64 `json:"seconds"`

	// cross are the final ensemble's and the model's out-of-fold labels of
	// every issue, for Apply.
	cross map[string]map[string]bugscope.Labels
}

// CVSubset is the cross-validated figures on the labels of one source.
type CVSubset struct {
	Source   string             `json:"source"`
	Examples int                `json:"examples"`
	Rules    metrics.Comparison `json:"rules"`
	Model    metrics.Comparison `json:"model"`
	Ensemble metrics.Comparison `json:"ensemble"`
	Final    metrics.Comparison `json:"final"`
}

// GateChoice says whether cross-validation lets the model take part in a
// dimension: only where the ensemble beat the rules out of fold on the
// held-out labels, with no figure of any dimension lower.
type GateChoice struct {
	Dimension string `json:"dimension"`
	UseModel  bool   `json:"use_model"`
	// Rules and Ensemble are the dimension's headline figure (Headline)
	// with the rules alone there and with the fold's gate.
	Rules    metrics.Float `json:"rules"`
	Ensemble metrics.Float `json:"ensemble"`
	Why      string        `json:"why"`
}

// Gain is the final ensemble's headline figure minus the rules' on one
// dimension, with a 95% percentile interval from a paired bootstrap of the
// judged issues (1,000 resamples, seed 1): both classifiers scored on the
// same resampled issues.
type Gain struct {
	Dimension string        `json:"dimension"`
	Gain      metrics.Float `json:"gain"`
	Lo        metrics.Float `json:"lo"`
	Hi        metrics.Float `json:"hi"`
}

// MinCVGain is the least out-of-fold gain in a dimension's headline figure
// for which the model takes part in it.
const MinCVGain = 0.005

// oofItem is one held-out issue of a fold.
type oofItem struct {
	ref  bugscope.IssueRef
	fold int
	doc  int // position in the corpus
	pred learn.Prediction
}

// CrossValidate splits the corpus into k folds stratified on kind and
// category group (learn.StratumKey) and, for each fold, trains on the
// others (model, temperatures and gates, the last two on inner folds of
// the training part only) and predicts the held-out issues. The rules'
// figures are their decisions on the same issues, as the docs carry them:
// the rules of the run, not a stored figure. It then chooses, dimension
// by dimension in taxonomy order, where the model may take part
// (ChooseGates) and scores that final ensemble.
func CrossValidate(ctx context.Context, c *learn.Corpus, k int, opt learn.TrainOptions, o CVOptions) (*CVResult, error) {
	start := time.Now()
	if k < 2 || k > c.Len() {
		return nil, fmt.Errorf("cross-validation: %d folds for %d examples", k, c.Len())
	}
	if o.HeldOut != "" && !slices.Contains(c.Source, o.HeldOut) {
		return nil, bugscope.Errorf(bugscope.EInvalid, "cross-validation: no labels come from %s, the held-out labels named", o.HeldOut)
	}
	keys := make([]string, c.Len())
	for i := range keys {
		keys[i] = learn.StratumKey(c.Tax, c.Gold[i])
	}
	folds := learn.StratifiedFolds(keys, k, opt.Seed)
	models := make([]*Model, len(folds))
	var items []oofItem
	for f, fold := range folds {
		m, err := Train(ctx, c, learn.Complement(c.Len(), fold), opt)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f+1, err)
		}
		models[f] = m
		docs := make([]learn.Doc, len(fold))
		for n, i := range fold {
			docs[n] = c.Docs[i]
		}
		preds, err := m.Learned.Predict(ctx, docs, 0)
		if err != nil {
			return nil, err
		}
		for n, i := range fold {
			items = append(items, oofItem{ref: c.Docs[i].Issue.Ref(), fold: f, doc: i, pred: preds[n]})
		}
		if o.Progress != nil {
			o.Progress(f + 1)
		}
	}
	cv := &oof{c: c, models: models, items: items}
	res := &CVResult{Folds: k, Seed: opt.Seed, Examples: c.Len(), HeldOut: o.HeldOut}
	judge := func(it oofItem) bool { return o.HeldOut == "" || c.Source[it.doc] == o.HeldOut }
	res.Choices = cv.choose(judge)
	use := map[string]bool{}
	for _, ch := range res.Choices {
		use[ch.Dimension] = ch.UseModel
	}
	res.Gains = cv.gains(judge, use, 1000)
	score := func(keep func(oofItem) bool) (rules, model, ens, final metrics.Comparison) {
		gold, r, m := cv.fixed(keep)
		return metrics.Compare(c.Tax, gold, r), metrics.Compare(c.Tax, gold, m),
			metrics.Compare(c.Tax, gold, cv.combine(keep, nil)), metrics.Compare(c.Tax, gold, cv.combine(keep, use))
	}
	res.Rules, res.Model, res.Ensemble, res.Final = score(func(oofItem) bool { return true })
	all := func(oofItem) bool { return true }
	_, _, model := cv.fixed(all)
	res.cross = map[string]map[string]bugscope.Labels{Name: {}, learn.Name: {}}
	for ref, l := range cv.combine(all, use) {
		res.cross[Name][ref.String()] = l
	}
	for ref, l := range model {
		res.cross[learn.Name][ref.String()] = l
	}
	var sources []string
	for _, s := range c.Source {
		if !slices.Contains(sources, s) {
			sources = append(sources, s)
		}
	}
	if len(sources) > 1 {
		for _, src := range sources {
			sub := CVSubset{Source: src}
			keep := func(it oofItem) bool { return c.Source[it.doc] == src }
			for _, s := range c.Source {
				if s == src {
					sub.Examples++
				}
			}
			sub.Rules, sub.Model, sub.Ensemble, sub.Final = score(keep)
			res.Subsets = append(res.Subsets, sub)
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// oof holds the out-of-fold predictions of a cross-validation, to combine
// them under different gates.
type oof struct {
	c      *learn.Corpus
	models []*Model
	items  []oofItem
}

// fixed returns the gold labels, the rules' and the model's labels of the
// items keep selects.
func (o *oof) fixed(keep func(oofItem) bool) (gold, rules, model map[bugscope.IssueRef]bugscope.Labels) {
	gold, rules, model = map[bugscope.IssueRef]bugscope.Labels{}, map[bugscope.IssueRef]bugscope.Labels{}, map[bugscope.IssueRef]bugscope.Labels{}
	for _, it := range o.items {
		if !keep(it) {
			continue
		}
		gold[it.ref] = o.c.Gold[it.doc]
		model[it.ref] = it.pred.Labels(o.c.Tax)
		if r := o.c.Docs[it.doc].Rules; r != nil {
			rules[it.ref] = r.Labels
		} else {
			rules[it.ref] = bugscope.Labels{}
		}
	}
	return gold, rules, model
}

// combine returns the ensemble's labels of the items keep selects, each
// with its fold's gates; with use not nil, the rules decide every
// dimension use does not let the model take part in.
func (o *oof) combine(keep func(oofItem) bool, use map[string]bool) map[bugscope.IssueRef]bugscope.Labels {
	models := o.models
	if use != nil {
		models = make([]*Model, len(o.models))
		for f, m := range o.models {
			models[f] = WithChoices(m, use)
		}
	}
	out := map[bugscope.IssueRef]bugscope.Labels{}
	for _, it := range o.items {
		if keep(it) {
			out[it.ref] = Combine(models[it.fold], o.c.Docs[it.doc].Rules, it.pred).Labels
		}
	}
	return out
}

// WithChoices returns a copy of m whose gates give every dimension that
// use does not let the model take part in to the rules (GateRules).
func WithChoices(m *Model, use map[string]bool) *Model {
	out := *m
	out.Gates = map[string]Gate{}
	for _, d := range m.Tax().Dimensions {
		g, ok := m.Gates[d.ID]
		if !use[d.ID] {
			g.Mode, g.Threshold, g.RulesShare = GateRules, 0, 1
			out.Gates[d.ID] = g
		} else if ok {
			out.Gates[d.ID] = g
		}
	}
	return &out
}

// choose decides, dimension by dimension in taxonomy order, whether the
// model takes part: starting from the rules alone, a dimension gets its
// folds' gates when that raises the dimension's headline figure on the
// judged items by at least MinCVGain and lowers no figure (macro-F1 or
// kappa, at any level) of any dimension.
func (o *oof) choose(judge func(oofItem) bool) []GateChoice {
	tax := o.c.Tax
	gold, _, _ := o.fixed(judge)
	opt := metrics.CompareOptions{Bootstrap: metrics.BootstrapOptions{Resamples: -1}}
	use := map[string]bool{}
	cur := metrics.CompareWith(tax, gold, o.combine(judge, use), opt)
	var out []GateChoice
	for _, d := range tax.Dimensions {
		try := map[string]bool{}
		for k, v := range use {
			try[k] = v
		}
		try[d.ID] = true
		next := metrics.CompareWith(tax, gold, o.combine(judge, try), opt)
		r, e := Headline(tax, d, cur), Headline(tax, d, next)
		ch := GateChoice{Dimension: d.ID, Rules: metrics.Float(r), Ensemble: metrics.Float(e)}
		fell := lower(cur, next)
		switch {
		case math.IsNaN(r) || math.IsNaN(e):
			ch.Why = "not measurable on the held-out labels: the rules decide"
		case e < r+MinCVGain:
			ch.Why = fmt.Sprintf("out of fold the ensemble scores %.3f, the rules %.3f: the rules decide", e, r)
		case fell != "":
			ch.Why = fmt.Sprintf("out of fold the ensemble scores %.3f, the rules %.3f, but %s falls: the rules decide", e, r, fell)
		default:
			ch.UseModel = true
			ch.Why = fmt.Sprintf("out of fold the ensemble scores %.3f, the rules %.3f: the gate lets the model decide where the rules are unsure", e, r)
			use, cur = try, next
		}
		out = append(out, ch)
	}
	return out
}

// lower names the first figure of b that is below a's, or "".
func lower(a, b metrics.Comparison) string {
	for i, x := range a.Dimensions {
		y := b.Dimensions[i]
		name := x.Dimension
		if x.Level == metrics.LevelGroup {
			name += " (group)"
		}
		for _, f := range []struct {
			what string
			a, b metrics.Float
		}{{"macro-F1", x.MacroF1, y.MacroF1}, {"kappa", x.Kappa, y.Kappa}} {
			if float64(f.b) < float64(f.a)-1e-9 {
				return fmt.Sprintf("%s %s (%.3f → %.3f)", name, f.what, float64(f.a), float64(f.b))
			}
		}
	}
	return ""
}

// Headline is the figure a dimension is judged by in a comparison: kappa
// (quadratic-weighted for an ordinal dimension, mean per-label for a
// multi-valued one), averaged with the group level's kappa for a grouped
// dimension; macro-F1 for the kind, the role whose target is a macro-F1.
func Headline(tax *taxonomy.Taxonomy, d *taxonomy.Dimension, cmp metrics.Comparison) float64 {
	var value, group = math.NaN(), math.NaN()
	for _, row := range cmp.Dimensions {
		if row.Dimension != d.ID {
			continue
		}
		f := float64(row.Kappa)
		if k := tax.ByRole(taxonomy.RoleKind); k != nil && k.ID == d.ID {
			f = float64(row.MacroF1)
		}
		if row.Level == metrics.LevelGroup {
			group = f
		} else {
			value = f
		}
	}
	if !math.IsNaN(group) {
		return (value + group) / 2
	}
	return value
}

// Apply sets the gates of a model trained on every label from the
// choices: the rules decide the dimensions where the model did not earn
// its place, and each gate says why.
func (r *CVResult) Apply(m *Model) {
	use := map[string]bool{}
	why := map[string]string{}
	for _, ch := range r.Choices {
		use[ch.Dimension], why[ch.Dimension] = ch.UseModel, ch.Why
	}
	*m = *WithChoices(m, use)
	for dim, g := range m.Gates {
		g.Why = why[dim]
		m.Gates[dim] = g
	}
	m.CV = r.Summary()
	m.CrossPredictions = r.cross
}

// Summary keeps the headline figures of a cross-validation, for the model
// file: on every label, and on each source's.
func (r *CVResult) Summary() *CVSummary {
	s := &CVSummary{Folds: r.Folds, Seed: r.Seed, HeldOut: r.HeldOut}
	add := func(subset string, rules, model, ens, final metrics.Comparison) {
		for _, x := range []struct {
			name string
			cmp  metrics.Comparison
		}{{classify.Name, rules}, {learn.Name, model}, {Name + "-gated-per-fold", ens}, {Name, final}} {
			for _, d := range x.cmp.Dimensions {
				s.Figures = append(s.Figures, Figures{Classifier: x.name, Subset: subset, Dimension: d.Dimension, Level: d.Level, N: d.N,
					Accuracy: d.Accuracy, MacroF1: d.MacroF1, Kappa: d.Kappa, KappaMeasure: d.KappaMeasure})
			}
		}
	}
	add("", r.Rules, r.Model, r.Ensemble, r.Final)
	for _, sub := range r.Subsets {
		add(sub.Source, sub.Rules, sub.Model, sub.Ensemble, sub.Final)
	}
	return s
}

// String names the choices briefly: which dimensions the model takes part in.
func (r *CVResult) String() string {
	var on []string
	for _, ch := range r.Choices {
		if ch.UseModel {
			on = append(on, ch.Dimension)
		}
	}
	if len(on) == 0 {
		return "the model takes part in no dimension"
	}
	return "the model takes part in " + strings.Join(on, ", ")
}

// gains bootstraps the final ensemble's headline gains over the rules on
// the judged items: each resample scores both on the same drawn issues.
func (o *oof) gains(judge func(oofItem) bool, use map[string]bool, resamples int) []Gain {
	tax := o.c.Tax
	gold, rules, _ := o.fixed(judge)
	final := o.combine(judge, use)
	refs := make([]bugscope.IssueRef, 0, len(gold))
	for ref := range gold {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, func(a, b bugscope.IssueRef) int { return strings.Compare(a.String(), b.String()) })
	opt := metrics.CompareOptions{Bootstrap: metrics.BootstrapOptions{Resamples: -1}}
	diff := func(pick []bugscope.IssueRef) []float64 {
		a := make(map[bugscope.IssueRef]bugscope.Labels, len(pick))
		r := make(map[bugscope.IssueRef]bugscope.Labels, len(pick))
		f := make(map[bugscope.IssueRef]bugscope.Labels, len(pick))
		for n, ref := range pick {
			k := bugscope.IssueRef{Repo: "resample/x", Number: n + 1} // a ref drawn twice counts twice
			a[k], r[k], f[k] = gold[ref], rules[ref], final[ref]
		}
		cr, cf := metrics.CompareWith(tax, a, r, opt), metrics.CompareWith(tax, a, f, opt)
		out := make([]float64, len(tax.Dimensions))
		for i, d := range tax.Dimensions {
			out[i] = Headline(tax, d, cf) - Headline(tax, d, cr)
		}
		return out
	}
	point := diff(refs)
	draws := make([][]float64, len(tax.Dimensions))
	rng := rand.New(rand.NewPCG(1, 0x9e3779b97f4a7c15))
	pick := make([]bugscope.IssueRef, len(refs))
	for b := 0; b < resamples && len(refs) > 0; b++ {
		for i := range pick {
			pick[i] = refs[rng.IntN(len(refs))]
		}
		for i, x := range diff(pick) {
			if !math.IsNaN(x) {
				draws[i] = append(draws[i], x)
			}
		}
	}
	out := make([]Gain, len(tax.Dimensions))
	for i, d := range tax.Dimensions {
		g := Gain{Dimension: d.ID, Gain: metrics.Float(point[i]), Lo: metrics.Float(math.NaN()), Hi: metrics.Float(math.NaN())}
		if xs := draws[i]; len(xs) > 0 {
			slices.Sort(xs)
			g.Lo, g.Hi = metrics.Float(percentile(xs, 0.025)), metrics.Float(percentile(xs, 0.975))
		}
		out[i] = g
	}
	return out
}

// percentile of sorted xs, interpolated linearly between order statistics
// (Hyndman and Fan's type 7, as metrics.Bootstrap).
func percentile(xs []float64, q float64) float64 {
	h := q * float64(len(xs)-1)
	lo := int(math.Floor(h))
	if lo >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	return xs[lo] + (h-float64(lo))*(xs[lo+1]-xs[lo])
}
