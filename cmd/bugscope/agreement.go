package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/study"
)

// subsetFlags are the flags that restrict agreement to part of a sample.
type subsetFlags struct {
	half   int
	strata []string
	items  []string
}

func (f *subsetFlags) register(c *cobra.Command) {
	c.Flags().IntVar(&f.half, "half", 0, "only half 1 or half 2 of the sample (the source study measured agreement on the second)")
	c.Flags().StringSliceVar(&f.strata, "stratum", nil, "only these strata (repositories)")
	c.Flags().StringSliceVar(&f.items, "issue", nil, "only these issues (owner/repo#number; repeat or comma-separate)")
}

func (f *subsetFlags) subset() (study.Subset, error) {
	sub := study.Subset{Half: f.half, Strata: f.strata}
	if f.half < 0 || f.half > 2 {
		return sub, usageError("--half %d: want 1 or 2", f.half)
	}
	for _, s := range f.items {
		r, err := issueArg("--issue", s)
		if err != nil {
			return sub, err
		}
		sub.Items = append(sub.Items, r)
	}
	return sub, nil
}

type agreementOptions struct {
	sample        string
	raters        []string
	subset        subsetFlags
	disagreements bool
	detail        bool
	resamples     int
	json          jsonFlags
}

func (a *app) agreementCmd() *cobra.Command {
	var o agreementOptions
	c := &cobra.Command{
		Use:   "agreement --sample NAME",
		Short: "Inter-rater agreement on a sample: kappa, alpha, intervals, disagreements",
		Long: `Agreement measures how far the raters of a sample agree, dimension by
dimension, over the issues every rater labelled:

  - raw agreement: the share of issues on which all raters give the same
    value (for a multi-valued dimension such as patterns, the same set);
  - two raters: Cohen's kappa (quadratic-weighted for ordinal dimensions
    such as severity; for a multi-valued dimension the mean of the per-value
    yes/no kappas), computed exactly as bugscope eval does, the first rater
    standing where eval has the gold labels: a dimension that applies only
    to bugs is scored on the first rater's bugs;
  - three raters or more: Fleiss' kappa;
  - Krippendorff's alpha (ordinal for ordinal dimensions), which leaves
    missing answers out instead of dropping the issue;
  - 95% percentile bootstrap intervals (1,000 resamples, seeded);
  - how far the raters agree on leaving issues out.

--raters chooses and orders the raters (default: all, in the order of their
first answer). --half 2 restricts it to the second half of the sample, as
the source study measured agreement after settling its codebook on the
first; --stratum and --issue restrict it further. --disagreements lists
every issue and dimension on which the raters differ; --detail prints the
confusion matrices (two raters).`,
		Example: `  bugscope agreement --sample engines-2025
  bugscope agreement --sample engines-2025 --half 2 --disagreements
  bugscope agreement --sample dev --raters gold,rules --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAgreement(cmd, o) },
	}
	c.Flags().StringVar(&o.sample, "sample", "", "the sample")
	c.Flags().StringSliceVar(&o.raters, "raters", nil, "the raters to compare, in order (default: all)")
	o.subset.register(c)
	c.Flags().BoolVar(&o.disagreements, "disagreements", false, "list every disagreement")
	c.Flags().BoolVar(&o.detail, "detail", false, "confusion matrices and per-class figures (two raters)")
	c.Flags().IntVar(&o.resamples, "resamples", 0, "bootstrap resamples for the intervals (default 1000; -1 for none)")
	o.json.register(c, "every figure")
	return c
}

func (a *app) runAgreement(cmd *cobra.Command, o agreementOptions) error {
	sub, err := o.subset.subset()
	if err != nil {
		return err
	}
	return a.withStudy(cmd, readDB, o.sample, func(svc *study.Service) error {
		ag, err := svc.Agreement(cmd.Context(), o.sample, study.AgreementOptions{Raters: o.raters, Subset: sub,
			Bootstrap: metrics.BootstrapOptions{Resamples: o.resamples}})
		if err != nil {
			return err
		}
		if o.json.enabled() {
			if !o.detail {
				ag.Comparison = nil
			}
			return a.printJSON(o.json, ag)
		}
		writeAgreement(a.stdout, ag)
		if o.detail && ag.Comparison != nil {
			fmt.Fprintln(a.stdout)
			if err := ag.Comparison.WriteText(a.stdout); err != nil {
				return err
			}
		}
		if o.disagreements {
			fmt.Fprintln(a.stdout)
			writeAgreementDisagreements(a.stdout, ag)
		} else if len(ag.Disagreements) > 0 {
			fmt.Fprintf(a.stdout, "\n%d disagreements (--disagreements lists them; bugscope arbitrate settles them)\n", len(ag.Disagreements))
		}
		return nil
	})
}

func writeAgreement(w io.Writer, ag *study.Agreement) {
	fmt.Fprintf(w, "agreement in sample %q, %s (taxonomy %s %s): raters %s\n", ag.Sample, ag.Subset, ag.Taxonomy, ag.TaxonomyVersion, strings.Join(ag.Raters, ", "))
	var ans []string
	for _, r := range ag.Raters {
		ans = append(ans, fmt.Sprintf("%s %d", r, ag.Answered[r]))
	}
	fmt.Fprintf(w, "%d issues; answered: %s; %d answered by every rater, %d labelled by every rater\n",
		ag.Items, strings.Join(ans, ", "), ag.Common, ag.Scored)
	inc := ag.Inclusion
	var ex []string
	for _, r := range ag.Raters {
		ex = append(ex, fmt.Sprintf("%s %d", r, inc.Excluded[r]))
	}
	fmt.Fprintf(w, "leaving issues out: raw agreement %s, %s %s (left out: %s)\n\n", inc.Raw, inclusionMeasure(inc.Measure), inc.Kappa, strings.Join(ex, ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "dimension\tscope\tn\traw\tkappa\t\t95% CI\talpha\t\tunits\t95% CI")
	for _, d := range ag.Dimensions {
		name := d.Dimension
		if d.Level == metrics.LevelGroup {
			name += "/group"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", name, d.Scope, d.N, d.Raw, d.Kappa, agreementMark(d.Measure),
			agreementCI(d.KappaCI), d.Alpha, alphaLevelShort(d.AlphaLevel), d.AlphaN, agreementCI(d.AlphaCI))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nkappa: c Cohen's, q quadratic-weighted Cohen's, m mean per-value Cohen's, f Fleiss', fm mean per-value Fleiss'")
	fmt.Fprintln(w, "alpha: Krippendorff's (nom nominal, ord ordinal); units: issues with two values or more")
}

func agreementMark(m string) string {
	switch m {
	case metrics.KappaCohen:
		return "c"
	case metrics.KappaQuadratic:
		return "q"
	case metrics.KappaMeanPerLabel:
		return "m"
	case study.MeasureFleiss:
		return "f"
	case study.MeasureFleissMeanPerLabel:
		return "fm"
	}
	return m
}

func inclusionMeasure(m string) string {
	switch m {
	case metrics.KappaCohen:
		return "Cohen's kappa"
	case study.MeasureFleiss:
		return "Fleiss' kappa"
	}
	return m
}

func alphaLevelShort(l string) string {
	switch l {
	case "nominal":
		return "nom"
	case "ordinal":
		return "ord"
	}
	return l
}

func agreementCI(iv metrics.CI) string {
	if !iv.Defined() {
		return "n/a"
	}
	return "[" + iv.Lo.String() + ", " + iv.Hi.String() + "]"
}

func writeAgreementDisagreements(w io.Writer, ag *study.Agreement) {
	if len(ag.Disagreements) == 0 {
		fmt.Fprintln(w, "no disagreements")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "issue\tdimension\t%s\n", strings.Join(ag.Raters, "\t"))
	for _, d := range ag.Disagreements {
		var vals []string
		for _, r := range ag.Raters {
			v, ok := d.Values[r]
			switch {
			case !ok:
				vals = append(vals, "(no answer)")
			case len(v) == 0:
				vals = append(vals, "-")
			default:
				vals = append(vals, printable(strings.Join(v, ",")))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Item, d.Dimension, strings.Join(vals, "\t"))
	}
	tw.Flush()
}
