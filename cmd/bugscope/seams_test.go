package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

// Commands that only read, and those that write to a database that must
// exist, fail on a missing one with exit 4 and leave no file behind: a
// typo in --db is not an empty database.
func TestMissingDatabaseIsNotCreated(t *testing.T) {
	gold := filepath.Join(t.TempDir(), "gold.jsonl")
	os.WriteFile(gold, []byte(`{"id": "o/r#1", "kind": "bug", "category": "memory.oom", "root_cause": "edge_case", "severity": "P1"}`+"\n"), 0o644)
	for _, args := range [][]string{
		{"show", "vllm-project/vllm#22"},
		{"status"},
		{"report"},
		{"export"},
		{"eval", "--gold", gold},
		{"review"},
		{"train", "--gold", gold, "--cv", "2"},
		{"sample", "list"},
		{"sample", "show", "s"},
		{"sample", "--name", "s", "--size", "2"},
		{"sample", "delete", "s"},
		{"agreement", "--sample", "s"},
		{"annotate", "--sample", "s", "--rater", "ann"},
		{"labels", "import", gold, "--sample", "s", "--rater", "ann"},
		{"labels", "export", "--sample", "s", "--rater", "ann"},
		{"arbitrate", "--sample", "s", "--list"},
		{"export", "--sample", "s", "-o", filepath.Join(t.TempDir(), "x.jsonl")},
		{"migrate"},
	} {
		db := filepath.Join(t.TempDir(), "missing.db")
		_, errOut, code := run(t, append([]string{"--db", db}, args...)...)
		if code != exitNotFound || !strings.Contains(errOut, "no database at "+db+" (create one with bugscope import or bugscope sync)") {
			t.Errorf("%v: exit %d, want %d naming the missing database; stderr: %s", args, code, exitNotFound, errOut)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("%v created %s", args, db)
		}
	}
}

// Input that fails creates no database: a malformed file (exit 3), a
// missing one (exit 4), a model that is not one.
func TestBadInputCreatesNoDatabase(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`[{"number": 1, "title": "x"`), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"import", bad}, exitInvalid, "bad.json:1"},
		{[]string{"import", "no-such-dump.json"}, exitNotFound, "no-such-dump.json"},
		{[]string{"import", "testdata/issues.json", "no-such-dump.json"}, exitNotFound, "no-such-dump.json"},
		{[]string{"study", "--no-sync", bad, "-o", t.TempDir()}, exitInvalid, "bad.json:1"},
		{[]string{"classify", "--model", bad}, exitInvalid, "bad.json"},
		{[]string{"classify", "--rules", "no-such-rules.yaml"}, exitNotFound, "no-such-rules.yaml"},
	} {
		db := filepath.Join(t.TempDir(), "new.db")
		_, errOut, code := run(t, append([]string{"--db", db}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, want %d with %q; stderr: %s", tc.args, code, tc.code, tc.msg, errOut)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("%v created the database", tc.args)
		}
	}
}

// storeLabels stores classifications by a named classifier directly, as
// an earlier `classify --model` would have.
func storeLabels(t *testing.T, db, classifier, version string, labels bugscope.Labels, refs ...bugscope.IssueRef) {
	t.Helper()
	d, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var cs []bugscope.Classification
	for _, r := range refs {
		cs = append(cs, bugscope.Classification{Issue: r, Taxonomy: taxonomy.Default, TaxonomyVersion: "1", Classifier: classifier,
			ClassifierVersion: version, Labels: labels, Confidence: 0.9})
	}
	if err := d.SaveClassifications(context.Background(), cs, nil); err != nil {
		t.Fatal(err)
	}
}

type reportJSON struct {
	Totals struct {
		Issues int            `json:"issues"`
		ByRepo map[string]int `json:"by_repo"`
	} `json:"totals"`
	Kinds struct {
		Values []struct {
			ID    string `json:"id"`
			Count int    `json:"count"`
		} `json:"values"`
	} `json:"kinds"`
	Coverage struct {
		InFilter    int `json:"in_filter"`
		Labelled    int `json:"labelled"`
		Classifiers []struct {
			Name   string `json:"name"`
			Issues int    `json:"issues"`
		} `json:"classifiers"`
		Missing []struct {
			Repo   string `json:"repo"`
			Reason string `json:"reason"`
		} `json:"missing_repos"`
		Complete bool `json:"complete"`
	} `json:"coverage"`
}

