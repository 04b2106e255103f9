package signals

import (
	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// A keyword automaton (Aho–Corasick, from the same library the rule
// classifier uses) finds every occurrence of every rule keyword in one pass
// over a field, ASCII case-insensitively. Only lines that contain a keyword
// are handed to the rules' regular expressions, so the cost of a report is
// one pass plus regexp work proportional to what the report mentions.
type automaton struct {
	ac ahocorasick.AhoCorasick
}

func newAutomaton(keywords []string) *automaton {
	// Standard match semantics with overlapping iteration report every
	// occurrence of every keyword, also keywords inside longer ones.
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{
		AsciiCaseInsensitive: true,
		MatchKind:            ahocorasick.StandardMatch,
		DFA:                  true,
	})
	return &automaton{ac: b.Build(keywords)}
}

// scan calls f(start, keyword id) for every keyword occurrence in s, in
// order of the occurrence's end.
func (a *automaton) scan(s string, f func(start, kw int)) {
	it := a.ac.IterOverlapping(s)
	for m := it.Next(); m != nil; m = it.Next() {
		f(m.Start(), m.Pattern())
	}
}

func lowerByte(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
