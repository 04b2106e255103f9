package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/bugscope/bugscope/study"
)

// ArbitrateOptions configure the arbitration interface.
type ArbitrateOptions struct {
	Sample     string
	Arbitrator string
	// Raters whose disagreements to settle; default every rater.
	Raters []string
}

// Arbiter is the arbitration interface: one disagreement at a time, the
// raters' answers side by side, the decision edited like an answer.
type Arbiter struct {
	screen
	opts  ArbitrateOptions
	cases []study.Case
	idx   int
}

// ErrNothingToArbitrate says that the raters agree on every item.
var ErrNothingToArbitrate = errors.New("the raters agree on every item they both answered: nothing to arbitrate")

// NewArbiter loads the disagreements and opens the first one without a
// current decision.
func NewArbiter(ctx context.Context, svc *study.Service, opts ArbitrateOptions) (*Arbiter, error) {
	if err := study.CheckName("arbitrator", opts.Arbitrator); err != nil {
		return nil, err
	}
	cases, err := svc.Cases(ctx, opts.Sample, opts.Raters)
	if err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, ErrNothingToArbitrate
	}
	m := &Arbiter{screen: newScreen(ctx, svc), opts: opts, cases: cases}
	m.ed.marks = m.marks
	start := m.nextOpen(-1)
	if start < 0 {
		start = 0
	}
	m.open(start)
	if m.decided() == len(cases) {
		m.setStatus(fmt.Sprintf("all %d disagreements are settled; ←→ to review, q to quit", len(cases)), false)
	}
	return m, nil
}

// Init implements tea.Model.
func (m *Arbiter) Init() tea.Cmd { return nil }

// Saved is the number of decisions stored in this session.
func (m *Arbiter) Saved() int { return m.saved }

// Progress returns how many disagreements have a current decision.
func (m *Arbiter) Progress() (decided, total int) { return m.decided(), len(m.cases) }

func (m *Arbiter) decided() int {
	n := 0
	for _, c := range m.cases {
		if c.Decision != nil && !c.Stale {
			n++
		}
	}
	return n
}

// nextOpen is the first case after from without a current decision,
// wrapping around; -1 when every case is decided.
func (m *Arbiter) nextOpen(from int) int {
	for k := 1; k <= len(m.cases); k++ {
		i := (from + k + len(m.cases)) % len(m.cases)
		if c := m.cases[i]; c.Decision == nil || c.Stale {
			return i
		}
	}
	return -1
}

// marks names the raters who chose a value.
func (m *Arbiter) marks(dim, value string) string {
	c := m.cases[m.idx]
	var who []string
	for _, r := range c.Raters {
		if contains(c.Answers[r].Labels[dim], value) {
			who = append(who, r)
		}
	}
	return strings.Join(who, ", ")
}

// open shows case i with its decision, or what the raters agree on.
func (m *Arbiter) open(i int) {
	m.idx = i
	c := m.cases[i]
	a := study.Answer{Issue: c.Item.Issue, Labels: c.Agreed}
	if c.Decision != nil {
		a = study.Answer{Issue: c.Item.Issue, Labels: c.Decision.Labels, Confidence: c.Decision.Confidence, Note: c.Decision.Note,
			ExcludeReason: c.Decision.ExcludeReason}
	}
	m.screen.open(c.Item.Issue, a)
	// Only the disputed dimensions want a look; the agreed ones are done.
	for _, dim := range m.svc.Tax.Dimensions {
		if !contains(c.Disagreements, dim.ID) {
			m.ed.visited[dim.ID] = true
		}
	}
}

// Update implements tea.Model.
func (m *Arbiter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if cmd, done := m.update(msg, "esc", "q", "d", "?"); done {
		return m, cmd
	}
	if m.ed.mode == modeTake {
		m.take(msg.(tea.KeyMsg).String())
		return m, nil
	}
	return m.browse(msg.(tea.KeyMsg))
}

// take copies one rater's whole answer into the decision.
func (m *Arbiter) take(k string) {
	m.ed.mode = modeBrowse
	c := m.cases[m.idx]
	i := strings.Index(hotkeys, k)
	if len(k) != 1 || i < 0 || i >= len(c.Raters) {
		return
	}
	a := c.Answers[c.Raters[i]]
	m.ed.draft.Labels = cloneLabelsOf(a)
	m.ed.draft.ExcludeReason = a.ExcludeReason
	m.ed.draft.Confidence = a.Confidence
	if m.ed.draft.Confidence == "" && a.ExcludeReason == "" {
		m.ed.draft.Confidence = "high"
	}
	m.ed.dirty = true
	for _, d := range m.svc.Tax.Dimensions {
		m.ed.visited[d.ID] = true
	}
	m.setStatus("took "+c.Raters[i]+"'s answer; enter saves it as the decision", false)
}

func cloneLabelsOf(a study.Annotation) map[string][]string {
	return cloneLabels(a.Labels)
}

func (m *Arbiter) browse(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	s := k.String()
	again := m.pressedAgain(s)
	switch s {
	case "q":
		if m.holds(s, again, "unsaved decision: enter saves it, q again quits without saving") {
			return m, nil
		}
		return m, tea.Quit
	case "enter":
		m.save()
	case "t":
		m.ed.mode = modeTake
	case "?":
		m.showPanel("keys", arbitrateHelp)
	case "right", "]", "left", "[", "u":
		if m.holds(s, again, "unsaved decision: enter saves it, "+s+" again moves on without saving") {
			return m, nil
		}
		switch s {
		case "right", "]":
			if m.idx < len(m.cases)-1 {
				m.open(m.idx + 1)
			}
		case "left", "[":
			if m.idx > 0 {
				m.open(m.idx - 1)
			}
		default:
			if i := m.nextOpen(m.idx); i >= 0 {
				m.open(i)
			} else {
				m.setStatus("every disagreement is settled", false)
			}
		}
	default:
		return m, m.edit(k, "decision")
	}
	return m, nil
}

