package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/safetext"
	"github.com/bugscope/bugscope/sqlite"
)

type showOptions struct {
	issue string
	body  bool
	json  jsonFlags
}

func (a *app) showCmd() *cobra.Command {
	var o showOptions
	c := &cobra.Command{
		Use:   "show owner/repo#N | URL",
		Short: "Show one issue with its classifications, evidence and signals",
		Example: `  bugscope show vllm-project/vllm#188
  bugscope show https://github.com/ggml-org/llama.cpp/issues/8660 --body
  bugscope show vllm-project/vllm#188 --jq '.classifications[].labels.kind'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.issue = args[0]
			return a.runShow(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.body, "body", false, "include the issue body")
	o.json.register(c, "the issue, its classifications and signals")
	return c
}

// shown is what show prints with --json.
type shown struct {
	Issue           bugscope.Issue            `json:"issue"`
	Classifications []bugscope.Classification `json:"classifications"`
	Signals         []bugscope.Signal         `json:"signals"`
}

func (a *app) runShow(ctx context.Context, o showOptions) error {
	ref, err := issueArg("", o.issue)
	if err != nil {
		return err
	}
	return a.withDB(ctx, readDB, func(db *sqlite.DB) error {
		is, err := db.Issue(ctx, ref)
		if err != nil {
			return err
		}
		cls, err := db.ClassificationsOf(ctx, ref)
		if err != nil {
			return err
		}
		sigs, err := db.Signals(ctx, ref)
		if err != nil {
			return err
		}
		if o.json.enabled() {
			if !o.body {
				is.Body = ""
			}
			return a.printJSON(o.json, shown{is, nonNilSlice(cls), nonNilSlice(sigs)})
		}
		a.writeIssue(is, cls, sigs, o.body)
		return nil
	})
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// writeIssue prints an issue for a person. The text is a stranger's: it is
// printed as data, with control characters (terminal escapes) removed.
func (a *app) writeIssue(is bugscope.Issue, cls []bugscope.Classification, sigs []bugscope.Signal, body bool) {
	w := a.stdout
	kind := "issue"
	if is.IsPullRequest {
		kind = "pull request"
	}
	fmt.Fprintf(w, "%s  %s\n%s\n", is.Ref(), printable(is.Title), printable(is.URL))
	fmt.Fprintf(w, "%s, state %s", kind, orDash(is.State))
	if is.CreatedAt != nil {
		fmt.Fprintf(w, ", opened %s", is.CreatedAt.Format("2006-01-02"))
	}
	if is.ClosedAt != nil {
		fmt.Fprintf(w, ", closed %s", is.ClosedAt.Format("2006-01-02"))
	}
	fmt.Fprintf(w, ", %d comments, %d reactions, %s\n", is.Comments, is.Reactions, printable(association(is.AuthorAssociation)))
	if len(is.Labels) > 0 {
		fmt.Fprintf(w, "labels: %s\n", printable(strings.Join(is.Labels, ", ")))
	}
	for _, c := range cls {
		fmt.Fprintf(w, "\n%s %s in %s %s — confidence %.2f\n", printable(c.Classifier), printable(c.ClassifierVersion), printable(c.Taxonomy), printable(c.TaxonomyVersion), c.Confidence)
		if c.Stale {
			fmt.Fprintln(w, "  STALE: made from text the issue no longer has (an import changed it since); bugscope classify labels it again")
		}
		for _, dim := range sortedDims(c.Labels) {
			conf := ""
			if v, ok := c.DimConfidence[dim]; ok {
				conf = fmt.Sprintf("  (%.2f)", v)
			}
			fmt.Fprintf(w, "  %-12s %s%s\n", printable(dim), printable(strings.Join(c.Labels[dim], ", ")), conf)
		}
		if len(c.Evidence) > 0 {
			fmt.Fprintln(w, "  evidence:")
			for _, e := range c.Evidence {
				fmt.Fprintf(w, "    %s\n", printable(e.String()))
				if e.Line != "" && e.Line != e.Match {
					fmt.Fprintf(w, "      > %s\n", printable(e.Line))
				}
			}
		}
	}
	if len(sigs) > 0 {
		fmt.Fprintln(w, "\nsignals:")
		for _, s := range sigs {
			fmt.Fprintf(w, "  %-16s %s  (%s, byte %d)\n", s.Kind, printable(s.Value), s.Field, s.Offset)
		}
	}
	if body {
		fmt.Fprintf(w, "\n%s\n", printableBody(is.Body))
	}
}

func sortedDims(l bugscope.Labels) []string {
	order := []string{"kind", "category", "symptom", "root_cause", "severity", "patterns"}
	var out []string
	seen := map[string]bool{}
	for _, d := range order {
		if _, ok := l[d]; ok {
			out = append(out, d)
			seen[d] = true
		}
	}
	var rest []string
	for d := range l {
		if !seen[d] {
			rest = append(rest, d)
		}
	}
	sortStrings(rest)
	return append(out, rest...)
}

// association words GitHub's author_association for people: "author
// member", "no association" for NONE.
func association(a string) string {
	switch a = strings.ToLower(a); a {
	case "":
		return "association not recorded"
	case "none":
		return "no association"
	case "first_time_contributor", "first_timer":
		return "author first-time contributor"
	}
	return "author " + strings.ReplaceAll(a, "_", " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printable makes untrusted text safe for the terminal, on one line.
func printable(s string) string { return safetext.Line(s) }

// printableBody is printable but keeps line breaks and tabs.
func printableBody(s string) string { return safetext.Text(s) }
