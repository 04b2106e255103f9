// Package bugscope holds the domain types of bugscope, a tool that turns the
// issue trackers of LLM inference and serving engines into an empirical bug
// study. Subpackages implement storage (sqlite), taxonomies (taxonomy),
// classifiers (classify), signal extraction (signals), import of issue dumps
// (importer), metrics (metrics) and reports (report); cmd/bugscope wires them.
package bugscope

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Issue is one GitHub issue or pull request as bugscope stores it.
type Issue struct {
	Repo              string // "owner/name", as GitHub spells it
	Number            int
	Title             string
	Body              string
	Labels            []string
	State             string // "open", "closed" or "" when the source did not say
	AuthorAssociation string
	CreatedAt         *time.Time
	UpdatedAt         *time.Time
	ClosedAt          *time.Time
	Comments          int
	Reactions         int // total_count of the reactions object
	URL               string
	IsPullRequest     bool
}

// Ref returns the issue's reference, owner/repo#number.
func (i *Issue) Ref() IssueRef { return IssueRef{Repo: i.Repo, Number: i.Number} }

// IssueRef names one issue: owner/repo#number.
type IssueRef struct {
	Repo   string
	Number int
}

func (r IssueRef) String() string { return r.Repo + "#" + strconv.Itoa(r.Number) }

// ParseIssueRef parses "owner/repo#123".
func ParseIssueRef(s string) (IssueRef, error) {
	repo, num, ok := strings.Cut(strings.TrimSpace(s), "#")
	if !ok {
		return IssueRef{}, fmt.Errorf("issue reference %q: want owner/repo#number", s)
	}
	if err := ValidateRepo(repo); err != nil {
		return IssueRef{}, fmt.Errorf("issue reference %q: %w", s, err)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		return IssueRef{}, fmt.Errorf("issue reference %q: %q is not an issue number", s, num)
	}
	return IssueRef{Repo: repo, Number: n}, nil
}

// ValidateRepo checks that s looks like "owner/name".
func ValidateRepo(s string) error {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" || strings.ContainsAny(name, "/ #") || strings.ContainsAny(owner, " #") {
		return fmt.Errorf("repository %q: want owner/name", s)
	}
	return nil
}

// Labels is the set of values a classification or a rater gives an issue, by
// dimension id. A single-valued dimension holds at most one value; a
// dimension that does not apply (the category of a feature request) is
// absent or empty.
type Labels map[string][]string

// One returns the single value of dimension dim, or "".
func (l Labels) One(dim string) string {
	if v := l[dim]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Evidence records why a classifier chose a value: the rule (or model
// feature) that fired and, for text matches, what it matched and where.
type Evidence struct {
	Dimension string  `json:"dimension"`
	Value     string  `json:"value"`
	Rule      string  `json:"rule"`
	Field     string  `json:"field,omitempty"`  // title, body, labels, signal, model
	Match     string  `json:"match,omitempty"`  // the matched text, bounded
	Offset    int     `json:"offset"`           // byte offset of Match in Field
	Line      string  `json:"line,omitempty"`   // the line the match is on, bounded, for quoting
	Weight    float64 `json:"weight,omitempty"` // contribution to the decision
	Note      string  `json:"note,omitempty"`   // why, for decisions no text supports (defaults)
}

func (e Evidence) String() string {
	switch {
	case e.Note != "":
		return fmt.Sprintf("%s=%s: %s (rule %s)", e.Dimension, e.Value, e.Note, e.Rule)
	case e.Match != "" && e.Field != "":
		return fmt.Sprintf("%s=%s: %s matched %q at byte %d (rule %s)", e.Dimension, e.Value, e.Field, e.Match, e.Offset, e.Rule)
	case e.Field != "":
		return fmt.Sprintf("%s=%s: %s (rule %s)", e.Dimension, e.Value, e.Field, e.Rule)
	default:
		return fmt.Sprintf("%s=%s: rule %s", e.Dimension, e.Value, e.Rule)
	}
}

// Classification is one classifier's labelling of one issue in one taxonomy.
type Classification struct {
	Issue             IssueRef
	Taxonomy          string
	TaxonomyVersion   string
	Classifier        string
	ClassifierVersion string
	Labels            Labels
	// Confidence is the classifier's overall confidence in 0..1;
	// DimConfidence the same per dimension, where the classifier knows it.
	Confidence    float64
	DimConfidence map[string]float64
	Evidence      []Evidence
	CreatedAt     time.Time
}

// Classified is one issue with one classifier's classification of it and
// the signals extracted from it, as reports and exports read them.
type Classified struct {
	Issue          Issue
	Classification Classification
	Signals        []Signal
}

// Classifier labels issues in one taxonomy. The rule classifier, the
// learned model, the ensemble and the LLM classifier implement it.
type Classifier interface {
	// Name and Version are recorded with every classification.
	Name() string
	Version() string
	// Classify returns one classification per issue, in order.
	Classify(ctx context.Context, issues []Issue) ([]Classification, error)
}

// Signal is a structured fact extracted from a report: an error signature,
// an exception type, a GPU model, a CUDA or ROCm version, an engine version
// or an operating system.
type Signal struct {
	Kind   string `json:"kind"`
	Value  string `json:"value"`
	Field  string `json:"field"`  // title or body
	Offset int    `json:"offset"` // byte offset of the match in Field
}

// Signal kinds.
const (
	SignalErrorSignature = "error_signature"
	SignalException      = "exception"
	SignalGPU            = "gpu"
	SignalCUDA           = "cuda_version"
	SignalROCm           = "rocm_version"
	SignalEngineVersion  = "engine_version"
	SignalOS             = "os"
	SignalBackend        = "backend"
)

// Comment is one comment on an issue or pull request, as mined with
// `bugscope sync --comments`.
type Comment struct {
	Repo              string
	IssueNumber       int
	ID                int64 // GitHub's comment id, unique within the host
	Author            string
	AuthorAssociation string
	Body              string
	CreatedAt         *time.Time
	UpdatedAt         *time.Time
	URL               string
}

// Fix links an issue to a merged pull request that fixed it, with the
// pull request's size when it is known: the study's fix-effort figures.
type Fix struct {
	Issue       IssueRef
	PullRequest IssueRef
	// Source says how the link was found: FixSourceBody, FixSourceTimeline
	// or FixSourceCommit.
	Source   string
	MergedAt *time.Time
	// SizeKnown is set once the pull request's size has been fetched.
	SizeKnown    bool
	Additions    int
	Deletions    int
	ChangedFiles int
	// TimeToFix runs from the issue's creation to the merge; 0 when either
	// time is unknown.
	TimeToFix time.Duration
}

// LinesChanged is the pull request's additions plus deletions.
func (f Fix) LinesChanged() int { return f.Additions + f.Deletions }

// How a fix link was found.
const (
	// FixSourceBody: the pull request's description closes the issue
	// ("Fixes #123").
	FixSourceBody = "body"
	// FixSourceTimeline: the issue's timeline shows a merged pull request
	// that referenced it when it was closed.
	FixSourceTimeline = "timeline"
	// FixSourceCommit: the issue was closed by a commit that belongs to a
	// merged pull request.
	FixSourceCommit = "commit"
)
