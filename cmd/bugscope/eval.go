package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/sqlite"
)

func (a *app) evalCmd() *cobra.Command {
	var (
		gold          string
		classifier    string
		asJSON        bool
		disagreements bool
	)
	c := &cobra.Command{
		Use:   "eval --gold FILE.jsonl",
		Short: "Score stored classifications against hand labels",
		Long: `Eval compares a classifier's stored labels with hand labels (label records,
the labelling guide's section 6) over the issues both have: per dimension
the accuracy, macro-F1 and Cohen's kappa (quadratic-weighted for ordinal
dimensions such as severity), a confusion matrix, and the agreement at the
level of top-level groups (memory, gpu, ...). Category, root cause, severity
and patterns are scored on the gold bugs only; a classifier that calls a
gold bug something else is wrong on each of them.`,
		Example: `  bugscope eval --gold gold/dev.jsonl
  bugscope eval --gold gold/dev.jsonl --classifier rules --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if gold == "" {
				return usageError("--gold FILE is required")
			}
			tax, err := a.loadTaxonomy()
			if err != nil {
				return err
			}
			recs, err := labelrec.ReadFile(gold, tax)
			if err != nil {
				return badInput(err)
			}
			return a.withDB(cmd, func(db *sqlite.DB) error {
				cls, items, err := classified(cmd.Context(), db, tax, classifier, sqlite.IssueFilter{IncludePulls: true})
				if err != nil {
					return err
				}
				pred := map[bugscope.IssueRef]bugscope.Labels{}
				for _, it := range items {
					pred[it.Issue.Ref()] = it.Classification.Labels
				}
				cmp := metrics.Compare(tax, labelrec.LabelMap(recs), pred)
				if cmp.Common == 0 {
					return fmt.Errorf("none of the %d gold issues is classified by %s; import and classify them first", len(recs), cls)
				}
				if asJSON {
					return a.printJSON(struct {
						Classifier string `json:"classifier"`
						Gold       string `json:"gold"`
						metrics.Comparison
					}{cls, gold, cmp})
				}
				fmt.Fprintf(a.stdout, "%s against %s: %d issues scored", cls, gold, cmp.Common)
				if cmp.OnlyA > 0 {
					fmt.Fprintf(a.stdout, " (%d gold issues not classified, left out)", cmp.OnlyA)
				}
				fmt.Fprintln(a.stdout)
				if err := cmp.WriteText(a.stdout); err != nil {
					return err
				}
				if disagreements {
					return cmp.WriteDisagreements(a.stdout)
				}
				return nil
			})
		},
	}
	c.Flags().StringVar(&gold, "gold", "", "hand labels (label records, JSON Lines)")
	c.Flags().StringVar(&classifier, "classifier", "", "whose labels to score (default: the best available)")
	c.Flags().BoolVar(&asJSON, "json", false, "print every figure as JSON")
	c.Flags().BoolVar(&disagreements, "disagreements", false, "list every disagreement")
	return c
}
