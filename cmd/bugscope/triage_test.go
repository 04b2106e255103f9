package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/testshared"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
	"github.com/bugscope/bugscope/triage"
)

func TestTriageInitWritesAWorkingConfig(t *testing.T) {
	out := mustRun(t, "triage", "init")
	if !strings.Contains(out, "mode: shadow") || !strings.Contains(out, "# ") {
		t.Fatalf("init:\n%s", out)
	}
	cfg := filepath.Join(t.TempDir(), "triage.yaml")
	if err := os.WriteFile(cfg, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	mustRun(t, "--db", db, "classify")
	got := mustRun(t, "--db", db, "triage", "--config", cfg, "example-org/engine#101")
	for _, want := range []string{"example-org/engine#101", "memory.oom", "CUDA out of memory", "mode shadow", "triage: out of memory", "shadow"} {
		if !strings.Contains(got, want) {
			t.Errorf("triage lacks %q:\n%s", want, got)
		}
	}
}

func TestTriageCommand(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	// Not classified yet: triage classifies what it needs.
	var ds []triage.Decision
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "triage", "https://github.com/example-org/engine/issues/101", "--json")), &ds); err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Issue.Number != 101 || len(ds[0].Proposed) == 0 || len(ds[0].Proposed[0].Evidence) == 0 {
		t.Fatalf("decisions %+v", ds)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"triage"}, exitUsage},
		{[]string{"triage", "--new", "example-org/engine#101"}, exitUsage},
		{[]string{"triage", "--repo", "example-org/engine", "example-org/engine#101"}, exitUsage},
		{[]string{"triage", "example-org/engine#999"}, exitNotFound},
		{[]string{"triage", "--config", "missing.yaml", "example-org/engine#101"}, exitNotFound},
		{[]string{"triage", "check"}, exitUsage},
		{[]string{"triage", "--new", "--repo", "nobody/here"}, exitNotFound},
	} {
		if _, errOut, code := run(t, append([]string{"--db", db}, tc.args...)...); code != tc.code {
			t.Errorf("%q: exit %d, want %d (%s)", tc.args, code, tc.code, errOut)
		}
	}
	// --new: everything the first time, nothing when nothing changed.
	var first, second []triage.Decision
	json.Unmarshal([]byte(mustRun(t, "--db", db, "triage", "--new", "--json")), &first)
	json.Unmarshal([]byte(mustRun(t, "--db", db, "triage", "--new", "--json")), &second)
	if len(first) != 4 || len(second) != 0 {
		t.Errorf("--new triaged %d then %d, want 4 issues then none", len(first), len(second))
	}
	out := mustRun(t, "--db", db, "triage", "status")
	if !strings.Contains(out, "4 issues triaged") || !strings.Contains(out, "go-live check: none yet") {
		t.Errorf("status:\n%s", out)
	}
}

func TestListFilters(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	mustRun(t, "--db", db, "classify")
	var all []listed
	json.Unmarshal([]byte(mustRun(t, "--db", db, "list", "--json", "--sort", "number", "--asc")), &all)
	if len(all) != 4 || all[0].Issue.Number != 101 || all[3].Issue.Number != 104 {
		t.Fatalf("list %+v", all)
	}
	for _, tc := range []struct {
		args []string
		want []int
	}{
		{[]string{"--kind", "bug", "--category", "memory"}, []int{101}},
		{[]string{"--kind", "feature"}, []int{102}},
		{[]string{"--state", "open", "--sort", "number"}, []int{103, 102}},
		{[]string{"--search", "context length"}, []int{104}},
		{[]string{"--engine", "engine", "--label", "bug"}, []int{101}},
		{[]string{"--min-confidence", "0.99"}, nil},
		{[]string{"-L", "1", "--sort", "number"}, []int{104}},
	} {
		var got []listed
		if err := json.Unmarshal([]byte(mustRun(t, append([]string{"--db", db, "list", "--json"}, tc.args...)...)), &got); err != nil {
			t.Fatal(err)
		}
		var nums []int
		for _, r := range got {
			nums = append(nums, r.Issue.Number)
		}
		if len(nums) != len(tc.want) || len(nums) > 0 && nums[0] != tc.want[0] {
			t.Errorf("list %q: %v, want %v", tc.args, nums, tc.want)
		}
	}
	out := mustRun(t, "--db", db, "list", "--kind", "bug")
	if !strings.Contains(out, "example-org/engine#101") || !strings.Contains(out, "memory.oom") || strings.Contains(out, "<script>") && !strings.Contains(out, "alert") {
		t.Errorf("table:\n%s", out)
	}
	for _, args := range [][]string{{"--kind", "bugs"}, {"--category", "nope"}, {"--sort", "stars"}, {"--min-confidence", "2"}} {
		if _, _, code := run(t, append([]string{"--db", db, "list"}, args...)...); code != exitUsage {
			t.Errorf("list %q: exit %d, want %d", args, code, exitUsage)
		}
	}
	if _, _, code := run(t, "--db", db, "list", "--engine", "nothing"); code != exitNotFound {
		t.Errorf("unknown engine: exit %d", code)
	}
}

