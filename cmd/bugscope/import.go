package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
)

func (a *app) importCmd() *cobra.Command {
	var repo string
	var asJSON bool
	c := &cobra.Command{
		Use:   "import FILE...",
		Short: "Store GitHub issues from JSON dumps",
		Long: `Import reads issue dumps in GitHub REST shape and stores them.

A file may hold a JSON array of issue objects, an object with an "issues"
array, or JSON Lines. Labels may be strings or label objects. The repository
comes from repository_url, html_url or url, else from --repo. Objects with a
pull_request field are stored as pull requests and left out of statistics.

Every file is read before anything is stored: a malformed file fails the
import with its name, line and byte offset, and the database stays as it was.
Each file is then stored in one transaction. Re-importing never duplicates:
an issue is replaced only by a version that is not older (updated_at). The
same rule picks between two copies of an issue inside one file; the
summary counts such duplicates.`,
		Example: `  bugscope import vllm-issues.json llama.cpp-issues.json
  bugscope import --repo sgl-project/sglang dump.jsonl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if repo != "" {
				if err := bugscope.ValidateRepo(repo); err != nil {
					return usageError("--repo: %v", err)
				}
			}
			return a.withDB(cmd, func(db *sqlite.DB) error {
				var bar *progressbar.ProgressBar
				results, err := pipeline.Import(cmd.Context(), db, files, pipeline.ImportOptions{
					Repo: repo,
					Progress: func(file string, done, total int) {
						if done == 1 {
							bar = a.progressBar(total, "storing "+file)
						}
						if bar != nil {
							bar.Set(done)
						}
					},
				})
				if err != nil {
					return err
				}
				if asJSON {
					return a.printJSON(results)
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
				fmt.Fprintln(tw, "file\tissues\tpull requests\tnew\tupdated\tunchanged\tolder (kept stored)\tduplicates in file\t")
				for _, r := range results {
					fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", r.File, r.Issues, r.PullRequests, r.Inserted, r.Updated, r.Unchanged, r.Stale, r.Duplicates)
				}
				return tw.Flush()
			})
		},
	}
	c.Flags().StringVar(&repo, "repo", "", "repository (owner/name) of objects that do not name theirs")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}
