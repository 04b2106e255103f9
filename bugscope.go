// Package bugscope holds the domain types of bugscope, a tool that turns the
// issue trackers of LLM inference and serving engines into an empirical bug
// study. Subpackages implement storage (sqlite), taxonomies (taxonomy),
// classifiers (classify), signal extraction (signals), import of issue dumps
// (importer), metrics (metrics) and reports (report); cmd/bugscope wires them.
package bugscope

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Issue is one GitHub issue or pull request as bugscope stores it.
type Issue struct {
	Repo              string     `json:"repo"` // "owner/name", as GitHub spells it
	Number            int        `json:"number"`
	Title             string     `json:"title"`
	Body              string     `json:"body,omitempty"`
	Labels            []string   `json:"labels"`
	State             string     `json:"state"` // "open", "closed" or "" when the source did not say
	AuthorAssociation string     `json:"author_association"`
	CreatedAt         *time.Time `json:"created_at"`
	UpdatedAt         *time.Time `json:"updated_at"`
	ClosedAt          *time.Time `json:"closed_at"`
	Comments          int        `json:"comments"`
	Reactions         int        `json:"reactions"` // total_count of the reactions object
	URL               string     `json:"url"`
	IsPullRequest     bool       `json:"is_pull_request"`
}

// Ref returns the issue's reference, owner/repo#number.
func (i *Issue) Ref() IssueRef { return IssueRef{Repo: i.Repo, Number: i.Number} }

// TextHash is the content hash of what classifiers read of an issue: its
// title, body and labels (32 hex digits of SHA-256, each part length-
// prefixed). A classification records the hash it read
// (Classification.InputHash); the stored issue's hash differing from it
// makes the classification stale.
func (i *Issue) TextHash() string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	part := func(s string) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		io.WriteString(h, s)
	}
	part(i.Title)
	part(i.Body)
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(i.Labels)))])
	for _, l := range i.Labels {
		part(l)
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// IssueRef names one issue: owner/repo#number.
type IssueRef struct {
	Repo   string `json:"repo"`
	Number int    `json:"number"`
}

func (r IssueRef) String() string { return r.Repo + "#" + strconv.Itoa(r.Number) }

// ParseIssueRef parses "owner/repo#123".
func ParseIssueRef(s string) (IssueRef, error) {
	repo, num, ok := strings.Cut(strings.TrimSpace(s), "#")
	if !ok {
		return IssueRef{}, Errorf(EInvalid, "issue reference %q: want owner/repo#number", s)
	}
	if err := ValidateRepo(repo); err != nil {
		return IssueRef{}, Errorf(EInvalid, "issue reference %q: %v", s, err)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		return IssueRef{}, Errorf(EInvalid, "issue reference %q: %q is not an issue number", s, num)
	}
	return IssueRef{Repo: repo, Number: n}, nil
}

// ParseIssueArg parses an issue named on the command line or in a
// request: "owner/repo#123" or an issue or pull-request address,
// "https://github.com/owner/repo/issues/123" (any host, for GitHub
// Enterprise; a trailing #comment or ?query is ignored).
func ParseIssueArg(s string) (IssueRef, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "http://")
	}
	if !ok {
		ref, err := ParseIssueRef(s)
		if err != nil {
			return IssueRef{}, Errorf(EInvalid, "%v (or an issue address, https://github.com/owner/repo/issues/number)", err)
		}
		return ref, nil
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	// host, owner, repo, issues|pull, number
	if len(parts) != 5 || parts[3] != "issues" && parts[3] != "pull" {
		return IssueRef{}, Errorf(EInvalid, "issue address %q: want https://HOST/owner/repo/issues/number", s)
	}
	return ParseIssueRef(parts[1] + "/" + parts[2] + "#" + parts[4])
}

// ValidateRepo checks that s looks like "owner/name".
func ValidateRepo(s string) error {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" || strings.ContainsAny(name, "/ #") || strings.ContainsAny(owner, " #") {
		return Errorf(EInvalid, "repository %q: want owner/name", s)
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
	Issue             IssueRef `json:"issue"`
	Taxonomy          string   `json:"taxonomy"`
	TaxonomyVersion   string   `json:"taxonomy_version"`
	Classifier        string   `json:"classifier"`
	ClassifierVersion string   `json:"classifier_version"`
	Labels            Labels   `json:"labels"`
	// Confidence is the classifier's overall confidence in 0..1;
	// DimConfidence the same per dimension, where the classifier knows it.
	Confidence    float64            `json:"confidence"`
	DimConfidence map[string]float64 `json:"dim_confidence,omitempty"`
	Evidence      []Evidence         `json:"evidence"`
	CreatedAt     time.Time          `json:"created_at"`
	// InputHash is the TextHash of the issue as the classifier read it.
	// Storing a classification whose issue no longer has that text is
	// refused; empty, the issue's current text is taken as read.
	InputHash string `json:"input_hash,omitempty"`
	// Stale is set, when loaded, for a classification of text the issue
	// no longer has (an import changed it since, or it was made by a
	// bugscope that did not record what it read): bugscope classify
	// labels it again.
	Stale bool `json:"stale,omitempty"`
}

// Classified is one issue with one classifier's classification of it and
// the signals extracted from it, as reports and exports read them.
type Classified struct {
	Issue          Issue          `json:"issue"`
	Classification Classification `json:"classification"`
	Signals        []Signal       `json:"signals,omitempty"`
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
	Repo              string     `json:"repo"`
	IssueNumber       int        `json:"issue_number"`
	ID                int64      `json:"id"` // GitHub's comment id, unique within the host
	Author            string     `json:"author"`
	AuthorAssociation string     `json:"author_association"`
	Body              string     `json:"body"`
	CreatedAt         *time.Time `json:"created_at"`
	UpdatedAt         *time.Time `json:"updated_at"`
	URL               string     `json:"url"`
}

// Fix links an issue to a merged pull request that fixed it, with the
// pull request's size when it is known: the study's fix-effort figures.
type Fix struct {
	Issue       IssueRef `json:"issue"`
	PullRequest IssueRef `json:"pull_request"`
	// Source says how the link was found: FixSourceBody, FixSourceTimeline
	// or FixSourceCommit.
	Source   string     `json:"source"`
	MergedAt *time.Time `json:"merged_at"`
	// SizeKnown is set once the pull request's size has been fetched.
	SizeKnown    bool `json:"size_known"`
	Additions    int  `json:"additions"`
	Deletions    int  `json:"deletions"`
	ChangedFiles int  `json:"changed_files"`
	// TimeToFix runs from the issue's creation to the merge; 0 when either
	// time is unknown.
	TimeToFix time.Duration `json:"time_to_fix_ns"`
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
