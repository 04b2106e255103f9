package triage

import (
	"context"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/bugscope/bugscope"
)

// Thresholds of similar-issue search.
const (
	// MinTextScore is the title similarity an issue needs to be listed on
	// text alone.
	MinTextScore = 0.3
	// DupSignatureScore: with the same error signature, titles this
	// similar mark a likely duplicate; DupTextScore on titles alone.
	DupSignatureScore = 0.45
	DupTextScore      = 0.8
	// placeholderTitle: a title (its words) that this many issues of the
	// repository share is a template's placeholder ("[User] Insert summary
	// of your issue"), which says nothing of the issue.
	placeholderTitle = 3
	// rareException: an exception shared with at most this share of the
	// repository's issues counts as a match (RuntimeError does not).
	rareException = 0.02
)

// Index finds similar issues among the stored issues of one repository.
type Index struct {
	cands        []Candidate
	vecs         []map[string]float64
	idf          map[string]float64
	excDF        map[string]int
	placeholders map[string]bool
}

// NewIndex indexes candidates: TF-IDF vectors of their titles.
func NewIndex(cands []Candidate) *Index {
	ix := &Index{cands: cands, idf: map[string]float64{}, excDF: map[string]int{}, placeholders: map[string]bool{}}
	df := map[string]int{}
	toks := make([][]string, len(cands))
	titles := map[string]int{}
	for i, c := range cands {
		toks[i] = tokens(c.Title)
		if k := titleKey(toks[i]); k != "" {
			if titles[k]++; titles[k] >= placeholderTitle {
				ix.placeholders[k] = true
			}
		}
		seen := map[string]bool{}
		for _, t := range toks[i] {
			if !seen[t] {
				seen[t] = true
				df[t]++
			}
		}
		for _, e := range c.Exceptions {
			ix.excDF[e]++
		}
	}
	n := float64(len(cands) + 1)
	for t, k := range df {
		ix.idf[t] = math.Log(n / float64(k))
	}
	ix.vecs = make([]map[string]float64, len(cands))
	for i := range cands {
		if !ix.placeholders[titleKey(toks[i])] {
			ix.vecs[i] = ix.vector(toks[i])
		}
	}
	return ix
}

func (ix *Index) vector(toks []string) map[string]float64 {
	v := map[string]float64{}
	for _, t := range toks {
		v[t]++
	}
	var norm float64
	for t, tf := range v {
		idf, ok := ix.idf[t]
		if !ok {
			idf = math.Log(float64(len(ix.cands) + 1))
		}
		w := (1 + math.Log(tf)) * idf
		v[t] = w
		norm += w * w
	}
	if norm == 0 {
		return v
	}
	norm = math.Sqrt(norm)
	for t := range v {
		v[t] /= norm
	}
	return v
}

func cosine(a, b map[string]float64) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	var s float64
	for t, w := range a {
		s += w * b[t]
	}
	return s
}

// Find returns up to limit issues like target (its title, error
// signatures and exceptions): those with one of its error signatures
// first, then a rare exception in common, then similar titles alone; each
// group by title similarity. The target itself and issues opened after it
// are left out.
func (ix *Index) Find(target Candidate, limit int) []Similar {
	if limit <= 0 {
		return nil
	}
	tt := tokens(target.Title)
	var tv map[string]float64 // a placeholder title has no text to compare
	if !ix.placeholders[titleKey(tt)] {
		tv = ix.vector(tt)
	}
	type hit struct {
		tier  int
		score float64
		i     int
		why   string
	}
	var hits []hit
	for i, c := range ix.cands {
		if c.Issue == target.Issue {
			continue
		}
		if target.CreatedAt != nil && c.CreatedAt != nil && c.CreatedAt.After(*target.CreatedAt) {
			continue
		}
		score := cosine(tv, ix.vecs[i])
		h := hit{tier: 3, score: score, i: i}
		if sig := shared(target.Signatures, c.Signatures); sig != "" {
			h.tier, h.why = 0, "error signature: "+sig
		} else if exc := ix.sharedRare(target.Exceptions, c.Exceptions); exc != "" {
			h.tier, h.why = 1, "exception: "+exc
		} else if score >= MinTextScore {
			h.tier, h.why = 2, "similar title"
		}
		if h.tier < 3 {
			hits = append(hits, h)
		}
	}
	sort.SliceStable(hits, func(a, b int) bool {
		if hits[a].tier != hits[b].tier {
			return hits[a].tier < hits[b].tier
		}
		if hits[a].score != hits[b].score {
			return hits[a].score > hits[b].score
		}
		return ix.cands[hits[a].i].Issue.Number > ix.cands[hits[b].i].Issue.Number
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]Similar, len(hits))
	for k, h := range hits {
		c := ix.cands[h.i]
		out[k] = Similar{Issue: c.Issue, Title: c.Title, State: c.State, URL: c.URL, Reason: h.why,
			Score:     math.Round(h.score*1000) / 1000,
			Duplicate: h.tier == 0 && h.score >= DupSignatureScore || h.score >= DupTextScore}
	}
	return out
}

