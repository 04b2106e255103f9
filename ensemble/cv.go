package ensemble

import (
	"context"
	"fmt"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/metrics"
)

// CVResult is what stratified k-fold cross-validation measured: the rules
// alone, the model alone and the ensemble, each scored over the same
// held-out predictions with metrics.Compare (the figures of bugscope
// eval).
type CVResult struct {
	Folds    int                `json:"folds"`
	Seed     uint64             `json:"seed"`
	Examples int                `json:"examples"`
	Rules    metrics.Comparison `json:"rules"`
	Model    metrics.Comparison `json:"model"`
	Ensemble metrics.Comparison `json:"ensemble"`
	Seconds  float64            `json:"seconds"`
}

// CrossValidate splits the corpus into k folds stratified on kind and
// category group (learn.StratumKey) and, for each fold, trains on the
// others (model, temperatures and gates, the last two on inner folds of
// the training part only) and predicts the held-out issues. The rules'
// figures are their decisions on the same issues, as the docs carry them:
// the rules of the run, not a stored figure.
func CrossValidate(ctx context.Context, c *learn.Corpus, k int, opt learn.TrainOptions, progress func(fold int)) (*CVResult, error) {
	start := time.Now()
	if k < 2 || k > c.Len() {
		return nil, fmt.Errorf("cross-validation: %d folds for %d examples", k, c.Len())
	}
	keys := make([]string, c.Len())
	for i := range keys {
		keys[i] = learn.StratumKey(c.Tax, c.Gold[i])
	}
	folds := learn.StratifiedFolds(keys, k, opt.Seed)
	gold := map[bugscope.IssueRef]bugscope.Labels{}
	predR := map[bugscope.IssueRef]bugscope.Labels{}
	predM := map[bugscope.IssueRef]bugscope.Labels{}
	predE := map[bugscope.IssueRef]bugscope.Labels{}
	for f, fold := range folds {
		m, err := Train(ctx, c, learn.Complement(c.Len(), fold), opt)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f+1, err)
		}
		docs := make([]learn.Doc, len(fold))
		for n, i := range fold {
			docs[n] = c.Docs[i]
		}
		preds, err := m.Learned.Predict(ctx, docs, 0)
		if err != nil {
			return nil, err
		}
		for n, i := range fold {
			ref := c.Docs[i].Issue.Ref()
			gold[ref] = c.Gold[i]
			predM[ref] = preds[n].Labels(c.Tax)
			predE[ref] = Combine(m, c.Docs[i].Rules, preds[n]).Labels
			if r := c.Docs[i].Rules; r != nil {
				predR[ref] = r.Labels
			} else {
				predR[ref] = bugscope.Labels{}
			}
		}
		if progress != nil {
			progress(f + 1)
		}
	}
	return &CVResult{
		Folds: k, Seed: opt.Seed, Examples: c.Len(),
		Rules:    metrics.Compare(c.Tax, gold, predR),
		Model:    metrics.Compare(c.Tax, gold, predM),
		Ensemble: metrics.Compare(c.Tax, gold, predE),
		Seconds:  time.Since(start).Seconds(),
	}, nil
}

// Summary keeps the headline figures of a cross-validation, for the model
// file.
func (r *CVResult) Summary() *CVSummary {
	s := &CVSummary{Folds: r.Folds, Seed: r.Seed}
	for _, x := range []struct {
		name string
		cmp  metrics.Comparison
	}{{classify.Name, r.Rules}, {learn.Name, r.Model}, {Name, r.Ensemble}} {
		for _, d := range x.cmp.Dimensions {
			s.Figures = append(s.Figures, Figures{Classifier: x.name, Dimension: d.Dimension, Level: d.Level, N: d.N,
				Accuracy: d.Accuracy, MacroF1: d.MacroF1, Kappa: d.Kappa, KappaMeasure: d.KappaMeasure})
		}
	}
	return s
}
