package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
)

func (a *app) studyCmd() *cobra.Command {
	var (
		outDir string
		repo   string
		title  string
		rules  string
	)
	c := &cobra.Command{
		Use:   "study FILE...",
		Short: "The main job: import issues, classify them, write the report",
		Long: `Study runs the whole pipeline: it imports the issue dumps, classifies every
stored issue of the taxonomy with the rule classifier (extracting signals),
and writes the report into the output folder as report.md, report.json and
report.csv, with the labels as labels.jsonl. It prints where.`,
		Example: `  bugscope study vllm-issues.json llama.cpp-issues.json sglang-issues.json -o study/`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			ctx := cmd.Context()
			if repo != "" {
				if err := bugscope.ValidateRepo(repo); err != nil {
					return usageError("--repo: %v", err)
				}
			}
			tax, err := a.loadTaxonomy()
			if err != nil {
				return err
			}
			rs, err := loadRules(tax, rules)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return err
			}
			db, err := a.openDB(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			results, err := pipeline.Import(ctx, db, files, pipeline.ImportOptions{Repo: repo})
			if err != nil {
				return err
			}
			for _, r := range results {
				a.logf("imported %s: %d issues, %d pull requests (%d new, %d updated)", r.File, r.Issues, r.PullRequests, r.Inserted, r.Updated)
			}
			st, err := pipeline.Classify(ctx, db, tax, classify.New(rs), pipeline.ClassifyOptions{})
			if err != nil {
				return err
			}
			a.logf("classified %d issues in %s", st.Issues, st.Duration.Round(1e6))
			r, err := pipeline.BuildReport(ctx, db, tax, pipeline.ReportOptions{Classifier: classify.Name, Title: title, Now: a.now()})
			if err != nil {
				return err
			}
			for _, f := range []struct{ name, format string }{{"report.md", "markdown"}, {"report.json", "json"}, {"report.csv", "csv"}} {
				path := filepath.Join(outDir, f.name)
				if err := writeTo(path, nil, func(w io.Writer) error { return r.Write(w, f.format) }); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, path)
			}
			items, err := db.Classified(ctx, sqlite.ClassifiedFilter{Taxonomy: tax.Name, Classifier: classify.Name})
			if err != nil {
				return err
			}
			path := filepath.Join(outDir, "labels.jsonl")
			if err := writeTo(path, nil, func(w io.Writer) error { return writeRecords(w, tax, items) }); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, path)
			return nil
		},
	}
	c.Flags().StringVarP(&outDir, "output", "o", "study", "output folder")
	c.Flags().StringVar(&repo, "repo", "", "repository (owner/name) of objects that do not name theirs")
	c.Flags().StringVar(&title, "title", "", "report title")
	c.Flags().StringVar(&rules, "rules", "", "rule file (YAML) instead of the taxonomy's built-in rules")
	return c
}
