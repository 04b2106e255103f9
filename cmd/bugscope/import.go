package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
)

type importOptions struct {
	files []string
	repo  string
	json  jsonFlags
}

func (a *app) importCmd() *cobra.Command {
	var o importOptions
	c := &cobra.Command{
		Use:   "import FILE...",
		Short: "Store GitHub issues from JSON dumps",
		Long: `Import reads issue dumps in GitHub REST shape and stores them.

A file may hold a JSON array of issue objects, an object with an "issues"
array, or JSON Lines. Labels may be strings or label objects. The repository
comes from repository_url, html_url or url, else from --repo. Objects with a
pull_request field are stored as pull requests and left out of statistics.

Every file is read before anything is stored: a malformed file fails the
import with its name, line and byte offset (exit 3), a missing one exits 4,
and the database stays as it was (a new one is not created). Each file is
then stored in one transaction. Re-importing never duplicates: an issue is
replaced only by a version that is not older (updated_at). The same rule
picks between two copies of an issue inside one file; the summary counts
such duplicates.`,
		Example: `  bugscope import vllm-issues.json llama.cpp-issues.json
  bugscope import --repo sgl-project/sglang dump.jsonl
  bugscope import --jq '.[] | [.file, .inserted] | @tsv' dump.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			o.files = files
			return a.runImport(cmd.Context(), o)
		},
	}
	c.Flags().StringVar(&o.repo, "repo", "", "repository (owner/name) of objects that do not name theirs")
	o.json.register(c, "the result")
	return c
}

func (a *app) runImport(ctx context.Context, o importOptions) error {
	if o.repo != "" {
		if err := bugscope.ValidateRepo(o.repo); err != nil {
			return usageError("--repo: %v", err)
		}
	}
	var bar *progressbar.ProgressBar
	opt := pipeline.ImportOptions{
		Repo: o.repo,
		Progress: func(file string, done, total int) {
			if done == 1 {
				bar = a.progressBar(total, "storing "+file)
			}
			if bar != nil {
				bar.Set(done)
			}
		},
	}
	dumps, err := pipeline.ReadDumps(o.files, opt)
	if err != nil {
		return err
	}
	return a.withDB(ctx, createDB, func(db *sqlite.DB) error {
		results, err := pipeline.StoreDumps(ctx, db, dumps, opt)
		if err != nil {
			return err
		}
		if o.json.enabled() {
			return a.printJSON(o.json, results)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "file\tissues\tpull requests\tnew\tupdated\tunchanged\tolder (kept stored)\tduplicates in file\t")
		for _, r := range results {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", printable(r.File), r.Issues, r.PullRequests, r.Inserted, r.Updated, r.Unchanged, r.Stale, r.Duplicates)
		}
		return tw.Flush()
	})
}
