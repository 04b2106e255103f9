package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
	"github.com/bugscope/bugscope/tidy"
)

type exportOptions struct {
	filter     filterFlags
	format     string
	out        string
	classifier string
	tidy       bool
	sample     sampleExport
}

func (a *app) exportCmd() *cobra.Command {
	var o exportOptions
	c := &cobra.Command{
		Use:   "export",
		Short: "Write stored classifications as label records (JSON Lines)",
		Long: `Export writes one record per classified issue in the label-record format of
the labelling guide (section 6): id (owner/repo#number), one key per
dimension of the taxonomy, confidence (the classifier's, 0..1) and
x_classifier. Each issue has the labels of the best classifier that labelled
it, as in the report, unless --classifier names one. Hand labels and
classifier output are thus the same kind of file, and either can be given to
bugscope eval.

With --sample NAME it writes the sample's benchmark dataset instead: one
record per issue with the final labels (agreed by the raters, settled by the
arbitrator, or a single rater's), the issue's metadata and link, every
rater's own answer and the reasons for leaving issues out, as JSON Lines
(--format jsonl, readable by bugscope eval --gold) or CSV (--format csv).
Beside -o FILE it writes that file's data card, FILE.card.md and
FILE.card.json (so engines.jsonl and engines.csv each have their own): the
population and filters, the sampling parameters and seed, the strata, the
raters and arbitrators, the agreement figures (all issues, and the second
half), the counts of final labels, the date and the taxonomy version. It
refuses (exit 6) while disagreements are open or a decision is stale (a
rater changed an answer after it), unless --partial, which leaves the open
ones out, marks the stale ones (x_status stale) and says so in the card.

With --tidy it writes a tidy table for notebooks instead, one row per
issue: repository, number, URL, title, state, created and closed times,
days to close, author association, comments, reactions, GitHub labels,
every label dimension with its group and the classifier's confidence, the
classifier, and the main signals (exception, error signature, GPU, back
end, OS, engine, CUDA and ROCm versions), as --format csv or parquet
(columns documented in the README and, for Parquet, in the file's
metadata).`,
		Example: `  bugscope export --format jsonl -o rules.jsonl
  bugscope export --classifier rules --repo ggml-org/llama.cpp
  bugscope export --sample engines-2025 -o engines-2025.jsonl
  bugscope export --sample engines-2025 --format csv -o engines-2025.csv
  bugscope export --tidy --format parquet -o issues.parquet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.sample.sample != "" {
				for _, f := range []string{"repo", "since", "until", "state", "classifier"} {
					if cmd.Flags().Changed(f) {
						return usageError("--%s does not apply with --sample: a sample's dataset is its items", f)
					}
				}
				return a.exportSample(cmd, o.sample, o.format, o.out)
			}
			return a.runExport(cmd.Context(), o)
		},
	}
	o.filter.register(c)
	c.Flags().StringVar(&o.format, "format", "jsonl", "output format: jsonl (with --sample also csv; with --tidy csv or parquet)")
	c.Flags().BoolVar(&o.tidy, "tidy", false, "a tidy per-issue table for notebooks (--format csv or parquet)")
	outputFlag(c, &o.out)
	c.Flags().StringVar(&o.classifier, "classifier", "", "whose labels to export (default: per issue the best that labelled it)")
	o.sample.register(c)
	return c
}

func (a *app) runExport(ctx context.Context, o exportOptions) error {
	if o.sample.partial || len(o.sample.raters) > 0 || o.sample.card != "" {
		return usageError("--partial, --raters and --card go with --sample")
	}
	var writeTidy func(io.Writer, *taxonomy.Taxonomy, []bugscope.Classified) error
	switch {
	case o.tidy:
		if writeTidy = map[string]func(io.Writer, *taxonomy.Taxonomy, []bugscope.Classified) error{"csv": tidy.WriteCSV, "parquet": tidy.WriteParquet}[o.format]; writeTidy == nil {
			return usageError("--tidy --format %q: want csv or parquet", o.format)
		}
	case o.format != "jsonl":
		return usageError("--format %q: want jsonl (csv and parquet with --tidy)", o.format)
	}
	f, err := o.filter.filter()
	if err != nil {
		return err
	}
	return a.withSession(ctx, readDB, func(tax *taxonomy.Taxonomy, db *sqlite.DB) error {
		if err := pipeline.CheckRepos(ctx, db, f.Repos); err != nil {
			return err
		}
		items, err := pipeline.Labelled(ctx, db, tax, o.classifier, f, writeTidy != nil)
		if err != nil {
			return err
		}
		if writeTidy != nil {
			return a.output(o.out, func(w io.Writer) error { return writeTidy(w, tax, items) })
		}
		return a.output(o.out, func(w io.Writer) error { return writeRecords(w, tax, items) })
	})
}

func writeRecords(w io.Writer, tax *taxonomy.Taxonomy, items []bugscope.Classified) error {
	return labelrec.Write(w, tax, pipeline.Records(items))
}
