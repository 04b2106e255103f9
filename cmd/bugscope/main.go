// Command bugscope turns the issue trackers of LLM inference and serving
// engines into an empirical bug study. It only wires the packages of the
// module together: every command is a thin layer over them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/importer"
	"github.com/bugscope/bugscope/internal/safetext"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// Exit codes. They are part of the interface: scripts test them.
const (
	exitOK       = 0
	exitFailure  = 1 // the command failed
	exitUsage    = 2 // bad flags or arguments
	exitBadInput = 3 // an input file is malformed (import, gold labels, rules)
	exitNotFound = 4 // the named issue, sample or classification does not exist
)

// exitError carries an exit code with an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}

func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{exitBadInput, err}
}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var ee *exitError
	var ie *importer.Error
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ie):
		return exitBadInput
	case errors.Is(err, bugscope.ErrNotFound):
		return exitNotFound
	}
	return exitFailure
}

// app holds what every command shares: global flags and the streams.
type app struct {
	dbPath   string
	taxonomy string // a built-in name or a YAML file
	quiet    bool
	stdout   io.Writer
	stderr   io.Writer
	now      func() time.Time
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := &app{stdout: os.Stdout, stderr: os.Stderr, now: time.Now}
	err := a.root().ExecuteContext(ctx)
	stop()
	printError(os.Stderr, err)
	os.Exit(exitCode(err))
}

