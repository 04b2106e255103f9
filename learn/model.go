package learn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/internal/par"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/taxonomy"
)

// Name is the classifier name the model's labels are stored under.
const Name = "model"

// The model file's format name and version. A reader refuses a newer
// version than it knows.
const (
	Format        = "bugscope-model"
	FormatVersion = 1
)

// Decisions of a single-valued dimension.
const (
	DecideArgmax       = "argmax"        // the most probable value
	DecideExpectedRank = "expected_rank" // ordinal: the value nearest the expected rank
	DecideGroupFirst   = "group_first"   // grouped: the most probable group, then its best value
	DecideThreshold    = "threshold"     // multi-valued: every value with P(yes) >= 0.5
	// DecideCutpoints: ordinal, the expected rank cut at points learned
	// on out-of-fold predictions to maximise quadratic-weighted kappa.
	DecideCutpoints = "cutpoints"
)

// TrainOptions control Train.
type TrainOptions struct {
	// C is the inverse strength of the L2 penalty of every model.
	C float64 `json:"c"`
	// ClassBalance weighs each example by (n / (K·n_class))^ClassBalance:
	// 0 leaves classes as they come, 1 gives every class the same total
	// weight, which favours rare classes and so macro-F1.
	ClassBalance float64 `json:"class_balance"`
	// CalibrationFolds is the number of inner folds whose out-of-fold
	// predictions fit the temperatures (and, in package ensemble, the
	// rule gates); below 2 leaves the models uncalibrated.
	CalibrationFolds int    `json:"calibration_folds"`
	Seed             uint64 `json:"seed"`
	// OrdinalDecision is DecideExpectedRank or DecideArgmax for ordinal
	// dimensions; GroupFirst decides grouped dimensions group first.
	OrdinalDecision string `json:"ordinal_decision"`
	GroupFirst      bool   `json:"group_first"`
	// MinPositives is the fewest training examples a value of a
	// multi-valued dimension needs to get a model; rarer values are never
	// predicted.
	MinPositives int `json:"min_positives"`
	// Workers bounds the models fitted at once (default GOMAXPROCS).
	Workers int `json:"-"`
}

// DefaultTrainOptions are the options bugscope trains with.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{C: 10, ClassBalance: 0.5, CalibrationFolds: 5, Seed: 1,
		OrdinalDecision: DecideExpectedRank, GroupFirst: true, MinPositives: 3}
}

// Model is a trained classifier for one taxonomy.
type Model struct {
	Format          string          `json:"format"`
	FormatVersion   int             `json:"format_version"`
	Created         time.Time       `json:"created"`
	Taxonomy        string          `json:"taxonomy"`
	TaxonomyVersion string          `json:"taxonomy_version"`
	Features        FeatureConfig   `json:"features"`
	Options         TrainOptions    `json:"options"`
	Training        TrainingInfo    `json:"training"`
	Gates           map[string]Gate `json:"gates,omitempty"`
	CV              *CVSummary      `json:"cv,omitempty"`
	// The weights and the vocabulary come last, after everything a reader
	// of the file wants to know about it.
	Dimensions []*DimModel `json:"dimensions"`
	Vocab      Vocab       `json:"vocab"`

	tax *taxonomy.Taxonomy
}

// TrainingInfo describes the data a model learned from.
type TrainingInfo struct {
	Examples int            `json:"examples"`
	ByKind   map[string]int `json:"by_kind,omitempty"`
	// DataHash is DataHash of the labelled issues and their labels.
	DataHash string `json:"data_hash"`
	// Issues are the labelled issues (owner/repo#number) the model learned
	// from: a report must not correct the model's labels with them.
	Issues []string `json:"issues,omitempty"`
	Gold   []string `json:"gold,omitempty"`
	// PoolDocs issues lent their text to the document frequencies.
	PoolDocs int `json:"pool_docs"`
	// Rules is the version of the rule set whose decisions are features.
	Rules string `json:"rules,omitempty"`
	// Seconds the training took.
	Seconds float64 `json:"seconds"`
}

