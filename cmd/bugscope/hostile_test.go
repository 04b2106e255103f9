package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bugscope/bugscope/internal/safetext/safetexttest"
	"github.com/bugscope/bugscope/taxonomy"
)

// hostileDump writes a dump of acme/engine whose titles, bodies and
// labels carry every payload of safetexttest, titles that are spreadsheet
// formulas, and html_url values that try to inject Markdown.
func hostileDump(t *testing.T) string {
	t.Helper()
	var body strings.Builder
	for _, p := range safetexttest.Payloads {
		fmt.Fprintf(&body, "torch.OutOfMemoryError: CUDA out of memory %s on an H100\n", p.Input)
	}
	var objs []map[string]any
	add := func(n int, title, url string) {
		objs = append(objs, map[string]any{
			"number": n, "title": title, "body": body.String(), "state": "closed",
			"labels":     []string{"bug", "label " + safetexttest.Line()},
			"created_at": "2025-03-01T00:00:00Z", "updated_at": "2025-03-02T00:00:00Z",
			"html_url": url,
		})
	}
	canon := func(n int) string { return fmt.Sprintf("https://github.com/acme/engine/issues/%d", n) }
	// The report shows three examples, highest numbers first among equals:
	// #99 (every payload in the title, a URL that injects an image), #98
	// and #97 (URLs on other hosts).
	add(99, "[Bug] "+safetexttest.Line()+" CUDA out of memory", canon(99)+"?x=)![x](https://evil.example/inj.png)")
	for i, host := range []string{"https://github.com.evil.example", "https://user:pass@github.com", "https://evil.example"} {
		n := 98 - i
		add(n, fmt.Sprintf("[Bug] CUDA out of memory %d", n), host+fmt.Sprintf("/acme/engine/issues/%d", n))
	}
	for i, f := range safetexttest.Formulas {
		add(1+i, f, canon(1+i))
	}
	b, err := json.Marshal(objs)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "hostile.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// checkPeople fails when an output for people (a terminal, a Markdown
// viewer) holds something a terminal would act on or a payload's marker.
func checkPeople(t *testing.T, what, out string, markdown bool) {
	t.Helper()
	if out == "" {
		t.Errorf("%s: no output", what)
	}
	if u := safetexttest.Unsafe(out, markdown); u != "" {
		t.Errorf("%s: %s", what, u)
	}
}

// checkJSON fails when JSON output holds raw controls (they must be \u
// escapes) or does not parse; it returns the text, decoded, for the
// caller to check that nothing was lost.
func checkJSON(t *testing.T, what, out string, lines bool) string {
	t.Helper()
	if c := safetexttest.Controls(out); c != "" {
		t.Errorf("%s: %s", what, c)
	}
	docs := []string{out}
	if lines {
		docs = strings.Split(strings.TrimSpace(out), "\n")
	}
	var all strings.Builder
	for _, d := range docs {
		var v any
		if err := json.Unmarshal([]byte(d), &v); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		b, _ := json.Marshal(v)
		var s string
		json.Unmarshal(b, &s) // a quick dump of every string: re-decode below
		all.WriteString(decodedStrings(v))
	}
	return all.String()
}

func decodedStrings(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteString(v + "\n")
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return b.String()
}

// checkCSV fails when a CSV output holds controls, a payload's marker, or
// a cell a spreadsheet would run.
func checkCSV(t *testing.T, what, out string) {
	t.Helper()
	checkPeople(t, what, out, false)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	number := regexp.MustCompile(`^[+-]?[0-9.]+([eE][+-]?[0-9]+)?$`)
	for _, row := range rows {
		for _, c := range row {
			rest := strings.TrimLeft(c, " \t\n")
			if c != "" && c[0] != '\'' && !number.MatchString(c) && (rest != "" && strings.ContainsRune("=+-@", rune(rest[0])) || c[0] == '\t') {
				t.Errorf("%s: cell %q would run as a formula", what, c)
			}
		}
	}
}

// checkLinks fails when Markdown links anywhere but to the issues of
// acme/engine on github.com.
func checkLinks(t *testing.T, what, md string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`(^|[^\\])\]\(([^)]*)\)`).FindAllStringSubmatch(md, -1) {
		if !regexp.MustCompile(`^https://github\.com/acme/engine/issues/[0-9]+$`).MatchString(m[2]) {
			t.Errorf("%s: link to %q", what, m[2])
		}
	}
	for _, bad := range []string{"pass@", "<img"} {
		if strings.Contains(md, bad) {
			t.Errorf("%s holds %q", what, bad)
		}
	}
}

