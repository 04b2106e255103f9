package learn

import (
	"context"
	"errors"
	"math"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/par"
	"github.com/bugscope/bugscope/signals"
	"github.com/bugscope/bugscope/taxonomy"
)

// Classifier applies a model to issues: a bugscope.Classifier named
// "model".
type Classifier struct {
	Model *Model
	// Rules is the rule classifier whose decisions the model takes as
	// features; needed when the model was trained with rule features.
	Rules bugscope.Classifier
	// Evidence is how many of the strongest features each decision keeps
	// (default 3).
	Evidence int
}

// Name returns "model".
func (c *Classifier) Name() string { return Name }

// Version returns the model's version.
func (c *Classifier) Version() string { return ModelVersion(c.Model) }

// Classify labels issues, extracting their signals and running the rules
// first when the model uses them.
func (c *Classifier) Classify(ctx context.Context, issues []bugscope.Issue) ([]bugscope.Classification, error) {
	if c.Model == nil {
		return nil, errors.New("learn: no model")
	}
	docs := make([]Doc, len(issues))
	if err := par.Each(ctx, len(issues), func(i int) {
		docs[i] = Doc{Issue: issues[i], Signals: signals.Extract(issues[i].Repo, issues[i].Title, issues[i].Body)}
	}); err != nil {
		return nil, err
	}
	if c.Model.Features.RuleFeatures {
		if c.Rules == nil {
			return nil, errors.New("learn: the model takes the rules' decisions as features; give it a rule classifier")
		}
		rs, err := c.Rules.Classify(ctx, issues)
		if err != nil {
			return nil, err
		}
		for i := range docs {
			docs[i].Rules = &rs[i]
		}
	}
	n := c.Evidence
	if n == 0 {
		n = 3
	}
	preds, err := c.Model.Predict(ctx, docs, n)
	if err != nil {
		return nil, err
	}
	out := make([]bugscope.Classification, len(issues))
	for i := range issues {
		out[i] = Classification(c.Model, issues[i].Ref(), preds[i])
	}
	return out, nil
}

// ModelVersion names a model by its format version and the hash of its
// training data.
func ModelVersion(m *Model) string {
	h := m.Training.DataHash
	if len(h) > 19 {
		h = h[:19] // "sha256:" and 12 hex digits
	}
	return "v1+" + h
}

// Classification turns a prediction into a stored classification: the
// labels of the dimensions that apply, their calibrated confidences and the
// strongest features as evidence.
func Classification(m *Model, ref bugscope.IssueRef, p Prediction) bugscope.Classification {
	tax := m.Tax()
	labels := p.Labels(tax)
	conf := map[string]float64{}
	var ev []bugscope.Evidence
	for _, d := range tax.Dimensions {
		dp := p[d.ID]
		if dp == nil || !tax.Applies(d, labels) {
			continue
		}
		conf[d.ID] = round3(dp.Confidence)
		ev = append(ev, dp.Evidence...)
	}
	return bugscope.Classification{
		Issue: ref, Taxonomy: tax.Name, TaxonomyVersion: tax.Version,
		Classifier: Name, ClassifierVersion: ModelVersion(m),
		Labels: labels, DimConfidence: conf, Confidence: Overall(tax, labels, conf), Evidence: ev,
	}
}

// Overall is the taxonomy's overall confidence of a classification,
// clamped to 0..1 and rounded as the model's confidences are.
func Overall(tax *taxonomy.Taxonomy, labels bugscope.Labels, conf map[string]float64) float64 {
	return round3(min(1, max(0, tax.OverallConfidence(labels, conf))))
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