func shared(a, b []string) string {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return x
			}
		}
	}
	return ""
}

func (ix *Index) sharedRare(a, b []string) string {
	limit := int(math.Max(2, rareException*float64(len(ix.cands))))
	for _, x := range a {
		for _, y := range b {
			if x == y && ix.excDF[x] <= limit {
				return x
			}
		}
	}
	return ""
}

// stop words of issue titles: they say nothing of the bug.
var stop = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "in": true, "on": true, "to": true, "for": true, "and": true,
	"or": true, "is": true, "are": true, "with": true, "when": true, "not": true, "bug": true, "issue": true,
	"error": true, "feature": true, "question": true, "usage": true, "request": true, "it": true, "be": true,
	"does": true, "doesn": true, "t": true, "can": true, "using": true, "after": true, "from": true, "by": true,
	"at": true, "how": true, "i": true, "s": true, "no": true, "as": true,
}

// tokens splits a title into lower-cased words and numbers, stop words
// left out.
func tokens(s string) []string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_'
	})
	out := f[:0]
	for _, t := range f {
		t = strings.Trim(t, "._")
		if t != "" && !stop[t] {
			out = append(out, t)
		}
	}
	return out
}

// titleKey is a title's words, sorted: the same words in another order
// are the same title.
func titleKey(toks []string) string {
	k := slices.Clone(toks)
	slices.Sort(k)
	return strings.Join(slices.Compact(k), " ")
}

// RepoIndex is the similar-issue search of one repository: its stored
// issues indexed, with the pull requests that fixed them. Triage and the
// dashboard's issue page both search through it.
type RepoIndex struct {
	ix    *Index
	fixes map[bugscope.IssueRef][]bugscope.Fix
}

// LoadRepoIndex indexes the stored issues of repo.
func LoadRepoIndex(ctx context.Context, st SimilarStore, repo string) (*RepoIndex, error) {
	cands, err := st.SimilarCandidates(ctx, repo)
	if err != nil {
		return nil, err
	}
	fixes, err := st.Fixes(ctx, bugscope.IssueFilter{Repos: []string{repo}})
	if err != nil {
		return nil, err
	}
	return &RepoIndex{ix: NewIndex(cands), fixes: fixes}, nil
}

// Similar is Index.Find with the pull requests that fixed each issue. A
// target without CreatedAt is compared with later issues too.
func (ri *RepoIndex) Similar(target Candidate, limit int) []Similar {
	out := ri.ix.Find(target, limit)
	for i := range out {
		for _, f := range ri.fixes[out[i].Issue] {
			out[i].FixedBy = append(out[i].FixedBy, f.PullRequest)
		}
	}
	return out
}

// CandidateOf makes the search target of an issue and its signals.
func CandidateOf(is bugscope.Issue, sigs []bugscope.Signal) Candidate {
	c := Candidate{Issue: is.Ref(), Title: is.Title, State: is.State, URL: is.URL, CreatedAt: is.CreatedAt}
	for _, s := range sigs {
		switch s.Kind {
		case bugscope.SignalErrorSignature:
			c.Signatures = append(c.Signatures, s.Value)
		case bugscope.SignalException:
			c.Exceptions = append(c.Exceptions, s.Value)
		}
	}
	return c
}
