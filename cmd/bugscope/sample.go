package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

type sampleOptions struct {
	filter     filterFlags
	name       string
	kinds      []string
	classifier string
	query      string
	confidence float64
	margin     float64
	size       int
	seed       uint64
	seedGiven  bool
	stratify   string
	fromLabels string
	ids        string
	replace    bool
	dryRun     bool
	strategy   string
	json       jsonFlags
}

func (a *app) sampleCmd() *cobra.Command {
	var o sampleOptions
	c := &cobra.Command{
		Use:   "sample --name NAME [filters] [--confidence 0.95 --margin 0.05 | --size N] [--seed N]",
		Short: "Draw a random sample of issues for annotation, stratified by repository",
		Long: `Sample draws a named random sample of the stored issues for the raters to
label, and stores it in the database. It is the first step of the study
workflow: sample, annotate (or labels import), agreement, arbitrate, export.

The population is every stored issue (pull requests never) that passes the
filters: --repo, --label (GitHub labels, any of them), --state (the source
study kept closed issues only), --since/--until (opening date), --kind (the
kind the current classification gives; --classifier picks whose), and
--query (words that must all occur in the title or the body; "quoted
phrases"; -word excludes; substring match ignoring ASCII case).

Each repository is a stratum with its own simple random sample, sized by
Cochran's formula for --confidence and --margin with the finite-population
correction, n = n0 / (1 + (n0 - 1) / N) with n0 = z² p (1 - p) / e² and
p = 0.5, rounded up (303 of 1,416 issues at 95% and 5%), or a fixed --size
per stratum. --stratify none draws from the whole population at once.

The draw is reproducible: candidates are sorted by (repository, number)
and shuffled by a PCG generator seeded with --seed and the stratum's name.
Without --seed a random seed is chosen and printed. Each stratum's draw is
split into two random halves (half 1 to settle the codebook, half 2 to
measure agreement, as in the source study); raters see half 1 first.

--strategy picks the issues (the labelling loop): random (the default),
uncertain (each stratum's least confident classifications first, by the
best classifier that labelled them) or disagree (the issues where the
rules and the learned model disagree most, by review's weights: kind 1,
category 0.6, root cause and severity 0.3, patterns 0.2). Those teach the
classifier most for the next round of hand labels ('bugscope train' takes
their final labels, 'bugscope export --sample'), but they are not a random
sample: the sample records its strategy, and 'report --sample' refuses to
correct shares with it (--gold-not-random measures accuracy on it).

--from-labels FILE makes the sample of the issues of a label-record file
(e.g. existing hand labels), --ids FILE of a list of owner/repo#number
lines, in their order.

Subcommands: sample list, sample show NAME, sample delete NAME.`,
		Example: `  bugscope sample --name engines-2025 --state closed --label bug --seed 20250601
  bugscope sample --name perf --query '"tokens/s" -docs' --size 50 --seed 7
  bugscope sample --name oom --kind bug --query "out of memory" --confidence 0.9 --margin 0.1 --dry-run
  bugscope sample --name dev --from-labels gold/dev.jsonl
  bugscope sample --name round2 --strategy disagree --size 40 --seed 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.seedGiven = cmd.Flags().Changed("seed")
			if err := o.check(cmd); err != nil {
				return err
			}
			return a.runSample(cmd.Context(), o)
		},
	}
	o.filter.register(c)
	c.Flags().StringSliceVar(&o.filter.labels, "label", nil, "only issues with one of these GitHub labels (repeat or comma-separate)")
	c.Flags().StringVar(&o.name, "name", "", "name of the sample")
	c.Flags().StringSliceVar(&o.kinds, "kind", nil, "only issues whose current classification has one of these kinds (e.g. bug)")
	c.Flags().StringVar(&o.classifier, "classifier", "", "whose classification --kind reads (default: the best available)")
	c.Flags().StringVar(&o.query, "query", "", `words that must occur in the title or body ("phrase", -word excludes)`)
	c.Flags().Float64Var(&o.confidence, "confidence", study.DefaultConfidence, "confidence level of Cochran's formula")
	c.Flags().Float64Var(&o.margin, "margin", study.DefaultMargin, "margin of error (confidence interval half-width) of Cochran's formula")
	c.Flags().IntVar(&o.size, "size", 0, "draw this many issues per stratum instead of Cochran's size")
	c.Flags().Uint64Var(&o.seed, "seed", 0, "seed of the random draw (default: a random seed, printed)")
	c.Flags().StringVar(&o.stratify, "stratify", study.StratifyRepo, "strata: repo (one per repository) or none")
	c.Flags().StringVar(&o.fromLabels, "from-labels", "", "make the sample of the issues of this label-record file")
	c.Flags().StringVar(&o.ids, "ids", "", "make the sample of the owner/repo#number lines of this file")
	c.Flags().BoolVar(&o.replace, "replace", false, "replace a sample of the same name that has no annotations yet")
	c.Flags().BoolVar(&o.dryRun, "dry-run", false, "print the sizes and the draw without storing the sample")
	c.Flags().StringVar(&o.strategy, "strategy", study.StrategyRandom, "random, uncertain (least confident first) or disagree (rules versus model)")
	o.json.register(c, "the sample (strata, parameters, items)")
	c.AddCommand(a.sampleListCmd(), a.sampleShowCmd(), a.sampleDeleteCmd())
	return c
}

// check rejects combinations of flags that cannot work.
func (o *sampleOptions) check(cmd *cobra.Command) error {
	if o.name == "" {
		return usageError("--name NAME is required (or use sample list / sample show NAME)")
	}
	if err := checkName("--name", o.name); err != nil {
		return err
	}
	f := &o.filter
	changed := cmd.Flags().Changed
	if o.fromLabels != "" && o.ids != "" {
		return usageError("--from-labels and --ids are alternatives")
	}
	if o.explicit() && (len(f.repos) > 0 || len(f.labels) > 0 || f.since != "" || f.until != "" || f.state != "" ||
		len(o.kinds) > 0 || o.query != "" || changed("size") || changed("confidence") || changed("margin")) {
		return usageError("--from-labels and --ids take the listed issues as they are; filters and sizes do not apply")
	}
	if o.size > 0 && (changed("confidence") || changed("margin")) {
		return usageError("--size fixes the size: --confidence and --margin do not apply")
	}
	if o.size < 0 {
		return usageError("--size %d: want a positive number", o.size)
	}
	switch o.strategy {
	case study.StrategyRandom, study.StrategyUncertain, study.StrategyDisagree:
	default:
		return usageError("--strategy %q: want %s, %s or %s", o.strategy, study.StrategyRandom, study.StrategyUncertain, study.StrategyDisagree)
	}
	if o.explicit() && o.strategy != study.StrategyRandom {
		return usageError("--from-labels and --ids take the listed issues: --strategy does not apply")
	}
	if err := study.CheckLevels(o.confidence, o.margin); err != nil {
		return &usageErr{err}
	}
	return nil
}

func (o *sampleOptions) explicit() bool { return o.fromLabels != "" || o.ids != "" }

func (a *app) runSample(ctx context.Context, o sampleOptions) error {
	mode := writeDB
	if o.dryRun {
		mode = readDB
	}
	return a.withSession(ctx, mode, func(tax *taxonomy.Taxonomy, db *sqlite.DB) error {
		svc := a.studyService(db, tax)
		var sm *study.Sample
		var err error
		switch {
		case o.fromLabels != "":
			var refs []bugscope.IssueRef
			if refs, err = study.RefsFromLabels(o.fromLabels, tax); err == nil {
				sm, err = svc.FromRefs(o.name, refs, o.fromLabels)
			}
		case o.ids != "":
			var refs []bugscope.IssueRef
			if refs, err = study.RefsFromList(o.ids); err == nil {
				sm, err = svc.FromRefs(o.name, refs, o.ids)
			}
		default:
			f, ferr := o.filter.filter()
			if ferr != nil {
				return ferr
			}
			if err := pipeline.CheckRepos(ctx, db, f.Repos); err != nil {
				return err
			}
			if !o.seedGiven {
				o.seed = study.RandomSeed()
			}
			d := study.Design{Name: o.name, Confidence: o.confidence, Margin: o.margin, Size: o.size, Seed: o.seed, Stratify: o.stratify,
				Filter: study.Filter{Repos: f.Repos, Labels: f.Labels, State: f.State, Since: f.Since, Until: f.Until,
					Kinds: o.kinds, Classifier: o.classifier, Query: o.query}, Strategy: o.strategy}
			if o.strategy != study.StrategyRandom {
				if d.Priority, d.RankedBy, err = pipeline.SamplePriorities(ctx, db, tax, o.strategy, f); err != nil {
					return err
				}
			}
			if sm, err = svc.Draft(ctx, d); bugscope.ErrorCode(err) == bugscope.EInvalid {
				return &usageErr{err} // the design is the command line's
			}
		}
		if err != nil {
			return err
		}
		if sm.Size() == 0 {
			return bugscope.Errorf(bugscope.ENotFound, "the population is empty: no stored issue passes the filters")
		}
		if !o.dryRun {
			if err := svc.Save(ctx, sm, o.replace); err != nil {
				if bugscope.ErrorCode(err) == bugscope.EConflict {
					return bugscope.Errorf(bugscope.EConflict, "%v: choose another --name, or --replace it while it has no annotations", err)
				}
				return err
			}
		}
		if o.json.enabled() {
			return a.printJSON(o.json, struct {
				*study.Sample
				DryRun bool `json:"dry_run"`
			}{sm, o.dryRun})
		}
		a.writeSample(sm, o.dryRun, !o.dryRun)
		return nil
	})
}

// writeSample prints a sample's strata: population, the formula's result
// and the drawn size.
func (a *app) writeSample(sm *study.Sample, dryRun, hint bool) {
	w := a.stdout
	p := sm.Params
	verb := "stored"
	if dryRun {
		verb = "would draw (dry run, nothing stored)"
	}
	fmt.Fprintf(w, "sample %q %s: %d issues from a population of %d, taxonomy %s %s\n", sm.Name, verb, sm.Size(), p.Population, sm.Taxonomy, sm.TaxonomyVersion)
	switch sm.Method {
	case study.MethodCochran:
		fmt.Fprintf(w, "size per stratum: Cochran's formula, %g%% confidence, %g%% margin, p = %g: n0 = %.2f, n = n0 / (1 + (n0 - 1) / N), rounded up\n",
			p.Confidence*100, p.Margin*100, p.Proportion, p.N0)
	case study.MethodFixed:
		fmt.Fprintf(w, "size per stratum: fixed at %d\n", p.Size)
	case study.MethodExplicit:
		fmt.Fprintf(w, "issues listed in %s, in their order\n", p.Origin)
	}
	if !sm.Random() {
		fmt.Fprintf(w, "strategy %s: the issues whose labels would teach the classifier most, ranked by %s; NOT a random sample (report --sample will not correct shares with it)\n",
			p.Strategy, p.Ranked)
	}
	if sm.Method != study.MethodExplicit {
		fmt.Fprintf(w, "seed %d (--seed %d draws the same sample from the same issues); strata: %s\n", p.Seed, p.Seed, p.Stratify)
		if p.ClassifierUsed != "" {
			fmt.Fprintf(w, "kinds read from the classifier %s\n", p.ClassifierUsed)
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	halves := map[string][2]int{}
	for _, it := range sm.Items {
		h := halves[it.Stratum]
		h[it.Half-1]++
		halves[it.Stratum] = h
	}
	names := []string{"stratum", "total"}
	for _, st := range p.Strata {
		names = append(names, st.Name)
	}
	names = padCells(names)
	fmt.Fprintf(tw, "%s\tpopulation\tformula\tsize\tdrawn\thalf 1\thalf 2\t\n", names[0])
	for i, st := range p.Strata {
		formula := "-"
		if sm.Method == study.MethodCochran {
			formula = fmt.Sprintf("%.2f", st.Formula)
		}
		h := halves[st.Name]
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%d\t\n", names[i+2], st.Population, formula, st.Required, st.Drawn, h[0], h[1])
	}
	fmt.Fprintf(tw, "%s\t%d\t\t\t%d\t\t\t\n", names[1], p.Population, sm.Size())
	tw.Flush()
	if hint {
		fmt.Fprintf(w, "\nnext: bugscope annotate --sample %s --rater NAME   (or: bugscope labels import FILE --sample %s --rater NAME)\n", sm.Name, sm.Name)
	}
}

type sampleListOptions struct{ json jsonFlags }

func (a *app) sampleListCmd() *cobra.Command {
	var o sampleListOptions
	c := &cobra.Command{
		Use:   "list",
		Short: "List the samples with their progress",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.runSampleList(cmd.Context(), o) },
	}
	o.json.register(c, "the samples")
	return c
}

func (a *app) runSampleList(ctx context.Context, o sampleListOptions) error {
	return a.withDB(ctx, readDB, func(db *sqlite.DB) error {
		list, err := db.Samples(ctx)
		if err != nil {
			return err
		}
		if o.json.enabled() {
			return a.printJSON(o.json, nonNilSlice(list))
		}
		if len(list) == 0 {
			fmt.Fprintln(a.stdout, "no samples; draw one with bugscope sample --name NAME")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "name\ttaxonomy\tmethod\titems\tanswered per rater\tarbitrated\tcreated")
		for _, s := range list {
			var raters []string
			for _, r := range sortedKeys(s.Raters) {
				raters = append(raters, fmt.Sprintf("%s %d", r, s.Raters[r]))
			}
			fmt.Fprintf(tw, "%s\t%s %s\t%s\t%d\t%s\t%d\t%s\n", s.Name, s.Taxonomy, s.TaxonomyVersion, s.Method, s.ItemCount,
				orDash(strings.Join(raters, ", ")), s.Arbitrated, s.CreatedAt.Format("2006-01-02"))
		}
		return tw.Flush()
	})
}

type sampleShowOptions struct {
	name  string
	items bool
	json  jsonFlags
}

func (a *app) sampleShowCmd() *cobra.Command {
	var o sampleShowOptions
	c := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a sample: how it was drawn, its strata and, with --items, its issues",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			return a.runSampleShow(cmd, o)
		},
	}
	c.Flags().BoolVar(&o.items, "items", false, "list the issues too")
	o.json.register(c, "the sample")
	return c
}

func (a *app) runSampleShow(cmd *cobra.Command, o sampleShowOptions) error {
	ctx := cmd.Context()
	return a.withStudy(cmd, readDB, o.name, func(svc *study.Service) error {
		sm, err := svc.Load(ctx, o.name)
		if err != nil {
			return err
		}
		if o.json.enabled() {
			if !o.items {
				sm.Items = nil
			}
			return a.printJSON(o.json, sm)
		}
		a.writeSample(sm, false, false)
		if !o.items {
			return nil
		}
		answered, err := svc.AnsweredBy(ctx, sm.Name)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout)
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "position\tissue\tstratum\thalf\tanswered by")
		for _, it := range sm.Items {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", it.Position, it.Issue, it.Stratum, it.Half, orDash(strings.Join(answered[it.Issue], ", ")))
		}
		return tw.Flush()
	})
}

type sampleDeleteOptions struct {
	name  string
	force bool
}

func (a *app) sampleDeleteCmd() *cobra.Command {
	var o sampleDeleteOptions
	c := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a sample (with --force also its annotations and decisions)",
		Long: `Sample delete removes a sample. One that raters have answered in is only
removed with --force, which removes their answers and the decisions too;
without it the command refuses (exit 6).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			return a.runSampleDelete(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.force, "force", false, "delete even if raters have answered")
	return c
}

func (a *app) runSampleDelete(ctx context.Context, o sampleDeleteOptions) error {
	return a.withDB(ctx, writeDB, func(db *sqlite.DB) error {
		if err := a.studyService(db, nil).Delete(ctx, o.name, o.force); err != nil {
			return err
		}
		a.logf("deleted sample %q", o.name)
		return nil
	})
}

// padCells pads strings to one width, so that a right-aligned table
// column reads left-aligned.
func padCells(ss []string) []string {
	w := 0
	for _, s := range ss {
		w = max(w, len([]rune(s)))
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s + strings.Repeat(" ", w-len([]rune(s)))
	}
	return out
}
