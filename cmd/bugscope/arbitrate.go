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

type arbitrateOptions struct {
	sample, rater string
	raters        []string
	from          string
	list          bool
	json          jsonFlags
}

func (a *app) arbitrateCmd() *cobra.Command {
	var o arbitrateOptions
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
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runArbitrate(cmd, o) },
	}
	c.Flags().StringVar(&o.sample, "sample", "", "the sample")
	c.Flags().StringVar(&o.rater, "rater", "", "the arbitrator's name, stored with every decision")
	c.Flags().StringSliceVar(&o.raters, "raters", nil, "settle the disagreements of these raters only (default: all)")
	c.Flags().StringVar(&o.from, "from", "", "read the decisions from this label-record file")
	c.Flags().BoolVar(&o.list, "list", false, "list the disagreements and whether they are settled")
	o.json.register(c, "the disagreements (--list) or the counts")
	return c
}

func (a *app) runArbitrate(cmd *cobra.Command, o arbitrateOptions) error {
	ctx := cmd.Context()
	if o.rater == "" && !o.list {
		return usageError("--rater NAME (the arbitrator) is required")
	}
	if o.rater != "" {
		if err := checkName("--rater", o.rater); err != nil {
			return err
		}
	}
	mode := writeDB
	if o.list {
		mode = readDB
	}
	return a.withStudy(cmd, mode, o.sample, func(svc *study.Service) error {
		switch {
		case o.list:
			cases, err := svc.Cases(ctx, o.sample, o.raters)
			if err != nil {
				return err
			}
			if o.json.enabled() {
				return a.printJSON(o.json, nonNilSlice(cases))
			}
			writeCases(a, cases)
			return nil
		case o.from != "":
			recs, err := labelrec.ReadFile(o.from, svc.Tax)
			if err != nil {
				return err
			}
			decisions, err := study.AnswersFromRecords(o.from, recs)
			if err != nil {
				return err
			}
			res, err := svc.Arbitrate(ctx, o.sample, o.rater, decisions, study.SourceImport(filepath.Base(o.from)))
			if err != nil {
				return fmt.Errorf("%s: %w", o.from, err)
			}
			if o.json.enabled() {
				return a.printJSON(o.json, res)
			}
			fmt.Fprintf(a.stdout, "%s: %d decisions of %s stored in sample %q, %d unchanged\n", o.from, res.Saved, o.rater, o.sample, res.Unchanged)
			return a.reportOpen(cmd, svc, o.sample, o.raters)
		}
		in, out, ok := a.terminal()
		if !ok {
			return usageError("arbitrate needs a terminal; without one, decide from a file with --from FILE (see --list for the disagreements)")
		}
		m, err := tui.NewArbiter(ctx, svc, tui.ArbitrateOptions{Sample: o.sample, Arbitrator: o.rater, Raters: o.raters})
		if errors.Is(err, tui.ErrNothingToArbitrate) {
			a.logf("sample %q: %v", o.sample, err)
			return nil
		}
		if err != nil {
			return err
		}
		if err := runInterface(ctx, m, in, out); err != nil {
			return err
		}
		decided, total := m.Progress()
		fmt.Fprintf(a.stderr, "%s: %d decisions stored this session; %d of %d disagreements settled in sample %q\n", o.rater, m.Saved(), decided, total, o.sample)
		if m.Interrupted() {
			return errInterrupted
		}
		return nil
	})
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
