package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

func (a *app) reportCmd() *cobra.Command {
	var (
		ff         filterFlags
		format     string
		out        string
		classifier string
		title      string
		apiURL     string
	)
	c := &cobra.Command{
		Use:   "report",
		Short: "Write the bug study: categories per engine, root causes, severities, examples",
		Long: `Report writes the study from the stored classifications: for every category
and subcategory the counts per engine, a frequency level, the patterns,
root causes, severities and error signatures seen, and real example issues
with a quoted line of evidence; the framework-specific patterns per engine;
the root-cause and severity distributions; the kinds per engine; the most
frequent error signatures and where the bugs run.

Every figure comes from the database. --format json and --format csv give
the same figures as the Markdown.`,
		Example: `  bugscope report > study.md
  bugscope report --format json --repo vllm-project/vllm --since 2025-01-01
  bugscope report --format csv -o figures.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := ff.filter()
			if err != nil {
				return err
			}
			switch format {
			case "markdown", "md", "json", "csv":
			default:
				return usageError("--format %q: want markdown, json or csv", format)
			}
			hosts, err := linkHosts(apiURL)
			if err != nil {
				return err
			}
			return a.withSession(cmd, func(tax *taxonomy.Taxonomy, db *sqlite.DB) error {
				r, err := pipeline.BuildReport(cmd.Context(), db, tax, pipeline.ReportOptions{
					Filter: f, Classifier: classifier, Title: title, Now: a.now(), LinkHosts: hosts})
				if err != nil {
					return err
				}
				return a.output(out, func(w io.Writer) error { return r.Write(w, format) })
			})
		},
	}
	ff.register(c)
	c.Flags().StringVar(&format, "format", "markdown", "markdown, json or csv")
	outputFlag(c, &out)
	c.Flags().StringVar(&classifier, "classifier", "", "whose labels to report (default: the best available: ensemble, model, llm, rules)")
	c.Flags().StringVar(&title, "title", "", "report title")
	c.Flags().StringVar(&apiURL, "api-url", os.Getenv("GITHUB_API_URL"), "GitHub Enterprise API address whose issue pages the report may link to (env GITHUB_API_URL; links go to github.com otherwise)")
	return c
}

// linkHosts are the hosts a report may link issues to besides github.com:
// that of --api-url (GitHub Enterprise), if any.
func linkHosts(apiURL string) ([]string, error) {
	if apiURL == "" {
		return nil, nil
	}
	h, err := github.WebHost(apiURL)
	if err != nil {
		return nil, usageError("--api-url: %v", err)
	}
	return []string{h}, nil
}
