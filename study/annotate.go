package study

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/signals"
)

// Bounds on what a rater types.
const (
	MaxNote   = 2000 // runes
	MaxReason = 300  // runes
)

// Sources of an answer, as stored with it.
const (
	SourceTUI = "tui"
	SourceCLI = "cli"
)

// SourceImport is the source of answers imported from a file.
func SourceImport(file string) string { return "import:" + file }

//go:embed data/exclude_reasons.txt
var excludeReasons string

// ExcludeReasons are the usual reasons to leave a report out of a study,
// offered by the annotation interface (data/exclude_reasons.txt); a rater
// may give any other.
func ExcludeReasons() []string {
	var out []string
	for _, l := range strings.Split(excludeReasons, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// Answer is what a rater says about one issue: labels with a confidence
// and a note, or an exclusion with its reason.
type Answer struct {
	Issue         bugscope.IssueRef `json:"issue"`
	Labels        bugscope.Labels   `json:"labels"`
	Confidence    string            `json:"confidence,omitempty"`
	Note          string            `json:"note,omitempty"`
	ExcludeReason string            `json:"exclude_reason,omitempty"`
}

// Excluded reports whether the answer leaves the issue out.
func (a Answer) Excluded() bool { return a.ExcludeReason != "" }

// CheckAnswer validates an answer against the taxonomy: known dimensions
// and values, one value for single dimensions, none where a dimension
// does not apply; a confidence of high, low or a number in 0..1; bounded
// notes and reasons. An exclusion carries no labels.
func (s *Service) CheckAnswer(a Answer) error {
	var errs []error
	if utf8.RuneCountInString(a.Note) > MaxNote {
		errs = append(errs, fmt.Errorf("note: longer than %d characters", MaxNote))
	}
	if err := checkConfidence(a.Confidence); err != nil {
		errs = append(errs, err)
	}
	if a.Excluded() {
		if strings.TrimSpace(a.ExcludeReason) == "" {
			errs = append(errs, errors.New("exclusion: the reason is blank"))
		}
		if utf8.RuneCountInString(a.ExcludeReason) > MaxReason {
			errs = append(errs, fmt.Errorf("exclusion: reason longer than %d characters", MaxReason))
		}
		if nonEmpty(a.Labels) {
			errs = append(errs, errors.New("an excluded issue carries no labels"))
		}
		return bugscope.WithKind(bugscope.EInvalid, errors.Join(errs...))
	}
	if !nonEmpty(a.Labels) {
		errs = append(errs, errors.New("no labels: label at least one dimension, or exclude the issue with a reason"))
	}
	if err := s.Tax.Check(a.Labels); err != nil {
		errs = append(errs, err)
	}
	return bugscope.WithKind(bugscope.EInvalid, errors.Join(errs...))
}

func checkConfidence(c string) error {
	switch c {
	case "", labelrec.High, labelrec.Low:
		return nil
	}
	if f, err := strconv.ParseFloat(c, 64); err == nil && f >= 0 && f <= 1 {
		return nil
	}
	return fmt.Errorf(`confidence %q: want "high", "low" or a number in 0..1`, c)
}

func nonEmpty(l bugscope.Labels) bool {
	for _, v := range l {
		if len(v) > 0 {
			return true
		}
	}
	return false
}

// Missing lists the single-valued dimensions that apply to labels but
// have no value, in taxonomy order: what a rater still has to answer.
func (s *Service) Missing(l bugscope.Labels) []string {
	return labelrec.Unlabelled(s.Tax, l)
}

// Prune drops the values of dimensions that no longer apply (a category
// after the kind changed from bug to feature), so that labels stay valid
// while a rater edits them.
func (s *Service) Prune(l bugscope.Labels) bugscope.Labels {
	out := bugscope.Labels{}
	// applies_when may chain; drop until nothing changes.
	for k, v := range l {
		if len(v) > 0 {
			out[k] = append([]string(nil), v...)
		}
	}
	for changed := true; changed; {
		changed = false
		for k := range out {
			d := s.Tax.Dimension(k)
			if d == nil || !s.Tax.Applies(d, out) {
				delete(out, k)
				changed = true
			}
		}
	}
	return out
}

// SaveResult counts what Annotate did.
type SaveResult struct {
	Saved     int `json:"saved"`
	Unchanged int `json:"unchanged"` // same as the rater's latest answer: not stored again
}

// Annotate validates and stores answers of one rater on issues of a
// sample, all or none. An answer identical to the rater's latest on that
// issue (labels, confidence, note, exclusion) is not stored again, so
// importing the same file twice changes nothing.
func (s *Service) Annotate(ctx context.Context, sample, rater string, answers []Answer, source string) (SaveResult, error) {
	return s.annotate(ctx, sample, rater, answers, source, "")
}

// Submit stores one answer of a form (the browser's): as Annotate does,
// and at most once per submission key, however often the form is sent,
// even at the same moment. The key is a random token the form carries
// (CheckSubmission).
func (s *Service) Submit(ctx context.Context, sample, rater string, a Answer, source, key string) (SaveResult, error) {
	if err := CheckSubmission(key); err != nil {
		return SaveResult{}, err
	}
	return s.annotate(ctx, sample, rater, []Answer{a}, source, key)
}

// CheckSubmission validates a form's submission key: 16 to 64 URL-safe
// characters (NewToken makes one).
func CheckSubmission(key string) error {
	if len(key) < 16 || len(key) > 64 {
		return bugscope.Errorf(bugscope.EInvalid, "submission key: want 16 to 64 characters, got %d", len(key))
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return bugscope.Errorf(bugscope.EInvalid, "submission key: only letters, digits, - and _")
		}
	}
	return nil
}

func (s *Service) annotate(ctx context.Context, sample, rater string, answers []Answer, source, key string) (SaveResult, error) {
	var res SaveResult
	if err := CheckName("rater", rater); err != nil {
		return res, err
	}
	if _, err := s.Load(ctx, sample); err != nil {
		return res, err
	}
	var errs []error
	for _, a := range answers {
		if err := s.CheckAnswer(a); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a.Issue, err))
		}
	}
	if len(errs) > 0 {
		return res, bugscope.WithKind(bugscope.EInvalid, errors.Join(errs...))
	}
	latest, err := s.Store.Annotations(ctx, sample, AnnotationQuery{Rater: rater})
	if err != nil {
		return res, err
	}
	prev := map[bugscope.IssueRef]Annotation{}
	for _, a := range latest {
		prev[a.Issue] = a
	}
	var store []Annotation
	now := s.now()
	for _, a := range answers {
		if p, ok := prev[a.Issue]; ok && sameAnswer(answerOf(p), a) {
			res.Unchanged++
			continue
		}
		store = append(store, Annotation{Issue: a.Issue, Rater: rater, Labels: s.Prune(a.Labels), Confidence: a.Confidence,
			Note: a.Note, ExcludeReason: a.ExcludeReason, Source: source, CreatedAt: now, Submission: key})
	}
	if len(store) > 0 {
		saved, err := s.Store.SaveAnnotations(ctx, sample, store)
		if err != nil {
			return res, err
		}
		res.count(saved)
	}
	return res, nil
}

