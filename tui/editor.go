package tui

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// mode is what the keys act on.
type mode int

const (
	modeBrowse     mode = iota // read the issue; keys choose what to edit
	modePick                   // choose a dimension's value(s)
	modeNote                   // type a note
	modeReason                 // choose an exclusion reason
	modeReasonText             // type an exclusion reason
	modePanel                  // a scrollable panel (definitions, suggestion, help)
	modeTake                   // arbitration: take one rater's whole answer
)

var (
	styleBold    = lipgloss.NewStyle().Bold(true)
	styleFaint   = lipgloss.NewStyle().Faint(true)
	styleCursor  = lipgloss.NewStyle().Reverse(true)
	styleMissing = lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true)
	styleDiff    = lipgloss.NewStyle().Foreground(lipgloss.Color("3")).Bold(true)
	styleOK      = lipgloss.NewStyle().Foreground(lipgloss.Color("2"))
	styleErr     = lipgloss.NewStyle().Foreground(lipgloss.Color("1"))
	styleKey     = lipgloss.NewStyle().Bold(true)
)

// hotkeys label the choices of a picker (study.Choices keys them).
const hotkeys = study.Hotkeys

// option is one line of a picker.
type option struct {
	id     string
	label  string
	desc   string
	header bool   // a group heading; selectable only when the taxonomy accepts groups as values
	key    string // its hotkey
	marks  string // who chose it (arbitration)
}

// picker chooses the value(s) of one dimension.
type picker struct {
	dim      *taxonomy.Dimension
	opts     []option
	cursor   int
	selected map[string]bool // multi-valued dimensions
}

// editor edits one answer: labels dimension by dimension, confidence, a
// note, or an exclusion with its reason. The annotation and arbitration
// interfaces share it.
type editor struct {
	tax     *taxonomy.Taxonomy
	svc     *study.Service
	draft   study.Answer
	dirty   bool
	mode    mode
	pick    picker
	input   textinput.Model
	reasons []string
	rcursor int
	// visited dimensions of this answer, for the walk from one
	// dimension to the next.
	visited map[string]bool
	// marks, when set, says who chose a value (arbitration).
	marks func(dim, value string) string
}

func newEditor(svc *study.Service) editor {
	ti := textinput.New()
	ti.CharLimit = study.MaxNote
	ti.Prompt = "> "
	return editor{tax: svc.Tax, svc: svc, input: ti, reasons: study.ExcludeReasons(), visited: map[string]bool{}}
}

// reset starts editing a new answer.
func (e *editor) reset(a study.Answer) {
	a.Labels = cloneLabels(a.Labels)
	if a.Confidence == "" && !a.Excluded() {
		a.Confidence = labelrec.High
	}
	e.draft, e.dirty, e.mode, e.visited = a, false, modeBrowse, map[string]bool{}
	for d := range a.Labels {
		e.visited[d] = true
	}
}

func cloneLabels(l bugscope.Labels) bugscope.Labels {
	out := bugscope.Labels{}
	for k, v := range l {
		if len(v) > 0 {
			out[k] = append([]string(nil), v...)
		}
	}
	return out
}

// dims are the taxonomy's dimensions that a key can reach (at most 9).
func (e *editor) dims() []*taxonomy.Dimension {
	ds := e.tax.Dimensions
	if len(ds) > 9 {
		ds = ds[:9]
	}
	return ds
}

// applies reports whether dimension d applies to the draft.
func (e *editor) applies(d *taxonomy.Dimension) bool { return e.tax.Applies(d, e.draft.Labels) }

// next returns the dimension after index from (-1: from the start) that
// still wants an answer: a single-valued one without a value, or a
// multi-valued one not visited yet; nil when none does.
func (e *editor) next(from int) *taxonomy.Dimension {
	for i, d := range e.dims() {
		if i <= from || !e.applies(d) {
			continue
		}
		if d.Multi && !e.visited[d.ID] || !d.Multi && len(e.draft.Labels[d.ID]) == 0 {
			return d
		}
	}
	return nil
}

func (e *editor) indexOf(d *taxonomy.Dimension) int {
	for i, x := range e.dims() {
		if x == d {
			return i
		}
	}
	return -1
}

// startPick opens the picker of dimension d.
func (e *editor) startPick(d *taxonomy.Dimension) {
	p := picker{dim: d, selected: map[string]bool{}}
	for _, c := range study.Choices(d) {
		o := option{id: c.ID, label: c.Name, desc: c.Description, header: c.Header, key: c.Key}
		if e.marks != nil && c.Selectable {
			o.marks = e.marks(d.ID, o.id)
		}
		p.opts = append(p.opts, o)
	}
	for _, v := range e.draft.Labels[d.ID] {
		p.selected[v] = true
	}
	// Start on the current value, or the first choice.
	p.cursor = -1
	for i, o := range p.opts {
		if !e.selectable(d, o) {
			continue
		}
		if p.cursor < 0 || p.selected[o.id] && !d.Multi {
			p.cursor = i
			if p.selected[o.id] {
				break
			}
		}
	}
	e.pick, e.mode = p, modePick
}

