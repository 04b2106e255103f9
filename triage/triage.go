package triage

import (
	"context"
	"time"

	"github.com/bugscope/bugscope"
)

// Decision is what triage proposes for one issue and what its mode and
// gate let through.
type Decision struct {
	Issue             bugscope.IssueRef `json:"issue"`
	Title             string            `json:"title"`
	URL               string            `json:"url"`
	State             string            `json:"state"`
	Mode              string            `json:"mode"`
	Taxonomy          string            `json:"taxonomy"`
	Classifier        string            `json:"classifier"`
	ClassifierVersion string            `json:"classifier_version"`
	Confidence        float64           `json:"confidence"`
	// Proposed holds the classifier's values per dimension, with their
	// confidence and evidence, in the taxonomy's order.
	Proposed []Proposal `json:"proposed"`
	// Labels says, for every mapped label the proposal reaches, what
	// happens to it.
	Labels  []LabelDecision `json:"labels"`
	Similar []Similar       `json:"similar"`
	// Skipped, when set, says why nothing is applied at all (a bot's
	// issue, a pull request, a repository the configuration leaves out).
	Skipped   string    `json:"skipped,omitempty"`
	DecidedAt time.Time `json:"decided_at"`
}

// Proposal is one dimension's proposed values.
type Proposal struct {
	Dimension  string              `json:"dimension"`
	Values     []string            `json:"values"`
	Confidence float64             `json:"confidence"`
	Evidence   []bugscope.Evidence `json:"evidence"`
}

// Label statuses.
const (
	// LabelApply: to be added (apply mode).
	LabelApply = "apply"
	// LabelWould: what dry-run would add.
	LabelWould = "would-apply"
	// LabelShadow: proposed, but the mode is shadow.
	LabelShadow = "shadow"
	// LabelGated: proposed, but the label has not passed the go-live
	// gate; it stays shadow.
	LabelGated = "gated"
	// LabelPresent: the issue already carries it.
	LabelPresent = "present"
	// LabelHuman: a human set another label of the same single-valued
	// dimension; bugscope does not contradict it.
	LabelHuman = "held-by-human-label"
	// LabelEarlier: bugscope applied another value of the same
	// single-valued dimension before (the issue changed since); as it
	// never removes labels, it adds no contradicting one.
	LabelEarlier = "held-by-earlier-label"
	// LabelRemoved: a maintainer removed it after bugscope applied it;
	// it is never applied again.
	LabelRemoved = "removed-by-maintainer"
)

// LabelDecision is one mapped label of a decision.
type LabelDecision struct {
	Label     string `json:"label"`
	Dimension string `json:"dimension"`
	Value     string `json:"value"`
	Status    string `json:"status"`
	Note      string `json:"note,omitempty"`
}

// Similar is a past issue like the triaged one.
type Similar struct {
	Issue bugscope.IssueRef `json:"issue"`
	Title string            `json:"title"`
	State string            `json:"state"`
	URL   string            `json:"url"`
	// Reason: "error signature: ...", "exception: ...", or "text".
	Reason string  `json:"reason"`
	Score  float64 `json:"score"` // title similarity, cosine of TF-IDF in 0..1
	// Duplicate marks a likely duplicate: the same error signature and
	// similar titles, or very similar titles.
	Duplicate bool                `json:"duplicate"`
	FixedBy   []bugscope.IssueRef `json:"fixed_by,omitempty"`
}

// Candidate is a stored issue that similar-issue search considers.
type Candidate struct {
	Issue     bugscope.IssueRef
	Title     string
	State     string
	URL       string
	CreatedAt *time.Time
	// Signatures and Exceptions are its error_signature and exception
	// signals.
	Signatures []string
	Exceptions []string
}

