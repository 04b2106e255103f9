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
	)
	c := &cobra.Command{
		Use:   "export",
		Short: "Write stored classifications as label records (JSON Lines)",
		Long: `Export writes one record per classified issue in the label-record format of
the labelling guide (section 6): id (owner/repo#number), one key per
dimension of the taxonomy, and confidence (the classifier's, 0..1). Hand
labels and classifier output are thus the same kind of file, and either can
be given to bugscope eval.`,
		Example: `  bugscope export --format jsonl -o rules.jsonl
  bugscope export --classifier rules --repo ggml-org/llama.cpp`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "jsonl" {
				return usageError("--format %q: want jsonl", format)
			}
			f, err := ff.filter()
			if err != nil {
				return err
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
			cls, err := pipeline.PickClassifier(cmd.Context(), db, tax.Name, classifier)
			if err != nil {
				return err
			}
			items, err := db.Classified(cmd.Context(), sqlite.ClassifiedFilter{IssueFilter: f, Taxonomy: tax.Name, Classifier: cls})
			if err != nil {
				return err
			}
			return writeTo(out, a.stdout, func(w io.Writer) error { return writeRecords(w, tax, items) })
		},
	}
	ff.register(c)
	c.Flags().StringVar(&format, "format", "jsonl", "output format: jsonl")
	c.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of standard output")
	c.Flags().StringVar(&classifier, "classifier", "", "whose labels to export (default: the best available)")
	return c
}

func writeRecords(w io.Writer, tax *taxonomy.Taxonomy, items []bugscope.Classified) error {
	return labelrec.Write(w, tax, pipeline.Records(items))
}
