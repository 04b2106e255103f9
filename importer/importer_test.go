package importer_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/importer"
	"github.com/bugscope/bugscope/internal/testshared"
)

// issueDoc is a small issue object of acme/engine, spread over lines like
// the pretty-printed dumps.
func issueDoc(n int) string {
	return fmt.Sprintf(`{
  "number": %d,
  "title": "issue %d",
  "html_url": "https://github.com/acme/engine/issues/%d"
}`, n, n, n)
}

func numbers(issues []bugscope.Issue) []int {
	var ns []int
	for _, is := range issues {
		ns = append(ns, is.Number)
	}
	return ns
}

func mustParse(t *testing.T, doc string, opt importer.Options) []bugscope.Issue {
	t.Helper()
	issues, err := importer.Parse([]byte(doc), "test.json", opt)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, is := range issues {
		if is.Repo == "" || is.Number <= 0 || is.URL == "" {
			t.Errorf("incomplete issue %+v", is)
		}
	}
	return issues
}

func mustFail(t *testing.T, doc string, opt importer.Options) *importer.Error {
	t.Helper()
	issues, err := importer.Parse([]byte(doc), "test.json", opt)
	if err == nil {
		t.Fatalf("Parse succeeded with %d issues, want an error", len(issues))
	}
	var e *importer.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *importer.Error", err, err)
	}
	if issues != nil {
		t.Errorf("Parse returned %d issues with its error", len(issues))
	}
	return e
}

func TestLayouts(t *testing.T) {
	one, two := issueDoc(1), issueDoc(2)
	tests := []struct {
		name, doc string
		want      []int
	}{
		{"array", "[" + one + ",\n" + two + "]", []int{1, 2}},
		{"array in whitespace", "\n\t [ \r\n" + one + " ,\n\n " + two + "\n ] \n\n", []int{1, 2}},
		{"wrapper", `{"total": 2, "repo": {"x": [1]}, "issues": [` + one + "," + two + `], "next": null}`, []int{1, 2}},
		{"wrapper, issues only", `{"issues": [` + two + "," + one + `]}`, []int{2, 1}},
		{"wrapper, key in other case", `{"Issues": [` + one + `]}`, []int{1}},
		{"json lines", strings.ReplaceAll(one, "\n", "") + "\n" + strings.ReplaceAll(two, "\n", "") + "\n", []int{1, 2}},
		{"json lines, blank lines and CRLF", "\r\n" + strings.ReplaceAll(one, "\n", "") + "\r\n\r\n\r\n" + strings.ReplaceAll(two, "\n", "") + "\r\n\r\n", []int{1, 2}},
		{"concatenated objects", one + two, []int{1, 2}},
		{"single object", one, []int{1}},
		{"single object with issues key", `{"number": 1, "title": "t", "issues": [5], "html_url": "https://github.com/acme/engine/issues/1"}`, []int{1}},
		{"concatenated arrays (gh api --paginate)", "[" + one + "]\n[" + two + "][]", []int{1, 2}},
		{"empty array", "[]", nil},
		{"empty array in whitespace", " [ \n ] \n", nil},
		{"empty wrapper", `{"issues": [], "page": 3}`, nil},
		{"byte order mark", "\xef\xbb\xbf[" + one + "]", []int{1}},
		{"byte order mark, json lines", "\xef\xbb\xbf" + one + "\n" + two, []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.doc, importer.Options{})
			if !reflect.DeepEqual(numbers(got), tt.want) {
				t.Errorf("numbers %v, want %v", numbers(got), tt.want)
			}
		})
	}
}

// TestFullIssue reads one object as the GitHub REST API returns it, with
// the many fields bugscope ignores.
func TestFullIssue(t *testing.T) {
	doc := `[{
  "url": "https://api.github.com/repos/acme/engine/issues/4242",
  "repository_url": "https://api.github.com/repos/acme/engine",
  "labels_url": "https://api.github.com/repos/acme/engine/issues/4242/labels{/name}",
  "html_url": "https://github.com/acme/engine/issues/4242",
  "id": 1234567890,
  "node_id": "I_kwDOabc",
  "number": 4242,
  "title": "[Bug]: OOM with \"tp=2\"",
  "user": {"login": "someone", "id": 1, "type": "User", "site_admin": false},
  "labels": [
    {"id": 1, "node_id": "LA_1", "url": "https://api.github.com/repos/acme/engine/labels/bug", "name": "bug", "color": "d73a4a", "default": true, "description": "Something isn't working"},
    {"id": 2, "name": "stale", "color": "ffffff", "default": false, "description": null}
  ],
  "state": "Closed",
  "locked": false,
  "assignee": null,
  "assignees": [],
  "milestone": null,
  "comments": 7,
  "created_at": "2024-05-01T10:00:00Z",
  "updated_at": "2024-05-03T12:30:00.5+02:00",
  "closed_at": "2024-05-03T10:30:00Z",
  "author_association": "CONTRIBUTOR",
  "active_lock_reason": null,
  "body": "### Describe the bug\r\n\r\nIt crashes:\r\n` + "```" + `\r\ntorch.OutOfMemoryError: CUDA out of memory\r\n` + "```" + `\r\n\u00e9\ud83d\ude00",
  "closed_by": {"login": "maintainer"},
  "reactions": {"url": "https://api.github.com/repos/acme/engine/issues/4242/reactions", "total_count": 5, "+1": 4, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 1, "rocket": 0, "eyes": 0},
  "timeline_url": "https://api.github.com/repos/acme/engine/issues/4242/timeline",
  "performed_via_github_app": null,
  "state_reason": "completed"
}]`
	got := mustParse(t, doc, importer.Options{})
	if len(got) != 1 {
		t.Fatalf("%d issues, want 1", len(got))
	}
	is := got[0]
	wantTimes := []struct {
		got  *time.Time
		want string
	}{{is.CreatedAt, "2024-05-01T10:00:00Z"}, {is.UpdatedAt, "2024-05-03T10:30:00.5Z"}, {is.ClosedAt, "2024-05-03T10:30:00Z"}}
	for _, w := range wantTimes {
		want, _ := time.Parse(time.RFC3339, w.want)
		if w.got == nil || !w.got.Equal(want) {
			t.Errorf("time %v, want %v", w.got, want)
		}
	}
	is.CreatedAt, is.UpdatedAt, is.ClosedAt = nil, nil, nil
	want := bugscope.Issue{
		Repo:              "acme/engine",
		Number:            4242,
		Title:             `[Bug]: OOM with "tp=2"`,
		Body:              "### Describe the bug\r\n\r\nIt crashes:\r\n```\r\ntorch.OutOfMemoryError: CUDA out of memory\r\n```\r\né😀",
		Labels:            []string{"bug", "stale"},
		State:             "closed",
		AuthorAssociation: "CONTRIBUTOR",
		Comments:          7,
		Reactions:         5,
		URL:               "https://github.com/acme/engine/issues/4242",
	}
	if !reflect.DeepEqual(is, want) {
		t.Errorf("got\n%#v\nwant\n%#v", is, want)
	}
}

