package learn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/par"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/taxonomy"
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
	// SelfTrain, when set, lets every fit also learn from confident
	// pseudo-labels of the corpus's unlabelled issues (selftrain.go).
	SelfTrain *SelfTrainOptions `json:"self_train,omitempty"`
	// Workers bounds the models fitted at once (default GOMAXPROCS).
	Workers int `json:"-"`
}

// DefaultTrainOptions are the options bugscope trains with.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{C: 10, ClassBalance: 0.5, CalibrationFolds: 5, Seed: 1,
		OrdinalDecision: DecideExpectedRank, GroupFirst: true, MinPositives: 3}
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

// fit fits every head on the docs idx, with temperature 1; with
// opt.SelfTrain, then on those docs and the pseudo-labels the model gives
// the unlabelled issues, as many rounds as it says.
func fit(c *Corpus, idx []int, opt TrainOptions) (*Model, error) {
	v := c.vocab(idx)
	m, err := fitWith(c, idx, v, nil, opt)
	if err != nil || opt.SelfTrain == nil || len(c.uraw) == 0 {
		return m, err
	}
	for r := 0; r < max(1, opt.SelfTrain.Rounds); r++ {
		ps := c.pseudoLabel(m, *opt.SelfTrain)
		if m, err = fitWith(c, idx, v, ps, opt); err != nil {
			return nil, err
		}
		m.Training.Unlabelled, m.Training.PseudoLabels = len(c.uraw), ps.len()
	}
	return m, nil
}

// fitWith fits every head on the docs idx and the pseudo-labelled
// unlabelled docs ps (nil: none) in vocabulary v, with temperature 1.
func fitWith(c *Corpus, idx []int, v *Vocab, ps *pseudoSet, opt TrainOptions) (*Model, error) {
	tax := c.Tax
	X := make([]SparseVec, len(idx), len(idx)+ps.len())
	for n, i := range idx {
		X[n] = v.vector(c.raw[i], c.Cfg)
	}
	if ps != nil {
		for _, u := range ps.docs {
			X = append(X, v.vector(c.uraw[u], c.Cfg))
		}
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
			heads[j], errs[j] = fitHead(c, idx, X, G, v.Len(), jobs[j].dm, jobs[j].value, ps, opt)
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
//
// X holds the vectors of idx, then those of ps's docs (G their Gram
// matrix); the pseudo-labels of the head, in classes the hand labels have,
// join the examples with weight ps.weight times their class's.
func fitHead(c *Corpus, idx []int, X []SparseVec, G []float64, D int, dm *DimModel, value string, ps *pseudoSet, opt TrainOptions) (*Head, error) {
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
	hand := len(truth)
	// class balance, counted on the hand labels
	balance := func(class string) float64 {
		return math.Pow(float64(hand)/(float64(len(classes))*float64(count[class])), opt.ClassBalance)
	}
	for n, t := range truth {
		y[n] = indexOf(classes, t)
		w[n] = balance(t)
	}
	if ps != nil {
		for _, e := range ps.truth[headKey(dm, probe)] {
			k := indexOf(classes, e.class)
			if k < 0 {
				continue
			}
			xs = append(xs, X[len(idx)+e.row])
			pos = append(pos, len(idx)+e.row)
			y = append(y, k)
			w = append(w, ps.weight*balance(e.class))
		}
	}
	fo := FitOptions{C: opt.C, MaxIter: 300, GradTol: 1e-5}
	var sm *Softmax
	var err error
	if len(xs) < D {
		sm, err = fitGram(xs, subGram(G, len(X), pos), y, w, len(classes), D, fo)
	} else {
		sm, err = FitSoftmax(xs, y, w, len(classes), D, fo)
	}
	if err != nil {
		return nil, fmt.Errorf("learn: dimension %s %s: %w", dm.Dimension, value, err)
	}
	h := newHead(sm, classes, hand)
	h.Value = value
	return h, nil
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
