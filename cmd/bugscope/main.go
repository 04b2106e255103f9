// Command bugscope turns the issue trackers of LLM inference and serving
// engines into an empirical bug study. It only wires the packages of the
// module together. Every command has the same shape: an options struct, the
// flags that fill it, and a run function over the packages; errors carry
// kinds (bugscope.Error) that exitCode maps to exit codes, here and nowhere
// else.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	bhttp "github.com/bugscope/bugscope/http"
	"github.com/bugscope/bugscope/internal/atomic"
	"github.com/bugscope/bugscope/internal/safetext"
	"github.com/bugscope/bugscope/mine"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// The database implements the stores the packages define.
var (
	_ study.Store    = (*sqlite.DB)(nil)
	_ mine.Store     = (*sqlite.DB)(nil)
	_ pipeline.Store = (*sqlite.DB)(nil)
	_ bhttp.Store    = (*sqlite.DB)(nil)
)

// Exit codes. They are part of the interface: scripts test them, and
// --help and the README list them.
const (
	exitOK          = 0
	exitFailure     = 1   // the command failed: a bug, a damaged database, anything without a kind
	exitUsage       = 2   // unknown command or flag, missing or extra arguments, a flag value that cannot work
	exitInvalid     = 3   // invalid input: a malformed file, record or value (bugscope.EInvalid)
	exitNotFound    = 4   // the database, a file, issue, sample, rater or repository does not exist (ENotFound)
	exitPartial     = 5   // the command finished, but parts of it failed (a repository could not be mined)
	exitConflict    = 6   // refused by the stored state: open or stale decisions, a schema to migrate or too new (EConflict)
	exitUnavailable = 7   // GitHub, the LLM or the network cannot be reached; the database is locked or read-only (EUnavailable)
	exitAuth        = 8   // credentials refused or without access (EUnauthorized, EForbidden)
	exitInterrupted = 130 // interrupted: Ctrl-C or SIGTERM
)

// exitCodes documents the exit codes in --help.
const exitCodes = `Exit codes: 0 success; 1 failure; 2 bad usage; 3 invalid input (a malformed
file, record or value); 4 not found (no database at --db, a missing file,
issue, sample or repository); 5 partial result (finished, but a repository
could not be mined); 6 conflict (open or stale decisions, a database that
needs migrating or is newer than this bugscope); 7 unavailable (network,
GitHub, LLM, a locked or read-only database where writing was asked);
8 credentials refused; 130 interrupted.`

// kindExit maps error kinds to exit codes.
var kindExit = map[string]int{
	bugscope.EInvalid:      exitInvalid,
	bugscope.ENotFound:     exitNotFound,
	bugscope.EConflict:     exitConflict,
	bugscope.EUnavailable:  exitUnavailable,
	bugscope.EUnauthorized: exitAuth,
	bugscope.EForbidden:    exitAuth,
	bugscope.EInternal:     exitFailure,
}

// exitCode maps an error to the process exit code: the one place that
// does.
func exitCode(err error) int {
	var ue *usageErr
	var pe *partialErr
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, context.Canceled) || errors.Is(err, errInterrupted):
		return exitInterrupted
	case errors.As(err, &pe):
		return exitPartial
	}
	if code, ok := kindExit[bugscope.ErrorCode(err)]; ok {
		return code
	}
	return exitFailure
}

// usageErr is a mistake in the command line.
type usageErr struct{ err error }

func (e *usageErr) Error() string { return e.err.Error() }
func (e *usageErr) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &usageErr{fmt.Errorf(format, args...)}
}

// partialErr is the failure of part of a command that finished the rest.
type partialErr struct{ err error }

func (e *partialErr) Error() string { return e.err.Error() }
func (e *partialErr) Unwrap() error { return e.err }

// errInterrupted: the user stopped an interface with Ctrl-C.
var errInterrupted = errors.New("interrupted")

// app holds what every command shares: global flags and the streams.
type app struct {
	dbPath   string
	taxonomy string // a built-in name or a YAML file
	quiet    bool
	stdout   io.Writer
	stderr   io.Writer
	now      func() time.Time
	// printed, when set (tests), sees every value a command prints as JSON.
	printed func(any)
}

// softMemoryLimit is the Go heap size past which the garbage collector
// works harder (runtime/debug.SetMemoryLimit) while a report is built,
// unless GOMEMLIMIT says otherwise: without a limit the heap would grow to
// twice the live data before a collection. 640 MiB keeps a report of a
// million issues (about 380 MiB live) under the 1 GiB its step may use,
// page cache included, without the collector running almost without pause
// as it did at 384 MiB (the report of a million: 89 s of CPU at 384 MiB,
// 53 s at 640 MiB, peaks 564 and 678 MiB). It is not a cap: a report that
// needs more gets it, at the price of more frequent collections.
const softMemoryLimit = 640 << 20