// TestFields checks the mapping of single fields: nulls and missing
// fields everywhere but number and title, and each accepted shape.
func TestFields(t *testing.T) {
	const base = `"number": 7, "title": "t", "html_url": "https://github.com/acme/engine/issues/7"`
	ts := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return &v
	}
	tests := []struct {
		name  string
		extra string // members added to base
		check func(is bugscope.Issue) any
		want  any
	}{
		{"title may be empty", `, "title": ""`, func(is bugscope.Issue) any { return is.Title }, ""},
		{"number as 7.0", `, "number": 7.0`, func(is bugscope.Issue) any { return is.Number }, 7},
		{"number as 0.7e1", `, "number": 0.7e1`, func(is bugscope.Issue) any { return is.Number }, 7},
		{"labels as strings", `, "labels": ["bug", "good first issue"]`, func(is bugscope.Issue) any { return is.Labels }, []string{"bug", "good first issue"}},
		{"labels as objects", `, "labels": [{"name": "bug", "color": "f00"}, {"id": 3, "name": "ROCm"}]`, func(is bugscope.Issue) any { return is.Labels }, []string{"bug", "ROCm"}},
		{"labels mixed", `, "labels": [{"name": "bug"}, "perf"]`, func(is bugscope.Issue) any { return is.Labels }, []string{"bug", "perf"}},
		{"labels empty", `, "labels": []`, func(is bugscope.Issue) any { return len(is.Labels) }, 0},
		{"labels null", `, "labels": null`, func(is bugscope.Issue) any { return is.Labels }, []string(nil)},
		{"labels missing", ``, func(is bugscope.Issue) any { return is.Labels }, []string(nil)},
		{"body null", `, "body": null`, func(is bugscope.Issue) any { return is.Body }, ""},
		{"body missing", ``, func(is bugscope.Issue) any { return is.Body }, ""},
		{"body escapes", `, "body": "a\"b\\c\/d\b\f\n\r\t\u0041\u00fc"`, func(is bugscope.Issue) any { return is.Body }, "a\"b\\c/d\b\f\n\r\tAü"},
		{"state lower-cased", `, "state": "OPEN"`, func(is bugscope.Issue) any { return is.State }, "open"},
		{"state null", `, "state": null`, func(is bugscope.Issue) any { return is.State }, ""},
		{"state missing", ``, func(is bugscope.Issue) any { return is.State }, ""},
		{"author_association", `, "author_association": "MEMBER"`, func(is bugscope.Issue) any { return is.AuthorAssociation }, "MEMBER"},
		{"author_association null", `, "author_association": null`, func(is bugscope.Issue) any { return is.AuthorAssociation }, ""},
		{"created_at with offset", `, "created_at": "2023-03-10T21:33:07+00:00"`, func(is bugscope.Issue) any { return is.CreatedAt.UTC() }, ts("2023-03-10T21:33:07Z").UTC()},
		{"created_at null", `, "created_at": null`, func(is bugscope.Issue) any { return is.CreatedAt }, (*time.Time)(nil)},
		{"closed_at empty string", `, "closed_at": ""`, func(is bugscope.Issue) any { return is.ClosedAt }, (*time.Time)(nil)},
		{"times missing", ``, func(is bugscope.Issue) any { return [3]*time.Time{is.CreatedAt, is.UpdatedAt, is.ClosedAt} }, [3]*time.Time{}},
		{"comments count", `, "comments": 12`, func(is bugscope.Issue) any { return is.Comments }, 12},
		{"comments null", `, "comments": null`, func(is bugscope.Issue) any { return is.Comments }, 0},
		{"comments array", `, "comments": [{"body": "me too"}, {"body": "+1"}, {}]`, func(is bugscope.Issue) any { return is.Comments }, 3},
		{"reactions object", `, "reactions": {"total_count": 9, "+1": 9}`, func(is bugscope.Issue) any { return is.Reactions }, 9},
		{"reactions number", `, "reactions": 4`, func(is bugscope.Issue) any { return is.Reactions }, 4},
		{"reactions null", `, "reactions": null`, func(is bugscope.Issue) any { return is.Reactions }, 0},
		{"reactions without total_count", `, "reactions": {"+1": 2}`, func(is bugscope.Issue) any { return is.Reactions }, 0},
		{"pull_request object", `, "pull_request": {"url": "x", "merged_at": null}`, func(is bugscope.Issue) any { return is.IsPullRequest }, true},
		{"pull_request null", `, "pull_request": null`, func(is bugscope.Issue) any { return is.IsPullRequest }, false},
		{"pull_request missing", ``, func(is bugscope.Issue) any { return is.IsPullRequest }, false},
		{"pull request from html_url", `, "html_url": "https://github.com/acme/engine/pull/7"`, func(is bugscope.Issue) any { return is.IsPullRequest }, true},
		{"pull request from url", `, "url": "https://api.github.com/repos/acme/engine/pulls/7"`, func(is bugscope.Issue) any { return is.IsPullRequest }, true},
		{"keys in other case", `, "Number": 8, "TITLE": "x", "Html_Url": "https://github.com/acme/engine/issues/8"`, func(is bugscope.Issue) any { return fmt.Sprintf("%d %s", is.Number, is.Title) }, "8 x"},
		{"repeated key: last counts", `, "title": "first", "title": "second"`, func(is bugscope.Issue) any { return is.Title }, "second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, "{"+base+tt.extra+"}", importer.Options{})
			if len(got) != 1 {
				t.Fatalf("%d issues, want 1", len(got))
			}
			if g := tt.check(got[0]); !reflect.DeepEqual(g, tt.want) {
				t.Errorf("got %#v, want %#v", g, tt.want)
			}
		})
	}
}

