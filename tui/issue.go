package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/study"
)

// issueHeader renders an issue's title, labels, dates and signals in a
// few lines of at most width cells. Everything from the issue is
// sanitized.
func issueHeader(d *study.Detail, width int) string {
	is := &d.Issue
	title := styleBold.Render(is.Ref().String()) + "  " + Line(is.Title, MaxTitle)
	var meta []string
	if is.State != "" {
		meta = append(meta, is.State)
	}
	if is.CreatedAt != nil {
		meta = append(meta, "opened "+is.CreatedAt.Format("2006-01-02"))
	}
	if is.ClosedAt != nil {
		meta = append(meta, "closed "+is.ClosedAt.Format("2006-01-02"))
	}
	meta = append(meta, fmt.Sprintf("%d comments", is.Comments))
	if len(is.Labels) > 0 {
		ls := make([]string, len(is.Labels))
		for i, l := range is.Labels {
			ls[i] = Line(l, 60)
		}
		meta = append(meta, "labels: "+strings.Join(ls, ", "))
	}
	if is.URL != "" {
		meta = append(meta, Line(is.URL, 200))
	}
	lines := []string{
		ansi.Wrap(title, width, " "),
		ansi.Truncate(styleFaint.Render(strings.Join(meta, " · ")), width, "…"),
	}
	if sig := signalLine(d.Signals); sig != "" {
		lines = append(lines, ansi.Truncate(styleFaint.Render("signals: ")+sig, width, "…"))
	}
	return strings.Join(lines, "\n")
}

// signalLine lists the signals by kind, most telling first.
func signalLine(sigs []bugscope.Signal) string {
	order := map[string]int{bugscope.SignalErrorSignature: 0, bugscope.SignalException: 1, bugscope.SignalGPU: 2,
		bugscope.SignalCUDA: 3, bugscope.SignalROCm: 4, bugscope.SignalBackend: 5, bugscope.SignalEngineVersion: 6, bugscope.SignalOS: 7}
	byKind := map[string][]string{}
	for _, s := range sigs {
		v := Line(s.Value, 80)
		if !contains(byKind[s.Kind], v) {
			byKind[s.Kind] = append(byKind[s.Kind], v)
		}
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		oi, okI := order[kinds[i]]
		oj, okJ := order[kinds[j]]
		if okI != okJ {
			return okI
		}
		if oi != oj {
			return oi < oj
		}
		return kinds[i] < kinds[j]
	})
	var parts []string
	for _, k := range kinds {
		parts = append(parts, k+"="+strings.Join(byKind[k], ", "))
	}
	return strings.Join(parts, " · ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// bodyText is an issue body made safe and bounded, wrapped to width.
func bodyText(body string, width int) string {
	body = strings.TrimSpace(Sanitize(Bound(body, MaxBody), true))
	if body == "" {
		return styleFaint.Render("(no description)")
	}
	return ansi.Wrap(body, max(20, width), " ")
}

// newViewport is a viewport whose keys leave letters to the interface:
// arrows, page keys, home and end scroll it.
func newViewport() viewport.Model {
	vp := viewport.New(80, 10)
	vp.KeyMap = viewport.KeyMap{
		PageDown:     key.NewBinding(key.WithKeys("pgdown", " ")),
		PageUp:       key.NewBinding(key.WithKeys("pgup")),
		HalfPageUp:   key.NewBinding(key.WithKeys("ctrl+u")),
		HalfPageDown: key.NewBinding(key.WithKeys("ctrl+d")),
		Up:           key.NewBinding(key.WithKeys("up")),
		Down:         key.NewBinding(key.WithKeys("down")),
	}
	return vp
}

// scroll handles the keys of a viewport that the viewport itself does not
// know; it reports whether it used the key.
func scroll(vp *viewport.Model, k string) bool {
	switch k {
	case "home":
		vp.GotoTop()
	case "end":
		vp.GotoBottom()
	default:
		return false
	}
	return true
}

// fill pads or cuts s to exactly h lines, so that the screen keeps its
// layout.
func fill(s string, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// rule is a horizontal line with an optional label.
func rule(width int, label string) string {
	if label == "" {
		return styleFaint.Render(strings.Repeat("─", max(0, width)))
	}
	l := "── " + label + " "
	return styleFaint.Render(l + strings.Repeat("─", max(0, width-lipgloss.Width(l))))
}
