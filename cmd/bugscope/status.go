package main

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/sqlite"
)

func (a *app) statusCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status",
		Short: "Summarise what the database holds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withDB(cmd, func(db *sqlite.DB) error {
				c, err := db.Counts(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					return a.printJSON(c)
				}
				fmt.Fprintf(a.stdout, "%s: %d issues, %d pull requests\n", db.Path(), c.Issues, c.PullRequests)
				for _, r := range sortedKeys(c.IssuesByRepo) {
					fmt.Fprintf(a.stdout, "  %-40s %6d\n", r, c.IssuesByRepo[r])
				}
				if len(c.Classifications) > 0 {
					fmt.Fprintln(a.stdout, "classifications (taxonomy/classifier):")
					for _, k := range sortedKeys(c.Classifications) {
						fmt.Fprintf(a.stdout, "  %-40s %6d\n", k, c.Classifications[k])
					}
				}
				return nil
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortStrings(s []string) { sort.Strings(s) }
