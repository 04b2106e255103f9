package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/study"
)

func (a *app) labelsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "labels",
		Short: "Import or export a rater's labels on a sample (label records, JSON Lines)",
		Long: `Labels moves a rater's answers between label-record files (the labelling
guide's section 6: one JSON object per line with id, one key per dimension,
confidence and note) and a sample: labels import stores a file as one
rater's answers, labels export writes a rater's latest answers.

A record with the extra key x_excluded (a string) is an exclusion with that
reason and carries no labels; that is also how bugscope export writes the
issues left out.`,
		Args: cobra.ArbitraryArgs,
		RunE: groupRun,
	}
	c.AddCommand(a.labelsImportCmd(), a.labelsExportCmd())
	return c
}

type labelsImportOptions struct {
	file, sample, rater string
	skipOutside         bool
	json                jsonFlags
}

func (a *app) labelsImportCmd() *cobra.Command {
	var o labelsImportOptions
	c := &cobra.Command{
		Use:   "import FILE.jsonl --sample NAME --rater NAME",
		Short: "Store a file of label records as one rater's answers on a sample",
		Long: `Labels import reads label records and stores them as the answers of one
rater on the issues of a sample, all or none: a malformed line, an unknown
value or an issue outside the sample (unless --skip-outside) stores nothing
and names the file, line or issue (exit 3). Each answer is stored with the
rater, the time and the file it came from; an answer equal to the rater's
latest on that issue is not stored again, so importing a file twice changes
nothing.

A classifier's export (bugscope export) imports like a rater's file: its
numeric confidence is kept as it is.`,
		Example: `  bugscope labels import alice.jsonl --sample engines-2025 --rater alice
  bugscope export --classifier rules -o rules.jsonl
  bugscope labels import rules.jsonl --sample dev --rater rules --skip-outside`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.file = args[0]
			return a.runLabelsImport(cmd, o)
		},
	}
	c.Flags().StringVar(&o.sample, "sample", "", "the sample the labels are for")
	c.Flags().StringVar(&o.rater, "rater", "", "whose labels these are")
	c.Flags().BoolVar(&o.skipOutside, "skip-outside", false, "leave out records for issues that are not in the sample")
	o.json.register(c, "the counts")
	return c
}

func (a *app) runLabelsImport(cmd *cobra.Command, o labelsImportOptions) error {
	if err := checkRater(o.rater); err != nil {
		return err
	}
	return a.withStudy(cmd, writeDB, o.sample, func(svc *study.Service) error {
		recs, err := labelrec.ReadFile(o.file, svc.Tax)
		if err != nil {
			return err
		}
		res, err := svc.ImportAnswers(cmd.Context(), o.sample, o.rater, o.file, recs, o.skipOutside)
		if err != nil {
			return err
		}
		if o.json.enabled() {
			return a.printJSON(o.json, res)
		}
		fmt.Fprintf(a.stdout, "%s: %d answers of %s stored in sample %q, %d unchanged", o.file, res.Saved, o.rater, o.sample, res.Unchanged)
		if res.Outside > 0 {
			fmt.Fprintf(a.stdout, ", %d records outside the sample skipped", res.Outside)
		}
		fmt.Fprintln(a.stdout)
		return nil
	})
}

type labelsExportOptions struct {
	sample, rater, out string
}

func (a *app) labelsExportCmd() *cobra.Command {
	var o labelsExportOptions
	c := &cobra.Command{
		Use:   "export --sample NAME --rater NAME [-o FILE]",
		Short: "Write a rater's latest answers on a sample as label records",
		Example: `  bugscope labels export --sample engines-2025 --rater alice -o alice.jsonl
  bugscope eval --gold alice.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runLabelsExport(cmd, o) },
	}
	c.Flags().StringVar(&o.sample, "sample", "", "the sample")
	c.Flags().StringVar(&o.rater, "rater", "", "whose answers")
	outputFlag(c, &o.out)
	return c
}

func (a *app) runLabelsExport(cmd *cobra.Command, o labelsExportOptions) error {
	if o.rater == "" {
		return usageError("--rater NAME is required")
	}
	return a.withStudy(cmd, readDB, o.sample, func(svc *study.Service) error {
		anns, err := svc.Store.Annotations(cmd.Context(), o.sample, study.AnnotationQuery{Rater: o.rater})
		if err != nil {
			return err
		}
		if len(anns) == 0 {
			return fmt.Errorf("rater %q has no answers in sample %q: %w", o.rater, o.sample, bugscope.ErrNotFound)
		}
		return a.output(o.out, func(w io.Writer) error { return labelrec.Write(w, svc.Tax, study.RecordsOfAnswers(anns)) })
	})
}
