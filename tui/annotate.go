// Package tui holds bugscope's terminal interfaces, built on Bubble Tea:
// the annotation interface (one issue at a time, labels with few keys,
// every answer stored at once) and the arbitration interface (one
// disagreement at a time). They only display and collect; the study
// package stores and checks.
package tui

import (
	_ "github.com/bugscope/bugscope/tui/internal/nobgquery" // before Bubble Tea: no terminal query at start-up

	"context"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/study"
)

// AnnotateOptions configure the annotation interface.
type AnnotateOptions struct {
	Sample string
	Rater  string
	// Half, when 1 or 2, shows only that half of the sample.
	Half int
	// Start, when set, opens this issue first; otherwise the first issue
	// the rater has not answered.
	Start bugscope.IssueRef
}

// Annotator is the annotation interface: a tea.Model.
type Annotator struct {
	screen
	opts  AnnotateOptions
	items []study.ItemState
	idx   int
	// suggested marks the issues whose suggestion the rater has seen: the
	// answer's source says so, for studies of anchoring.
	suggested map[bugscope.IssueRef]bool
}

// NewAnnotator loads the rater's items and opens the first unanswered
// one (or opts.Start).
func NewAnnotator(ctx context.Context, svc *study.Service, opts AnnotateOptions) (*Annotator, error) {
	if err := study.CheckName("rater", opts.Rater); err != nil {
		return nil, err
	}
	items, err := svc.RaterItems(ctx, opts.Sample, opts.Rater, opts.Half)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("sample %q has no items to annotate", opts.Sample)
	}
	m := &Annotator{screen: newScreen(ctx, svc), opts: opts, items: items, suggested: map[bugscope.IssueRef]bool{}}
	start := -1
	for i, it := range items {
		if opts.Start != (bugscope.IssueRef{}) && it.Issue == opts.Start {
			start = i
			break
		}
		if opts.Start == (bugscope.IssueRef{}) && it.Answer == nil {
			start = i
			break
		}
	}
	if start < 0 {
		if opts.Start != (bugscope.IssueRef{}) {
			return nil, fmt.Errorf("issue %s is not in sample %q: %w", opts.Start, opts.Sample, bugscope.ErrNotFound)
		}
		start = 0
	}
	m.open(start)
	if m.answered() == len(items) {
		m.setStatus(fmt.Sprintf("every one of the %d issues is answered; ←→ to review, q to quit", len(items)), false)
	}
	return m, nil
}

// Init implements tea.Model.
func (m *Annotator) Init() tea.Cmd { return nil }

// Saved is the number of answers stored in this session.
func (m *Annotator) Saved() int { return m.saved }

// Progress returns how many items the rater has answered, of how many.
func (m *Annotator) Progress() (answered, total int) { return m.answered(), len(m.items) }

func (m *Annotator) answered() int {
	n := 0
	for _, it := range m.items {
		if it.Answer != nil {
			n++
		}
	}
	return n
}

// open shows item i with the rater's latest answer, if any.
func (m *Annotator) open(i int) {
	m.idx = i
	it := m.items[i]
	a := study.Answer{Issue: it.Issue}
	if it.Answer != nil {
		a = study.Answer{Issue: it.Issue, Labels: it.Answer.Labels, Confidence: it.Answer.Confidence, Note: it.Answer.Note,
			ExcludeReason: it.Answer.ExcludeReason}
	}
	m.screen.open(it.Issue, a)
}

// Update implements tea.Model.
func (m *Annotator) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if cmd, done := m.update(msg, "esc", "q", "d", "s", "?"); done {
		return m, cmd
	}
	return m.browse(msg.(tea.KeyMsg))
}

// browse handles a key while reading the issue.
func (m *Annotator) browse(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	s := k.String()
	again := m.pressedAgain(s)
	switch s {
	case "q":
		if m.holds(s, again, "unsaved changes on this issue: enter saves them, q again quits without saving") {
			return m, nil
		}
		return m, tea.Quit
	case "enter":
		m.save()
	case "?":
		m.showPanel("keys", annotateHelp)
	case "s":
		m.showSuggestion()
	case "right", "]", "left", "[", "u":
		if m.holds(s, again, "unsaved changes: enter saves them, "+s+" again moves on without saving") {
			return m, nil
		}
		switch s {
		case "right", "]":
			if m.idx < len(m.items)-1 {
				m.open(m.idx + 1)
			}
		case "left", "[":
			if m.idx > 0 {
				m.open(m.idx - 1)
			}
		default:
			if i := m.nextUnanswered(); i >= 0 {
				m.open(i)
			} else {
				m.setStatus("every issue is answered", false)
			}
		}
	default:
		return m, m.edit(k, "answer")
	}
	return m, nil
}

func scopeText(w map[string][]string) string {
	var parts []string
	for k, v := range w {
		parts = append(parts, k+" is "+strings.Join(v, " or "))
	}
	if len(parts) == 0 {
		return "always"
	}
	return "only when " + strings.Join(parts, " and ")
}

// nextUnanswered is the first unanswered item after the current one,
// wrapping around; -1 when none is left.
func (m *Annotator) nextUnanswered() int {
	for k := 1; k <= len(m.items); k++ {
		i := (m.idx + k) % len(m.items)
		if m.items[i].Answer == nil {
			return i
		}
	}
	return -1
}

