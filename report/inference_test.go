package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
)

// synth is a synthetic study for the tests of part 5's figures: three
// engines over eight quarters; vLLM's bugs are mostly memory bugs, the
// share of model bugs rises over time everywhere, and llama.cpp closes its
// bugs in days while the others take weeks.
func synth(seed uint64) []bugscope.Classified {
	rng := rand.New(rand.NewPCG(seed, 1))
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []bugscope.Classified
	n := 0
	for _, repo := range []string{vllm, llama, sgl} {
		for q := range 8 {
			for range 40 {
				n++
				created := start.AddDate(0, 3*q, rng.IntN(88))
				is := bugscope.Issue{Repo: repo, Number: n, Title: "t", CreatedAt: &created, State: "open", URL: "https://github.com/" + repo + "/issues/1"}
				days := 5 + rng.ExpFloat64()*30
				if repo == llama {
					days = 1 + rng.ExpFloat64()*3
				}
				if closed := created.Add(time.Duration(days * 24 * float64(time.Hour))); closed.Before(start.AddDate(2, 0, 0)) {
					is.ClosedAt, is.State = &closed, "closed"
				}
				l := bugscope.Labels{"kind": {"bug"}}
				switch {
				case rng.Float64() < 0.2:
					l = bugscope.Labels{"kind": {"feature"}}
				case rng.Float64() < 0.15+0.08*float64(q):
					l["category"] = []string{"model.inference"}
				case repo == vllm && rng.Float64() < 0.6:
					l["category"] = []string{"memory.oom"}
				case rng.Float64() < 0.5:
					l["category"] = []string{"api.request_handling"}
				default:
					l["category"] = []string{"build.install"}
				}
				if l.One("kind") == "bug" {
					l["root_cause"] = []string{[]string{"integration", "edge_case", "state_management"}[rng.IntN(3)]}
					l["severity"] = []string{[]string{"P1", "P2", "P2", "P3"}[rng.IntN(4)]}
				}
				out = append(out, bugscope.Classified{Issue: is, Classification: bugscope.Classification{Issue: is.Ref(), Labels: l, Confidence: 0.9}})
			}
		}
	}
	return out
}

