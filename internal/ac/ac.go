// Package ac finds every occurrence of many literals in a text in one pass,
// ASCII case-insensitively: an Aho–Corasick automaton compiled to a dense
// table over byte classes, so that a byte of text costs one table load.
// The rule classifier and the signal extractor scan every report with
// one; the general library they used before walked the same automaton
// through interface calls per byte, several times slower.
//
// Matches are reported as that library's overlapping iteration reports
// them (its tests compare the two): in order of their end, and of those
// that end at one byte the longer first, equal literals in the order
// given.
package ac

// Match is one occurrence: text[Start:End] is literal Pattern.
type Match struct {
	Start, End, Pattern int
}

// Automaton is a compiled set of literals. It is safe for concurrent use.
type Automaton struct {
	class  [256]uint16
	stride int
	// next holds, per state and byte class, the next state as its row
	// offset (state × stride) shifted left once, the low bit set when that
	// state ends a literal.
	next []int32
	// outStart[s] .. outStart[s+1] index outs: the literals that end in
	// state s (row offset / stride), longest first.
	outStart []int32
	outs     []int32
	lens     []int32
}

// New compiles the literals, to be matched ASCII case-insensitively. An
// empty literal never matches.
func New(literals []string) *Automaton { return build(literals, true) }

// NewCaseSensitive compiles literals to be matched as they are written.
func NewCaseSensitive(literals []string) *Automaton { return build(literals, false) }

func build(literals []string, fold bool) *Automaton {
	a := &Automaton{}
	var used [256]bool
	for _, l := range literals {
		for i := 0; i < len(l); i++ {
			if fold {
				used[lower(l[i])] = true
			} else {
				used[l[i]] = true
			}
		}
	}
	n := 1 // class 0: bytes in no literal
	for b := 0; b < 256; b++ {
		if used[b] && !(fold && 'A' <= b && b <= 'Z') {
			a.class[b] = uint16(n)
			n++
		}
	}
	if fold {
		for b := 'A'; b <= 'Z'; b++ {
			a.class[b] = a.class[b+'a'-'A']
		}
	}
	a.stride = n
	// The trie, with -1 for a missing edge.
	trie := make([]int32, n)
	for i := range trie {
		trie[i] = -1
	}
	own := [][]int32{nil}
	for p, l := range literals {
		if l == "" {
			continue
		}
		s := 0
		for i := 0; i < len(l); i++ {
			c := int(a.class[l[i]])
			t := trie[s*n+c]
			if t < 0 {
				t = int32(len(own))
				trie[s*n+c] = t
				own = append(own, nil)
				for range n {
					trie = append(trie, -1)
				}
			}
			s = int(t)
		}
		own[s] = append(own[s], int32(p))
	}
	states := len(own)
	fail := make([]int32, states)
	outs := make([][]int32, states)
	// Breadth first: a state's failure state is shallower, so its
	// transitions and outputs are complete when it is needed.
	queue := make([]int32, 0, states)
	for c := 0; c < n; c++ {
		if t := trie[c]; t >= 0 {
			fail[t] = 0
			queue = append(queue, t)
		} else {
			trie[c] = 0
		}
	}
	outs[0] = own[0]
	for q := 0; q < len(queue); q++ {
		s := int(queue[q])
		outs[s] = append(own[s], outs[fail[s]]...)
		for c := 0; c < n; c++ {
			f := trie[int(fail[s])*n+c]
			if t := trie[s*n+c]; t >= 0 {
				fail[t] = f
				queue = append(queue, t)
			} else {
				trie[s*n+c] = f
			}
		}
	}
	// States renumbered breadth first: the shallow states, where a scan
	// spends most of its time, share the first rows of the table and stay
	// in the cache.
	order := append([]int32{0}, queue...)
	id := make([]int32, states)
	for i, s := range order {
		id[s] = int32(i)
	}
	a.next = make([]int32, len(trie))
	a.outStart = make([]int32, states+1)
	for i, s := range order {
		for c := 0; c < n; c++ {
			t := trie[int(s)*n+c]
			v := id[t] * int32(n) << 1
			if len(outs[t]) > 0 {
				v |= 1
			}
			a.next[i*n+c] = v
		}
		o := outs[s]
		a.outStart[i+1] = a.outStart[i] + int32(len(o))
		a.outs = append(a.outs, o...)
	}
	a.lens = make([]int32, len(literals))
	for i, l := range literals {
		a.lens[i] = int32(len(l))
	}
	return a
}

// Append appends the matches in text to ms and returns it; the offsets are
// text's plus base.
func (a *Automaton) Append(ms []Match, text string, base int) []Match {
	next, class := a.next, &a.class
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = next[int(s>>1)+int(class[text[i]])]
		if s&1 == 0 {
			continue
		}
		st := int(s>>1) / a.stride
		end := base + i + 1
		for _, p := range a.outs[a.outStart[st]:a.outStart[st+1]] {
			ms = append(ms, Match{Start: end - int(a.lens[p]), End: end, Pattern: int(p)})
		}
	}
	return ms
}

// Contains reports whether text holds one of the literals.
func (a *Automaton) Contains(text string) bool {
	next, class := a.next, &a.class
	s := int32(0)
	for i := 0; i < len(text); i++ {
		if s = next[int(s>>1)+int(class[text[i]])]; s&1 != 0 {
			return true
		}
	}
	return false
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