// reportMemory sets softMemoryLimit for the building of a report and
// returns the function that restores the limit before it.
func reportMemory() (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	before := debug.SetMemoryLimit(softMemoryLimit)
	return func() { debug.SetMemoryLimit(before) }
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

Commands that print data take --json (snake_case keys) and --jq EXPR (a jq
expression over that JSON: strings print raw, other values as compact JSON).

` + exitCodes,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE:          groupRun,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	defaultDB := os.Getenv("BUGSCOPE_DB")
	if defaultDB == "" {
		defaultDB = "bugscope.db"
	}
	root.PersistentFlags().StringVar(&a.dbPath, "db", defaultDB, "database file (env BUGSCOPE_DB)")
	root.PersistentFlags().StringVar(&a.taxonomy, "taxonomy", taxonomy.Default, "taxonomy: a built-in name ("+strings.Join(taxonomy.Builtins(), ", ")+") or a YAML file")
	root.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "no progress output")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageErr{err} })
	root.PersistentPreRunE = checkJQ
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
		a.migrateCmd(),
		a.syncCmd(),
		a.sampleCmd(),
		a.annotateCmd(),
		a.labelsCmd(),
		a.agreementCmd(),
		a.arbitrateCmd(),
		a.raterCmd(),
		a.trainCmd(),
		a.reviewCmd(),
		a.triageCmd(),
		a.listCmd(),
		a.serveCmd(),
		a.versionCmd(),
	)
	usageArgs(root)
	return root
}

// usageArgs makes every command's argument check a usage error (exit 2).
func usageArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return &usageErr{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

// groupRun is the action of a command that only holds others: without
// arguments it prints its help; an unknown command is a usage error.
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError("%s (see %s --help)", msg, cmd.CommandPath())
}

// How a command uses the database.
type dbMode int

const (
	readDB   dbMode = iota // read only: never written, never migrated, never created
	writeDB                // written, migrated; must exist
	createDB               // written; created when missing (import, sync, study, classify)
)

// open opens --db as mode says. A missing database is an ENotFound error
// for every command that cannot create one.
func (a *app) open(ctx context.Context, mode dbMode) (*sqlite.DB, error) {
	return sqlite.OpenWith(ctx, a.dbPath, sqlite.Options{ReadOnly: mode == readDB, MustExist: mode == writeDB})
}

// withDB opens --db as mode says, runs run with it and closes it.
// Commands read their input files before, so that bad input never creates
// a database.
func (a *app) withDB(ctx context.Context, mode dbMode, run func(db *sqlite.DB) error) error {
	db, err := a.open(ctx, mode)
	if err != nil {
		return err
	}
	defer db.Close()
	return run(db)
}

// withSession loads --taxonomy, then runs run with it and the open --db.
func (a *app) withSession(ctx context.Context, mode dbMode, run func(tax *taxonomy.Taxonomy, db *sqlite.DB) error) error {
	tax, err := a.loadTaxonomy()
	if err != nil {
		return err
	}
	return a.withDB(ctx, mode, func(db *sqlite.DB) error { return run(tax, db) })
}

// withStudy runs run with the study service of a named sample. The
// taxonomy is the sample's own unless --taxonomy is given: a sample drawn
// for first-look-2025 is annotated in it without repeating the flag.
func (a *app) withStudy(cmd *cobra.Command, mode dbMode, sample string, run func(svc *study.Service) error) error {
	if sample == "" {
		return usageError("--sample NAME is required")
	}
	return a.withDB(cmd.Context(), mode, func(db *sqlite.DB) error {
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
		if err != nil && bugscope.ErrorCode(err) == bugscope.EInternal {
			err = bugscope.WithKind(bugscope.EInvalid, err) // a rule file that does not load is bad input
		}
		return rs, err
	}
	return classify.BuiltinRules(tax)
}

func rulesFlag(c *cobra.Command, file *string) {
	c.Flags().StringVar(file, "rules", "", "rule file (YAML) instead of the taxonomy's built-in rules")
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
		return &usageErr{err}
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
	return atomic.WriteFile(name, write)
}

// loadTaxonomy resolves --taxonomy: a path when it names a file (or ends in
// .yaml/.yml), else a built-in name.
func (a *app) loadTaxonomy() (*taxonomy.Taxonomy, error) {
	t := a.taxonomy
	isFile := strings.HasSuffix(t, ".yaml") || strings.HasSuffix(t, ".yml") || strings.ContainsRune(t, os.PathSeparator)
	if _, err := os.Stat(t); isFile || err == nil {
		return taxonomy.LoadFile(t)
	}
	tax, err := taxonomy.Builtin(t)
	if err != nil {
		return nil, usageError("--taxonomy: %v", err)
	}
	return tax, nil
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

func (f *filterFlags) filter() (bugscope.IssueFilter, error) {
	out := bugscope.IssueFilter{Repos: f.repos, Labels: f.labels}
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

// issueArg parses an issue named by an argument or a flag:
// owner/repo#number or its GitHub address.
func issueArg(flag, s string) (bugscope.IssueRef, error) {
	r, err := bugscope.ParseIssueArg(s)
	if err != nil {
		if flag != "" {
			return r, usageError("%s: %v", flag, err)
		}
		return r, &usageErr{err}
	}
	return r, nil
}
