package study

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
)

// Statuses of a final label.
const (
	StatusAgreed     = "agreed"     // every rater gave the same answer
	StatusArbitrated = "arbitrated" // the arbitrator decided
	StatusSingle     = "single"     // one rater answered
	StatusPending    = "pending"    // raters disagree and no one has decided yet
	StatusUnrated    = "unrated"    // no answer yet
	// StatusStale marks, in an export with ExportOptions.Partial, an
	// arbitrated item whose decision is older than an answer it settled.
	StatusStale = "stale"
)

// Final is the final answer on one sample item, with its provenance.
type Final struct {
	Item          SampleItem      `json:"item"`
	Status        string          `json:"status"`
	Labels        bugscope.Labels `json:"labels"`
	Confidence    string          `json:"confidence,omitempty"`
	Note          string          `json:"note,omitempty"`
	ExcludeReason string          `json:"exclude_reason,omitempty"`
	Arbitrator    string          `json:"arbitrator,omitempty"`
	// Answers are the raters' latest answers, in rater order.
	Answers []Annotation `json:"answers"`
	// Stale marks a decision made before a rater last changed an answer.
	Stale bool `json:"stale,omitempty"`
}

// Provenance says where the final labels come from: "agreed by a, b",
// "arbitrated by X", "single rater a", "pending" or "unrated".
func (f Final) Provenance() string {
	var who []string
	for _, a := range f.Answers {
		who = append(who, a.Rater)
	}
	switch f.Status {
	case StatusAgreed:
		return "agreed by " + strings.Join(who, ", ")
	case StatusArbitrated:
		return "arbitrated by " + f.Arbitrator
	case StatusStale:
		return "arbitrated by " + f.Arbitrator + ", stale: a rater changed an answer since"
	case StatusSingle:
		return "single rater " + strings.Join(who, ", ")
	}
	return f.Status
}

// Resolved reports whether the item has final labels (or a final
// exclusion).
func (f Final) Resolved() bool {
	return f.Status == StatusAgreed || f.Status == StatusArbitrated || f.Status == StatusSingle
}

// Excluded reports whether the final answer leaves the item out.
func (f Final) Excluded() bool { return f.ExcludeReason != "" }

// Case is one item on which the raters disagree, for the arbitrator.
type Case struct {
	Item SampleItem `json:"item"`
	// Raters who answered, in order, with their answers.
	Raters  []string              `json:"raters"`
	Answers map[string]Annotation `json:"answers"`
	// Disagreements are the dimensions on which they differ ("exclusion"
	// when some exclude the item and others label it).
	Disagreements []string `json:"disagreements"`
	// Agreed holds the values every rater shares, a start for the
	// decision.
	Agreed bugscope.Labels `json:"agreed"`
	// Decision is the latest arbitration, if any; Stale when a rater
	// changed an answer after it.
	Decision *Arbitration `json:"decision,omitempty"`
	Stale    bool         `json:"stale,omitempty"`
}

// state loads everything the final labels depend on.
type state struct {
	sample    *Sample
	raters    []string
	answers   map[bugscope.IssueRef]map[string]Annotation
	decisions map[bugscope.IssueRef]Arbitration
}

func (s *Service) state(ctx context.Context, sample string, chosen []string) (*state, error) {
	sm, err := s.Load(ctx, sample)
	if err != nil {
		return nil, err
	}
	raters, _, err := s.answers(ctx, sample, chosen)
	if err != nil {
		return nil, err
	}
	anns, err := s.Store.Annotations(ctx, sample, AnnotationQuery{})
	if err != nil {
		return nil, err
	}
	st := &state{sample: sm, raters: raters, answers: map[bugscope.IssueRef]map[string]Annotation{},
		decisions: map[bugscope.IssueRef]Arbitration{}}
	for _, a := range anns {
		if !slices.Contains(raters, a.Rater) {
			continue
		}
		if st.answers[a.Issue] == nil {
			st.answers[a.Issue] = map[string]Annotation{}
		}
		st.answers[a.Issue][a.Rater] = a
	}
	arbs, err := s.Store.Arbitrations(ctx, sample, false)
	if err != nil {
		return nil, err
	}
	for _, a := range arbs {
		st.decisions[a.Issue] = a
	}
	return st, nil
}