func (e *editor) selectable(d *taxonomy.Dimension, o option) bool { return !o.header || d.AcceptGroups }

// moveCursor moves the picker's cursor by delta selectable options.
func (e *editor) moveCursor(delta int) {
	p := &e.pick
	i := p.cursor
	for step := 0; step < len(p.opts); step++ {
		i += delta
		if i < 0 || i >= len(p.opts) {
			return
		}
		if e.selectable(p.dim, p.opts[i]) {
			p.cursor = i
			return
		}
	}
}

// choose applies a value picked for a single-valued dimension and walks
// on to the next dimension that wants an answer.
func (e *editor) choose(id string) {
	d := e.pick.dim
	e.draft.ExcludeReason = ""
	e.draft.Labels[d.ID] = []string{id}
	e.draft.Labels = e.svc.Prune(e.draft.Labels)
	e.visited[d.ID], e.dirty = true, true
	e.advance(d)
}

// commitMulti stores a multi-valued dimension's selection.
func (e *editor) commitMulti() {
	d := e.pick.dim
	var vals []string
	for _, o := range e.pick.opts {
		if e.pick.selected[o.id] && e.selectable(d, o) {
			vals = append(vals, o.id)
		}
	}
	e.draft.ExcludeReason = ""
	if len(vals) == 0 {
		delete(e.draft.Labels, d.ID)
	} else {
		e.draft.Labels[d.ID] = vals
	}
	e.draft.Labels = e.svc.Prune(e.draft.Labels)
	e.visited[d.ID], e.dirty = true, true
	e.advance(d)
}

func (e *editor) advance(d *taxonomy.Dimension) {
	if n := e.next(e.indexOf(d)); n != nil {
		e.startPick(n)
		return
	}
	e.mode = modeBrowse
}

// updatePick handles a key in the picker.
func (e *editor) updatePick(k tea.KeyMsg) {
	p := &e.pick
	switch s := k.String(); s {
	case "esc":
		e.mode = modeBrowse
	case "up":
		e.moveCursor(-1)
	case "down":
		e.moveCursor(1)
	case "backspace", "delete":
		delete(e.draft.Labels, p.dim.ID)
		e.draft.Labels = e.svc.Prune(e.draft.Labels)
		e.dirty = true
		if p.dim.Multi {
			p.selected = map[string]bool{}
		} else {
			e.mode = modeBrowse
		}
	case "enter", " ":
		if p.cursor < 0 {
			return
		}
		o := p.opts[p.cursor]
		switch {
		case p.dim.Multi && s == " ":
			p.selected[o.id] = !p.selected[o.id]
		case p.dim.Multi:
			e.commitMulti()
		default:
			e.choose(o.id)
		}
	default:
		for i, o := range p.opts {
			if o.key != "" && o.key == s {
				p.cursor = i
				if p.dim.Multi {
					p.selected[o.id] = !p.selected[o.id]
				} else {
					e.choose(o.id)
				}
				return
			}
		}
	}
}

// viewPick renders the picker in at most h lines.
func (e *editor) viewPick(width, h int) string {
	p := &e.pick
	d := p.dim
	var b strings.Builder
	how := "press a value's key"
	if d.Multi {
		how = "keys toggle values, enter accepts, backspace clears"
	} else {
		how += ", or ↑↓ and enter; backspace clears"
	}
	b.WriteString(styleBold.Render(d.Name) + styleFaint.Render(" — "+how+"; esc cancels") + "\n")
	desc := ""
	if p.cursor >= 0 {
		o := p.opts[p.cursor]
		desc = ansi.Wrap(o.id+": "+strings.Join(strings.Fields(o.desc), " "), width, " ")
	}
	room := max(3, h-2-lipgloss.Height(desc))
	// A long list goes into columns when the screen is wide enough, so
	// that every key stays in sight; else it scrolls with the cursor.
	cols := (len(p.opts) + room - 1) / room
	if cols < 1 || width/cols < 30 {
		cols = 1
	}
	lines, cursorLine := e.pickLines(cols == 1)
	if cols > 1 {
		colW := width / cols
		per := (len(lines) + cols - 1) / cols
		rows := make([]string, per)
		for c := 0; c < cols; c++ {
			for r := 0; r < per; r++ {
				i := c*per + r
				cell := ""
				if i < len(lines) {
					cell = ansi.Truncate(lines[i], colW-1, "…")
				}
				if c < cols-1 {
					cell += strings.Repeat(" ", max(0, colW-lipgloss.Width(cell)))
				}
				rows[r] += cell
			}
		}
		b.WriteString(strings.Join(rows, "\n"))
	} else {
		for i := range lines {
			lines[i] = ansi.Truncate(lines[i], width, "…")
		}
		start := 0
		if cursorLine >= room {
			start = cursorLine - room + 1
		}
		end := min(len(lines), start+room)
		b.WriteString(strings.Join(lines[start:end], "\n"))
	}
	if desc != "" {
		b.WriteString("\n" + styleFaint.Render(desc))
	}
	return b.String()
}