func readReport(t *testing.T, js string) reportJSON {
	t.Helper()
	var r reportJSON
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	return r
}

// The report covers every issue of its filter, each with the best
// classifier that labelled it, says how many each labelled, and warns
// about issues none labelled; study and report on one database agree.
func TestReportCoversEveryIssue(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	mustRun(t, "--db", db, "classify")
	// Two issues carry labels of the ensemble from an earlier run.
	storeLabels(t, db, "ensemble", "m1", bugscope.Labels{"kind": {"feature"}},
		bugscope.IssueRef{Repo: "example-org/engine", Number: 101}, bugscope.IssueRef{Repo: "example-org/engine", Number: 102})
	// New issues arrive and are not classified yet.
	mustRun(t, "--db", db, "import", "testdata/other.jsonl")

	out, errOut, code := run(t, "--db", db, "report", "--format", "json")
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	r := readReport(t, out)
	if r.Coverage.InFilter != 6 || r.Coverage.Labelled != 4 || r.Coverage.Complete || r.Totals.Issues != 4 {
		t.Errorf("coverage %+v, totals %d; want 4 of 6 labelled, incomplete", r.Coverage, r.Totals.Issues)
	}
	if cs := r.Coverage.Classifiers; len(cs) != 2 || cs[0].Name != "ensemble" || cs[0].Issues != 2 || cs[1].Name != "rules" || cs[1].Issues != 2 {
		t.Errorf("classifiers %+v; want ensemble 2, rules 2", cs)
	}
	if !strings.Contains(errOut, "2 of the 6 issues the filter selects are not labelled (2 of other/cpp-engine)") {
		t.Errorf("no warning on stderr: %s", errOut)
	}
	if md := mustRun(t, "--db", db, "report"); !strings.Contains(md, "Warning: the report is incomplete") || !strings.Contains(md, "`ensemble` version `m1` 2") {
		t.Errorf("the Markdown does not state its coverage:\n%s", md)
	}
	// --classifier reports one classifier's labels only.
	if r := readReport(t, mustRun(t, "--db", db, "-q", "report", "--format", "json", "--classifier", "rules")); r.Coverage.Labelled != 4 || len(r.Coverage.Classifiers) != 1 {
		t.Errorf("rules only: %+v", r.Coverage)
	}

	// classify labels the new issues; report and study then agree, the
	// ensemble's issues keeping its labels.
	mustRun(t, "--db", db, "classify")
	report := readReport(t, mustRun(t, "--db", db, "report", "--format", "json"))
	dir := t.TempDir()
	mustRun(t, "--db", db, "-q", "study", "--no-sync", "testdata/issues.json", "-o", dir)
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	studied := readReport(t, string(b))
	if !report.Coverage.Complete || report.Coverage.Labelled != 6 || !reflect.DeepEqual(report, studied) {
		t.Errorf("report and study differ:\nreport %+v\nstudy  %+v", report, studied)
	}
	features := 0
	for _, v := range report.Kinds.Values {
		if v.ID == "feature" {
			features = v.Count
		}
	}
	if features < 2 {
		t.Errorf("the ensemble's labels were not used: %d features", features)
	}
	labels, _ := os.ReadFile(filepath.Join(dir, "labels.jsonl"))
	if n := strings.Count(string(labels), `"x_classifier": "ensemble"`); n != 2 {
		t.Errorf("labels.jsonl has %d ensemble records, want 2:\n%s", n, labels)
	}
}