// Gate is the ensemble's rule for one dimension: where the rules decide
// it, and the model elsewhere. A and B calibrate the rules' confidence c into the
// probability that they are right, 1/(1+exp(-(A·c+B))). Package ensemble
// fits and applies them; they live in the model file.
type Gate struct {
	// Mode is "threshold" (the rules decide from Threshold on) or
	// "compare" (the rules decide where their calibrated confidence is at
	// least the model's).
	Mode      string  `json:"mode"`
	Threshold float64 `json:"threshold"`
	A         float64 `json:"a"`
	B         float64 `json:"b"`
	// Examples the gate was fitted on; RulesShare of them went to the rules.
	Examples   int     `json:"examples"`
	RulesShare float64 `json:"rules_share"`
}

// CVSummary is what cross-validation measured, kept in the model file.
type CVSummary struct {
	Folds   int       `json:"folds"`
	Seed    uint64    `json:"seed"`
	Figures []Figures `json:"figures"`
}

// Figures are the headline scores of one classifier on one dimension (and
// level), as metrics.Compare defines them.
type Figures struct {
	Classifier   string        `json:"classifier"`
	Dimension    string        `json:"dimension"`
	Level        string        `json:"level"`
	N            int           `json:"n"`
	Accuracy     metrics.Float `json:"accuracy"`
	MacroF1      metrics.Float `json:"macro_f1"`
	Kappa        metrics.Float `json:"kappa"`
	KappaMeasure string        `json:"kappa_measure"`
}

// DimModel is the model of one dimension: one multinomial head for a
// single-valued dimension, one yes/no head per value for a multi-valued
// one.
type DimModel struct {
	Dimension string `json:"dimension"`
	Multi     bool   `json:"multi"`
	Decision  string `json:"decision"`
	// Cutpoints on the expected rank, for DecideCutpoints.
	Cutpoints []float64 `json:"cutpoints,omitempty"`

	Head   *Head   `json:"head,omitempty"`
	Values []*Head `json:"values,omitempty"`
}

// Head is one softmax model over the vocabulary, stored sparsely: the
// features with a non-zero weight and their K weights each.
type Head struct {
	// Value is the value a yes/no head of a multi-valued dimension decides.
	Value       string    `json:"value,omitempty"`
	Classes     []string  `json:"classes"`
	Examples    int       `json:"examples"`
	Temperature float64   `json:"temperature"`
	Bias        []float64 `json:"bias"`
	Features    []int32   `json:"features"`
	Weights     []float32 `json:"weights"`

	dense []float32 // vocabulary-size × K, feature-major
}

const yes, no = "yes", "no"

// Tax returns the taxonomy the model is bound to.
func (m *Model) Tax() *taxonomy.Taxonomy { return m.tax }

// bind checks the model against a taxonomy and builds its lookup tables.
func (m *Model) bind(tax *taxonomy.Taxonomy) error {
	if m.Taxonomy != tax.Name || m.TaxonomyVersion != tax.Version {
		return fmt.Errorf("the model was trained on taxonomy %s version %s, not %s version %s",
			m.Taxonomy, m.TaxonomyVersion, tax.Name, tax.Version)
	}
	m.tax = tax
	m.Vocab.buildIndex()
	D := m.Vocab.Len()
	for _, dm := range m.Dimensions {
		d := tax.Dimension(dm.Dimension)
		if d == nil {
			return fmt.Errorf("the model has dimension %q, which taxonomy %s lacks", dm.Dimension, tax.Name)
		}
		if dm.Multi != d.Multi || !dm.Multi && dm.Head == nil || len(dm.Cutpoints) > 0 && len(dm.Cutpoints) != len(d.AllValues())-1 {
			return fmt.Errorf("dimension %s: the model does not fit the taxonomy's dimension", dm.Dimension)
		}
		heads := dm.Values
		if dm.Head != nil {
			heads = append(heads, dm.Head)
		}
		for _, h := range heads {
			K := len(h.Classes)
			if K == 0 || len(h.Bias) != K || len(h.Weights) != len(h.Features)*K || h.Temperature <= 0 {
				return fmt.Errorf("dimension %s: malformed head %q", dm.Dimension, h.Value)
			}
			for _, c := range h.Classes {
				if h.Value == "" && !d.Accepts(c) {
					return fmt.Errorf("dimension %s: value %q is not in the taxonomy", dm.Dimension, c)
				}
			}
			if h.Value != "" && (!d.Multi || !d.Accepts(h.Value) || len(h.Classes) != 2 || indexOf(h.Classes, yes) < 0) {
				return fmt.Errorf("dimension %s: malformed yes/no head %q", dm.Dimension, h.Value)
			}
			h.dense = make([]float32, D*K)
			for n, j := range h.Features {
				if j < 0 || int(j) >= D {
					return fmt.Errorf("dimension %s: feature %d outside the vocabulary of %d", dm.Dimension, j, D)
				}
				copy(h.dense[int(j)*K:int(j)*K+K], h.Weights[n*K:n*K+K])
			}
		}
	}
	return nil
}

