package study

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
)

// AnswerFromRecord turns a label record into an answer; the extra key
// x_excluded makes it an exclusion with that reason.
func AnswerFromRecord(r labelrec.Record) (Answer, error) {
	a := Answer{Issue: r.Issue, Labels: r.Labels, Confidence: r.Confidence, Note: r.Note}
	if raw, ok := r.Extra["x_excluded"]; ok {
		var reason string
		if err := json.Unmarshal(raw, &reason); err != nil || strings.TrimSpace(reason) == "" {
			return a, bugscope.Errorf(bugscope.EInvalid, "x_excluded: want the reason as a non-empty string, got %s", raw)
		}
		if len(r.Labels) > 0 {
			return a, bugscope.Errorf(bugscope.EInvalid, "an excluded issue (x_excluded) carries no labels")
		}
		a.ExcludeReason = reason
	}
	return a, nil
}

// AnswersFromRecords turns a file's label records into answers, naming
// the file and issue of each bad one.
func AnswersFromRecords(file string, recs []labelrec.Record) ([]Answer, error) {
	out := make([]Answer, 0, len(recs))
	var errs []error
	for _, r := range recs {
		a, err := AnswerFromRecord(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", file, r.Issue, err))
			continue
		}
		out = append(out, a)
	}
	if len(errs) > 0 {
		return nil, bugscope.WithKind(bugscope.EInvalid, errors.Join(errs...))
	}
	return out, nil
}

// RecordsOfAnswers turns a rater's answers into label records, the rater
// as the extra key rater and an exclusion as x_excluded: what labels
// export writes and labels import reads back.
func RecordsOfAnswers(anns []Annotation) []labelrec.Record {
	recs := make([]labelrec.Record, 0, len(anns))
	for _, x := range anns {
		r := labelrec.Record{Issue: x.Issue, Labels: x.Labels, Confidence: x.Confidence, Note: x.Note,
			Extra: map[string]json.RawMessage{}}
		rb, _ := json.Marshal(x.Rater)
		r.Extra["rater"] = rb
		if x.ExcludeReason != "" {
			b, _ := json.Marshal(x.ExcludeReason)
			r.Extra["x_excluded"] = b
			r.Labels = bugscope.Labels{}
		}
		recs = append(recs, r)
	}
	return recs
}

// ImportResult is what storing a file of answers did.
type ImportResult struct {
	File    string `json:"file"`
	Sample  string `json:"sample"`
	Rater   string `json:"rater"`
	Records int    `json:"records"`
	SaveResult
	Outside int `json:"outside_skipped"`
}

// ImportAnswers stores a file's label records as one rater's answers on a
// sample, all or none. Records for issues outside the sample fail the
// import (EInvalid, naming the first few) unless skipOutside, which leaves
// them out and counts them.
func (s *Service) ImportAnswers(ctx context.Context, sample, rater, file string, recs []labelrec.Record, skipOutside bool) (ImportResult, error) {
	res := ImportResult{File: file, Sample: sample, Rater: rater, Records: len(recs)}
	sm, err := s.Load(ctx, sample)
	if err != nil {
		return res, err
	}
	in := map[bugscope.IssueRef]bool{}
	for _, it := range sm.Items {
		in[it.Issue] = true
	}
	var kept []labelrec.Record
	var outside []string
	for _, r := range recs {
		if !in[r.Issue] {
			outside = append(outside, r.Issue.String())
			continue
		}
		kept = append(kept, r)
	}
	if len(outside) > 0 && !skipOutside {
		shown := outside
		if len(shown) > 10 {
			shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(outside)-10))
		}
		return res, bugscope.Errorf(bugscope.EInvalid, "%s: %d records are for issues outside sample %q (%s); --skip-outside leaves them out",
			file, len(outside), sample, strings.Join(shown, ", "))
	}
	answers, err := AnswersFromRecords(file, kept)
	if err != nil {
		return res, err
	}
	saved, err := s.Annotate(ctx, sample, rater, answers, SourceImport(baseName(file)))
	if err != nil {
		return res, fmt.Errorf("%s: %w", file, err)
	}
	res.SaveResult, res.Outside = saved, len(outside)
	return res, nil
}

// baseName is the last element of a path, with either separator.
func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}
