package bugscope

import "time"

// IssueFilter selects issues. Zero fields select everything; pull requests
// are left out unless IncludePulls is set.
type IssueFilter struct {
	Repos        []string   `json:"repos,omitempty"`
	State        string     `json:"state,omitempty"`  // open, closed, or "" for both
	Since        *time.Time `json:"since,omitempty"`  // opened on or after
	Until        *time.Time `json:"until,omitempty"`  // opened before
	Labels       []string   `json:"labels,omitempty"` // any of them
	Number       int        `json:"number,omitempty"` // one issue (with Repos), or 0 for all
	IncludePulls bool       `json:"include_pulls,omitempty"`
}

// ClassifiedFilter selects classified issues for a report or an export:
// the issues the filter selects that Classifier labelled in Taxonomy.
type ClassifiedFilter struct {
	IssueFilter
	Taxonomy   string
	Classifier string
	// WithBody loads issue bodies too; reports do not need them.
	WithBody bool
	// WithSignals loads the issues' signals.
	WithSignals bool
	// EvidenceOf, for ReportItems, names the dimension whose evidence
	// (and with it the issue's title and address) is loaded, to quote.
	EvidenceOf string
	// Contains: texts that must each occur in the title or the body
	// (substrings, ASCII case ignored), matched in the database so that
	// bodies need not be loaded to filter on them.
	Contains []string
	// Values: conditions on the labels, each of which the classification
	// must meet (matched in the database).
	Values []ValueMatch
	// MinConfidence and MaxConfidence bound the classification's
	// confidence (nil: unbounded).
	MinConfidence, MaxConfidence *float64
	// Refs, when not nil, selects only these issues (a page of a review
	// queue).
	Refs []IssueRef
}

// ValueMatch is met by a classification with at least one of Values in
// Dimension; with Groups, a value also matches the values of its group
// (memory matches memory.oom).
type ValueMatch struct {
	Dimension string
	Values    []string
	Groups    bool
}

// ClassifyFilter selects the issues a classification run labels: those
// of the IssueFilter that lack a current classification in Taxonomy by one
// of the Current classifiers (name: version), or all of them with All. A
// classification is current when the classifier's version made it from
// the text the issue has now (Classification.InputHash).
type ClassifyFilter struct {
	IssueFilter
	Taxonomy string
	Current  map[string]string
	All      bool
}

// ClassifyPlan counts the issues a ClassifyFilter's IssueFilter selects by
// why a run labels them: no classification by one of the classifiers
// (New); one made from other text, the issue having changed since, or by a
// bugscope that did not record what it read (Changed); one made by another
// version of a classifier (OtherVersion); or every classification current
// (Current: skipped, unless All). An issue counts once, under the first of
// these reasons that applies to one of its classifiers.
type ClassifyPlan struct {
	New          int `json:"new"`
	Changed      int `json:"changed"`
	OtherVersion int `json:"other_version"`
	Current      int `json:"current"`
}