// newHead keeps the non-zero weights of a fitted softmax.
func newHead(sm *Softmax, classes []string, examples int) *Head {
	h := &Head{Classes: classes, Examples: examples, Temperature: 1, Bias: sm.B}
	K := sm.K
	for j := 0; j < sm.D; j++ {
		row := sm.W[j*K : j*K+K]
		keep := false
		for _, w := range row {
			if math.Abs(w) > 1e-6 {
				keep = true
			}
		}
		if !keep {
			continue
		}
		h.Features = append(h.Features, int32(j))
		for _, w := range row {
			h.Weights = append(h.Weights, float32(w))
		}
	}
	h.dense = make([]float32, sm.D*K)
	for n, j := range h.Features {
		copy(h.dense[int(j)*K:int(j)*K+K], h.Weights[n*K:n*K+K])
	}
	return h
}

// constantHead always answers its one class.
func constantHead(class string, examples int) *Head {
	return &Head{Classes: []string{class}, Examples: examples, Temperature: 1, Bias: []float64{0}}
}

func (h *Head) logits(x SparseVec) []float64 {
	K := len(h.Classes)
	z := append([]float64(nil), h.Bias...)
	if len(h.dense) == 0 { // a constant head
		return z
	}
	for n, j := range x.Idx {
		v := float64(x.Val[n])
		row := h.dense[int(j)*K : int(j)*K+K]
		for k, w := range row {
			z[k] += float64(w) * v
		}
	}
	return z
}

func (h *Head) probs(z []float64) []float64 {
	p := make([]float64, len(z))
	softmaxInto(z, h.Temperature, p)
	return p
}

// contributions returns the features of x that push class k up the most
// against the other classes: x_j·(W_jk - mean_k' W_jk'), largest first.
func (h *Head) contributions(x SparseVec, k, n int) []contribution {
	K := len(h.Classes)
	if K < 2 {
		return nil
	}
	var out []contribution
	for i, j := range x.Idx {
		row := h.dense[int(j)*K : int(j)*K+K]
		mean := 0.0
		for _, w := range row {
			mean += float64(w)
		}
		mean /= float64(K)
		c := float64(x.Val[i]) * (float64(row[k]) - mean) / h.Temperature
		if c > 0 {
			out = append(out, contribution{feature: j, weight: c})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].weight > out[b].weight })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

type contribution struct {
	feature int32
	weight  float64
}

// DimPrediction is the model's decision on one dimension.
type DimPrediction struct {
	Values []string `json:"values"`
	// Confidence is the calibrated probability that the decision is right
	// (for a multi-valued dimension, of its least certain yes/no).
	Confidence float64 `json:"confidence"`
	// Probs is the calibrated probability of each value (of "yes" for
	// each value of a multi-valued dimension).
	Probs    map[string]float64  `json:"probs"`
	Evidence []bugscope.Evidence `json:"evidence,omitempty"`
}

// Prediction is the model's decision on every dimension, whether or not
// the dimension applies to the issue (the ensemble may need the category
// of an issue the model thinks is no bug).
type Prediction map[string]*DimPrediction

// Labels returns the decisions as labels, taking a dimension only where
// it applies given the decisions before it.
func (p Prediction) Labels(tax *taxonomy.Taxonomy) bugscope.Labels {
	l := bugscope.Labels{}
	for _, d := range tax.Dimensions {
		dp := p[d.ID]
		if dp == nil || len(dp.Values) == 0 || !tax.Applies(d, l) {
			continue
		}
		l[d.ID] = append([]string(nil), dp.Values...)
	}
	return l
}

