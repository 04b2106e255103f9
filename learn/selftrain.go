package learn

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/par"
	"gonum.org/v1/gonum/floats"
)

// SelfTrainOptions control self-training: every fit (of each inner and
// outer fold, and the final model) first learns from its hand labels,
// then labels the corpus's unlabelled issues (Corpus.SetUnlabelled: issues
// in no gold file, so never a fold's test issue), adds its confident
// decisions as pseudo-labels weighted below the hand labels, and fits
// again. The vocabulary stays the hand-labelled docs'; temperatures,
// cutpoints and the ensemble's gates are fitted on hand labels only, as
// without self-training.
type SelfTrainOptions struct {
	// Threshold is the least probability (at temperature 1: the fit's own,
	// before calibration) of a decision taken as a pseudo-label; for a
	// yes/no head of a multi-valued dimension, of "yes" or of "no".
	Threshold float64 `json:"threshold"`
	// MaxPerClass bounds the pseudo-labels of each class of each head, the
	// most confident first (0: no bound).
	MaxPerClass int `json:"max_per_class"`
	// Weight multiplies a pseudo-label's example weight (a hand label's is
	// 1, times its class balance).
	Weight float64 `json:"weight"`
	// Rounds of pseudo-labelling and refitting (at least 1); each round
	// labels the pool afresh with the last round's model.
	Rounds int `json:"rounds"`
	// AgreeWithRules keeps only the pseudo-labels the rule classifier's
	// decision agrees with (co-training flavour).
	AgreeWithRules bool `json:"agree_with_rules"`
}

// DefaultSelfTrain is the self-training bugscope train --self-train uses.
func DefaultSelfTrain() SelfTrainOptions {
	return SelfTrainOptions{Threshold: 0.9, MaxPerClass: 100, Weight: 0.5, Rounds: 1}
}

// Check reports options self-training cannot use.
func (o SelfTrainOptions) Check() error {
	switch {
	case !(o.Threshold > 0.5 && o.Threshold <= 1):
		return fmt.Errorf("self-training threshold %v: want above 0.5 and at most 1", o.Threshold)
	case !(o.Weight > 0 && o.Weight <= 1):
		return fmt.Errorf("self-training weight %v: want above 0 and at most 1", o.Weight)
	case o.MaxPerClass < 0:
		return fmt.Errorf("self-training cap %d: want 0 (none) or more", o.MaxPerClass)
	case o.Rounds < 1 || o.Rounds > 5:
		return fmt.Errorf("self-training rounds %d: want 1 to 5", o.Rounds)
	}
	return nil
}

// SetUnlabelled gives the corpus the unlabelled issues self-training may
// pseudo-label. A doc that is one of the corpus's labelled docs is
// refused: the labelled docs include every fold's test issues, which must
// never learn from their own pseudo-label.
func (c *Corpus) SetUnlabelled(docs []Doc) error {
	labelled := map[bugscope.IssueRef]bool{}
	for i := range c.Docs {
		labelled[c.Docs[i].Issue.Ref()] = true
	}
	for i := range docs {
		if labelled[docs[i].Issue.Ref()] {
			return fmt.Errorf("learn: unlabelled issue %s is a labelled one", docs[i].Issue.Ref())
		}
	}
	c.Unlabelled = docs
	c.uraw = make([]rawDoc, len(docs))
	par.Workers(context.Background(), len(docs), runtime.GOMAXPROCS(0), func(int) func(int) {
		e := newExtractor(c.Cfg, nil) // the vocabulary is the labelled docs': no names needed
		return func(i int) { c.uraw[i] = e.extract(&c.Unlabelled[i]) }
	})
	return nil
}

// pseudoSet is the pseudo-labels of one fit: the unlabelled docs that
// have any (docs, indices into Corpus.Unlabelled) and, per head
// (headKey), the class of each of them that has one there.
type pseudoSet struct {
	docs   []int
	truth  map[string][]pseudoEx
	weight float64
}

type pseudoEx struct {
	row   int // position in docs
	class string
	conf  float64
}

func (p *pseudoSet) len() int {
	if p == nil {
		return 0
	}
	return len(p.docs)
}

// pseudoLabel labels the corpus's unlabelled docs with m. A dimension is
// pseudo-labelled only where its decision reaches the threshold and it
// applies given the doc's pseudo-labels of the dimensions before it (a
// category only for a confident bug); a yes/no head where either answer
// does. Then each class of each head keeps its MaxPerClass most confident.
func (c *Corpus) pseudoLabel(m *Model, o SelfTrainOptions) *pseudoSet {
	tax := c.Tax
	type cand struct {
		doc   int
		class string
		conf  float64
	}
	per := make([]map[string]cand, len(c.uraw)) // per doc: head -> its pseudo-label there
	par.Workers(context.Background(), len(c.uraw), 0, func(int) func(int) {
		return func(u int) {
			x := m.Vocab.vector(c.uraw[u], c.Cfg)
			rules := c.Unlabelled[u].Rules
			l := bugscope.Labels{}
			out := map[string]cand{}
			for _, dm := range m.Dimensions {
				d := tax.Dimension(dm.Dimension)
				if !tax.Applies(d, l) {
					continue
				}
				if !dm.Multi {
					h := dm.Head
					if len(h.Classes) < 2 {
						continue
					}
					pr := h.probs(h.logits(x))
					k := floats.MaxIdx(pr)
					if pr[k] < o.Threshold {
						continue
					}
					if o.AgreeWithRules && (rules == nil || rules.Labels.One(d.ID) != h.Classes[k]) {
						continue
					}
					l[d.ID] = []string{h.Classes[k]}
					out[headKey(dm, h)] = cand{u, h.Classes[k], pr[k]}
					continue
				}
				for _, h := range dm.Values {
					pr := h.probs(h.logits(x))
					k := floats.MaxIdx(pr)
					if pr[k] < o.Threshold {
						continue
					}
					if o.AgreeWithRules && (rules == nil || slices.Contains(rules.Labels[d.ID], h.Value) != (h.Classes[k] == yes)) {
						continue
					}
					out[headKey(dm, h)] = cand{u, h.Classes[k], pr[k]}
				}
			}
			per[u] = out
		}
	})
	byHead := map[string]map[string][]cand{}
	for _, out := range per {
		for key, e := range out {
			if byHead[key] == nil {
				byHead[key] = map[string][]cand{}
			}
			byHead[key][e.class] = append(byHead[key][e.class], e)
		}
	}
	ps := &pseudoSet{truth: map[string][]pseudoEx{}, weight: o.Weight}
	row := map[int]int{}
	keys := make([]string, 0, len(byHead))
	for key := range byHead {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		classes := make([]string, 0, len(byHead[key]))
		for cl := range byHead[key] {
			classes = append(classes, cl)
		}
		sort.Strings(classes)
		for _, cl := range classes {
			cs := byHead[key][cl]
			sort.SliceStable(cs, func(a, b int) bool { return cs[a].conf > cs[b].conf })
			if o.MaxPerClass > 0 && len(cs) > o.MaxPerClass {
				cs = cs[:o.MaxPerClass]
			}
			for _, e := range cs {
				r, ok := row[e.doc]
				if !ok {
					r = len(ps.docs)
					row[e.doc] = r
					ps.docs = append(ps.docs, e.doc)
				}
				ps.truth[key] = append(ps.truth[key], pseudoEx{row: r, class: e.class, conf: e.conf})
			}
		}
	}
	return ps
}
