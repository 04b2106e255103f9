package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/bugscope/bugscope/sqlite"
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
	ctx   context.Context
	svc   *study.Service
	opts  ArbitrateOptions
	cases []study.Case
	idx   int

	detail    *study.Detail
	loadErr   error
	body      viewport.Model
	panel     viewport.Model
	panelName string
	ed        editor

	width, height int
	status        string
	statusErr     bool
	confirm       string
	saved         int
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
	m := &Arbiter{ctx: ctx, svc: svc, opts: opts, cases: cases, body: newViewport(), panel: newViewport(), ed: newEditor(svc),
		width: 100, height: 30}
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

func (m *Arbiter) setStatus(s string, isErr bool) { m.status, m.statusErr = s, isErr }

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

func (m *Arbiter) open(i int) {
	m.idx, m.confirm, m.status = i, "", ""
	c := m.cases[i]
	d, err := m.svc.Detail(m.ctx, c.Item.Issue)
	m.detail, m.loadErr = &d, err
	if err != nil {
		m.detail = nil
	}
	a := study.Answer{Issue: c.Item.Issue, Labels: c.Agreed}
	if c.Decision != nil {
		a = study.Answer{Issue: c.Item.Issue, Labels: c.Decision.Labels, Confidence: c.Decision.Confidence, Note: c.Decision.Note,
			ExcludeReason: c.Decision.ExcludeReason}
	}
	m.ed.reset(a)
	// Only the disputed dimensions want a look; the agreed ones are done.
	for _, dim := range m.svc.Tax.Dimensions {
		if !contains(c.Disagreements, dim.ID) {
			m.ed.visited[dim.ID] = true
		}
	}
	m.layoutBody()
	m.body.GotoTop()
}

func (m *Arbiter) layoutBody() {
	m.body.Width = m.width
	if m.detail != nil {
		m.body.SetContent(bodyText(m.detail.Issue.Body, m.width))
	} else if m.loadErr != nil {
		m.body.SetContent(styleErr.Render("cannot load the issue: " + m.loadErr.Error()))
	}
}

// Update implements tea.Model.
func (m *Arbiter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layoutBody()
		return m, nil
	case tea.KeyMsg:
		if msg.String() == "ctrl+c" {
			return m, tea.Quit
		}
		switch m.ed.mode {
		case modePick:
			m.ed.updatePick(msg)
			return m, nil
		case modeNote, modeReasonText:
			return m, m.ed.updateInput(msg)
		case modeReason:
			return m, m.ed.updateReason(msg)
		case modeTake:
			m.take(msg.String())
			return m, nil
		case modePanel:
			switch s := msg.String(); s {
			case "esc", "q", "d", "?":
				m.ed.mode = modeBrowse
			default:
				if !scroll(&m.panel, s) {
					m.panel, _ = m.panel.Update(msg)
				}
			}
			return m, nil
		}
		return m.browse(msg)
	}
	if m.ed.mode == modeNote || m.ed.mode == modeReasonText {
		return m, m.ed.updateInput(msg)
	}
	return m, nil
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

func cloneLabelsOf(a sqlite.Annotation) map[string][]string {
	return cloneLabels(a.Labels)
}

