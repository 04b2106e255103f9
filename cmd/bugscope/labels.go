package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
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
	}
	c.AddCommand(a.labelsImportCmd(), a.labelsExportCmd())
	return c
}

func (a *app) labelsImportCmd() *cobra.Command {
	var (
		sample, rater string
		skipOutside   bool
		asJSON        bool
	)
	c := &cobra.Command{
		Use:   "import FILE.jsonl --sample NAME --rater NAME",
		Short: "Store a file of label records as one rater's answers on a sample",
		Long: `Labels import reads label records and stores them as the answers of one
rater on the issues of a sample, all or none: a malformed line, an unknown
value or an issue outside the sample (unless --skip-outside) stores nothing
and names the file, line or issue. Each answer is stored with the rater, the
time and the file it came from; an answer equal to the rater's latest on
that issue is not stored again, so importing a file twice changes nothing.

A classifier's export (bugscope export) imports like a rater's file: its
numeric confidence is kept as it is.`,
		Example: `  bugscope labels import alice.jsonl --sample engines-2025 --rater alice
  bugscope export --classifier rules -o rules.jsonl
  bugscope labels import rules.jsonl --sample dev --rater rules --skip-outside`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRater(rater); err != nil {
				return err
			}
			return a.withStudy(cmd, sample, func(svc *study.Service) error {
				file := args[0]
				recs, err := labelrec.ReadFile(file, svc.Tax)
				if err != nil {
					return badInput(err)
				}
				sm, err := svc.Load(cmd.Context(), sample)
				if err != nil {
					return err
				}
				in := map[bugscope.IssueRef]bool{}
				for _, it := range sm.Items {
					in[it.Issue] = true
				}
				var answers []study.Answer
				var outside []string
				for _, r := range recs {
					if !in[r.Issue] {
						outside = append(outside, r.Issue.String())
						continue
					}
					ans, err := recordToAnswer(r)
					if err != nil {
						return badInput(fmt.Errorf("%s: %s: %w", file, r.Issue, err))
					}
					answers = append(answers, ans)
				}
				if len(outside) > 0 && !skipOutside {
					shown := outside
					if len(shown) > 10 {
						shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(outside)-10))
					}
					return badInput(fmt.Errorf("%s: %d records are for issues outside sample %q (%s); --skip-outside leaves them out",
						file, len(outside), sample, strings.Join(shown, ", ")))
				}
				res, err := svc.Annotate(cmd.Context(), sample, rater, answers, study.SourceImport(filepath.Base(file)))
				if err != nil {
					return badInput(fmt.Errorf("%s: %w", file, err))
				}
				out := struct {
					File    string `json:"file"`
					Sample  string `json:"sample"`
					Rater   string `json:"rater"`
					Records int    `json:"records"`
					study.SaveResult
					Outside int `json:"outside_skipped"`
				}{file, sample, rater, len(recs), res, len(outside)}
				if asJSON {
					return a.printJSON(out)
				}
				fmt.Fprintf(a.stdout, "%s: %d answers of %s stored in sample %q, %d unchanged", file, res.Saved, rater, sample, res.Unchanged)
				if len(outside) > 0 {
					fmt.Fprintf(a.stdout, ", %d records outside the sample skipped", len(outside))
				}
				fmt.Fprintln(a.stdout)
				return nil
			})
		},
	}
	c.Flags().StringVar(&sample, "sample", "", "the sample the labels are for")
	c.Flags().StringVar(&rater, "rater", "", "whose labels these are")
	c.Flags().BoolVar(&skipOutside, "skip-outside", false, "leave out records for issues that are not in the sample")
	c.Flags().BoolVar(&asJSON, "json", false, "print the counts as JSON")
	return c
}

// recordToAnswer turns a label record into an answer; the extra key
// x_excluded makes it an exclusion.
func recordToAnswer(r labelrec.Record) (study.Answer, error) {
	a := study.Answer{Issue: r.Issue, Labels: r.Labels, Confidence: r.Confidence, Note: r.Note}
	if raw, ok := r.Extra["x_excluded"]; ok {
		var reason string
		if err := json.Unmarshal(raw, &reason); err != nil || strings.TrimSpace(reason) == "" {
			return a, fmt.Errorf("x_excluded: want the reason as a non-empty string, got %s", raw)
		}
		if len(r.Labels) > 0 {
			return a, fmt.Errorf("an excluded issue (x_excluded) carries no labels")
		}
		a.ExcludeReason = reason
	}
	return a, nil
}

func (a *app) labelsExportCmd() *cobra.Command {
	var (
		sample, rater, out string
	)
	c := &cobra.Command{
		Use:   "export --sample NAME --rater NAME [-o FILE]",
		Short: "Write a rater's latest answers on a sample as label records",
		Example: `  bugscope labels export --sample engines-2025 --rater alice -o alice.jsonl
  bugscope eval --gold alice.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rater == "" {
				return usageError("--rater NAME is required")
			}
			return a.withStudy(cmd, sample, func(svc *study.Service) error {
				anns, err := svc.DB.Annotations(cmd.Context(), sample, sqlite.AnnotationQuery{Rater: rater})
				if err != nil {
					return err
				}
				if len(anns) == 0 {
					return fmt.Errorf("rater %q has no answers in sample %q: %w", rater, sample, bugscope.ErrNotFound)
				}
				return a.output(out, func(w io.Writer) error { return writeRaterAnswers(w, svc.Tax, anns) })
			})
		},
	}
	c.Flags().StringVar(&sample, "sample", "", "the sample")
	c.Flags().StringVar(&rater, "rater", "", "whose answers")
	outputFlag(c, &out)
	return c
}

func writeRaterAnswers(w io.Writer, tax *taxonomy.Taxonomy, anns []sqlite.Annotation) error {
	recs := make([]labelrec.Record, 0, len(anns))
	for _, x := range anns {
		r := labelrec.Record{Issue: x.Issue, Labels: x.Labels, Confidence: x.Confidence, Note: x.Note,
			Extra: map[string]json.RawMessage{}}
		rb, _ := json.Marshal(x.Rater)
		r.Extra["rater"] = rb
		if x.ExcludeReason != "" {
			b, _ := json.Marshal(x.ExcludeReason)
			r.Extra["x_excluded"] = b
			r.Labels = bugscope.Labels{}
		}
		recs = append(recs, r)
	}
	return labelrec.Write(w, tax, recs)
}
