package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/github"
	bhttp "github.com/bugscope/bugscope/http"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
	"github.com/bugscope/bugscope/triage"
)

type triageOptions struct {
	issues     []string
	fresh      bool
	repos      []string
	config     string
	reclassify bool
	json       jsonFlags
}

func (a *app) triageCmd() *cobra.Command {
	var o triageOptions
	c := &cobra.Command{
		Use:   "triage [owner/repo#N | URL]... | --new [--repo R]",
		Short: "Propose labels with evidence and similar past issues, for maintainers",
		Long: `Triage proposes, for each issue, its kind, category, root cause, severity and
patterns with their confidence and the evidence quoted from the issue; the
similar past issues (the same normalized error signature, then a rare
exception in common, then similar titles), with their state and the pull
requests that fixed them where known, likely duplicates marked; and what
the configuration (--config, default: that of 'bugscope triage init') does
with each mapped label in the repository's mode. Decisions are stored: the
dashboard shows them. Nothing is sent to GitHub from here: the webhook
('bugscope serve --triage CONFIG.yaml') applies labels in apply mode.

--new triages the issues stored or updated since the last 'triage --new'
(of --repo, or of every repository), all of them the first time.

Subcommands: init (the commented default configuration), check (the
go-live gate on hand labels), status (the gate, precision in use, the
webhook's queue), feedback (maintainers' label changes as label records).`,
		Example: `  bugscope triage vllm-project/vllm#1234
  bugscope triage https://github.com/ggml-org/llama.cpp/issues/8660 --json
  bugscope triage --new --repo sgl-project/sglang --config triage.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.issues = args
			return a.runTriage(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.fresh, "new", false, "triage the issues stored or updated since the last triage --new")
	c.Flags().StringSliceVar(&o.repos, "repo", nil, "with --new: only these repositories")
	c.Flags().StringVar(&o.config, "config", "", "triage configuration (YAML; default: the built-in one, shadow mode)")
	c.Flags().BoolVar(&o.reclassify, "reclassify", false, "run the classifiers on the issues again first")
	o.json.register(c, "the decisions")
	c.AddCommand(a.triageInitCmd(), a.triageCheckCmd(), a.triageStatusCmd(), a.triageFeedbackCmd())
	return c
}

// triageConfig loads --taxonomy and the triage configuration (--config,
// or the built-in default), before any database is opened.
func (a *app) triageConfig(path string) (*taxonomy.Taxonomy, *triage.Config, error) {
	tax, err := a.loadTaxonomy()
	if err != nil {
		return nil, nil, err
	}
	cfg, err := loadTriageConfig(path, tax)
	return tax, cfg, err
}

// loadTriageConfig reads --config, or the built-in default.
func loadTriageConfig(path string, tax *taxonomy.Taxonomy) (*triage.Config, error) {
	if path == "" {
		return triage.ParseConfig(triage.DefaultConfig(), "the built-in configuration", tax)
	}
	return triage.LoadConfig(path, tax)
}

// triageService sets up triage on db: the configuration, and the
// classifiers classify would run (the rules, and the model the database
// remembers).
// It returns the classifier too, for a batch run before many issues.
func (a *app) triageService(ctx context.Context, db *sqlite.DB, tax *taxonomy.Taxonomy, cfg *triage.Config) (*triage.Service, bugscope.Classifier, error) {
	rs, err := loadRules(tax, "")
	if err != nil {
		return nil, nil, err
	}
	cs, err := pipeline.LoadClassifiers(ctx, db, tax, pipeline.ClassifierOptions{Rules: rs})
	if err != nil {
		return nil, nil, err
	}
	for _, n := range cs.Notes {
		a.logf("note: %s", n)
	}
	return &triage.Service{Store: db, Issues: db, Config: cfg, Tax: tax, Now: a.now,
		Classify: pipeline.ClassifyOne(db, tax, cs.Classifier)}, cs.Classifier, nil
}

func (a *app) runTriage(ctx context.Context, o triageOptions) error {
	if o.fresh == (len(o.issues) > 0) {
		return usageError("name issues (owner/repo#N or their addresses) or give --new")
	}
	if len(o.repos) > 0 && !o.fresh {
		return usageError("--repo goes with --new")
	}
	var refs []bugscope.IssueRef
	for _, s := range o.issues {
		r, err := issueArg("", s)
		if err != nil {
			return err
		}
		refs = append(refs, r)
	}
	tax, cfg, err := a.triageConfig(o.config)
	if err != nil {
		return err
	}
	return a.withDB(ctx, writeDB, func(db *sqlite.DB) error {
		svc, classifier, err := a.triageService(ctx, db, tax, cfg)
		if err != nil {
			return err
		}
		svc.CacheSimilar = true
		var repos []string
		if o.fresh {
			if err := pipeline.CheckRepos(ctx, db, o.repos); err != nil {
				return err
			}
			repos = o.repos
			if len(repos) == 0 {
				counts, err := db.CountIssues(ctx, bugscope.IssueFilter{})
				if err != nil {
					return err
				}
				for r := range counts {
					repos = append(repos, r)
				}
				sortStrings(repos)
			}
			for _, r := range repos {
				since, err := db.LastTriageRun(ctx, r)
				if err != nil {
					return err
				}
				changed, err := db.IssuesChangedSince(ctx, r, since)
				if err != nil {
					return err
				}
				refs = append(refs, changed...)
			}
			// One incremental classify run over the repositories labels
			// what is new or changed in batches, rather than issue by
			// issue inside Triage (which then finds the labels current).
			if len(refs) > 0 && !o.reclassify {
				if _, err := pipeline.Classify(ctx, db, tax, classifier, pipeline.ClassifyOptions{Filter: bugscope.IssueFilter{Repos: repos}}); err != nil {
					return err
				}
			}
		}
		start := db.Now() // the clock of the issues' stored_at
		var out []triage.Decision
		for _, ref := range refs {
			d, err := svc.Triage(ctx, ref, triage.TriageOptions{Reclassify: o.reclassify})
			if bugscope.ErrorCode(err) == bugscope.ENotFound && !o.fresh {
				return bugscope.Errorf(bugscope.ENotFound, "%v: import or sync it first", err)
			}
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		for _, r := range repos {
			if err := db.SaveTriageRun(ctx, r, start); err != nil {
				return err
			}
		}
		if o.json.enabled() {
			return a.printJSON(o.json, nonNilSlice(out))
		}
		if o.fresh {
			a.logf("triaged %d issues stored or updated since the last triage --new", len(out))
		}
		for i, d := range out {
			if i > 0 {
				fmt.Fprintln(a.stdout)
			}
			writeDecision(a.stdout, d)
		}
		return nil
	})
}

// writeDecision prints a decision for a person; issue text is printed
// as data.
func writeDecision(w io.Writer, d triage.Decision) {
	fmt.Fprintf(w, "%s  %s\n", d.Issue, clip(d.Title, 100))
	if d.URL != "" {
		fmt.Fprintf(w, "%s\n", printable(d.URL))
	}
	fmt.Fprintf(w, "%s %s, confidence %.2f, mode %s\n", printable(d.Classifier), printable(d.ClassifierVersion), d.Confidence, d.Mode)
	for _, p := range d.Proposed {
		fmt.Fprintf(w, "  %-11s %-24s %.2f\n", p.Dimension, printable(strings.Join(p.Values, ", ")), p.Confidence)
		for _, e := range p.Evidence {
			fmt.Fprintf(w, "      %s\n", clip(evidenceQuote(e), 150))
		}
	}
	if d.Skipped != "" {
		fmt.Fprintf(w, "  skipped: %s\n", printable(d.Skipped))
	}
	if len(d.Labels) > 0 {
		fmt.Fprintln(w, "  labels:")
		for _, l := range d.Labels {
			note := ""
			if l.Note != "" {
				note = " (" + printable(l.Note) + ")"
			}
			fmt.Fprintf(w, "    %-28s %s=%s: %s%s\n", printable(l.Label), l.Dimension, l.Value, l.Status, note)
		}
	}
	if len(d.Similar) == 0 {
		fmt.Fprintln(w, "  similar past issues: none found")
		return
	}
	fmt.Fprintln(w, "  similar past issues:")
	for _, s := range d.Similar {
		extra := ""
		if len(s.FixedBy) > 0 {
			var prs []string
			for _, p := range s.FixedBy {
				prs = append(prs, p.String())
			}
			extra = ", fixed by " + strings.Join(prs, ", ")
		}
		dup := ""
		if s.Duplicate {
			dup = "  LIKELY DUPLICATE"
		}
		fmt.Fprintf(w, "    %s  %s%s  %.2f  %s%s\n      %s\n", s.Issue, orDash(s.State), extra, s.Score, clip(s.Reason, 80), dup, clip(s.Title, 100))
	}
}

// evidenceQuote says what an evidence matched, quoting the issue's line.
func evidenceQuote(e bugscope.Evidence) string {
	switch {
	case e.Note != "":
		return e.Note
	case e.Line != "" && e.Field != "":
		return fmt.Sprintf("%s: %q (rule %s)", e.Field, e.Line, e.Rule)
	}
	return e.String()
}

func (a *app) triageInitCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Print the commented default triage configuration",
		Long: `Init prints the default configuration: every repository in the database, in
shadow mode, with a label map for the default taxonomy. It works as it is:

  bugscope triage init > triage.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := a.stdout.Write(triage.DefaultConfig())
			return err
		},
	}
}