// TestHostileTextInEveryOutput is the regression test of issue 15, item
// 1: text from strangers with C0 and C1 controls, escape sequences of
// every kind, bidirectional overrides, NUL, formula prefixes and Markdown
// and HTML breakers reaches no output raw. Outputs for people (report in
// Markdown, show, review, taxonomy, the data card, error messages) lose the
// controls; JSON keeps every character, escaped; CSV cells cannot run as
// formulas; Markdown links only to the issues.
func TestHostileTextInEveryOutput(t *testing.T) {
	db := tempDB(t)
	dump := hostileDump(t)
	checkPeople(t, "import", mustRun(t, "--db", db, "import", dump), false)
	mustRun(t, "--db", db, "classify")

	md := mustRun(t, "--db", db, "report")
	checkPeople(t, "report (Markdown)", md, true)
	checkLinks(t, "report (Markdown)", md)
	for _, n := range []string{"99", "98", "97"} {
		if !strings.Contains(md, "[acme/engine#"+n+"](https://github.com/acme/engine/issues/"+n+")") {
			t.Errorf("report does not link #%s to its issue:\n%s", n, md)
		}
	}
	// JSON keeps the text as stored (a NUL is stored as U+FFFD).
	stored := strings.ReplaceAll(safetexttest.Line(), "\x00", "\ufffd")
	js := checkJSON(t, "report --format json", mustRun(t, "--db", db, "report", "--format", "json"), false)
	if !strings.Contains(js, stored) {
		t.Error("report --format json lost text of the title")
	}
	checkCSV(t, "report --format csv", mustRun(t, "--db", db, "report", "--format", "csv"))

	dir := t.TempDir()
	out := filepath.Join(dir, "labels.jsonl")
	mustRun(t, "--db", db, "export", "-o", out)
	b, _ := os.ReadFile(out)
	checkJSON(t, "export", string(b), true)

	show := mustRun(t, "--db", db, "show", "acme/engine#99", "--body")
	checkPeople(t, "show --body", show, false)
	if !strings.Contains(show, "nulbyte") && !strings.Contains(show, "nul\ufffdbyte") {
		t.Errorf("show lost the text after a NUL:\n%s", show)
	}
	sj := checkJSON(t, "show --json --body", mustRun(t, "--db", db, "show", "--json", "--body", "acme/engine#99"), false)
	if !strings.Contains(sj, "nul\ufffdbyte") {
		t.Error("show --json: the NUL did not become U+FFFD with the text after it kept")
	}
	checkPeople(t, "review", mustRun(t, "--db", db, "review", "--limit", "0"), false)
	checkJSON(t, "review --json", mustRun(t, "--db", db, "review", "--json", "--limit", "0"), false)
	checkPeople(t, "status", mustRun(t, "--db", db, "status"), false)

	// The text after a NUL is seen by queries (SQLite's LIKE stops at a NUL).
	if q := mustRun(t, "--db", db, "sample", "--name", "q", "--query", "byte on an H100", "--dry-run"); !strings.Contains(q, "acme/engine") {
		t.Errorf("the query missed the text after a NUL:\n%s", q)
	}

	// The benchmark export of a sample, with a rater's note and exclusion
	// reason carrying the payloads.
	mustRun(t, "--db", db, "sample", "--name", "s", "--size", "10", "--seed", "1")
	var recs strings.Builder
	reason, _ := json.Marshal("dup \x1b[2J\x1b]0;pwned-title\x07 \u009b2J \u202eevil\u202c \x1b#8 =1+1")
	for _, n := range []int{1, 2, 3, 4, 5, 96, 97, 98, 99} {
		note, _ := json.Marshal("note " + safetexttest.Line())
		if n == 5 {
			fmt.Fprintf(&recs, `{"id": "acme/engine#%d", "kind": null, "x_excluded": %s}`+"\n", n, reason)
			continue
		}
		fmt.Fprintf(&recs, `{"id": "acme/engine#%d", "kind": "bug", "category": "memory.oom", "root_cause": "resource_constraints", "severity": "P1", "note": %s}`+"\n", n, note)
	}
	labels := filepath.Join(dir, "ann.jsonl")
	os.WriteFile(labels, []byte(recs.String()), 0o644)
	mustRun(t, "--db", db, "labels", "import", labels, "--sample", "s", "--rater", "ann", "--skip-outside")
	for _, format := range []string{"jsonl", "csv"} {
		data := filepath.Join(dir, "bench."+format)
		mustRun(t, "--db", db, "export", "--sample", "s", "--format", format, "-o", data)
		b, _ := os.ReadFile(data)
		if format == "jsonl" {
			if !strings.Contains(checkJSON(t, "export --sample", string(b), true), safetexttest.Line()) {
				t.Error("export --sample lost text of the note")
			}
		} else {
			checkCSV(t, "export --sample --format csv", string(b))
		}
		card, _ := os.ReadFile(data + ".card.md")
		checkPeople(t, "data card ("+format+")", string(card), true)
		cj, _ := os.ReadFile(data + ".card.json")
		checkJSON(t, "data card JSON", string(cj), false)
	}
	labelsOut := filepath.Join(dir, "ann-out.jsonl")
	mustRun(t, "--db", db, "labels", "export", "--sample", "s", "--rater", "ann", "-o", labelsOut)
	b, _ = os.ReadFile(labelsOut)
	checkJSON(t, "labels export", string(b), true)

	// A team's taxonomy file with hostile names and definitions.
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "taxonomy", "data", tax.Name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	hostileYAML := strconv.QuoteToASCII(safetexttest.Line()) // Go's escapes are YAML's too
	team := strings.Replace(string(src), "title: Production bug taxonomy for LLM serving engines", "title: "+hostileYAML, 1)
	team = strings.Replace(team, "    description: What sort of report it is.", "    description: "+hostileYAML, 1)
	teamFile := filepath.Join(dir, "team.yaml")
	os.WriteFile(teamFile, []byte(team), 0o644)
	tx := mustRun(t, "--taxonomy", teamFile, "taxonomy")
	checkPeople(t, "taxonomy of a team's file", tx, false)
	if !strings.Contains(tx, "HIDDEN") {
		t.Errorf("the team's title is not shown:\n%s", tx)
	}
	checkJSON(t, "taxonomy --json", mustRun(t, "--taxonomy", teamFile, "taxonomy", "--json"), false)

	// An error that echoes what a server said.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		msg, _ := json.Marshal(map[string]string{"message": "Not Found " + safetexttest.Line()})
		w.Write(msg)
	}))
	defer srv.Close()
	// Without -q the progress lines go to stderr too; the table to stdout.
	syncOut, errOut, code := run(t, "--db", tempDB(t), "sync", "--api-url", srv.URL, "acme/engine")
	if code == 0 || !strings.Contains(errOut, "Not Found") || !strings.Contains(syncOut, "failed: ") {
		t.Fatalf("sync against a 404: exit %d, %s", code, errOut)
	}
	checkPeople(t, "sync progress and error message", errOut, false)
	checkPeople(t, "sync table", syncOut, false)
}

// TestPrintErrorIsSafe checks the one place where errors reach the
// terminal.
func TestPrintErrorIsSafe(t *testing.T) {
	var b bytes.Buffer
	printError(&b, fmt.Errorf("bad value %s", safetexttest.Line()))
	checkPeople(t, "printError", b.String(), false)
}
