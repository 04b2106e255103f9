package classify

import (
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// A rule's regex runs on a title, or on the lines around a prefilter
// literal, but most of those texts cannot match it: "only with tp" needs
// "only" or "fail" or "crash" on the line, not just "tp". needLiterals
// derives from the expression itself a set of literals one of which every
// match contains (as RE2's prefilters do), so that a text holding none of
// them is ruled out with a few substring searches instead of a run of the
// regexp: the result is the same, only cheaper.

// Bound of the derivation: a finite set of strings is tracked up to
// maxExact members (cross products of concatenated alternations).
const maxExact = 16

// litInfo is what is known of the strings a node matches: exact, when
// set, is every string it can match (lower case); else need, when set, is
// a condition on literals that every text holding a match meets. Neither:
// nothing (the node may match anything, or the empty string).
type litInfo struct {
	exact []string
	need  *need
}

// need is a condition on the literals a text holds: one literal, all of
// subs (and), or one of them (or).
type need struct {
	and  bool
	lit  string
	subs []*need
}

// holds reports whether low (ASCII-lowered text) meets the condition.
func (n *need) holds(low string) bool {
	switch {
	case n == nil:
		return true
	case n.subs == nil:
		return strings.Contains(low, n.lit)
	case n.and:
		for _, s := range n.subs {
			if !s.holds(low) {
				return false
			}
		}
		return true
	}
	for _, s := range n.subs {
		if s.holds(low) {
			return true
		}
	}
	return false
}

// String shows the condition, for tests.
func (n *need) String() string {
	switch {
	case n == nil:
		return "*"
	case n.subs == nil:
		return strconv.Quote(n.lit)
	}
	parts := make([]string, len(n.subs))
	for i, s := range n.subs {
		parts[i] = s.String()
	}
	if n.and {
		return "(" + strings.Join(parts, " & ") + ")"
	}
	return "(" + strings.Join(parts, " | ") + ")"
}

// needOf returns the condition every text that (?i)expr matches in meets,
// or nil when there is none worth testing.
func needOf(expr string) *need {
	re, err := syntax.Parse("(?i)"+expr, syntax.Perl)
	if err != nil {
		return nil
	}
	return asNeed(litsOf(re))
}

func litsOf(re *syntax.Regexp) litInfo {
	anything := litInfo{}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r >= unicode.MaxASCII {
				return anything
			}
		}
		return litInfo{exact: []string{asciiLower(string(re.Rune))}}
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi >= unicode.MaxASCII || hi-lo >= maxExact {
				return anything
			}
			for r := lo; r <= hi; r++ {
				out = append(out, asciiLower(string(r)))
			}
		}
		out = dedupe(out)
		if len(out) == 0 || len(out) > maxExact {
			return anything
		}
		return litInfo{exact: out}
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return litInfo{exact: []string{""}}
	case syntax.OpCapture:
		return litsOf(re.Sub[0])
	case syntax.OpQuest:
		return optional(litsOf(re.Sub[0]))
	case syntax.OpPlus:
		return litInfo{need: asNeed(litsOf(re.Sub[0]))}
	case syntax.OpRepeat:
		sub := litsOf(re.Sub[0])
		switch {
		case re.Min == 1 && re.Max == 1:
			return sub
		case re.Min == 0 && re.Max == 1:
			return optional(sub)
		case re.Min >= 1:
			return litInfo{need: asNeed(sub)}
		}
		return anything
	case syntax.OpConcat:
		return concatLits(re.Sub)
	case syntax.OpAlternate:
		subs := make([]litInfo, len(re.Sub))
		allExact := true
		for i, s := range re.Sub {
			subs[i] = litsOf(s)
			allExact = allExact && subs[i].exact != nil
		}
		if allExact {
			var u []string
			for _, s := range subs {
				u = append(u, s.exact...)
			}
			if u = dedupe(u); len(u) <= maxExact {
				return litInfo{exact: u}
			}
		}
		or := &need{}
		for _, s := range subs {
			n := asNeed(s)
			if n == nil {
				return anything // a branch that needs nothing
			}
			if n.subs != nil && !n.and {
				or.subs = append(or.subs, n.subs...)
			} else {
				or.subs = append(or.subs, n)
			}
		}
		return litInfo{need: or}
	}
	return anything // any character, stars, and whatever else
}