// On the real issues: triage of a vLLM issue prints its labels with
// evidence and a similar issue that shares its error signature; the
// go-live check on the held-out labels prints every label's precision
// and verdict.
func TestTriageSharedData(t *testing.T) {
	files := testshared.DataFiles(t)
	random := testshared.RandomGold(t)
	db := tempDB(t)
	mustRun(t, append([]string{"--db", db, "import"}, files...)...)
	mustRun(t, "--db", db, "classify")

	// A vLLM issue whose error signature an earlier vLLM issue shares.
	d, err := sqlite.OpenWith(context.Background(), db, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_, rows, err := d.Rows(context.Background(), `SELECT i.number, s.value FROM signals s JOIN issues i ON i.id = s.issue_id
		WHERE i.repo = 'vllm-project/vllm' AND s.kind = 'error_signature' AND EXISTS (
		  SELECT 1 FROM signals s2 JOIN issues j ON j.id = s2.issue_id WHERE j.repo = i.repo AND j.number < i.number AND s2.kind = s.kind AND s2.value = s.value)
		ORDER BY i.number DESC LIMIT 1`)
	d.Close()
	if err != nil || len(rows) == 0 {
		t.Fatalf("no vLLM issue shares an error signature: %v", err)
	}
	ref := "vllm-project/vllm#" + strings.TrimSpace(jsonString(rows[0][0]))
	sig := jsonString(rows[0][1])
	out := mustRun(t, "--db", db, "triage", ref)
	t.Logf("bugscope triage %s:\n%s", ref, out)
	for _, want := range []string{ref, "kind", "category", "severity", "similar past issues:", "error signature: " + sig} {
		if !strings.Contains(out, want) {
			t.Errorf("triage %s lacks %q", ref, want)
		}
	}
	if !strings.Contains(out, `matched`) && !strings.Contains(out, `: "`) {
		t.Errorf("no quoted evidence")
	}

	out = mustRun(t, "--db", db, "triage", "check", "--gold", random)
	t.Logf("bugscope triage check --gold random-300.jsonl:\n%s", out)
	for _, want := range []string{"precision", "recall", "kind=bug", "300 hand-labelled issues", "labels pass the bar"} {
		if !strings.Contains(out, want) {
			t.Errorf("check lacks %q", want)
		}
	}
	if !strings.Contains(out, "GO LIVE") && !strings.Contains(out, "stays shadow") {
		t.Error("no verdict")
	}
	if st := mustRun(t, "--db", db, "triage", "status"); !strings.Contains(st, "go-live check 1 of") {
		t.Errorf("status does not show the check:\n%s", st)
	}
}

func jsonString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// The gate never measures a learned classifier on the hand labels it
// learned from: on the model file's out-of-fold predictions of them (as a
// report is corrected, pipeline.GoldIndependent), or not at all.
func TestTriageCheckRefusesTrainingLabels(t *testing.T) {
	db := tempDB(t)
	dump, gold := learnFixture(t, 120, 80)
	mustRun(t, "--db", db, "import", "--repo", "o/engine", dump)
	bare := filepath.Join(t.TempDir(), "bare.json.gz")
	mustRun(t, "--db", db, "-q", "train", "--gold", gold, "--cv", "0", "-o", bare)
	mustRun(t, "--db", db, "-q", "classify", "--model", bare)
	_, errOut, code := run(t, "--db", db, "triage", "check", "--gold", gold)
	if code != exitInvalid || !strings.Contains(errOut, "used to train the model") || !strings.Contains(errOut, "train --cv K") {
		t.Errorf("check on training labels without out-of-fold predictions: exit %d, %s", code, errOut)
	}
	model := filepath.Join(t.TempDir(), "model.json.gz")
	mustRun(t, "--db", db, "-q", "train", "--gold", gold, "-o", model) // --cv 5
	mustRun(t, "--db", db, "-q", "classify", "--model", model)
	out, errOut, code := run(t, "--db", db, "triage", "check", "--gold", gold)
	if code != 0 || !strings.Contains(errOut, "80 of the hand labels were used to train the model: measured on its out-of-fold predictions") {
		t.Errorf("check on training labels with out-of-fold predictions: exit %d\n%s\n%s", code, out, errOut)
	}
	if out := mustRun(t, "--db", db, "triage", "check", "--gold", gold, "--classifier", "rules"); !strings.Contains(out, "classified by rules") {
		t.Errorf("rules: %s", out)
	}
}

// Maintainers' changes come out as label records that train reads.
func TestTriageFeedbackWritesLabelRecords(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	mustRun(t, "--db", db, "triage", "example-org/engine#101", "example-org/engine#103")
	d, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	ref := func(n int) bugscope.IssueRef { return bugscope.IssueRef{Repo: "example-org/engine", Number: n} }
	err = d.SaveFeedback(context.Background(), []triage.Feedback{
		{Issue: ref(101), DeliveryID: "x1", Action: triage.FeedbackRemoved, Label: "triage: out of memory", Dimension: "category", Value: "memory.oom", Actor: "m"},
		{Issue: ref(101), DeliveryID: "x2", Action: triage.FeedbackAdded, Label: "triage: memory leak", Dimension: "category", Value: "memory.leak", Actor: "m"},
		{Issue: ref(103), DeliveryID: "x3", Action: triage.FeedbackAdded, Label: "question", Dimension: "kind", Value: "question", Actor: "m"},
	})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "maintainers.jsonl")
	mustRun(t, "--db", db, "triage", "feedback", "-o", out)
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	recs, err := labelrec.ReadFile(out, tax)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Labels.One("category") != "memory.leak" || recs[1].Labels.One("kind") != "question" || len(recs[1].Labels["category"]) != 0 ||
		string(recs[0].Extra["rater"]) != `"maintainers"` {
		t.Fatalf("records %+v", recs)
	}
	// train takes them: complete labels.
	if _, errOut, code := run(t, "--db", db, "-q", "train", "--cv", "0", "--gold", out, "-o", filepath.Join(t.TempDir(), "m.json.gz")); code != exitOK {
		t.Errorf("train refused the records: exit %d, %s", code, errOut)
	}
}
