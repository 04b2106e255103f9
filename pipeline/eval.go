package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/ensemble"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/taxonomy"
)

// Evaluation is what bugscope eval measures: a classifier's stored labels
// against hand labels, with the hand labels a learned classifier was
// trained on scored apart, so that memorised answers never pass for
// accuracy.
type Evaluation struct {
	Classifier string `json:"classifier"`
	// Comparison holds the figures on the hand labels the classifier did
	// not learn from (all of them for the rules, or when the model is not
	// known), at the top level of the JSON as before.
	metrics.Comparison
	// Overlap are the figures on the hand labels the model was trained on:
	// in-sample, not an estimate of accuracy. Nil when there are none.
	Overlap *metrics.Comparison `json:"overlap,omitempty"`
	// TrainedOn counts the hand labels the model learned from.
	TrainedOn int `json:"trained_on"`
	// ModelData is the model's training data hash, when known.
	ModelData string `json:"model_data,omitempty"`
	// Expected are the model's out-of-fold figures from its file (train
	// --cv), on the labels it was judged on: the estimate to quote where
	// the gold overlaps the training labels.
	Expected []ensemble.Figures `json:"expected,omitempty"`
	// Notes say what the figures cannot show.
	Notes []string `json:"notes,omitempty"`
}

// Evaluate scores the stored labels items of classifier cls against gold.
// For a learned classifier it finds the model the labels came from (m,
// else the one the store remembers), checks the labels are that model's,
// and scores apart the gold issues the model was trained on.
func Evaluate(ctx context.Context, db Store, tax *taxonomy.Taxonomy, cls string, items []bugscope.Classified,
	gold map[bugscope.IssueRef]bugscope.Labels, m *ensemble.Model) (*Evaluation, error) {
	pred := map[bugscope.IssueRef]bugscope.Labels{}
	versions := map[string]bool{}
	for _, it := range items {
		pred[it.Issue.Ref()] = it.Classification.Labels
		versions[it.Classification.ClassifierVersion] = true
	}
	ev := &Evaluation{Classifier: cls}
	var trained map[string]bool
	if slices.Contains(learned, cls) {
		if m == nil {
			sm, err := db.Model(ctx, tax.Name)
			switch {
			case err == nil:
				if m, err = ensemble.Read(bytes.NewReader(sm.Data), sm.Source, tax); err != nil {
					ev.Notes = append(ev.Notes, fmt.Sprintf("the remembered model (%s) cannot be read (%v): which hand labels it learned from is unknown, so these figures may be in-sample", sm.Source, err))
				}
			case bugscope.ErrorCode(err) == bugscope.ENotFound:
				ev.Notes = append(ev.Notes, "no model is remembered: which hand labels it learned from is unknown, so these figures may be in-sample (give --model FILE)")
			default:
				return nil, err
			}
		}
		if m != nil {
			lm := m.Learned
			mv := learn.ModelVersion(lm)
			for v := range versions {
				if !strings.HasPrefix(v, mv) {
					ev.Notes = append(ev.Notes, fmt.Sprintf("some stored %s labels are of model version %s, not of the model's %s: classify again with it (bugscope classify)", cls, v, mv))
					break
				}
			}
			if lm.Training.Examples > 0 && len(lm.Training.Issues) == 0 {
				ev.Notes = append(ev.Notes, "the model file does not list the issues it learned from (it predates that record): these figures may be in-sample; train it again")
			}
			trained = map[string]bool{}
			for _, id := range lm.Training.Issues {
				trained[id] = true
			}
			ev.ModelData = lm.Training.DataHash
			if m.CV != nil {
				for _, f := range m.CV.Figures {
					if f.Classifier == cls && f.Subset == m.CV.HeldOut {
						ev.Expected = append(ev.Expected, f)
					}
				}
			}
		}
	}
	held := map[bugscope.IssueRef]bugscope.Labels{}
	over := map[bugscope.IssueRef]bugscope.Labels{}
	for ref, l := range gold {
		if trained[ref.String()] {
			over[ref] = l
		} else {
			held[ref] = l
		}
	}
	ev.Comparison = metrics.Compare(tax, held, pred)
	if len(over) > 0 {
		o := metrics.Compare(tax, over, pred)
		ev.Overlap = &o
		ev.TrainedOn = len(over)
	}
	if ev.Comparison.Common == 0 && (ev.Overlap == nil || ev.Overlap.Common == 0) {
		return nil, bugscope.Errorf(bugscope.ENotFound, "none of the %d gold issues is classified by %s; import and classify them first", len(gold), cls)
	}
	return ev, nil
}
