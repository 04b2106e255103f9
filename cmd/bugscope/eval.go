package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/ensemble"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
)

type evalOptions struct {
	gold          string
	classifier    string
	disagreements bool
	model         string
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
--classifier, or the best that labelled issues (ensemble, model, llm, rules).

Eval refuses to flatter a learned classifier: the model file records the
ids and hash of the labels it was trained on, and gold issues among them
are scored apart, as in-sample figures, with a warning; the main figures
are those of the gold issues it never saw. The model is the one classify
remembered, or --model FILE. (The rules' own tuning labels are not
recorded: figures of the rules on labels they were tuned on are in-sample
too.)`,
		Example: `  bugscope eval --gold gold/dev.jsonl
  bugscope eval --gold gold/dev.jsonl --classifier rules --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runEval(cmd.Context(), o) },
	}
	c.Flags().StringVar(&o.gold, "gold", "", "hand labels (label records, JSON Lines)")
	c.Flags().StringVar(&o.classifier, "classifier", "", "whose labels to score (default: the best available)")
	c.Flags().BoolVar(&o.disagreements, "disagreements", false, "list every disagreement")
	c.Flags().StringVar(&o.model, "model", "", "the model file the learned labels came from (default: the one classify remembered)")
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
	var mf *pipeline.ModelFile
	if o.model != "" {
		if mf, err = pipeline.ReadModelFile(o.model, tax); err != nil {
			return err
		}
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
		var m *ensemble.Model
		if mf != nil {
			m = mf.Model
		}
		ev, err := pipeline.Evaluate(ctx, db, tax, cls, items, labelrec.LabelMap(recs), m)
		if err != nil {
			return err
		}
		for _, n := range ev.Notes {
			a.logf("warning: %s", n)
		}
		if ev.Overlap != nil {
			a.logf("warning: %d of the %d gold issues were used to train the model (training data %s): their figures are in-sample, memorised rather than predicted, and are scored apart",
				ev.TrainedOn, len(recs), ev.ModelData)
		}
		if o.json.enabled() {
			return a.printJSON(o.json, struct {
				Gold string `json:"gold"`
				*pipeline.Evaluation
			}{o.gold, ev})
		}
		show := func(title string, cmp metrics.Comparison) error {
			fmt.Fprintf(a.stdout, "%s against %s: %d issues scored%s", cls, o.gold, cmp.Common, title)
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
		}
		if ev.Comparison.Common > 0 {
			title := ""
			if ev.Overlap != nil {
				title = ", those the model did not learn from"
			}
			if err := show(title, ev.Comparison); err != nil {
				return err
			}
		}
		if ev.Overlap != nil {
			if ev.Comparison.Common > 0 {
				fmt.Fprintln(a.stdout)
			}
			if err := show(", IN-SAMPLE: the model was trained on them (not an estimate of accuracy)", *ev.Overlap); err != nil {
				return err
			}
			if len(ev.Expected) > 0 {
				on := "all its training labels"
				if h := ev.Expected[0].Subset; h != "" {
					on = h
				}
				fmt.Fprintf(a.stdout, "\nthe estimate instead: the model file's out-of-fold figures (train --cv), on %s\n", on)
				for _, f := range ev.Expected {
					name := f.Dimension
					if f.Level == metrics.LevelGroup {
						name += "/group"
					}
					fmt.Fprintf(a.stdout, "  %-15s n %4d  accuracy %s  macro-F1 %s  kappa %s%s\n", name, f.N, f.Accuracy, f.MacroF1, f.Kappa, kappaMark(f.KappaMeasure))
				}
			}
		}
		return nil
	})
}
