package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

func (a *app) exportCmd() *cobra.Command {
	var (
		ff         filterFlags
		format     string
		out        string
		classifier string
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
leaves them out and says so in the card).`,
		Example: `  bugscope export --format jsonl -o rules.jsonl
  bugscope export --classifier rules --repo ggml-org/llama.cpp
  bugscope export --sample engines-2025 -o engines-2025.jsonl
  bugscope export --sample engines-2025 --format csv -o engines-2025.csv`,
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
			if format != "jsonl" {
				return usageError("--format %q: want jsonl", format)
			}
			f, err := ff.filter()
			if err != nil {
				return err
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
	c.Flags().StringVar(&format, "format", "jsonl", "output format: jsonl (with --sample also csv)")
	outputFlag(c, &out)
	c.Flags().StringVar(&classifier, "classifier", "", "whose labels to export (default: the best available)")
	sx.register(c)
	return c
}

func writeRecords(w io.Writer, tax *taxonomy.Taxonomy, items []bugscope.Classified) error {
	return labelrec.Write(w, tax, pipeline.Records(items))
}