// pickLines renders the picker's options, one a line: key, mark, value,
// who chose it, its name. aligned pads the values to one width.
func (e *editor) pickLines(aligned bool) (lines []string, cursorLine int) {
	p := &e.pick
	d := p.dim
	idW := 0
	if aligned {
		for _, o := range p.opts {
			idW = max(idW, len(o.id))
		}
	}
	for i, o := range p.opts {
		mark := ""
		if d.Multi && e.selectable(d, o) {
			mark = "[ ] "
			if p.selected[o.id] {
				mark = "[x] "
			}
		} else if p.selected[o.id] {
			mark = "• "
		}
		var line string
		if o.header && !d.AcceptGroups {
			line = styleFaint.Render(o.label)
		} else {
			key := o.key
			if key == "" {
				key = " "
			}
			indent := ""
			if !o.header && len(d.Groups) > 0 {
				indent = "  "
			}
			who := ""
			if o.marks != "" {
				who = " " + styleDiff.Render("← "+o.marks)
			}
			line = fmt.Sprintf("%s%s %s%-*s%s  %s", indent, styleKey.Render(key), mark, idW, o.id, who, styleFaint.Render(o.label))
		}
		if i == p.cursor {
			line = styleCursor.Render("› " + ansi.Strip(line))
			cursorLine = len(lines)
		} else {
			line = "  " + line
		}
		lines = append(lines, line)
	}
	return lines, cursorLine
}

// startNote opens the note input.
func (e *editor) startNote() tea.Cmd {
	e.input.SetValue(e.draft.Note)
	e.input.CharLimit = study.MaxNote
	e.input.Placeholder = "a note on this issue (enter keeps it, esc cancels)"
	e.mode = modeNote
	return e.input.Focus()
}

// startExclude toggles an exclusion: an excluded answer is included again,
// else the reason picker opens.
func (e *editor) startExclude() {
	if e.draft.Excluded() {
		e.draft.ExcludeReason = ""
		e.dirty = true
		return
	}
	e.rcursor, e.mode = 0, modeReason
}

func (e *editor) updateReason(k tea.KeyMsg) tea.Cmd {
	n := len(e.reasons) + 1 // the last line types another reason
	switch s := k.String(); s {
	case "esc":
		e.mode = modeBrowse
	case "up":
		e.rcursor = max(0, e.rcursor-1)
	case "down":
		e.rcursor = min(n-1, e.rcursor+1)
	case "enter":
		return e.pickReason(e.rcursor)
	default:
		if i := strings.Index(hotkeys, s); i >= 0 && len(s) == 1 && i < n {
			return e.pickReason(i)
		}
	}
	return nil
}

func (e *editor) pickReason(i int) tea.Cmd {
	if i < len(e.reasons) {
		e.exclude(e.reasons[i])
		return nil
	}
	e.input.SetValue("")
	e.input.CharLimit = study.MaxReason
	e.input.Placeholder = "why this issue is left out"
	e.mode = modeReasonText
	return e.input.Focus()
}

func (e *editor) exclude(reason string) {
	e.draft.ExcludeReason = reason
	e.draft.Labels = bugscope.Labels{}
	e.dirty, e.mode = true, modeBrowse
}