// save stores the draft at once and moves to the next item.
func (m *Annotator) save() {
	a := m.ed.draft
	if !a.Excluded() {
		if miss := m.svc.Missing(a.Labels); len(miss) > 0 || len(a.Labels) == 0 {
			if d := m.ed.next(-1); d != nil {
				m.ed.startPick(d)
			}
			what := strings.Join(miss, ", ")
			if what == "" {
				what = "a label"
			}
			m.setStatus("not saved: "+what+" still to answer (or x to leave the issue out)", true)
			return
		}
	}
	source := study.SourceTUI
	if m.suggested[a.Issue] {
		source += "+suggestion"
	}
	res, err := m.svc.Annotate(m.ctx, m.opts.Sample, m.opts.Rater, []study.Answer{a}, source)
	if err != nil {
		m.setStatus("not saved: "+err.Error(), true)
		return
	}
	m.saved += res.Saved
	it := &m.items[m.idx]
	it.Answer = answerRow(a, m.opts.Rater)
	m.ed.dirty = false
	done, total := m.answered(), len(m.items)
	msg := fmt.Sprintf("saved %s (%d of %d answered)", a.Issue, done, total)
	if res.Saved == 0 {
		msg = fmt.Sprintf("no change on %s (%d of %d answered)", a.Issue, done, total)
	}
	if m.idx < len(m.items)-1 {
		m.open(m.idx + 1)
	} else if i := m.nextUnanswered(); i >= 0 {
		msg += fmt.Sprintf("; %d still unanswered: u goes to the next", total-done)
	} else {
		msg += "; all done, q quits"
	}
	m.setStatus(msg, false)
}

func (m *Annotator) showSuggestion() {
	ref := m.items[m.idx].Issue
	c, err := m.svc.Suggestion(m.ctx, ref)
	switch {
	case err != nil:
		m.setStatus("no suggestion: "+err.Error(), true)
	case c == nil:
		m.setStatus("no classifier has labelled this issue", true)
	default:
		m.suggested[ref] = true
		m.showPanel("suggestion", suggestionText(m.svc, c, m.width))
	}
}

// View implements tea.Model.
func (m *Annotator) View() string {
	w := max(20, m.width)
	answered, total := m.Progress()
	it := m.items[m.idx]
	head := fmt.Sprintf("bugscope annotate · %s · rater %s · issue %d of %d (position %d, half %d) · %d answered",
		m.opts.Sample, m.opts.Rater, m.idx+1, total, it.Position, it.Half, answered)
	if it.Answer != nil {
		head += " · " + styleOK.Render("answered")
	}
	return m.frame(w, m.header(w, head, it.Issue), "answer", nil, annotateKeys, func(h int) string {
		if main, ok := m.editing(w, h); ok {
			return main
		}
		m.body.Width, m.body.Height = w, h-1
		label := "description"
		if pct := m.body.ScrollPercent(); m.body.TotalLineCount() > m.body.Height {
			label += fmt.Sprintf(" %d%% — ↑↓ pgup pgdn scroll", int(pct*100))
		}
		return rule(w, label) + "\n" + m.body.View()
	})
}

const annotateKeys = "1-9 label · tab next · c confidence · n note · x leave out · s suggestion · d definitions · enter save+next · ←→ move · u unanswered · q quit · ? keys"

const annotateHelp = `Keys of bugscope annotate

Reading
  ↑ ↓ pgup pgdn space home end   scroll the description
  → or ]   next issue       ← or [   previous issue
  u        next issue you have not answered

Answering (every answer is stored when you press enter)
  1 … 9    choose the value of that dimension (the numbers are shown
           in the answer line); the next dimension that still wants an
           answer opens by itself
  tab      open the next dimension that wants an answer
  in a list: the value's key picks it; ↑ ↓ and enter work too; in a
           list of several values keys and space toggle, enter accepts;
           backspace clears; esc closes the list
  c        confidence high / low
  n        note
  x        leave the issue out of the study, with a reason (again: take
           it back in)
  enter    save the answer and go to the next issue

Help
  d        the taxonomy's definitions
  s        the classifier's suggestion and its evidence (only when you
           ask; the answer records that you looked)
  ?        this list
  q        quit (asks first if the issue has unsaved changes)`

// answerRow is the stored form of an answer just saved, for the display.
func answerRow(a study.Answer, rater string) *study.Annotation {
	return &study.Annotation{Issue: a.Issue, Rater: rater, Labels: a.Labels, Confidence: a.Confidence, Note: a.Note, ExcludeReason: a.ExcludeReason}
}

// suggestionText renders a stored classification with its evidence.
func suggestionText(svc *study.Service, c *bugscope.Classification, width int) string {
	var b strings.Builder
	b.WriteString(styleBold.Render(fmt.Sprintf("%s %s", c.Classifier, c.ClassifierVersion)) +
		fmt.Sprintf(" (taxonomy %s %s), confidence %.2f\n\n", c.Taxonomy, c.TaxonomyVersion, c.Confidence))
	for _, d := range svc.Tax.Dimensions {
		v := c.Labels[d.ID]
		if len(v) == 0 {
			continue
		}
		b.WriteString(fmt.Sprintf("%s: %s", d.ID, strings.Join(v, ", ")))
		if dc, ok := c.DimConfidence[d.ID]; ok {
			b.WriteString(styleFaint.Render(fmt.Sprintf("  (%.2f)", dc)))
		}
		b.WriteString("\n")
	}
	if len(c.Evidence) > 0 {
		b.WriteString("\n" + styleBold.Render("evidence") + "\n")
		for _, e := range c.Evidence {
			b.WriteString(ansi.Wrap("• "+Line(e.String(), 400), width, " ") + "\n")
		}
	}
	return b.String()
}
