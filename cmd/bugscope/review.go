package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/review"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

type reviewOptions struct {
	filter filterFlags
	limit  int
	all    bool
	json   jsonFlags
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
ordered by the rules' confidence alone.`,
		Example: `  bugscope review
  bugscope review --limit 50 --repo vllm-project/vllm
  bugscope review --json --limit 0 > queue.json
  bugscope review --jq '.items[].issue'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runReview(cmd.Context(), o) },
	}
	o.filter.register(c)
	c.Flags().IntVar(&o.limit, "limit", 20, "show this many issues (0: all)")
	c.Flags().BoolVar(&o.all, "all-dimensions", false, "show every dimension, not only the disputed ones")
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