func TestRepository(t *testing.T) {
	tests := []struct {
		name, doc, repo string
		wantRepo        string
		wantURL         string
	}{
		{"repository_url", `{"number": 3, "title": "t", "repository_url": "https://api.github.com/repos/acme/engine"}`, "",
			"acme/engine", "https://github.com/acme/engine/issues/3"},
		{"html_url", `{"number": 3, "title": "t", "html_url": "https://github.com/acme/engine/issues/3"}`, "",
			"acme/engine", "https://github.com/acme/engine/issues/3"},
		{"html_url of a pull request", `{"number": 3, "title": "t", "html_url": "https://github.com/acme/engine/pull/3"}`, "",
			"acme/engine", "https://github.com/acme/engine/pull/3"},
		{"url (API)", `{"number": 3, "title": "t", "url": "https://api.github.com/repos/acme/engine/issues/3"}`, "",
			"acme/engine", "https://github.com/acme/engine/issues/3"},
		{"all three agree", `{"number": 3, "title": "t", "url": "https://api.github.com/repos/acme/engine/issues/3", "repository_url": "https://api.github.com/repos/acme/engine", "html_url": "https://github.com/acme/engine/issues/3"}`, "",
			"acme/engine", "https://github.com/acme/engine/issues/3"},
		{"GitHub Enterprise html_url", `{"number": 3, "title": "t", "html_url": "https://git.corp.example/tools/acme/engine/issues/3"}`, "",
			"acme/engine", "https://git.corp.example/tools/acme/engine/issues/3"},
		{"GitHub Enterprise repository_url", `{"number": 3, "title": "t", "repository_url": "https://git.corp.example/api/v3/repos/acme/engine"}`, "",
			"acme/engine", "https://github.com/acme/engine/issues/3"},
		{"repo named issues", `{"number": 3, "title": "t", "html_url": "https://github.com/acme/issues/issues/3"}`, "",
			"acme/issues", "https://github.com/acme/issues/issues/3"},
		{"--repo fallback", `{"number": 3, "title": "t"}`, "octo/widgets",
			"octo/widgets", "https://github.com/octo/widgets/issues/3"},
		{"--repo fallback on null URLs", `{"number": 3, "title": "t", "html_url": null, "url": null, "repository_url": null}`, "octo/widgets",
			"octo/widgets", "https://github.com/octo/widgets/issues/3"},
		{"--repo agrees", `{"number": 3, "title": "t", "html_url": "https://github.com/octo/widgets/issues/3"}`, "octo/widgets",
			"octo/widgets", "https://github.com/octo/widgets/issues/3"},
		{"--repo agrees but for case: the file's spelling wins", `{"number": 3, "title": "t", "html_url": "https://github.com/Octo/Widgets/issues/3"}`, "octo/widgets",
			"Octo/Widgets", "https://github.com/Octo/Widgets/issues/3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.doc, importer.Options{Repo: tt.repo})
			if len(got) != 1 || got[0].Repo != tt.wantRepo || got[0].URL != tt.wantURL {
				t.Errorf("got %+v, want repo %s, URL %s", got, tt.wantRepo, tt.wantURL)
			}
		})
	}
	t.Run("bad --repo", func(t *testing.T) {
		for _, repo := range []string{"acme", "acme/engine/x", "ac me/engine", "../engine"} {
			if _, err := importer.Parse([]byte(issueDoc(1)), "x.json", importer.Options{Repo: repo}); err == nil {
				t.Errorf("repo %q accepted", repo)
			}
		}
	})
}

