package report

import (
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
)

func TestCoverage(t *testing.T) {
	item := func(repo string, n int, cls, ver string) *bugscope.ReportItem {
		return &bugscope.ReportItem{Repo: repo, Number: n, By: &bugscope.ClassifierID{Name: cls, Version: ver}}
	}
	items := []*bugscope.ReportItem{item("a/x", 1, "ensemble", "v1"), item("a/x", 2, "ensemble", "v1"), item("a/x", 3, "rules", "r2"), item("b/y", 1, "rules", "r2")}
	for _, tc := range []struct {
		name     string
		inFilter map[string]int
		missing  []MissingRepo
		complete bool
		warnings []string
	}{
		{"every issue", map[string]int{"a/x": 3, "b/y": 1}, nil, true, nil},
		{"no count given", nil, nil, true, nil},
		{"unlabelled issues", map[string]int{"a/x": 5, "b/y": 1, "c/z": 2}, nil, false,
			[]string{"4 of the 8 issues the filter selects are not labelled (2 of a/x, 2 of c/z)"}},
		{"a missing repository", map[string]int{"a/x": 3, "b/y": 1}, []MissingRepo{{"d/w", "not found"}}, false,
			[]string{"repository d/w is missing: not found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := coverage(items, tc.inFilter, tc.missing)
			if c.Complete != tc.complete || c.Labelled != 4 {
				t.Errorf("complete %v, labelled %d; want %v and 4", c.Complete, c.Labelled, tc.complete)
			}
			want := []ClassifierCount{{"ensemble", "v1", 2}, {"rules", "r2", 2}}
			if len(c.Classifiers) != 2 || c.Classifiers[0] != want[0] || c.Classifiers[1] != want[1] {
				t.Errorf("classifiers %+v, want %+v", c.Classifiers, want)
			}
			w := c.Warnings()
			if len(w) != len(tc.warnings) {
				t.Fatalf("warnings %q, want %q", w, tc.warnings)
			}
			for i := range w {
				if !strings.HasPrefix(w[i], tc.warnings[i]) {
					t.Errorf("warning %q, want %q", w[i], tc.warnings[i])
				}
			}
			md := coverageMarkdown(c)
			if strings.Contains(md, "Warning") != !tc.complete || !strings.Contains(md, "`ensemble` version `v1` 2, `rules` version `r2` 2") {
				t.Errorf("markdown:\n%s", md)
			}
		})
	}
}