// ordered returns an item's answers in rater order.
func (st *state) ordered(ref bugscope.IssueRef) []Annotation {
	var out []Annotation
	for _, r := range st.raters {
		if a, ok := st.answers[ref][r]; ok {
			out = append(out, a)
		}
	}
	return out
}

// stale reports whether a decision predates the item's current answers.
func stale(dec Arbitration, answers []Annotation) bool {
	seen := map[int64]bool{}
	for _, id := range dec.Settled {
		seen[id] = true
	}
	for _, a := range answers {
		if !seen[a.ID] {
			return true
		}
	}
	return false
}

// Cases lists the items on which the raters (all, or the chosen ones)
// disagree, in sample order, with any decision already taken.
func (s *Service) Cases(ctx context.Context, sample string, raters []string) ([]Case, error) {
	st, err := s.state(ctx, sample, raters)
	if err != nil {
		return nil, err
	}
	var out []Case
	for _, it := range st.sample.Items {
		as := st.ordered(it.Issue)
		if len(as) < 2 {
			continue
		}
		byRater := map[string]Answer{}
		c := Case{Item: it, Answers: map[string]Annotation{}}
		for _, a := range as {
			byRater[a.Rater] = answerOf(a)
			c.Raters = append(c.Raters, a.Rater)
			c.Answers[a.Rater] = a
		}
		for _, d := range s.itemDisagreements(it.Issue, c.Raters, byRater) {
			c.Disagreements = append(c.Disagreements, d.Dimension)
		}
		if len(c.Disagreements) == 0 {
			continue
		}
		c.Agreed = s.agreed(as)
		if dec, ok := st.decisions[it.Issue]; ok {
			c.Decision = &dec
			c.Stale = stale(dec, as)
		}
		out = append(out, c)
	}
	return out, nil
}

// agreed keeps the values every labelling rater shares.
func (s *Service) agreed(as []Annotation) bugscope.Labels {
	var labelled []Annotation
	for _, a := range as {
		if a.ExcludeReason == "" {
			labelled = append(labelled, a)
		}
	}
	out := bugscope.Labels{}
	if len(labelled) == 0 {
		return out
	}
	for _, d := range s.Tax.Dimensions {
		var sets [][]string
		for _, a := range labelled {
			sets = append(sets, a.Labels[d.ID])
		}
		if allSameSet(sets) && len(sets[0]) > 0 {
			out[d.ID] = append([]string(nil), sets[0]...)
		}
	}
	return s.Prune(out)
}

// Arbitrate stores an arbitrator's decisions, all or none. A decision
// gives complete labels (every single-valued dimension that applies has a
// value) or an exclusion with its reason; it records the answers it saw.
// A decision equal to the latest on the item, over the same answers, is
// not stored again.
func (s *Service) Arbitrate(ctx context.Context, sample, arbitrator string, decisions []Answer, source string) (SaveResult, error) {
	return s.arbitrate(ctx, sample, arbitrator, decisions, source, "")
}

// SubmitDecision stores one decision of a form, as Arbitrate does, at
// most once per submission key (see Submit).
func (s *Service) SubmitDecision(ctx context.Context, sample, arbitrator string, d Answer, source, key string) (SaveResult, error) {
	if err := CheckSubmission(key); err != nil {
		return SaveResult{}, err
	}
	return s.arbitrate(ctx, sample, arbitrator, []Answer{d}, source, key)
}

