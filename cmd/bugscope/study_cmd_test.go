package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// studyTestDB is a database with the test issues, classified, and a sample
// "s" of all of them.
func studyTestDB(t *testing.T) string {
	t.Helper()
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	mustRun(t, "--db", db, "classify")
	mustRun(t, "--db", db, "sample", "--name", "s", "--seed", "2")
	return db
}

func writeStudyFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStudyCommandErrors(t *testing.T) {
	db := studyTestDB(t)
	outside := writeStudyFile(t, "outside.jsonl", `{"id": "nobody/nothing#1", "kind": "bug"}`+"\n")
	bad := writeStudyFile(t, "bad.jsonl", `{"id": "example-org/engine#101", "kind": "bugg"}`+"\n")
	ids := writeStudyFile(t, "ids.txt", "# the issues\nexample-org/engine#101\nnot a ref\n")
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"sample"}, exitUsage, "--name"},
		{[]string{"sample", "--name", "x", "--size", "5", "--confidence", "0.9"}, exitUsage, "--size fixes"},
		{[]string{"sample", "--name", "x", "--confidence", "95"}, exitUsage, "confidence"},
		{[]string{"sample", "--name", "x", "--stratify", "label"}, exitUsage, "stratify"},
		{[]string{"sample", "--name", "x", "--query", `"open`}, exitUsage, "quote"},
		{[]string{"sample", "--name", "x", "--kind", "bogus"}, exitUsage, "kind"},
		{[]string{"sample", "--name", "x", "--from-labels", bad, "--repo", "a/b"}, exitUsage, "do not apply"},
		{[]string{"sample", "--name", "s", "--seed", "2"}, exitConflict, "already exists"},
		{[]string{"sample", "--name", "x", "--repo", "nobody/nothing"}, exitNotFound, "no issues of nobody/nothing in the database (it holds example-org/engine, other/cpp-engine)"},
		{[]string{"sample", "--name", "x", "--state", "closed", "--since", "2099-01-01"}, exitNotFound, "population is empty"},
		{[]string{"sample", "--name", "x", "--ids", ids}, exitInvalid, "ids.txt:3"},
		{[]string{"sample", "--name", "x", "--from-labels", bad}, exitInvalid, "bugg"},
		{[]string{"sample", "show", "nope"}, exitNotFound, "not found"},
		{[]string{"annotate", "--sample", "s"}, exitUsage, "--rater"},
		{[]string{"annotate", "--sample", "nope", "--rater", "ann"}, exitNotFound, "not found"},
		{[]string{"annotate", "--sample", "s", "--rater", "ann"}, exitUsage, "needs a terminal"},
		{[]string{"annotate", "--sample", "s", "--rater", "a\x1bb"}, exitUsage, "rater"},
		{[]string{"annotate", "--sample", "s", "--rater", "ann", "--exclude-reason", "spam"}, exitUsage, "--issue"},
		{[]string{"labels", "import", outside, "--sample", "s", "--rater", "ann"}, exitInvalid, "outside sample"},
		{[]string{"labels", "import", bad, "--sample", "s", "--rater", "ann"}, exitInvalid, "bad.jsonl:1"},
		{[]string{"labels", "export", "--sample", "s", "--rater", "nobody"}, exitNotFound, "no answers"},
		{[]string{"agreement", "--sample", "s"}, exitConflict, "two raters"},
		{[]string{"agreement", "--sample", "s", "--half", "3"}, exitUsage, "--half"},
		{[]string{"arbitrate", "--sample", "s"}, exitUsage, "--rater"},
		{[]string{"arbitrate", "--sample", "s", "--rater", "carol"}, exitUsage, "needs a terminal"},
		{[]string{"export", "--sample", "s", "--format", "xml"}, exitUsage, "jsonl or csv"},
		{[]string{"export", "--sample", "s", "--repo", "a/b"}, exitUsage, "does not apply"},
		{[]string{"export", "--partial"}, exitUsage, "go with --sample"},
	}
	for _, tt := range tests {
		_, errOut, code := run(t, append([]string{"--db", db}, tt.args...)...)
		if code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("bugscope %s: exit %d, want %d with %q; stderr: %s", strings.Join(tt.args, " "), code, tt.code, tt.msg, errOut)
		}
	}
}

