// Package nobgquery stops Bubble Tea v1 from querying the terminal's
// background colour when the program starts.
//
// Bubble Tea v1 calls lipgloss.HasDarkBackground in an init function, which
// writes an OSC 11 query to the terminal and waits up to five seconds for
// the answer: every bugscope command run on a terminal would pay for it,
// though only annotate and arbitrate draw anything. The interfaces use the
// terminal's own ANSI colours, which need no background to be known, so
// this package declares one before Bubble Tea's init runs.
//
// Go initialises packages in import-path order among those whose imports
// are ready (Go 1.21 and later): this package imports only Lip Gloss, and
// its path sorts before github.com/charmbracelet/bubbletea, so its init
// runs first. TestNoTerminalQuery in cmd/bugscope checks it.
package nobgquery

import "github.com/charmbracelet/lipgloss"

func init() {
	lipgloss.SetHasDarkBackground(true)
}
