package main

import (
	"context"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

type reportOptions struct {
	filter     filterFlags
	format     string
	out        string
	classifier string
	title      string
	apiURL     string
}

func (a *app) reportCmd() *cobra.Command {
	var o reportOptions
	c := &cobra.Command{
		Use:   "report",
		Short: "Write the bug study: categories per engine, root causes, severities, examples",
		Long: `Report writes the study from the stored classifications: for every category
and subcategory the counts per engine, a frequency level, the patterns,
root causes, severities and error signatures seen, and real example issues
with a quoted line of evidence; the framework-specific patterns per engine;
the root-cause and severity distributions; the kinds per engine; the most
frequent error signatures and where the bugs run.

It covers every issue of the filter that a classifier labelled: each with
the labels of the best classifier that labelled it (ensemble, model, llm,
rules), unless --classifier names one. It states its coverage (issues the
filter selects, how many each classifier labelled) and warns, in the report
and here, when issues are not labelled. A --repo the database does not hold
is an error (exit 4) that lists the ones it does.

Every figure comes from the database. --format json and --format csv give
the same figures as the Markdown.`,
		Example: `  bugscope report > study.md
  bugscope report --format json --repo vllm-project/vllm --since 2025-01-01
  bugscope report --format csv -o figures.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runReport(cmd.Context(), o) },
	}
	o.filter.register(c)
	c.Flags().StringVar(&o.format, "format", "markdown", "markdown, json or csv")
	outputFlag(c, &o.out)
	c.Flags().StringVar(&o.classifier, "classifier", "", "whose labels to report (default: per issue the best that labelled it: ensemble, model, llm, rules)")
	c.Flags().StringVar(&o.title, "title", "", "report title")
	c.Flags().StringVar(&o.apiURL, "api-url", os.Getenv("GITHUB_API_URL"), "GitHub Enterprise API address whose issue pages the report may link to (env GITHUB_API_URL; links go to github.com otherwise)")
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

func (a *app) runReport(ctx context.Context, o reportOptions) error {
	f, err := o.filter.filter()
	if err != nil {
		return err
	}
	switch o.format {
	case "markdown", "md", "json", "csv":
	default:
		return usageError("--format %q: want markdown, json or csv", o.format)
	}
	hosts, err := linkHosts(o.apiURL)
	if err != nil {
		return err
	}
	return a.withSession(ctx, readDB, func(tax *taxonomy.Taxonomy, db *sqlite.DB) error {
		r, err := pipeline.BuildReport(ctx, db, tax, pipeline.ReportOptions{
			Filter: f, Classifier: o.classifier, Title: o.title, Now: a.now(), LinkHosts: hosts})
		if err != nil {
			return err
		}
		for _, w := range r.Coverage.Warnings() {
			a.logf("warning: %s", w)
		}
		return a.output(o.out, func(w io.Writer) error { return r.Write(w, o.format) })
	})
}
