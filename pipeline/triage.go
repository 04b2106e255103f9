package pipeline

import (
	"context"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// ClassifyOne returns a function that classifies one stored issue with c
// and stores its labels and signals, as Classify does for many: triage
// runs it on each issue a webhook delivery names. An issue whose stored
// labels are current (same text, same classifiers) keeps them.
func ClassifyOne(db Store, tax *taxonomy.Taxonomy, c bugscope.Classifier) func(ctx context.Context, ref bugscope.IssueRef) error {
	return func(ctx context.Context, ref bugscope.IssueRef) error {
		st, err := Classify(ctx, db, tax, c, ClassifyOptions{Filter: bugscope.IssueFilter{Repos: []string{ref.Repo}, Number: ref.Number}})
		if err == nil && st.Issues == 0 && st.Skipped == 0 {
			err = bugscope.Errorf(bugscope.ENotFound, "%s is not stored", ref)
		}
		return err
	}
}
