package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
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

Each file is read and stored in one pass, inside one transaction, so that
files of any size import in bounded memory: a malformed file fails the
import with its name, line, column, byte offset and field (exit 3), and
the transaction is rolled back: the database stays as it was (a new one
is not left behind). A missing file exits 4 before anything is stored. Re-importing never duplicates: an
issue is replaced only by a version that is not older (updated_at). The
same rule picks between two copies of an issue inside one file; the
summary counts such duplicates.`,
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
	var barFile string
	opt := pipeline.ImportOptions{
		Repo: o.repo,
		ProgressBytes: func(file string, done, total int64) {
			if file != barFile {
				barFile = file
				if bar != nil {
					bar.Finish()
				}
				bar = a.progressBar(int(min(total, 1<<31-1)), "storing "+file)
			}
			if bar != nil {
				bar.Set64(done)
			}
		},
	}
	if err := pipeline.CheckFiles(o.files); err != nil {
		return err
	}
	_, statErr := os.Stat(a.dbPath)
	isNew := errors.Is(statErr, fs.ErrNotExist)
	var results []pipeline.FileResult
	err := a.withDB(ctx, createDB, func(db *sqlite.DB) error {
		var err error
		results, err = pipeline.ImportFiles(ctx, db, o.files, opt)
		return err
	})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		if isNew {
			// Nothing was stored: leave no new database behind.
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(a.dbPath + suffix)
			}
		}
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
}
