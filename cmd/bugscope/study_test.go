package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
	"github.com/bugscope/bugscope/tui"
)

// studyKeyMsg is the message a terminal sends for a key.
func studyKeyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// studyHotkey is the key of a value in a dimension's list: digits, then
// letters, in the taxonomy's order.
func studyHotkey(t *testing.T, tax *taxonomy.Taxonomy, dim, value string) string {
	t.Helper()
	for i, v := range tax.Dimension(dim).AllValues() {
		if v.ID == value {
			return string("123456789abcdefghijklmnopqrstuvwxyz"[i])
		}
	}
	t.Fatalf("%s has no value %s", dim, value)
	return ""
}

// studyLabelKeys are the keystrokes that give an issue these labels: 1 opens
// the kind list, and each choice opens the next dimension that wants an
// answer; the patterns list takes toggles and enter.
func studyLabelKeys(t *testing.T, tax *taxonomy.Taxonomy, l bugscope.Labels) []string {
	keys := []string{"1", studyHotkey(t, tax, "kind", l.One("kind"))}
	if l.One("kind") != "bug" {
		return keys
	}
	for _, d := range []string{"category", "root_cause", "severity"} {
		keys = append(keys, studyHotkey(t, tax, d, l.One(d)))
	}
	for _, p := range l["patterns"] {
		keys = append(keys, studyHotkey(t, tax, "patterns", p))
	}
	return append(keys, "enter")
}

func studyBug(cat, rc, sev string, patterns ...string) bugscope.Labels {
	l := bugscope.Labels{"kind": {"bug"}, "category": {cat}, "root_cause": {rc}, "severity": {sev}}
	if len(patterns) > 0 {
		l["patterns"] = patterns
	}
	return l
}

func studyKind(k string) bugscope.Labels { return bugscope.Labels{"kind": {k}} }

// openStudyService opens the study service as the commands do.
func openStudyService(t *testing.T, db string) *study.Service {
	t.Helper()
	d, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	return study.New(d, tax)
}

func studySend(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		tm.Send(studyKeyMsg(k))
	}
}