type triageCheckOptions struct {
	gold       []string
	config     string
	classifier string
	json       jsonFlags
}

func (a *app) triageCheckCmd() *cobra.Command {
	var o triageCheckOptions
	c := &cobra.Command{
		Use:   "check --gold FILE.jsonl... [--config CONFIG.yaml]",
		Short: "The go-live gate: measure every mapped label on hand labels",
		Long: `Check measures, per mapped label of each configuration entry, on the hand
labels of --gold (label records) that the classifier labelled: the gold
issues with the label's value (examples), how often the label would be
applied (predicted, and its rate), its precision and recall; a label passes
when its precision reaches gate.min_precision (default 0.80) and it has at
least gate.min_examples gold examples (default 10). The result is stored
with its date: in apply mode only labels that passed the latest check are
applied, the others stay shadow.

Use hand labels the classifier did not learn from (a model trained on them
would be measured on what it memorised).`,
		Example: `  bugscope triage check --gold ../shared/gold/random-300.jsonl --config triage.yaml`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return a.runTriageCheck(cmd.Context(), o) },
	}
	c.Flags().StringSliceVar(&o.gold, "gold", nil, "hand labels (label records, JSON Lines); repeat for several files")
	c.Flags().StringVar(&o.config, "config", "", "triage configuration (default: the built-in one)")
	c.Flags().StringVar(&o.classifier, "classifier", "", "the classifier to measure (default: the configuration's, else the best stored)")
	o.json.register(c, "the check")
	return c
}

