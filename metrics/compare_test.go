package metrics

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func ref(n int) bugscope.IssueRef { return bugscope.IssueRef{Repo: "acme/engine", Number: n} }

func bug(cat, rc, sev string, patterns ...string) bugscope.Labels {
	l := bugscope.Labels{"kind": {"bug"}, "patterns": patterns}
	if cat != "" {
		l["category"] = []string{cat}
	}
	if rc != "" {
		l["root_cause"] = []string{rc}
	}
	if sev != "" {
		l["severity"] = []string{sev}
	}
	return l
}

func kind(k string) bugscope.Labels { return bugscope.Labels{"kind": {k}} }

// fixture is a small gold set (a) and a classifier's labels (b) on the
// default taxonomy; the comments say what each item exercises.
func fixture() (a, b map[bugscope.IssueRef]bugscope.Labels) {
	a = map[bugscope.IssueRef]bugscope.Labels{
		ref(1):  bug("memory.oom", "resource_constraints", "P1", "paged_attention"), // right group, wrong leaf
		ref(2):  bug("memory.leak", "state_management", "P0"),                       // severity one step off
		ref(3):  kind("feature"),                                                    // b calls it a bug: only kind is scored
		ref(4):  bug("gpu.cuda_error", "integration", "P2", "platform", "quantization"),
		ref(5):  kind("question"),
		ref(6):  bug("concurrency.race", "concurrency", "P1", "prefix_caching"),
		ref(7):  bug("api.protocol", "edge_case", "P3"), // b says feature: every bug dimension is (none)
		ref(8):  bug("", "", "P2"),                      // gold lacks a category: not scored there
		ref(9):  kind("bug"),                            // only in a
		ref(10): bug("build.install", "integration", "P3"),
		ref(11): bug("build.install", "integration", "P3"),
		ref(12): kind("docs"),
	}
	b = map[bugscope.IssueRef]bugscope.Labels{
		ref(1):   bug("memory.leak", "resource_constraints", "P1", "paged_attention"),
		ref(2):   bug("memory.leak", "state_management", "P1"),
		ref(3):   bug("other", "edge_case", "P3"),
		ref(4):   bug("gpu.cuda_error", "integration", "P2", "platform"),
		ref(5):   kind("question"),
		ref(6):   bug("concurrency.deadlock", "concurrency", "P0", "prefix_caching", "continuous_batching"),
		ref(7):   kind("feature"),
		ref(8):   bug("memory.oom", "", "P2"),
		ref(10):  bug("build.install", "integration", "P3"),
		ref(11):  bug("build.install", "integration", "P2"),
		ref(12):  kind("docs"),
		ref(100): kind("bug"), // only in b
	}
	return a, b
}

func defaultTaxonomy(t *testing.T) *taxonomy.Taxonomy {
	t.Helper()
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

func row(t *testing.T, c Comparison, dim, level string) DimensionScores {
	t.Helper()
	for _, d := range c.Dimensions {
		if d.Dimension == dim && d.Level == level {
			return d
		}
	}
	t.Fatalf("no row %s/%s", dim, level)
	return DimensionScores{}
}

func TestCompareRules(t *testing.T) {
	a, b := fixture()
	c := Compare(defaultTaxonomy(t), a, b)
	if c.Common != 11 || c.OnlyA != 1 || c.OnlyB != 1 {
		t.Errorf("common %d, only a %d, only b %d; want 11, 1, 1", c.Common, c.OnlyA, c.OnlyB)
	}
	var order []string
	for _, d := range c.Dimensions {
		order = append(order, d.Dimension+"/"+d.Level)
	}
	wantOrder := []string{"kind/value", "category/value", "category/group", "root_cause/value", "severity/value", "patterns/value"}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("rows %v, want %v", order, wantOrder)
	}

	tests := []struct {
		dim, level       string
		n, noA, noB      int
		accuracy         float64
		measure          string
		wantConfusionLen int
	}{
		// kind: all 11 common items; 3 (feature→bug) and 7 (bug→feature) wrong.
		{"kind", LevelValue, 11, 0, 0, 9.0 / 11, KappaCohen, 4},
		// category: a's 8 bugs less item 8 (no gold category) = 7; right on
		// 2, 4, 10, 11.
		{"category", LevelValue, 7, 1, 1, 4.0 / 7, KappaCohen, 8},
		// by group, 1 (memory) and 6 (concurrency) become right.
		{"category", LevelGroup, 7, 1, 1, 6.0 / 7, KappaCohen, 6},
		// root cause: 8 has none in a; 7 none in b.
		{"root_cause", LevelValue, 7, 1, 1, 6.0 / 7, KappaCohen, 6},
		// severity: all 8 bugs; wrong on 2, 6, 7, 11.
		{"severity", LevelValue, 8, 0, 1, 4.0 / 8, KappaQuadratic, 5},
		// patterns: all 8 bugs; sets differ on 4 and 6.
		{"patterns", LevelValue, 8, 0, 0, 6.0 / 8, KappaMeanPerLabel, 0},
	}
	for _, tt := range tests {
		t.Run(tt.dim+"/"+tt.level, func(t *testing.T) {
			d := row(t, c, tt.dim, tt.level)
			if d.N != tt.n || d.MissingA != tt.noA || d.MissingB != tt.noB {
				t.Errorf("n %d missing_a %d missing_b %d; want %d %d %d", d.N, d.MissingA, d.MissingB, tt.n, tt.noA, tt.noB)
			}
			if !near(float64(d.Accuracy), tt.accuracy, eps) {
				t.Errorf("accuracy %v, want %v", d.Accuracy, tt.accuracy)
			}
			if d.KappaMeasure != tt.measure {
				t.Errorf("kappa measure %q, want %q", d.KappaMeasure, tt.measure)
			}
			if d.Single != nil && len(d.Single.Confusion.Labels) != tt.wantConfusionLen {
				t.Errorf("confusion labels %v, want %d", d.Single.Confusion.Labels, tt.wantConfusionLen)
			}
		})
	}

	// (none) sits last in the matrix and is no class of its own.
	cat := row(t, c, "category", LevelValue).Single
	if l := cat.Confusion.Labels; l[len(l)-1] != None {
		t.Errorf("confusion labels %v: want %s last", l, None)
	}
	for _, cs := range cat.Classes {
		if cs.Class == None {
			t.Errorf("%s scored as a class", None)
		}
	}
	// Severity's headline is the quadratic kappa, cross-checked here
	// against WeightedKappa on the same pairs.
	sev := row(t, c, "severity", LevelValue)
	want := WeightedKappa(s("P1 P0 P1 P3 P2 P3 P3 P2"), s("P1 P1 P0 (none) P2 P3 P2 P2"), s("P0 P1 P2 P3"), Quadratic)
	if !near(float64(sev.Kappa), want, eps) || sev.Single.Weighted == nil || sev.Single.Weighted.Quadratic != sev.Kappa {
		t.Errorf("severity kappa %v, want %v", sev.Kappa, want)
	}
	if sev.Single.AlphaLevel != "ordinal" {
		t.Errorf("severity alpha level %q", sev.Single.AlphaLevel)
	}

	wantDis := []string{
		"acme/engine#1 category [memory.oom] [memory.leak]",
		"acme/engine#2 severity [P0] [P1]",
		"acme/engine#3 kind [feature] [bug]",
		"acme/engine#4 patterns [platform quantization] [platform]",
		"acme/engine#6 category [concurrency.race] [concurrency.deadlock]",
		"acme/engine#6 severity [P1] [P0]",
		"acme/engine#6 patterns [prefix_caching] [prefix_caching continuous_batching]",
		"acme/engine#7 kind [bug] [feature]",
		"acme/engine#7 category [api.protocol] []",
		"acme/engine#7 root_cause [edge_case] []",
		"acme/engine#7 severity [P3] []",
		"acme/engine#11 severity [P3] [P2]",
	}
	var gotDis []string
	for _, d := range c.Disagreements {
		gotDis = append(gotDis, strings.Join([]string{d.Item, d.Dimension, strings.Join(strings.Fields("["+strings.Join(d.A, " ")+"]"), " "), "[" + strings.Join(d.B, " ") + "]"}, " "))
	}
	if !reflect.DeepEqual(gotDis, wantDis) {
		t.Errorf("disagreements:\n%s\nwant:\n%s", strings.Join(gotDis, "\n"), strings.Join(wantDis, "\n"))
	}
}