func studyWaitFor(t *testing.T, tm *teatest.TestModel, what string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(what)) },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// TestStudyWorkflowEndToEnd drives the whole study: a sample, two raters
// in the annotation interface (one of them quitting and resuming), the
// agreement, the arbitration (interface and file), and the export of the
// benchmark, whose file it then checks and scores with eval.
func TestStudyWorkflowEndToEnd(t *testing.T) {
	db := tempDB(t)
	dir := t.TempDir()
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	mustRun(t, "--db", db, "classify")
	out := mustRun(t, "--db", db, "sample", "--name", "e2e", "--seed", "11", "--state", "all")
	if !strings.Contains(out, "n0 = 384.15") || !strings.Contains(out, "example-org/engine") {
		t.Fatalf("sample output:\n%s", out)
	}
	svc := openStudyService(t, db)
	tax := svc.Tax
	ctx := context.Background()
	items, err := svc.RaterItems(ctx, "e2e", "ann", 0)
	if err != nil || len(items) != 6 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	ref := func(i int) bugscope.IssueRef { return items[i].Issue }

	ann := []bugscope.Labels{
		studyBug("memory.oom", "resource_constraints", "P1"),
		studyKind("feature"),
		studyBug("concurrency.deadlock", "concurrency", "P0", "continuous_batching"),
		studyKind("question"),
		nil, // left out
		studyBug("gpu.cuda_error", "integration", "P2", "platform"),
	}
	bob := []bugscope.Labels{
		studyBug("memory.oom", "resource_constraints", "P1"),
		studyKind("feature"),
		studyBug("concurrency.deadlock", "state_management", "P1", "continuous_batching"),
		studyKind("question"),
		studyBug("build.install", "integration", "P2"),
		studyBug("gpu.cuda_error", "integration", "P2", "platform", "cpp_memory"),
	}

	// Rater ann: the first three issues, asking for the suggestion on the
	// first, a note on it; then quits.
	m, err := tui.NewAnnotator(ctx, svc, tui.AnnotateOptions{Sample: "e2e", Rater: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	var first []byte
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		first = append(first, b...)
		return bytes.Contains(first, []byte(ref(0).String()))
	}, teatest.WithDuration(10*time.Second))
	if bytes.Contains(first, []byte("suggestion —")) {
		t.Fatal("the suggestion is shown before it is asked for")
	}
	studySend(tm, "s")
	studyWaitFor(t, tm, "suggestion —")
	studySend(tm, "esc", "n")
	tm.Type("OOM at start-up")
	studySend(tm, "enter")
	for i := 0; i < 3; i++ {
		studySend(tm, studyLabelKeys(t, tax, ann[i])...)
		studySend(tm, "enter")
	}
	studyWaitFor(t, tm, "3 answered")
	studySend(tm, "q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*tui.Annotator)
	if done, total := fm.Progress(); done != 3 || total != 6 || fm.Saved() != 3 {
		t.Fatalf("after the first session: %d of %d answered, %d saved", done, total, fm.Saved())
	}

	// Resumed: it opens at the first unanswered issue.
	m, err = tui.NewAnnotator(ctx, svc, tui.AnnotateOptions{Sample: "e2e", Rater: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.View(), ref(3).String()) {
		t.Fatalf("the resumed session does not open %s:\n%s", ref(3), m.View())
	}
	tm = teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	studySend(tm, studyLabelKeys(t, tax, ann[3])...)
	studySend(tm, "c", "enter") // confidence low
	studySend(tm, "x", "1", "enter")
	studySend(tm, studyLabelKeys(t, tax, ann[5])...)
	studySend(tm, "enter")
	studyWaitFor(t, tm, "all done")
	studySend(tm, "q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))

	// Rater bob, in one go.
	m, err = tui.NewAnnotator(ctx, svc, tui.AnnotateOptions{Sample: "e2e", Rater: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	tm = teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	for i := range bob {
		studySend(tm, studyLabelKeys(t, tax, bob[i])...)
		studySend(tm, "enter")
	}
	studyWaitFor(t, tm, "all done")
	studySend(tm, "q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))

	// What was stored: every answer with rater, time and source.
	hist, err := svc.Store.Annotations(ctx, "e2e", study.AnnotationQuery{History: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 12 {
		t.Fatalf("%d answers stored, want 12", len(hist))
	}
	latest := map[string]map[bugscope.IssueRef]study.Annotation{"ann": {}, "bob": {}}
	for _, a := range hist {
		latest[a.Rater][a.Issue] = a
		if a.CreatedAt.IsZero() || !strings.HasPrefix(a.Source, "tui") {
			t.Errorf("answer %d: time %v, source %q", a.ID, a.CreatedAt, a.Source)
		}
	}
	a0 := latest["ann"][ref(0)]
	if a0.Note != "OOM at start-up" || a0.Source != "tui+suggestion" || a0.Confidence != "high" {
		t.Errorf("ann's first answer: %+v", a0)
	}
	if a := latest["ann"][ref(3)]; a.Confidence != "low" {
		t.Errorf("ann's fourth answer: confidence %q", a.Confidence)
	}
	if a := latest["ann"][ref(4)]; a.ExcludeReason != study.ExcludeReasons()[0] || len(a.Labels) != 0 {
		t.Errorf("ann's exclusion: %+v", a)
	}
	for i := range ann {
		if ann[i] != nil && !studySameLabels(latest["ann"][ref(i)].Labels, ann[i]) {
			t.Errorf("ann on %s: %v, typed %v", ref(i), latest["ann"][ref(i)].Labels, ann[i])
		}
		if !studySameLabels(latest["bob"][ref(i)].Labels, bob[i]) {
			t.Errorf("bob on %s: %v, typed %v", ref(i), latest["bob"][ref(i)].Labels, bob[i])
		}
	}

	// Agreement, as the command prints it, equals metrics.Compare on the
	// issues both labelled.
	var ag study.Agreement
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "agreement", "--sample", "e2e", "--json")), &ag); err != nil {
		t.Fatal(err)
	}
	a, b := map[bugscope.IssueRef]bugscope.Labels{}, map[bugscope.IssueRef]bugscope.Labels{}
	for i := range items {
		if ann[i] != nil {
			a[ref(i)], b[ref(i)] = ann[i], bob[i]
		}
	}
	cmp := metrics.Compare(tax, a, b)
	if ag.Scored != 5 || ag.Inclusion.Split != 1 || len(ag.Dimensions) != len(cmp.Dimensions) {
		t.Fatalf("agreement: scored %d, inclusion %+v, %d rows", ag.Scored, ag.Inclusion, len(ag.Dimensions))
	}
	for i, row := range cmp.Dimensions {
		if g := ag.Dimensions[i]; g.Dimension != row.Dimension || !studySameFloat(g.Kappa, row.Kappa) || !studySameFloat(g.Raw, row.Accuracy) {
			t.Errorf("%s/%s: kappa %v raw %v; Compare %v %v", row.Dimension, row.Level, g.Kappa, g.Raw, row.Kappa, row.Accuracy)
		}
	}
	text := mustRun(t, "--db", db, "agreement", "--sample", "e2e", "--disagreements")
	for _, want := range []string{"severity", "quadratic", ref(2).String() + "  root_cause", study.ExclusionDimension} {
		if !strings.Contains(text, want) {
			t.Errorf("agreement output lacks %q:\n%s", want, text)
		}
	}
	if _, errOut, code := run(t, "--db", db, "export", "--sample", "e2e", "-o", filepath.Join(dir, "early.jsonl")); code != exitConflict ||
		!strings.Contains(errOut, "3 items with a disagreement") {
		t.Fatalf("export before arbitration: exit %d, %s", code, errOut)
	}

	// Arbitration: the first disagreement in the interface (take ann's
	// answer), the other two from a file.
	arb, err := tui.NewArbiter(ctx, svc, tui.ArbitrateOptions{Sample: "e2e", Arbitrator: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	tm = teatest.NewTestModel(t, arb, teatest.WithInitialTermSize(120, 40))
	studyWaitFor(t, tm, "differ on root_cause, severity")
	studySend(tm, "t", "1", "enter")
	studyWaitFor(t, tm, "1 of 3 settled")
	studySend(tm, "q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	decisions := filepath.Join(dir, "decisions.jsonl")
	if err := os.WriteFile(decisions, []byte(
		`{"id": "`+ref(4).String()+`", "x_excluded": "too little information to label"}`+"\n"+
			`{"id": "`+ref(5).String()+`", "kind": "bug", "category": "gpu.cuda_error", "root_cause": "integration", "severity": "P2", "patterns": ["platform", "cpp_memory"], "note": "the segfault is in native code"}`+"\n"),
		0o644); err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, "--db", db, "arbitrate", "--sample", "e2e", "--rater", "carol", "--from", decisions)
	if !strings.Contains(out, "2 decisions of carol stored") || !strings.Contains(out, "3 of 3 disagreements settled") {
		t.Fatalf("arbitrate --from:\n%s", out)
	}

	// Export, and check the file.
	data := filepath.Join(dir, "e2e.jsonl")
	mustRun(t, "--db", db, "export", "--sample", "e2e", "-o", data)
	recs, err := labelrec.ReadFile(data, tax)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 {
		t.Fatalf("%d records", len(recs))
	}
	want := []struct {
		labels     bugscope.Labels
		provenance string
		excluded   string
	}{
		{ann[0], "agreed by ann, bob", ""},
		{ann[1], "agreed by ann, bob", ""},
		{ann[2], "arbitrated by carol", ""},
		{ann[3], "agreed by ann, bob", ""},
		{bugscope.Labels{}, "arbitrated by carol", "too little information to label"},
		{bob[5], "arbitrated by carol", ""},
	}
	for i, r := range recs {
		w := want[i]
		if r.Issue != ref(i) || !studySameLabels(r.Labels, w.labels) {
			t.Errorf("record %d: %s %v, want %s %v", i, r.Issue, r.Labels, ref(i), w.labels)
		}
		var prov, excl string
		json.Unmarshal(r.Extra["x_provenance"], &prov)
		json.Unmarshal(r.Extra["x_excluded"], &excl)
		if prov != w.provenance || excl != w.excluded {
			t.Errorf("record %d: provenance %q excluded %q, want %q %q", i, prov, excl, w.provenance, w.excluded)
		}
		var raters map[string]map[string]any
		if err := json.Unmarshal(r.Extra["x_raters"], &raters); err != nil || len(raters) != 2 {
			t.Errorf("record %d: raters %s (%v)", i, r.Extra["x_raters"], err)
		}
		if _, ok := r.Extra["url"]; !ok {
			t.Errorf("record %d has no url", i)
		}
	}
	if recs[3].Confidence != "low" || recs[5].Note != "the segfault is in native code" {
		t.Errorf("confidence %q, note %q", recs[3].Confidence, recs[5].Note)
	}
	card, err := os.ReadFile(filepath.Join(dir, "e2e.jsonl.card.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"# Data card: e2e", "seed 11", "| ann | 6 | 1 |", "carol (3 decisions)", "### half 2", "quadratic-weighted"} {
		if !bytes.Contains(card, []byte(w)) {
			t.Errorf("the card lacks %q:\n%s", w, card)
		}
	}
	var cj study.Card
	b2, err := os.ReadFile(filepath.Join(dir, "e2e.jsonl.card.json"))
	if err != nil || json.Unmarshal(b2, &cj) != nil || cj.Items.Included != 5 || cj.Params.Seed != 11 {
		t.Fatalf("card json: %v %+v", err, cj.Items)
	}
	// The benchmark scores a classifier.
	if out := mustRun(t, "--db", db, "eval", "--gold", data); !strings.Contains(out, "issues scored") {
		t.Errorf("eval against the benchmark:\n%s", out)
	}
	csvOut := mustRun(t, "--db", db, "export", "--sample", "e2e", "--format", "csv")
	if lines := strings.Count(csvOut, "\n"); lines != 7 || !strings.HasPrefix(csvOut, "id,repo,number,url,title") {
		t.Errorf("csv: %d lines\n%s", lines, csvOut)
	}
	// A CSV export beside the JSON Lines one writes its own card and
	// leaves the other's alone.
	mustRun(t, "--db", db, "export", "--sample", "e2e", "--format", "csv", "-o", filepath.Join(dir, "e2e.csv"))
	for file, data := range map[string]string{"e2e.jsonl.card.json": "e2e.jsonl", "e2e.csv.card.json": "e2e.csv"} {
		var c study.Card
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || json.Unmarshal(b, &c) != nil || c.DataFile != data {
			t.Errorf("%s: describes %q (%v), want %s", file, c.DataFile, err, data)
		}
	}
}

// studySameFloat compares a figure read back from JSON (6 decimals) with one
// computed here.
func studySameFloat(a, b metrics.Float) bool {
	if !a.Defined() || !b.Defined() {
		return a.Defined() == b.Defined()
	}
	return math.Abs(float64(a-b)) < 5e-7
}

// studySameLabels compares labels, the values of a multi-valued dimension as a set.
func studySameLabels(a, b bugscope.Labels) bool {
	norm := func(l bugscope.Labels) bugscope.Labels {
		out := bugscope.Labels{}
		for k, v := range l {
			if len(v) > 0 {
				s := append([]string(nil), v...)
				sort.Strings(s)
				out[k] = s
			}
		}
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
