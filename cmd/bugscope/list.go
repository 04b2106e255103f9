package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

type listOptions struct {
	filter     filterFlags
	engines    []string
	kind       []string
	category   []string
	rootCause  []string
	severity   []string
	patterns   []string
	minConf    float64
	maxConf    float64
	search     string
	sortBy     string
	asc        bool
	limit      int
	classifier string
	json       jsonFlags
}

func (a *app) listCmd() *cobra.Command {
	var o listOptions
	c := &cobra.Command{
		Use:   "list",
		Short: "List classified issues, filtered and sorted, like gh issue list",
		Long: `List prints the classified issues the filters select, with their labels, as
a table (or --json): by engine (--engine vllm, matched against the
repository's name) or --repo, state, kind, category (a value, or a group
such as memory), root cause, severity, pattern (any of those given),
confidence, GitHub label, dates and text (--search, in the title and
body). Each issue has the labels of the best classifier that labelled it
(ensemble, model, llm, rules) unless --classifier names one.`,
		Example: `  bugscope list --engine vllm --kind bug --category memory --state open
  bugscope list --severity P0,P1 --sort confidence --asc --limit 20
  bugscope list --search "illegal memory access" --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runList(cmd.Context(), o) },
	}
	o.filter.register(c)
	f := c.Flags()
	f.StringSliceVar(&o.filter.labels, "label", nil, "only issues with one of these GitHub labels")
	f.StringSliceVar(&o.engines, "engine", nil, "only these engines: a word of the repository's name (vllm, llama.cpp, sglang)")
	f.StringSliceVar(&o.kind, "kind", nil, "only these kinds (bug, feature, question, docs)")
	f.StringSliceVar(&o.category, "category", nil, "only these categories, or groups (memory, memory.oom)")
	f.StringSliceVar(&o.rootCause, "root-cause", nil, "only these root causes")
	f.StringSliceVar(&o.severity, "severity", nil, "only these severities (P0..P3)")
	f.StringSliceVar(&o.patterns, "pattern", nil, "only issues with one of these patterns")
	f.Float64Var(&o.minConf, "min-confidence", 0, "only classifications at least this confident")
	f.Float64Var(&o.maxConf, "max-confidence", 1, "only classifications at most this confident")
	f.StringVar(&o.search, "search", "", "only issues whose title or body contains this text (ASCII case ignored)")
	f.StringVar(&o.sortBy, "sort", "created", "sort by created, updated, confidence, comments, reactions or number")
	f.BoolVar(&o.asc, "asc", false, "ascending (default: descending)")
	f.IntVarP(&o.limit, "limit", "L", 30, "at most this many issues (0: all)")
	f.StringVar(&o.classifier, "classifier", "", "whose labels (ensemble, model, llm, rules; default: the best)")
	o.json.register(c, "the issues")
	return c
}

// listed is one row of list.
type listed struct {
	Issue      bugscope.IssueRef `json:"issue"`
	Title      string            `json:"title"`
	State      string            `json:"state"`
	URL        string            `json:"url"`
	CreatedAt  *time.Time        `json:"created_at"`
	UpdatedAt  *time.Time        `json:"updated_at"`
	Comments   int               `json:"comments"`
	Reactions  int               `json:"reactions"`
	GitHub     []string          `json:"github_labels"`
	Classifier string            `json:"classifier"`
	Labels     bugscope.Labels   `json:"labels"`
	Confidence float64           `json:"confidence"`
}

func (a *app) runList(ctx context.Context, o listOptions) error {
	f, err := o.filter.filter()
	if err != nil {
		return err
	}
	if o.limit < 0 {
		return usageError("--limit %d: want 0 (all) or more", o.limit)
	}
	if o.minConf < 0 || o.maxConf > 1 || o.minConf > o.maxConf {
		return usageError("--min-confidence %v, --max-confidence %v: want 0 <= min <= max <= 1", o.minConf, o.maxConf)
	}
	sorts := map[string]func(x, y *listed) int{
		"created":    func(x, y *listed) int { return cmpTime(x.CreatedAt, y.CreatedAt) },
		"updated":    func(x, y *listed) int { return cmpTime(x.UpdatedAt, y.UpdatedAt) },
		"confidence": func(x, y *listed) int { return cmpFloat(x.Confidence, y.Confidence) },
		"comments":   func(x, y *listed) int { return x.Comments - y.Comments },
		"reactions":  func(x, y *listed) int { return x.Reactions - y.Reactions },
		"number":     func(x, y *listed) int { return x.Issue.Number - y.Issue.Number },
	}
	by, ok := sorts[o.sortBy]
	if !ok {
		return usageError("--sort %q: want created, updated, confidence, comments, reactions or number", o.sortBy)
	}
	return a.withSession(ctx, readDB, func(tax *taxonomy.Taxonomy, db *sqlite.DB) error {
		if err := checkValues(tax, map[string][]string{"kind": o.kind, "root_cause": o.rootCause, "severity": o.severity, "patterns": o.patterns}); err != nil {
			return err
		}
		if cat := tax.Dimension("category"); cat != nil {
			for _, c := range o.category {
				if cat.Value(c) == nil && cat.Group(c) == nil {
					return usageError("--category %q: not a category or group of taxonomy %s", c, tax.Name)
				}
			}
		}
		if len(o.engines) > 0 {
			counts, err := db.CountIssues(ctx, bugscope.IssueFilter{})
			if err != nil {
				return err
			}
			for _, e := range o.engines {
				n := 0
				for repo := range counts {
					if engineMatch(repo, e) {
						f.Repos = append(f.Repos, repo)
						n++
					}
				}
				if n == 0 {
					var have []string
					for r := range counts {
						have = append(have, r)
					}
					sort.Strings(have)
					return bugscope.Errorf(bugscope.ENotFound, "--engine %q: no stored repository is named so (have %s)", e, strings.Join(have, ", "))
				}
			}
		}
		have, err := db.Classifiers(ctx, tax.Name)
		if err != nil {
			return err
		}
		name, err := bugscope.ChooseClassifier(have, tax.Name, o.classifier)
		if err != nil {
			return err
		}
		// The labels and the confidence are filtered in the database, as
		// the text is: only the issues listed are loaded.
		cf := bugscope.ClassifiedFilter{IssueFilter: f, Taxonomy: tax.Name, Classifier: name, Contains: nonEmpty(o.search),
			Values: []bugscope.ValueMatch{{Dimension: "kind", Values: o.kind}, {Dimension: "root_cause", Values: o.rootCause},
				{Dimension: "severity", Values: o.severity}, {Dimension: "patterns", Values: o.patterns},
				{Dimension: "category", Values: o.category, Groups: true}}}
		if o.minConf > 0 {
			cf.MinConfidence = &o.minConf
		}
		if o.maxConf < 1 {
			cf.MaxConfidence = &o.maxConf
		}
		cls, err := db.Classified(ctx, cf)
		if err != nil {
			return err
		}
		var rows []listed
		for _, c := range cls {
			l := c.Classification.Labels
			is := c.Issue
			rows = append(rows, listed{Issue: is.Ref(), Title: is.Title, State: is.State, URL: is.URL, CreatedAt: is.CreatedAt, UpdatedAt: is.UpdatedAt,
				Comments: is.Comments, Reactions: is.Reactions, GitHub: nonNilSlice(is.Labels), Classifier: name, Labels: l, Confidence: c.Classification.Confidence})
		}
		slices.SortStableFunc(rows, func(x, y listed) int {
			c := by(&x, &y)
			if c == 0 {
				c = strings.Compare(x.Issue.String(), y.Issue.String())
			}
			if !o.asc {
				c = -c
			}
			return c
		})
		total := len(rows)
		if o.limit > 0 && len(rows) > o.limit {
			rows = rows[:o.limit]
		}
		if o.json.enabled() {
			return a.printJSON(o.json, nonNilSlice(rows))
		}
		w := a.stdout
		fmt.Fprintf(w, "Showing %d of %d issues (labels of %s)\n\n", len(rows), total, name)
		fmt.Fprintf(w, "%-28s %-6s %-8s %-24s %-4s %-5s %-10s %s\n", "ISSUE", "STATE", "KIND", "CATEGORY", "SEV", "CONF", "OPENED", "TITLE")
		for _, r := range rows {
			opened := "-"
			if r.CreatedAt != nil {
				opened = r.CreatedAt.Format("2006-01-02")
			}
			fmt.Fprintf(w, "%-28s %-6s %-8s %-24s %-4s %.2f  %-10s %s\n", clip(r.Issue.String(), 28), orDash(r.State), orDash(r.Labels.One("kind")),
				orDash(r.Labels.One("category")), orDash(r.Labels.One("severity")), r.Confidence, opened, clip(r.Title, 70))
		}
		return nil
	})
}

// checkValues refuses flag values the taxonomy does not have.
func checkValues(tax *taxonomy.Taxonomy, flags map[string][]string) error {
	for dim, vals := range flags {
		d := tax.Dimension(dim)
		for _, v := range vals {
			if d == nil || !d.Accepts(v) {
				return usageError("--%s %q: not a value of taxonomy %s", strings.ReplaceAll(dim, "_", "-"), v, tax.Name)
			}
		}
	}
	return nil
}

// engineMatch reports whether an engine name names repo: its name or
// owner, case-insensitively, or a word of them (vllm in vllm-project/vllm).
func engineMatch(repo, engine string) bool {
	e := strings.ToLower(engine)
	owner, name, _ := strings.Cut(strings.ToLower(repo), "/")
	if e == name || e == owner || e == strings.ToLower(repo) {
		return true
	}
	for _, w := range strings.FieldsFunc(owner+"-"+name, func(r rune) bool { return r == '-' || r == '_' }) {
		if w == e {
			return true
		}
	}
	return false
}

func cmpTime(x, y *time.Time) int {
	switch {
	case x == nil && y == nil:
		return 0
	case x == nil:
		return -1
	case y == nil:
		return 1
	}
	return x.Compare(*y)
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// nonEmpty is s as a one-element list, or nil when s is empty.
func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