func (a *app) runTriageCheck(ctx context.Context, o triageCheckOptions) error {
	if len(o.gold) == 0 {
		return usageError("--gold FILE.jsonl is required")
	}
	tax, cfg, err := a.triageConfig(o.config)
	if err != nil {
		return err
	}
	gold := map[bugscope.IssueRef]bugscope.Labels{}
	for _, f := range o.gold {
		recs, err := labelrec.ReadFile(f, tax)
		if err != nil {
			return err
		}
		for ref, l := range labelrec.LabelMap(recs) {
			gold[ref] = l
		}
	}
	return a.withDB(ctx, writeDB, func(db *sqlite.DB) error {
		have, err := db.Classifiers(ctx, tax.Name)
		if err != nil {
			return err
		}
		name := o.classifier
		if name == "" {
			name = cfg.Classifier
		}
		name, err = bugscope.ChooseClassifier(have, tax.Name, name)
		if err != nil {
			return err
		}
		cls, err := db.Classified(ctx, bugscope.ClassifiedFilter{Taxonomy: tax.Name, Classifier: name})
		if err != nil {
			return err
		}
		// A learned classifier is never measured on the hand labels it
		// learned from (its memorised answers would pass the gate): on its
		// out-of-fold predictions of them, as a report is corrected, or not
		// at all.
		var cross map[bugscope.IssueRef]bugscope.Labels
		if len(cls) > 0 {
			if cross, err = pipeline.GoldIndependent(ctx, db, tax, name, cls[0].Classification.ClassifierVersion, nil, &report.Gold{Labels: gold}); err != nil {
				return err
			}
		}
		pred := map[bugscope.IssueRef]bugscope.Labels{}
		for _, c := range cls {
			if _, ok := gold[c.Issue.Ref()]; ok {
				pred[c.Issue.Ref()] = c.Classification.Labels
			}
		}
		for ref, l := range cross {
			if _, ok := pred[ref]; ok {
				pred[ref] = l
			}
		}
		if len(cross) > 0 {
			a.logf("triage check: %d of the hand labels were used to train the model: measured on its out-of-fold predictions of them", len(cross))
		}
		if len(pred) == 0 {
			return bugscope.Errorf(bugscope.ENotFound, "none of the %d hand-labelled issues is classified by %s: import them and run bugscope classify", len(gold), name)
		}
		res := triage.Check(cfg, pred, gold, strings.Join(o.gold, ", "), a.now())
		if res.ID, err = db.SaveGate(ctx, res); err != nil {
			return err
		}
		if o.json.enabled() {
			return a.printJSON(o.json, gateView(res, name, len(gold)))
		}
		fmt.Fprintf(a.stdout, "go-live check %d of %s on %s: %d hand-labelled issues, %d classified by %s\n", res.ID,
			res.CheckedAt.Format("2006-01-02 15:04"), printable(res.Gold), len(gold), len(pred), name)
		fmt.Fprintf(a.stdout, "bar: precision >= %.2f and at least %d gold examples\n\n", cfg.Gate.MinPrecision, cfg.Gate.MinExamples)
		writeGate(a.stdout, res)
		return nil
	})
}