func (s *Service) arbitrate(ctx context.Context, sample, arbitrator string, decisions []Answer, source, key string) (SaveResult, error) {
	var res SaveResult
	if err := CheckName("arbitrator", arbitrator); err != nil {
		return res, err
	}
	st, err := s.state(ctx, sample, nil)
	if err != nil {
		return res, err
	}
	inSample := map[bugscope.IssueRef]bool{}
	for _, it := range st.sample.Items {
		inSample[it.Issue] = true
	}
	var errs []error
	for _, d := range decisions {
		if !inSample[d.Issue] {
			errs = append(errs, fmt.Errorf("%s: not in sample %q", d.Issue, sample))
			continue
		}
		if err := s.CheckAnswer(d); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.Issue, err))
			continue
		}
		if !d.Excluded() {
			if miss := s.Missing(d.Labels); len(miss) > 0 {
				errs = append(errs, fmt.Errorf("%s: a final decision labels every dimension that applies; missing %s", d.Issue, strings.Join(miss, ", ")))
			}
		}
	}
	if len(errs) > 0 {
		return res, bugscope.WithKind(bugscope.EInvalid, errors.Join(errs...))
	}
	var store []Arbitration
	now := s.now()
	for _, d := range decisions {
		as := st.ordered(d.Issue)
		var settled []int64
		for _, a := range as {
			settled = append(settled, a.ID)
		}
		sort.Slice(settled, func(i, j int) bool { return settled[i] < settled[j] })
		if prev, ok := st.decisions[d.Issue]; ok && !stale(prev, as) && len(prev.Settled) == len(settled) &&
			sameAnswer(Answer{Labels: prev.Labels, Confidence: prev.Confidence, Note: prev.Note, ExcludeReason: prev.ExcludeReason}, d) {
			res.Unchanged++
			continue
		}
		store = append(store, Arbitration{Issue: d.Issue, Arbitrator: arbitrator, Labels: s.Prune(d.Labels),
			Confidence: d.Confidence, Note: d.Note, ExcludeReason: d.ExcludeReason, Settled: settled, Source: source, CreatedAt: now,
			Submission: key})
	}
	if len(store) > 0 {
		saved, err := s.Store.SaveArbitrations(ctx, sample, store)
		if err != nil {
			return res, err
		}
		res.count(saved)
	}
	return res, nil
}

// Finals returns the final answer on every item of the sample, in sample
// order: the arbitrator's decision where there is one; else the raters'
// common answer when they all agree; else the single rater's; else
// pending (a disagreement to settle) or unrated.
func (s *Service) Finals(ctx context.Context, sample string, raters []string) ([]Final, error) {
	st, err := s.state(ctx, sample, raters)
	if err != nil {
		return nil, err
	}
	out := make([]Final, 0, len(st.sample.Items))
	for _, it := range st.sample.Items {
		as := st.ordered(it.Issue)
		f := Final{Item: it, Answers: as, Labels: bugscope.Labels{}}
		if f.Answers == nil {
			f.Answers = []Annotation{}
		}
		dec, decided := st.decisions[it.Issue]
		switch {
		case decided:
			f.Status, f.Arbitrator = StatusArbitrated, dec.Arbitrator
			f.Labels, f.Confidence, f.Note, f.ExcludeReason = dec.Labels, dec.Confidence, dec.Note, dec.ExcludeReason
			f.Stale = stale(dec, as)
		case len(as) == 0:
			f.Status = StatusUnrated
		case len(as) == 1:
			a := as[0]
			f.Status = StatusSingle
			f.Labels, f.Confidence, f.Note, f.ExcludeReason = a.Labels, a.Confidence, a.Note, a.ExcludeReason
		default:
			byRater := map[string]Answer{}
			for _, a := range as {
				byRater[a.Rater] = answerOf(a)
			}
			if len(s.itemDisagreements(it.Issue, st.raters, byRater)) > 0 {
				f.Status = StatusPending
				break
			}
			f.Status = StatusAgreed
			f.Labels = as[0].Labels
			f.Confidence = combinedConfidence(as)
			var reasons []string
			for _, a := range as {
				if a.ExcludeReason != "" && !slices.Contains(reasons, a.ExcludeReason) {
					reasons = append(reasons, a.ExcludeReason)
				}
			}
			f.ExcludeReason = strings.Join(reasons, "; ")
			if f.ExcludeReason != "" {
				f.Labels = bugscope.Labels{}
			}
		}
		if f.Labels == nil {
			f.Labels = bugscope.Labels{}
		}
		out = append(out, f)
	}
	return out, nil
}

// combinedConfidence is low when a rater is unsure, high when all are
// sure, else unset.
func combinedConfidence(as []Annotation) string {
	high := 0
	for _, a := range as {
		switch a.Confidence {
		case labelrec.Low:
			return labelrec.Low
		case labelrec.High:
			high++
		}
	}
	if high == len(as) {
		return labelrec.High
	}
	return ""
}
