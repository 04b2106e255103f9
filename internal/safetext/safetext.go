// Package safetext makes text from strangers safe to show. Issue titles
// and bodies, labels, notes, evidence quotes and the names in a team's
// taxonomy file are written by people bugscope does not know, and every
// output that can reach a terminal, a Markdown viewer or a spreadsheet
// passes them through here, once:
//
//   - on a terminal (Text, Line): escape sequences of every kind (CSI,
//     OSC, DCS, SOS, PM, APC, nF sequences such as ESC #8 and ESC ( B,
//     single-character escapes), the same introduced by 8-bit C1
//     controls written in UTF-8, the other C0 and C1 controls (BEL, NUL,
//     backspace, a lone carriage return that would overwrite a line),
//     DEL, and bidirectional overrides and isolates (which make text read
//     otherwise than it is) are removed; invalid UTF-8 becomes U+FFFD.
//     Removing, not escaping: the output is for people, and a visible
//     escape of every colour code in a pasted log helps nobody.
//   - in Markdown (Markdown): the same, then every character that could
//     start markup (links, images, emphasis, code, HTML, table cells) is
//     escaped, on one line. Links are built by IssueURL and MarkdownLink.
//   - in CSV (CSVCell, CSVWriter): the terminal rules, keeping line
//     breaks and tabs inside the cell, and a cell that a spreadsheet would
//     run as a formula (first character = + - @, or a tab) gets a leading
//     quote, as OWASP recommends; plain numbers are left alone.
//   - in JSON (JSON, WriteJSON): nothing is lost, since JSON files are
//     data that tools read back; the characters encoding/json leaves raw
//     and a terminal would act on (C1 controls, DEL, bidirectional
//     controls) are written as \u escapes, which decode to the same text.
//
// Stored data stays as it came; only output is made safe.
package safetext

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Text makes s safe to print on a terminal, keeping line breaks (a
// carriage return ends a line too) and tabs.
func Text(s string) string { return clean(s, true) }

// Line is Text on one line: line breaks and tabs become spaces.
func Line(s string) string { return clean(s, false) }

func clean(s string, keepLines bool) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if needsStrip(s) {
		s = ansi.Strip(sevenBit(s))
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\n' || r == '\t':
			if keepLines {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		case r == '\r':
			// \r\n is one break; a lone \r would send the cursor back
			// over the line, so it breaks the line instead.
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			if keepLines {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		case IsControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// IsControl reports whether a terminal could act on r rather than show
// it: C0 and C1 controls, DEL, and the bidirectional controls (embeddings,
// overrides, isolates and marks).
func IsControl(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || isBidi(r)
}

func isBidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

// needsStrip reports whether s holds ESC or an 8-bit C1 control, which
// can start an escape sequence.
func needsStrip(s string) bool {
	if strings.IndexByte(s, 0x1b) >= 0 {
		return true
	}
	// U+0080..U+009F are C2 80..C2 9F in UTF-8.
	for i := strings.IndexByte(s, 0xc2); i >= 0 && i+1 < len(s); {
		if c := s[i+1]; c >= 0x80 && c < 0xa0 {
			return true
		}
		j := strings.IndexByte(s[i+1:], 0xc2)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// sevenBit rewrites the 8-bit C1 controls of s (U+0080..U+009F) as their
// 7-bit equivalents, ESC and a letter (CSI U+009B is ESC [), so that the
// sequences they introduce are stripped whole, as a terminal that honours
// them would read them.
func sevenBit(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if r >= 0x80 && r < 0xa0 {
			b.WriteByte(0x1b)
			b.WriteByte(byte(r - 0x40))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
