package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bugscope/bugscope/importer"
	"github.com/bugscope/bugscope/sqlite"
)

// writeDump writes n issues of acme/engine, numbered from first, each
// with a body of about bodySize bytes, as a JSON array one object a line;
// bad, when not empty, replaces the title of the issue numbered badAt.
func writeDump(t testing.TB, path string, first, n, bodySize, badAt int, bad string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	body := strings.Repeat("CUDA out of memory on the A100 with vLLM 0.6.3, traceback follows. ", bodySize/60+1)[:bodySize]
	w.WriteString("[\n")
	for i := first; i < first+n; i++ {
		title := fmt.Sprintf("%q", fmt.Sprintf("issue %d", i))
		if i == badAt && bad != "" {
			title = bad
		}
		fmt.Fprintf(w, `{"number": %d, "title": %s, "body": %q, "state": "open", "labels": [{"name": "bug"}], "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z", "html_url": "https://github.com/acme/engine/issues/%d"}`, i, title, body, i)
		if i < first+n-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	w.WriteString("]\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// A file of about 200 MB broken near its end (a bad field in its last
// object but two, or cut short) is read and stored in one pass, then rolled
// back: the database is exactly as it was, and the error names the file,
// the line, the column and the field.
func TestImportLargeBrokenFileChangesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: writes and imports a 200 MB file")
	}
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	small := filepath.Join(dir, "small.json")
	writeDump(t, small, 1, 10, 100, 0, "")
	if _, err := ImportFiles(ctx, db, []string{small}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	snapshot := func() string {
		_, rows, err := db.Rows(ctx, `SELECT COUNT(*), COALESCE(SUM(length(body)), 0), group_concat(title) FROM issues`)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(rows)
	}
	before := snapshot()

	const n, bodySize = 10000, 20000 // about 200 MB
	big := filepath.Join(dir, "big.json")
	writeDump(t, big, 5, n, bodySize, 5+n-3, `["not", "a", "title"]`)
	if fi, err := os.Stat(big); err != nil || fi.Size() < 190<<20 {
		t.Fatalf("the big file: %v, %v", fi.Size(), err)
	}
	_, err = ImportFiles(ctx, db, []string{small, big}, ImportOptions{})
	var e *importer.Error
	if !errors.As(err, &e) || e.File != big || e.Line != n-1 || e.Field != "title" || e.Object != n-3 || e.Column < 10 {
		t.Fatalf("error %v (%#v), want one naming %s, line %d, object %d and field title", err, e, big, n-1, n-3)
	}
	if after := snapshot(); after != before {
		t.Fatalf("the failed import changed the database: %s, then %s", before, after)
	}

	// Cut short near its end.
	writeDump(t, big, 5, n, bodySize, 0, "")
	fi, _ := os.Stat(big)
	if err := os.Truncate(big, fi.Size()-5000); err != nil {
		t.Fatal(err)
	}
	_, err = ImportFiles(ctx, db, []string{big}, ImportOptions{})
	if !errors.As(err, &e) || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "data ends too early") || e.Offset != fi.Size()-5000 {
		t.Fatalf("truncated: %v, want data ending too early at byte %d", err, fi.Size()-5000)
	}
	if after := snapshot(); after != before {
		t.Fatalf("the truncated import changed the database: %s, then %s", before, after)
	}
}