func (m *Arbiter) browse(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	s := k.String()
	confirmed := m.confirm == s
	m.confirm = ""
	switch s {
	case "q":
		if m.ed.dirty && !confirmed {
			return m.arm(s, "unsaved decision: enter saves it, q again quits without saving")
		}
		return m, tea.Quit
	case "enter":
		m.save()
	case "tab":
		if d := m.ed.next(-1); d != nil {
			m.ed.startPick(d)
		} else {
			m.ed.startPick(m.ed.dims()[0])
		}
	case "t":
		m.ed.mode = modeTake
	case "c":
		if !m.ed.draft.Excluded() {
			m.ed.toggleConfidence()
		}
	case "n":
		return m, m.ed.startNote()
	case "x":
		m.ed.startExclude()
	case "d":
		m.panelName = "definitions"
		m.showPanel(definitions(m.svc.Tax, m.width))
	case "?":
		m.panelName = "keys"
		m.showPanel(arbitrateHelp)
	case "right", "]", "left", "[", "u":
		if m.ed.dirty && !confirmed {
			return m.arm(s, "unsaved decision: enter saves it, "+s+" again moves on without saving")
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
		if len(s) == 1 && s[0] >= '1' && s[0] <= '9' {
			i := int(s[0] - '1')
			if dims := m.ed.dims(); i < len(dims) {
				d := dims[i]
				if m.ed.draft.Excluded() {
					m.ed.draft.ExcludeReason = ""
				}
				if !m.ed.applies(d) {
					m.setStatus(fmt.Sprintf("%s does not apply to this decision (%s)", d.ID, scopeText(d.AppliesWhen)), true)
					return m, nil
				}
				m.ed.startPick(d)
			}
			return m, nil
		}
		if !scroll(&m.body, s) {
			m.body, _ = m.body.Update(k)
		}
	}
	return m, nil
}

func (m *Arbiter) arm(key, msg string) (tea.Model, tea.Cmd) {
	m.confirm = key
	m.setStatus(msg, true)
	return m, nil
}

func (m *Arbiter) showPanel(content string) {
	m.panel.Width = m.width
	m.panel.SetContent(content)
	m.panel.GotoTop()
	m.ed.mode = modePanel
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
	c.Decision = &sqlite.Arbitration{Issue: a.Issue, Arbitrator: m.opts.Arbitrator, Labels: a.Labels, Confidence: a.Confidence,
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
	top := []string{ansi.Truncate(styleBold.Render(head), w, "…")}
	if m.detail != nil {
		top = append(top, issueHeader(m.detail, w))
	} else {
		top = append(top, styleErr.Render(c.Item.Issue.String()+": "+fmt.Sprint(m.loadErr)))
	}
	top = append(top, rule(w, "answers — differ on "+strings.Join(c.Disagreements, ", ")))
	diff := map[string]bool{}
	for _, d := range c.Disagreements {
		diff[d] = true
	}
	for i, r := range c.Raters {
		top = append(top, m.raterLine(i, r, c.Answers[r], diff, w))
	}
	bottom := []string{rule(w, "decision"), m.ed.answerLines(w, diff)}
	if m.status != "" {
		st := styleOK
		if m.statusErr {
			st = styleErr
		}
		bottom = append(bottom, ansi.Truncate(st.Render(m.status), w, "…"))
	}
	bottom = append(bottom, styleFaint.Render(ansi.Wrap(arbitrateKeys, w, " ")))
	topS, bottomS := strings.Join(top, "\n"), strings.Join(bottom, "\n")
	h := max(3, m.height-lipgloss.Height(topS)-lipgloss.Height(bottomS)-1)
	var main string
	switch m.ed.mode {
	case modePick:
		main = m.ed.viewPick(w, h)
	case modeReason:
		main = m.ed.viewReason(w)
	case modeNote, modeReasonText:
		main = m.ed.viewInput(w)
	case modeTake:
		var b strings.Builder
		b.WriteString(styleBold.Render("Take one rater's whole answer") + styleFaint.Render(" — press the rater's key; any other key cancels") + "\n")
		for i, r := range c.Raters {
			b.WriteString(fmt.Sprintf("  %s %s\n", styleKey.Render(string(hotkeys[i])), Line(r, 64)))
		}
		main = b.String()
	case modePanel:
		m.panel.Width, m.panel.Height = w, h-1
		main = rule(w, m.panelName+" — ↑↓ pgup pgdn scroll, esc closes") + "\n" + m.panel.View()
	default:
		m.body.Width, m.body.Height = w, h-1
		main = rule(w, "description") + "\n" + m.body.View()
	}
	return topS + "\n" + fill(main, h) + "\n" + bottomS
}

// raterLine shows one rater's answer, disputed dimensions highlighted.
func (m *Arbiter) raterLine(i int, rater string, a sqlite.Annotation, diff map[string]bool, w int) string {
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
