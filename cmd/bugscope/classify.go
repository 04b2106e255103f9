package main

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/taxonomy"
)

func (a *app) classifyCmd() *cobra.Command {
	var (
		ff       filterFlags
		rules    string
		asJSON   bool
		withPull bool
	)
	c := &cobra.Command{
		Use:   "classify",
		Short: "Label stored issues with the rule classifier and extract their signals",
		Long: `Classify labels every stored issue (or those the filters select) in the
taxonomy, keeping the evidence of each decision, and extracts structured
signals (error signatures, exceptions, GPUs, CUDA/ROCm and engine versions,
operating systems, back ends). Running it again replaces the earlier labels
of the same classifier.

The rules are data: see the built-in rule file of the taxonomy, or give your
own with --rules.`,
		Example: `  bugscope classify
  bugscope classify --repo vllm-project/vllm --since 2025-01-01
  bugscope --taxonomy first-look-2025 classify`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := ff.filter()
			if err != nil {
				return err
			}
			f.IncludePulls = withPull
			tax, err := a.loadTaxonomy()
			if err != nil {
				return err
			}
			rs, err := loadRules(tax, rules)
			if err != nil {
				return err
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			st, err := pipeline.Classify(cmd.Context(), db, tax, classify.New(rs), pipeline.ClassifyOptions{Filter: f})
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(st)
			}
			fmt.Fprintf(a.stdout, "classified %d issues in taxonomy %s with rules %s (%s); %d signals extracted\n",
				st.Issues, tax.Name, rs.Version(), st.Duration.Round(1e6), st.Signals)
			kinds := make([]string, 0, len(st.ByKind))
			for k := range st.ByKind {
				kinds = append(kinds, k)
			}
			sort.Slice(kinds, func(i, j int) bool { return st.ByKind[kinds[i]] > st.ByKind[kinds[j]] })
			for _, k := range kinds {
				fmt.Fprintf(a.stdout, "  %-10s %d\n", k, st.ByKind[k])
			}
			return nil
		},
	}
	ff.register(c)
	c.Flags().StringVar(&rules, "rules", "", "rule file (YAML) instead of the taxonomy's built-in rules")
	c.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	c.Flags().BoolVar(&withPull, "include-pulls", false, "classify pull requests too")
	return c
}

func loadRules(tax *taxonomy.Taxonomy, file string) (*classify.RuleSet, error) {
	if file != "" {
		rs, err := classify.LoadRules(file, tax)
		return rs, badInput(err)
	}
	return classify.BuiltinRules(tax)
}
