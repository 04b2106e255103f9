package learn

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
)

// Feature blocks. The text blocks are TF-IDF weighted and scaled to unit
// length each, so that a long log cannot drown the title; the meta block
// holds binary facts.
const (
	blockTitle = iota // t: words of the title
	blockChar         // c: character n-grams of the title's words
	blockText         // b: words of the body's prose
	blockCode         // k: words of the body's code and log blocks
	blockMeta         // title convention, labels, headings, signals, repo, rules
	numBlocks
)

var blockNames = [numBlocks]string{"title", "title", "body", "body", "meta"}

// FeatureConfig is how issues become features. It is stored in the model
// file, so that a model extracts at classification time exactly what it
// learned from.
type FeatureConfig struct {
	// WordNgrams is the longest word n-gram (2: unigrams and bigrams).
	WordNgrams int `json:"word_ngrams"`
	// CharMin and CharMax bound the character n-grams of the title's words
	// (padded with a space each side); CharMax 0 turns them off.
	CharMin int `json:"char_min"`
	CharMax int `json:"char_max"`
	// BodyHead and BodyTail bytes of the body are read: logs end in the
	// error, and the cost stays flat on multi-megabyte bodies.
	BodyHead int `json:"body_head"`
	BodyTail int `json:"body_tail"`
	// Weights of the blocks: title words, title characters, body prose,
	// body code and logs (each a unit vector before weighting), and of each
	// binary feature.
	TitleWeight float64 `json:"title_weight"`
	CharWeight  float64 `json:"char_weight"`
	TextWeight  float64 `json:"text_weight"`
	CodeWeight  float64 `json:"code_weight"`
	MetaWeight  float64 `json:"meta_weight"`
	// RuleFeatures adds the rule classifier's decisions: the value of each
	// dimension, alone and with a confidence band. (The ids of the rules
	// that fired were tried too and made the model worse: too many
	// features for a few hundred examples.)
	RuleFeatures bool `json:"rule_features"`
	// MinDF: a feature enters the vocabulary when at least MinDF labelled
	// training issues have it.
	MinDF int `json:"min_df"`
}

// Bounds of a feature configuration: a model file states its own, and one
// with, say, character n-grams up to a billion would never finish reading
// an issue.
const (
	maxWordNgrams = 8
	maxCharNgram  = 16
	maxBodyRead   = 1 << 20
)

// check reports a configuration that cannot be used: n-gram lengths out of
// their bounds, body windows larger than maxBodyRead, weights that are
// negative or not numbers.
func (c FeatureConfig) check() error {
	switch {
	case c.WordNgrams < 1 || c.WordNgrams > maxWordNgrams:
		return fmt.Errorf("feature configuration: word n-grams up to %d; want 1 to %d", c.WordNgrams, maxWordNgrams)
	case c.CharMax != 0 && (c.CharMin < 1 || c.CharMax < c.CharMin || c.CharMax > maxCharNgram):
		return fmt.Errorf("feature configuration: character n-grams of %d to %d; want 1 <= min <= max <= %d, or max 0", c.CharMin, c.CharMax, maxCharNgram)
	case c.BodyHead < 0 || c.BodyTail < 0 || c.BodyHead > maxBodyRead || c.BodyTail > maxBodyRead:
		return fmt.Errorf("feature configuration: body window of %d and %d bytes; want 0 to %d each", c.BodyHead, c.BodyTail, maxBodyRead)
	case c.MinDF < 1:
		return fmt.Errorf("feature configuration: minimum document frequency %d; want 1 or more", c.MinDF)
	}
	for _, w := range []float64{c.TitleWeight, c.CharWeight, c.TextWeight, c.CodeWeight, c.MetaWeight} {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("feature configuration: weight %v; want a number of 0 or more", w)
		}
	}
	return nil
}

// DefaultFeatures is the feature configuration bugscope trains with.
func DefaultFeatures() FeatureConfig {
	return FeatureConfig{
		WordNgrams: 2, CharMin: 3, CharMax: 5,
		BodyHead: 12 << 10, BodyTail: 4 << 10,
		TitleWeight: 1, CharWeight: 0.7, TextWeight: 0.8, CodeWeight: 0.5, MetaWeight: 0.35,
		RuleFeatures: true, MinDF: 2,
	}
}

