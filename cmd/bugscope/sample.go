package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

func (a *app) sampleCmd() *cobra.Command {
	var (
		ff         filterFlags
		name       string
		kinds      []string
		classifier string
		query      string
		confidence float64
		margin     float64
		size       int
		seed       uint64
		stratify   string
		fromLabels string
		ids        string
		replace    bool
		dryRun     bool
		asJSON     bool
	)
	c := &cobra.Command{
		Use:   "sample --name NAME [filters] [--confidence 0.95 --margin 0.05 | --size N] [--seed N]",
		Short: "Draw a random sample of issues for annotation, stratified by repository",
		Long: `Sample draws a named random sample of the stored issues for the raters to
label, and stores it in the database. It is the first step of the study
workflow: sample, annotate (or labels import), agreement, arbitrate, export.

The population is every stored issue (pull requests never) that passes the
filters: --repo, --label (GitHub labels, any of them), --state (the source
study kept closed issues only), --since/--until (opening date), --kind (the
kind the current classification gives; --classifier picks whose), and
--query (words that must all occur in the title or the body; "quoted
phrases"; -word excludes; substring match ignoring ASCII case).

Each repository is a stratum with its own simple random sample, sized by
Cochran's formula for --confidence and --margin with the finite-population
correction, n = n0 / (1 + (n0 - 1) / N) with n0 = z² p (1 - p) / e² and
p = 0.5, rounded up (303 of 1,416 issues at 95% and 5%), or a fixed --size
per stratum. --stratify none draws from the whole population at once.

The draw is reproducible: candidates are sorted by (repository, number)
and shuffled by a PCG generator seeded with --seed and the stratum's name.
Without --seed a random seed is chosen and printed. Each stratum's draw is
split into two random halves (half 1 to settle the codebook, half 2 to
measure agreement, as in the source study); raters see half 1 first.

--from-labels FILE makes the sample of the issues of a label-record file
(e.g. existing hand labels), --ids FILE of a list of owner/repo#number
lines, in their order.

Subcommands: sample list, sample show NAME, sample delete NAME.`,
		Example: `  bugscope sample --name engines-2025 --state closed --label bug --seed 20250601
  bugscope sample --name perf --query '"tokens/s" -docs' --size 50 --seed 7
  bugscope sample --name oom --kind bug --query "out of memory" --confidence 0.9 --margin 0.1 --dry-run
  bugscope sample --name dev --from-labels gold/dev.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return usageError("--name NAME is required (or use sample list / sample show NAME)")
			}
			if err := checkName("--name", name); err != nil {
				return err
			}
			explicit := fromLabels != "" || ids != ""
			if fromLabels != "" && ids != "" {
				return usageError("--from-labels and --ids are alternatives")
			}
			if explicit && (len(ff.repos) > 0 || len(ff.labels) > 0 || ff.since != "" || ff.until != "" || ff.state != "" ||
				len(kinds) > 0 || query != "" || cmd.Flags().Changed("size") || cmd.Flags().Changed("confidence") || cmd.Flags().Changed("margin")) {
				return usageError("--from-labels and --ids take the listed issues as they are; filters and sizes do not apply")
			}
			if size > 0 && (cmd.Flags().Changed("confidence") || cmd.Flags().Changed("margin")) {
				return usageError("--size fixes the size: --confidence and --margin do not apply")
			}
			if size < 0 {
				return usageError("--size %d: want a positive number", size)
			}
			if err := study.CheckLevels(confidence, margin); err != nil {
				return usageError("%v", err)
			}
			return a.withSession(cmd, func(tax *taxonomy.Taxonomy, db *sqlite.DB) error {
				svc := a.studyService(db, tax)
				var sm *study.Sample
				if explicit {
					refs, origin, err := readRefList(fromLabels, ids, tax)
					if err != nil {
						return err
					}
					if sm, err = svc.FromRefs(name, refs, origin); err != nil {
						return badInput(err)
					}
				} else {
					f, err := ff.filter()
					if err != nil {
						return err
					}
					if !cmd.Flags().Changed("seed") {
						seed = randomSeed()
					}
					d := study.Design{Name: name, Confidence: confidence, Margin: margin, Size: size, Seed: seed, Stratify: stratify,
						Filter: study.Filter{Repos: f.Repos, Labels: f.Labels, State: f.State, Since: f.Since, Until: f.Until,
							Kinds: kinds, Classifier: classifier, Query: query}}
					if sm, err = svc.Draft(cmd.Context(), d); err != nil {
						return sampleError(err)
					}
				}
				if sm.Size() == 0 {
					return fmt.Errorf("the population is empty: no stored issue passes the filters")
				}
				if !dryRun {
					if err := svc.Save(cmd.Context(), sm, replace); err != nil {
						if errors.Is(err, sqlite.ErrSampleExists) {
							return usageError("%v: choose another --name, or --replace it while it has no annotations", err)
						}
						return err
					}
				}
				if asJSON {
					return a.printJSON(struct {
						*study.Sample
						DryRun bool `json:"dry_run"`
					}{sm, dryRun})
				}
				a.writeSample(sm, dryRun, !dryRun)
				return nil
			})
		},
	}
	ff.register(c)
	c.Flags().StringSliceVar(&ff.labels, "label", nil, "only issues with one of these GitHub labels (repeat or comma-separate)")
	c.Flags().StringVar(&name, "name", "", "name of the sample")
	c.Flags().StringSliceVar(&kinds, "kind", nil, "only issues whose current classification has one of these kinds (e.g. bug)")
	c.Flags().StringVar(&classifier, "classifier", "", "whose classification --kind reads (default: the best available)")
	c.Flags().StringVar(&query, "query", "", `words that must occur in the title or body ("phrase", -word excludes)`)
	c.Flags().Float64Var(&confidence, "confidence", study.DefaultConfidence, "confidence level of Cochran's formula")
	c.Flags().Float64Var(&margin, "margin", study.DefaultMargin, "margin of error (confidence interval half-width) of Cochran's formula")
	c.Flags().IntVar(&size, "size", 0, "draw this many issues per stratum instead of Cochran's size")
	c.Flags().Uint64Var(&seed, "seed", 0, "seed of the random draw (default: a random seed, printed)")
	c.Flags().StringVar(&stratify, "stratify", study.StratifyRepo, "strata: repo (one per repository) or none")
	c.Flags().StringVar(&fromLabels, "from-labels", "", "make the sample of the issues of this label-record file")
	c.Flags().StringVar(&ids, "ids", "", "make the sample of the owner/repo#number lines of this file")
	c.Flags().BoolVar(&replace, "replace", false, "replace a sample of the same name that has no annotations yet")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print the sizes and the draw without storing the sample")
	c.Flags().BoolVar(&asJSON, "json", false, "print the sample as JSON (strata, parameters, items)")
	c.AddCommand(a.sampleListCmd(), a.sampleShowCmd(), a.sampleDeleteCmd())
	return c
}

// sampleError maps the study package's design errors to usage errors.
func sampleError(err error) error {
	if errors.Is(err, bugscope.ErrNotFound) {
		return err
	}
	msg := err.Error()
	for _, bad := range []string{"confidence", "margin", "size", "stratify", "state", "kind", "query", "sample", "repository"} {
		if strings.HasPrefix(msg, bad) {
			return usageError("%v", err)
		}
	}
	return err
}

func randomSeed() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 1
	}
	// Keep it short enough to type back.
	return binary.LittleEndian.Uint64(b[:]) % 1_000_000_000
}

// readRefList reads the issues of a label-record file or of a list of
// owner/repo#number lines (blank lines and lines starting with # skipped).
func readRefList(labels, ids string, tax *taxonomy.Taxonomy) ([]bugscope.IssueRef, string, error) {
	if labels != "" {
		recs, err := labelrec.ReadFile(labels, tax)
		if err != nil {
			return nil, "", badInput(err)
		}
		refs := make([]bugscope.IssueRef, len(recs))
		for i, r := range recs {
			refs[i] = r.Issue
		}
		return refs, labels, nil
	}
	f, err := os.Open(ids)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	var refs []bugscope.IssueRef
	var errs []error
	sc := bufio.NewScanner(io.LimitReader(f, 64<<20))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		r, err := bugscope.ParseIssueRef(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", ids, line, err))
			continue
		}
		refs = append(refs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, "", fmt.Errorf("%s: %w", ids, err)
	}
	if len(errs) > 0 {
		return nil, "", badInput(errors.Join(errs...))
	}
	return refs, ids, nil
}

// writeSample prints a sample's strata: population, the formula's result
// and the drawn size.
func (a *app) writeSample(sm *study.Sample, dryRun, hint bool) {
	w := a.stdout
	p := sm.Params
	verb := "stored"
	if dryRun {
		verb = "would draw (dry run, nothing stored)"
	}
	fmt.Fprintf(w, "sample %q %s: %d issues from a population of %d, taxonomy %s %s\n", sm.Name, verb, sm.Size(), p.Population, sm.Taxonomy, sm.TaxonomyVersion)
	switch sm.Method {
	case study.MethodCochran:
		fmt.Fprintf(w, "size per stratum: Cochran's formula, %g%% confidence, %g%% margin, p = %g: n0 = %.2f, n = n0 / (1 + (n0 - 1) / N), rounded up\n",
			p.Confidence*100, p.Margin*100, p.Proportion, p.N0)
	case study.MethodFixed:
		fmt.Fprintf(w, "size per stratum: fixed at %d\n", p.Size)
	case study.MethodExplicit:
		fmt.Fprintf(w, "issues listed in %s, in their order\n", p.Origin)
	}
	if sm.Method != study.MethodExplicit {
		fmt.Fprintf(w, "seed %d (--seed %d draws the same sample from the same issues); strata: %s\n", p.Seed, p.Seed, p.Stratify)
		if p.ClassifierUsed != "" {
			fmt.Fprintf(w, "kinds read from the classifier %s\n", p.ClassifierUsed)
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	halves := map[string][2]int{}
	for _, it := range sm.Items {
		h := halves[it.Stratum]
		h[it.Half-1]++
		halves[it.Stratum] = h
	}
	names := []string{"stratum", "total"}
	for _, st := range p.Strata {
		names = append(names, st.Name)
	}
	names = padCells(names)
	fmt.Fprintf(tw, "%s\tpopulation\tformula\tsize\tdrawn\thalf 1\thalf 2\t\n", names[0])
	for i, st := range p.Strata {
		formula := "-"
		if sm.Method == study.MethodCochran {
			formula = fmt.Sprintf("%.2f", st.Formula)
		}
		h := halves[st.Name]
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%d\t\n", names[i+2], st.Population, formula, st.Required, st.Drawn, h[0], h[1])
	}
	fmt.Fprintf(tw, "%s\t%d\t\t\t%d\t\t\t\n", names[1], p.Population, sm.Size())
	tw.Flush()
	if hint {
		fmt.Fprintf(w, "\nnext: bugscope annotate --sample %s --rater NAME   (or: bugscope labels import FILE --sample %s --rater NAME)\n", sm.Name, sm.Name)
	}
}

func (a *app) sampleListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the samples with their progress",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withDB(cmd, func(db *sqlite.DB) error {
				list, err := db.Samples(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					if list == nil {
						list = []sqlite.SampleSummary{}
					}
					return a.printJSON(list)
				}
				if len(list) == 0 {
					fmt.Fprintln(a.stdout, "no samples; draw one with bugscope sample --name NAME")
					return nil
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "name\ttaxonomy\tmethod\titems\tanswered per rater\tarbitrated\tcreated")
				for _, s := range list {
					var raters []string
					for _, r := range sortedKeys(s.Raters) {
						raters = append(raters, fmt.Sprintf("%s %d", r, s.Raters[r]))
					}
					fmt.Fprintf(tw, "%s\t%s %s\t%s\t%d\t%s\t%d\t%s\n", s.Name, s.Taxonomy, s.TaxonomyVersion, s.Method, s.Items,
						orDash(strings.Join(raters, ", ")), s.Arbitrated, s.CreatedAt.Format("2006-01-02"))
				}
				return tw.Flush()
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}

func (a *app) sampleShowCmd() *cobra.Command {
	var (
		asJSON bool
		items  bool
	)
	c := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a sample: how it was drawn, its strata and, with --items, its issues",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStudy(cmd, args[0], func(svc *study.Service) error {
				sm, err := svc.Load(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if asJSON {
					if !items {
						sm.Items = nil
					}
					return a.printJSON(sm)
				}
				a.writeSample(sm, false, false)
				if items {
					answered, err := progressByItem(cmd.Context(), svc, sm.Name)
					if err != nil {
						return err
					}
					fmt.Fprintln(a.stdout)
					tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(tw, "position\tissue\tstratum\thalf\tanswered by")
					for _, it := range sm.Items {
						fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", it.Position, it.Issue, it.Stratum, it.Half, orDash(strings.Join(answered[it.Issue], ", ")))
					}
					return tw.Flush()
				}
				return nil
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	c.Flags().BoolVar(&items, "items", false, "list the issues too")
	return c
}

func progressByItem(ctx context.Context, svc *study.Service, sample string) (map[bugscope.IssueRef][]string, error) {
	anns, err := svc.DB.Annotations(ctx, sample, sqlite.AnnotationQuery{})
	if err != nil {
		return nil, err
	}
	out := map[bugscope.IssueRef][]string{}
	for _, a := range anns {
		out[a.Issue] = append(out[a.Issue], a.Rater)
	}
	return out, nil
}

func (a *app) sampleDeleteCmd() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a sample (with --force also its annotations and decisions)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDB(cmd, func(db *sqlite.DB) error {
				list, err := db.Samples(cmd.Context())
				if err != nil {
					return err
				}
				for _, s := range list {
					if s.Name != args[0] {
						continue
					}
					n := 0
					for _, k := range s.Raters {
						n += k
					}
					if n > 0 && !force {
						return usageError("sample %q has answers from %d raters; --force deletes them with it", s.Name, len(s.Raters))
					}
				}
				if err := db.DeleteSample(cmd.Context(), args[0]); err != nil {
					return err
				}
				a.logf("deleted sample %q", args[0])
				return nil
			})
		},
	}
	c.Flags().BoolVar(&force, "force", false, "delete even if raters have answered")
	return c
}

// padCells pads strings to one width, so that a right-aligned table
// column reads left-aligned.
func padCells(ss []string) []string {
	w := 0
	for _, s := range ss {
		w = max(w, len([]rune(s)))
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s + strings.Repeat(" ", w-len([]rune(s)))
	}
	return out
}
