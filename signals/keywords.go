package signals

import (
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// requiredKeywords derives from a regular expression a set of lower-case
// ASCII strings of which every match must contain at least one (compared
// ASCII case-insensitively). A keyword may start or end with the marker
// boundary (\x01): the regexp requires a word boundary there (\b), which
// keeps a short keyword such as "hpu" from firing inside "throughput". It
// returns nil when it finds no set whose shortest member scores at least
// minLen (a boundary counts as a byte); the rule must then list its
// keywords by hand.
func requiredKeywords(expr string, minLen int) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	ks := litSet(re.Simplify())
	best := ks.best()
	if best == nil || minKeyLen(best) < minLen {
		return nil
	}
	return best
}

// prefixKeywords derives from a regular expression a set of keywords one
// of which every match starts with, or nil. A rule with such a set is tried
// only at the keyword's position (anchored), the cheapest way to run it.
func prefixKeywords(expr string, minLen int) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	if hasLineAnchor(re) {
		// The anchored run starts at the keyword and ends a bounded way
		// after it, not at line ends.
		return nil
	}
	set, ok := prefixSet(re)
	if !ok || len(set) == 0 || len(set) > maxSet || minKeyLen(set) < minLen {
		return nil
	}
	for _, x := range set {
		if t, _, _ := splitKeyword(x); t == "" {
			return nil
		}
	}
	return set
}

func hasLineAnchor(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return true
	}
	for _, sub := range re.Sub {
		if hasLineAnchor(sub) {
			return true
		}
	}
	return false
}

func prefixSet(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		s := strings.ToLower(string(re.Rune))
		if !isASCII(s) {
			// Keep the ASCII head: still a prefix of every match.
			i := 0
			for i < len(s) && s[i] < utf8.RuneSelf {
				i++
			}
			if i == 0 {
				return nil, false
			}
			s = s[:i]
		}
		return []string{s}, true
	case syntax.OpWordBoundary:
		return []string{boundary}, true
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpCharClass:
		k := litSet(re)
		return k.set, k.exact
	case syntax.OpCapture, syntax.OpPlus:
		return prefixSet(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min == 0 {
			return nil, false
		}
		return prefixSet(re.Sub[0])
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			p, ok := prefixSet(sub)
			if !ok {
				return nil, false
			}
			all = union(all, p)
		}
		return all, len(all) <= maxSet
	case syntax.OpConcat:
		acc := []string{""}
		for _, sub := range re.Sub {
			if k := litSet(sub); k.exact {
				p := product(acc, k.set)
				if p == nil {
					return acc, true
				}
				acc = p
				continue
			}
			if p, ok := prefixSet(sub); ok {
				if q := product(acc, p); q != nil {
					acc = q
				}
			}
			return acc, true
		}
		return acc, true
	}
	// ^ and $ (a keyword's position need not be a line start), x*, x?, .
	return nil, false
}

// boundary marks a required word boundary at either end of a keyword.
const boundary = "\x01"

// tidyMarkers collapses repeated boundary markers and drops those inside a
// keyword, where the scanner does not check them.
func tidyMarkers(k string) string {
	for strings.Contains(k, boundary+boundary) {
		k = strings.ReplaceAll(k, boundary+boundary, boundary)
	}
	if len(k) > 2 && strings.Contains(k[1:len(k)-1], boundary) {
		k = k[:1] + strings.ReplaceAll(k[1:len(k)-1], boundary, "") + k[len(k)-1:]
	}
	return k
}

// splitKeyword returns a keyword's text and whether it requires a word
// boundary before and after.
func splitKeyword(k string) (text string, before, after bool) {
	k = tidyMarkers(k)
	before = strings.HasPrefix(k, boundary)
	after = len(k) > 1 && strings.HasSuffix(k, boundary)
	return strings.ReplaceAll(k, boundary, ""), before, after
}

// maxSet bounds the sets built by cross products (e.g. [Xx]\d{2}).
const maxSet = 64

// keySet describes what a sub-expression requires. exact means every match
// of the sub-expression is one of set (so adjacent exact sets can be joined
// into longer strings); otherwise every match contains one of set. A nil set
// with !exact means no requirement is known. cands holds the usable sets
// seen inside a concatenation, from which best picks.
type keySet struct {
	set   []string
	exact bool
	cands [][]string
}

