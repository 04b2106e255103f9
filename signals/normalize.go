package signals

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	maxValue   = 120 // bytes in a value
	maxMessage = 80  // bytes of an exception message in a generic signature
)

// stripANSI removes terminal colour codes, both real (ESC [ … m) and the
// "[31m" remnants left when an ESC byte is lost in a copy and paste.
func stripANSI(s string) string {
	if !strings.Contains(s, "[") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		if s[j] == 0x1b {
			j++
		}
		if j < len(s) && s[j] == '[' {
			k := j + 1
			for k < len(s) && k-j < 16 && (isDigit(s[k]) || s[k] == ';') {
				k++
			}
			if k < len(s) && k > j+1 && s[k] == 'm' || s[i] == 0x1b && k < len(s) && isLetter(s[k]) {
				i = k + 1
				continue
			}
		}
		if s[i] == 0x1b {
			i++
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// normMessage turns the text of an error message into a signature: numbers
// become N, hex addresses 0xX, long hex identifiers <hex>, file paths
// <path>, URLs <url> and quoted names <str>, so that the same error counts
// once whatever the sizes, ranks and files involved.
func normMessage(s string) string {
	s = stripANSI(s)
	var b strings.Builder
	prevWord := false // previous output byte was a letter, digit or _
	for i := 0; i < len(s); {
		c := s[i]
		// URLs.
		if (c == 'h' || c == 'H') && !prevWord && (hasPrefixFold(s[i:], "http://") || hasPrefixFold(s[i:], "https://")) {
			j := i
			for j < len(s) && !isSpace(s[j]) && s[j] != '"' && s[j] != '\'' && s[j] != ')' && s[j] != ']' {
				j++
			}
			b.WriteString("<url>")
			i, prevWord = j, false
			continue
		}
		// Paths: a run of path characters with at least two separators,
		// or one leading separator.
		if !prevWord {
			if j, ok := pathAt(s, i); ok {
				b.WriteString("<path>")
				i, prevWord = j, false
				continue
			}
		}
		// Quoted names.
		if (c == '\'' || c == '"' || c == '`') && !prevWord {
			if j := closingQuote(s, i); j > 0 {
				b.WriteString("<str>")
				i, prevWord = j, false
				continue
			}
		}
		if !prevWord && isWord(c) {
			j := i
			for j < len(s) && isWord(s[j]) {
				j++
			}
			w := s[i:j]
			switch {
			case len(w) > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X') && isHex(w[2:]):
				b.WriteString("0xX")
				i, prevWord = j, true
				continue
			case len(w) >= 8 && isHex(w) && hasDigit(w) && hasHexLetter(w):
				b.WriteString("<hex>")
				i, prevWord = j, true
				continue
			case isDigits(w):
				// A number, with its decimals and thousands separators.
				for j+1 < len(s) && (s[j] == '.' || s[j] == ',') && isDigit(s[j+1]) {
					k := j + 1
					for k < len(s) && isDigit(s[k]) {
						k++
					}
					if k < len(s) && isWord(s[k]) {
						break
					}
					j = k
				}
				b.WriteByte('N')
				i, prevWord = j, true
				continue
			}
			b.WriteString(w)
			i, prevWord = j, true
			continue
		}
		b.WriteByte(c)
		prevWord = isWord(c)
		i++
	}
	return b.String()
}

// pathAt reports whether a file path starts at s[i], and where it ends.
func pathAt(s string, i int) (int, bool) {
	j, seps := i, 0
	lead := false
	if i+2 < len(s) && isLetter(s[i]) && s[i+1] == ':' && (s[i+2] == '\\' || s[i+2] == '/') {
		j, seps, lead = i+3, 1, true // C:\
	} else if s[i] == '/' || s[i] == '\\' {
		lead = true
	} else if s[i] == '~' || s[i] == '.' {
		// ~/x, ./x, ../x
	} else if !isWord(s[i]) {
		return 0, false
	}
	for j < len(s) {
		c := s[j]
		if c == '/' || c == '\\' {
			seps++
		} else if !(isWord(c) || c == '.' || c == '-' || c == '~' || c == '+' || c == '@' || c == '=') {
			break
		}
		j++
	}
	if j-i < 2 {
		return 0, false
	}
	if seps >= 2 || lead && seps >= 1 && j-i > 1 && hasLetterOrDigit(s[i:j]) {
		return j, true
	}
	return 0, false
}

// closingQuote returns the index after the quote closing the one at s[i],
// or 0 when the quote does not enclose a short single-line name.
func closingQuote(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s) && j-i <= 200; j++ {
		switch s[j] {
		case '\n', '\r':
			return 0
		case q:
			if j == i+1 {
				return 0
			}
			// The closing quote must not be an apostrophe inside a word.
			if j+1 < len(s) && isWord(s[j+1]) {
				return 0
			}
			return j + 1
		}
	}
	return 0
}

// trailing is what tidy cuts from the end of a value: punctuation, and the
// backticks of the Markdown code span a message was pasted in.
const trailing = " .,;:!-=|`"

// tidy collapses white space, drops trailing punctuation, makes the value
// valid UTF-8 and bounds its length.
func tidy(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimRight(s, trailing)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimRight(s[:cut], trailing)
	}
	return s
}

