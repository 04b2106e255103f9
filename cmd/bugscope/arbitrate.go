package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/tui"
)

func (a *app) arbitrateCmd() *cobra.Command {
	var (
		sample, rater string
		raters        []string
		from          string
		list          bool
		asJSON        bool
	)
	c := &cobra.Command{
		Use:   "arbitrate --sample NAME --rater NAME [--from FILE.jsonl]",
		Short: "Settle the raters' disagreements, interactively or from a file",
		Long: `Arbitrate settles every issue of a sample on which the raters disagree
(on any dimension, or on leaving it out). --rater names the arbitrator.

Interactively it shows one disagreement at a time: the issue, each rater's
answer with the disputed dimensions highlighted, and a decision that starts
from what they agree on; t takes one rater's whole answer, 1-9 set a value
(the list shows who chose what), x leaves the issue out with a reason, enter
stores the decision and moves to the next open one.

--from FILE reads the decisions as label records instead (an x_excluded
extra key leaves an issue out). A decision labels every dimension that
applies. It records the answers it settled: if a rater changes an answer
later, the decision is flagged stale. --list prints the disagreements and
their state without deciding anything.

The final labels of the sample are then the arbitrator's decision where
there is one, the raters' common answer where they agree, and the single
rater's answer where only one answered (bugscope export writes them with
their provenance).`,
		Example: `  bugscope arbitrate --sample engines-2025 --rater carol
  bugscope arbitrate --sample engines-2025 --rater carol --list
  bugscope arbitrate --sample engines-2025 --rater carol --from decisions.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rater == "" && !list {
				return usageError("--rater NAME (the arbitrator) is required")
			}
			if rater != "" {
				if err := checkName("--rater", rater); err != nil {
					return err
				}
			}
			return a.withStudy(cmd, sample, func(svc *study.Service) error {
				ctx := cmd.Context()
				switch {
				case list:
					cases, err := svc.Cases(ctx, sample, raters)
					if err != nil {
						return err
					}
					if asJSON {
						if cases == nil {
							cases = []study.Case{}
						}
						return a.printJSON(cases)
					}
					writeCases(a, cases)
					return nil
				case from != "":
					recs, err := labelrec.ReadFile(from, svc.Tax)
					if err != nil {
						return badInput(err)
					}
					var decisions []study.Answer
					for _, r := range recs {
						d, err := recordToAnswer(r)
						if err != nil {
							return badInput(fmt.Errorf("%s: %s: %w", from, r.Issue, err))
						}
						decisions = append(decisions, d)
					}
					res, err := svc.Arbitrate(ctx, sample, rater, decisions, study.SourceImport(filepath.Base(from)))
					if err != nil {
						return badInput(fmt.Errorf("%s: %w", from, err))
					}
					if asJSON {
						return a.printJSON(res)
					}
					fmt.Fprintf(a.stdout, "%s: %d decisions of %s stored in sample %q, %d unchanged\n", from, res.Saved, rater, sample, res.Unchanged)
					return a.reportOpen(cmd, svc, sample, raters)
				}
				in, out, ok := a.terminal()
				if !ok {
					return usageError("arbitrate needs a terminal; without one, decide from a file with --from FILE (see --list for the disagreements)")
				}
				m, err := tui.NewArbiter(ctx, svc, tui.ArbitrateOptions{Sample: sample, Arbitrator: rater, Raters: raters})
				if errors.Is(err, tui.ErrNothingToArbitrate) {
					a.logf("sample %q: %v", sample, err)
					return nil
				}
				if err != nil {
					return err
				}
				if err := runInterface(ctx, m, in, out); err != nil {
					return err
				}
				decided, total := m.Progress()
				fmt.Fprintf(a.stderr, "%s: %d decisions stored this session; %d of %d disagreements settled in sample %q\n", rater, m.Saved(), decided, total, sample)
				return nil
			})
		},
	}
	c.Flags().StringVar(&sample, "sample", "", "the sample")
	c.Flags().StringVar(&rater, "rater", "", "the arbitrator's name, stored with every decision")
	c.Flags().StringSliceVar(&raters, "raters", nil, "settle the disagreements of these raters only (default: all)")
	c.Flags().StringVar(&from, "from", "", "read the decisions from this label-record file")
	c.Flags().BoolVar(&list, "list", false, "list the disagreements and whether they are settled")
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}

// reportOpen says how many disagreements are still open.
func (a *app) reportOpen(cmd *cobra.Command, svc *study.Service, sample string, raters []string) error {
	cases, err := svc.Cases(cmd.Context(), sample, raters)
	if err != nil {
		return err
	}
	open := 0
	for _, c := range cases {
		if c.Decision == nil || c.Stale {
			open++
		}
	}
	fmt.Fprintf(a.stdout, "%d of %d disagreements settled", len(cases)-open, len(cases))
	if open > 0 {
		fmt.Fprintf(a.stdout, "; %d open (--list shows them)", open)
	}
	fmt.Fprintln(a.stdout)
	return nil
}

func writeCases(a *app, cases []study.Case) {
	if len(cases) == 0 {
		fmt.Fprintln(a.stdout, "no disagreements")
		return
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "position\tissue\tdiffer on\tanswers\tdecision")
	open := 0
	for _, c := range cases {
		var ans []string
		for _, r := range c.Raters {
			x := c.Answers[r]
			if x.ExcludeReason != "" {
				ans = append(ans, r+": left out")
				continue
			}
			var vals []string
			for _, d := range c.Disagreements {
				if d != study.ExclusionDimension {
					vals = append(vals, orDash(strings.Join(x.Labels[d], ",")))
				}
			}
			ans = append(ans, r+": "+strings.Join(vals, " "))
		}
		state := "open"
		switch {
		case c.Decision != nil && c.Stale:
			state = "stale (by " + c.Decision.Arbitrator + ")"
			open++
		case c.Decision != nil:
			state = "by " + c.Decision.Arbitrator
		default:
			open++
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", c.Item.Position, c.Item.Issue, strings.Join(c.Disagreements, ","), printable(strings.Join(ans, "; ")), state)
	}
	tw.Flush()
	fmt.Fprintf(a.stdout, "\n%d disagreements, %d open\n", len(cases), open)
}