func (k keySet) best() []string {
	var best []string
	consider := func(s []string) {
		if len(s) == 0 || len(s) > maxSet {
			return
		}
		for _, x := range s {
			if t, _, _ := splitKeyword(x); t == "" {
				return
			}
		}
		if best == nil || minKeyLen(s) > minKeyLen(best) || (minKeyLen(s) == minKeyLen(best) && len(s) < len(best)) {
			best = s
		}
	}
	consider(k.set)
	for _, c := range k.cands {
		consider(c)
	}
	return best
}

// minKeyLen scores a keyword set by its weakest member: its length, a
// required boundary counting as one byte.
func minKeyLen(s []string) int {
	m := -1
	for _, x := range s {
		if n := len(tidyMarkers(x)); m < 0 || n < m {
			m = n
		}
	}
	return m
}

func litSet(re *syntax.Regexp) keySet {
	switch re.Op {
	case syntax.OpLiteral:
		s := strings.ToLower(string(re.Rune))
		if !isASCII(s) {
			// Non-ASCII case folding is not what the scanner does; keep
			// the longest ASCII run as a containment requirement.
			r := longestASCII(s)
			if r == "" {
				return keySet{}
			}
			return keySet{set: []string{r}}
		}
		return keySet{set: []string{s}, exact: true}
	case syntax.OpWordBoundary:
		return keySet{set: []string{boundary}, exact: true}
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpNoWordBoundary:
		return keySet{set: []string{""}, exact: true}
	case syntax.OpCharClass:
		var chars []string
		seen := map[string]bool{}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo > maxSet {
				return keySet{}
			}
			for r := lo; r <= hi; r++ {
				if r >= utf8.RuneSelf {
					// (?i)k and (?i)s also match the Kelvin and long-s
					// signs; the scanner folds ASCII only, which is fine.
					if asciiFold(r) {
						continue
					}
					return keySet{}
				}
				c := strings.ToLower(string(r))
				if !seen[c] {
					seen[c] = true
					chars = append(chars, c)
				}
			}
		}
		if len(chars) == 0 || len(chars) > 12 {
			return keySet{}
		}
		return keySet{set: chars, exact: true}
	case syntax.OpCapture:
		return litSet(re.Sub[0])
	case syntax.OpQuest:
		k := litSet(re.Sub[0])
		if k.exact {
			return keySet{set: union(k.set, []string{""}), exact: true}
		}
		return keySet{}
	case syntax.OpPlus:
		k := litSet(re.Sub[0])
		return keySet{set: k.set, cands: k.cands}
	case syntax.OpRepeat:
		if re.Min == 0 {
			return keySet{}
		}
		k := litSet(re.Sub[0])
		if re.Min == 1 && re.Max == 1 {
			return k
		}
		return keySet{set: k.set, cands: k.cands}
	case syntax.OpAlternate:
		var all []string
		exact := true
		for _, sub := range re.Sub {
			k := litSet(sub)
			if k.set == nil {
				// A branch without a requirement: fall back to its own
				// best candidate, if any.
				b := k.best()
				if b == nil {
					return keySet{}
				}
				k = keySet{set: b}
			}
			exact = exact && k.exact
			all = union(all, k.set)
			if len(all) > maxSet {
				return keySet{}
			}
		}
		return keySet{set: all, exact: exact}
	case syntax.OpConcat:
		var out keySet
		var run []string // the current product of adjacent exact sets
		inRun := false
		flush := func() {
			if inRun {
				out.cands = append(out.cands, run)
			}
			run, inRun = nil, false
		}
		allExact := true
		for _, sub := range re.Sub {
			k := litSet(sub)
			out.cands = append(out.cands, k.cands...)
			if k.exact {
				if !inRun {
					run, inRun = k.set, true
				} else if p := product(run, k.set); p != nil {
					run = p
				} else {
					flush()
					run, inRun = k.set, true
					allExact = false
				}
				continue
			}
			allExact = false
			flush()
			if k.set != nil {
				out.cands = append(out.cands, k.set)
			}
		}
		if allExact && inRun {
			return keySet{set: run, exact: true, cands: out.cands}
		}
		flush()
		return out
	}
	return keySet{}
}

func product(a, b []string) []string {
	if len(a)*len(b) > maxSet {
		return nil
	}
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = union(out, []string{tidyMarkers(x + y)})
		}
	}
	return out
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, y := range b {
		dup := false
		for _, x := range out {
			if x == y {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, y)
		}
	}
	return out
}

// asciiFold reports whether r case-folds to an ASCII letter.
func asciiFold(r rune) bool {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func longestASCII(s string) string {
	best, start := "", -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] < utf8.RuneSelf {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start > len(best) {
			best = s[start:i]
		}
		start = -1
	}
	return best
}
