package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/ensemble"
	"github.com/bugscope/bugscope/taxonomy"
)

// The labelling loop: sample --strategy draws the issues that would teach
// the classifier most and records the strategy; report --sample refuses to
// correct shares with such a sample; review --correct makes a review
// sample of the queue's head (issues the model learned from last), whose
// answers train --sample learns from.
func TestLabellingLoop(t *testing.T) {
	db := tempDB(t)
	dump, gold := learnFixture(t, 120, 80)
	mustRun(t, "--db", db, "import", "--repo", "o/engine", dump)
	model := filepath.Join(t.TempDir(), "model.json.gz")
	mustRun(t, "--db", db, "-q", "train", "--gold", gold, "--cv", "3", "-o", model)
	mustRun(t, "--db", db, "-q", "classify", "--model", model)

	var sm struct {
		Params struct {
			Strategy string `json:"strategy"`
			Ranked   string `json:"ranked_by"`
		} `json:"params"`
		Items []sampleItem `json:"items"`
	}
	out := mustRun(t, "--db", db, "-q", "sample", "--name", "loop", "--strategy", "uncertain", "--size", "5", "--seed", "3", "--json")
	if err := json.Unmarshal([]byte(out), &sm); err != nil {
		t.Fatal(err)
	}
	if sm.Params.Strategy != "uncertain" || sm.Params.Ranked != "ensemble" || len(sm.Items) != 5 {
		t.Errorf("sample --strategy uncertain: %+v", sm)
	}
	text := mustRun(t, "--db", db, "sample", "show", "loop")
	if !strings.Contains(text, "strategy uncertain") || !strings.Contains(text, "NOT a random sample") {
		t.Errorf("sample show does not say the strategy:\n%s", text)
	}
	if _, errOut, code := run(t, "--db", db, "sample", "--name", "x", "--strategy", "greedy", "--size", "2"); code != 2 || !strings.Contains(errOut, "--strategy") {
		t.Errorf("an unknown strategy: exit %d, %s", code, errOut)
	}

	// Answers on the loop's sample: a report will not correct with them.
	labels := filepath.Join(t.TempDir(), "answers.jsonl")
	writeAnswers(t, labels, sm.Items)
	mustRun(t, "--db", db, "-q", "labels", "import", labels, "--sample", "loop", "--rater", "alice")
	_, errOut, code := run(t, "--db", db, "report", "--sample", "loop")
	if code != 3 || !strings.Contains(errOut, "not at random") || !strings.Contains(errOut, "--gold-not-random") {
		t.Errorf("report --sample of a strategy sample: exit %d, %s", code, errOut)
	}
	if _, errOut, code := run(t, "--db", db, "report", "--sample", "loop", "--gold-not-random"); code != 0 {
		t.Errorf("report --sample --gold-not-random: exit %d, %s", code, errOut)
	}

	// Its data card says it is not a random sample.
	dir := t.TempDir()
	mustRun(t, "--db", db, "-q", "export", "--sample", "loop", "-o", filepath.Join(dir, "loop.jsonl"))
	cards, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	if len(cards) != 1 {
		t.Fatalf("export wrote cards %v", cards)
	}
	if card, _ := os.ReadFile(cards[0]); !strings.Contains(string(card), "**Not a random sample.**") || !strings.Contains(string(card), "strategy's top 5 issues") {
		t.Errorf("the data card of a strategy sample:\n%s", card)
	}

	// review --correct: without a terminal the sample is stored and the
	// way to answer it said.
	out = mustRun(t, "--db", db, "review", "--correct", "rev", "--rater", "bob", "--limit", "6")
	if !strings.Contains(out, "review sample rev stored") || !strings.Contains(out, "labels import") {
		t.Errorf("review --correct: %s", out)
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "-q", "sample", "show", "rev", "--items", "--json")), &sm); err != nil {
		t.Fatal(err)
	}
	if len(sm.Items) != 6 || sm.Params.Strategy != "disagree" {
		t.Fatalf("review sample: %+v", sm)
	}
	for _, it := range sm.Items {
		if it.Issue.Number < 1080 {
			t.Errorf("the review sample has %s, which the model learned from, while unlabelled issues remain", it.Issue)
		}
	}
	corrections := filepath.Join(t.TempDir(), "corrections.jsonl")
	writeAnswers(t, corrections, sm.Items)
	mustRun(t, "--db", db, "-q", "labels", "import", corrections, "--sample", "rev", "--rater", "bob")
	model2 := filepath.Join(t.TempDir(), "model2.json.gz")
	mustRun(t, "--db", db, "-q", "train", "--gold", gold, "--sample", "rev", "--cv", "0", "-o", model2)
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	m, err := ensemble.Load(model2, tax)
	if err != nil {
		t.Fatal(err)
	}
	if tr := m.Learned.Training; tr.Examples != 86 || len(tr.Gold) != 2 || tr.Gold[1] != "sample rev" {
		t.Errorf("trained on %d labels from %v, want 86 from the gold file and sample rev", tr.Examples, tr.Gold)
	}
	// An issue labelled in the gold file and in a sample is refused.
	if _, errOut, code := run(t, "--db", db, "train", "--gold", gold, "--sample", "loop", "--sample", "rev", "--cv", "0", "-o", model2); code != 3 || !strings.Contains(errOut, "give each issue once") {
		t.Errorf("overlapping labels: exit %d %s", code, errOut)
	}
}

type sampleItem struct {
	Issue bugscope.IssueRef `json:"issue"`
}

// writeAnswers writes a complete label record (a feature request) for
// each item.
func writeAnswers(t *testing.T, path string, items []sampleItem) {
	t.Helper()
	var b strings.Builder
	for _, it := range items {
		fmt.Fprintf(&b, `{"id": %q, "kind": "feature", "confidence": "high"}`+"\n", it.Issue.String())
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
