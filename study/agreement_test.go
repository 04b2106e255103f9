package study_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// textbookSample stores n issues in a sample named "t" under the textbook
// taxonomy and returns the service.
func textbookSample(t *testing.T, n int) (*study.Service, []bugscope.IssueRef) {
	t.Helper()
	db := openDB(t, fixtureIssues("text/book", n))
	s := newService(t, db, textbookTax(t))
	refs := refsOf("text/book", n)
	sm, err := s.FromRefs("t", refs, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(context.Background(), sm, false); err != nil {
		t.Fatal(err)
	}
	return s, refs
}

// rate stores one rater's answers: values[i] is the answer on item i for
// dimension dim, "" for no answer.
func rate(t *testing.T, s *study.Service, refs []bugscope.IssueRef, rater string, dims []string, values []string) {
	t.Helper()
	var answers []study.Answer
	for i, v := range values {
		if v == "" || v == "." {
			continue
		}
		l := bugscope.Labels{}
		for _, d := range dims {
			l[d] = []string{v}
		}
		answers = append(answers, study.Answer{Issue: refs[i], Labels: l, Confidence: "high"})
	}
	if _, err := s.Annotate(context.Background(), "t", rater, answers, study.SourceCLI); err != nil {
		t.Fatal(err)
	}
}

func row(t *testing.T, ag *study.Agreement, dim, level string) study.DimAgreement {
	t.Helper()
	for _, d := range ag.Dimensions {
		if d.Dimension == dim && d.Level == level {
			return d
		}
	}
	t.Fatalf("no row %s/%s", dim, level)
	return study.DimAgreement{}
}

func near(got metrics.Float, want, tol float64) bool {
	return math.Abs(float64(got)-want) <= tol
}

func TestAgreementCohenTextbook(t *testing.T) {
	// Wikipedia, "Cohen's kappa", worked example: 50 grant proposals read
	// by two readers, 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no:
	// po = 0.7, pe = 0.5, κ = 0.4.
	s, refs := textbookSample(t, 50)
	var a, b []string
	for _, c := range []struct {
		x, y string
		n    int
	}{{"yes", "yes", 20}, {"yes", "no", 5}, {"no", "yes", 10}, {"no", "no", 15}} {
		for i := 0; i < c.n; i++ {
			a, b = append(a, c.x), append(b, c.y)
		}
	}
	rate(t, s, refs, "reader A", []string{"decision"}, a)
	rate(t, s, refs, "reader B", []string{"decision"}, b)
	ag, err := s.Agreement(context.Background(), "t", study.AgreementOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := row(t, ag, "decision", metrics.LevelValue)
	if r.N != 50 || !near(r.Raw, 0.7, 1e-12) || !near(r.Kappa, 0.4, 1e-12) || r.Measure != metrics.KappaCohen {
		t.Fatalf("decision: %+v", r)
	}
	if !r.KappaCI.Defined() || float64(r.KappaCI.Lo) > 0.4 || float64(r.KappaCI.Hi) < 0.4 {
		t.Errorf("interval %v does not hold the estimate", r.KappaCI)
	}
	if len(ag.Disagreements) != 15 || ag.Raters[0] != "reader A" {
		t.Errorf("%d disagreements, raters %v", len(ag.Disagreements), ag.Raters)
	}
}

func TestAgreementFleissTextbook(t *testing.T) {
	// Fleiss (1971), the psychiatric diagnoses of 30 patients by 6
	// raters (5 categories), as shipped with R's irr package:
	// kappam.fleiss(diagnoses) = 0.4302445.
	diagnoses := strings.Fields(`
4 4 4 4 4 4  2 2 2 5 5 5  2 3 3 3 3 5  5 5 5 5 5 5  2 2 2 4 4 4  1 1 3 3 3 3
3 3 3 3 5 5  1 1 3 3 3 4  1 1 4 4 4 4  5 5 5 5 5 5  1 4 4 4 4 4  1 2 4 4 4 4
2 2 2 3 3 3  1 4 4 4 4 4  2 2 4 4 4 5  3 3 3 3 3 5  1 1 1 4 5 5  1 1 1 1 1 2
2 2 4 4 4 4  1 3 3 5 5 5  5 5 5 5 5 5  2 4 4 4 4 4  2 2 4 5 5 5  1 1 4 4 4 4
1 4 4 4 4 5  2 2 2 2 2 4  1 1 1 1 5 5  2 2 4 4 4 4  1 3 3 3 3 3  5 5 5 5 5 5`)
	if len(diagnoses) != 180 {
		t.Fatalf("%d ratings", len(diagnoses))
	}
	s, refs := textbookSample(t, 30)
	for r := 0; r < 6; r++ {
		col := make([]string, 30)
		for i := range col {
			col[i] = diagnoses[i*6+r]
		}
		rate(t, s, refs, "psychiatrist "+strconv.Itoa(r+1), []string{"code"}, col)
	}
	ag, err := s.Agreement(context.Background(), "t", study.AgreementOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := row(t, ag, "code", metrics.LevelValue)
	if r.N != 30 || r.Measure != study.MeasureFleiss || !near(r.Kappa, 0.4302445, 1e-7) {
		t.Fatalf("code: %+v", r)
	}
	if !r.KappaCI.Defined() || !(float64(r.KappaCI.Lo) < 0.43 && float64(r.KappaCI.Hi) > 0.43) {
		t.Errorf("interval %v", r.KappaCI)
	}
	if ag.Comparison != nil {
		t.Error("a pairwise comparison for six raters")
	}
}

func TestAgreementKrippendorffTextbook(t *testing.T) {
	// Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011),
	// example C: four observers, twelve units, missing values (.):
	// nominal α = 0.743, ordinal α = 0.815.
	obs := map[string]string{
		"A": "1 2 3 3 2 1 4 1 2 . . .",
		"B": "1 2 3 3 2 2 4 1 2 5 . 3",
		"C": ". 3 3 3 2 3 4 2 2 5 1 .",
		"D": "1 2 3 3 2 4 4 1 2 5 1 .",
	}
	s, refs := textbookSample(t, 12)
	for _, name := range []string{"A", "B", "C", "D"} {
		rate(t, s, refs, "observer "+name, []string{"code", "grade"}, strings.Fields(obs[name]))
	}
	ag, err := s.Agreement(context.Background(), "t", study.AgreementOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nominal := row(t, ag, "code", metrics.LevelValue)
	ordinal := row(t, ag, "grade", metrics.LevelValue)
	if !near(nominal.Alpha, 0.743, 5e-4) || nominal.AlphaLevel != "nominal" || nominal.AlphaN != 11 {
		t.Errorf("nominal: α %v (%s, %d units)", nominal.Alpha, nominal.AlphaLevel, nominal.AlphaN)
	}
	if !near(ordinal.Alpha, 0.815, 5e-4) || ordinal.AlphaLevel != "ordinal" {
		t.Errorf("ordinal: α %v (%s)", ordinal.Alpha, ordinal.AlphaLevel)
	}
	// Fleiss needs every observer: the 8 units all four coded.
	if nominal.N != 8 || ag.Common != 8 || ag.Answered["observer B"] != 11 {
		t.Errorf("n %d, common %d, answered %v", nominal.N, ag.Common, ag.Answered)
	}
	if !nominal.AlphaCI.Defined() {
		t.Error("no interval for alpha")
	}
}

// twoRaters labels the fixture issues of a sample in the default
// taxonomy with deliberate disagreements.
func twoRaters(t *testing.T) (*study.Service, []bugscope.IssueRef) {
	t.Helper()
	ctx := context.Background()
	db := openDB(t, fixtureIssues("acme/e", 12))
	s := newService(t, db, defaultTax(t))
	refs := refsOf("acme/e", 12)
	sm, err := s.Draft(ctx, study.Design{Name: "t", Size: 12, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, sm, false); err != nil {
		t.Fatal(err)
	}
	bug := func(cat, rc, sev string, pats ...string) bugscope.Labels {
		l := bugscope.Labels{"kind": {"bug"}, "category": {cat}, "root_cause": {rc}, "severity": {sev}}
		if len(pats) > 0 {
			l["patterns"] = pats
		}
		return l
	}
	kind := func(k string) bugscope.Labels { return bugscope.Labels{"kind": {k}} }
	a := []bugscope.Labels{
		bug("memory.oom", "resource_constraints", "P1"), bug("memory.leak", "state_management", "P1", "paged_attention"),
		bug("gpu.cuda_error", "integration", "P2", "platform"), bug("concurrency.deadlock", "concurrency", "P0"),
		kind("feature"), kind("question"), bug("model.loading", "integration", "P2", "quantization"),
		bug("api.protocol", "integration", "P2"), bug("performance.latency", "edge_case", "P2"), kind("docs"),
		bug("memory.oom", "resource_constraints", "P2"), nil,
	}
	b := []bugscope.Labels{
		bug("memory.oom", "resource_constraints", "P1"), bug("memory.oom", "resource_constraints", "P1", "paged_attention"),
		bug("gpu.cuda_error", "integration", "P3", "platform", "quantization"), bug("concurrency.deadlock", "concurrency", "P0"),
		kind("feature"), bug("other", "edge_case", "P3"), bug("model.loading", "integration", "P2", "quantization"),
		bug("api.request_handling", "integration", "P2"), kind("feature"), kind("docs"),
		nil, bug("memory.oom", "resource_constraints", "P1"),
	}
	var aa, bb []study.Answer
	for i := range refs {
		if a[i] != nil {
			aa = append(aa, study.Answer{Issue: refs[i], Labels: a[i], Confidence: "high"})
		}
		if b[i] != nil {
			bb = append(bb, study.Answer{Issue: refs[i], Labels: b[i], Confidence: "low"})
		} else if i == 10 {
			bb = append(bb, study.Answer{Issue: refs[i], ExcludeReason: "too little information to label"})
		}
	}
	if _, err := s.Annotate(ctx, "t", "ann", aa, study.SourceCLI); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Annotate(ctx, "t", "bob", bb, study.SourceCLI); err != nil {
		t.Fatal(err)
	}
	return s, refs
}

func TestAgreementTwoRatersIsCompare(t *testing.T) {
	s, refs := twoRaters(t)
	ag, err := s.Agreement(context.Background(), "t", study.AgreementOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Items 0..9 both labelled; 10 ann labelled and bob excluded; 11 only bob.
	if ag.Items != 12 || ag.Common != 11 || ag.Scored != 10 || ag.Inclusion.Split != 1 || ag.Inclusion.Excluded["bob"] != 1 {
		t.Fatalf("items %d common %d scored %d inclusion %+v", ag.Items, ag.Common, ag.Scored, ag.Inclusion)
	}
	a, b := map[bugscope.IssueRef]bugscope.Labels{}, map[bugscope.IssueRef]bugscope.Labels{}
	anns, _ := s.Store.Annotations(context.Background(), "t", study.AnnotationQuery{})
	for _, x := range anns {
		if x.ExcludeReason != "" || x.Issue == refs[10] || x.Issue == refs[11] {
			continue
		}
		if x.Rater == "ann" {
			a[x.Issue] = x.Labels
		} else {
			b[x.Issue] = x.Labels
		}
	}
	cmp := metrics.Compare(s.Tax, a, b)
	if len(cmp.Dimensions) != len(ag.Dimensions) {
		t.Fatalf("%d rows, compare has %d", len(ag.Dimensions), len(cmp.Dimensions))
	}
	for i, c := range cmp.Dimensions {
		g := ag.Dimensions[i]
		if g.Dimension != c.Dimension || g.Level != c.Level || g.N != c.N || !same(g.Kappa, c.Kappa) || !same(g.Raw, c.Accuracy) ||
			g.Measure != c.KappaMeasure || !same(g.KappaCI.Lo, c.KappaCI.Lo) || !same(g.KappaCI.Hi, c.KappaCI.Hi) {
			t.Errorf("row %d: %+v\ncompare: %+v", i, g, c)
		}
		if c.Single != nil && (!same(g.Alpha, c.Single.Alpha) || g.AlphaN != c.Single.AlphaN) {
			t.Errorf("row %s/%s: alpha %v (%d), compare %v (%d)", c.Dimension, c.Level, g.Alpha, g.AlphaN, c.Single.Alpha, c.Single.AlphaN)
		}
	}
	sev := row(t, ag, "severity", metrics.LevelValue)
	if sev.Measure != metrics.KappaQuadratic || sev.AlphaLevel != "ordinal" {
		t.Errorf("severity: %+v", sev)
	}
	// Disagreements: per item and dimension, the exclusion as its own.
	got := map[string][]string{}
	for _, d := range ag.Disagreements {
		got[d.Item] = append(got[d.Item], d.Dimension)
	}
	want := map[string]string{
		refs[1].String():  "category root_cause",
		refs[2].String():  "severity patterns",
		refs[5].String():  "kind category root_cause severity",
		refs[7].String():  "category",
		refs[8].String():  "kind category root_cause severity",
		refs[10].String(): study.ExclusionDimension,
	}
	if len(got) != len(want) {
		t.Errorf("disagreements on %v", got)
	}
	for item, dims := range want {
		if strings.Join(got[item], " ") != dims {
			t.Errorf("%s: %v, want %s", item, got[item], dims)
		}
	}

	// A subset: the second half only.
	half, err := s.Agreement(context.Background(), "t", study.AgreementOptions{Subset: study.Subset{Half: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if half.Items != 6 || half.Subset != "half 2" {
		t.Errorf("half 2: %d items, %q", half.Items, half.Subset)
	}
	// Raters in the other order: the second is now the reference.
	rev, err := s.Agreement(context.Background(), "t", study.AgreementOptions{Raters: []string{"bob", "ann"}})
	if err != nil {
		t.Fatal(err)
	}
	if rev.Raters[0] != "bob" || !same(row(t, rev, "kind", "value").Kappa, row(t, ag, "kind", "value").Kappa) {
		t.Errorf("reversed: %v", rev.Raters)
	}
	if _, err := s.Agreement(context.Background(), "t", study.AgreementOptions{Raters: []string{"ann", "carol"}}); err == nil {
		t.Error("an unknown rater was accepted")
	}
	if _, err := s.Agreement(context.Background(), "t", study.AgreementOptions{Raters: []string{"ann"}}); err == nil {
		t.Error("agreement of one rater")
	}
}

func same(a, b metrics.Float) bool {
	return a == b || !a.Defined() && !b.Defined()
}

func TestAgreementThreeRatersAnyTaxonomy(t *testing.T) {
	// Three raters on the first-look codebook: multi-valued symptoms and
	// root causes, groups accepted as values.
	ctx := context.Background()
	tax, err := taxonomy.Builtin("first-look-2025")
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, fixtureIssues("acme/e", 6))
	s := newService(t, db, tax)
	refs := refsOf("acme/e", 6)
	sm, _ := s.FromRefs("t", refs, "")
	if err := s.Save(ctx, sm, false); err != nil {
		t.Fatal(err)
	}
	l := func(symptoms ...string) bugscope.Labels {
		return bugscope.Labels{"kind": {"bug"}, "symptom": symptoms, "root_cause": {"environment"}}
	}
	sets := map[string][]bugscope.Labels{
		"r1": {l("crash"), l("hang"), l("crash", "unexpected_output"), l("crash"), {"kind": {"feature"}}, l("silent_error")},
		"r2": {l("crash"), l("hang"), l("crash"), l("crash"), {"kind": {"feature"}}, l("silent_error")},
		"r3": {l("crash"), l("crash"), l("crash", "unexpected_output"), l("crash"), {"kind": {"question"}}, nil},
	}
	for _, r := range []string{"r1", "r2", "r3"} {
		var as []study.Answer
		for i, x := range sets[r] {
			if x != nil {
				as = append(as, study.Answer{Issue: refs[i], Labels: x})
			}
		}
		if _, err := s.Annotate(ctx, "t", r, as, study.SourceCLI); err != nil {
			t.Fatal(err)
		}
	}
	ag, err := s.Agreement(ctx, "t", study.AgreementOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kind := row(t, ag, "kind", "value")
	// Five items all three answered; on four all agree.
	if kind.N != 5 || !near(kind.Raw, 0.8, 1e-12) || kind.Measure != study.MeasureFleiss {
		t.Errorf("kind: %+v", kind)
	}
	sym := row(t, ag, "symptom", "value")
	// symptom applies on items 0-3 for someone: exact agreement on 0 and 3.
	if sym.N != 4 || !near(sym.Raw, 0.5, 1e-12) || sym.Measure != study.MeasureFleissMeanPerLabel || !sym.Multi {
		t.Errorf("symptom: %+v", sym)
	}
	// Item 5 has two answers: alpha uses it, Fleiss does not.
	if sym.AlphaN != 5 {
		t.Errorf("symptom alpha units %d, want 5", sym.AlphaN)
	}
	if rc := row(t, ag, "root_cause", "group"); rc.N != 4 {
		t.Errorf("root cause groups: %+v", rc)
	}
}
