package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// classify labels only what changed, says what it skipped and why, and
// --all labels everything; a label made before an import changed its
// issue is flagged stale by show and report until classify runs again.
func TestClassifyIncrementalAndStale(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	out := mustRun(t, "--db", db, "classify")
	if !strings.Contains(out, "classified 4 issues") || !strings.Contains(out, "labelled: 4 new") || !strings.Contains(out, "skipped 0") {
		t.Fatalf("first classify:\n%s", out)
	}
	out = mustRun(t, "--db", db, "classify")
	if !strings.Contains(out, "classified 0 issues") || !strings.Contains(out, "labelled: none; skipped 4 (current") {
		t.Fatalf("classify with nothing changed:\n%s", out)
	}

	// A newer copy of #102 with another title.
	changed := filepath.Join(t.TempDir(), "changed.json")
	if err := os.WriteFile(changed, []byte(`[{"number": 102, "title": "Garbage output with FP8 after the upgrade",
		"body": "It prints ??? after v0.7.", "state": "open", "created_at": "2025-01-11T08:00:00Z",
		"updated_at": "2026-01-01T00:00:00Z", "html_url": "https://github.com/example-org/engine/issues/102"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--db", db, "import", changed)
	if out := mustRun(t, "--db", db, "show", "example-org/engine#102"); !strings.Contains(out, "STALE") {
		t.Errorf("show of a changed issue does not say its labels are stale:\n%s", out)
	}
	if out := mustRun(t, "--db", db, "show", "example-org/engine#101"); strings.Contains(out, "STALE") {
		t.Errorf("show of an unchanged issue says stale:\n%s", out)
	}
	rep := filepath.Join(t.TempDir(), "report.md")
	_, errOut, code := run(t, "--db", db, "report", "-o", rep)
	md, _ := os.ReadFile(rep)
	if code != 0 || !strings.Contains(errOut, "1 of the 4 labelled issues have stale labels") || !strings.Contains(string(md), "have stale labels") {
		t.Errorf("report with a stale label: exit %d, stderr %s\n%s", code, errOut, md)
	}

	out = mustRun(t, "--db", db, "classify")
	if !strings.Contains(out, "classified 1 issues") || !strings.Contains(out, "labelled: 1 changed since labelled") || !strings.Contains(out, "skipped 3") {
		t.Fatalf("classify after the change:\n%s", out)
	}
	if out := mustRun(t, "--db", db, "show", "example-org/engine#102"); strings.Contains(out, "STALE") {
		t.Errorf("still stale after classify:\n%s", out)
	}
	if _, errOut, _ := run(t, "--db", db, "report", "-o", rep); strings.Contains(errOut, "stale") {
		t.Errorf("report warns after classify: %s", errOut)
	}
	out = mustRun(t, "--db", db, "classify", "--all")
	if !strings.Contains(out, "classified 4 issues") || !strings.Contains(out, "4 current, labelled again (--all)") {
		t.Fatalf("classify --all:\n%s", out)
	}
}
