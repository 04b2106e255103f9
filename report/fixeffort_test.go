package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

func TestFixEffort(t *testing.T) {
	tax, err := taxonomy.Builtin("llm-serving-v1")
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	item := func(repo string, n int, kind, cat string) bugscope.Classified {
		l := bugscope.Labels{"kind": {kind}}
		if cat != "" {
			l["category"] = []string{cat}
		}
		return bugscope.Classified{Issue: bugscope.Issue{Repo: repo, Number: n},
			Classification: bugscope.Classification{Labels: l, Confidence: 0.9}}
	}
	items := []bugscope.Classified{
		item("a/vllm", 1, "bug", "memory.oom"),
		item("a/vllm", 2, "bug", "memory.oom"),
		item("a/vllm", 3, "bug", "memory.leak"),
		item("b/cpp", 4, "bug", "memory.oom"),
		item("b/cpp", 5, "feature", ""),
	}
	fix := func(repo string, issue, pr int, ttf time.Duration, add, del, files int, sized bool) bugscope.Fix {
		return bugscope.Fix{Issue: bugscope.IssueRef{Repo: repo, Number: issue}, PullRequest: bugscope.IssueRef{Repo: repo, Number: pr},
			TimeToFix: ttf, Additions: add, Deletions: del, ChangedFiles: files, SizeKnown: sized}
	}
	fixes := map[bugscope.IssueRef][]bugscope.Fix{
		// #1: two pull requests: the first merge counts for time, both for size.
		{Repo: "a/vllm", Number: 1}: {fix("a/vllm", 1, 10, 2*day, 10, 5, 1, true), fix("a/vllm", 1, 11, 6*day, 20, 5, 2, true)},
		{Repo: "a/vllm", Number: 3}: {fix("a/vllm", 3, 12, 12*time.Hour, 100, 0, 4, true)},
		{Repo: "b/cpp", Number: 4}:  {fix("b/cpp", 4, 13, 10*day, 7, 3, 1, false)},
		// A feature's fix is no bug fix.
		{Repo: "b/cpp", Number: 5}: {fix("b/cpp", 5, 14, day, 1, 1, 1, true)},
	}
	r, err := Build(tax, items, Options{Fixes: fixes})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]CategoryFixEffort{}
	for _, row := range r.FixEffort {
		rows[row.ID] = row
	}
	f := func(x float64) *float64 { return &x }
	eq := func(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
	for _, tc := range []struct {
		id, repo           string
		bugs, fixed        int
		days, lines, files *float64
	}{
		{"all", "", 4, 3, f(2), f(70), f(3.5)}, // days 2, 0.5, 10; lines 40, 100 (#4 unsized)
		{"memory", "", 4, 3, f(2), f(70), f(3.5)},
		{"memory.oom", "", 3, 2, f(6), f(40), f(3)}, // days 2, 10
		{"memory.oom", "a/vllm", 2, 1, f(2), f(40), f(3)},
		{"memory.oom", "b/cpp", 1, 1, f(10), nil, nil}, // size unknown
		{"memory.leak", "", 1, 1, f(0.5), f(100), f(4)},
	} {
		row, ok := rows[tc.id]
		if !ok {
			t.Errorf("no row %s", tc.id)
			continue
		}
		e := row.FixEffort
		if tc.repo != "" {
			e = row.ByRepo[tc.repo]
		}
		if e.Bugs != tc.bugs || e.Fixed != tc.fixed || !eq(e.MedianDaysToFix, tc.days) || !eq(e.MedianLinesChanged, tc.lines) || !eq(e.MedianFilesChanged, tc.files) {
			t.Errorf("%s %s: %+v", tc.id, tc.repo, e)
		}
	}
	if _, ok := rows["gpu"]; ok {
		t.Error("a row for a category without bugs")
	}
	var md, csv bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "## Fix effort") || !strings.Contains(md.String(), "| **All bugs** | 3 of 4 | 2.0 d | 70 | 3.5 |") {
		t.Errorf("markdown:\n%s", md.String())
	}
	if err := r.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"fix_effort,fixed,,all,All bugs,all,3,4,0.7500,,,,,,,,\n",
		"fix_effort,median_hours_to_fix,memory,memory.oom,Out-of-memory errors,all,144,2,,,,,,,,,\n",
		"fix_effort,median_lines_changed,,memory,Memory Management Issues,a/vllm,70,2,,,,,,,,,\n",
	} {
		if !strings.Contains(csv.String(), want) {
			t.Errorf("CSV lacks %q", want)
		}
	}
	if strings.Contains(csv.String(), "fix_effort,median_lines_changed,,memory,Memory Management Issues,b/cpp,") {
		t.Error("CSV gives a median size for b/cpp, whose fix size is unknown")
	}
	if t.Failed() {
		t.Log(csv.String())
	}

	// Without fix data there is no section.
	r, err = Build(tax, items, Options{})
	if err != nil {
		t.Fatal(err)
	}
	md.Reset()
	r.WriteMarkdown(&md)
	if r.FixEffort != nil || strings.Contains(md.String(), "Fix effort") {
		t.Error("a fix-effort section without fixes")
	}
}
