package triage

import (
	"slices"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// maxEvidence bounds the evidence kept per dimension.
const maxEvidence = 3

// Input is what Decide decides from.
type Input struct {
	Tax            *taxonomy.Taxonomy
	Repo           Repo
	Issue          bugscope.Issue // with the labels it carries now
	Classification bugscope.Classification
	Gate           *GateResult // the latest go-live check, or nil
	Applied        []Applied   // labels bugscope applied before
	Removed        []string    // labels maintainers removed after bugscope applied them
	IsBot          bool        // opened by a bot
	Similar        []Similar
	Now            time.Time
}

// Decide returns the decision for one issue: the proposal, and per mapped
// label whether it is applied. It never proposes removing a label, never a
// label outside the repository's map, never one a maintainer removed, and
// never one that contradicts a human's label of a single-valued dimension.
func Decide(in Input) Decision {
	c := in.Classification
	d := Decision{
		Issue: in.Issue.Ref(), Title: in.Issue.Title, URL: in.Issue.URL, State: in.Issue.State,
		Mode: in.Repo.Mode, Taxonomy: c.Taxonomy, Classifier: c.Classifier, ClassifierVersion: c.ClassifierVersion,
		Confidence: c.Confidence, Similar: in.Similar, DecidedAt: in.Now.UTC(),
		Labels: []LabelDecision{},
	}
	if d.Similar == nil {
		d.Similar = []Similar{}
	}
	for _, dim := range in.Tax.Dimensions {
		vals := c.Labels[dim.ID]
		if len(vals) == 0 {
			continue
		}
		p := Proposal{Dimension: dim.ID, Values: vals, Confidence: c.DimConfidence[dim.ID], Evidence: []bugscope.Evidence{}}
		if _, ok := c.DimConfidence[dim.ID]; !ok {
			p.Confidence = c.Confidence
		}
		for _, e := range c.Evidence {
			if e.Dimension == dim.ID && slices.Contains(vals, e.Value) && len(p.Evidence) < maxEvidence {
				p.Evidence = append(p.Evidence, e)
			}
		}
		d.Proposed = append(d.Proposed, p)
	}
	switch {
	case in.Issue.IsPullRequest:
		d.Skipped = "a pull request"
	case in.IsBot && !in.Repo.IncludeBots:
		d.Skipped = "opened by a bot (include_bots: false)"
	}

	has := func(l string) bool {
		return slices.ContainsFunc(in.Issue.Labels, func(x string) bool { return strings.EqualFold(x, l) })
	}
	ours := map[string]bool{}
	for _, a := range in.Applied {
		ours[strings.ToLower(a.Label)] = true
	}
	removed := map[string]bool{}
	for _, l := range in.Removed {
		removed[strings.ToLower(l)] = true
	}
	// humanDims: single-valued dimensions a human decided with a mapped
	// label bugscope did not apply.
	// ownDims: those bugscope decided before with a label still there.
	humanDims, ownDims := map[string]string{}, map[string]Mapping{}
	for _, l := range in.Issue.Labels {
		for _, m := range in.Repo.MappingsOf(l) {
			if dim := in.Tax.Dimension(m.Dimension); dim != nil && !dim.Multi {
				if ours[strings.ToLower(l)] {
					ownDims[m.Dimension] = m
				} else {
					humanDims[m.Dimension] = l
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, m := range in.Repo.Labels {
		if !slices.Contains(c.Labels[m.Dimension], m.Value) || seen[strings.ToLower(m.Label)] {
			continue
		}
		seen[strings.ToLower(m.Label)] = true
		ld := LabelDecision{Label: m.Label, Dimension: m.Dimension, Value: m.Value}
		switch human, held := humanDims[m.Dimension]; {
		case has(m.Label):
			ld.Status = LabelPresent
		case removed[strings.ToLower(m.Label)]:
			ld.Status = LabelRemoved
		case held:
			ld.Status, ld.Note = LabelHuman, "a maintainer set "+human
		case ownDims[m.Dimension].Label != "" && ownDims[m.Dimension].Value != m.Value:
			ld.Status, ld.Note = LabelEarlier, "bugscope applied "+ownDims[m.Dimension].Label+" before and does not remove labels"
		case d.Skipped != "":
			ld.Status, ld.Note = LabelShadow, d.Skipped
		case in.Repo.Mode == ModeShadow:
			ld.Status, ld.Note = LabelShadow, gateNote(in.Gate)
			if in.Gate.Passes(in.Repo.Entry, m.Label) {
				ld.Note = "passed the go-live check of " + in.Gate.CheckedAt.Format("2006-01-02")
			}
		case !in.Gate.Passes(in.Repo.Entry, m.Label):
			ld.Status, ld.Note = LabelGated, gateNote(in.Gate)
		case in.Repo.Mode == ModeDryRun:
			ld.Status = LabelWould
		default:
			ld.Status = LabelApply
		}
		d.Labels = append(d.Labels, ld)
	}
	return d
}

func gateNote(g *GateResult) string {
	if g == nil {
		return "no go-live check yet (bugscope triage check)"
	}
	return "did not pass the go-live check of " + g.CheckedAt.Format("2006-01-02")
}

// ToApply returns the labels the decision adds.
func (d *Decision) ToApply() []string {
	var out []string
	for _, l := range d.Labels {
		if l.Status == LabelApply || l.Status == LabelWould {
			out = append(out, l.Label)
		}
	}
	slices.Sort(out)
	return out
}

// Commented reports whether the decision warrants bugscope's comment: in
// apply or dry-run mode, not skipped, and with at least one label that
// bugscope applies or applied.
func (d *Decision) Commented(r Repo, applied []Applied) bool {
	if !r.Comment || d.Skipped != "" || r.Mode == ModeShadow {
		return false
	}
	if len(d.ToApply()) > 0 {
		return true
	}
	for _, l := range d.Labels {
		if l.Status == LabelPresent && slices.ContainsFunc(applied, func(a Applied) bool { return strings.EqualFold(a.Label, l.Label) }) {
			return true
		}
	}
	return false
}

// IsBot reports whether a GitHub user is a bot: of type Bot, or a login
// ending in [bot].
func IsBot(login, userType string) bool {
	return strings.EqualFold(userType, "Bot") || strings.HasSuffix(strings.ToLower(login), "[bot]")
}
