package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/pipeline"
)

func (a *app) reportCmd() *cobra.Command {
	var (
		ff         filterFlags
		format     string
		out        string
		classifier string
		title      string
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
			tax, err := a.loadTaxonomy()
			if err != nil {
				return err
			}
			db, err := a.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := pipeline.BuildReport(cmd.Context(), db, tax, pipeline.ReportOptions{
				Filter: f, Classifier: classifier, Title: title, Now: a.now()})
			if err != nil {
				return err
			}
			return writeTo(out, a.stdout, func(w io.Writer) error { return r.Write(w, format) })
		},
	}
	ff.register(c)
	c.Flags().StringVar(&format, "format", "markdown", "markdown, json or csv")
	c.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of standard output")
	c.Flags().StringVar(&classifier, "classifier", "", "whose labels to report (default: the best available: ensemble, model, llm, rules)")
	c.Flags().StringVar(&title, "title", "", "report title")
	return c
}

// writeTo writes to the named file (atomically: a temporary file renamed
// into place), or to def when name is empty or "-".
func writeTo(name string, def io.Writer, write func(io.Writer) error) error {
	if name == "" || name == "-" {
		return write(def)
	}
	tmp, err := os.CreateTemp(dirOf(name), ".bugscope-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if os.IsPathSeparator(path[i]) {
			return path[:i+1]
		}
	}
	return "."
}