// gateJSON is what check prints with --json.
type gateJSON struct {
	triage.GateResult
	Classifier string          `json:"classifier"`
	GoldIssues int             `json:"gold_issues"`
	Figures    []gateLabelJSON `json:"figures"`
}

type gateLabelJSON struct {
	triage.GateLabel
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	Rate      float64 `json:"rate"`
}

func gateView(g triage.GateResult, classifier string, gold int) gateJSON {
	out := gateJSON{GateResult: g, Classifier: classifier, GoldIssues: gold, Figures: []gateLabelJSON{}}
	for _, l := range g.Labels {
		out.Figures = append(out.Figures, gateLabelJSON{l, round3(l.Precision()), round3(l.Recall()), round3(l.Rate())})
	}
	out.Labels = nil
	return out
}

func round3(x float64) float64 { return float64(int(x*1000+0.5)) / 1000 }

func writeGate(w io.Writer, g triage.GateResult) {
	fmt.Fprintf(w, "%-14s %-26s %-30s %8s %9s %9s %6s %6s  %s\n", "entry", "label", "value", "examples", "precision", "recall", "rate", "scored", "verdict")
	pass := 0
	for _, l := range g.Labels {
		verdict := "stays shadow"
		if l.Pass {
			verdict = "GO LIVE"
			pass++
		}
		prec := "-"
		if l.Predicted > 0 {
			prec = fmt.Sprintf("%.3f", l.Precision())
		}
		fmt.Fprintf(w, "%-14s %-26s %-30s %8d %9s %9.3f %6.3f %6d  %s\n", clip(l.Entry, 14), clip(l.Label, 26), clip(l.Dimension+"="+l.Value, 30),
			l.Examples, prec, l.Recall(), l.Rate(), l.Scored, verdict)
	}
	fmt.Fprintf(w, "\n%d of %d labels pass the bar and are applied in apply mode; the others stay shadow.\n", pass, len(g.Labels))
}

type triageStatusOptions struct {
	config string
	json   jsonFlags
}

func (a *app) triageStatusCmd() *cobra.Command {
	var o triageStatusOptions
	c := &cobra.Command{
		Use:   "status",
		Short: "The go-live gate, precision in use per label, the webhook's queue",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.runTriageStatus(cmd.Context(), o) },
	}
	c.Flags().StringVar(&o.config, "config", "", "triage configuration (default: the built-in one)")
	o.json.register(c, "the status")
	return c
}

// triageStatus is what triage status prints with --json; the dashboard's
// /triage shows the same.
type triageStatus struct {
	triage.Overview
	Figures    []gateLabelJSON   `json:"gate_figures"`
	InUseShare []inUseJSON       `json:"precision_in_use_figures"`
	Modes      map[string]string `json:"modes"`
	ConfigFrom string            `json:"config"`
}

