package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/ensemble"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

type trainOptions struct {
	gold      []string
	samples   []string
	out       string
	folds     int
	rulesFile string
	c         float64
	seed      uint64
	noRules   bool
	heldOut   string
	json      jsonFlags
	// self-training (learn.SelfTrainOptions); selfExclude names files of
	// issues never to pseudo-label
	selfTrain   bool
	self        learn.SelfTrainOptions
	selfExclude []string
}

func (a *app) trainCmd() *cobra.Command {
	def := learn.DefaultTrainOptions()
	o := trainOptions{c: def.C, seed: def.Seed, self: learn.DefaultSelfTrain()}
	cmd := &cobra.Command{
		Use:   "train --gold FILE.jsonl... [--sample NAME]... -o MODEL [--cv K] [--held-out FILE]",
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

--cv K (default 5 when writing a model; --cv 0 skips it) first runs
stratified K-fold cross-validation and prints, per dimension, the figures
of 'bugscope eval' for the rules alone, the model alone and the ensemble,
each on the same held-out issues, on all the labels and on each --gold
file's: what the model is worth before you trust it. Every fold learns only
from its training labels. The rules are the current ones (--rules FILE for
your own).

The gates are honest: a dimension lets the model take part only where the
ensemble beat the rules out of fold by at least 0.005 on its headline
figure (macro-F1 of the kind, kappa elsewhere) with no figure of any
dimension lower; the rules decide the others. Rules tuned on some of the
labels score in-sample on them: --held-out FILE (one of the --gold files,
labels the rules were never tuned on) judges the ensemble on that file's
labels only, and the figures to expect are printed for it.

--self-train lets every fit (each fold's, and the model's) also learn from
the issues in the database that no --gold file or sample labels: the fit
labels them, takes its decisions of probability at least
--self-train-threshold as pseudo-labels (at most --self-train-cap per
class of each dimension, the most confident; --self-train-agree: only where
the rules decide the same), weighs them --self-train-weight of a hand
label, and fits again (--self-train-rounds times). Temperatures and gates
are fitted on hand labels only. --self-train-exclude FILE (repeatable;
issue ids one a line, or label records in a .jsonl file) keeps other
labelled issues out of the pool, such as a held-out gold file's. Measured on dev.jsonl out of fold it
did not help (README, "The learned classifier").

--sample NAME (repeatable) learns from a sample's final labels too: the
corrections of 'bugscope review --correct', a labelling loop's round.

The model file is gzip'd JSON that describes itself: format version, the
gates and why, the cross-validated figures and out-of-fold predictions of
the training issues (for reports corrected with them), then the learned
model: taxonomy, feature configuration, training data hash and issue ids,
vocabulary and weights.`,
		Example: `  bugscope train --gold gold/dev.jsonl -o model.json.gz
  bugscope train --cv 5 --gold gold/dev.jsonl
  bugscope train --gold dev.jsonl --gold random-300.jsonl --held-out random-300.jsonl -o model.json.gz
  bugscope train --gold dev.jsonl --sample review-1 -o model.json.gz
  bugscope train --cv 5 --gold a.jsonl --gold b.jsonl -o model.json.gz --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("cv") && o.out == "" {
				o.folds = 0 // nothing asked for: the usage error says what to give
			}
			return a.runTrain(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayVar(&o.gold, "gold", nil, "hand labels (label records, JSON Lines); repeat for several files")
	cmd.Flags().StringArrayVar(&o.samples, "sample", nil, "also learn from a sample's final labels (review corrections, a labelling round); repeatable")
	cmd.Flags().StringVarP(&o.out, "output", "o", "", "write the model to this file")
	cmd.Flags().IntVar(&o.folds, "cv", 5, "cross-validate with this many stratified folds first (0: skip; without -o, only with --cv)")
	cmd.Flags().StringVar(&o.heldOut, "held-out", "", "the --gold file whose labels the rules were not tuned on: the ensemble is judged on it")
	rulesFlag(cmd, &o.rulesFile)
	cmd.Flags().Float64Var(&o.c, "c", o.c, "inverse strength of the L2 penalty")
	cmd.Flags().Uint64Var(&o.seed, "seed", o.seed, "seed of the fold assignment")
	cmd.Flags().BoolVar(&o.noRules, "no-rule-features", false, "do not give the model the rules' decisions as features")
	cmd.Flags().BoolVar(&o.selfTrain, "self-train", false, "also learn from confident pseudo-labels of the unlabelled issues")
	cmd.Flags().Float64Var(&o.self.Threshold, "self-train-threshold", o.self.Threshold, "least probability of a pseudo-label")
	cmd.Flags().IntVar(&o.self.MaxPerClass, "self-train-cap", o.self.MaxPerClass, "most pseudo-labels per class of each dimension (0: no cap)")
	cmd.Flags().Float64Var(&o.self.Weight, "self-train-weight", o.self.Weight, "weight of a pseudo-label (a hand label's is 1)")
	cmd.Flags().IntVar(&o.self.Rounds, "self-train-rounds", o.self.Rounds, "rounds of pseudo-labelling and refitting")
	cmd.Flags().BoolVar(&o.self.AgreeWithRules, "self-train-agree", false, "pseudo-label only where the rules decide the same")
	cmd.Flags().StringArrayVar(&o.selfExclude, "self-train-exclude", nil, "never pseudo-label these issues (ids one a line, or label records in a .jsonl file); repeatable")
	o.json.register(cmd, "the cross-validation and the model's description")
	return cmd
}

func (a *app) runTrain(ctx context.Context, o trainOptions) error {
	if len(o.gold) == 0 && len(o.samples) == 0 {
		return usageError("--gold FILE (or --sample NAME) is required")
	}
	if o.out == "" && o.folds == 0 {
		return usageError("nothing to do: give -o MODEL to write a model, --cv K to cross-validate, or both")
	}
	if o.folds == 1 || o.folds < 0 {
		return usageError("--cv %d: want at least 2 folds (or 0 for none)", o.folds)
	}
	if o.heldOut != "" && !slices.Contains(o.gold, o.heldOut) {
		return usageError("--held-out %s: name one of the --gold files", o.heldOut)
	}
	if o.heldOut != "" && o.folds == 0 {
		return usageError("--held-out judges the cross-validation: give --cv K")
	}
	if o.c <= 0 {
		return usageError("--c %v: want a positive number", o.c)
	}
	if !o.selfTrain && (len(o.selfExclude) > 0 || o.self.AgreeWithRules) {
		return usageError("--self-train-exclude and --self-train-agree need --self-train")
	}
	if o.selfTrain {
		if err := o.self.Check(); err != nil {
			return usageError("--self-train: %v", err)
		}
	}
	tax, rs, err := a.taxonomyAndRules(o.rulesFile)
	if err != nil {
		return err
	}
	cfg := learn.DefaultFeatures()
	cfg.RuleFeatures = !o.noRules
	opt := learn.DefaultTrainOptions()
	opt.C, opt.Seed = o.c, o.seed
	if o.selfTrain {
		self := o.self
		opt.SelfTrain = &self
	}
	var recs []labelrec.Record
	sources := map[bugscope.IssueRef]string{}
	if len(o.gold) > 0 {
		if recs, sources, err = pipeline.ReadGold(o.gold, tax); err != nil {
			return err
		}
	}
	return a.withDB(ctx, readDB, func(db *sqlite.DB) error {
		for _, name := range o.samples {
			var n int
			if recs, n, err = pipeline.AddSampleLabels(ctx, a.studyService(db, tax), name, recs, sources); err != nil {
				return err
			}
			a.logf("sample %s: %d final labels", name, n)
			o.gold = append(o.gold, "sample "+name)
		}
		return a.train(ctx, db, tax, classify.New(rs), recs, sources, o, cfg, opt)
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
	recs []labelrec.Record, sources map[bugscope.IssueRef]string, o trainOptions, cfg learn.FeatureConfig, opt learn.TrainOptions) error {
	start := time.Now()
	goldFiles, folds, out, js := o.gold, o.folds, o.out, o.json
	asJSON := js.enabled()
	var unlabelled func(bugscope.IssueRef) bool
	if opt.SelfTrain != nil {
		excluded, err := readExcluded(o.selfExclude, tax)
		if err != nil {
			return err
		}
		unlabelled = func(r bugscope.IssueRef) bool { return !excluded[r] }
	}
	corpus, missing, err := pipeline.Corpus(ctx, db, tax, rules, recs, sources, cfg, unlabelled)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		a.logf("%d of %d labelled issues are not in the database and are left out (first: %s); import them to use them",
			len(missing), len(recs), missing[0])
	}
	if opt.SelfTrain != nil {
		a.logf("self-training: %d unlabelled issues may be pseudo-labelled", len(corpus.Unlabelled))
	}
	res := trainResult{Examples: corpus.Len(), Missing: missing, Options: opt, Features: cfg}
	if folds > 0 {
		a.logf("cross-validating on %d labelled issues, %d folds ...", corpus.Len(), folds)
		cv, err := ensemble.CrossValidate(ctx, corpus, folds, opt, ensemble.CVOptions{HeldOut: o.heldOut,
			Progress: func(f int) { a.logf("  fold %d of %d done", f, folds) }})
		if err != nil {
			return err
		}
		res.CV = cv
		res.Headline = cv.Summary().Figures
		if !asJSON {
			writeCV(a.stdout, cv, goldFiles)
			writeExpected(a.stdout, tax, cv)
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
			res.CV.Apply(m)
		} else {
			a.logf("warning: trained without cross-validation: the gates are not checked against the rules out of fold, and no figures are known to expect")
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
					case g.Mode == ensemble.GateRules:
						th = "the rules decide"
					case g.Mode == ensemble.GateCompare:
						th = "the more confident of rules and model decides"
					case g.Threshold > 1:
						th = "the model decides"
					}
					fmt.Fprintf(a.stdout, "  %-12s %s (rules on %.0f%% of the training issues)\n", d.ID, th, 100*g.RulesShare)
					if g.Why != "" {
						fmt.Fprintf(a.stdout, "  %-12s   %s\n", "", g.Why)
					}
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

// writeCV prints the cross-validated figures side by side, on all the
// labels and on each gold file's, then the choices and the figures to
// expect.
func writeCV(w io.Writer, cv *ensemble.CVResult, gold []string) {
	fmt.Fprintf(w, "%d-fold cross-validation on %d labelled issues (%s; folds stratified on kind and category group, seed %d; %.1fs)\n",
		cv.Folds, cv.Examples, strings.Join(gold, ", "), cv.Seed, cv.Seconds)
	fmt.Fprintln(w, "each figure as 'bugscope eval' computes it, on the held-out issues of every fold;")
	fmt.Fprintln(w, "ensemble: the gates each fold learned; final: those gates only where the model earned its place (below)")
	table := func(title string, rules, model, ens, final metrics.Comparison) {
		fmt.Fprintln(w)
		fmt.Fprintln(w, title)
		fmt.Fprintf(w, "  %-15s %-9s %4s   %-15s %-15s %-15s %-15s\n", "dimension", "scope", "n", "rules alone", "model alone", "ensemble", "final")
		fmt.Fprintf(w, "  %-15s %-9s %4s   %-15s %-15s %-15s %-15s\n", "", "", "", "F1     kappa", "F1     kappa", "F1     kappa", "F1     kappa")
		for i, d := range final.Dimensions {
			name := d.Dimension
			if d.Level == metrics.LevelGroup {
				name += "/group"
			}
			cell := func(c metrics.Comparison) string {
				x := c.Dimensions[i]
				return fmt.Sprintf("%-6s %-6s%s", x.MacroF1, x.Kappa, kappaMark(x.KappaMeasure))
			}
			fmt.Fprintf(w, "  %-15s %-9s %4d   %-15s %-15s %-15s %-15s\n", name, d.Scope, d.N, cell(rules), cell(model), cell(ens), cell(final))
		}
	}
	table("all labels", cv.Rules, cv.Model, cv.Ensemble, cv.Final)
	for _, sub := range cv.Subsets {
		note := ""
		if sub.Source == cv.HeldOut {
			note = " (held out from rule tuning: the honest estimate)"
		}
		table(fmt.Sprintf("labels of %s, %d issues%s", sub.Source, sub.Examples, note), sub.Rules, sub.Model, sub.Ensemble, sub.Final)
	}
	fmt.Fprintln(w)
	judged := "all the labels"
	if cv.HeldOut != "" {
		judged = cv.HeldOut
	}
	fmt.Fprintf(w, "where the model takes part (judged out of fold on %s):\n", judged)
	for _, ch := range cv.Choices {
		fmt.Fprintf(w, "  %-12s %s\n", ch.Dimension, ch.Why)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "accuracy of a multi-valued dimension is exact match; kappa: c Cohen's, q quadratic-weighted, m mean per-label yes/no kappa")
}

// writeExpected prints the figures to expect of the model written: the
// final ensemble's out-of-fold headline figures against the rules', on the
// held-out labels when named.
func writeExpected(w io.Writer, tax *taxonomy.Taxonomy, cv *ensemble.CVResult) {
	rules, final, on := cv.Rules, cv.Final, fmt.Sprintf("all %d labels", cv.Examples)
	for _, sub := range cv.Subsets {
		if sub.Source == cv.HeldOut {
			rules, final, on = sub.Rules, sub.Final, fmt.Sprintf("the %d labels of %s, held out from rule tuning", sub.Examples, sub.Source)
		}
	}
	fmt.Fprintf(w, "figures to expect (out of fold, on %s; the gain over the rules with a paired bootstrap 95%% interval):\n", on)
	gains := map[string]ensemble.Gain{}
	for _, g := range cv.Gains {
		gains[g.Dimension] = g
	}
	for _, d := range tax.Dimensions {
		g := gains[d.ID]
		fmt.Fprintf(w, "  %-12s headline %.3f (rules alone %.3f; gain %+.3f [%.3f, %.3f])\n", d.ID,
			ensemble.Headline(tax, d, final), ensemble.Headline(tax, d, rules), float64(g.Gain), float64(g.Lo), float64(g.Hi))
	}
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

// readExcluded is the set of issues the --self-train-exclude files name:
// label records in a .jsonl file (study.RefsFromLabels), else one issue a
// line (study.RefsFromList), as sample --from-labels and --ids read them.
func readExcluded(files []string, tax *taxonomy.Taxonomy) (map[bugscope.IssueRef]bool, error) {
	excluded := map[bugscope.IssueRef]bool{}
	for _, f := range files {
		var refs []bugscope.IssueRef
		var err error
		if strings.HasSuffix(f, ".jsonl") {
			refs, err = study.RefsFromLabels(f, tax)
		} else {
			refs, err = study.RefsFromList(f)
		}
		if err != nil {
			return nil, usageError("--self-train-exclude: %v", err)
		}
		for _, r := range refs {
			excluded[r] = true
		}
	}
	return excluded, nil
}
