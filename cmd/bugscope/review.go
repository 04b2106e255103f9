package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/review"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

type reviewOptions struct {
	filter  filterFlags
	limit   int
	all     bool
	correct string
	rater   string
	json    jsonFlags
}

func (a *app) reviewCmd() *cobra.Command {
	var o reviewOptions
	c := &cobra.Command{
		Use:   "review",
		Short: "List the classifications a human should look at first",
		Long: `Review ranks the classified issues for a human to check: the issues where the
rule classifier and the learned model disagree, and those the final decision
(the ensemble's) is least sure of, come first. Each entry shows both
decisions with their evidence: the rules' matches and the model's strongest
features.

The order is by a score: 1 minus the final confidence, plus, for each
dimension where rules and model differ, its weight (kind 1, category 0.6,
root cause and severity 0.3, patterns 0.2). Below a disputed kind, the
other dimensions count only where both classifiers decided them.

Run 'bugscope classify --model MODEL' first; without a model the queue is
ordered by the rules' confidence alone.

--correct NAME --rater R turns the head of the queue (--limit issues) into
a review sample NAME (strategy disagree, or uncertain without a model,
recorded in the sample: it is not a random sample; issues the model learned
from come last) and opens the
annotator on it: each correction is stored at once, as the rater's answer.
Run it again to resume. Without a terminal it stores the sample and says
how to answer from a file (bugscope labels import). 'bugscope train
--sample NAME' then learns from the corrections, beside the --gold files.`,
		Example: `  bugscope review
  bugscope review --limit 50 --repo vllm-project/vllm
  bugscope review --json --limit 0 > queue.json
  bugscope review --jq '.items[].issue'
  bugscope review --correct review-1 --rater alice --limit 30`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.correct != "" || o.rater != "" {
				return a.runReviewCorrect(cmd, o)
			}
			return a.runReview(cmd.Context(), o)
		},
	}
	o.filter.register(c)
	c.Flags().IntVar(&o.limit, "limit", 20, "show this many issues (0: all)")
	c.Flags().BoolVar(&o.all, "all-dimensions", false, "show every dimension, not only the disputed ones")
	c.Flags().StringVar(&o.correct, "correct", "", "correct the head of the queue as review sample NAME, in the annotator")
	c.Flags().StringVar(&o.rater, "rater", "", "with --correct: your name, stored with every correction")
	o.json.register(c, "the queue")
	return c
}

// reviewQueue is what review prints with --json.
type reviewQueue struct {
	Final         string        `json:"final"`
	Issues        int           `json:"issues"`
	Disagreements int           `json:"disagreements"`
	Items         []review.Item `json:"items"`
}

func (a *app) runReview(ctx context.Context, o reviewOptions) error {
	if o.limit < 0 {
		return usageError("--limit %d: want 0 (all) or more", o.limit)
	}
	f, err := o.filter.filter()
	if err != nil {
		return err
	}
	return a.withSession(ctx, readDB, func(tax *taxonomy.Taxonomy, db *sqlite.DB) error {
		items, finalName, err := pipeline.ReviewQueue(ctx, db, tax, f)
		if err != nil {
			return err
		}
		if finalName == classify.Name {
			a.logf("no model classifications: ordering by the rules' confidence alone (run bugscope classify --model MODEL)")
		}
		disagree := 0
		for _, it := range items {
			if len(it.Disagreements) > 0 {
				disagree++
			}
		}
		total := len(items)
		if o.limit > 0 && len(items) > o.limit {
			items = items[:o.limit]
		}
		if o.json.enabled() {
			return a.printJSON(o.json, reviewQueue{finalName, total, disagree, nonNilSlice(items)})
		}
		fmt.Fprintf(a.stdout, "review queue: %d issues classified by %s; rules and model disagree on %d. Showing %d.\n",
			total, finalName, disagree, len(items))
		var dims []string
		for _, d := range tax.Dimensions {
			dims = append(dims, d.ID)
		}
		for i, it := range items {
			writeItem(a, i+1, it, o.all, dims)
		}
		return nil
	})
}