type inUseJSON struct {
	triage.InUse
	Precision float64 `json:"precision"`
}

func (a *app) runTriageStatus(ctx context.Context, o triageStatusOptions) error {
	_, cfg, err := a.triageConfig(o.config)
	if err != nil {
		return err
	}
	return a.withDB(ctx, readDB, func(db *sqlite.DB) error {
		ov, err := triage.BuildOverview(ctx, db, 0)
		if err != nil {
			return err
		}
		st := triageStatus{Overview: ov, Modes: map[string]string{}, ConfigFrom: cfg.Source, InUseShare: []inUseJSON{}, Figures: []gateLabelJSON{}}
		if ov.Gate != nil {
			st.Figures = gateView(*ov.Gate, "", 0).Figures
		}
		for _, u := range ov.InUse {
			st.InUseShare = append(st.InUseShare, inUseJSON{u, round3(u.Precision())})
		}
		for _, e := range cfg.Entries() {
			r, _ := cfg.Repo(e)
			st.Modes[e] = r.Mode
		}
		if o.json.enabled() {
			return a.printJSON(o.json, st)
		}
		w := a.stdout
		fmt.Fprintf(w, "configuration %s:", printable(cfg.Source))
		for _, e := range cfg.Entries() {
			fmt.Fprintf(w, " %s %s;", printable(e), st.Modes[e])
		}
		fmt.Fprintf(w, "\n%d issues triaged\n\n", ov.Triaged)
		if ov.Gate == nil {
			fmt.Fprintln(w, "go-live check: none yet (bugscope triage check --gold FILE.jsonl); in apply mode no label is applied")
		} else {
			fmt.Fprintf(w, "go-live check %d of %s on %s:\n", ov.Gate.ID, ov.Gate.CheckedAt.Format("2006-01-02 15:04"), printable(ov.Gate.Gold))
			writeGate(w, *ov.Gate)
		}
		fmt.Fprintln(w, "\nprecision in use (labels bugscope applied that maintainers kept):")
		if len(ov.InUse) == 0 {
			fmt.Fprintln(w, "  none applied yet")
		}
		for _, u := range ov.InUse {
			fmt.Fprintf(w, "  %-24s %-26s applied %4d  removed %4d  added by hand %4d  precision %s\n", u.Repo, clip(u.Label, 26), u.Applied, u.Removed, u.Added, ratio(u.Applied-u.Removed, u.Applied))
		}
		q := ov.Queue
		fmt.Fprintf(w, "\nwebhook deliveries: %d pending, %d working, %d done, %d failed\n", q[triage.DeliveryPending], q[triage.DeliveryWorking], q[triage.DeliveryDone], q[triage.DeliveryFailed])
		return nil
	})
}

func ratio(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(a)/float64(b))
}

type triageFeedbackOptions struct {
	output string
	repos  []string
}

