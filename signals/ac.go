package signals

import (
	"github.com/bugscope/bugscope/internal/ac"
)

// A keyword automaton (Aho–Corasick, the one the rule classifier uses)
// finds every occurrence of every rule keyword in one pass over a field,
// ASCII case-insensitively. Only lines that contain a keyword are handed
// to the rules' regular expressions, so the cost of a report is one pass
// plus regexp work proportional to what the report mentions.
type automaton struct {
	ac *ac.Automaton
}

func newAutomaton(keywords []string) *automaton {
	return &automaton{ac: ac.New(keywords)}
}

// scan calls f(start, keyword id) for every keyword occurrence in s, in
// order of the occurrence's end; buf is scratch space, returned for reuse.
func (a *automaton) scan(buf []ac.Match, s string, f func(start, kw int)) []ac.Match {
	buf = a.ac.Append(buf[:0], s, 0)
	for _, m := range buf {
		f(m.Start, m.Pattern)
	}
	return buf
}

func lowerByte(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
