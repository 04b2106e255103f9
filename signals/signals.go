// Package signals extracts structured facts from the title and body of a bug
// report: error signatures, exception types, GPU models, CUDA and ROCm
// versions, engine versions, operating systems and compute back ends.
//
// The patterns live in patterns.yaml, embedded at build time, so that a new
// error signature or GPU model is a data change (the file's header explains
// its format). Matching is bounded and close to linear: a keyword automaton
// (Aho–Corasick) finds every keyword of every rule in one pass over the
// text, and a rule's regular expression runs only where one of its keywords
// occurs: at the keyword itself when every match starts with one, else on
// the keyword's line. A body is read in its first 256 KiB and its last
// 64 KiB, where logs put the error.
//
// Issue text is written by strangers, so Extract accepts any bytes: values
// are valid UTF-8 of at most 120 bytes, and offsets index the field given.
// Extract is safe for concurrent use.
package signals

import (
	"sort"
	"strings"
	"sync"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/ac"
)

const (
	headScan = 256 << 10 // bytes read from the start of a field
	tailScan = 64 << 10  // and from its end
	maxSide  = 512       // bytes of a line read on each side of a keyword
	maxHits  = 32        // matches kept per rule and field

	// maxAnchored bounds the text after a keyword that an anchored rule
	// sees; the regexp's work grows with it, and values are short.
	maxAnchored = 240
)

// Field names of Signal.Field.
const (
	FieldTitle = "title"
	FieldBody  = "body"
)

// Extract returns the signals found in an issue's title and body. repo
// ("owner/name") helps attribute engine versions: a bare llama.cpp build
// number counts only in llama.cpp's own tracker. There is one signal per
// kind and value, at its first occurrence (title before body), ordered by
// kind (in the order of the bugscope.Signal* constants), field and offset.
func Extract(repo, title, body string) []bugscope.Signal {
	hs := extract(repo, title, body)
	if len(hs) == 0 {
		return nil
	}
	out := make([]bugscope.Signal, len(hs))
	for i, h := range hs {
		out[i] = h.Signal
	}
	return out
}

// hit is a candidate signal with the text it matched (field[Offset:] starts
// with text) and what the post-processing needs.
type hit struct {
	bugscope.Signal
	text     string
	end      int // end of the span that suppresses overlapping signatures
	prio     int // rule order; lower wins an overlap
	field    int // 0 title, 1 body
	kind     int
	fallback bool
}

// genericPrio ranks the "Exception: message" signatures after every
// signature rule of patterns.yaml.
const genericPrio = 1 << 30