func TestSampleSubcommandsAndNonInteractiveAnswers(t *testing.T) {
	db := studyTestDB(t)
	out := mustRun(t, "--db", db, "sample", "--name", "dry", "--size", "1", "--seed", "1", "--dry-run")
	if !strings.Contains(out, "dry run, nothing stored") {
		t.Fatalf("dry run:\n%s", out)
	}
	var list []struct {
		Name   string         `json:"name"`
		Items  int            `json:"item_count"`
		Raters map[string]int `json:"raters"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "sample", "list", "--json")), &list); err != nil || len(list) != 1 || list[0].Items != 6 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	// An exclusion without the interface, then labels from a file.
	mustRun(t, "--db", db, "annotate", "--sample", "s", "--rater", "ann", "--issue", "other/cpp-engine#8", "--exclude-reason", "duplicate of #7")
	file := writeStudyFile(t, "ann.jsonl", `{"id": "example-org/engine#101", "kind": "bug", "category": "memory.oom", "root_cause": "resource_constraints", "severity": "P1", "confidence": "high"}
{"id": "example-org/engine#102", "kind": "feature"}
`)
	out = mustRun(t, "--db", db, "labels", "import", file, "--sample", "s", "--rater", "ann")
	if !strings.Contains(out, "2 answers of ann stored") {
		t.Fatalf("import:\n%s", out)
	}
	if out := mustRun(t, "--db", db, "labels", "import", file, "--sample", "s", "--rater", "ann"); !strings.Contains(out, "0 answers of ann stored in sample \"s\", 2 unchanged") {
		t.Fatalf("re-import:\n%s", out)
	}
	// Export the rater's answers and import them as another rater: the
	// exclusion travels as x_excluded.
	exported := filepath.Join(t.TempDir(), "ann-out.jsonl")
	mustRun(t, "--db", db, "labels", "export", "--sample", "s", "--rater", "ann", "-o", exported)
	b, _ := os.ReadFile(exported)
	if !strings.Contains(string(b), `"x_excluded": "duplicate of #7"`) || strings.Count(string(b), "\n") != 3 {
		t.Fatalf("export:\n%s", b)
	}
	mustRun(t, "--db", db, "labels", "import", exported, "--sample", "s", "--rater", "copy")
	var ag struct {
		Inclusion struct {
			AllExcluded int `json:"all_excluded"`
		} `json:"inclusion"`
		Dimensions []struct {
			Dimension string  `json:"dimension"`
			Kappa     float64 `json:"kappa"`
			Raw       float64 `json:"raw"`
		} `json:"dimensions"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "agreement", "--sample", "s", "--json", "--resamples", "-1")), &ag); err != nil {
		t.Fatal(err)
	}
	if ag.Inclusion.AllExcluded != 1 || ag.Dimensions[0].Raw != 1 {
		t.Fatalf("a rater against a copy: %+v", ag)
	}
	out = mustRun(t, "--db", db, "sample", "show", "s", "--items")
	if !strings.Contains(out, "ann, copy") || strings.Contains(out, "next:") {
		t.Fatalf("show:\n%s", out)
	}
	if _, errOut, code := run(t, "--db", db, "sample", "delete", "s"); code != exitConflict || !strings.Contains(errOut, "--force") {
		t.Fatalf("delete with answers: %d %s", code, errOut)
	}
	mustRun(t, "--db", db, "sample", "delete", "s", "--force")
	if out := mustRun(t, "--db", db, "sample", "list"); !strings.Contains(out, "no samples") {
		t.Fatalf("after delete:\n%s", out)
	}
}

// TestStudyCommandsHaveHelp checks that every command of the workflow has
// a long description and examples.
func TestStudyCommandsHaveHelp(t *testing.T) {
	root := (&app{}).root()
	for _, path := range [][]string{{"sample"}, {"annotate"}, {"labels", "import"}, {"labels", "export"}, {"agreement"}, {"arbitrate"}, {"export"}} {
		c, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		if c.Long == "" && len(path) == 1 || c.Example == "" {
			t.Errorf("bugscope %s: no Long or Example help", strings.Join(path, " "))
		}
	}
}
