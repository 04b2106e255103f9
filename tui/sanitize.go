package tui

import (
	"strings"
	"unicode/utf8"

	"github.com/bugscope/bugscope/internal/safetext"
)

// Bounds on untrusted text shown in the interface.
const (
	MaxTitle = 300      // runes
	MaxBody  = 64 << 10 // bytes
	MaxLine  = 500      // runes of a one-line field (labels, notes)
)

// Sanitize makes text from strangers (issue titles and bodies, GitHub
// labels, notes) safe to print on a terminal, by the rules of package
// safetext (escape sequences removed whole, other controls and
// bidirectional overrides dropped, invalid UTF-8 replaced), with tabs
// expanded for the layout. keepLines keeps line breaks.
func Sanitize(s string, keepLines bool) string {
	s = strings.ReplaceAll(s, "\t", "    ")
	if keepLines {
		return safetext.Text(s)
	}
	return safetext.Line(s)
}

// Bound cuts s to at most n bytes on a rune boundary, saying how much
// was left out.
func Bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "\n… (" + itoa(len(s)-cut) + " more bytes not shown)"
}

// Line sanitizes a one-line field and cuts it to n runes.
func Line(s string, n int) string {
	s = Sanitize(s, false)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