func (e *editor) viewReason(width int) string {
	var b strings.Builder
	b.WriteString(styleBold.Render("Leave this issue out of the study") + styleFaint.Render(" — press a reason's key; esc cancels") + "\n")
	for i, r := range append(append([]string(nil), e.reasons...), "another reason…") {
		line := fmt.Sprintf("  %s %s", styleKey.Render(string(hotkeys[i])), r)
		if i == e.rcursor {
			line = styleCursor.Render("› " + ansi.Strip(line)[2:])
		}
		b.WriteString(ansi.Truncate(line, width, "…") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// updateInput handles a key while a note or a reason is typed.
func (e *editor) updateInput(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok {
		switch k.String() {
		case "esc":
			e.input.Blur()
			e.mode = modeBrowse
			return nil
		case "enter":
			v := strings.TrimSpace(Sanitize(e.input.Value(), false))
			e.input.Blur()
			if e.mode == modeNote {
				if v != e.draft.Note {
					e.draft.Note, e.dirty = v, true
				}
				e.mode = modeBrowse
				return nil
			}
			if v == "" {
				e.mode = modeBrowse
				return nil
			}
			e.exclude(v)
			return nil
		}
	}
	var cmd tea.Cmd
	e.input, cmd = e.input.Update(msg)
	// What is pasted is shown as it is typed: safe from the first key.
	if v := e.input.Value(); Sanitize(v, false) != v {
		e.input.SetValue(Sanitize(v, false))
	}
	return cmd
}

func (e *editor) viewInput(width int) string {
	title := "Note"
	if e.mode == modeReasonText {
		title = "Reason for leaving the issue out"
	}
	e.input.Width = max(10, width-4)
	return styleBold.Render(title) + styleFaint.Render(" — enter keeps it, esc cancels") + "\n" + e.input.View()
}

// toggleConfidence switches between high and low.
func (e *editor) toggleConfidence() {
	if e.draft.Confidence == labelrec.Low {
		e.draft.Confidence = labelrec.High
	} else {
		e.draft.Confidence = labelrec.Low
	}
	e.dirty = true
}

// answerLines renders the draft: one entry per dimension with its key,
// then confidence and note. diff marks dimensions to highlight.
func (e *editor) answerLines(width int, diff map[string]bool) string {
	if e.draft.Excluded() {
		return styleDiff.Render("LEFT OUT: ") + Line(e.draft.ExcludeReason, MaxLine) + styleFaint.Render("   (x includes it again)")
	}
	var parts []string
	for i, d := range e.dims() {
		name := d.ID
		if diff[d.ID] {
			name = styleDiff.Render(name)
		}
		var val string
		switch {
		case !e.applies(d):
			val = styleFaint.Render("n/a")
		case len(e.draft.Labels[d.ID]) > 0:
			val = styleOK.Render(strings.Join(e.draft.Labels[d.ID], ","))
		case d.Multi && e.visited[d.ID]:
			val = styleOK.Render("none")
		case d.Multi:
			val = styleFaint.Render("none?")
		default:
			val = styleMissing.Render("?")
		}
		parts = append(parts, styleKey.Render(strconv.Itoa(i+1))+" "+name+": "+val)
	}
	parts = append(parts, styleKey.Render("c")+" confidence: "+orDash(e.draft.Confidence))
	line := strings.Join(parts, "  ")
	out := ansi.Wrap(line, width, " ")
	note := "none"
	if e.draft.Note != "" {
		note = Line(e.draft.Note, MaxLine)
	}
	return out + "\n" + ansi.Truncate(styleKey.Render("n")+" note: "+note, width, "…")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// definitions renders the taxonomy's definitions for the panel.
func definitions(tax *taxonomy.Taxonomy, width int) string {
	var b strings.Builder
	wrap := func(s, indent string) {
		b.WriteString(ansi.Wrap(indent+strings.Join(strings.Fields(s), " "), width, " ") + "\n")
	}
	b.WriteString(styleBold.Render(tax.Title) + fmt.Sprintf(" (%s, version %s)\n", tax.Name, tax.Version))
	if tax.Description != "" {
		wrap(tax.Description, "")
	}
	for i, d := range tax.Dimensions {
		b.WriteString("\n" + styleBold.Render(fmt.Sprintf("%d %s (%s)", i+1, d.Name, d.ID)))
		var how []string
		if d.Multi {
			how = append(how, "any number of values")
		} else {
			how = append(how, "one value")
		}
		if d.Ordinal {
			how = append(how, "ordered")
		}
		keys := make([]string, 0, len(d.AppliesWhen))
		for k := range d.AppliesWhen {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			how = append(how, "only when "+k+" is "+strings.Join(d.AppliesWhen[k], " or "))
		}
		b.WriteString(styleFaint.Render(" — "+strings.Join(how, ", ")) + "\n")
		if d.Description != "" {
			wrap(d.Description, "")
		}
		for _, g := range d.Groups {
			b.WriteString(styleBold.Render("  "+g.Name) + styleFaint.Render(" ("+g.ID+")") + "\n")
			if g.Description != "" {
				wrap(g.Description, "  ")
			}
			for _, v := range g.Values {
				wrap(v.ID+" — "+v.Name+": "+v.Description, "    ")
			}
		}
		for _, v := range d.Values {
			wrap(v.ID+" — "+v.Name+": "+v.Description, "  ")
		}
	}
	return b.String()
}
