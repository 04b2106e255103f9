package signals

// A keyword automaton (Aho–Corasick, compiled to a DFA over byte classes)
// finds every occurrence of every rule keyword in one pass over a field,
// ASCII case-insensitively. Only lines that contain a keyword are handed to
// the rules' regular expressions, so the cost of a report is one table
// lookup per byte plus regexp work proportional to what the report mentions.

type automaton struct {
	class  [256]uint8 // byte → class; ASCII letters fold to lower case
	nclass int
	delta  []int32 // state*nclass + class → next state
	out    []int32 // state → index into outs, or -1
	outs   [][]int // keyword ids that end in a state (including via failure links)
	kwLen  []int
}

func newAutomaton(keywords []string) *automaton {
	a := &automaton{}
	// Classes: 0 for bytes that occur in no keyword.
	for _, kw := range keywords {
		for i := 0; i < len(kw); i++ {
			b := lowerByte(kw[i])
			if a.class[b] == 0 {
				a.nclass++
				a.class[b] = uint8(a.nclass)
			}
		}
	}
	a.nclass++
	for c := 'A'; c <= 'Z'; c++ {
		a.class[c] = a.class[c+'a'-'A']
	}
	nc := a.nclass

	// Trie.
	type node struct {
		next map[uint8]int32
		fail int32
		kws  []int
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for id, kw := range keywords {
		s := int32(0)
		for i := 0; i < len(kw); i++ {
			c := a.class[kw[i]]
			n, ok := nodes[s].next[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint8]int32{}})
				nodes[s].next[c] = n
			}
			s = n
		}
		nodes[s].kws = append(nodes[s].kws, id)
		a.kwLen = append(a.kwLen, len(kw))
	}

	// Breadth-first failure links and the full transition table.
	a.delta = make([]int32, len(nodes)*nc)
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < nc; c++ {
		if n, ok := nodes[0].next[uint8(c)]; ok {
			a.delta[c] = n
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		nodes[s].kws = append(nodes[s].kws, nodes[f].kws...)
		for c := 0; c < nc; c++ {
			if n, ok := nodes[s].next[uint8(c)]; ok {
				nodes[n].fail = a.delta[int(f)*nc+c]
				a.delta[int(s)*nc+c] = n
				queue = append(queue, n)
			} else {
				a.delta[int(s)*nc+c] = a.delta[int(f)*nc+c]
			}
		}
	}
	a.out = make([]int32, len(nodes))
	for i := range nodes {
		a.out[i] = -1
		if len(nodes[i].kws) > 0 {
			a.out[i] = int32(len(a.outs))
			a.outs = append(a.outs, nodes[i].kws)
		}
	}
	return a
}

// scan calls f(start, keyword id) for every keyword occurrence in s, in
// order of the occurrence's end.
func (a *automaton) scan(s string, f func(start, kw int)) {
	nc := int32(a.nclass)
	delta, out, class := a.delta, a.out, &a.class
	state := int32(0)
	for i := 0; i < len(s); i++ {
		state = delta[state*nc+int32(class[s[i]])]
		if o := out[state]; o >= 0 {
			for _, kw := range a.outs[o] {
				f(i+1-a.kwLen[kw], kw)
			}
		}
	}
}

func lowerByte(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