func buildSynth(t *testing.T, opt Options) *Report {
	t.Helper()
	opt.Now = fixedNow
	opt.AsOf = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r, err := Build(llmTax(t), synth(3), opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// eachEstimate calls f with every estimate of the report's shares.
func eachEstimate(r *Report, f func(where string, c Count)) {
	for _, c := range r.Kinds.Values {
		f("kind", c)
	}
	for _, c := range r.Categories {
		f("category", c.Count)
		for _, s := range c.Subcategories {
			f("subcategory", s.Count)
		}
	}
	for _, c := range r.RootCauses.Values {
		f("root cause", c)
	}
	for _, c := range r.Severities.Values {
		f("severity", c)
	}
}

func checkEstimates(t *testing.T, r *Report, method string) {
	t.Helper()
	eachEstimate(r, func(where string, c Count) {
		e := c.Estimate
		if e == nil || e.Method != method || !(e.Lo <= e.Share && e.Share <= e.Hi) || e.Lo < 0 || e.Hi > 1 {
			t.Errorf("%s %s: estimate %+v", where, c.ID, e)
			return
		}
		if method == MethodWilson && e.Share != c.Share {
			t.Errorf("%s %s: Wilson share %v is not the raw share %v", where, c.ID, e.Share, c.Share)
		}
		for _, eng := range r.Engines {
			x, ok := c.EstimateByRepo[eng.Repo]
			if !ok || !(x.Lo <= x.Share && x.Share <= x.Hi) {
				t.Errorf("%s %s in %s: %+v", where, c.ID, eng.Repo, x)
			}
		}
	})
}

func TestEstimatesWithoutGold(t *testing.T) {
	r := buildSynth(t, Options{})
	checkEstimates(t, r, MethodWilson)
	if r.Estimation.Method != MethodWilson || len(r.Estimation.Warnings) == 0 || !strings.Contains(r.Estimation.Note, "sampling noise only") {
		t.Errorf("%+v", r.Estimation)
	}
	if !strings.Contains(strings.Join(r.Threats, " "), "no hand labels") {
		t.Errorf("threats: %q", r.Threats)
	}
}

// goldFor labels a random sample of the synthetic issues by hand: the
// truth is the classifier's label, except that a tenth of the memory bugs
// are really API bugs.
func goldFor(items []bugscope.Classified, perRepo int) *Gold {
	g := &Gold{Source: "test", Labels: map[bugscope.IssueRef]bugscope.Labels{}, Strata: map[bugscope.IssueRef]string{}}
	seen := map[string]int{}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, i := range rng.Perm(len(items)) {
		it := items[i]
		if seen[it.Issue.Repo] == perRepo {
			continue
		}
		seen[it.Issue.Repo]++
		l := bugscope.Labels{}
		for k, v := range it.Classification.Labels {
			l[k] = v
		}
		if l.One("category") == "memory.oom" && it.Issue.Number%10 == 0 {
			l["category"] = []string{"api.request_handling"}
		}
		g.Labels[it.Issue.Ref()] = l
		g.Strata[it.Issue.Ref()] = it.Issue.Repo
	}
	return g
}

func TestEstimatesWithGold(t *testing.T) {
	items := synth(3)
	g := goldFor(items, 60)
	g.Labels[bugscope.IssueRef{Repo: "other/repo", Number: 1}] = bugscope.Labels{"kind": {"question"}}
	r := buildSynth(t, Options{Gold: g})
	checkEstimates(t, r, MethodPPI)
	e := r.Estimation
	if e.Method != MethodPPI || e.Gold == nil || e.Gold.Used != 180 || e.Gold.Outside != 1 || !e.Gold.Corrected || len(e.Gold.Strata) != 3 {
		t.Fatalf("%+v %+v", e, e.Gold)
	}
	if !strings.Contains(strings.Join(e.Warnings, " "), "outside the reported population") {
		t.Errorf("no warning for the issue outside: %q", e.Warnings)
	}
	if len(e.Accuracy) == 0 {
		t.Error("no accuracy on the hand labels")
	}
	// Memory: the classifier's precision is below 1 (a tenth of its memory
	// bugs are API bugs), its recall 1.
	for _, c := range r.Categories {
		if c.ID == "memory" {
			a := c.LabelAccuracy
			if a == nil || a.Precision == nil || *a.Precision >= 1 || *a.Precision < 0.7 || a.Recall == nil || *a.Recall != 1 {
				t.Errorf("memory accuracy %+v", a)
			}
			if c.Estimate.Share >= c.Share {
				t.Errorf("the corrected memory share %v is not below the raw %v", c.Estimate.Share, c.Share)
			}
		}
	}
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"estimate": {`, `"method": "ppi"`, `"trends": {`, `"engine_comparison": [`, `"time_to_close": {`, `"label_accuracy"`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestGoldNotRandom(t *testing.T) {
	g := goldFor(synth(3), 20)
	g.NotRandom = true
	r := buildSynth(t, Options{Gold: g})
	checkEstimates(t, r, MethodWilson)
	if len(r.Estimation.Accuracy) == 0 || r.Estimation.Gold.Corrected || r.Categories[0].LabelAccuracy == nil {
		t.Errorf("accuracy not measured on non-random gold: %+v", r.Estimation)
	}
	if !strings.Contains(strings.Join(r.Estimation.Warnings, " "), "not a random sample") {
		t.Errorf("%q", r.Estimation.Warnings)
	}
}

// A stratum with no hand labels is named, and its part is uncorrected.
func TestGoldMissingStratum(t *testing.T) {
	items := synth(3)
	g := goldFor(items, 50)
	for ref := range g.Labels {
		if ref.Repo == sgl {
			delete(g.Labels, ref)
		}
	}
	r := buildSynth(t, Options{Gold: g})
	if !strings.Contains(strings.Join(r.Estimation.Warnings, " "), "Stratum "+sgl) {
		t.Errorf("%q", r.Estimation.Warnings)
	}
	checkEstimates(t, r, MethodPPI)
}

func TestTrendsComparisonsSurvival(t *testing.T) {
	r := buildSynth(t, Options{})
	tr := r.Trends
	if tr == nil || tr.Period != PeriodQuarter || len(tr.Periods) != 8 || tr.Partial != "" {
		t.Fatalf("%+v", tr)
	}
	// The share of model bugs rises: a significant Cochran–Armitage trend
	// over all engines, stated as a finding.
	found := false
	for _, s := range tr.Series {
		if s.Dimension == "category" && s.ID == "model" && s.Repo == "all" {
			found = true
			if s.ShareTrend == nil || !s.ShareTrend.Significant || s.ShareTrend.Slope <= 0 || s.ShareTrend.Interval.Lo <= 0 {
				t.Errorf("model share trend %+v", s.ShareTrend)
			}
			if s.ShareTrend.PAdjusted < s.ShareTrend.P {
				t.Errorf("adjusted p %v below p %v", s.ShareTrend.PAdjusted, s.ShareTrend.P)
			}
		}
	}
	if !found {
		t.Fatal("no model series")
	}
	var cat *Comparison
	for i := range r.EngineComparison {
		if r.EngineComparison[i].Dimension == "category" {
			cat = &r.EngineComparison[i]
		}
	}
	if cat == nil || !cat.Test.Significant || cat.CramersV <= 0 || len(cat.Pairwise) != 3 {
		t.Fatalf("category comparison %+v", cat)
	}
	// vLLM's memory cell stands out.
	for i, repo := range cat.Engines {
		for j, v := range cat.Values {
			if repo == vllm && v == "memory" && cat.Residuals[i][j] < 5 {
				t.Errorf("vLLM memory residual %v", cat.Residuals[i][j])
			}
		}
	}
	tc := r.TimeToClose
	if tc == nil || tc.Engines == nil || !tc.Engines.Significant || len(tc.ByRepo) != 3 || len(tc.ByCategory) == 0 {
		t.Fatalf("time to close %+v", tc)
	}
	for _, k := range tc.ByRepo {
		if k.Median == nil {
			t.Errorf("%s: no median", k.ID)
		} else if k.ID == llama && *k.Median > 5 {
			t.Errorf("llama.cpp median %v", *k.Median)
		}
	}
	text := strings.Join(r.KeyFindings, "\n")
	for _, want := range []string{"Model-Specific Bugs", "rose", "Cochran–Armitage", "log-rank", "Cramér's V", "95% CI"} {
		if !strings.Contains(text, want) {
			t.Errorf("key findings lack %q:\n%s", want, text)
		}
	}
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Key findings", "## Trends", "## Engines compared", "## Time to close", "## Threats to validity", "BH-adjusted"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"trends", "engine_comparison", "time_to_close", "key_findings", "threats_to_validity", "estimation"} {
		if back[k] == nil {
			t.Errorf("JSON lacks %s", k)
		}
	}
}

// With nothing significant the report states no finding.
func TestNoFindingsFromNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var items []bugscope.Classified
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cats := []string{"memory.oom", "api.request_handling", "build.install"}
	for i := range 300 {
		created := start.AddDate(0, 0, rng.IntN(360))
		is := bugscope.Issue{Repo: []string{vllm, llama}[i%2], Number: i + 1, CreatedAt: &created, State: "open"}
		l := bugscope.Labels{"kind": {"bug"}, "category": {cats[rng.IntN(3)]}, "root_cause": {"edge_case"}, "severity": {"P2"}}
		items = append(items, bugscope.Classified{Issue: is, Classification: bugscope.Classification{Issue: is.Ref(), Labels: l}})
	}
	r, err := Build(llmTax(t), items, Options{Now: fixedNow, AsOf: start.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.KeyFindings) != 0 {
		t.Errorf("findings from noise: %q", r.KeyFindings)
	}
	if _, err := Build(llmTax(t), items, Options{Period: "week"}); err == nil {
		t.Error("an unknown period is accepted")
	}
}