// majorMinor reads a CUDA or ROCm version ("12.1", "12.4.131", "121",
// "6.0.32830") as major.minor, checking the major against [lo, hi].
func majorMinor(v string, lo, hi int) string {
	v = strings.TrimLeft(v, "vV")
	var maj, min string
	if a, rest, ok := strings.Cut(v, "."); ok {
		maj = a
		min, _, _ = strings.Cut(rest, ".")
	} else if isDigits(v) && len(v) == 3 {
		maj, min = v[:2], v[2:] // cu121
	} else if isDigits(v) && len(v) == 2 && lo < 10 {
		maj, min = v[:1], v[1:] // rocm61
	} else {
		return ""
	}
	if !isDigits(maj) || !isDigits(min) || len(min) > 2 {
		return ""
	}
	n, err := strconv.Atoi(maj)
	if err != nil || n < lo || n > hi {
		return ""
	}
	m, _ := strconv.Atoi(min)
	return strconv.Itoa(n) + "." + strconv.Itoa(m)
}

// engineVersion normalises a release string: no leading v, no local part
// (+g1234, +cu124), a development build reduced to ".dev".
func engineVersion(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.TrimLeft(v, "v")
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	if i := strings.Index(v, "post"); i > 0 && v[i-1] != '.' {
		v = v[:i] + "." + v[i:] // 0.4.3post2 is 0.4.3.post2
	}
	if i := strings.Index(v, "dev"); i >= 0 {
		v = strings.TrimRight(v[:i], ".") + ".dev"
	}
	return strings.TrimRight(v, ".-_")
}

// gpuTokens writes GPU model words in their usual spelling: upper case,
// except for the suffixes vendors write in mixed case.
func gpuTokens(s string) string {
	fs := strings.Fields(s)
	for i, f := range fs {
		l := strings.ToLower(f)
		if c, ok := gpuWords[l]; ok {
			fs[i] = c
		} else if len(l) >= 2 && l[0] == 'v' && isDigit(l[1]) {
			fs[i] = l // TPU generations: v5e, v6e
		} else {
			fs[i] = strings.ToUpper(f)
		}
	}
	return strings.Join(fs, " ")
}

var gpuWords = map[string]string{
	"ti": "Ti", "super": "SUPER", "pro": "Pro", "max": "Max", "ultra": "Ultra",
	"xt": "XT", "xtx": "XTX", "gre": "GRE", "orin": "Orin", "nano": "Nano",
	"xavier": "Xavier", "thor": "Thor", "ada": "Ada", "laptop": "Laptop",
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isWord(c byte) bool   { return isDigit(c) || isLetter(c) || c == '_' }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !isDigit(s[i]) && !('a' <= c && c <= 'f') {
			return false
		}
	}
	return s != ""
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}

func hasHexLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; 'a' <= c && c <= 'f' {
			return true
		}
	}
	return false
}

func hasLetterOrDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) || isLetter(s[i]) {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
