package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A dump scraped by another study (dates without times, numbers as
// strings) imports every object.
func TestImportScrapedDump(t *testing.T) {
	db := tempDB(t)
	out := mustRun(t, "--db", db, "import", filepath.Join("..", "..", "importer", "testdata", "scraped.json"))
	if s := status(t, db); s.Issues != 12 {
		t.Fatalf("%d issues stored, want all 12:\n%s", s.Issues, out)
	}
	if show := mustRun(t, "--db", db, "show", "acme/engine#2100"); !strings.Contains(show, "opened 2023-11-01, closed 2023-12-01") {
		t.Errorf("show:\n%s", show)
	}
}

// A file with several bad objects names them all, up to 20, exits 3, and
// changes nothing.
func TestImportListsEveryError(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	before := status(t, db)
	var objs []string
	for i := 1; i <= 23; i++ {
		created := "2025-01-01"
		if i%3 == 0 {
			created = "last week"
		}
		objs = append(objs, fmt.Sprintf(`{"number": %d, "title": "t %d", "created_at": %q, "html_url": "https://github.com/acme/new/issues/%d"}`, i, i, created, i))
	}
	objs = append(objs, `{"number": "seven", "title": "t", "html_url": "https://github.com/acme/new/issues/7"}`)
	file := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(file, []byte("[\n"+strings.Join(objs, ",\n")+"\n]\n"), 0o644)
	_, errOut, code := run(t, "--db", db, "import", file)
	if code != exitInvalid {
		t.Fatalf("exit %d, want %d: %s", code, exitInvalid, errOut)
	}
	if !strings.Contains(errOut, "8 errors") || strings.Count(errOut, `field "created_at": "last week"`) != 7 || !strings.Contains(errOut, `(byte `) ||
		!strings.Contains(errOut, `object 23): field "number"`) {
		t.Errorf("stderr does not list every error:\n%s", errOut)
	}
	if after := status(t, db); after.Issues != before.Issues || after.IssuesByRepo["acme/new"] != 0 {
		t.Errorf("a failed import changed the database: %+v, then %+v", before, after)
	}
}