// save stores the decision and moves to the next open case.
func (m *Arbiter) save() {
	a := m.ed.draft
	if !a.Excluded() {
		if miss := m.svc.Missing(a.Labels); len(miss) > 0 || len(a.Labels) == 0 {
			if d := m.ed.next(-1); d != nil {
				m.ed.startPick(d)
			}
			m.setStatus("not saved: a decision labels every dimension that applies; missing "+strings.Join(miss, ", "), true)
			return
		}
	}
	res, err := m.svc.Arbitrate(m.ctx, m.opts.Sample, m.opts.Arbitrator, []study.Answer{a}, study.SourceTUI)
	if err != nil {
		m.setStatus("not saved: "+err.Error(), true)
		return
	}
	m.saved += res.Saved
	c := &m.cases[m.idx]
	c.Decision = &study.Arbitration{Issue: a.Issue, Arbitrator: m.opts.Arbitrator, Labels: a.Labels, Confidence: a.Confidence,
		Note: a.Note, ExcludeReason: a.ExcludeReason}
	c.Stale = false
	m.ed.dirty = false
	done, total := m.Progress()
	msg := fmt.Sprintf("decided %s (%d of %d settled)", a.Issue, done, total)
	if i := m.nextOpen(m.idx); i >= 0 {
		m.open(i)
	} else {
		msg += "; all settled, q quits"
	}
	m.setStatus(msg, false)
}

// View implements tea.Model.
func (m *Arbiter) View() string {
	w := max(20, m.width)
	c := m.cases[m.idx]
	done, total := m.Progress()
	head := fmt.Sprintf("bugscope arbitrate · %s · arbitrator %s · disagreement %d of %d · %d settled",
		m.opts.Sample, m.opts.Arbitrator, m.idx+1, total, done)
	if c.Decision != nil {
		if c.Stale {
			head += " · " + styleErr.Render("decided before an answer changed")
		} else {
			head += " · " + styleOK.Render("decided by "+c.Decision.Arbitrator)
		}
	}
	top := m.header(w, head, c.Item.Issue)
	top = append(top, rule(w, "answers — differ on "+strings.Join(c.Disagreements, ", ")))
	diff := map[string]bool{}
	for _, d := range c.Disagreements {
		diff[d] = true
	}
	for i, r := range c.Raters {
		top = append(top, m.raterLine(i, r, c.Answers[r], diff, w))
	}
	return m.frame(w, top, "decision", diff, arbitrateKeys, func(h int) string {
		if main, ok := m.editing(w, h); ok {
			return main
		}
		if m.ed.mode == modeTake {
			var b strings.Builder
			b.WriteString(styleBold.Render("Take one rater's whole answer") + styleFaint.Render(" — press the rater's key; any other key cancels") + "\n")
			for i, r := range c.Raters {
				b.WriteString(fmt.Sprintf("  %s %s\n", styleKey.Render(string(hotkeys[i])), Line(r, 64)))
			}
			return b.String()
		}
		m.body.Width, m.body.Height = w, h-1
		return rule(w, "description") + "\n" + m.body.View()
	})
}

// raterLine shows one rater's answer, disputed dimensions highlighted.
func (m *Arbiter) raterLine(i int, rater string, a study.Annotation, diff map[string]bool, w int) string {
	name := styleKey.Render(string(hotkeys[i])) + " " + styleBold.Render(Line(rater, 32))
	if a.ExcludeReason != "" {
		return ansi.Truncate(name+"  "+styleDiff.Render("LEFT OUT: ")+Line(a.ExcludeReason, MaxLine), w, "…")
	}
	var parts []string
	for _, d := range m.svc.Tax.Dimensions {
		v := a.Labels[d.ID]
		if len(v) == 0 && !diff[d.ID] {
			continue
		}
		txt := d.ID + "=" + orDash(strings.Join(v, ","))
		if diff[d.ID] {
			txt = styleDiff.Render(txt)
		}
		parts = append(parts, txt)
	}
	if a.Confidence != "" {
		parts = append(parts, styleFaint.Render("("+Line(a.Confidence, 10)+")"))
	}
	line := name + "  " + strings.Join(parts, " ")
	if a.Note != "" {
		line += styleFaint.Render("  note: " + Line(a.Note, MaxLine))
	}
	return ansi.Wrap(line, w, " ")
}

const arbitrateKeys = "t take a rater's answer · 1-9 set a value · c confidence · n note · x leave out · d definitions · enter decide+next · ←→ move · u open · q quit · ? keys"

const arbitrateHelp = `Keys of bugscope arbitrate

Each screen is one issue on which the raters disagree: their answers are
listed with the disputed dimensions highlighted; the decision below
starts from what they agree on.

  t        take one rater's whole answer as the decision (then its key)
  1 … 9    choose a dimension's value; the list shows who chose what
  c        confidence high / low
  n        note (why you decided so)
  x        leave the issue out of the study, with a reason
  enter    store the decision and go to the next open disagreement
  → ← ] [  next / previous disagreement
  u        next disagreement without a current decision
  ↑ ↓ pgup pgdn home end   scroll the description
  d        the taxonomy's definitions
  q        quit (asks first if the decision is not saved)`