func (c FeatureConfig) blockWeight(b uint8) float64 {
	switch b {
	case blockTitle:
		return c.TitleWeight
	case blockChar:
		return c.CharWeight
	case blockText:
		return c.TextWeight
	case blockCode:
		return c.CodeWeight
	}
	return c.MetaWeight
}

// Doc is one issue as the model sees it: the issue, the signals extracted
// from it, and the rule classifier's decision (nil when the model does not
// use rule features).
type Doc struct {
	Issue   bugscope.Issue
	Signals []bugscope.Signal
	Rules   *bugscope.Classification
}

// rawFeat is one feature of one issue before weighting: its hash, block
// and count.
type rawFeat struct {
	h     uint64
	block uint8
	n     float32
}

// rawDoc is an issue's features, in the order first met.
type rawDoc []rawFeat

// extractor turns a Doc into raw features. names, when set, records the
// name of every feature hash it meets.
type extractor struct {
	cfg      FeatureConfig
	names    map[uint64]string
	textOnly bool // skip the meta block (for document frequencies)

	idx  map[uint64]int
	out  rawDoc
	buf  []byte
	toks [][]byte
}

func newExtractor(cfg FeatureConfig, names map[uint64]string) *extractor {
	return &extractor{cfg: cfg, names: names, idx: map[uint64]int{}}
}