func TestDuplicates(t *testing.T) {
	doc := "[" + issueDoc(1) + "," + issueDoc(2) + `,{"number": 1, "title": "again", "html_url": "https://github.com/acme/engine/issues/1"}]`
	var dups []bugscope.IssueRef
	got := mustParse(t, doc, importer.Options{OnDuplicate: func(r bugscope.IssueRef) { dups = append(dups, r) }})
	if !reflect.DeepEqual(numbers(got), []int{1, 2}) || got[0].Title != "again" {
		t.Errorf("got %+v, want #1 (the later one: neither has a time) and #2", got)
	}
	if want := []bugscope.IssueRef{{Repo: "acme/engine", Number: 1}}; !reflect.DeepEqual(dups, want) {
		t.Errorf("duplicates %v, want %v", dups, want)
	}
	// Within a file as across files, the newer updated_at wins, wherever
	// it stands; equal times and a time over none let the later copy win.
	copyOf := func(title, updated string) string {
		u := "null"
		if updated != "" {
			u = `"` + updated + `"`
		}
		return `{"number": 7, "title": "` + title + `", "updated_at": ` + u + `, "html_url": "https://github.com/acme/engine/issues/7"}`
	}
	for _, tc := range []struct {
		copies []string
		want   string
	}{
		{[]string{copyOf("new", "2025-03-02T00:00:00Z"), copyOf("old", "2025-03-01T00:00:00Z")}, "new"},
		{[]string{copyOf("old", "2025-03-01T00:00:00Z"), copyOf("new", "2025-03-02T00:00:00Z")}, "new"},
		{[]string{copyOf("first", "2025-03-01T00:00:00Z"), copyOf("second", "2025-03-01T00:00:00Z")}, "second"},
		{[]string{copyOf("timed", "2025-03-01T00:00:00Z"), copyOf("untimed", "")}, "timed"},
		{[]string{copyOf("untimed", ""), copyOf("timed", "2025-03-01T00:00:00Z")}, "timed"},
		{[]string{copyOf("a", "2025-03-01T00:00:00Z"), copyOf("c", "2025-03-03T00:00:00Z"), copyOf("b", "2025-03-02T00:00:00Z")}, "c"},
	} {
		n := 0
		got := mustParse(t, "["+strings.Join(tc.copies, ",")+"]", importer.Options{OnDuplicate: func(bugscope.IssueRef) { n++ }})
		if len(got) != 1 || got[0].Title != tc.want || n != len(tc.copies)-1 {
			t.Errorf("%v: kept %+v with %d duplicates, want %q and %d", tc.copies, got, n, tc.want, len(tc.copies)-1)
		}
	}
	// The same number in another repository is no duplicate.
	other := `{"number": 1, "title": "t", "html_url": "https://github.com/octo/widgets/issues/1"}`
	if got := mustParse(t, issueDoc(1)+other, importer.Options{}); len(got) != 2 {
		t.Errorf("%d issues, want 2", len(got))
	}
}

