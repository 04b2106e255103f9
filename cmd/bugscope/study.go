package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/chart"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

func (a *app) studyCmd() *cobra.Command {
	var (
		outDir string
		repos  []string
		title  string
		rules  string
		sf     syncFlags
		noSync bool
	)
	c := &cobra.Command{
		Use:   "study [FILE...] [--repo owner/name]... [--preset NAME]",
		Short: "The main job: mine or import issues, classify them, write the report",
		Long: `Study runs the whole pipeline: it mines the repositories named by --repo
and --preset from GitHub (as bugscope sync does, incrementally) and imports
the issue dumps given as files, classifies every stored issue of the
taxonomy with the rule classifier (extracting signals), and writes the
report of the whole database into the output folder as report.md,
report.json and report.csv, with the labels as labels.jsonl and the
charts in charts/ (SVG and PNG). It prints where.

With files, a single --repo is also the repository of objects that do not
name theirs. --no-sync imports, classifies and reports without mining
(offline). The sync flags (--since, --comments, --max-requests, ...) are
those of bugscope sync.`,
		Example: `  bugscope study --preset engines -o out/
  bugscope study --repo vllm-project/vllm --repo sgl-project/sglang --since 2025-01-01
  bugscope study vllm-issues.json llama.cpp-issues.json sglang-issues.json -o out/
  bugscope study dump.json --repo acme/engine --no-sync`,
		RunE: func(cmd *cobra.Command, files []string) error {
			ctx := cmd.Context()
			toMine, err := sf.repos(repos)
			if err != nil {
				return err
			}
			if len(files) == 0 && len(toMine) == 0 {
				return usageError("name issue dumps (FILE...) or repositories to mine (--repo, --preset)")
			}
			repo := ""
			if len(files) > 0 && len(repos) == 1 {
				repo = repos[0]
			} else if len(files) > 0 && len(repos) > 1 {
				return usageError("with files, give at most one --repo (the repository of objects that do not name theirs)")
			}
			if noSync {
				toMine = nil
			}
			opt, err := sf.options(toMine)
			if err != nil {
				return err
			}
			tax, rs, err := a.taxonomyAndRules(rules)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return err
			}
			return a.withDB(cmd, func(db *sqlite.DB) error {
				if len(toMine) > 0 {
					res, err := a.sync(ctx, db, &sf, opt)
					if err != nil {
						return err
					}
					for _, r := range res.Repos {
						a.logf("mined %s: %d listed (%d new, %d updated), %d fixed issues, %d requests", r.Repo, r.Listed, r.Inserted, r.Updated, r.FixedIssues, r.Requests)
					}
					if !res.Complete {
						a.logf("the sync stopped before the end (budget or limit); the study covers what is stored, and the same command continues the sync")
					}
				}
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
				return a.writeStudy(ctx, db, tax, outDir, title)
			})
		},
	}
	c.Flags().StringVarP(&outDir, "output", "o", "out", "output folder")
	c.Flags().StringSliceVar(&repos, "repo", nil, "repository to mine (owner/name; repeat or comma-separate); with files, the repository of objects that do not name theirs")
	c.Flags().BoolVar(&noSync, "no-sync", false, "do not mine GitHub: import, classify and report only")
	sf.register(c)
	c.Flags().StringVar(&title, "title", "", "report title")
	rulesFlag(c, &rules)
	return c
}

// writeStudy writes the report of the rules' classifications and their
// labels into dir, and prints the paths.
func (a *app) writeStudy(ctx context.Context, db *sqlite.DB, tax *taxonomy.Taxonomy, dir, title string) error {
	r, err := pipeline.BuildReport(ctx, db, tax, pipeline.ReportOptions{Classifier: classify.Name, Title: title, Now: a.now()})
	if err != nil {
		return err
	}
	charts, err := chart.Write(dir, r)
	if err != nil {
		return err
	}
	r.Charts = charts
	labels := func(w io.Writer) error {
		items, err := db.Classified(ctx, sqlite.ClassifiedFilter{Taxonomy: tax.Name, Classifier: classify.Name})
		if err != nil {
			return err
		}
		return writeRecords(w, tax, items)
	}
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"report.md", func(w io.Writer) error { return r.Write(w, "markdown") }},
		{"report.json", func(w io.Writer) error { return r.Write(w, "json") }},
		{"report.csv", func(w io.Writer) error { return r.Write(w, "csv") }},
		{"labels.jsonl", labels},
	} {
		path := filepath.Join(dir, f.name)
		if err := writeTo(path, nil, f.write); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, path)
	}
	return nil
}
