package bugscope

import (
	"strings"
	"time"
	"unicode"
)

// IssueQuery selects, sorts and pages classified issues for the web
// dashboard's issue lists: the filters of a report plus the labels of one
// classifier, a confidence band, a signal and a text query.
type IssueQuery struct {
	// Filter: repositories, state, period (created), GitHub labels.
	Filter   IssueFilter `json:"filter"`
	Taxonomy string      `json:"taxonomy"`
	// Classifier whose labels are shown and filtered on; "" takes, per
	// issue, the best classifier that labelled it, as reports do
	// (ClassifierPreference).
	Classifier string `json:"classifier,omitempty"`
	// Labels: per dimension, the values of which an issue must carry one
	// (a category group is given as its values).
	Labels map[string][]string `json:"labels,omitempty"`
	// Confidence: a band's name (ConfidenceBands), or "".
	Confidence string `json:"confidence,omitempty"`
	// Signal: issues with this extracted signal (kind and value), or nil.
	Signal *Signal `json:"signal,omitempty"`
	// Text is a full-text query over titles and bodies (FTS5), words that
	// must all occur; "" for none.
	Text string `json:"text,omitempty"`
	// Sort is one of IssueSorts; "" is "relevance" with Text, else
	// "-created".
	Sort   string `json:"sort,omitempty"`
	Offset int    `json:"offset"`
	Limit  int    `json:"limit"`
}

// IssueSorts are the orders an issue list can have; a leading "-" means
// descending.
var IssueSorts = []string{"-created", "created", "-updated", "updated", "-comments", "-reactions", "confidence", "-confidence", "number", "relevance"}

// ConfidenceBand is a named range of a classification's overall
// confidence, [Lo, Hi).
type ConfidenceBand struct {
	Name string  `json:"name"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
}

// ConfidenceBands: a decision no cue supports has at most 0.2 (a default),
// one chosen by evidence at least 0.25.
var ConfidenceBands = []ConfidenceBand{
	{"low", 0, 0.4},
	{"medium", 0.4, 0.7},
	{"high", 0.7, 1.0000001},
}

// Band returns the confidence band named name, or false.
func Band(name string) (ConfidenceBand, bool) {
	for _, b := range ConfidenceBands {
		if b.Name == name {
			return b, true
		}
	}
	return ConfidenceBand{}, false
}

// IssueRow is one issue of a list with the labels it is listed by.
type IssueRow struct {
	Issue      Issue   `json:"issue"` // without its body, except a bounded head for a text query's passage
	Classifier string  `json:"classifier"`
	Confidence float64 `json:"confidence"`
	Labels     Labels  `json:"labels"`
}

// IssueList is one page of an issue list and the size of the whole.
type IssueList struct {
	Total int        `json:"total"`
	Rows  []IssueRow `json:"rows"`
}

// HandLabel is one person's labels of an issue in a study sample: a
// rater's latest answer, or the arbitrator's final decision.
type HandLabel struct {
	Sample    string    `json:"sample"`
	Who       string    `json:"who"`
	Final     bool      `json:"final"` // the arbitrator's decision
	Labels    Labels    `json:"labels"`
	Excluded  string    `json:"excluded,omitempty"` // the reason, when the issue was left out
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// SearchStats says what bringing the full-text index up to date did.
type SearchStats struct {
	Indexed int `json:"indexed"` // issues (re)indexed
	Removed int `json:"removed"` // entries of issues gone or changed
	Total   int `json:"total"`   // issues in the index now
}

// QueryTerms splits a text query into its words (letters, digits and
// underscores, lower-cased): what the search index matches
// (sqlite.FTSQuery) and a result's passage marks.
// A word ending in * is a prefix.
func QueryTerms(q string) []string {
	var terms []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(q, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '*')
	}) {
		prefix := strings.HasSuffix(f, "*")
		w := strings.ToLower(strings.Trim(f, "*"))
		if w == "" {
			continue
		}
		// An underscore separates tokens for FTS5's unicode61: a_b is
		// the phrase "a b"; keep it as one term for marking.
		if prefix {
			w += "*"
		}
		if !seen[w] {
			seen[w] = true
			terms = append(terms, w)
		}
	}
	return terms
}
