// Command bugscope turns the issue trackers of LLM inference and serving
// engines into an empirical bug study. It only wires the packages of the
// module together: every command is a thin layer over them.
package main

import (
	"context"
	"encoding/json"
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
	"github.com/bugscope/bugscope/importer"
	"github.com/bugscope/bugscope/sqlite"
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
	if err != nil {
		fmt.Fprintln(os.Stderr, "bugscope:", err)
	}
	os.Exit(exitCode(err))
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

// printJSON writes v as indented JSON to stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
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