// printError prints the error a command failed with. Errors echo input
// (names, values, snippets of a file), so they are made safe for the
// terminal first.
func printError(w io.Writer, err error) {
	if err != nil {
		fmt.Fprintln(w, "bugscope:", safetext.Text(err.Error()))
	}
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "bugscope",
		Short: "An empirical bug study of LLM inference and serving engines",
		Long: `bugscope mines the issue trackers of LLM inference and serving engines
(vLLM, llama.cpp, SGLang, TensorRT-LLM, TGI, ...), classifies every issue into a
bug taxonomy with evidence, supports the human side of a study, and reports
the findings.

The main job in one command:

  bugscope study issues.json -o out/

Exit codes: 0 success, 1 failure, 2 bad usage, 3 malformed input file,
4 not found.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	defaultDB := os.Getenv("BUGSCOPE_DB")
	if defaultDB == "" {
		defaultDB = "bugscope.db"
	}
	root.PersistentFlags().StringVar(&a.dbPath, "db", defaultDB, "database file (env BUGSCOPE_DB)")
	root.PersistentFlags().StringVar(&a.taxonomy, "taxonomy", taxonomy.Default, "taxonomy: a built-in name ("+strings.Join(taxonomy.Builtins(), ", ")+") or a YAML file")
	root.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "no progress output")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &exitError{exitUsage, err} })
	root.AddCommand(
		a.importCmd(),
		a.classifyCmd(),
		a.reportCmd(),
		a.exportCmd(),
		a.evalCmd(),
		a.showCmd(),
		a.studyCmd(),
		a.taxonomyCmd(),
		a.statusCmd(),
		a.syncCmd(),
		a.sampleCmd(),
		a.annotateCmd(),
		a.labelsCmd(),
		a.agreementCmd(),
		a.arbitrateCmd(),
		a.trainCmd(),
		a.reviewCmd(),
	)
	return root
}

// openDB opens the database named by --db.
func (a *app) openDB(ctx context.Context) (*sqlite.DB, error) {
	return sqlite.Open(ctx, a.dbPath)
}

// withDB opens --db, runs run with it and closes it. Commands read their
// input files before, so that bad input never creates a database.
func (a *app) withDB(cmd *cobra.Command, run func(db *sqlite.DB) error) error {
	db, err := a.openDB(cmd.Context())
	if err != nil {
		return err
	}
	defer db.Close()
	return run(db)
}

// withSession loads --taxonomy, then runs run with it and the open --db.
func (a *app) withSession(cmd *cobra.Command, run func(tax *taxonomy.Taxonomy, db *sqlite.DB) error) error {
	tax, err := a.loadTaxonomy()
	if err != nil {
		return err
	}
	return a.withDB(cmd, func(db *sqlite.DB) error { return run(tax, db) })
}

// withStudy runs run with the study service of a named sample. The
// taxonomy is the sample's own unless --taxonomy is given: a sample drawn
// for first-look-2025 is annotated in it without repeating the flag.
func (a *app) withStudy(cmd *cobra.Command, sample string, run func(svc *study.Service) error) error {
	if sample == "" {
		return usageError("--sample NAME is required")
	}
	return a.withDB(cmd, func(db *sqlite.DB) error {
		st, err := db.GetSample(cmd.Context(), sample)
		if err != nil {
			return err
		}
		var tax *taxonomy.Taxonomy
		if f := cmd.Flag("taxonomy"); f != nil && f.Changed {
			tax, err = a.loadTaxonomy()
		} else if tax, err = taxonomy.Builtin(st.Taxonomy); err != nil {
			err = usageError("sample %q is labelled in taxonomy %s, which is not built in: pass it with --taxonomy FILE", sample, st.Taxonomy)
		}
		if err != nil {
			return err
		}
		if tax.Name == st.Taxonomy && tax.Version != st.TaxonomyVersion {
			a.logf("note: sample %q was drawn with %s version %s; labelling with version %s", sample, tax.Name, st.TaxonomyVersion, tax.Version)
		}
		return run(a.studyService(db, tax))
	})
}

// studyService is the study workflow on db in tax, on the app's clock.
func (a *app) studyService(db *sqlite.DB, tax *taxonomy.Taxonomy) *study.Service {
	svc := study.New(db, tax)
	svc.Now = a.now
	return svc
}

// taxonomyAndRules loads --taxonomy and its rules: the built-in ones, or
// those of a --rules file.
func (a *app) taxonomyAndRules(rulesFile string) (*taxonomy.Taxonomy, *classify.RuleSet, error) {
	tax, err := a.loadTaxonomy()
	if err != nil {
		return nil, nil, err
	}
	rs, err := loadRules(tax, rulesFile)
	if err != nil {
		return nil, nil, err
	}
	return tax, rs, nil
}

func loadRules(tax *taxonomy.Taxonomy, file string) (*classify.RuleSet, error) {
	if file != "" {
		rs, err := classify.LoadRules(file, tax)
		return rs, badInput(err)
	}
	return classify.BuiltinRules(tax)
}

func rulesFlag(c *cobra.Command, file *string) {
	c.Flags().StringVar(file, "rules", "", "rule file (YAML) instead of the taxonomy's built-in rules")
}

// classified loads the stored classifications of a classifier, the best
// available when name is empty, and says whose they are.
func classified(ctx context.Context, db *sqlite.DB, tax *taxonomy.Taxonomy, name string, f sqlite.IssueFilter) (string, []bugscope.Classified, error) {
	cls, err := pipeline.PickClassifier(ctx, db, tax.Name, name)
	if err != nil {
		return "", nil, err
	}
	items, err := db.Classified(ctx, sqlite.ClassifiedFilter{IssueFilter: f, Taxonomy: tax.Name, Classifier: cls})
	return cls, items, err
}

// checkRater checks a required --rater name.
func checkRater(rater string) error {
	if rater == "" {
		return usageError("--rater NAME is required")
	}
	return checkName("--rater", rater)
}

// checkName checks a name given by a flag (a sample's, a rater's).
func checkName(flag, name string) error {
	if err := study.CheckName(flag, name); err != nil {
		return usageError("%v", err)
	}
	return nil
}

// outputFlag registers -o FILE, where a command writes instead of
// standard output.
func outputFlag(c *cobra.Command, out *string) {
	c.Flags().StringVarP(out, "output", "o", "", "write to this file instead of standard output")
}

// output writes to the -o file, or to standard output without one.
func (a *app) output(name string, write func(io.Writer) error) error {
	return writeTo(name, a.stdout, write)
}

// writeTo writes to the named file (atomically: a temporary file renamed
// into place), or to def when name is empty or "-".
func writeTo(name string, def io.Writer, write func(io.Writer) error) error {
	if name == "" || name == "-" {
		return write(def)
	}
	tmp, err := os.CreateTemp(dirOf(name), ".bugscope-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// A temporary file is private; what it becomes is an ordinary output.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if os.IsPathSeparator(path[i]) {
			return path[:i+1]
		}
	}
	return "."
}

// loadTaxonomy resolves --taxonomy: a path when it names a file (or ends in
// .yaml/.yml), else a built-in name.
func (a *app) loadTaxonomy() (*taxonomy.Taxonomy, error) {
	t := a.taxonomy
	if strings.HasSuffix(t, ".yaml") || strings.HasSuffix(t, ".yml") || strings.ContainsRune(t, os.PathSeparator) {
		tax, err := taxonomy.LoadFile(t)
		return tax, badInput(err)
	}
	if _, err := os.Stat(t); err == nil {
		tax, err := taxonomy.LoadFile(t)
		return tax, badInput(err)
	}
	tax, err := taxonomy.Builtin(t)
	if err != nil {
		return nil, usageError("--taxonomy: %v", err)
	}
	return tax, nil
}

// printJSON writes v as indented JSON to stdout, with the characters a
// terminal would act on escaped (safetext.WriteJSON).
func (a *app) printJSON(v any) error {
	return safetext.WriteJSON(a.stdout, v)
}

// logf writes a progress or status line to stderr unless --quiet.
func (a *app) logf(format string, args ...any) {
	if !a.quiet {
		fmt.Fprintf(a.stderr, format+"\n", args...)
	}
}

// interactive reports whether stderr is a terminal, for progress bars.
func (a *app) interactive() bool {
	f, ok := a.stderr.(*os.File)
	return ok && !a.quiet && term.IsTerminal(int(f.Fd()))
}

// progressBar returns a bar on stderr when it is a terminal, else nil.
func (a *app) progressBar(total int, description string) *progressbar.ProgressBar {
	if !a.interactive() || total < 200 {
		return nil
	}
	return progressbar.NewOptions64(int64(total),
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

// filterFlags are the issue filters several commands share.
type filterFlags struct {
	repos  []string
	since  string
	until  string
	state  string
	labels []string
}

func (f *filterFlags) register(c *cobra.Command) {
	c.Flags().StringSliceVar(&f.repos, "repo", nil, "only these repositories (owner/name; repeat or comma-separate)")
	c.Flags().StringVar(&f.since, "since", "", "only issues opened on or after this date (YYYY-MM-DD or RFC 3339)")
	c.Flags().StringVar(&f.until, "until", "", "only issues opened before this date (YYYY-MM-DD or RFC 3339)")
	c.Flags().StringVar(&f.state, "state", "", "only open or closed issues")
}

func (f *filterFlags) filter() (sqlite.IssueFilter, error) {
	out := sqlite.IssueFilter{Repos: f.repos, Labels: f.labels}
	for _, r := range f.repos {
		if err := bugscope.ValidateRepo(r); err != nil {
			return out, usageError("--repo: %v", err)
		}
	}
	var err error
	if out.Since, err = parseDate("--since", f.since); err != nil {
		return out, err
	}
	if out.Until, err = parseDate("--until", f.until); err != nil {
		return out, err
	}
	switch f.state {
	case "", "open", "closed":
		out.State = f.state
	case "all":
	default:
		return out, usageError("--state %q: want open, closed or all", f.state)
	}
	return out, nil
}

func parseDate(flag, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, usageError("%s %q: want YYYY-MM-DD or an RFC 3339 time", flag, s)
}
