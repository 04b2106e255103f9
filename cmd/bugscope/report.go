package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/chart"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

func (a *app) reportCmd() *cobra.Command {
	var (
		ff         filterFlags
		format     string
		out        string
		classifier string
		title      string
		gold       []string
		sample     string
		notRandom  bool
		model      string
		period     string
		asOf       string
	)
	c := &cobra.Command{
		Use:   "report",
		Short: "Write the bug study: categories per engine, root causes, severities, trends, comparisons, time to close",
		Long: `Report writes the study from the stored classifications: for every category
and subcategory the counts per engine, a frequency level, the patterns,
root causes, severities and error signatures seen, and real example issues
with a quoted line of evidence; the framework-specific patterns per engine
with their tests; the root-cause and severity distributions; the kinds per
engine; trends per period (--period); the engines compared; the time to
close (Kaplan–Meier, open bugs censored at --as-of or the data's newest
update); key findings and threats to validity.

Every share carries a 95% interval. Without hand labels it is a Wilson
interval of the classifier's labels, which covers sampling noise only.
With --gold FILE (label records of a random sample of the reported issues;
x_stratum gives a record's stratum) or --sample NAME (a bugscope sample's
final labels), the shares are corrected for the classifier's errors with
prediction-powered inference and the report shows the classifier's
precision and recall. Labels of a learned model are corrected only with
hand labels it did not learn from: give the model file with --model.
--gold-not-random measures the labels on hand labels that are no random
sample, without correcting.

-o DIR (an existing folder, or a name ending in /) writes report.md (or
report.json, report.csv) there with its charts in DIR/charts, SVG and PNG.
--format json and --format csv give the same figures as the Markdown.`,
		Example: `  bugscope report > study.md
  bugscope report --gold ../shared/gold/random-300.jsonl -o out/
  bugscope report --format json --repo vllm-project/vllm --since 2025-01-01 --period month
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
			if len(gold) > 0 && sample != "" {
				return usageError("--gold and --sample both give hand labels: give one")
			}
			when, err := parseDate("--as-of", asOf)
			if err != nil {
				return err
			}
			opt := pipeline.ReportOptions{Filter: f, Classifier: classifier, Title: title, Now: a.now(), Period: period}
			if when != nil {
				opt.AsOf = *when
			}
			return a.withSession(cmd, func(tax *taxonomy.Taxonomy, db *sqlite.DB) error {
				if opt.Gold, err = a.reportGold(cmd, db, tax, gold, sample, notRandom); err != nil {
					return err
				}
				if model != "" {
					if opt.Model, err = learn.Load(model, tax); err != nil {
						return badInput(err)
					}
				}
				r, err := pipeline.BuildReport(cmd.Context(), db, tax, opt)
				if err != nil {
					return err
				}
				return a.writeReport(r, out, format)
			})
		},
	}
	ff.register(c)
	c.Flags().StringVar(&format, "format", "markdown", "markdown, json or csv")
	outputFlag(c, &out)
	c.Flags().StringVar(&classifier, "classifier", "", "whose labels to report (default: the best available: ensemble, model, llm, rules)")
	c.Flags().StringVar(&title, "title", "", "report title")
	c.Flags().StringSliceVar(&gold, "gold", nil, "hand labels of a random sample of the reported issues (label records), to correct the shares")
	c.Flags().StringVar(&sample, "sample", "", "correct the shares with this bugscope sample's final labels")
	c.Flags().BoolVar(&notRandom, "gold-not-random", false, "the hand labels are not a random sample: measure the labels' accuracy, correct nothing")
	c.Flags().StringVar(&model, "model", "", "the model file the learned labels come from (checked against the hand labels)")
	c.Flags().StringVar(&period, "period", report.PeriodQuarter, "period of the trends: "+strings.Join(report.Periods, ", "))
	c.Flags().StringVar(&asOf, "as-of", "", "snapshot time open bugs are censored at (default: the data's newest update)")
	return c
}

// reportGold reads the hand labels of report --gold or --sample.
func (a *app) reportGold(cmd *cobra.Command, db *sqlite.DB, tax *taxonomy.Taxonomy, files []string, sample string, notRandom bool) (*report.Gold, error) {
	switch {
	case len(files) > 0:
		g, err := pipeline.GoldFiles(files, tax, notRandom)
		if err != nil {
			return nil, badInput(err)
		}
		return g, nil
	case sample != "":
		g, skipped, err := study.New(db, tax).Gold(cmd.Context(), sample)
		if err != nil {
			return nil, err
		}
		if skipped > 0 {
			a.logf("sample %s: %d items without final labels or left out are not used; the rest may no longer be a random sample", sample, skipped)
		}
		g.NotRandom = notRandom
		return g, nil
	}
	return nil, nil
}

// writeReport writes the report to a file or standard output, or, when out
// is a folder, as report.<format> with its charts beside it.
func (a *app) writeReport(r *report.Report, out, format string) error {
	if out == "" || !isDir(out) {
		return a.output(out, func(w io.Writer) error { return r.Write(w, format) })
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	charts, err := chart.Write(out, r)
	if err != nil {
		return err
	}
	r.Charts = charts
	ext := map[string]string{"markdown": "md", "md": "md", "json": "json", "csv": "csv"}[format]
	path := filepath.Join(out, "report."+ext)
	if err := writeTo(path, nil, func(w io.Writer) error { return r.Write(w, format) }); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, path)
	return nil
}

// isDir: an existing folder, or a name ending in a separator.
func isDir(path string) bool {
	if strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(os.PathSeparator)) {
		return true
	}
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
