package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bugscope/bugscope/internal/testshared"
	"github.com/bugscope/bugscope/metrics"
)

// TestAgreementEqualsEvalOnRealData is the acceptance test of the study
// workflow on the real data: the hand labels of gold/dev.jsonl imported as
// one rater and the rule classifier's export as the other give, through
// bugscope agreement, the same figures as bugscope eval.
func TestAgreementEqualsEvalOnRealData(t *testing.T) {
	files, gold := testshared.DataFiles(t), testshared.Gold(t)
	if testing.Short() {
		t.Skip("slow: the real data")
	}
	db := tempDB(t)
	rules := filepath.Join(t.TempDir(), "rules.jsonl")
	mustRun(t, append([]string{"--db", db, "-q", "import"}, files...)...)
	mustRun(t, "--db", db, "-q", "classify")
	mustRun(t, "--db", db, "export", "--classifier", "rules", "-o", rules)
	out := mustRun(t, "--db", db, "sample", "--name", "dev", "--from-labels", gold)
	if !strings.Contains(out, "380 issues") {
		t.Fatalf("sample from the gold file:\n%s", out)
	}
	mustRun(t, "--db", db, "labels", "import", gold, "--sample", "dev", "--rater", "gold")
	out = mustRun(t, "--db", db, "labels", "import", rules, "--sample", "dev", "--rater", "rules", "--skip-outside")
	if !strings.Contains(out, "380 answers of rules stored") {
		t.Fatalf("import of the rules export:\n%s", out)
	}

	type row struct {
		Dimension string        `json:"dimension"`
		Level     string        `json:"level"`
		N         int           `json:"n"`
		Accuracy  metrics.Float `json:"accuracy"`
		Raw       metrics.Float `json:"raw"`
		Kappa     metrics.Float `json:"kappa"`
		Measure   string        `json:"kappa_measure"`
		Measure2  string        `json:"measure"`
		KappaCI   metrics.CI    `json:"kappa_ci"`
	}
	var ev struct {
		Common     int   `json:"common"`
		Dimensions []row `json:"dimensions"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "eval", "--gold", gold, "--classifier", "rules", "--json")), &ev); err != nil {
		t.Fatal(err)
	}
	var ag struct {
		Scored     int   `json:"scored"`
		Dimensions []row `json:"dimensions"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "agreement", "--sample", "dev", "--raters", "gold,rules", "--json")), &ag); err != nil {
		t.Fatal(err)
	}
	if ev.Common != 380 || ag.Scored != 380 || len(ev.Dimensions) != len(ag.Dimensions) || len(ev.Dimensions) == 0 {
		t.Fatalf("eval scored %d issues in %d rows, agreement %d in %d rows", ev.Common, len(ev.Dimensions), ag.Scored, len(ag.Dimensions))
	}
	for i, e := range ev.Dimensions {
		g := ag.Dimensions[i]
		if g.Dimension != e.Dimension || g.Level != e.Level || g.N != e.N || g.Kappa != e.Kappa || g.Raw != e.Accuracy ||
			g.Measure2 != e.Measure || g.KappaCI.Lo != e.KappaCI.Lo || g.KappaCI.Hi != e.KappaCI.Hi {
			t.Errorf("%s/%s: agreement n %d raw %v kappa %v (%s) %v..%v; eval n %d accuracy %v kappa %v (%s) %v..%v",
				e.Dimension, e.Level, g.N, g.Raw, g.Kappa, g.Measure2, g.KappaCI.Lo, g.KappaCI.Hi,
				e.N, e.Accuracy, e.Kappa, e.Measure, e.KappaCI.Lo, e.KappaCI.Hi)
		}
		t.Logf("%-12s %-5s n %3d  kappa %s (%s)  eval %s", e.Dimension, e.Level, g.N, g.Kappa, g.Measure2, e.Kappa)
	}
}
