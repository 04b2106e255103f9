package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/ensemble"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/taxonomy"
)

func TestGoldFiles(t *testing.T) {
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.jsonl", `{"id": "o/r#1", "kind": "feature", "x_stratum": "o/r"}`+"\n"+`{"id": "o/s#2", "kind": "question"}`+"\n")
	b := write("b.jsonl", `{"id": "o/r#3", "kind": "docs", "x_stratum": "all"}`+"\n")
	g, err := GoldFiles([]string{a, b}, tax, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Labels) != 3 || g.Strata[bugscope.IssueRef{Repo: "o/r", Number: 1}] != "o/r" || g.Strata[bugscope.IssueRef{Repo: "o/r", Number: 3}] != "all" || !g.NotRandom {
		t.Errorf("%+v", g)
	}
	if _, ok := g.Strata[bugscope.IssueRef{Repo: "o/s", Number: 2}]; ok {
		t.Error("a record without x_stratum has one")
	}
	if _, err := GoldFiles([]string{a, a}, tax, false); err == nil || !strings.Contains(err.Error(), "labelled in") {
		t.Errorf("an issue in two files: %v", err)
	}
	bad := write("c.jsonl", `{"id": "o/r#4", "kind": "docs", "x_stratum": 3}`+"\n")
	if _, err := GoldFiles([]string{bad}, tax, false); err == nil || !strings.Contains(err.Error(), "c.jsonl") {
		t.Errorf("a numeric stratum: %v", err)
	}
}

// Labels of a learned model are corrected only with hand labels it did
// not learn from.
func TestCheckIndependent(t *testing.T) {
	m := &learn.Model{Training: learn.TrainingInfo{Examples: 2, DataHash: "sha256:0123456789abcdef", Issues: []string{"o/r#1", "o/r#2"}}}
	version := learn.ModelVersion(m)
	gold := func(refs ...int) *report.Gold {
		g := &report.Gold{Labels: map[bugscope.IssueRef]bugscope.Labels{}}
		for _, n := range refs {
			g.Labels[bugscope.IssueRef{Repo: "o/r", Number: n}] = bugscope.Labels{}
		}
		return g
	}
	for _, c := range []struct {
		name     string
		cls, ver string
		model    *learn.Model
		gold     *report.Gold
		wantErr  string
	}{
		{"rules need no model", "rules", "1", nil, gold(1), ""},
		{"independent", "model", version, m, gold(3, 4), ""},
		{"ensemble version", "ensemble", version + "+rules 1", m, gold(3), ""},
		{"no model file", "model", version, nil, gold(3), "--model FILE"},
		{"another model", "model", "v1+sha256:ffffffffffff", m, gold(3), "model version"},
		{"memorised", "ensemble", version, m, gold(2, 3), "1 of the hand labels (o/r#2, ...) were used to train"},
		{"old model file", "model", version, &learn.Model{Training: learn.TrainingInfo{Examples: 2, DataHash: m.Training.DataHash}}, gold(3), "does not list the issues"},
	} {
		err := CheckIndependent(c.cls, c.ver, c.model, c.gold)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: %v, want %q", c.name, err, c.wantErr)
		}
	}
}

// A model that learned from some of the hand labels can still be corrected
// with them when its file has their out-of-fold predictions: every one of
// them, for the classifier and model version whose labels are reported.
func TestCrossPredictions(t *testing.T) {
	lm := &learn.Model{Training: learn.TrainingInfo{Examples: 2, DataHash: "sha256:0123456789abcdef", Issues: []string{"o/r#1", "o/r#2"}}}
	m := ensemble.Wrap(lm)
	m.CrossPredictions = map[string]map[string]bugscope.Labels{
		"ensemble": {"o/r#1": {"kind": {"bug"}}, "o/r#2": {"kind": {"feature"}}},
		"model":    {"o/r#1": {"kind": {"docs"}}},
	}
	version := learn.ModelVersion(lm)
	gold := func(refs ...int) *report.Gold {
		g := &report.Gold{Labels: map[bugscope.IssueRef]bugscope.Labels{}}
		for _, n := range refs {
			g.Labels[bugscope.IssueRef{Repo: "o/r", Number: n}] = bugscope.Labels{}
		}
		return g
	}
	for _, c := range []struct {
		name     string
		cls, ver string
		model    *ensemble.Model
		gold     *report.Gold
		want     map[int]string // issue number: predicted kind
	}{
		{"every trained issue predicted", "ensemble", version + "+rules 1", m, gold(1, 2, 3), map[int]string{1: "bug", 2: "feature"}},
		{"the model's own", "model", version, m, gold(1, 3), map[int]string{1: "docs"}},
		{"one missing", "model", version, m, gold(1, 2), nil},
		{"another version", "ensemble", "v1+sha256:ffffffffffff", m, gold(1), nil},
		{"no overlap", "ensemble", version, m, gold(3), nil},
		{"no model", "ensemble", version, nil, gold(1), nil},
	} {
		got, ok := CrossPredictions(c.cls, c.ver, c.model, c.gold)
		if ok != (c.want != nil) || len(got) != len(c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, got, ok, c.want)
			continue
		}
		for n, kind := range c.want {
			if l := got[bugscope.IssueRef{Repo: "o/r", Number: n}]; l.One("kind") != kind {
				t.Errorf("%s: o/r#%d predicted %v, want %s", c.name, n, l, kind)
			}
		}
	}
}