// scratch is the per-call state, pooled to spare the allocations.
type scratch struct {
	lastLo, lastHi []int  // per rule, the window last searched
	count          []int  // per rule, matches kept in this field
	applies        []int8 // per rule, whether it applies to the repository: 0 unknown, 1 yes, -1 no
	hits           []hit
	found          []ac.Match // the automaton's matches in a segment
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func extract(repo, title, body string) []hit {
	return collect(rulesOrPanic(), repo, title, body, finish)
}

// collect runs the rules over both fields and hands the raw candidates to
// done, whose result it returns.
func collect(rs *ruleSet, repo, title, body string, done func([]hit) []hit) []hit {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	if len(sc.lastLo) != len(rs.rules) {
		sc.lastLo = make([]int, len(rs.rules))
		sc.lastHi = make([]int, len(rs.rules))
		sc.count = make([]int, len(rs.rules))
		sc.applies = make([]int8, len(rs.rules))
	}
	clear(sc.applies)
	sc.hits = sc.hits[:0]
	scanField(rs, sc, repo, FieldTitle, 0, title)
	scanField(rs, sc, repo, FieldBody, 1, body)
	return done(sc.hits)
}

func scanField(rs *ruleSet, sc *scratch, repo, name string, fieldRank int, s string) {
	if s == "" {
		return
	}
	for i := range sc.lastLo {
		sc.lastLo[i], sc.lastHi[i], sc.count[i] = -1, -1, 0
	}
	applies := sc.applies
	f := fieldScan{sc: sc, name: name, rank: fieldRank, s: s}
	scanSeg := func(lo, hi int) {
		sc.found = rs.ac.scan(sc.found, s[lo:hi], func(start, kw int) {
			a := lo + start
			b := a + len(rs.kws[kw])
			for _, ref := range rs.kwRules[kw] {
				id := ref.rule
				if sc.count[id] >= maxHits || sc.lastLo[id] <= a && b <= sc.lastHi[id] {
					continue
				}
				if ref.before && !wordBoundary(s, a) || ref.after && !wordBoundary(s, b) {
					continue
				}
				r := rs.rules[id]
				if applies[id] == 0 {
					applies[id] = -1
					if r.appliesTo(repo) {
						applies[id] = 1
					}
				}
				if applies[id] < 0 {
					continue
				}
				if r.anchored != nil {
					// Matches start at the keyword (or its word): try
					// there only.
					p := a
					if r.wordAnchor {
						p = wordAnchor(s, lo, a)
					}
					we := lineEnd(s, b, min(hi, b+maxAnchored))
					if m := r.anchored.FindStringSubmatchIndex(s[p:we]); m != nil {
						f.emit(r, lo, hi, p, m)
					}
					continue
				}
				ws, we := window(s, lo, hi, a, b)
				sc.lastLo[id], sc.lastHi[id] = ws, we
				for _, m := range r.re.FindAllStringSubmatchIndex(s[ws:we], maxHits) {
					if !f.emit(r, lo, hi, ws, m) {
						break
					}
				}
			}
		})
	}
	if len(s) <= headScan+tailScan {
		scanSeg(0, len(s))
		return
	}
	scanSeg(0, headScan)
	scanSeg(len(s)-tailScan, len(s))
}

// wordBoundary reports whether s has a word boundary (as regexp's \b
// means it, ASCII) at byte p.
func wordBoundary(s string, p int) bool {
	return (p > 0 && isWord(s[p-1])) != (p < len(s) && isWord(s[p]))
}

// wordAnchor returns where a rule with anchor: word is tried for a keyword
// at a: one byte before the run of word characters and dots that leads to
// the keyword, so that the pattern sees what precedes the word, or at the
// colour code the run starts after ("\x1b[1;31mRuntimeError", or the
// "[1;31m" left when the escape byte was lost).
func wordAnchor(s string, lo, a int) int {
	q := a
	for q > lo && a-q < 256 && (isWord(s[q-1]) || s[q-1] == '.') {
		q--
	}
	i := q
	for i < a && isDigit(s[i]) {
		i++
	}
	if i > q && i < a && s[i] == 'm' { // the run took in the code's "31m"
		k := q
		for k > lo && q-k < 16 && (isDigit(s[k-1]) || s[k-1] == ';') {
			k--
		}
		if k > lo && s[k-1] == '[' {
			k--
			if k > lo && s[k-1] == 0x1b {
				k--
			}
			return k
		}
	}
	if q > lo {
		q--
	}
	return q
}

// window returns the line around s[a:b], at most maxSide bytes either side
// and within [lo, hi), without its line ending.
func window(s string, lo, hi, a, b int) (int, int) {
	ws := max(lo, a-maxSide)
	for i := a - 1; i >= ws; i-- {
		if s[i] == '\n' {
			ws = i + 1
			break
		}
	}
	return ws, lineEnd(s, b, min(hi, b+maxSide))
}

// lineEnd returns where the line holding s[b-1] ends, without its line
// ending, looking no further than limit.
func lineEnd(s string, b, limit int) int {
	we := limit
	if i := strings.IndexByte(s[b:limit], '\n'); i >= 0 {
		we = b + i
	}
	if we > b && s[we-1] == '\r' {
		we--
	}
	return we
}

// fieldScan is what emit needs to know about the field being scanned.
type fieldScan struct {
	sc   *scratch
	name string
	rank int
	s    string
}

// emit turns match m of rule r, relative to s[base:], into a candidate
// signal, and reports whether the rule may give more in this field. lo and
// hi bound the segment, for the line the unless pattern looks at.
func (f *fieldScan) emit(r *rule, lo, hi, base int, m []int) bool {
	sc, s := f.sc, f.s
	if sc.count[r.id] >= maxHits {
		return false
	}
	start, end := m[0], m[1]
	if r.at >= 0 && m[2*r.at] >= 0 {
		start, end = m[2*r.at], m[2*r.at+1]
	}
	if end <= start {
		return true
	}
	w := s[base:]
	v := r.expand(w, m)
	if v == "" {
		return true
	}
	if r.unless != nil {
		// The line up to a little after the match: enough for the
		// phrases unless patterns look for, and bounded work.
		ls, le := window(s, lo, hi, base+m[0], base+m[1])
		if r.unless.MatchString(s[ls:min(le, base+m[1]+64)]) {
			return true
		}
	}
	sc.count[r.id]++
	if r.once {
		sc.count[r.id] = maxHits
	}
	h := hit{
		Signal:   bugscope.Signal{Kind: r.kind, Value: v, Field: f.name, Offset: base + start},
		text:     w[start:end],
		end:      base + m[1],
		prio:     r.id,
		field:    f.rank,
		kind:     kindRank(r.kind),
		fallback: r.fallback,
	}
	sc.hits = append(sc.hits, h)
	// An exception with a message also gives a generic signature.
	if r.msg >= 0 && m[2*r.msg] >= 0 {
		msg := w[m[2*r.msg]:m[2*r.msg+1]]
		if len(msg) > 4*maxMessage {
			msg = msg[:4*maxMessage]
		}
		if msg = tidy(normMessage(msg), maxMessage); msg != "" && hasLetterOrDigit(msg) {
			g := h
			g.Kind = bugscope.SignalErrorSignature
			g.kind = kindRank(g.Kind)
			g.Value = tidy(v+": "+msg, maxValue)
			g.prio = genericPrio
			sc.hits = append(sc.hits, g)
		}
	}
	return sc.count[r.id] < maxHits
}

// finish resolves overlapping error signatures (the rule listed first
// wins), drops fallback values when a kind has a specific one, keeps the
// first occurrence of each kind and value, drops a value that another
// value of the same kind extends ("Windows" beside "Windows 11") and
// sorts.
func finish(hs []hit) []hit {
	if len(hs) == 0 {
		return nil
	}
	// Overlaps between error signatures, per field.
	sort.SliceStable(hs, func(i, j int) bool {
		a, b := &hs[i], &hs[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.field != b.field {
			return a.field < b.field
		}
		if a.prio != b.prio {
			return a.prio < b.prio
		}
		return a.Offset < b.Offset
	})
	keep := make([]bool, len(hs))
	var accepted []int
	hasSpecific := make([]bool, len(kinds)+1)
	for i := range hs {
		h := &hs[i]
		keep[i] = true
		if h.Kind == bugscope.SignalErrorSignature {
			for _, j := range accepted {
				o := &hs[j]
				if o.field == h.field && h.Offset < o.end && o.Offset < h.end {
					keep[i] = false
					break
				}
			}
			if keep[i] {
				accepted = append(accepted, i)
			}
		}
		if keep[i] && !h.fallback {
			hasSpecific[h.kind] = true
		}
	}
	out := hs[:0:0]
	for i, h := range hs {
		if keep[i] && !(h.fallback && hasSpecific[h.kind]) {
			out = append(out, h)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.field != b.field {
			return a.field < b.field
		}
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		if a.prio != b.prio {
			return a.prio < b.prio
		}
		return a.Value < b.Value
	})
	type kv struct {
		kind  int
		value string
	}
	seen := map[kv]bool{}
	uniq := out[:0]
	for _, h := range out {
		k := kv{h.kind, h.Value}
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, h)
		}
	}
	res := make([]hit, 0, len(uniq))
	for _, h := range uniq {
		if (h.Kind == bugscope.SignalOS || h.Kind == bugscope.SignalGPU) && extended(uniq, h) {
			continue
		}
		res = append(res, h)
	}
	return res
}

// extended reports whether another value of h's kind starts with h's value
// and a space or a dot ("macOS 14" beside "macOS 14.5").
func extended(hs []hit, h hit) bool {
	for _, o := range hs {
		if o.kind == h.kind && len(o.Value) > len(h.Value)+1 && (o.Value[len(h.Value)] == ' ' || o.Value[len(h.Value)] == '.') && o.Value[:len(h.Value)] == h.Value {
			return true
		}
	}
	return false
}