// A study whose repositories cannot all be mined finishes with the others,
// names the missing ones in the report and exits 5.
func TestStudyWithAMissingRepositoryIsPartial(t *testing.T) {
	srv := fakeGitHub(t)
	t.Setenv("GITHUB_TOKEN", "test-token")
	dir := t.TempDir()
	db := tempDB(t)
	out, errOut, code := run(t, "--db", db, "study", "--api-url", srv.URL, "--repo", "acme/engine", "--repo", "acme/gone", "-o", dir)
	if code != exitPartial {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitPartial, out, errOut)
	}
	if !strings.Contains(errOut, "could not mine acme/gone") || !strings.Contains(errOut, "the study is partial") {
		t.Errorf("stderr does not name the failure:\n%s", errOut)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "repository acme/gone is missing") {
		t.Errorf("the report does not name the missing repository:\n%s", md)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	r := readReport(t, string(b))
	if r.Totals.ByRepo["acme/engine"] == 0 || len(r.Coverage.Missing) != 1 || r.Coverage.Missing[0].Repo != "acme/gone" || r.Coverage.Complete {
		t.Errorf("report: totals %v, coverage %+v", r.Totals.ByRepo, r.Coverage)
	}
	// sync alone: partial too; every repository missing is its own kind.
	if _, _, code := run(t, "--db", db, "-q", "sync", "--api-url", srv.URL, "acme/engine", "acme/gone"); code != exitPartial {
		t.Errorf("sync of one good and one missing repository: exit %d, want %d", code, exitPartial)
	}
	if _, _, code := run(t, "--db", db, "-q", "sync", "--api-url", srv.URL, "acme/gone"); code != exitNotFound {
		t.Errorf("sync of a missing repository: exit %d, want %d", code, exitNotFound)
	}
}