// extract returns the features of d; the result is a fresh slice.
func (e *extractor) extract(d *Doc) rawDoc {
	clear(e.idx)
	e.out = e.out[:0]
	is := &d.Issue
	title := e.lower(is.Title)
	e.words(blockTitle, "t:", title)
	if e.cfg.CharMax > 0 {
		e.chars(title)
	}
	e.body(is.Body)
	if !e.textOnly {
		e.meta(d)
	}
	out := make(rawDoc, len(e.out))
	copy(out, e.out)
	return out
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func fnvAddBytes(h uint64, s []byte) uint64 {
	for _, c := range s {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// featureHash is the hash of a feature name.
func featureHash(name string) uint64 { return fnvAdd(fnvOffset, name) }

func (e *extractor) add(h uint64, block uint8, name func() string) {
	if i, ok := e.idx[h]; ok {
		e.out[i].n++
		return
	}
	e.idx[h] = len(e.out)
	e.out = append(e.out, rawFeat{h: h, block: block, n: 1})
	if e.names != nil {
		if _, ok := e.names[h]; !ok {
			e.names[h] = name()
		}
	}
}

// addName adds a feature given by its full name.
func (e *extractor) addName(block uint8, name string) {
	e.add(featureHash(name), block, func() string { return name })
}

// lower returns s lower-cased (ASCII) in a reused buffer.
func (e *extractor) lower(s string) []byte {
	b := e.buf[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	e.buf = b
	return b
}

func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
}

// tokens splits lower-cased text into word tokens: runs of letters, digits
// and underscores. Long digit runs become "#num"; hashes, hex ids and other
// long tokens are dropped, as they never recur.
func (e *extractor) tokens(text []byte) [][]byte {
	toks := e.toks[:0]
	for i := 0; i < len(text); {
		if !isTokenByte(text[i]) {
			i++
			continue
		}
		j := i
		digits, hex := 0, 0
		for j < len(text) && isTokenByte(text[j]) {
			c := text[j]
			if '0' <= c && c <= '9' {
				digits++
			} else if 'a' <= c && c <= 'f' {
				hex++
			}
			j++
		}
		t := text[i:j]
		i = j
		switch {
		case len(t) > 30:
			continue
		case digits == len(t) && digits >= 4:
			t = numToken
		case len(t) >= 8 && digits > 0 && digits+hex == len(t):
			continue
		}
		toks = append(toks, t)
	}
	e.toks = toks
	return toks
}

var numToken = []byte("#num")

// words adds the word n-grams of text to a block.
func (e *extractor) words(block uint8, prefix string, text []byte) {
	toks := e.tokens(text)
	base := fnvAdd(fnvOffset, prefix)
	for i := range toks {
		h := base
		for n := 0; n < e.cfg.WordNgrams && i+n < len(toks); n++ {
			if n > 0 {
				h = fnvAdd(h, " ")
			}
			h = fnvAddBytes(h, toks[i+n])
			n := n
			e.add(h, block, func() string {
				parts := make([]string, n+1)
				for k := range parts {
					parts[k] = string(toks[i+k])
				}
				return prefix + strings.Join(parts, " ")
			})
		}
	}
}

// chars adds the character n-grams of the title's words, each word padded
// with a space on both sides (so that " oom " differs from "room").
func (e *extractor) chars(title []byte) {
	toks := e.tokens(title)
	base := fnvAdd(fnvOffset, "c:")
	var w []byte
	for _, t := range toks {
		w = append(append(append(w[:0], ' '), t...), ' ')
		for n := e.cfg.CharMin; n <= e.cfg.CharMax; n++ {
			for i := 0; i+n <= len(w); i++ {
				g := w[i : i+n]
				e.add(fnvAddBytes(base, g), blockChar, func() string { return "c:" + string(g) })
			}
		}
	}
}

// body adds the words of the body's prose and of its code, logs and
// environment dumps, read as the rule classifier reads issue templates
// (classify.BuiltinTemplate: no boilerplate sections, HTML comments or
// informational log lines), leaving out task-list lines (template
// checklists); it records the section headings as meta features.
func (e *extractor) body(body string) {
	b := classify.BuiltinTemplate().Read(body, e.cfg.BodyHead, e.cfg.BodyTail)
	if !e.textOnly {
		for _, h := range b.Headings {
			if f := headingFeature(h); f != "" {
				e.addName(blockMeta, "h:"+f)
			}
		}
	}
	var prose, code []byte
	for rest := b.Text; rest != ""; {
		line, after, _ := strings.Cut(rest, "\n")
		rest = after
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "- [ ]") || strings.HasPrefix(t, "- [x]") || strings.HasPrefix(t, "- [X]") {
			continue
		}
		prose = append(append(prose, line...), '\n')
	}
	code = append(append(append(code, b.Log...), '\n'), b.Env...)
	// Lower-case in place (the slices are ours) and tokenise.
	for _, part := range []struct {
		block  uint8
		prefix string
		text   []byte
	}{{blockText, "b:", prose}, {blockCode, "k:", code}} {
		for i, c := range part.text {
			if 'A' <= c && c <= 'Z' {
				part.text[i] = c + 'a' - 'A'
			}
		}
		e.words(part.block, part.prefix, part.text)
	}
}

// headingFeature normalises a markdown heading to its first words, letters
// only ("### 🐛 Describe the bug" → "describe the bug").
func headingFeature(line string) string {
	line = strings.TrimLeft(line, "#")
	var words []string
	for _, f := range strings.FieldsFunc(strings.ToLower(line), func(r rune) bool { return r < 'a' || r > 'z' }) {
		words = append(words, f)
		if len(words) == 4 {
			break
		}
	}
	return strings.Join(words, " ")
}

// TitleConvention returns the reporter's title prefix, normalised:
// "[Bug]: x" and "Bug: x" give "bug", "[Feature Request] x" gives
// "feature_request"; "" when the title has none.
func TitleConvention(title string) string {
	t := strings.TrimSpace(title)
	var p string
	switch {
	case strings.HasPrefix(t, "["):
		i := strings.IndexByte(t, ']')
		if i < 0 || i > 40 {
			return ""
		}
		p = t[1:i]
	default:
		i := strings.IndexByte(t, ':')
		if i <= 0 || i > 30 {
			return ""
		}
		p = t[:i]
		for _, r := range p {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == ' ' || r == '.' || r == '-') {
				return ""
			}
		}
		if len(strings.Fields(p)) > 3 {
			return ""
		}
	}
	f := strings.FieldsFunc(strings.ToLower(p), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	return strings.Join(f, "_")
}

// Signal kinds whose values become features; the others (error
// signatures, versions) are too specific to recur and count by kind only.
var signalValueKinds = map[string]bool{
	bugscope.SignalException: true, bugscope.SignalBackend: true,
	bugscope.SignalOS: true, bugscope.SignalGPU: true,
}

func (e *extractor) meta(d *Doc) {
	is := &d.Issue
	conv := TitleConvention(is.Title)
	if conv == "" {
		conv = "-"
	}
	e.addName(blockMeta, "tp:"+conv)
	if strings.HasSuffix(strings.TrimSpace(is.Title), "?") {
		e.addName(blockMeta, "m:title_question")
	}
	for _, l := range is.Labels {
		e.addName(blockMeta, "l:"+strings.ToLower(strings.TrimSpace(l)))
	}
	e.addName(blockMeta, "r:"+is.Repo)
	n := len(is.Body)
	switch {
	case n == 0:
		e.addName(blockMeta, "m:body=empty")
	case n < 300:
		e.addName(blockMeta, "m:body<300")
	case n < 1500:
		e.addName(blockMeta, "m:body<1500")
	case n < 6000:
		e.addName(blockMeta, "m:body<6000")
	default:
		e.addName(blockMeta, "m:body>=6000")
	}
	if strings.Contains(is.Body, "Traceback (most recent call last)") {
		e.addName(blockMeta, "m:traceback")
	}
	for _, s := range d.Signals {
		e.addName(blockMeta, "s:"+s.Kind)
		if signalValueKinds[s.Kind] {
			e.addName(blockMeta, "s:"+s.Kind+"="+strings.ToLower(s.Value))
		}
	}
	if e.cfg.RuleFeatures && d.Rules != nil {
		r := d.Rules
		for dim, vals := range r.Labels {
			for _, v := range vals {
				e.addName(blockMeta, "rule:"+dim+"="+v)
				if len(vals) == 1 {
					e.addName(blockMeta, "rule:"+dim+"="+v+"/"+confBand(r.DimConfidence[dim]))
				}
			}
		}
	}
}

// confBand buckets a rule confidence.
func confBand(c float64) string {
	switch {
	case c >= 0.6:
		return "high"
	case c >= 0.4:
		return "mid"
	}
	return "low"
}

// Vocab is the model's vocabulary: feature names with their block and
// inverse document frequency.
type Vocab struct {
	Names []string  `json:"names"`
	Block []uint8   `json:"block"`
	IDF   []float32 `json:"idf"`
	// PoolDocs is how many issues the document frequencies were counted on.
	PoolDocs int `json:"pool_docs"`

	index map[uint64]int32
}

func (v *Vocab) buildIndex() {
	v.index = make(map[uint64]int32, len(v.Names))
	for i, n := range v.Names {
		v.index[featureHash(n)] = int32(i)
	}
}

// Len is the number of features.
func (v *Vocab) Len() int { return len(v.Names) }

// idf is the smoothed inverse document frequency of a feature found in df
// of n issues: ln((1+n)/(1+df)) + 1.
func idf(df, n int) float64 { return math.Log(float64(1+n)/float64(1+df)) + 1 }

// SparseVec is a sparse feature vector, indices ascending.
type SparseVec struct {
	Idx []int32
	Val []float32
}

// vector weights a raw document by the vocabulary: (1 + ln count) × idf in
// the text blocks, each block scaled to unit length and then by its weight;
// 1 × MetaWeight for a binary feature. Features outside the vocabulary are
// dropped.
func (v *Vocab) vector(r rawDoc, cfg FeatureConfig) SparseVec {
	var out SparseVec
	var norm [numBlocks]float64
	for _, f := range r {
		i, ok := v.index[f.h]
		if !ok {
			continue
		}
		x := 1.0
		if f.block != blockMeta {
			x = (1 + math.Log(float64(f.n))) * float64(v.IDF[i])
			norm[f.block] += x * x
		}
		out.Idx = append(out.Idx, i)
		out.Val = append(out.Val, float32(x))
	}
	for k, i := range out.Idx {
		b := v.Block[i]
		w := cfg.blockWeight(b)
		if b != blockMeta {
			w /= math.Sqrt(norm[b])
		}
		out.Val[k] = float32(float64(out.Val[k]) * w)
	}
	sortVec(&out)
	return out
}

func sortVec(s *SparseVec) {
	type pair struct {
		i int32
		v float32
	}
	ps := make([]pair, len(s.Idx))
	for k := range ps {
		ps[k] = pair{s.Idx[k], s.Val[k]}
	}
	slices.SortFunc(ps, func(a, b pair) int { return cmp.Compare(a.i, b.i) })
	for k, p := range ps {
		s.Idx[k], s.Val[k] = p.i, p.v
	}
}