func (a *app) triageFeedbackCmd() *cobra.Command {
	var o triageFeedbackOptions
	c := &cobra.Command{
		Use:   "feedback [-o FILE.jsonl]",
		Short: "Maintainers' label changes as label records of rater maintainers (for train --gold)",
		Long: `Feedback writes, for every issue whose mapped labels a maintainer changed
(removed a label bugscope applied, or added one by hand), one label record:
bugscope's labels of the issue corrected by the maintainers' changes, with
rater "maintainers". 'bugscope train --gold FILE.jsonl' takes the file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runTriageFeedback(cmd.Context(), o) },
	}
	outputFlag(c, &o.output)
	c.Flags().StringSliceVar(&o.repos, "repo", nil, "only these repositories")
	return c
}

func (a *app) runTriageFeedback(ctx context.Context, o triageFeedbackOptions) error {
	tax, err := a.loadTaxonomy()
	if err != nil {
		return err
	}
	return a.withDB(ctx, readDB, func(db *sqlite.DB) error {
		fb, err := db.Feedback(ctx, o.repos)
		if err != nil {
			return err
		}
		decs, err := db.Decisions(ctx, o.repos, 0)
		if err != nil {
			return err
		}
		byRef := map[bugscope.IssueRef]triage.Decision{}
		for _, d := range decs {
			byRef[d.Issue] = d
		}
		recs, skipped := triage.MaintainerRecords(tax, byRef, fb)
		for i := range recs {
			recs[i].Extra = map[string]json.RawMessage{"rater": json.RawMessage(`"` + triage.Rater + `"`)}
		}
		if skipped > 0 {
			a.logf("note: %d issues left out: their corrected labels do not hold together (a kind removed with nothing in its place)", skipped)
		}
		a.logf("%d label records of rater %s", len(recs), triage.Rater)
		return a.output(o.output, func(w io.Writer) error { return labelrec.Write(w, tax, recs) })
	})
}

// triageGitHub builds the GitHub client triage applies labels with: a
// GitHub App (config github.app_id, installation_id, private_key_file)
// or a token (GITHUB_TOKEN, GH_TOKEN). ok is false without either.
func triageGitHub(cfg *triage.Config) (c *github.Client, how string, err error) {
	opt := github.Options{BaseURL: cfg.GitHub.APIURL}
	if opt.BaseURL == "" {
		opt.BaseURL = os.Getenv("GITHUB_API_URL")
	}
	switch {
	case cfg.GitHub.AppID != 0:
		app, err := github.AppFromFiles(cfg.GitHub.AppID, cfg.GitHub.InstallationID, cfg.GitHub.PrivateKeyFile, opt.BaseURL)
		if err != nil {
			return nil, "", err
		}
		opt.TokenSource = app
		how = fmt.Sprintf("GitHub App %d, installation %d", cfg.GitHub.AppID, cfg.GitHub.InstallationID)
	default:
		tok, from := github.TokenFromEnv()
		if tok == "" {
			return nil, "", nil
		}
		opt.Token = tok
		how = "the token of " + from
	}
	c, err = github.New(opt)
	return c, how, err
}

// mountTriage reads a triage configuration, mounts the webhook at
// /webhooks/github and starts the worker that drains its queue; stop ends
// the worker (a delivery in hand is queued again at the next start).
func (a *app) mountTriage(ctx context.Context, srv *bhttp.Server, db *sqlite.DB, tax *taxonomy.Taxonomy, path string) (stop func(), modes map[string]string, err error) {
	cfg, err := triage.LoadConfig(path, tax)
	if err != nil {
		return nil, nil, err
	}
	secret, err := cfg.Secret()
	if err != nil {
		return nil, nil, err
	}
	svc, _, err := a.triageService(ctx, db, tax, cfg)
	if err != nil {
		return nil, nil, err
	}
	svc.Logf = a.logf
	apply := false
	modes = map[string]string{}
	for _, e := range cfg.Entries() {
		r, _ := cfg.Repo(e)
		modes[e] = r.Mode
		apply = apply || r.Mode == triage.ModeApply
	}
	client, how, err := triageGitHub(cfg)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case client != nil:
		svc.GitHub = client
		a.logf("triage: %s, GitHub calls as %s", cfg.Source, how)
	case apply:
		return nil, nil, bugscope.Errorf(bugscope.EUnauthorized, "%s puts a repository in apply mode, but no GitHub credentials are set: export GITHUB_TOKEN (or GH_TOKEN), or configure github.app_id", cfg.Source)
	}
	if _, err := db.LatestGate(ctx); bugscope.ErrorCode(err) == bugscope.ENotFound && apply {
		a.logf("triage: warning: no go-live check yet (bugscope triage check --gold FILE.jsonl --config %s): apply mode applies no label until one passes", path)
	}
	unlock, err := db.LockTriageWorker()
	if err != nil {
		return nil, nil, err
	}
	wake := make(chan struct{}, 1)
	srv.Mount("/webhooks/github", bhttp.NewWebhook(bhttp.WebhookOptions{Secret: secret, MaxBytes: cfg.Webhook.MaxPayloadBytes, Queue: db, Wake: wake, Logf: a.logf}))
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := svc.Run(wctx, wake); err != nil && wctx.Err() == nil {
			a.logf("triage: worker stopped: %v", err)
		}
	}()
	a.logf("triage: webhook at /webhooks/github (secret from %s)", cfg.Webhook.SecretEnv)
	return func() { cancel(); <-done; unlock() }, modes, nil
}