// Every --json prints the domain types' own snake_case keys: every field
// of every value printed has a snake_case json tag (or is embedded).
// --jq filters the same JSON.
func TestJSONIsSnakeCase(t *testing.T) {
	db := tempDB(t)
	dir := t.TempDir()
	var printed []any
	runJSON := func(args ...string) string {
		t.Helper()
		out, errOut, code := runWith(t, func(a *app) { a.printed = func(v any) { printed = append(printed, v) } }, append([]string{"--db", db}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	runJSON("import", "--json", "testdata/issues.json", "testdata/other.jsonl")
	runJSON("classify", "--json")
	runJSON("status", "--json")
	runJSON("show", "--json", "example-org/engine#101")
	runJSON("eval", "--json", "--gold", "testdata/gold.jsonl")
	runJSON("review", "--json")
	runJSON("taxonomy", "--json")
	runJSON("version", "--json")
	runJSON("migrate", "--json")
	runJSON("study", "--json", "--no-sync", "testdata/issues.json", "-o", dir)
	runJSON("sample", "--json", "--name", "s", "--size", "2", "--seed", "1")
	runJSON("sample", "list", "--json")
	runJSON("sample", "show", "s", "--json", "--items")
	recs := filepath.Join(dir, "ann.jsonl")
	os.WriteFile(recs, []byte(`{"id": "example-org/engine#101", "kind": "feature"}`+"\n"+`{"id": "example-org/engine#102", "kind": "feature"}`+"\n"+
		`{"id": "example-org/engine#103", "kind": "feature"}`+"\n"+`{"id": "example-org/engine#104", "kind": "feature"}`+"\n"+
		`{"id": "other/cpp-engine#7", "kind": "feature"}`+"\n"+`{"id": "other/cpp-engine#8", "kind": "feature"}`+"\n"), 0o644)
	runJSON("labels", "import", recs, "--sample", "s", "--rater", "ann", "--skip-outside", "--json")
	runJSON("labels", "import", recs, "--sample", "s", "--rater", "bob", "--skip-outside", "--json")
	runJSON("agreement", "--sample", "s", "--json")
	runJSON("arbitrate", "--sample", "s", "--list", "--json")
	srv := fakeGitHub(t)
	t.Setenv("GITHUB_TOKEN", "test-token")
	runJSON("sync", "--json", "--api-url", srv.URL, "acme/other")
	if len(printed) != 18 {
		t.Fatalf("%d values printed as JSON, want one per command", len(printed))
	}
	for _, v := range printed {
		checkSnakeCase(t, reflect.TypeOf(v), reflect.TypeOf(v).String(), map[reflect.Type]bool{})
	}

	// --jq: strings raw, other values compact JSON, one a line.
	out := runJSON("show", "example-org/engine#101", "--jq", ".issue.repo, .issue.number, {n: .issue.number}")
	if out != "example-org/engine\n101\n{\"n\":101}\n" {
		t.Errorf("--jq output %q", out)
	}
	if _, errOut, code := run(t, "--db", db, "status", "--jq", ".issues |||"); code != exitUsage || !strings.Contains(errOut, "--jq") {
		t.Errorf("a bad --jq expression: exit %d %s", code, errOut)
	}
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// checkSnakeCase walks a type's exported fields: each must be embedded,
// left out (json:"-"), or named in snake_case.
func checkSnakeCase(t *testing.T, ty reflect.Type, path string, seen map[reflect.Type]bool) {
	t.Helper()
	for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Array || ty.Kind() == reflect.Map {
		ty = ty.Elem()
	}
	if ty.Kind() != reflect.Struct || seen[ty] || ty.PkgPath() == "time" {
		return
	}
	seen[ty] = true
	if ty.Implements(reflect.TypeFor[json.Marshaler]()) || reflect.PointerTo(ty).Implements(reflect.TypeFor[json.Marshaler]()) {
		return
	}
	for i := range ty.NumField() {
		f := ty.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
			continue
		case f.Anonymous && name == "":
		case !snakeCase.MatchString(name):
			t.Errorf("%s.%s: json key %q is not snake_case", path, f.Name, name)
		}
		checkSnakeCase(t, f.Type, path+"."+f.Name, seen)
	}
}

// Usage mistakes exit 2; each error kind has its exit code.
func TestExitCodes(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"shwo", "o/r#1"}, exitUsage, "did you mean show"},
		{[]string{"import"}, exitUsage, "requires at least 1 arg"},
		{[]string{"show"}, exitUsage, "accepts 1 arg"},
		{[]string{"show", "not-a-ref"}, exitUsage, "owner/repo#number"},
		{[]string{"labels", "frobnicate"}, exitUsage, `unknown command "frobnicate" for "bugscope labels"`},
		{[]string{"status", "--no-such-flag"}, exitUsage, "unknown flag"},
		{[]string{"show", "o/r#1"}, exitNotFound, "not found"},
	} {
		_, errOut, code := run(t, append([]string{"--db", db}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, want %d with %q; stderr: %s", tc.args, code, tc.code, tc.msg, errOut)
		}
	}
	if out := mustRun(t); !strings.Contains(out, "Exit codes: 0 success") {
		t.Errorf("bugscope without a command prints no help:\n%s", out)
	}
	for err, want := range map[error]int{
		nil:                                     exitOK,
		errors.New("boom"):                      exitFailure,
		usageError("bad"):                       exitUsage,
		bugscope.Errorf(bugscope.EInvalid, "x"): exitInvalid,
		fmt.Errorf("w: %w", bugscope.ErrNotFound):             exitNotFound,
		&partialErr{bugscope.Errorf(bugscope.ENotFound, "x")}: exitPartial,
		bugscope.Errorf(bugscope.EConflict, "x"):              exitConflict,
		bugscope.Errorf(bugscope.EUnavailable, "x"):           exitUnavailable,
		bugscope.Errorf(bugscope.EUnauthorized, "x"):          exitAuth,
		bugscope.Errorf(bugscope.EForbidden, "x"):             exitAuth,
		fmt.Errorf("read: %w", os.ErrNotExist):                exitNotFound,
		context.Canceled:                                      exitInterrupted,
		errInterrupted:                                        exitInterrupted,
	} {
		if got := exitCode(err); got != want {
			t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

// Names: an unknown --repo is an error listing the stored ones; issues are
// named by reference or address; the version names the build.
func TestNames(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	mustRun(t, "--db", db, "classify")
	for _, args := range [][]string{
		{"report", "--repo", "example-org/Engine"},
		{"export", "--repo", "vllm/vllm"},
		{"review", "--repo", "vllm/vllm"},
		{"classify", "--repo", "vllm/vllm"},
		{"sample", "--name", "x", "--repo", "vllm/vllm", "--size", "1"},
	} {
		_, errOut, code := run(t, append([]string{"--db", db}, args...)...)
		if code != exitNotFound || !strings.Contains(errOut, "in the database (it holds example-org/engine, other/cpp-engine)") {
			t.Errorf("%v: exit %d, want %d listing the stored repositories; stderr: %s", args, code, exitNotFound, errOut)
		}
	}
	if _, errOut, _ := run(t, "--db", db, "report", "--repo", "example-org/Engine"); !strings.Contains(errOut, "did you mean example-org/engine?") {
		t.Errorf("no suggestion: %s", errOut)
	}
	byRef := mustRun(t, "--db", db, "show", "example-org/engine#101")
	for _, arg := range []string{"https://github.com/example-org/engine/issues/101", "https://github.com/example-org/engine/issues/101#issuecomment-7"} {
		if out := mustRun(t, "--db", db, "show", arg); out != byRef {
			t.Errorf("show %s differs from show example-org/engine#101", arg)
		}
	}
	if !strings.Contains(byRef, ", no association\n") {
		t.Errorf("an author without association (NONE):\n%s", byRef)
	}
	if out := mustRun(t, "--db", db, "show", "example-org/engine#102"); !strings.Contains(out, ", author contributor\n") {
		t.Errorf("a contributor:\n%s", out)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out := mustRun(t, args...)
		if !strings.HasPrefix(out, "bugscope ") || !strings.Contains(out, "database schema "+fmt.Sprint(sqlite.LatestSchema())) {
			t.Errorf("%v: %q", args, out)
		}
	}
}

// A database the user may only read: commands that read work (they open
// it read-only and never migrate), commands that write fail with exit 7.
// The commands run as a real process, as a user other than root when the
// test runs as root (root may write any file).
func TestReadOnlyDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir, err := os.MkdirTemp("", "bugscope-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755); os.RemoveAll(dir) })
	db := filepath.Join(dir, "ro.db")
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	mustRun(t, "--db", db, "classify")
	dump := filepath.Join(dir, "other.jsonl")
	data, _ := os.ReadFile("testdata/other.jsonl")
	os.WriteFile(dump, data, 0o644)
	exe := filepath.Join(dir, "bugscope")
	data, _ = os.ReadFile(bin)
	os.WriteFile(exe, data, 0o755)
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		os.Chmod(f, 0o444)
	}
	os.Chmod(dir, 0o755)
	runAs := func(args ...string) (string, int) {
		cmd := exec.Command(exe, append([]string{"--db", db}, args...)...)
		if os.Geteuid() == 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	before, _ := os.ReadFile(db)
	for _, args := range [][]string{{"status"}, {"show", "example-org/engine#101"}, {"report"}, {"export"},
		{"eval", "--gold", filepath.Join(dir, "gold.jsonl")}} {
		if args[0] == "eval" {
			g, _ := os.ReadFile("testdata/gold.jsonl")
			os.WriteFile(args[2], g, 0o644)
		}
		if out, code := runAs(args...); code != 0 {
			t.Errorf("%v on a read-only database: exit %d\n%s", args, code, out)
		}
	}
	if out, code := runAs("import", dump); code != exitUnavailable || !strings.Contains(out, "cannot be written") {
		t.Errorf("import into a read-only database: exit %d, want %d\n%s", code, exitUnavailable, out)
	}
	if after, _ := os.ReadFile(db); string(after) != string(before) {
		t.Error("the read-only database changed")
	}
}

// A database with damaged pages fails at once, reading or writing, with
// exit 1 and a message that says so.
func TestDamagedDatabase(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	mustRun(t, "--db", db, "classify")
	f, err := os.OpenFile(db, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := []byte(strings.Repeat("\xde\xad\xbe\xef", 4096/4))
	for _, page := range []int64{2, 3, 4, 5} {
		f.WriteAt(junk, page*4096)
	}
	f.Close()
	for _, args := range [][]string{{"show", "example-org/engine#101"}, {"import", "testdata/issues.json"}, {"status"}} {
		_, errOut, code := run(t, append([]string{"--db", db}, args...)...)
		if code != exitFailure || !strings.Contains(errOut, "is damaged") {
			t.Errorf("%v: exit %d, want %d saying the database is damaged; stderr: %s", args, code, exitFailure, errOut)
		}
	}
}

// A database of an older bugscope: commands that read say which command
// migrates it (exit 6); bugscope migrate does.
func TestOldSchemaNamesMigrate(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	d, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	latest := sqlite.LatestSchema()
	if err := d.UndoLatestMigration(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, errOut, code := run(t, "--db", db, "status"); code != exitConflict || !strings.Contains(errOut, "run bugscope migrate --db "+db) {
		t.Fatalf("status on an old schema: exit %d, want %d naming bugscope migrate; stderr: %s", code, exitConflict, errOut)
	}
	if out := mustRun(t, "--db", db, "migrate"); !strings.Contains(out, fmt.Sprintf("schema version %d migrated to %d", latest-1, latest)) {
		t.Errorf("migrate: %s", out)
	}
	mustRun(t, "--db", db, "status")
}
