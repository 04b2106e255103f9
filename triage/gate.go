package triage

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/taxonomy"
)

// Check measures every mapped label of every configuration entry on hand
// labels: on the gold issues the classifier labelled (those of the
// entry's repository; every one for "*"), how many carry one of the
// label's values (examples), how many the label would be applied to
// (predicted) and how many of those are right; a label passes when its
// precision reaches the bar and it has enough examples.
func Check(cfg *Config, pred, gold map[bugscope.IssueRef]bugscope.Labels, source string, now time.Time) GateResult {
	res := GateResult{Gold: source, Gate: cfg.Gate, CheckedAt: now.UTC(), Labels: []GateLabel{}}
	for _, entry := range cfg.Entries() {
		repo, _ := cfg.Repo(entry)
		var refs []bugscope.IssueRef
		for ref := range gold {
			if _, ok := pred[ref]; ok && (entry == AllRepos || strings.EqualFold(ref.Repo, entry)) {
				refs = append(refs, ref)
			}
		}
		byLabel := map[string][]Mapping{}
		var order []string
		for _, m := range repo.Labels {
			k := strings.ToLower(m.Label)
			if _, ok := byLabel[k]; !ok {
				order = append(order, k)
			}
			byLabel[k] = append(byLabel[k], m)
		}
		for _, k := range order {
			ms := byLabel[k]
			gl := GateLabel{Entry: entry, Label: ms[0].Label, Dimension: ms[0].Dimension, Scored: len(refs)}
			var vals []string
			for _, m := range ms {
				vals = append(vals, m.Value)
			}
			gl.Value = strings.Join(vals, "|")
			carries := func(l bugscope.Labels) bool {
				return slices.ContainsFunc(ms, func(m Mapping) bool { return slices.Contains(l[m.Dimension], m.Value) })
			}
			for _, ref := range refs {
				g, p := carries(gold[ref]), carries(pred[ref])
				if g {
					gl.Examples++
				}
				if p {
					gl.Predicted++
				}
				if g && p {
					gl.Correct++
				}
			}
			gl.Pass = gl.Examples >= cfg.Gate.MinExamples && gl.Predicted > 0 && gl.Precision() >= cfg.Gate.MinPrecision
			res.Labels = append(res.Labels, gl)
		}
	}
	return res
}

// InUse is a mapped label's record in use: how often bugscope applied it
// and how often maintainers removed it again.
type InUse struct {
	Repo    string `json:"repo"`
	Label   string `json:"label"`
	Applied int    `json:"applied"`
	Removed int    `json:"removed"`
	// Added counts the issues a maintainer gave the label by hand (a
	// label bugscope missed or had not applied).
	Added int `json:"added"`
}

// Precision is the share of applied labels that maintainers kept; 0 when
// none was applied.
func (u InUse) Precision() float64 {
	if u.Applied == 0 {
		return 0
	}
	return float64(u.Applied-u.Removed) / float64(u.Applied)
}

// PrecisionInUse counts, per repository and label, the labels applied and
// the maintainers' removals and additions.
func PrecisionInUse(applied map[string]map[string]int, fb []Feedback) []InUse {
	type key struct{ repo, label string }
	m := map[key]*InUse{}
	get := func(repo, label string) *InUse {
		k := key{repo, strings.ToLower(label)}
		if m[k] == nil {
			m[k] = &InUse{Repo: repo, Label: label}
		}
		return m[k]
	}
	for repo, ls := range applied {
		for l, n := range ls {
			get(repo, l).Applied += n
		}
	}
	seen := map[string]bool{} // one count per issue, action and label
	for _, f := range fb {
		k := f.Issue.String() + "\x00" + f.Action + "\x00" + strings.ToLower(f.Label)
		if seen[k] {
			continue
		}
		seen[k] = true
		u := get(f.Issue.Repo, f.Label)
		switch f.Action {
		case FeedbackRemoved:
			u.Removed++
		case FeedbackAdded:
			u.Added++
		}
	}
	out := make([]InUse, 0, len(m))
	for _, u := range m {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Repo != out[j].Repo {
			return out[i].Repo < out[j].Repo
		}
		return out[i].Label < out[j].Label
	})
	return out
}

// MaintainerRecords turns maintainers' label changes into label records
// of rater "maintainers" that `bugscope train --gold` takes: bugscope's
// labels of the issue (its stored decision), corrected by what
// maintainers removed and added, in the order they did it. An issue whose
// corrected labels the taxonomy refuses (a removed kind with nothing in
// its place) or leave a dimension without a value (train needs complete
// labels) is left out and counted in skipped.
func MaintainerRecords(tax *taxonomy.Taxonomy, decisions map[bugscope.IssueRef]Decision, fb []Feedback) (recs []labelrec.Record, skipped int) {
	byIssue := map[bugscope.IssueRef][]Feedback{}
	var order []bugscope.IssueRef
	for _, f := range fb {
		if _, ok := byIssue[f.Issue]; !ok {
			order = append(order, f.Issue)
		}
		byIssue[f.Issue] = append(byIssue[f.Issue], f)
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].Repo != order[j].Repo {
			return order[i].Repo < order[j].Repo
		}
		return order[i].Number < order[j].Number
	})
	for _, ref := range order {
		l := bugscope.Labels{}
		if d, ok := decisions[ref]; ok {
			for _, p := range d.Proposed {
				l[p.Dimension] = slices.Clone(p.Values)
			}
		}
		var notes []string
		for _, f := range byIssue[ref] {
			dim := tax.Dimension(f.Dimension)
			if dim == nil {
				continue
			}
			switch f.Action {
			case FeedbackRemoved:
				l[f.Dimension] = slices.DeleteFunc(l[f.Dimension], func(v string) bool { return v == f.Value })
				notes = append(notes, "removed "+f.Label)
			case FeedbackAdded:
				if dim.Multi {
					if !slices.Contains(l[f.Dimension], f.Value) {
						l[f.Dimension] = append(l[f.Dimension], f.Value)
					}
				} else {
					l[f.Dimension] = []string{f.Value}
				}
				notes = append(notes, "added "+f.Label)
			}
		}
		for k, v := range l {
			if len(v) == 0 {
				delete(l, k)
			}
		}
		for _, dim := range tax.Dimensions {
			if _, ok := l[dim.ID]; ok && !tax.Applies(dim, l) {
				delete(l, dim.ID)
			}
		}
		// train needs complete labels: a dimension left without a value
		// (a maintainer removed bugscope's severity and set none) leaves
		// the issue out.
		if len(l) == 0 || tax.Check(l) != nil || len(labelrec.Unlabelled(tax, l)) > 0 {
			skipped++
			continue
		}
		recs = append(recs, labelrec.Record{Issue: ref, Labels: l, Note: "maintainers: " + strings.Join(notes, ", ")})
	}
	return recs, skipped
}
