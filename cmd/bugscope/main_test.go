package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// run executes bugscope in-process with args and returns its output and
// exit code, as the binary would.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runWith(t, nil, args...)
}

// runWith is run with the app changed by mod first.
func runWith(t *testing.T, mod func(*app), args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{stdout: &out, stderr: &errOut, now: func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }}
	if mod != nil {
		mod(a)
	}
	root := a.root()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(context.Background())
	printError(&errOut, err)
	return out.String(), errOut.String(), exitCode(err)
}

// mustRun runs bugscope and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, args...)
	if code != 0 {
		t.Fatalf("bugscope %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func tempDB(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "bugscope.db")
}

type statusJSON struct {
	Issues          int            `json:"issues"`
	PullRequests    int            `json:"pull_requests"`
	IssuesByRepo    map[string]int `json:"issues_by_repo"`
	Classifications map[string]int `json:"classifications"`
}

func status(t *testing.T, db string) statusJSON {
	t.Helper()
	var s statusJSON
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "status", "--json")), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestImportIsIdempotentAndKeepsPullRequestsApart(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	first := status(t, db)
	if first.Issues != 6 || first.PullRequests != 1 {
		t.Fatalf("after import: %d issues, %d pull requests; want 6 and 1", first.Issues, first.PullRequests)
	}
	if first.IssuesByRepo["example-org/engine"] != 4 || first.IssuesByRepo["other/cpp-engine"] != 2 {
		t.Fatalf("by repo: %v", first.IssuesByRepo)
	}
	out := mustRun(t, "--db", db, "import", "--json", "testdata/issues.json")
	var res []struct {
		Inserted, Updated, Unchanged int
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res[0].Inserted != 0 || res[0].Updated != 0 || res[0].Unchanged != 5 {
		t.Fatalf("re-import: %+v, want everything unchanged", res[0])
	}
	if again := status(t, db); again.Issues != first.Issues || again.PullRequests != first.PullRequests {
		t.Fatalf("re-import changed counts: %+v then %+v", first, again)
	}
}

func TestTruncatedFileFailsAndChangesNothing(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/other.jsonl")
	before := status(t, db)

	data, err := os.ReadFile("testdata/issues.json")
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.json")
	if err := os.WriteFile(truncated, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	// A good file before the bad one must not be stored either.
	_, errOut, code := run(t, "--db", db, "import", "testdata/issues.json", truncated)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitInvalid, errOut)
	}
	if !strings.Contains(errOut, "truncated.json:") || !strings.Contains(errOut, "byte ") {
		t.Fatalf("error should name the file and the byte offset: %s", errOut)
	}
	if after := status(t, db); after.Issues != before.Issues || after.PullRequests != before.PullRequests {
		t.Fatalf("failed import changed the database: %+v then %+v", before, after)
	}
}

func TestPipelineClassifyReportExportEval(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	mustRun(t, "--db", db, "classify")
	if s := status(t, db); s.Classifications["llm-serving-v1/rules"] != 6 {
		t.Fatalf("classifications: %v, want 6 issues labelled by rules (pull requests left out)", s.Classifications)
	}

	md := mustRun(t, "--db", db, "report")
	for _, want := range []string{
		"# Bug study", "## 1. Memory Management Issues", "### 1.1 Out-of-memory errors (`memory.oom`)",
		"[example-org/engine#101](https://github.com/example-org/engine/issues/101)",
		"## Root Cause Analysis", "## Severity Classification", "## Most Frequent Error Signatures",
		"`CUDA out of memory`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "<script>") {
		t.Error("report carries an issue title's HTML unescaped")
	}

	var rep struct {
		Totals struct {
			Issues int            `json:"issues"`
			ByRepo map[string]int `json:"by_repo"`
		} `json:"totals"`
		Categories []struct {
			ID            string         `json:"id"`
			Count         int            `json:"count"`
			ByRepo        map[string]int `json:"by_repo"`
			Subcategories []struct {
				ID       string `json:"id"`
				Count    int    `json:"count"`
				Examples []struct {
					ID, URL, Title, Evidence string
				} `json:"examples"`
			} `json:"subcategories"`
		} `json:"categories"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "report", "--format", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Issues != 6 || rep.Totals.ByRepo["other/cpp-engine"] != 2 {
		t.Fatalf("totals: %+v", rep.Totals)
	}
	found := false
	for _, c := range rep.Categories {
		for _, s := range c.Subcategories {
			if s.ID == "memory.oom" {
				found = s.Count == 1 && len(s.Examples) == 1 && s.Examples[0].ID == "example-org/engine#101" &&
					strings.Contains(s.Examples[0].Evidence, "out of memory")
			}
			if s.Count > 0 && len(s.Examples) == 0 {
				t.Errorf("subcategory %s has bugs but no example", s.ID)
			}
		}
	}
	if !found {
		t.Errorf("report JSON lacks the OOM example with its evidence: %+v", rep.Categories)
	}

	csv := mustRun(t, "--db", db, "report", "--format", "csv", "--repo", "other/cpp-engine")
	if !strings.HasPrefix(csv, "section,dimension,group,id,name,repo,count,base,share,lift,estimate,lo,hi,method,statistic,p,p_adjusted\n") ||
		!strings.Contains(csv, "totals,,,issues,Issues,all,2,2,1.0000,") {
		t.Errorf("csv with --repo filter:\n%s", csv)
	}

	export := mustRun(t, "--db", db, "export", "--format", "jsonl")
	lines := strings.Split(strings.TrimSpace(export), "\n")
	if len(lines) != 6 {
		t.Fatalf("export has %d lines, want 6:\n%s", len(lines), export)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "kind", "category", "root_cause", "severity", "patterns", "confidence"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("export record lacks %q: %s", k, lines[0])
		}
	}

	var ev struct {
		Common     int `json:"common"`
		Dimensions []struct {
			Dimension string   `json:"dimension"`
			Level     string   `json:"level"`
			N         int      `json:"n"`
			Accuracy  *float64 `json:"accuracy"`
		} `json:"dimensions"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "eval", "--gold", "testdata/gold.jsonl", "--json")), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Common != 6 {
		t.Fatalf("eval scored %d issues, want 6", ev.Common)
	}
	for _, d := range ev.Dimensions {
		if d.Dimension == "kind" && (d.Accuracy == nil || *d.Accuracy < 0.99) {
			t.Errorf("kind accuracy on the fixtures = %v, want 1", d.Accuracy)
		}
		if d.Dimension == "category" && d.Level == "value" && d.N != 4 {
			t.Errorf("category scored on %d issues, want the 4 gold bugs", d.N)
		}
	}
	// The exported labels scored against themselves agree perfectly.
	exported := filepath.Join(t.TempDir(), "labels.jsonl")
	mustRun(t, "--db", db, "export", "-o", exported)
	text := mustRun(t, "--db", db, "eval", "--gold", exported)
	if !strings.Contains(text, "6 issues scored") {
		t.Errorf("eval text output:\n%s", text)
	}
}

