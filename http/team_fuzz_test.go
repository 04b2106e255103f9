package http

import (
	"net/url"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// FuzzAnswerFromForm: whatever a form holds, reading it never panics, and
// the answer has no values of dimensions that do not apply and no labels
// when it excludes the issue.
func FuzzAnswerFromForm(f *testing.F) {
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		f.Fatal(err)
	}
	svc := study.New(nil, tax)
	f.Add("label.kind=bug&label.category=memory.oom&confidence=high&note=x")
	f.Add("label.kind=feature&label.category=memory.oom&exclude=other&exclude_other=")
	f.Add("label.kind=bug&label.kind=docs&label.patterns=a&label.patterns=a&exclude=duplicate")
	f.Add("%zz&label.kind")
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		a := answerFromForm(svc, form, bugscope.IssueRef{Repo: "a/b", Number: 1})
		for dim := range a.Labels {
			d := tax.Dimension(dim)
			if d == nil || !tax.Applies(d, a.Labels) {
				t.Fatalf("%q: dimension %s kept where it does not apply: %v", raw, dim, a.Labels)
			}
		}
		if a.Excluded() && len(a.Labels) > 0 {
			t.Fatalf("%q: an exclusion with labels %v", raw, a.Labels)
		}
		_ = svc.CheckAnswer(a)
		_ = missing(svc, a)
	})
}
