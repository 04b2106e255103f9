package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/sqlite"
)

type evalOptions struct {
	gold          string
	classifier    string
	disagreements bool
	json          jsonFlags
}

func (a *app) evalCmd() *cobra.Command {
	var o evalOptions
	c := &cobra.Command{
		Use:   "eval --gold FILE.jsonl",
		Short: "Score stored classifications against hand labels",
		Long: `Eval compares a classifier's stored labels with hand labels (label records,
the labelling guide's section 6) over the issues both have: per dimension
the accuracy, macro-F1 and Cohen's kappa (quadratic-weighted for ordinal
dimensions such as severity), a confusion matrix, and the agreement at the
level of top-level groups (memory, gpu, ...). Category, root cause, severity
and patterns are scored on the gold bugs only; a classifier that calls a
gold bug something else is wrong on each of them. It scores one classifier:
--classifier, or the best that labelled issues (ensemble, model, llm, rules).`,
		Example: `  bugscope eval --gold gold/dev.jsonl
  bugscope eval --gold gold/dev.jsonl --classifier rules --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runEval(cmd.Context(), o) },
	}
	c.Flags().StringVar(&o.gold, "gold", "", "hand labels (label records, JSON Lines)")
	c.Flags().StringVar(&o.classifier, "classifier", "", "whose labels to score (default: the best available)")
	c.Flags().BoolVar(&o.disagreements, "disagreements", false, "list every disagreement")
	o.json.register(c, "every figure")
	return c
}

func (a *app) runEval(ctx context.Context, o evalOptions) error {
	if o.gold == "" {
		return usageError("--gold FILE is required")
	}
	tax, err := a.loadTaxonomy()
	if err != nil {
		return err
	}
	recs, err := labelrec.ReadFile(o.gold, tax)
	if err != nil {
		return err
	}
	return a.withDB(ctx, readDB, func(db *sqlite.DB) error {
		have, err := db.Classifiers(ctx, tax.Name)
		if err != nil {
			return err
		}
		cls, err := bugscope.ChooseClassifier(have, tax.Name, o.classifier)
		if err != nil {
			return err
		}
		items, err := db.Classified(ctx, bugscope.ClassifiedFilter{IssueFilter: bugscope.IssueFilter{IncludePulls: true}, Taxonomy: tax.Name, Classifier: cls})
		if err != nil {
			return err
		}
		pred := map[bugscope.IssueRef]bugscope.Labels{}
		for _, it := range items {
			pred[it.Issue.Ref()] = it.Classification.Labels
		}
		cmp := metrics.Compare(tax, labelrec.LabelMap(recs), pred)
		if cmp.Common == 0 {
			return bugscope.Errorf(bugscope.ENotFound, "none of the %d gold issues is classified by %s; import and classify them first", len(recs), cls)
		}
		if o.json.enabled() {
			return a.printJSON(o.json, struct {
				Classifier string `json:"classifier"`
				Gold       string `json:"gold"`
				metrics.Comparison
			}{cls, o.gold, cmp})
		}
		fmt.Fprintf(a.stdout, "%s against %s: %d issues scored", cls, o.gold, cmp.Common)
		if cmp.OnlyA > 0 {
			fmt.Fprintf(a.stdout, " (%d gold issues not classified, left out)", cmp.OnlyA)
		}
		fmt.Fprintln(a.stdout)
		if err := cmp.WriteText(a.stdout); err != nil {
			return err
		}
		if o.disagreements {
			return cmp.WriteDisagreements(a.stdout)
		}
		return nil
	})
}
