package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/study"
)

// screen is what the annotation and arbitration interfaces share: the
// issue on show with its scrollable description, a side panel, the editor
// of the draft (an answer or a decision), the status line and the size.
type screen struct {
	ctx context.Context
	svc *study.Service

	detail    *study.Detail
	loadErr   error
	body      viewport.Model
	panel     viewport.Model
	panelName string
	ed        editor

	width, height int
	status        string
	statusErr     bool
	confirm       string // a key pressed once with unsaved changes
	saved         int
	interrupted   bool // the user quit with ctrl+c
}

// Interrupted reports whether the user quit with ctrl+c rather than q, so
// that the command can exit as interrupted.
func (s *screen) Interrupted() bool { return s.interrupted }

func newScreen(ctx context.Context, svc *study.Service) screen {
	return screen{ctx: ctx, svc: svc, body: newViewport(), panel: newViewport(), ed: newEditor(svc), width: 100, height: 30}
}

func (s *screen) setStatus(msg string, isErr bool) { s.status, s.statusErr = msg, isErr }

// open shows an issue with draft a in the editor.
func (s *screen) open(ref bugscope.IssueRef, a study.Answer) {
	s.confirm, s.status = "", ""
	d, err := s.svc.Detail(s.ctx, ref)
	s.detail, s.loadErr = &d, err
	if err != nil {
		s.detail = nil
	}
	s.ed.reset(a)
	s.layoutBody()
	s.body.GotoTop()
}

func (s *screen) layoutBody() {
	s.body.Width = s.width
	if s.detail != nil {
		s.body.SetContent(bodyText(s.detail.Issue.Body, s.width))
	} else if s.loadErr != nil {
		s.body.SetContent(styleErr.Render("cannot load the issue: " + s.loadErr.Error()))
	}
}

func (s *screen) showPanel(name, content string) {
	s.panelName = name
	s.panel.Width = s.width
	s.panel.SetContent(content)
	s.panel.GotoTop()
	s.ed.mode = modePanel
}

// update does with a message what both interfaces do: resize, quit on
// ctrl+c (asking first, as q does, when the draft is not saved), and pass
// keys to the editor's lists and inputs and to the panel (which closeKeys
// close). It reports false for a key to browse with.
func (s *screen) update(msg tea.Msg, closeKeys ...string) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		s.width, s.height = msg.Width, msg.Height
		s.layoutBody()
		return nil, true
	case tea.KeyMsg:
		if k := msg.String(); k == "ctrl+c" {
			if s.holds(k, s.pressedAgain(k), "unsaved changes: enter saves them, ctrl+c again quits without saving") {
				return nil, true
			}
			s.interrupted = true
			return tea.Quit, true
		}
		switch s.ed.mode {
		case modePick:
			s.ed.updatePick(msg)
			return nil, true
		case modeNote, modeReasonText:
			return s.ed.updateInput(msg), true
		case modeReason:
			return s.ed.updateReason(msg), true
		case modePanel:
			if k := msg.String(); slices.Contains(closeKeys, k) {
				s.ed.mode = modeBrowse
			} else if !scroll(&s.panel, k) {
				s.panel, _ = s.panel.Update(msg)
			}
			return nil, true
		}
		return nil, false
	}
	if s.ed.mode == modeNote || s.ed.mode == modeReasonText {
		return s.ed.updateInput(msg), true
	}
	return nil, true
}

// pressedAgain reports whether key is the second press of a key that
// warned of unsaved changes; any key ends the warning.
func (s *screen) pressedAgain(key string) bool {
	again := s.confirm == key
	s.confirm = ""
	return again
}

// holds reports whether a key that would lose the unsaved draft waits
// for a second press (again false): the first press only warns with msg.
func (s *screen) holds(key string, again bool, msg string) bool {
	if !s.ed.dirty || again {
		return false
	}
	s.confirm = key
	s.setStatus(msg, true)
	return true
}

// edit handles the keys both interfaces share while browsing: the
// editor's (tab, 1-9, c, n, x), d for the definitions, and scrolling the
// description. what names the draft in messages ("answer", "decision").
func (s *screen) edit(k tea.KeyMsg, what string) tea.Cmd {
	switch key := k.String(); key {
	case "tab":
		if d := s.ed.next(-1); d != nil {
			s.ed.startPick(d)
		} else {
			s.ed.startPick(s.ed.dims()[0])
		}
	case "c":
		if !s.ed.draft.Excluded() {
			s.ed.toggleConfidence()
		}
	case "n":
		return s.ed.startNote()
	case "x":
		s.ed.startExclude()
	case "d":
		s.showPanel("definitions", definitions(s.svc.Tax, s.width))
	default:
		if len(key) == 1 && key[0] >= '1' && key[0] <= '9' {
			i := int(key[0] - '1')
			if dims := s.ed.dims(); i < len(dims) {
				d := dims[i]
				if s.ed.draft.Excluded() {
					s.ed.draft.ExcludeReason = ""
				}
				if !s.ed.applies(d) {
					s.setStatus(fmt.Sprintf("%s does not apply to this %s (%s)", d.ID, what, scopeText(d.AppliesWhen)), true)
					return nil
				}
				s.ed.startPick(d)
			}
			return nil
		}
		if !scroll(&s.body, key) {
			s.body, _ = s.body.Update(k)
		}
	}
	return nil
}

// header is the top of a screen: the head line, then the issue's header
// (or why it did not load).
func (s *screen) header(w int, head string, ref bugscope.IssueRef) []string {
	top := []string{ansi.Truncate(styleBold.Render(head), w, "…")}
	if s.detail != nil {
		return append(top, issueHeader(s.detail, w))
	}
	return append(top, styleErr.Render(ref.String()+": "+fmt.Sprint(s.loadErr)))
}

// frame lays out a screen of width w: the top lines, the main area
// (main(h), h the height left), and at the bottom the draft under a rule
// named draft (diff marks its disputed dimensions), the status and the
// keys.
func (s *screen) frame(w int, top []string, draft string, diff map[string]bool, keys string, main func(h int) string) string {
	bottom := []string{rule(w, draft), s.ed.answerLines(w, diff)}
	if s.status != "" {
		st := styleOK
		if s.statusErr {
			st = styleErr
		}
		bottom = append(bottom, ansi.Truncate(st.Render(s.status), w, "…"))
	}
	bottom = append(bottom, styleFaint.Render(ansi.Wrap(keys, w, " ")))
	topS, bottomS := strings.Join(top, "\n"), strings.Join(bottom, "\n")
	h := max(3, s.height-lipgloss.Height(topS)-lipgloss.Height(bottomS)-1)
	return topS + "\n" + fill(main(h), h) + "\n" + bottomS
}

// editing is the main area of height h while the editor shows a list or an
// input, or the panel is open; false in the other modes.
func (s *screen) editing(w, h int) (string, bool) {
	switch s.ed.mode {
	case modePick:
		return s.ed.viewPick(w, h), true
	case modeReason:
		return s.ed.viewReason(w), true
	case modeNote, modeReasonText:
		return s.ed.viewInput(w), true
	case modePanel:
		s.panel.Width, s.panel.Height = w, h-1
		return rule(w, s.panelName+" — ↑↓ pgup pgdn scroll, esc closes") + "\n" + s.panel.View(), true
	}
	return "", false
}