func writeItem(a *app, n int, it review.Item, all bool, dimOrder []string) {
	w := a.stdout
	fmt.Fprintf(w, "\n%3d. %s  score %.2f  confidence %.2f\n     %s\n", n, it.Issue, it.Score, it.Confidence, clip(it.Title, 100))
	if it.URL != "" {
		fmt.Fprintf(w, "     %s\n", printable(it.URL))
	}
	var order []string
	for _, d := range it.Disagreements {
		order = append(order, d.Dimension)
	}
	if all || len(order) == 0 {
		order = order[:0]
		for _, d := range dimOrder {
			if len(it.Final.Labels[d]) > 0 || it.Rules != nil && len(it.Rules.Labels[d]) > 0 || it.Model != nil && len(it.Model.Labels[d]) > 0 {
				order = append(order, d)
			}
		}
	}
	for _, dim := range order {
		fmt.Fprintf(w, "     %-11s final %s", dim, setOrNone(it.Final.Labels[dim]))
		if it.Rules != nil {
			fmt.Fprintf(w, " | rules %s (%.2f)", setOrNone(it.Rules.Labels[dim]), it.Rules.DimConfidence[dim])
		}
		if it.Model != nil {
			fmt.Fprintf(w, " | model %s (%.2f)", setOrNone(it.Model.Labels[dim]), it.Model.DimConfidence[dim])
		}
		fmt.Fprintln(w)
		for _, side := range []*review.Decision{it.Rules, it.Model} {
			ev := side.EvidenceFor(dim)
			if len(ev) > 2 {
				ev = ev[:2]
			}
			for _, e := range ev {
				fmt.Fprintf(w, "       %-6s %s\n", side.Classifier+":", clip(e.String(), 160))
			}
		}
	}
}

func setOrNone(vs []string) string {
	if len(vs) == 0 {
		return "-"
	}
	return strings.Join(vs, ",")
}

// clip makes untrusted text safe for the terminal on one line and cuts it
// to n bytes.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(printable(s)), " ")
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// runReviewCorrect makes (or resumes) the review sample of the queue's head
// and opens the annotator on it.
func (a *app) runReviewCorrect(cmd *cobra.Command, o reviewOptions) error {
	ctx := cmd.Context()
	if o.correct == "" || o.rater == "" {
		return usageError("--correct NAME and --rater NAME go together")
	}
	if err := checkName("--correct", o.correct); err != nil {
		return err
	}
	if err := checkRater(o.rater); err != nil {
		return err
	}
	if o.limit <= 0 {
		return usageError("--limit %d: --correct takes the head of the queue, want 1 or more", o.limit)
	}
	f, err := o.filter.filter()
	if err != nil {
		return err
	}
	err = a.withSession(ctx, writeDB, func(tax *taxonomy.Taxonomy, db *sqlite.DB) error {
		svc := a.studyService(db, tax)
		if _, err := db.GetSample(ctx, o.correct); err == nil {
			a.logf("resuming review sample %q", o.correct)
			return nil
		} else if bugscope.ErrorCode(err) != bugscope.ENotFound {
			return err
		}
		strategy := study.StrategyDisagree
		prio, by, err := pipeline.SamplePriorities(ctx, db, tax, strategy, f)
		if bugscope.ErrorCode(err) == bugscope.ENotFound {
			strategy = study.StrategyUncertain
			prio, by, err = pipeline.SamplePriorities(ctx, db, tax, strategy, f)
		}
		if err != nil {
			return err
		}
		// Issues the model already learned from are hand-labelled: last.
		m, err := pipeline.RememberedModel(ctx, db, tax)
		if err != nil {
			return err
		}
		if m != nil {
			for _, id := range m.Learned.Training.Issues {
				if ref, err := bugscope.ParseIssueRef(id); err == nil {
					if _, ok := prio[ref]; ok {
						prio[ref] = -1
					}
				}
			}
		}
		d := study.Design{Name: o.correct, Size: o.limit, Seed: 1, Stratify: study.StratifyNone, Strategy: strategy, Priority: prio, RankedBy: by,
			Filter: study.Filter{Repos: f.Repos, Labels: f.Labels, State: f.State, Since: f.Since, Until: f.Until}}
		sm, err := svc.Draft(ctx, d)
		if err != nil {
			return err
		}
		if err := svc.Save(ctx, sm, false); err != nil {
			return err
		}
		a.logf("review sample %q: the %d issues at the head of the queue (strategy %s)", o.correct, sm.Size(), strategy)
		return nil
	})
	if err != nil {
		return err
	}
	if _, _, ok := a.terminal(); !ok {
		fmt.Fprintf(a.stdout, "review sample %s stored; correct it with bugscope annotate --sample %s --rater %s in a terminal, or bugscope labels import FILE --sample %s --rater %s; then bugscope train --gold ... --sample %s\n",
			o.correct, o.correct, o.rater, o.correct, o.rater, o.correct)
		return nil
	}
	return a.runAnnotate(cmd, annotateOptions{sample: o.correct, rater: o.rater})
}