// optional is a node that may also match the empty string.
func optional(sub litInfo) litInfo {
	if sub.exact == nil || len(sub.exact) >= maxExact {
		return litInfo{}
	}
	return litInfo{exact: dedupe(append(slices.Clone(sub.exact), ""))}
}

// concatLits multiplies out the runs of children whose strings are known
// exactly; a match of the concatenation meets the conditions of every
// run and child.
func concatLits(subs []*syntax.Regexp) litInfo {
	cur := []string{""}
	exact := true
	and := &need{and: true}
	add := func(n *need) {
		if n != nil {
			and.subs = append(and.subs, n)
		}
	}
	for _, s := range subs {
		li := litsOf(s)
		if li.exact != nil && len(cur)*len(li.exact) <= maxExact {
			next := make([]string, 0, len(cur)*len(li.exact))
			for _, a := range cur {
				for _, b := range li.exact {
					next = append(next, a+b)
				}
			}
			cur = dedupe(next)
			continue
		}
		exact = false
		add(asNeed(litInfo{exact: cur}))
		if li.exact != nil {
			cur = li.exact
			continue
		}
		add(li.need)
		cur = []string{""}
	}
	if exact {
		return litInfo{exact: cur}
	}
	add(asNeed(litInfo{exact: cur}))
	switch len(and.subs) {
	case 0:
		return litInfo{}
	case 1:
		return litInfo{need: and.subs[0]}
	}
	return litInfo{need: and}
}

// asNeed turns what is known into a condition, nil when there is none
// (the node can match the empty string, or anything).
func asNeed(li litInfo) *need {
	if li.exact == nil {
		return li.need
	}
	if slices.Contains(li.exact, "") {
		return nil
	}
	set := reduce(li.exact)
	if len(set) == 1 {
		return &need{lit: set[0]}
	}
	or := &need{}
	for _, s := range set {
		or.subs = append(or.subs, &need{lit: s})
	}
	return or
}

// reduce drops a literal that contains another of the set: the shorter
// one occurs wherever the longer does.
func reduce(set []string) []string {
	set = dedupe(set)
	out := set[:0:0]
	for i, s := range set {
		implied := false
		for j, t := range set {
			if i != j && len(t) < len(s) && strings.Contains(s, t) {
				implied = true
				break
			}
		}
		if !implied {
			out = append(out, s)
		}
	}
	return out
}

func dedupe(set []string) []string {
	out := slices.Clone(set)
	slices.Sort(out)
	return slices.Compact(out)
}

// foldRunes are the non-ASCII runes that case-fold to an ASCII letter
// (the Kelvin sign, the long s): a (?i) regex matches them where the
// lowered literal is not found, so a text holding one is never ruled out.
var foldRunes = func() []string {
	var out []string
	for c := 'a'; c <= 'z'; c++ {
		for r := unicode.SimpleFold(c); r != c; r = unicode.SimpleFold(r) {
			if r >= unicode.MaxASCII {
				out = append(out, string(r))
			}
		}
	}
	return out
}()

// mayMatch reports whether low (ASCII-lowered text) meets the condition,
// or holds a rune that folds to an ASCII letter.
func (n *need) mayMatch(low string) bool {
	if n.holds(low) {
		return true
	}
	for _, r := range foldRunes {
		if strings.Contains(low, r) {
			return true
		}
	}
	return false
}

// inLine reports whether (?i)expr matches within one line and means the
// same on a line as on the text around it: nothing in it matches a line
// break, and it has no ^ or $ (which mean the ends of the text searched).
// Word boundaries agree, since a line break is not a word character.
func inLine(expr string) bool {
	re, err := syntax.Parse("(?i)"+expr, syntax.Perl)
	return err == nil && noBreak(re)
}

func noBreak(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return false
	case syntax.OpLiteral:
		if slices.Contains(re.Rune, '\n') {
			return false
		}
	case syntax.OpCharClass:
		if inClass(re.Rune, '\n') {
			return false
		}
	}
	for _, sub := range re.Sub {
		if !noBreak(sub) {
			return false
		}
	}
	return true
}