func TestShowPrintsEvidenceAndSignals(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	mustRun(t, "--db", db, "classify")
	out := mustRun(t, "--db", db, "show", "example-org/engine#101")
	for _, want := range []string{"CUDA out of memory", "category", "memory.oom", "evidence:", "signals:", "A100"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if _, _, code := run(t, "--db", db, "show", "example-org/engine#999"); code != exitNotFound {
		t.Errorf("show of a missing issue: exit %d, want %d", code, exitNotFound)
	}
	if _, _, code := run(t, "--db", db, "show", "not-a-ref"); code != exitUsage {
		t.Errorf("show of a bad reference: exit %d, want %d", code, exitUsage)
	}
}

func TestStudyWritesAllFormats(t *testing.T) {
	db := tempDB(t)
	dir := filepath.Join(t.TempDir(), "out")
	out := mustRun(t, "--db", db, "study", "-o", dir, "testdata/issues.json", "testdata/other.jsonl")
	for _, name := range []string{"report.md", "report.json", "report.csv", "labels.jsonl"} {
		path := filepath.Join(dir, name)
		if !strings.Contains(out, path) {
			t.Errorf("study did not print %s:\n%s", path, out)
		}
		if st, err := os.Stat(path); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", path, err)
		}
	}
}

func TestTaxonomyCommand(t *testing.T) {
	out := mustRun(t, "taxonomy")
	for _, want := range []string{"llm-serving-v1", "memory.oom", "§1.1", "state_management", "P0", "radix_attention"} {
		if !strings.Contains(out, want) {
			t.Errorf("taxonomy lacks %q", want)
		}
	}
	out = mustRun(t, "taxonomy", "--name", "first-look-2025")
	for _, want := range []string{"silent_error", "any number of values", "incompatible_backend", "io_processing"} {
		if !strings.Contains(out, want) {
			t.Errorf("first-look taxonomy lacks %q", want)
		}
	}
	if _, _, code := run(t, "taxonomy", "--name", "nope"); code != exitUsage {
		t.Errorf("unknown taxonomy: exit %d, want %d", code, exitUsage)
	}
}

func TestFirstLookTaxonomyClassifies(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	mustRun(t, "--db", db, "--taxonomy", "first-look-2025", "classify")
	md := mustRun(t, "--db", db, "--taxonomy", "first-look-2025", "report")
	for _, want := range []string{"Crash", "Root Cause Analysis"} {
		if !strings.Contains(md, want) {
			t.Errorf("first-look report lacks %q", want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"report", "--format", "pdf"},
		{"report", "--since", "yesterday"},
		{"report", "--state", "half-open"},
		{"import"},
		{"classify", "--repo", "no-slash"},
		{"eval"},
		{"nosuchcommand"},
	} {
		if _, errOut, code := run(t, append([]string{"--db", tempDB(t)}, args...)...); code != exitUsage && code != exitFailure {
			t.Errorf("bugscope %v: exit %d (%s), want a usage error", args, code, errOut)
		}
	}
	if _, _, code := run(t, "--db", tempDB(t), "report", "--format", "pdf"); code != exitUsage {
		t.Errorf("bad --format: exit %d, want %d", code, exitUsage)
	}
}