// TestErrors checks that bad input yields an *Error that points at the
// right place. at is a unique piece of doc whose first byte the error must
// point at; "" means the end of the data.
func TestErrors(t *testing.T) {
	two := "[\n" + issueDoc(1) + ",\n" + issueDoc(2) + ",\n"
	bad := func(members string) string { // the third object of an array
		return two + "{\n  \"title\": \"t\",\n  \"html_url\": \"https://github.com/acme/engine/issues/3\",\n" + members + "\n}\n]\n"
	}
	tests := []struct {
		name, doc, repo string
		at              string
		object          int
		field           string
		msg             string
	}{
		{"number a word", bad(`  "number": "twelve"`), "", `"twelve"`, 2, "number", `want a positive integer, found the string "twelve"`},
		{"number an empty string", bad(`  "number": ""`), "", `""`, 2, "number", `want a positive integer, found the string ""`},
		{"number a hex string", bad(`  "number": "0x1p3"`), "", `"0x1p3"`, 2, "number", `want a positive integer`},
		{"number a string of zero", bad(`  "number": "0"`), "", `"0"`, 2, "number", `want a positive integer`},
		{"number zero", bad(`  "number": 0`), "", `0`, 2, "number", "want a positive integer"},
		{"number negative", bad(`  "number": -3`), "", `-3`, 2, "number", "want a positive integer"},
		{"number fractional", bad(`  "number": 3.5`), "", `3.5`, 2, "number", "found the number 3.5"},
		{"number huge", bad(`  "number": 1e300`), "", `1e300`, 2, "number", "want a positive integer"},
		{"number null", bad(`  "number": null`), "", "null", 2, "number", "missing or null"},
		{"number missing", bad(`  "body": "x"`), "", "{\n  \"title\": \"t\",\n  \"html_url\": \"https://github.com/acme/engine/issues/3\"", 2, "number", "missing"},
		{"title missing", two + `{"number": 3, "html_url": "https://github.com/acme/engine/issues/3"}]`, "", `{"number": 3`, 2, "title", "missing"},
		{"title null", two + `{"number": 3, "title": null}]`, "acme/engine", `null}]`, 2, "title", "missing or null"},
		{"title a number", bad(`  "number": 3, "title": 5`), "", `5`, 2, "title", "want a string, found the number 5"},
		{"labels a string", bad(`  "number": 3, "labels": "bug"`), "", `"bug"`, 2, "labels", `want an array of labels, found the string "bug"`},
		{"label a number", bad(`  "number": 3, "labels": ["bug", 7]`), "", `7]`, 2, "labels[1]", "want a label name or label object, found the number 7"},
		{"label object without name", bad(`  "number": 3, "labels": [{"name": "bug"}, {"color": "red"}]`), "", `{"color"`, 2, "labels[1]", "label object without a string name"},
		{"label object with a number name", bad(`  "number": 3, "labels": [{"name": 5}]`), "", `{"name": 5}`, 2, "labels[0]", "label object without a string name"},
		{"created_at a number", bad(`  "number": 3, "created_at": 5`), "", `5`, 2, "created_at", "want a string, found the number 5"},
		{"created_at not a time", bad(`  "number": 3, "created_at": "yesterday"`), "", `"yesterday"`, 2, "created_at", `"yesterday" is not an RFC 3339 time`},
		{"closed_at without zone", bad(`  "number": 3, "closed_at": "2024-01-01T00:00:00"`), "", `"2024-01-01T00:00:00"`, 2, "closed_at", "RFC 3339"},
		{"comments a string", bad(`  "number": 3, "comments": "x"`), "", `"x"`, 2, "comments", `found the string "x"`},
		{"comments negative", bad(`  "number": 3, "comments": -1`), "", `-1`, 2, "comments", "want a count"},
		{"reactions a string", bad(`  "number": 3, "reactions": "many"`), "", `"many"`, 2, "reactions", "want a reactions object or a count"},
		{"reactions.total_count a word", bad(`  "number": 3, "reactions": {"+1": 1, "total_count": "three"}`), "", `"three"}`, 2, "reactions.total_count", `found the string "three"`},
		{"created_at a partial date", bad(`  "number": 3, "created_at": "2023-11"`), "", `"2023-11"`, 2, "created_at", `"2023-11" is not an RFC 3339 time or a date (YYYY-MM-DD)`},
		{"state unknown", bad(`  "number": 3, "state": "merged"`), "", `"merged"`, 2, "state", "neither open nor closed"},
		{"state a bool", bad(`  "number": 3, "state": true`), "", `true`, 2, "state", "found true"},
		{"body an object", bad(`  "number": 3, "body": {}`), "", `{}`, 2, "body", "found an object"},
		{"author_association an array", bad(`  "number": 3, "author_association": []`), "", `[]`, 2, "author_association", "found an array"},
		{"pull_request a string", bad(`  "number": 3, "pull_request": "yes"`), "", `"yes"`, 2, "pull_request", "want an object"},
		{"html_url not a URL", two + `{"number": 3, "title": "t", "html_url": "not a url"}]`, "", `"not a url"`, 2, "html_url", "not a GitHub issue or pull request URL"},
		{"html_url of another number", two + `{"number": 3, "title": "t", "html_url": "https://github.com/acme/engine/issues/4"}]`, "", `"https://github.com/acme/engine/issues/4"`, 2, "html_url", "names issue 4, but number is 3"},
		{"html_url with a bad owner", two + `{"number": 3, "title": "t", "html_url": "https://github.com/ac%20me/engine/issues/3"}]`, "", `"https://github.com/ac%20me`, 2, "html_url", "want owner/name"},
		{"repository_url not an API URL", two + `{"number": 3, "title": "t", "repository_url": "https://github.com/acme/engine"}]`, "", `"https://github.com/acme/engine"}`, 2, "repository_url", "not a repository API URL"},
		{"URLs disagree", two + `{"number": 3, "title": "t", "repository_url": "https://api.github.com/repos/acme/engine", "html_url": "https://github.com/octo/widgets/issues/3"}]`, "", `"https://github.com/octo/widgets/issues/3"`, 2, "html_url", "names repository octo/widgets, but repository_url names acme/engine"},
		{"--repo conflict", two + `{"number": 3, "title": "t", "html_url": "https://github.com/octo/widgets/issues/3"}]`, "acme/engine", `"https://github.com/octo/widgets/issues/3"`, 2, "html_url", "names repository octo/widgets, but --repo is acme/engine"},
		{"no repository", "[" + issueDoc(1) + `,{"number": 2, "title": "t"}]`, "", `{"number": 2`, 1, "", "no repository: give --repo owner/name"},
		{"array element not an object", two + "12]", "", "12]", 2, "", "want an issue object"},
		{"array element null", "[" + issueDoc(1) + ", null]", "", "null]", 1, "", "want an issue object"},
		{"top-level number", "12", "", "12", -1, "", "where a JSON array or object should start"},
		{"top-level garbage after an array", "[" + issueDoc(1) + "] x", "", "x", -1, "", "where a JSON array or object should start"},
		{"missing comma in array", "[" + issueDoc(1) + "\n" + issueDoc(2) + "]", "", "{\n  \"number\": 2", -1, "", "after an array element, want , or ]"},
		{"trailing comma in array", "[" + issueDoc(1) + ",\n]", "", "]", 1, "", "want an issue object"},
		{"syntax error inside an object", two + `{"number": 3, "title": x}]`, "", `x}]`, 2, "", "invalid character 'x'"},
		{"syntax error: missing colon", two + `{"number" 3, "title": "t"}]`, "", `3, "title": "t"}]`, 2, "", "invalid character '3'"},
		{"control character in a string", two + "{\"number\": 3, \"title\": \"a\tb\"}]", "", "\tb", 2, "", "invalid character"},
		{"truncated array, mid-object", two + `{"number": 3, "title": "cut he`, "", "", 2, "", "truncated"},
		{"truncated array, between objects", two, "", "", 2, "", "truncated"},
		{"truncated array, after the last object", "[" + issueDoc(1), "", "", -1, "", "truncated"},
		{"truncated json lines", `{"number": 1, "title": "a", "html_url": "https://github.com/acme/engine/issues/1"}` + "\n" + `{"number": 2, "title": "b", "html_u`, "", "", 1, "", "truncated"},
		{"truncated json lines, inside an escape", `{"number": 1, "title": "a\`, "acme/engine", "", 0, "", "truncated"},
		{"truncated wrapper", `{"issues": [` + issueDoc(1) + `, {"number": 2, "ti`, "", "", 1, "", "truncated"},
		{"wrapper with issues not an array", `{"count": 1, "issues": {"number": 1}}`, "", `{"number": 1}`, -1, "issues", "want an array of issues"},
		{"wrapper with a bad other key", `{"issues": [], "x": [1,,2]}`, "", `,2]`, -1, "", "invalid character ','"},
		{"empty file", "", "", "", -1, "", "no JSON data"},
		{"only whitespace", " \n\t\r\n ", "", "", -1, "", "no JSON data"},
		{"only a byte order mark", "\xef\xbb\xbf", "", "", -1, "", "no JSON data"},
		{"byte order mark, error on line 1", "\xef\xbb\xbf{\"number\": \"one\", \"title\": \"t\"}", "acme/engine", `"one"`, 0, "number", "want a positive integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustFail(t, tt.doc, importer.Options{Repo: tt.repo})
			off := len(tt.doc)
			if tt.at != "" {
				off = strings.Index(tt.doc, tt.at)
				if off < 0 {
					t.Fatalf("bad test: %q not in doc", tt.at)
				}
			}
			line := 1 + strings.Count(tt.doc[:off], "\n")
			col := off - strings.LastIndex(tt.doc[:off], "\n")
			if line == 1 && strings.HasPrefix(tt.doc, "\xef\xbb\xbf") {
				col -= 3
			}
			if e.Line != line || e.Column != col || e.Offset != int64(off) {
				t.Errorf("at %d:%d (byte %d), want %d:%d (byte %d): %v", e.Line, e.Column, e.Offset, line, col, off, e)
			}
			if e.Object != tt.object || e.Field != tt.field || e.File != "test.json" {
				t.Errorf("object %d, field %q, file %q; want object %d, field %q: %v", e.Object, e.Field, e.File, tt.object, tt.field, e)
			}
			if !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", e, tt.msg)
			}
			if tt.msg == "truncated" && !errors.Is(e, io.ErrUnexpectedEOF) {
				t.Errorf("error %v is not io.ErrUnexpectedEOF", e)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	doc := "[\n" + issueDoc(1) + ",\n{\"number\": 2, \"title\": \"t\",\n   \"created_at\": \"yesterday\"}]"
	_, err := importer.Parse([]byte(doc), "vllm.json", importer.Options{Repo: "acme/engine"})
	want := `vllm.json:8:18 (byte 145, object 1): field "created_at": "yesterday" is not an RFC 3339 time or a date (YYYY-MM-DD)`
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
	_, err = importer.Parse([]byte("[{"), "cut.json", importer.Options{})
	want = `cut.json:1:3 (byte 2, object 0): data ends too early (truncated file?): unexpected EOF`
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
}

// TestInvalidUTF8 checks that bad UTF-8 and lone surrogates become U+FFFD,
// as encoding/json makes them, instead of failing the file.
func TestInvalidUTF8(t *testing.T) {
	doc := "{\"number\": 1, \"title\": \"bad \xff\xfe title\", \"body\": \"cut \xe2\x82 rune, \\ud800 lone, \\ud83d\\ude00 pair, \xed\xa0\x80 surrogate\", " +
		"\"labels\": [\"l\xc3\"], \"state\": \"open\", \"html_url\": \"https://github.com/acme/engine/issues/1\"}"
	got := mustParse(t, doc, importer.Options{})
	var want struct {
		Title, Body string
		Labels      []string
	}
	if err := json.Unmarshal([]byte(doc), &want); err != nil {
		t.Fatal(err)
	}
	if got[0].Title != want.Title || got[0].Body != want.Body || !reflect.DeepEqual(got[0].Labels, want.Labels) {
		t.Errorf("got %q %q %q, want %q %q %q", got[0].Title, got[0].Body, got[0].Labels, want.Title, want.Body, want.Labels)
	}
	if got[0].Title != "bad \ufffd\ufffd title" || !strings.Contains(got[0].Body, "\ufffd lone, 😀 pair") {
		t.Errorf("got %q, %q", got[0].Title, got[0].Body)
	}
}

// TestNUL checks that a NUL (\u0000), which SQLite's LIKE and length take
// for the end of a text, cannot hide the rest of a title or body: it is
// stored as U+FFFD, and the text after it stays.
func TestNUL(t *testing.T) {
	doc := `{"number": 1, "title": "a\u0000b", "body": "before\u0000after", "labels": ["x\u0000y"], "html_url": "https://github.com/acme/engine/issues/1"}`
	got := mustParse(t, doc, importer.Options{})
	if got[0].Title != "a\ufffdb" || got[0].Body != "before\ufffdafter" || got[0].Labels[0] != "x\ufffdy" {
		t.Errorf("got %q %q %q", got[0].Title, got[0].Body, got[0].Labels)
	}
}

// TestScrapedDump reads a dump as other studies scrape them: times given
// as dates (midnight UTC), numbers and counts as strings, an empty count.
// Every object is read.
func TestScrapedDump(t *testing.T) {
	issues, err := importer.ParseFile(filepath.Join("testdata", "scraped.json"), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != 12 {
		t.Fatalf("%d issues, want all 12", len(issues))
	}
	first, sixth := issues[0], issues[5]
	if first.Number != 2100 || first.Comments != 0 || first.CreatedAt == nil ||
		!first.CreatedAt.Equal(time.Date(2023, 11, 1, 0, 0, 0, 0, time.UTC)) || first.CreatedAt.Location() != time.UTC {
		t.Errorf("first: %+v (created %v)", first, first.CreatedAt)
	}
	if !sixth.CreatedAt.Equal(time.Date(2023, 11, 6, 10, 20, 30, 0, time.UTC)) || sixth.Reactions != 0 || sixth.ClosedAt != nil {
		t.Errorf("sixth: %+v", sixth)
	}
	for i, is := range issues {
		if is.Number != 2100+7*i || is.UpdatedAt == nil || is.Comments != i && !(i == 7 && is.Comments == 0) {
			t.Errorf("issue %d: number %d, comments %d, updated %v", i, is.Number, is.Comments, is.UpdatedAt)
		}
	}
	if issues[4].Reactions != 1 || issues[3].Reactions != 3 {
		t.Errorf("reactions %d, %d; want 1 (total_count \"1\") and 3 (\"3\")", issues[4].Reactions, issues[3].Reactions)
	}
}

// TestEveryError checks that a file with several bad objects names them
// all, up to MaxErrors, and returns no issues; a syntax error ends the
// list.
func TestEveryError(t *testing.T) {
	var objs []string
	for i := 1; i <= 25; i++ {
		created := "2025-01-01"
		if i%2 == 0 {
			created = "yesterday"
		}
		objs = append(objs, fmt.Sprintf(`{"number": %d, "title": "t", "created_at": %q, "comments": "c%d"}`, i, created, i))
	}
	issues, err := importer.Parse([]byte("["+strings.Join(objs, ",\n")+"]"), "many.json", importer.Options{Repo: "acme/engine"})
	var es *importer.Errors
	if len(issues) != 0 || !errors.As(err, &es) {
		t.Fatalf("%d issues, error %v (%T); want none and *Errors", len(issues), err, err)
	}
	if es.Total != 25 || len(es.List) != importer.MaxErrors || es.List[0].Object != 0 || es.List[1].Object != 1 || es.List[1].Field != "created_at" || es.List[0].Field != "comments" {
		t.Fatalf("total %d, listed %d: %v", es.Total, len(es.List), es)
	}
	msg := es.Error()
	if !strings.HasPrefix(msg, "many.json: 25 errors (the first 20):\n  many.json:1:") || !strings.HasSuffix(msg, "... and 5 more") || strings.Count(msg, "\n") != 21 {
		t.Errorf("message:\n%s", msg)
	}
	var one *importer.Error
	if !errors.As(err, &one) || one.Object != 0 {
		t.Errorf("errors.As finds no *Error in %v", err)
	}
	// Two bad objects, a good one, then a syntax error.
	doc := `[{"number": "x", "title": "t"}, {"number": 2, "title": "t"}, {"number": 3, "title": 4}, {"number": 4 "title": "t"}]`
	_, err = importer.Parse([]byte(doc), "mixed.json", importer.Options{Repo: "acme/engine"})
	if !errors.As(err, &es) || es.Total != 3 || es.List[0].Field != "number" || es.List[1].Field != "title" || es.List[2].Object != 3 || !strings.Contains(es.List[2].Error(), "invalid character") {
		t.Errorf("mixed: %v", err)
	}
}

func TestLargeBody(t *testing.T) {
	// 5 MB with escapes, multi-byte runes and a quote every few lines.
	var b strings.Builder
	for b.Len() < 5<<20 {
		b.WriteString("Traceback (most recent call last):\r\n  File \"x.py\", line 1 — ü 😀\r\n\tRuntimeError: CUDA error\n")
	}
	body := b.String()
	enc, _ := json.Marshal(map[string]any{"number": 1, "title": "big", "body": body, "html_url": "https://github.com/acme/engine/issues/1"})
	doc := "[" + string(enc) + "," + issueDoc(2) + "]"
	got := mustParse(t, doc, importer.Options{})
	if len(got) != 2 || got[0].Body != body {
		t.Fatalf("got %d issues, body of %d bytes, want 2 and %d", len(got), len(got[0].Body), len(body))
	}
	// Cut in the middle of the body: the error is at the end of the data.
	e := mustFail(t, doc[:3<<20], importer.Options{})
	if e.Offset != 3<<20 || e.Object != 0 || !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Errorf("cut body: %v", e)
	}
}

func TestParseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dump.jsonl")
	if err := os.WriteFile(path, []byte(issueDoc(5)+"\n"+issueDoc(6)), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := importer.ParseFile(path, importer.Options{})
	if err != nil || !reflect.DeepEqual(numbers(got), []int{5, 6}) {
		t.Errorf("got %v, %v", numbers(got), err)
	}
	if err := os.WriteFile(path, []byte("[{"), 0o644); err != nil {
		t.Fatal(err)
	}
	var e *importer.Error
	if _, err := importer.ParseFile(path, importer.Options{}); !errors.As(err, &e) || e.File != path {
		t.Errorf("error %v does not name %s", err, path)
	}
	if _, err := importer.ParseFile(filepath.Join(t.TempDir(), "missing.json"), importer.Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestRealDumps reads the dumps in ../shared/data when they are there.
func TestRealDumps(t *testing.T) {
	dir := filepath.Join(testshared.Dir(t), "data")
	for _, tt := range []struct {
		file, repo string
		want       int
	}{
		{"vllm-issues.json", "vllm-project/vllm", 1416},
		{"llama.cpp-issues.json", "ggml-org/llama.cpp", 1541},
		{"sglang-issues.json", "sgl-project/sglang", 1062},
	} {
		t.Run(tt.file, func(t *testing.T) {
			issues, err := importer.ParseFile(filepath.Join(dir, tt.file), importer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(issues) != tt.want {
				t.Errorf("%d issues, want %d", len(issues), tt.want)
			}
			for _, is := range issues {
				if is.Repo != tt.repo || is.Number <= 0 || is.Title == "" || is.CreatedAt == nil || is.State == "" {
					t.Fatalf("odd issue %s: %+v", is.Ref(), is)
				}
			}
		})
	}
}

// genDump writes n issues shaped like the real dumps (about 5 KB each).
func genDump(n int) []byte {
	body := strings.Repeat("### Describe the bug\r\n\r\nRunning `serve --tp 2` fails:\r\n```\r\nRuntimeError: CUDA error: out of memory \"x\"\r\n```\r\n", 40)
	issues := make([]map[string]any, n)
	for i := range issues {
		issues[i] = map[string]any{
			"number": i + 1, "title": fmt.Sprintf("[Bug]: crash %d", i), "body": body,
			"labels": []string{"bug"}, "state": "closed",
			"created_at": "2024-01-13T06:41:07+00:00", "closed_at": "2024-01-16T23:42:00+00:00",
			"comments":           3,
			"reactions":          map[string]any{"url": "https://api.github.com/repos/acme/engine/issues/1/reactions", "total_count": 2, "+1": 2},
			"html_url":           fmt.Sprintf("https://github.com/acme/engine/issues/%d", i+1),
			"author_association": "NONE",
		}
	}
	data, err := json.MarshalIndent(issues, "", " ")
	if err != nil {
		panic(err)
	}
	return data
}

func BenchmarkParse(b *testing.B) {
	data := genDump(5000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		issues, err := importer.Parse(data, "bench.json", importer.Options{})
		if err != nil || len(issues) != 5000 {
			b.Fatal(len(issues), err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"[" + issueDoc(1) + "," + issueDoc(2) + "]",
		`{"issues": [` + issueDoc(3) + `], "total": 1}`,
		issueDoc(4) + "\n" + issueDoc(5) + "\n",
		issueDoc(6),
		"\xef\xbb\xbf[]",
		`{"number": 7.0, "title": "", "labels": [{"name": "bug"}, "x"], "state": "OPEN", "comments": [1, 2], "reactions": {"total_count": 3}, "pull_request": {}, "created_at": "2024-01-01T00:00:00Z", "closed_at": null}`,
		`{"number": 8, "title": "t", "repository_url": "https://api.github.com/repos/acme/engine", "url": "https://api.github.com/repos/acme/engine/pulls/8"}`,
		`{"number": 9, "title": "t\ud800 \u00e9 \xff", "html_url": "https://ghe.example/acme/engine/pull/9"}`,
		`[{"number": "12", "title": "t"}]`,
		`[{"number": 1, "title": "t", "labels": "bug"}]`,
		`[{"number": 1, "title": "t", "created_at": 5}]`,
		`[{"number": 1, "title": "cut`,
		`{"issues": [{"number": 1`,
		"",
		"[1, null, {}]",
		`{"Issues": null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		issues, err := importer.Parse(data, "fuzz.json", importer.Options{Repo: "acme/engine"})
		checkStreamed(t, data, issues, err)
		if err != nil {
			var e *importer.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *importer.Error", err, err)
			}
			if e.Line < 1 || e.Column < 1 || e.Offset < 0 || e.Offset > int64(len(data)) || e.Err == nil {
				t.Fatalf("bad position in %#v", e)
			}
			_ = e.Error()
			return
		}
		for _, is := range issues {
			if is.Number <= 0 {
				t.Fatalf("issue number %d", is.Number)
			}
			if err := bugscope.ValidateRepo(is.Repo); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// checkStreamed checks that reading data a byte at a time (the window of
// the streaming parser moving at every byte) gives what Parse gave, and
// that every error's line and column agree with its byte offset.
func checkStreamed(t *testing.T, data []byte, want []bugscope.Issue, wantErr error) {
	t.Helper()
	var got []bugscope.Issue
	err := importer.Stream(iotest.OneByteReader(bytes.NewReader(data)), "fuzz.json", importer.Options{Repo: "acme/engine"},
		func(is bugscope.Issue, dup bool) error {
			if !dup {
				got = append(got, is)
			}
			return nil
		})
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("streamed a byte at a time: %v\nwhole: %v", err, wantErr)
	}
	if err == nil && len(got) != len(want) {
		t.Fatalf("streamed a byte at a time: %d issues, whole: %d", len(got), len(want))
	}
	for _, x := range errorList(err) {
		before := data[:min(int(x.Offset), len(data))]
		line := 1 + bytes.Count(before, []byte("\n"))
		col := int(x.Offset) - bytes.LastIndexByte(before, '\n')
		if line == 1 && bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
			col = max(col-3, 1)
		}
		if x.Line != line || x.Column != col {
			t.Fatalf("%v: line %d column %d, the offset says %d:%d", x, x.Line, x.Column, line, col)
		}
	}
}

func errorList(err error) []*importer.Error {
	var es *importer.Errors
	if errors.As(err, &es) {
		return es.List
	}
	var e *importer.Error
	if errors.As(err, &e) {
		return []*importer.Error{e}
	}
	return nil
}

// The streaming parser reads a dump in one pass through a small window:
// a byte at a time it finds what the whole-buffer reading finds, errors on
// later lines included, and emit sees each issue once, in order, with
// duplicates marked.
func TestStreamWindow(t *testing.T) {
	var b strings.Builder
	b.WriteString("[\n")
	for i := 1; i <= 50; i++ {
		if i > 1 {
			b.WriteString(",\n")
		}
		b.WriteString(issueDoc(i))
	}
	b.WriteString(",\n" + issueDoc(7) + "\n]\n")
	good := b.String()
	for _, data := range []string{
		good,
		`{"total": 2, "issues": [` + "\n" + issueDoc(1) + ",\n" + issueDoc(2) + "], \"next\": {\"a\": [1]}}",
		strings.Replace(good, `"title"`, `"title": 5, "x"`, 1),
		strings.Replace(good, issueDoc(40), `{"number": 40, "title": "t", "created_at": "soon"}`, 1),
		good[:len(good)-40],
		good + "{",
		issueDoc(1) + "\n" + issueDoc(2) + "\n\n" + `{"number": 3, "title": [}`,
	} {
		want, err := importer.Parse([]byte(data), "fuzz.json", importer.Options{Repo: "acme/engine"})
		checkStreamed(t, []byte(data), want, err)
	}
	var nums []int
	var dups int
	err := importer.Stream(iotest.HalfReader(strings.NewReader(good)), "d.json", importer.Options{Repo: "acme/engine"}, func(is bugscope.Issue, dup bool) error {
		nums = append(nums, is.Number)
		if dup {
			dups++
		}
		return nil
	})
	if err != nil || len(nums) != 51 || nums[50] != 7 || dups != 1 {
		t.Fatalf("emitted %d issues (last %v), %d duplicates, %v; want 51, the last #7, 1 duplicate", len(nums), nums[len(nums)-1:], dups, err)
	}
	// An error from emit ends the reading and is returned as it is.
	stop := errors.New("disk full")
	n := 0
	err = importer.Stream(strings.NewReader(good), "d.json", importer.Options{Repo: "acme/engine"}, func(bugscope.Issue, bool) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Fatalf("emit error: %v after %d issues", err, n)
	}
}
