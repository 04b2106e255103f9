package learn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/par"
	"github.com/bugscope/bugscope/taxonomy"
)

// Corpus is the labelled issues a model learns from, their features
// extracted once, and the document frequencies of those features over the
// pool of all stored issues. The pool lends its text, never labels: the
// same corpus serves every fold of a cross-validation.
type Corpus struct {
	Tax  *taxonomy.Taxonomy
	Cfg  FeatureConfig
	Docs []Doc
	Gold []bugscope.Labels
	// Source, when set, names where each doc's labels came from (a gold
	// file), aligned with Docs: cross-validation reports its figures per
	// source too, and may judge the ensemble on one of them.
	Source []string
	// Unlabelled are the issues self-training may pseudo-label
	// (SetUnlabelled): none of Docs, and none labelled elsewhere.
	Unlabelled []Doc

	raw   []rawDoc
	uraw  []rawDoc
	names map[uint64]string
	df    map[uint64]int32
	poolN int
}

// NewCorpus extracts the features of the labelled docs (gold[i] labels
// docs[i]) and counts in how many of the pool's issues each of their text
// features occurs. The pool should hold every stored issue, labelled or
// not; an empty pool counts on the labelled docs alone.
func NewCorpus(tax *taxonomy.Taxonomy, cfg FeatureConfig, docs []Doc, gold []bugscope.Labels, pool []bugscope.Issue) (*Corpus, error) {
	if len(docs) != len(gold) {
		return nil, fmt.Errorf("learn: %d docs and %d gold labels", len(docs), len(gold))
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	for i, g := range gold {
		if err := tax.Check(g); err != nil {
			return nil, fmt.Errorf("learn: gold labels of %s: %w", docs[i].Issue.Ref(), err)
		}
	}
	c := &Corpus{Tax: tax, Cfg: cfg, Docs: docs, Gold: gold, names: map[uint64]string{}}
	ex := newExtractor(cfg, c.names)
	c.raw = make([]rawDoc, len(docs))
	text := map[uint64]bool{}
	for i := range docs {
		c.raw[i] = ex.extract(&docs[i])
		for _, f := range c.raw[i] {
			if f.block != blockMeta {
				text[f.h] = true
			}
		}
	}
	if len(pool) == 0 {
		pool = make([]bugscope.Issue, len(docs))
		for i := range docs {
			pool[i] = docs[i].Issue
		}
	}
	c.poolN = len(pool)
	c.df = make(map[uint64]int32, len(text))
	parts := make([]map[uint64]int32, runtime.GOMAXPROCS(0))
	par.Workers(context.Background(), len(pool), len(parts), func(w int) func(int) {
		e := newExtractor(cfg, nil)
		e.textOnly = true
		m := map[uint64]int32{}
		parts[w] = m
		return func(i int) {
			for _, f := range e.extract(&Doc{Issue: pool[i]}) {
				if text[f.h] {
					m[f.h]++
				}
			}
		}
	})
	for _, m := range parts {
		for h, n := range m {
			c.df[h] += n
		}
	}
	return c, nil
}

// Len is the number of labelled docs.
func (c *Corpus) Len() int { return len(c.Docs) }

// vocab builds the vocabulary of the training docs idx: every feature at
// least MinDF of them have, in name order so that the same data give the
// same model.
func (c *Corpus) vocab(idx []int) *Vocab {
	df := map[uint64]int{}
	block := map[uint64]uint8{}
	for _, i := range idx {
		for _, f := range c.raw[i] {
			df[f.h]++
			block[f.h] = f.block
		}
	}
	var hs []uint64
	for h, n := range df {
		if n >= c.Cfg.MinDF {
			hs = append(hs, h)
		}
	}
	sort.Slice(hs, func(a, b int) bool { return c.names[hs[a]] < c.names[hs[b]] })
	v := &Vocab{PoolDocs: c.poolN, Names: make([]string, len(hs)), Block: make([]uint8, len(hs)), IDF: make([]float32, len(hs))}
	for k, h := range hs {
		v.Names[k] = c.names[h]
		v.Block[k] = block[h]
		if block[h] != blockMeta {
			n := int(c.df[h])
			v.IDF[k] = float32(idf(n, c.poolN))
		}
	}
	v.buildIndex()
	return v
}

// DataHash identifies the training data: the labelled issues' content and
// their gold labels, independent of order.
func DataHash(docs []Doc, gold []bugscope.Labels) string {
	lines := make([]string, len(docs))
	for i := range docs {
		is := &docs[i].Issue
		h := sha256.New()
		for _, s := range []string{is.Title, is.Body} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		for _, l := range is.Labels {
			h.Write([]byte(l))
			h.Write([]byte{0})
		}
		labels, _ := json.Marshal(gold[i]) // map keys are sorted
		lines[i] = is.Ref().String() + "\t" + string(labels) + "\t" + hex.EncodeToString(h.Sum(nil))
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
