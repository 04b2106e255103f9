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

func (a *app) annotateCmd() *cobra.Command {
	var (
		sample, rater string
		half          int
		issue         string
		excludeReason string
		note          string
	)
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
stay in the history and the latest counts. d shows the taxonomy's
definitions; s shows the classifier's suggestion with its evidence, only on
request (the answer records that the rater looked). ? lists every key.

Without a terminal, or for a whole file of labels, use bugscope labels
import. --issue REF --exclude-reason TEXT leaves one issue out without the
interface.`,
		Example: `  bugscope annotate --sample engines-2025 --rater alice
  bugscope annotate --sample engines-2025 --rater bob --half 2
  bugscope annotate --sample engines-2025 --rater alice --issue vllm-project/vllm#9123 --exclude-reason "too little information to label"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkRater(rater); err != nil {
				return err
			}
			if half < 0 || half > 2 {
				return usageError("--half %d: want 1 or 2", half)
			}
			var start bugscope.IssueRef
			if issue != "" {
				r, err := bugscope.ParseIssueRef(issue)
				if err != nil {
					return usageError("--issue: %v", err)
				}
				start = r
			}
			return a.withStudy(cmd, sample, func(svc *study.Service) error {
				if excludeReason != "" || note != "" {
					if issue == "" || excludeReason == "" {
						return usageError("--exclude-reason needs --issue (and --note goes with it)")
					}
					res, err := svc.Annotate(cmd.Context(), sample, rater, []study.Answer{{Issue: start, ExcludeReason: excludeReason, Note: note}}, study.SourceCLI)
					if err != nil {
						return err
					}
					if res.Saved == 0 {
						a.logf("%s already left %s out for that reason", rater, start)
					} else {
						a.logf("%s leaves %s out of sample %q: %s", rater, start, sample, excludeReason)
					}
					return nil
				}
				in, out, ok := a.terminal()
				if !ok {
					return usageError("annotate needs a terminal; to store labels from a file use bugscope labels import FILE --sample %s --rater %s", sample, rater)
				}
				m, err := tui.NewAnnotator(cmd.Context(), svc, tui.AnnotateOptions{Sample: sample, Rater: rater, Half: half, Start: start})
				if err != nil {
					return err
				}
				if err := runInterface(cmd.Context(), m, in, out); err != nil {
					return err
				}
				answered, total := m.Progress()
				fmt.Fprintf(a.stderr, "%s: %d answers stored this session; %d of %d issues answered in sample %q\n", rater, m.Saved(), answered, total, sample)
				return nil
			})
		},
	}
	c.Flags().StringVar(&sample, "sample", "", "the sample to label")
	c.Flags().StringVar(&rater, "rater", "", "your name, stored with every answer")
	c.Flags().IntVar(&half, "half", 0, "show only half 1 or half 2 of the sample")
	c.Flags().StringVar(&issue, "issue", "", "open this issue (owner/repo#number) first")
	c.Flags().StringVar(&excludeReason, "exclude-reason", "", "with --issue: leave that issue out of the study for this reason, without the interface")
	c.Flags().StringVar(&note, "note", "", "with --exclude-reason: a note")
	return c
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
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return err
	}
	return nil
}
