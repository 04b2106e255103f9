package study

import (
	"context"
	"time"

	"github.com/bugscope/bugscope"
)

// Store is what the study workflow needs of a database: the issues and
// their stored classifications to read, and the study's own records
// (samples, answers, decisions) to keep. Package sqlite implements it;
// every write is one transaction of the store's, all or nothing.
type Store interface {
	// Issue returns one stored issue, or an ENotFound error.
	Issue(ctx context.Context, ref bugscope.IssueRef) (bugscope.Issue, error)
	// Classifiers lists the classifiers that labelled issues in a taxonomy;
	// ClassificationsOf every stored classification of one issue.
	Classifiers(ctx context.Context, taxonomy string) ([]string, error)
	ClassificationsOf(ctx context.Context, ref bugscope.IssueRef) ([]bugscope.Classification, error)
	// Candidates returns the issues the filter selects, in (repo, number)
	// order.
	Candidates(ctx context.Context, f CandidateFilter) ([]bugscope.IssueRef, error)

	// CreateSample stores a sample with its items. A sample of the same
	// name is an EConflict error unless replace is set and it has no
	// answers; an item whose issue is not stored is ENotFound.
	CreateSample(ctx context.Context, s Sample, replace bool) error
	// GetSample returns a sample without its items; SampleItems its items
	// in annotation order. An unknown name is ENotFound.
	GetSample(ctx context.Context, name string) (Sample, error)
	SampleItems(ctx context.Context, name string) ([]SampleItem, error)
	// Samples lists the samples, oldest first, with their progress.
	Samples(ctx context.Context) ([]SampleSummary, error)
	// DeleteSample removes a sample with its answers and decisions.
	DeleteSample(ctx context.Context, name string) error

	// SaveAnnotations and SaveArbitrations store answers and decisions on
	// issues of a sample, all or none, and return their ids; an issue
	// outside the sample is ENotFound. A row whose Submission key the
	// rater (arbitrator) used already is not stored again: its id is the
	// stored row's, and stored is false for it.
	SaveAnnotations(ctx context.Context, sample string, anns []Annotation) ([]Saved, error)
	Annotations(ctx context.Context, sample string, q AnnotationQuery) ([]Annotation, error)
	SaveArbitrations(ctx context.Context, sample string, arbs []Arbitration) ([]Saved, error)
	// Arbitrations returns the latest decision per issue, or every one
	// with history, in item order.
	Arbitrations(ctx context.Context, sample string, history bool) ([]Arbitration, error)
}

// Saved is what the store did with one answer or decision: its row id,
// and whether it was stored now (false: its submission key was used
// before, and ID is that row's).
type Saved struct {
	ID     int64
	Stored bool
}

// SampleItem is one issue of a sample.
type SampleItem struct {
	Issue   bugscope.IssueRef `json:"issue"`
	Stratum string            `json:"stratum"`
	// Position is the annotation order in the sample, from 1;
	// StratumPosition the order of the random draw in the stratum, from 1.
	Position        int `json:"position"`
	StratumPosition int `json:"stratum_position"`
	Half            int `json:"half"`
}

// SampleSummary is a sample with how far its annotation has come.
type SampleSummary struct {
	Sample
	ItemCount int `json:"item_count"`
	// Raters maps each rater to the number of issues they answered.
	Raters     map[string]int `json:"raters"`
	Arbitrated int            `json:"arbitrated"`
}

// Answers counts the issues answered, over all raters.
func (s SampleSummary) Answers() int {
	n := 0
	for _, k := range s.Raters {
		n += k
	}
	return n
}

// Annotation is one rater's answer on one issue of a sample, as stored:
// labels, or an exclusion with its reason. Answers are never changed in
// place; the latest per rater and issue counts.
type Annotation struct {
	ID            int64             `json:"id"`
	Issue         bugscope.IssueRef `json:"issue"`
	Rater         string            `json:"rater"`
	Labels        bugscope.Labels   `json:"labels"`
	Confidence    string            `json:"confidence,omitempty"`
	Note          string            `json:"note,omitempty"`
	ExcludeReason string            `json:"exclude_reason,omitempty"`
	Source        string            `json:"source,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	// Submission, when set, is the key of the form that sent the answer:
	// the store keeps one answer per rater and key, so that a form sent
	// twice stores one answer.
	Submission string `json:"-"`
}

// Arbitration is the arbitrator's final word on one issue of a sample.
// Settled holds the ids of the annotations the decision saw, so that a
// later change of a rater's answer shows it stale.
type Arbitration struct {
	ID            int64             `json:"id"`
	Issue         bugscope.IssueRef `json:"issue"`
	Arbitrator    string            `json:"arbitrator"`
	Labels        bugscope.Labels   `json:"labels"`
	Confidence    string            `json:"confidence,omitempty"`
	Note          string            `json:"note,omitempty"`
	ExcludeReason string            `json:"exclude_reason,omitempty"`
	Settled       []int64           `json:"settled"`
	Source        string            `json:"source,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	// Submission is the form's key, as for an Annotation.
	Submission string `json:"-"`
}

// AnnotationQuery selects annotations.
type AnnotationQuery struct {
	Rater string // "" for every rater
	// History returns every answer; otherwise only the latest per rater
	// and issue.
	History bool
}

// CandidateFilter selects the issues a sample is drawn from.
type CandidateFilter struct {
	bugscope.IssueFilter
	// Kinds keeps issues whose stored classification by Classifier in
	// Taxonomy gives dimension KindDimension one of these values.
	Kinds         []string
	Taxonomy      string
	Classifier    string
	KindDimension string
	// Terms must all occur in the title or the body, Without none of
	// them; matching is by substring, case-insensitive for ASCII letters.
	Terms   []string
	Without []string
}
