package bugscope

import (
	"slices"
	"time"
)

// ReportItem is what a report reads of one classified issue, and nothing
// more, so that a report of a million issues fits in memory: about 140
// bytes an issue, plus the text of the ones that could be examples.
// Strings that repeat (repositories, states, signal values) and equal
// label sets are shared between items by the loaders, so Labels and
// Signals are read-only.
type ReportItem struct {
	Repo   string
	Number int
	State  string
	// Created, Updated, Closed are Unix seconds (the store keeps seconds),
	// NoTime when unknown: three int64 instead of three pointers to times.
	Created, Updated, Closed int64
	Comments, Reactions      int32
	Stale                    bool // Classification.Stale
	Confidence               float64
	By                       *ClassifierID // shared
	Labels                   Labels
	// Signals are the distinct signals of ReportSignalKinds the issue
	// shows, each once.
	Signals []*ReportSignal
	// Text is there when the issue has evidence of the category
	// dimension to quote (ClassifiedFilter.EvidenceOf): the examples.
	Text *ReportText
}

// NoTime marks a ReportItem time as unknown.
const NoTime = int64(-1 << 63)

// ClassifierID names a classifier and its version.
type ClassifierID struct{ Name, Version string }

// ReportSignal is a signal's kind and value.
type ReportSignal struct{ Kind, Value string }

// ReportSignalKinds are the signal kinds reports count.
var ReportSignalKinds = []string{SignalErrorSignature, SignalException, SignalGPU, SignalBackend, SignalOS}

// ReportText is what an example shows of an issue: its title, address,
// and the first evidence of each of its values of the category dimension.
type ReportText struct {
	Title, URL string
	Evidence   []Evidence
}

// Ref returns the item's issue reference.
func (it *ReportItem) Ref() IssueRef { return IssueRef{Repo: it.Repo, Number: it.Number} }

// UnixOf is the ReportItem time of t (NoTime for nil), to the second.
func UnixOf(t *time.Time) int64 {
	if t == nil {
		return NoTime
	}
	return t.Unix()
}

// ReportItemOf is what a report reads of c, its text only for evidence of
// dimension evidenceOf. Strings and labels are not shared: loaders of many
// items share them (sqlite's ReportItems).
func ReportItemOf(c *Classified, evidenceOf string) ReportItem {
	is, cl := &c.Issue, &c.Classification
	it := ReportItem{Repo: is.Repo, Number: is.Number, State: is.State,
		Created: UnixOf(is.CreatedAt), Updated: UnixOf(is.UpdatedAt), Closed: UnixOf(is.ClosedAt),
		Comments: int32(is.Comments), Reactions: int32(is.Reactions), Stale: cl.Stale, Confidence: cl.Confidence,
		By: &ClassifierID{cl.Classifier, cl.ClassifierVersion}, Labels: cl.Labels}
	seen := map[ReportSignal]bool{}
	for _, s := range c.Signals {
		k := ReportSignal{s.Kind, s.Value}
		if !seen[k] && slices.Contains(ReportSignalKinds, s.Kind) {
			seen[k] = true
			it.Signals = append(it.Signals, &k)
		}
	}
	var ev []Evidence
	for _, e := range cl.Evidence {
		if e.Dimension == evidenceOf {
			ev = append(ev, e)
		}
	}
	if len(ev) > 0 {
		it.Text = &ReportText{Title: is.Title, URL: is.URL, Evidence: ev}
	}
	return it
}
