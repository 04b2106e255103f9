package classify

import (
	"regexp"
	"regexp/syntax"
	"unicode"
)

// Rules' regular expressions are case-insensitive. Go's regexp matches a
// case-folded literal rune by rune through unicode.SimpleFold; on text whose
// ASCII letters are lowered first (asciiLower, which keeps every byte
// offset), the same expression with its ASCII literals lowered and
// unfolded matches exactly where the original does, and faster.

// lowerRegex returns the expression (?i)expr rewritten for ASCII-lowered
// text, or nil when it cannot be: a case-sensitive part ((?-i)) that names
// an upper-case ASCII letter, or a character class that holds one case of
// an ASCII letter without the other.
func lowerRegex(expr string) *regexp.Regexp {
	re, err := syntax.Parse("(?i)"+expr, syntax.Perl)
	if err != nil || !lowerAST(re) {
		return nil
	}
	out, err := regexp.Compile(re.String())
	if err != nil {
		return nil
	}
	return out
}

func lowerAST(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		ascii := true
		for _, r := range re.Rune {
			ascii = ascii && r < unicode.MaxASCII
		}
		switch {
		case re.Flags&syntax.FoldCase != 0 && ascii:
			lowerLiteral(re)
		case re.Flags&syntax.FoldCase == 0:
			for _, r := range re.Rune {
				if 'A' <= r && r <= 'Z' {
					return false
				}
			}
		}
	case syntax.OpCharClass:
		for c := 'A'; c <= 'Z'; c++ {
			if inClass(re.Rune, c) != inClass(re.Rune, c+'a'-'A') {
				return false
			}
		}
	}
	for _, sub := range re.Sub {
		if !lowerAST(sub) {
			return false
		}
	}
	return true
}

// lowerLiteral rewrites a case-folded ASCII literal as the concatenation
// of lowered, unfolded runs, except for k and s: folded, they also match
// the Kelvin sign and the long s, which asciiLower leaves as they are.
func lowerLiteral(re *syntax.Regexp) {
	var parts []*syntax.Regexp
	run := []rune{}
	flush := func() {
		if len(run) > 0 {
			parts = append(parts, &syntax.Regexp{Op: syntax.OpLiteral, Flags: re.Flags &^ syntax.FoldCase, Rune: run})
			run = []rune{}
		}
	}
	for _, r := range re.Rune {
		l := unicode.ToLower(r)
		if l == 'k' || l == 's' {
			flush()
			parts = append(parts, &syntax.Regexp{Op: syntax.OpLiteral, Flags: re.Flags, Rune: []rune{l}})
			continue
		}
		run = append(run, l)
	}
	flush()
	if len(parts) == 1 {
		*re = *parts[0]
		return
	}
	*re = syntax.Regexp{Op: syntax.OpConcat, Flags: re.Flags, Sub: parts}
}

// inClass reports whether r is in the class given as range pairs.
func inClass(ranges []rune, r rune) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] <= r && r <= ranges[i+1] {
			return true
		}
	}
	return false
}

// asciiLower lowers the ASCII letters of s, leaving every other byte, so
// that offsets in the result are offsets in s.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && !('A' <= s[i] && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
