package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Two copies of an issue in one file: the newer wins wherever it stands,
// as across files, and the summary counts the duplicate.
func TestImportDuplicatesInOneFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "dups.json")
	doc := `[
{"number": 5, "title": "newer copy", "updated_at": "2025-03-02T00:00:00Z", "html_url": "https://github.com/acme/engine/issues/5"},
{"number": 6, "title": "other", "html_url": "https://github.com/acme/engine/issues/6"},
{"number": 5, "title": "older copy", "updated_at": "2025-03-01T00:00:00Z", "html_url": "https://github.com/acme/engine/issues/5"}
]`
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	db := tempDB(t)
	out := mustRun(t, "--db", db, "import", file)
	if !strings.Contains(out, "duplicates in file") || !regexp.MustCompile(`dups\.json\s+2\s+0\s+2\s+0\s+0\s+0\s+1\s`).MatchString(out) {
		t.Errorf("summary does not count one duplicate:\n%s", out)
	}
	if show := mustRun(t, "--db", db, "show", "acme/engine#5"); !strings.Contains(show, "newer copy") {
		t.Errorf("the older copy won:\n%s", show)
	}
	if js := mustRun(t, "--db", db, "import", "--json", file); !strings.Contains(js, `"duplicates_in_file": 1`) {
		t.Errorf("JSON summary: %s", js)
	}
}