func TestCompareGolden(t *testing.T) {
	a, b := fixture()
	tax := defaultTaxonomy(t)
	c := Compare(tax, a, b)
	js, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var txt bytes.Buffer
	if err := c.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	txt.WriteString("\n")
	if err := c.WriteDisagreements(&txt); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.golden.json", append(js, '\n'))
	golden(t, "compare.golden.txt", txt.Bytes())

	// Same input, same bytes: map order must not leak into the output.
	for i := 0; i < 5; i++ {
		again, _ := json.MarshalIndent(Compare(tax, a, b), "", "  ")
		if !bytes.Equal(again, js) {
			t.Fatal("Compare output differs between runs")
		}
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; run go test ./metrics -update and review the diff.\ngot:\n%s", path, got)
	}
}

func TestCompareDegenerate(t *testing.T) {
	tax := defaultTaxonomy(t)
	// Nothing in common: every row empty, figures undefined, JSON valid.
	c := Compare(tax, map[bugscope.IssueRef]bugscope.Labels{ref(1): kind("bug")}, map[bugscope.IssueRef]bugscope.Labels{ref(2): kind("bug")})
	if c.Common != 0 || len(c.Dimensions) != 6 {
		t.Fatalf("common %d, %d rows", c.Common, len(c.Dimensions))
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"accuracy":null`)) {
		t.Errorf("undefined accuracy not null: %s", js)
	}
	var back Comparison
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.Dimensions[0].Accuracy.Defined() {
		t.Errorf("null read back as %v", back.Dimensions[0].Accuracy)
	}
	if err := c.WriteText(&bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}

	// Full agreement on one kind: accuracy 1, kappa undefined (pe = 1).
	same := map[bugscope.IssueRef]bugscope.Labels{ref(1): kind("question"), ref(2): kind("question")}
	k := row(t, Compare(tax, same, same), "kind", LevelValue)
	if k.Accuracy != 1 || k.Kappa.Defined() {
		t.Errorf("accuracy %v kappa %v; want 1 and undefined", k.Accuracy, k.Kappa)
	}
}

func TestCompareOptions(t *testing.T) {
	a, b := fixture()
	c := CompareWith(defaultTaxonomy(t), a, b, CompareOptions{Bootstrap: BootstrapOptions{Resamples: -1}})
	for _, d := range c.Dimensions {
		if d.KappaCI.Defined() {
			t.Errorf("%s: interval %+v with bootstrap off", d.Dimension, d.KappaCI)
		}
	}
}

func TestFloatJSON(t *testing.T) {
	tests := []struct {
		in   Float
		want string
	}{
		{Float(math.NaN()), "null"},
		{Float(math.Inf(1)), "null"},
		{0.4000000000000001, "0.4"},
		{Float(2.0 / 3), "0.666667"},
		{-1e-9, "0"},
		{1, "1"},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", float64(tt.in), got, err, tt.want)
		}
	}
}
