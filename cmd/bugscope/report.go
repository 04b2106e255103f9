package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/chart"
	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

type reportOptions struct {
	filter     filterFlags
	format     string
	out        string
	classifier string
	title      string
	apiURL     string
	gold       []string
	sample     string
	notRandom  bool
	model      string
	period     string
	asOf       string
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
frequent error signatures and where the bugs run; trends, engines compared
and time to close, with their tests.

It covers every issue of the filter that a classifier labelled: each with
the labels of the best classifier that labelled it (ensemble, model, llm,
rules), unless --classifier names one. It states its coverage (issues the
filter selects, how many each classifier labelled) and warns, in the report
and here, when issues are not labelled. A --repo the database does not hold
is an error (exit 4) that lists the ones it does.

Every share carries a 95% interval. Without hand labels it is a Wilson
interval of the classifier's labels, which covers sampling noise only.
With --gold FILE (label records of a random sample of the reported issues;
x_stratum gives a record's stratum) or --sample NAME (a bugscope sample's
final labels), the shares are corrected for the classifier's errors with
prediction-powered inference and the report shows the classifier's
precision and recall. Labels of a learned model are corrected only with
hand labels it did not learn from (the model is --model FILE, or the one
classify remembered). --gold-not-random measures the labels on hand labels
that are no random sample, without correcting.

-o DIR (an existing folder, or a name ending in /) writes report.md (or
report.json, report.csv) there with its charts in DIR/charts, SVG and PNG.
Every figure comes from the database. --format json and --format csv give
the same figures as the Markdown.`,
		Example: `  bugscope report > study.md
  bugscope report --gold ../shared/gold/random-300.jsonl -o out/
  bugscope report --format json --repo vllm-project/vllm --since 2025-01-01 --period month
  bugscope report --format csv -o figures.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runReport(cmd.Context(), o) },
	}
	o.filter.register(c)
	c.Flags().StringVar(&o.format, "format", "markdown", "markdown, json or csv")
	outputFlag(c, &o.out)
	o.registerStudy(c)
	return c
}

// registerStudy registers the flags that say how the study's figures are
// computed, which report and serve share.
func (o *reportOptions) registerStudy(c *cobra.Command) {
	c.Flags().StringVar(&o.classifier, "classifier", "", "whose labels to report (default: per issue the best that labelled it: ensemble, model, llm, rules)")
	c.Flags().StringVar(&o.title, "title", "", "report title")
	c.Flags().StringVar(&o.apiURL, "api-url", os.Getenv("GITHUB_API_URL"), "GitHub Enterprise API address whose issue pages the report may link to (env GITHUB_API_URL; links go to github.com otherwise)")
	c.Flags().StringSliceVar(&o.gold, "gold", nil, "hand labels of a random sample of the reported issues (label records), to correct the shares")
	c.Flags().StringVar(&o.sample, "sample", "", "correct the shares with this bugscope sample's final labels")
	c.Flags().BoolVar(&o.notRandom, "gold-not-random", false, "the hand labels are not a random sample: measure the labels' accuracy, correct nothing")
	c.Flags().StringVar(&o.model, "model", "", "the model file the learned labels come from (default: the one classify remembered), checked against the hand labels")
	c.Flags().StringVar(&o.period, "period", report.PeriodQuarter, "period of the trends: "+strings.Join(report.Periods, ", "))
	c.Flags().StringVar(&o.asOf, "as-of", "", "snapshot time open bugs are censored at (default: the data's newest update)")
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
	defer reportMemory()()
	f, err := o.filter.filter()
	if err != nil {
		return err
	}
	switch o.format {
	case "markdown", "md", "json", "csv":
	default:
		return usageError("--format %q: want markdown, json or csv", o.format)
	}
	tax, err := a.loadTaxonomy()
	if err != nil {
		return err
	}
	opt, err := o.studyOptions(a, tax)
	if err != nil {
		return err
	}
	opt.Filter = f
	return a.withDB(ctx, readDB, func(db *sqlite.DB) error {
		if err := o.sampleGold(ctx, a, db, tax, &opt); err != nil {
			return err
		}
		r, err := pipeline.BuildReport(ctx, db, tax, opt)
		if err != nil {
			return err
		}
		for _, w := range r.Coverage.Warnings() {
			a.logf("warning: %s", w)
		}
		return a.writeReport(r, o.out, o.format)
	})
}

// studyOptions checks the study flags and reads the files they name (hand
// labels, a model), before any database is opened: bad input never
// creates one.
func (o *reportOptions) studyOptions(a *app, tax *taxonomy.Taxonomy) (pipeline.ReportOptions, error) {
	var opt pipeline.ReportOptions
	if len(o.gold) > 0 && o.sample != "" {
		return opt, usageError("--gold and --sample both give hand labels: give one")
	}
	if !slices.Contains(report.Periods, o.period) {
		return opt, usageError("--period %q: want one of %s", o.period, strings.Join(report.Periods, ", "))
	}
	when, err := parseDate("--as-of", o.asOf)
	if err != nil {
		return opt, err
	}
	hosts, err := linkHosts(o.apiURL)
	if err != nil {
		return opt, err
	}
	opt = pipeline.ReportOptions{Classifier: o.classifier, Title: o.title, Now: a.now(), LinkHosts: hosts, Period: o.period}
	if when != nil {
		opt.AsOf = *when
	}
	if len(o.gold) > 0 {
		if opt.Gold, err = pipeline.GoldFiles(o.gold, tax, o.notRandom); err != nil {
			return opt, err
		}
	}
	if o.model != "" {
		mf, err := pipeline.ReadModelFile(o.model, tax)
		if err != nil {
			return opt, err
		}
		opt.Model = mf.Model
	}
	return opt, nil
}

// sampleGold sets opt's hand labels to --sample's final labels, if given.
func (o *reportOptions) sampleGold(ctx context.Context, a *app, db *sqlite.DB, tax *taxonomy.Taxonomy, opt *pipeline.ReportOptions) error {
	if o.sample == "" {
		return nil
	}
	g, skipped, err := study.New(db, tax).Gold(ctx, o.sample)
	if err != nil {
		return err
	}
	if skipped > 0 {
		a.logf("sample %s: %d items without final labels or left out are not used; the rest may no longer be a random sample", o.sample, skipped)
	}
	if g.NotRandom && !o.notRandom {
		return bugscope.Errorf(bugscope.EInvalid, "sample %s was drawn by a labelling loop's strategy, not at random: its labels cannot correct the shares (give --gold-not-random to measure the labels' accuracy on it)", o.sample)
	}
	g.NotRandom = g.NotRandom || o.notRandom
	opt.Gold = g
	return nil
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
	if err := a.output(path, func(w io.Writer) error { return r.Write(w, format) }); err != nil {
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
