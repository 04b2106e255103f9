package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
	"github.com/bugscope/bugscope/tidy"
)

func (a *app) exportCmd() *cobra.Command {
	var (
		ff         filterFlags
		format     string
		out        string
		classifier string
		tidyTable  bool
		sx         sampleExport
	)
	c := &cobra.Command{
		Use:   "export",
		Short: "Write stored classifications as label records (JSON Lines)",
		Long: `Export writes one record per classified issue in the label-record format of
the labelling guide (section 6): id (owner/repo#number), one key per
dimension of the taxonomy, and confidence (the classifier's, 0..1). Hand
labels and classifier output are thus the same kind of file, and either can
be given to bugscope eval.

With --sample NAME it writes the sample's benchmark dataset instead: one
record per issue with the final labels (agreed by the raters, settled by the
arbitrator, or a single rater's), the issue's metadata and link, every
rater's own answer and the reasons for leaving issues out, as JSON Lines
(--format jsonl, readable by bugscope eval --gold) or CSV (--format csv).
Beside -o FILE it writes the data card FILE-without-extension.card.md and
.card.json: the population and filters, the sampling parameters and seed,
the strata, the raters and arbitrators, the agreement figures (all issues,
and the second half), the counts of final labels, the date and the taxonomy
version. It refuses while disagreements are open, unless --partial (which
leaves them out and says so in the card).

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
			if sx.sample != "" {
				for _, f := range []string{"repo", "since", "until", "state", "classifier"} {
					if cmd.Flags().Changed(f) {
						return usageError("--%s does not apply with --sample: a sample's dataset is its items", f)
					}
				}
				return a.exportSample(cmd, sx, format, out)
			}
			if sx.partial || len(sx.raters) > 0 || sx.card != "" {
				return usageError("--partial, --raters and --card go with --sample")
			}
			f, err := ff.filter()
			if err != nil {
				return err
			}
			if tidyTable {
				return a.exportTidy(cmd, f, format, classifier, out)
			}
			if format != "jsonl" {
				return usageError("--format %q: want jsonl (csv and parquet with --tidy)", format)
			}
			return a.withSession(cmd, func(tax *taxonomy.Taxonomy, db *sqlite.DB) error {
				_, items, err := classified(cmd.Context(), db, tax, classifier, f)
				if err != nil {
					return err
				}
				return a.output(out, func(w io.Writer) error { return writeRecords(w, tax, items) })
			})
		},
	}
	ff.register(c)
	c.Flags().StringVar(&format, "format", "jsonl", "output format: jsonl (with --sample also csv; with --tidy csv or parquet)")
	c.Flags().BoolVar(&tidyTable, "tidy", false, "a tidy per-issue table for notebooks (--format csv or parquet)")
	outputFlag(c, &out)
	c.Flags().StringVar(&classifier, "classifier", "", "whose labels to export (default: the best available)")
	sx.register(c)
	return c
}

// exportTidy writes the tidy per-issue table (package tidy).
func (a *app) exportTidy(cmd *cobra.Command, f sqlite.IssueFilter, format, classifier, out string) error {
	write := map[string]func(io.Writer, *taxonomy.Taxonomy, []bugscope.Classified) error{"csv": tidy.WriteCSV, "parquet": tidy.WriteParquet}[format]
	if write == nil {
		return usageError("--tidy --format %q: want csv or parquet", format)
	}
	return a.withSession(cmd, func(tax *taxonomy.Taxonomy, db *sqlite.DB) error {
		cls, err := pipeline.PickClassifier(cmd.Context(), db, tax.Name, classifier)
		if err != nil {
			return err
		}
		items, err := db.Classified(cmd.Context(), sqlite.ClassifiedFilter{IssueFilter: f, Taxonomy: tax.Name, Classifier: cls, WithSignals: true})
		if err != nil {
			return err
		}
		return a.output(out, func(w io.Writer) error { return write(w, tax, items) })
	})
}

func writeRecords(w io.Writer, tax *taxonomy.Taxonomy, items []bugscope.Classified) error {
	return labelrec.Write(w, tax, pipeline.Records(items))
}
