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
}