// count adds what the store did to the result.
func (r *SaveResult) count(saved []Saved) {
	for _, sv := range saved {
		if sv.Stored {
			r.Saved++
		} else {
			r.Unchanged++
		}
	}
}

func answerOf(a Annotation) Answer {
	return Answer{Issue: a.Issue, Labels: a.Labels, Confidence: a.Confidence, Note: a.Note, ExcludeReason: a.ExcludeReason}
}

func sameAnswer(x, y Answer) bool {
	return sameLabels(x.Labels, y.Labels) && x.Confidence == y.Confidence && x.Note == y.Note && x.ExcludeReason == y.ExcludeReason
}

// sameLabels compares label sets; the order of a multi-valued dimension's
// values does not matter.
func sameLabels(x, y bugscope.Labels) bool {
	keys := map[string]bool{}
	for k, v := range x {
		if len(v) > 0 {
			keys[k] = true
		}
	}
	for k, v := range y {
		if len(v) > 0 {
			keys[k] = true
		}
	}
	for k := range keys {
		if !sameSet(x[k], y[k]) {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

// ItemState is one sample item as a rater sees it: the item and the
// rater's latest answer, if any.
type ItemState struct {
	SampleItem
	Answer *Annotation `json:"answer,omitempty"`
}

// RaterItems returns the sample's items in annotation order with the
// rater's latest answers; half (1 or 2) restricts them to one half.
func (s *Service) RaterItems(ctx context.Context, sample, rater string, half int) ([]ItemState, error) {
	sm, err := s.Load(ctx, sample)
	if err != nil {
		return nil, err
	}
	anns, err := s.Store.Annotations(ctx, sample, AnnotationQuery{Rater: rater})
	if err != nil {
		return nil, err
	}
	by := map[bugscope.IssueRef]*Annotation{}
	for i := range anns {
		by[anns[i].Issue] = &anns[i]
	}
	var out []ItemState
	for _, it := range sm.Items {
		if half != 0 && it.Half != half {
			continue
		}
		out = append(out, ItemState{SampleItem: it, Answer: by[it.Issue]})
	}
	return out, nil
}

// Raters lists the raters who answered in a sample, in the order of
// their first answer.
func (s *Service) Raters(ctx context.Context, sample string) ([]string, error) {
	anns, err := s.Store.Annotations(ctx, sample, AnnotationQuery{History: true})
	if err != nil {
		return nil, err
	}
	first := map[string]int64{}
	for _, a := range anns {
		if f, ok := first[a.Rater]; !ok || a.ID < f {
			first[a.Rater] = a.ID
		}
	}
	out := make([]string, 0, len(first))
	for r := range first {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return first[out[i]] < first[out[j]] })
	return out, nil
}

// Detail is what an annotator reads about one issue.
type Detail struct {
	Issue   bugscope.Issue    `json:"issue"`
	Signals []bugscope.Signal `json:"signals"`
}

// Detail loads one issue with the signals extracted from it.
func (s *Service) Detail(ctx context.Context, ref bugscope.IssueRef) (Detail, error) {
	is, err := s.Store.Issue(ctx, ref)
	if err != nil {
		return Detail{}, err
	}
	return Detail{Issue: is, Signals: signals.Extract(is.Repo, is.Title, is.Body)}, nil
}

// Suggestion returns the stored classification of an issue by the best
// available classifier in the taxonomy, with its evidence, or nil when
// the issue is not classified. Annotators see it only on request.
func (s *Service) Suggestion(ctx context.Context, ref bugscope.IssueRef) (*bugscope.Classification, error) {
	have, err := s.Store.Classifiers(ctx, s.Tax.Name)
	if err != nil {
		return nil, err
	}
	cls := bugscope.BestClassifier(have)
	if cls == "" {
		return nil, nil // nothing classified in this taxonomy: no suggestion
	}
	all, err := s.Store.ClassificationsOf(ctx, ref)
	if err != nil {
		return nil, err
	}
	var other *bugscope.Classification
	for i := range all {
		c := &all[i]
		if c.Taxonomy != s.Tax.Name {
			continue
		}
		if c.Classifier == cls {
			return c, nil
		}
		if other == nil {
			other = c
		}
	}
	return other, nil
}
