package tui

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Bounds on untrusted text shown in the interface.
const (
	MaxTitle = 300      // runes
	MaxBody  = 64 << 10 // bytes
	MaxLine  = 500      // runes of a one-line field (labels, notes)
)

// Sanitize makes text from strangers (issue titles and bodies, GitHub
// labels, notes) safe to print on a terminal: escape sequences are
// removed whole (not just their ESC byte, which would leave "[2J"
// behind), other control characters dropped, tabs expanded, invalid UTF-8
// replaced, and bidirectional overrides (which can make text read
// differently from what it is) removed. keepLines keeps line breaks.
func Sanitize(s string, keepLines bool) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = ansi.Strip(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n' && keepLines:
			b.WriteByte('\n')
		case r == '\n' || r == '\r' && !keepLines:
			b.WriteByte(' ')
		case r == '\t':
			b.WriteString("    ")
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			// C0 and C1 controls, \r included when lines are kept
		case r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c:
			// bidirectional controls
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
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
