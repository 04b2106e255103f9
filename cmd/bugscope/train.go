package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/ensemble"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

type trainOptions struct {
	gold      []string
	out       string
	folds     int
	rulesFile string
	c         float64
	seed      uint64
	noRules   bool
	json      jsonFlags
}

func (a *app) trainCmd() *cobra.Command {
	def := learn.DefaultTrainOptions()
	o := trainOptions{c: def.C, seed: def.Seed}
	cmd := &cobra.Command{
		Use:   "train --gold FILE.jsonl... -o MODEL [--cv K]",
		Short: "Learn a text classifier from hand labels and check it by cross-validation",
		Long: `Train learns a classifier from hand labels (label records, the labelling
guide's section 6) joined with the issues in the database, and writes it to a
model file for 'bugscope classify --model'. The issues must be imported first.

Features: word unigrams and bigrams of the title, the body's prose and its
code and logs, character n-grams of the title (TF-IDF, document frequencies
from every stored issue), the title convention ("[Bug]:"), labels, template
headings, extracted signals, the repository, and the rule classifier's
decisions. Model: L2-regularised logistic regression per dimension (one
yes/no model per pattern), probabilities calibrated by temperature scaling
on out-of-fold predictions. The ensemble's gates (from which rule confidence
the rules decide) are learned on the same out-of-fold predictions.

--cv K first runs stratified K-fold cross-validation and prints, per
dimension, the figures of 'bugscope eval' for the rules alone, the model
alone and the ensemble, each on the same held-out issues: what the model is
worth before you trust it. Every fold learns only from its training labels.
The rules are the current ones (--rules FILE for your own).

The model file is gzip'd JSON that describes itself: format version,
taxonomy, feature configuration, training data hash, cross-validated
figures, vocabulary and weights.`,
		Example: `  bugscope train --gold gold/dev.jsonl -o model.json.gz
  bugscope train --cv 5 --gold gold/dev.jsonl
  bugscope train --cv 5 --gold a.jsonl --gold b.jsonl -o model.json.gz --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runTrain(cmd.Context(), o) },
	}
	cmd.Flags().StringArrayVar(&o.gold, "gold", nil, "hand labels (label records, JSON Lines); repeat for several files")
	cmd.Flags().StringVarP(&o.out, "output", "o", "", "write the model to this file")
	cmd.Flags().IntVar(&o.folds, "cv", 0, "cross-validate with this many stratified folds first")
	rulesFlag(cmd, &o.rulesFile)
	cmd.Flags().Float64Var(&o.c, "c", o.c, "inverse strength of the L2 penalty")
	cmd.Flags().Uint64Var(&o.seed, "seed", o.seed, "seed of the fold assignment")
	cmd.Flags().BoolVar(&o.noRules, "no-rule-features", false, "do not give the model the rules' decisions as features")
	o.json.register(cmd, "the cross-validation and the model's description")
	return cmd
}

func (a *app) runTrain(ctx context.Context, o trainOptions) error {
	if len(o.gold) == 0 {
		return usageError("--gold FILE is required")
	}
	if o.out == "" && o.folds == 0 {
		return usageError("nothing to do: give -o MODEL to write a model, --cv K to cross-validate, or both")
	}
	if o.folds == 1 || o.folds < 0 {
		return usageError("--cv %d: want at least 2 folds", o.folds)
	}
	if o.c <= 0 {
		return usageError("--c %v: want a positive number", o.c)
	}
	tax, rs, err := a.taxonomyAndRules(o.rulesFile)
	if err != nil {
		return err
	}
	cfg := learn.DefaultFeatures()
	cfg.RuleFeatures = !o.noRules
	opt := learn.DefaultTrainOptions()
	opt.C, opt.Seed = o.c, o.seed
	recs, err := pipeline.ReadGold(o.gold, tax)
	if err != nil {
		return err
	}
	return a.withDB(ctx, readDB, func(db *sqlite.DB) error {
		return a.train(ctx, db, tax, classify.New(rs), recs, o.gold, cfg, opt, o.folds, o.out, o.json)
	})
}

// trainResult is what train prints with --json.
type trainResult struct {
	Model      string                   `json:"model,omitempty"`
	ModelBytes int64                    `json:"model_bytes,omitempty"`
	Examples   int                      `json:"examples"`
	Missing    []string                 `json:"missing,omitempty"`
	Training   *learn.TrainingInfo      `json:"training,omitempty"`
	Gates      map[string]ensemble.Gate `json:"gates,omitempty"`
	CV         *ensemble.CVResult       `json:"cv,omitempty"`
	Headline   []ensemble.Figures       `json:"headline,omitempty"`
	Options    learn.TrainOptions       `json:"options"`
	Features   learn.FeatureConfig      `json:"features"`
}

func (a *app) train(ctx context.Context, db *sqlite.DB, tax *taxonomy.Taxonomy, rules *classify.Classifier,
	recs []labelrec.Record, goldFiles []string, cfg learn.FeatureConfig, opt learn.TrainOptions, folds int, out string, js jsonFlags) error {
	start := time.Now()
	asJSON := js.enabled()
	corpus, missing, err := pipeline.Corpus(ctx, db, tax, rules, recs, cfg)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		a.logf("%d of %d labelled issues are not in the database and are left out (first: %s); import them to use them",
			len(missing), len(recs), missing[0])
	}
	res := trainResult{Examples: corpus.Len(), Missing: missing, Options: opt, Features: cfg}
	if folds > 0 {
		a.logf("cross-validating on %d labelled issues, %d folds ...", corpus.Len(), folds)
		cv, err := ensemble.CrossValidate(ctx, corpus, folds, opt, func(f int) { a.logf("  fold %d of %d done", f, folds) })
		if err != nil {
			return err
		}
		res.CV = cv
		res.Headline = cv.Summary().Figures
		if !asJSON {
			writeCV(a.stdout, cv, goldFiles)
		}
	}
	if out != "" {
		all := learn.Complement(corpus.Len(), nil)
		m, err := ensemble.Train(ctx, corpus, all, opt)
		if err != nil {
			return err
		}
		m.Learned.Training.Gold = goldFiles
		if res.CV != nil {
			m.CV = res.CV.Summary()
		}
		if err := m.Save(out); err != nil {
			return err
		}
		st, err := os.Stat(out)
		if err != nil {
			return err
		}
		res.Model, res.ModelBytes, res.Training, res.Gates = out, st.Size(), &m.Learned.Training, m.Gates
		if !asJSON {
			fmt.Fprintf(a.stdout, "wrote %s (%.1f MB): %d labelled issues, %d features, data %s, trained in %.1fs\n",
				out, float64(st.Size())/1e6, m.Learned.Training.Examples, m.Learned.Vocab.Len(), m.Learned.Training.DataHash, m.Learned.Training.Seconds)
			for _, d := range tax.Dimensions {
				if g, ok := m.Gates[d.ID]; ok {
					th := fmt.Sprintf("rules decide from confidence %.2f", g.Threshold)
					switch {
					case g.Mode == ensemble.GateCompare:
						th = "the more confident of rules and model decides"
					case g.Threshold > 1:
						th = "the model decides"
					}
					fmt.Fprintf(a.stdout, "  %-12s %s (rules on %.0f%% of the training issues)\n", d.ID, th, 100*g.RulesShare)
				}
			}
		}
	}
	if asJSON {
		return a.printJSON(js, res)
	}
	a.logf("done in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// writeCV prints the cross-validated figures side by side.
func writeCV(w io.Writer, cv *ensemble.CVResult, gold []string) {
	fmt.Fprintf(w, "%d-fold cross-validation on %d labelled issues (%s; folds stratified on kind and category group, seed %d; %.1fs)\n",
		cv.Folds, cv.Examples, strings.Join(gold, ", "), cv.Seed, cv.Seconds)
	fmt.Fprintln(w, "each figure as 'bugscope eval' computes it, on the held-out issues of every fold")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %-15s %-9s %4s   %-23s %-23s %-23s\n", "dimension", "scope", "n", "rules alone", "model alone", "ensemble")
	fmt.Fprintf(w, "  %-15s %-9s %4s   %-23s %-23s %-23s\n", "", "", "", "acc    F1     kappa", "acc    F1     kappa", "acc    F1     kappa")
	for i, d := range cv.Ensemble.Dimensions {
		name := d.Dimension
		if d.Level == metrics.LevelGroup {
			name += "/group"
		}
		cell := func(c metrics.Comparison) string {
			x := c.Dimensions[i]
			return fmt.Sprintf("%-6s %-6s %-6s%s", x.Accuracy, x.MacroF1, x.Kappa, kappaMark(x.KappaMeasure))
		}
		fmt.Fprintf(w, "  %-15s %-9s %4d   %-23s %-23s %-23s\n", name, d.Scope, d.N, cell(cv.Rules), cell(cv.Model), cell(cv.Ensemble))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "accuracy of a multi-valued dimension is exact match; kappa: c Cohen's, q quadratic-weighted, m mean per-label yes/no kappa")
}

func kappaMark(m string) string {
	switch m {
	case metrics.KappaCohen:
		return " c"
	case metrics.KappaQuadratic:
		return " q"
	case metrics.KappaMeanPerLabel:
		return " m"
	}
	return ""
}
