package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/sqlite"
)

type statusOptions struct{ json jsonFlags }

func (a *app) statusCmd() *cobra.Command {
	var o statusOptions
	c := &cobra.Command{
		Use:   "status",
		Short: "Summarise what the database holds",
		Long: `Status summarises what the database holds: issues and pull requests per
repository, and classifications per taxonomy and classifier. It only reads:
without a database at --db it fails (exit 4) rather than create one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runStatus(cmd.Context(), o) },
	}
	o.json.register(c, "the counts")
	return c
}

func (a *app) runStatus(ctx context.Context, o statusOptions) error {
	return a.withDB(ctx, readDB, func(db *sqlite.DB) error {
		c, err := db.Counts(ctx)
		if err != nil {
			return err
		}
		if o.json.enabled() {
			return a.printJSON(o.json, c)
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

type migrateOptions struct{ json jsonFlags }

func (a *app) migrateCmd() *cobra.Command {
	var o migrateOptions
	c := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database to this bugscope's schema",
		Long: `Migrate applies the schema migrations a database made by an older bugscope
lacks. Commands that write do it themselves; commands that only read refuse
a database that needs it (exit 6) and name this command. A database made by
a newer bugscope is refused by all (exit 6).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runMigrate(cmd.Context(), o) },
	}
	o.json.register(c, "the schema versions")
	return c
}

func (a *app) runMigrate(ctx context.Context, o migrateOptions) error {
	before, after, err := sqlite.Migrate(ctx, a.dbPath)
	if err != nil {
		return err
	}
	if o.json.enabled() {
		return a.printJSON(o.json, struct {
			Database string `json:"database"`
			Before   int64  `json:"schema_before"`
			After    int64  `json:"schema_after"`
		}{a.dbPath, before, after})
	}
	if before == after {
		fmt.Fprintf(a.stdout, "%s: schema version %d, nothing to do\n", a.dbPath, after)
	} else {
		fmt.Fprintf(a.stdout, "%s: schema version %d migrated to %d\n", a.dbPath, before, after)
	}
	return nil
}

func latestSchema() int64 { return sqlite.LatestSchema() }
