// Package safetexttest holds the hostile text the tests of every output
// feed in (titles, bodies, labels, notes, names in a team's files), and the
// checks of what may come out. The regression tests of issue 15 (hostile
// text in every output) use it, so that every output meets the same cases.
package safetexttest

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Payload is one piece of hostile text. Marker is what of it must not be
// found in an output for people (for escape sequences, what a terminal
// would act on, or the text they hide); with Markdown set, only in
// Markdown (where a link or an image would work). JSON keeps every
// payload, escaped.
type Payload struct {
	Name     string
	Input    string
	Marker   string
	Markdown bool
}

// Payloads are the cases: C0 and C1 controls, escape sequences of every
// kind, bidirectional controls, NUL, and Markdown and HTML breakers.
// Formula prefixes are Formulas: they matter where they start a cell.
var Payloads = []Payload{
	{"CSI clear screen", "\x1b[2J\x1b[H", "\x1b[", false},
	{"CSI colour", "\x1b[31mred\x1b[0m", "[31m", false},
	{"OSC window title", "\x1b]0;pwned-title\x07", "pwned-title", false},
	{"OSC 8 hyperlink", "\x1b]8;;https://evil.example/osc\x1b\\click\x1b]8;;\x1b\\", "evil.example/osc", false},
	{"OSC 52 clipboard", "\x1b]52;c;cm0gLXJmIH4=\x07", "cm0gLXJmIH4=", false},
	{"DCS", "\x1bPq#0;2;0;0;0#0~~@@\x1b\\", "#0;2;0;0;0", false},
	{"ESC #8 fills the screen", "\x1b#8", "\x1b#", false},
	{"ESC c resets the terminal", "\x1bc", "\x1bc", false},
	{"8-bit CSI in UTF-8", "\u009b2J", "\u009b", false},
	{"8-bit OSC in UTF-8", "\u009d0;pwned-c1\u009c", "pwned-c1", false},
	{"8-bit DCS in UTF-8", "\u0090q\u009c", "\u0090", false},
	{"NEL", "\u0085", "\u0085", false},
	{"BEL", "\x07", "\x07", false},
	{"backspace", "x\x08", "\x08", false},
	{"NUL", "nul\x00byte", "\x00", false},
	{"lone CR", "shown\rHIDDEN", "\r", false},
	{"bidi override", "\u202eevil\u202c", "\u202e", false},
	{"bidi isolate", "\u2066iso\u2069", "\u2066", false},
	{"Markdown link", "[click](https://evil.example/md)", "[click](", true},
	{"Markdown image", "![i](https://evil.example/img.png)", "![i](", true},
	{"HTML", "<img src=x onerror=alert(1)>", "<img", true},
	{"table break", "a | b", "a | b", true},
	{"code span", "`code`", "`code`", true},
}

// Formulas are cells a spreadsheet would run.
var Formulas = []string{`=HYPERLINK("https://evil.example/f","x")`, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1"}

// Line is every payload on one line, as a hostile title.
func Line() string {
	var b strings.Builder
	for _, p := range Payloads {
		b.WriteString(p.Input + " ")
	}
	return b.String()
}

// Body is every payload on a line of its own, as a hostile body.
func Body() string {
	var b strings.Builder
	for _, p := range Payloads {
		b.WriteString("text " + p.Input + " after\n")
	}
	return b.String()
}

// Unsafe returns a description of the first thing in out, an output for
// people without styling (Markdown when markdown is set), that a terminal
// would act on (Controls) or a payload's marker (Leak); "" when there is
// none.
func Unsafe(out string, markdown bool) string {
	if c := Controls(out); c != "" {
		return c
	}
	return Leak(out, markdown)
}

// Controls returns a description of the first thing in out that a
// terminal would act on: ESC, a C0 control but line feed and tab, DEL, a
// C1 control, a bidirectional control, invalid UTF-8; "" when there is
// none. JSON must pass it too, its strings escaped.
func Controls(out string) string {
	if !utf8.ValidString(out) {
		return "invalid UTF-8"
	}
	for i, r := range out {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c {
			return fmt.Sprintf("%U at byte %d: %q", r, i, context(out, i))
		}
	}
	return ""
}

// Leak returns the name of the first payload whose marker out holds (the
// Markdown ones only when markdown is set), or "". Use it alone on styled
// output (the terminal interfaces draw their own escape sequences).
func Leak(out string, markdown bool) string {
	for _, p := range Payloads {
		if p.Marker != "" && (markdown || !p.Markdown) && strings.Contains(out, p.Marker) {
			i := strings.Index(out, p.Marker)
			return fmt.Sprintf("%s (%q) at byte %d: %q", p.Name, p.Marker, i, context(out, i))
		}
	}
	return ""
}

func context(s string, i int) string {
	return s[max(0, i-40):min(len(s), i+40)]
}
