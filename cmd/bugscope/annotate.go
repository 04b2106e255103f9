package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/tui"
)

type annotateOptions struct {
	sample, rater string
	half          int
	issue         string
	excludeReason string
	note          string
}

func (a *app) annotateCmd() *cobra.Command {
	var o annotateOptions
	c := &cobra.Command{
		Use:   "annotate --sample NAME --rater NAME",
		Short: "Label the issues of a sample in the terminal, one at a time",
		Long: `Annotate opens a terminal interface that shows the sample's issues one at a
time, in the sample's order (half 1 first): the title, the labels and dates,
the signals extracted from the report, and the description, scrollable. It
starts at the first issue the rater has not answered, so a session can stop
and resume at any time.

Label with few keys: 1-9 choose a dimension's value from a list (each value
has a key; the definition of the highlighted one is shown), and the next
dimension that still wants an answer opens by itself; c toggles the
confidence (high/low), n writes a note, x leaves the issue out of the study
with a reason (too little information, user error, ...). enter stores the
answer at once, with the rater and the time, and moves on; earlier answers
stay in the history and the latest counts. q quits, and so does ctrl+c
(exit 130); either asks first when the answer on screen is not stored.
d shows the taxonomy's
definitions; s shows the classifier's suggestion with its evidence, only on
request (the answer records that the rater looked). ? lists every key.

Without a terminal, or for a whole file of labels, use bugscope labels
import. --issue REF --exclude-reason TEXT leaves one issue out without the
interface.`,
		Example: `  bugscope annotate --sample engines-2025 --rater alice
  bugscope annotate --sample engines-2025 --rater bob --half 2
  bugscope annotate --sample engines-2025 --rater alice --issue vllm-project/vllm#9123 --exclude-reason "too little information to label"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAnnotate(cmd, o) },
	}
	c.Flags().StringVar(&o.sample, "sample", "", "the sample to label")
	c.Flags().StringVar(&o.rater, "rater", "", "your name, stored with every answer")
	c.Flags().IntVar(&o.half, "half", 0, "show only half 1 or half 2 of the sample")
	c.Flags().StringVar(&o.issue, "issue", "", "open this issue (owner/repo#number or its address) first")
	c.Flags().StringVar(&o.excludeReason, "exclude-reason", "", "with --issue: leave that issue out of the study for this reason, without the interface")
	c.Flags().StringVar(&o.note, "note", "", "with --exclude-reason: a note")
	return c
}

func (a *app) runAnnotate(cmd *cobra.Command, o annotateOptions) error {
	ctx := cmd.Context()
	if err := checkRater(o.rater); err != nil {
		return err
	}
	if o.half < 0 || o.half > 2 {
		return usageError("--half %d: want 1 or 2", o.half)
	}
	var start bugscope.IssueRef
	if o.issue != "" {
		r, err := issueArg("--issue", o.issue)
		if err != nil {
			return err
		}
		start = r
	}
	if (o.excludeReason != "" || o.note != "") && (o.issue == "" || o.excludeReason == "") {
		return usageError("--exclude-reason needs --issue (and --note goes with it)")
	}
	return a.withStudy(cmd, writeDB, o.sample, func(svc *study.Service) error {
		if o.excludeReason != "" {
			res, err := svc.Annotate(ctx, o.sample, o.rater, []study.Answer{{Issue: start, ExcludeReason: o.excludeReason, Note: o.note}}, study.SourceCLI)
			if err != nil {
				return err
			}
			if res.Saved == 0 {
				a.logf("%s already left %s out for that reason", o.rater, start)
			} else {
				a.logf("%s leaves %s out of sample %q: %s", o.rater, start, o.sample, o.excludeReason)
			}
			return nil
		}
		in, out, ok := a.terminal()
		if !ok {
			return usageError("annotate needs a terminal; to store labels from a file use bugscope labels import FILE --sample %s --rater %s", o.sample, o.rater)
		}
		m, err := tui.NewAnnotator(ctx, svc, tui.AnnotateOptions{Sample: o.sample, Rater: o.rater, Half: o.half, Start: start})
		if err != nil {
			return err
		}
		if err := runInterface(ctx, m, in, out); err != nil {
			return err
		}
		answered, total := m.Progress()
		fmt.Fprintf(a.stderr, "%s: %d answers stored this session; %d of %d issues answered in sample %q\n", o.rater, m.Saved(), answered, total, o.sample)
		if m.Interrupted() {
			return errInterrupted
		}
		return nil
	})
}

// terminal returns the terminal to run an interface on: standard input
// and the command's output, when both are terminals.
func (a *app) terminal() (*os.File, *os.File, bool) {
	out, ok := a.stdout.(*os.File)
	if !ok || !term.IsTerminal(int(out.Fd())) || !term.IsTerminal(int(os.Stdin.Fd())) {
		return nil, nil, false
	}
	return os.Stdin, out, true
}

// runInterface runs a terminal interface on in and out until the user
// quits it or the command is interrupted.
func runInterface(ctx context.Context, m tea.Model, in, out *os.File) error {
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out))
	if _, err := p.Run(); err != nil {
		if errors.Is(err, tea.ErrProgramKilled) {
			return ctx.Err() // a signal: interrupted
		}
		return err
	}
	return nil
}