// Delivery is one webhook delivery in the queue.
type Delivery struct {
	ID         int64             `json:"id"`
	DeliveryID string            `json:"delivery_id"`
	Event      string            `json:"event"`
	Action     string            `json:"action"`
	Issue      bugscope.IssueRef `json:"issue"`
	Payload    []byte            `json:"-"`
	State      string            `json:"state"`
	Attempts   int               `json:"attempts"`
	Error      string            `json:"error,omitempty"`
	ReceivedAt time.Time         `json:"received_at"`
}

// Delivery states.
const (
	DeliveryPending = "pending"
	DeliveryWorking = "working"
	DeliveryDone    = "done"
	DeliveryFailed  = "failed"
	DeliveryIgnored = "ignored"
)

// Action is one GitHub call triage makes, or would make in dry-run.
type Action struct {
	ID         int64             `json:"id"`
	Issue      bugscope.IssueRef `json:"issue"`
	DeliveryID string            `json:"delivery_id,omitempty"`
	Mode       string            `json:"mode"`
	Call       string            `json:"call"`    // CallAddLabels, CallCreateComment, CallEditComment
	Request    string            `json:"request"` // the labels, or the comment's id and body hash
	State      string            `json:"state"`   // started, done, failed, dry-run
	Result     string            `json:"result,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
}

// Calls.
const (
	CallAddLabels     = "add_labels"
	CallCreateComment = "create_comment"
	CallEditComment   = "edit_comment"
)

// Applied is a label bugscope applied to an issue.
type Applied struct {
	Label     string    `json:"label"`
	Dimension string    `json:"dimension"`
	Value     string    `json:"value"`
	AppliedAt time.Time `json:"applied_at"`
}

// Feedback is what a maintainer did to a mapped label.
type Feedback struct {
	Issue      bugscope.IssueRef `json:"issue"`
	DeliveryID string            `json:"delivery_id"`
	Action     string            `json:"action"` // FeedbackRemoved, FeedbackAdded
	Label      string            `json:"label"`
	Dimension  string            `json:"dimension"`
	Value      string            `json:"value"`
	Actor      string            `json:"actor"`
	CreatedAt  time.Time         `json:"created_at"`
}

// Feedback actions.
const (
	FeedbackRemoved = "removed"
	FeedbackAdded   = "added"
)

// GateResult is one go-live check.
type GateResult struct {
	ID        int64       `json:"id"`
	Gold      string      `json:"gold"`
	Gate      Gate        `json:"gate"`
	CheckedAt time.Time   `json:"checked_at"`
	Labels    []GateLabel `json:"labels"`
}

// GateLabel is one mapped label's figures on hand labels.
type GateLabel struct {
	Entry     string `json:"entry"` // the configuration's repository entry
	Label     string `json:"label"`
	Dimension string `json:"dimension"`
	Value     string `json:"value"` // several values mapped to one label: joined by "|"
	Examples  int    `json:"examples"`
	Predicted int    `json:"predicted"`
	Correct   int    `json:"correct"`
	Scored    int    `json:"scored"`
	Pass      bool   `json:"pass"`
}

// Precision is correct/predicted, or 0 when nothing was predicted.
func (g GateLabel) Precision() float64 {
	if g.Predicted == 0 {
		return 0
	}
	return float64(g.Correct) / float64(g.Predicted)
}

// Recall is correct/examples, or 0 without examples.
func (g GateLabel) Recall() float64 {
	if g.Examples == 0 {
		return 0
	}
	return float64(g.Correct) / float64(g.Examples)
}

// Rate is how often the label would be applied: predicted/scored.
func (g GateLabel) Rate() float64 {
	if g.Scored == 0 {
		return 0
	}
	return float64(g.Predicted) / float64(g.Scored)
}

// Passes reports whether the label passed the latest check for entry.
func (r *GateResult) Passes(entry, label string) bool {
	if r == nil {
		return false
	}
	for _, l := range r.Labels {
		if l.Entry == entry && l.Label == label {
			return l.Pass
		}
	}
	return false
}

// Store is what triage needs of a database; package sqlite implements
// it, each write one transaction.
type Store interface {
	// EnqueueDelivery stores a delivery as pending; dup is true when its
	// delivery id is stored already (nothing is changed then).
	EnqueueDelivery(ctx context.Context, d Delivery) (dup bool, err error)
	// ClaimDelivery marks the oldest pending delivery working and returns
	// it; ok is false when none is pending. RequeueWorking puts deliveries
	// a crash left working back in the queue.
	ClaimDelivery(ctx context.Context) (d Delivery, ok bool, err error)
	RequeueWorking(ctx context.Context) (int, error)
	FinishDelivery(ctx context.Context, id int64, state, errText string) error
	Deliveries(ctx context.Context, limit int) ([]Delivery, error)
	// PruneDeliveries empties the payloads of deliveries finished before
	// a time, keeping their ids.
	PruneDeliveries(ctx context.Context, before time.Time) (int, error)

	SaveDecision(ctx context.Context, d Decision) error
	Decision(ctx context.Context, ref bugscope.IssueRef) (Decision, error)
	Decisions(ctx context.Context, repos []string, limit int) ([]Decision, error)

	StartAction(ctx context.Context, a Action) (int64, error)
	FinishAction(ctx context.Context, id int64, state, result string) error
	Actions(ctx context.Context, ref bugscope.IssueRef) ([]Action, error)

	Applied(ctx context.Context, ref bugscope.IssueRef) ([]Applied, error)
	SaveApplied(ctx context.Context, ref bugscope.IssueRef, labels []Applied) error
	// TriageComment returns the id and body hash of bugscope's comment on
	// an issue; id 0 when there is none.
	TriageComment(ctx context.Context, ref bugscope.IssueRef) (id int64, hash string, err error)
	SaveTriageComment(ctx context.Context, ref bugscope.IssueRef, id int64, hash string) error

	SaveFeedback(ctx context.Context, fs []Feedback) error
	Feedback(ctx context.Context, repos []string) ([]Feedback, error)
	// AppliedCounts counts the labels bugscope applied, by repository and
	// label.
	AppliedCounts(ctx context.Context) (map[string]map[string]int, error)

	SaveGate(ctx context.Context, g GateResult) (int64, error)
	// LatestGate returns the newest check, or an ENotFound error.
	LatestGate(ctx context.Context) (GateResult, error)

	SimilarStore

	// LastTriageRun returns when `triage --new` last ran for repo (nil:
	// never); SaveTriageRun stores it.
	LastTriageRun(ctx context.Context, repo string) (*time.Time, error)
	SaveTriageRun(ctx context.Context, repo string, at time.Time) error
}

// SimilarStore is what similar-issue search reads: triage and the
// dashboard's issue page.
type SimilarStore interface {
	// SimilarCandidates returns the stored issues of repo (pull requests left
	// out) with their error signatures and exceptions.
	SimilarCandidates(ctx context.Context, repo string) ([]Candidate, error)
	Fixes(ctx context.Context, f bugscope.IssueFilter) (map[bugscope.IssueRef][]bugscope.Fix, error)
}

// IssueState is an issue as GitHub holds it now.
type IssueState struct {
	Labels []string
	Author string
	IsBot  bool
}

// Comment is a comment on an issue, as GitHub holds it.
type Comment struct {
	ID     int64
	Body   string
	Author string
}

// GitHub is the part of the GitHub API triage calls; package github
// implements it through the rate-limit-aware client.
type GitHub interface {
	IssueState(ctx context.Context, ref bugscope.IssueRef) (IssueState, error)
	AddLabels(ctx context.Context, ref bugscope.IssueRef, labels []string) error
	IssueComments(ctx context.Context, ref bugscope.IssueRef) ([]Comment, error)
	CreateComment(ctx context.Context, ref bugscope.IssueRef, body string) (int64, error)
	EditComment(ctx context.Context, repo string, id int64, body string) error
}