// predictVec decides every dimension for one vector; doc, when set, is
// used to locate the evidence in the issue's text.
func (m *Model) predictVec(x SparseVec, doc *Doc, evidence int) Prediction {
	p := Prediction{}
	var loc *locator
	if doc != nil && evidence > 0 {
		loc = &locator{issue: &doc.Issue}
	}
	for _, dm := range m.Dimensions {
		d := m.tax.Dimension(dm.Dimension)
		dp := &DimPrediction{Probs: map[string]float64{}, Values: []string{}}
		p[dm.Dimension] = dp
		if dm.Multi {
			dp.Confidence = 1
			for _, h := range dm.Values {
				pr := h.probs(h.logits(x))
				py := pr[indexOf(h.Classes, yes)]
				dp.Probs[h.Value] = py
				dp.Confidence = min(dp.Confidence, max(py, 1-py))
				if py >= 0.5 {
					dp.Values = append(dp.Values, h.Value)
					if loc != nil {
						dp.Evidence = append(dp.Evidence, m.evidence(loc, h, x, indexOf(h.Classes, yes), dm.Dimension, h.Value, evidence)...)
					}
				}
			}
			continue
		}
		h := dm.Head
		pr := h.probs(h.logits(x))
		for k, c := range h.Classes {
			dp.Probs[c] = pr[k]
		}
		k := decide(dm.Decision, d, h.Classes, pr)
		if dm.Decision == DecideCutpoints && len(dm.Cutpoints) > 0 {
			v := cutValue(d, dm.Cutpoints, dp.Probs)
			if i := indexOf(h.Classes, v); i >= 0 {
				k = i
			} else { // a value the training data lacked: no evidence for it
				dp.Values = []string{v}
				continue
			}
		}
		dp.Values = []string{h.Classes[k]}
		dp.Confidence = pr[k]
		if loc != nil {
			dp.Evidence = m.evidence(loc, h, x, k, dm.Dimension, h.Classes[k], evidence)
		}
	}
	return p
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// decide picks a class of a single-valued head from its probabilities.
func decide(how string, d *taxonomy.Dimension, classes []string, p []float64) int {
	best := func(ok func(k int) bool) int {
		b := -1
		for k := range p {
			if ok(k) && (b < 0 || p[k] > p[b]) {
				b = k
			}
		}
		return b
	}
	all := func(int) bool { return true }
	switch how {
	case DecideExpectedRank, DecideCutpoints:
		er := 0.0
		for k, c := range classes {
			er += p[k] * float64(d.Rank(c))
		}
		b := 0
		for k, c := range classes {
			if math.Abs(float64(d.Rank(c))-er) < math.Abs(float64(d.Rank(classes[b]))-er) {
				b = k
			}
		}
		return b
	case DecideGroupFirst:
		group := map[string]float64{}
		for k, c := range classes {
			group[groupOf(d, c)] += p[k]
		}
		g, gp := "", -1.0
		for _, c := range classes { // class order breaks ties
			if v := group[groupOf(d, c)]; v > gp {
				g, gp = groupOf(d, c), v
			}
		}
		return best(func(k int) bool { return groupOf(d, classes[k]) == g })
	}
	return best(all)
}

func groupOf(d *taxonomy.Dimension, v string) string {
	if g := d.GroupOf(v); g != "" {
		return g
	}
	return v
}

// Train fits a model on the corpus docs idx. With CalibrationFolds >= 2 it
// first fits a model per inner fold, predicts the held-out docs, and fits
// each head's temperature on those out-of-fold predictions; it returns them
// too (aligned with idx), calibrated, for the ensemble to learn from.
func Train(ctx context.Context, c *Corpus, idx []int, opt TrainOptions) (*Model, []Prediction, error) {
	start := time.Now()
	if len(idx) == 0 {
		return nil, nil, errors.New("learn: no training examples")
	}
	if opt.C <= 0 {
		return nil, nil, fmt.Errorf("learn: C %v, want > 0", opt.C)
	}
	var oof []Prediction
	temps := map[string]float64{}
	if k := opt.CalibrationFolds; k >= 2 && len(idx) >= 2*k {
		keys := make([]string, len(idx))
		for n, i := range idx {
			keys[n] = StratumKey(c.Tax, c.Gold[i])
		}
		folds := StratifiedFolds(keys, k, opt.Seed)
		type heldOut struct {
			m   *Model
			pos []int // positions in idx
		}
		var parts []heldOut
		rows := map[string]*calibRows{}
		for _, fold := range folds {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			train := make([]int, 0, len(idx)-len(fold))
			for _, p := range Complement(len(idx), fold) {
				train = append(train, idx[p])
			}
			m, err := fit(c, train, opt)
			if err != nil {
				return nil, nil, err
			}
			for _, p := range fold {
				i := idx[p]
				x := m.Vocab.vector(c.raw[i], c.Cfg)
				m.eachHead(func(dm *DimModel, h *Head) {
					truth := headTruth(c.Tax, dm, h, c.Gold[i])
					if truth == "" || len(h.Classes) < 2 {
						return
					}
					k := indexOf(h.Classes, truth)
					if k < 0 { // a class the inner fold never saw
						return
					}
					r := rows[headKey(dm, h)]
					if r == nil {
						r = &calibRows{}
						rows[headKey(dm, h)] = r
					}
					r.z = append(r.z, h.logits(x))
					r.y = append(r.y, k)
				})
			}
			parts = append(parts, heldOut{m, fold})
		}
		for key, r := range rows {
			temps[key] = FitTemperature(r.z, r.y)
		}
		oof = make([]Prediction, len(idx))
		for _, part := range parts {
			part.m.setTemperatures(temps)
			for _, p := range part.pos {
				i := idx[p]
				oof[p] = part.m.predictVec(part.m.Vocab.vector(c.raw[i], c.Cfg), nil, 0)
			}
		}
	}
	m, err := fit(c, idx, opt)
	if err != nil {
		return nil, nil, err
	}
	m.setTemperatures(temps)
	if oof != nil {
		for _, dm := range m.Dimensions {
			if dm.Decision != DecideCutpoints {
				continue
			}
			d := c.Tax.Dimension(dm.Dimension)
			var scores []float64
			var ranks []int
			for p, i := range idx {
				g := c.Gold[i].One(d.ID)
				if g == "" || !c.Tax.Applies(d, c.Gold[i]) || oof[p][d.ID] == nil {
					continue
				}
				scores = append(scores, expectedRank(d, oof[p][d.ID].Probs))
				ranks = append(ranks, d.Rank(g))
			}
			dm.Cutpoints = FitCutpoints(scores, ranks, len(d.AllValues()))
			// The out-of-fold decisions follow the cutpoints too.
			for p := range oof {
				if dp := oof[p][d.ID]; dp != nil {
					v := cutValue(d, dm.Cutpoints, dp.Probs)
					dp.Values, dp.Confidence = []string{v}, dp.Probs[v]
				}
			}
		}
	}
	docs := make([]Doc, len(idx))
	gold := make([]bugscope.Labels, len(idx))
	m.Training.ByKind = map[string]int{}
	kind := c.Tax.ByRole(taxonomy.RoleKind)
	m.Training.Issues = make([]string, 0, len(idx))
	for n, i := range idx {
		docs[n], gold[n] = c.Docs[i], c.Gold[i]
		m.Training.Issues = append(m.Training.Issues, c.Docs[i].Issue.Ref().String())
		if kind != nil {
			m.Training.ByKind[c.Gold[i].One(kind.ID)]++
		}
		if r := c.Docs[i].Rules; r != nil && m.Training.Rules == "" && c.Cfg.RuleFeatures {
			m.Training.Rules = r.ClassifierVersion
		}
	}
	m.Training.Examples = len(idx)
	m.Training.DataHash = DataHash(docs, gold)
	m.Training.PoolDocs = c.poolN
	m.Training.Seconds = time.Since(start).Seconds()
	return m, oof, nil
}

type calibRows struct {
	z [][]float64
	y []int
}

func headKey(dm *DimModel, h *Head) string { return dm.Dimension + "\x00" + h.Value }

func (m *Model) eachHead(fn func(*DimModel, *Head)) {
	for _, dm := range m.Dimensions {
		if dm.Head != nil {
			fn(dm, dm.Head)
		}
		for _, h := range dm.Values {
			fn(dm, h)
		}
	}
}

func (m *Model) setTemperatures(temps map[string]float64) {
	m.eachHead(func(dm *DimModel, h *Head) {
		if t, ok := temps[headKey(dm, h)]; ok {
			h.Temperature = t
		}
	})
}

// headTruth is the class a head should answer for gold labels g, or "" when
// the head does not apply to them.
func headTruth(tax *taxonomy.Taxonomy, dm *DimModel, h *Head, g bugscope.Labels) string {
	d := tax.Dimension(dm.Dimension)
	if !tax.Applies(d, g) {
		return ""
	}
	if !dm.Multi {
		return g.One(d.ID)
	}
	for _, v := range g[d.ID] {
		if v == h.Value {
			return yes
		}
	}
	return no
}

// fit fits every head on the docs idx, with temperature 1.
func fit(c *Corpus, idx []int, opt TrainOptions) (*Model, error) {
	tax := c.Tax
	v := c.vocab(idx)
	X := make([]SparseVec, len(idx))
	for n, i := range idx {
		X[n] = v.vector(c.raw[i], c.Cfg)
	}
	m := &Model{Format: Format, FormatVersion: FormatVersion, Created: time.Now().UTC().Truncate(time.Second),
		Taxonomy: tax.Name, TaxonomyVersion: tax.Version, Features: c.Cfg, Options: opt, Vocab: *v, tax: tax}
	type job struct {
		dm    *DimModel
		value string // multi: the value; "" for the dimension's head
	}
	var jobs []job
	for _, d := range tax.Dimensions {
		dm := &DimModel{Dimension: d.ID, Multi: d.Multi, Decision: DecideArgmax}
		switch {
		case d.Multi:
			dm.Decision = DecideThreshold
		case d.Ordinal && (opt.OrdinalDecision == DecideExpectedRank || opt.OrdinalDecision == DecideCutpoints):
			dm.Decision = opt.OrdinalDecision
		case len(d.Groups) > 0 && opt.GroupFirst:
			dm.Decision = DecideGroupFirst
		}
		m.Dimensions = append(m.Dimensions, dm)
		if !d.Multi {
			jobs = append(jobs, job{dm, ""})
			continue
		}
		for _, val := range d.AllValues() {
			jobs = append(jobs, job{dm, val.ID})
		}
	}
	G := gram(X)
	heads := make([]*Head, len(jobs))
	errs := make([]error, len(jobs))
	par.Workers(context.Background(), len(jobs), opt.Workers, func(int) func(int) {
		return func(j int) {
			heads[j], errs[j] = fitHead(c, idx, X, G, v.Len(), jobs[j].dm, jobs[j].value, opt)
		}
	})
	for j, jb := range jobs {
		if errs[j] != nil {
			return nil, errs[j]
		}
		switch {
		case heads[j] == nil:
		case jb.value == "":
			jb.dm.Head = heads[j]
		default:
			jb.dm.Values = append(jb.dm.Values, heads[j])
		}
	}
	// A single-valued dimension no training example has (a taxonomy's
	// optional dimension) is left out.
	kept := m.Dimensions[:0]
	for _, dm := range m.Dimensions {
		if dm.Head != nil || dm.Multi {
			kept = append(kept, dm)
		}
	}
	m.Dimensions = kept
	return m, nil
}

// fitHead fits the head of dimension dm (value "" for a single-valued
// dimension, else the yes/no head of value). It returns nil when the
// training data cannot support one.
func fitHead(c *Corpus, idx []int, X []SparseVec, G []float64, D int, dm *DimModel, value string, opt TrainOptions) (*Head, error) {
	tax := c.Tax
	d := tax.Dimension(dm.Dimension)
	probe := &Head{Value: value}
	var xs []SparseVec
	var truth []string
	var pos []int
	for n, i := range idx {
		if t := headTruth(tax, dm, probe, c.Gold[i]); t != "" {
			xs = append(xs, X[n])
			truth = append(truth, t)
			pos = append(pos, n)
		}
	}
	count := map[string]int{}
	for _, t := range truth {
		count[t]++
	}
	var classes []string
	if dm.Multi {
		if count[yes] < max(1, opt.MinPositives) || count[no] == 0 {
			return nil, nil
		}
		classes = []string{no, yes}
	} else {
		for _, val := range d.AllValues() {
			if count[val.ID] > 0 {
				classes = append(classes, val.ID)
			}
		}
		for _, g := range d.Groups { // group ids a codebook accepts as values
			if count[g.ID] > 0 {
				classes = append(classes, g.ID)
			}
		}
		switch len(classes) {
		case 0:
			return nil, nil
		case 1:
			return constantHead(classes[0], len(truth)), nil
		}
	}
	y := make([]int, len(truth))
	w := make([]float64, len(truth))
	for n, t := range truth {
		y[n] = indexOf(classes, t)
		w[n] = math.Pow(float64(len(truth))/(float64(len(classes))*float64(count[t])), opt.ClassBalance)
	}
	fo := FitOptions{C: opt.C, MaxIter: 300, GradTol: 1e-5}
	var sm *Softmax
	var err error
	if len(xs) < D {
		sm, err = fitGram(xs, subGram(G, len(idx), pos), y, w, len(classes), D, fo)
	} else {
		sm, err = FitSoftmax(xs, y, w, len(classes), D, fo)
	}
	if err != nil {
		return nil, fmt.Errorf("learn: dimension %s %s: %w", dm.Dimension, value, err)
	}
	h := newHead(sm, classes, len(truth))
	h.Value = value
	return h, nil
}

// Predict decides every dimension of each doc, with up to `evidence`
// strongest features per decision (0: none).
func (m *Model) Predict(ctx context.Context, docs []Doc, evidence int) ([]Prediction, error) {
	out := make([]Prediction, len(docs))
	err := par.Workers(ctx, len(docs), 0, func(int) func(int) {
		ex := newExtractor(m.Features, nil)
		return func(i int) {
			x := m.Vocab.vector(ex.extract(&docs[i]), m.Features)
			out[i] = m.predictVec(x, &docs[i], evidence)
		}
	})
	return out, err
}

// evidence turns the strongest features of a decision into evidence: a
// word found in the issue is quoted with its place; any other feature is
// described in a note.
func (m *Model) evidence(loc *locator, h *Head, x SparseVec, k int, dim, value string, n int) []bugscope.Evidence {
	var out []bugscope.Evidence
	for _, c := range h.contributions(x, k, n) {
		name := m.Vocab.Names[c.feature]
		e := bugscope.Evidence{Dimension: dim, Value: value, Rule: Name, Weight: math.Round(c.weight*1000) / 1000}
		field, desc := describeFeature(name)
		e.Field = field
		if !loc.find(&e, name) {
			e.Note = "model feature: " + desc
		}
		out = append(out, e)
	}
	return out
}

// describeFeature names the field a feature comes from and says what it
// stands for.
func describeFeature(name string) (field, desc string) {
	prefix, rest, _ := strings.Cut(name, ":")
	switch prefix {
	case "t":
		return "title", "title word(s) \"" + rest + "\""
	case "c":
		return "title", "title characters \"" + rest + "\""
	case "b":
		return "body", "body word(s) \"" + rest + "\""
	case "k":
		return "body", "log or code word(s) \"" + rest + "\""
	case "l":
		return "labels", "label " + rest
	case "s":
		return "signal", "signal " + rest
	case "rule":
		return "rules", "the rules said " + rest
	case "tp":
		if rest == "-" {
			return "title", "no title prefix"
		}
		return "title", "title prefix " + rest
	case "h":
		return "body", "section heading \"" + rest + "\""
	case "r":
		return "repo", "repository " + rest
	case "m":
		return "body", rest
	}
	return "issue", name
}

// locator finds where a feature's text occurs in an issue, for quoting.
type locator struct {
	issue      *bugscope.Issue
	lowerTitle string
	lowerBody  string
}

// find quotes a word feature from the issue into e; it reports whether it
// found it.
func (l *locator) find(e *bugscope.Evidence, name string) bool {
	prefix, rest, _ := strings.Cut(name, ":")
	var text, lower *string
	switch prefix {
	case "t", "c":
		if l.lowerTitle == "" {
			l.lowerTitle = asciiLower(l.issue.Title)
		}
		text, lower = &l.issue.Title, &l.lowerTitle
	case "b", "k":
		if l.lowerBody == "" {
			l.lowerBody = asciiLower(l.issue.Body)
		}
		text, lower = &l.issue.Body, &l.lowerBody
	default:
		return false
	}
	needle := strings.TrimSpace(rest)
	i := strings.Index(*lower, needle)
	if i < 0 && strings.Contains(needle, " ") { // a bigram across punctuation
		needle, _, _ = strings.Cut(needle, " ")
		i = strings.Index(*lower, needle)
	}
	if i < 0 || needle == "" {
		return false
	}
	e.Offset = i
	e.Match = (*text)[i : i+len(needle)]
	e.Line = classify.LineAround(*text, i, i+len(needle))
	return true
}

// asciiLower lower-cases ASCII letters only, keeping byte offsets.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// expectedRank is Σ P(v)·rank(v) over an ordinal dimension's values.
func expectedRank(d *taxonomy.Dimension, probs map[string]float64) float64 {
	s := 0.0
	for v, p := range probs {
		s += p * float64(d.Rank(v))
	}
	return s
}

// cutValue is the value whose rank is the number of cutpoints at or below
// the expected rank.
func cutValue(d *taxonomy.Dimension, cuts []float64, probs map[string]float64) string {
	s := expectedRank(d, probs)
	r := 0
	for _, c := range cuts {
		if s >= c {
			r++
		}
	}
	all := d.AllValues()
	return all[min(r, len(all)-1)].ID
}

// FitCutpoints returns k-1 ascending cutpoints on scores that, cutting them
// into ranks 0..k-1, maximise the quadratic-weighted kappa against the
// true ranks. It starts from the cuts that reproduce the true ranks'
// distribution and improves one cutpoint at a time over the observed
// scores' midpoints until no move helps.
func FitCutpoints(scores []float64, ranks []int, k int) []float64 {
	if len(scores) == 0 || k < 2 {
		return nil
	}
	sorted := append([]float64(nil), scores...)
	sort.Float64s(sorted)
	var cands []float64
	for i := 1; i < len(sorted); i++ {
		if sorted[i] > sorted[i-1] {
			cands = append(cands, (sorted[i]+sorted[i-1])/2)
		}
	}
	cands = append([]float64{sorted[0] - 1}, append(cands, sorted[len(sorted)-1]+1)...)
	order := make([]string, k)
	for r := range order {
		order[r] = strconv.Itoa(r)
	}
	truth := make([]string, len(ranks))
	count := make([]int, k)
	for i, r := range ranks {
		truth[i] = strconv.Itoa(r)
		if r >= 0 && r < k {
			count[r]++
		}
	}
	pred := make([]string, len(scores))
	score := func(cuts []float64) float64 {
		for i, s := range scores {
			r := 0
			for _, c := range cuts {
				if s >= c {
					r++
				}
			}
			pred[i] = order[r]
		}
		q := metrics.WeightedKappa(truth, pred, order, metrics.Quadratic)
		if math.IsNaN(q) {
			return -1
		}
		return q
	}
	// Start: quantiles matching the true distribution.
	cuts := make([]float64, k-1)
	cum := 0
	for r := 0; r < k-1; r++ {
		cum += count[r]
		q := min(len(sorted)-1, max(0, cum))
		if cum == 0 {
			cuts[r] = sorted[0] - 1
		} else if cum >= len(sorted) {
			cuts[r] = sorted[len(sorted)-1] + 1
		} else {
			cuts[r] = (sorted[q-1] + sorted[q]) / 2
		}
	}
	best := score(cuts)
	for round := 0; round < 10; round++ {
		improved := false
		for j := range cuts {
			lo, hi := math.Inf(-1), math.Inf(1)
			if j > 0 {
				lo = cuts[j-1]
			}
			if j < len(cuts)-1 {
				hi = cuts[j+1]
			}
			for _, c := range cands {
				if c < lo || c > hi || c == cuts[j] {
					continue
				}
				old := cuts[j]
				cuts[j] = c
				if s := score(cuts); s > best+1e-12 {
					best, improved = s, true
				} else {
					cuts[j] = old
				}
			}
		}
		if !improved {
			break
		}
	}
	return cuts
}
