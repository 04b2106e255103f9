// Package review ranks classified issues for a human to look at: the ones
// where the rule classifier and the learned model disagree, and the ones
// the final decision is least sure of, first. Each item keeps both
// decisions with their evidence, so that a reviewer sees why each
// classifier said what it said.
package review

import (
	"sort"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// Decision is one classifier's labels of an issue with its confidence
// and evidence.
type Decision struct {
	Classifier    string              `json:"classifier"`
	Labels        bugscope.Labels     `json:"labels"`
	Confidence    float64             `json:"confidence"`
	DimConfidence map[string]float64  `json:"dim_confidence"`
	Evidence      []bugscope.Evidence `json:"evidence"`
}

// Disagreement is a dimension on which the rules and the model differ.
type Disagreement struct {
	Dimension string   `json:"dimension"`
	Rules     []string `json:"rules"`
	Model     []string `json:"model"`
	// Final is the decision the review is about (the ensemble's, when
	// there is one).
	Final []string `json:"final"`
}

// Item is one issue in the review queue.
type Item struct {
	Issue string `json:"issue"`
	Title string `json:"title"`
	URL   string `json:"url,omitempty"`
	// Score orders the queue: 1 - Confidence, plus the weights of the
	// dimensions the rules and the model disagree on.
	Score float64 `json:"score"`
	// Confidence is the final decision's overall confidence.
	Confidence    float64        `json:"confidence"`
	Disagreements []Disagreement `json:"disagreements"`
	Final         *Decision      `json:"final"`
	Rules         *Decision      `json:"rules,omitempty"`
	Model         *Decision      `json:"model,omitempty"`
}

// Weights of a disagreement by the dimension's role: a disagreement on
// the kind changes whether the issue counts as a bug at all.
var roleWeight = map[string]float64{
	taxonomy.RoleKind: 1, taxonomy.RoleCategory: 0.6, taxonomy.RoleRootCause: 0.3,
	taxonomy.RoleSeverity: 0.3, taxonomy.RolePatterns: 0.2,
}

// Build ranks the issues of final (the ensemble's classifications, or
// any classifier's) by Score, highest first; rules and model, when given,
// are the two classifiers whose disagreements count. Issues are matched
// by reference; an issue missing from rules or model has no
// disagreements.
func Build(tax *taxonomy.Taxonomy, final, rules, model []bugscope.Classified) []Item {
	byRef := func(cs []bugscope.Classified) map[bugscope.IssueRef]*bugscope.Classified {
		m := make(map[bugscope.IssueRef]*bugscope.Classified, len(cs))
		for i := range cs {
			m[cs[i].Issue.Ref()] = &cs[i]
		}
		return m
	}
	r, m := byRef(rules), byRef(model)
	items := make([]Item, 0, len(final))
	for i := range final {
		f := &final[i]
		ref := f.Issue.Ref()
		it := Item{Issue: ref.String(), Title: f.Issue.Title, URL: f.Issue.URL,
			Confidence: f.Classification.Confidence, Final: decision(&f.Classification), Disagreements: []Disagreement{}}
		it.Score = 1 - it.Confidence
		rc, mc := r[ref], m[ref]
		if rc != nil {
			it.Rules = decision(&rc.Classification)
		}
		if mc != nil {
			it.Model = decision(&mc.Classification)
		}
		if rc != nil && mc != nil {
			for _, d := range tax.Dimensions {
				a, b := rc.Classification.Labels[d.ID], mc.Classification.Labels[d.ID]
				// Below a disputed kind the other dimensions differ as a
				// matter of course; only where both decided them do they
				// count.
				both := tax.Applies(d, rc.Classification.Labels) && tax.Applies(d, mc.Classification.Labels)
				if sameSet(a, b) || !both {
					continue
				}
				it.Disagreements = append(it.Disagreements, Disagreement{Dimension: d.ID,
					Rules: nonNil(a), Model: nonNil(b), Final: nonNil(f.Classification.Labels[d.ID])})
				w, ok := roleWeight[d.Role]
				if !ok {
					w = 0.2
				}
				it.Score += w
			}
		}
		items = append(items, it)
	}
	sort.SliceStable(items, func(a, b int) bool {
		if items[a].Score != items[b].Score {
			return items[a].Score > items[b].Score
		}
		return items[a].Issue < items[b].Issue
	})
	return items
}

func decision(c *bugscope.Classification) *Decision {
	ev := c.Evidence
	if ev == nil {
		ev = []bugscope.Evidence{}
	}
	return &Decision{Classifier: c.Classifier, Labels: c.Labels, Confidence: c.Confidence, DimConfidence: c.DimConfidence, Evidence: ev}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sameSet(x, y []string) bool {
	if len(x) != len(y) {
		return false
	}
	a := append([]string(nil), x...)
	b := append([]string(nil), y...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

// EvidenceFor returns a decision's evidence on one dimension.
func (d *Decision) EvidenceFor(dim string) []bugscope.Evidence {
	if d == nil {
		return nil
	}
	var out []bugscope.Evidence
	for _, e := range d.Evidence {
		if e.Dimension == dim {
			out = append(out, e)
		}
	}
	return out
}
