package sqlite

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
)

func cls(repo string, n int, tax, classifier string, labels bugscope.Labels) bugscope.Classification {
	return bugscope.Classification{
		Issue: bugscope.IssueRef{Repo: repo, Number: n}, Taxonomy: tax, TaxonomyVersion: "2",
		Classifier: classifier, ClassifierVersion: "1+abc", Labels: labels, Confidence: 0.75,
	}
}

func save(t testing.TB, db *DB, cs ...bugscope.Classification) {
	t.Helper()
	if err := db.SaveClassifications(context.Background(), cs, nil); err != nil {
		t.Fatalf("SaveClassifications: %v", err)
	}
}

func classified(t *testing.T, db *DB, f bugscope.ClassifiedFilter) []bugscope.Classified {
	t.Helper()
	out, err := db.Classified(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func countRows(t *testing.T, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestClassificationRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	is := mk("vllm-project/vllm", 7, "CUDA OOM with prefix caching", "2024-04-01T00:00:00Z", "bug")
	is.Body = "long body\nCUDA out of memory"
	upsert(t, db, is, mk("vllm-project/vllm", 8, "unclassified", ""))

	created := time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
	c := bugscope.Classification{
		Issue: is.Ref(), Taxonomy: "llm-serving-v1", TaxonomyVersion: "2", Classifier: "rules", ClassifierVersion: "1+deadbeef",
		Labels: bugscope.Labels{
			"kind":     {"bug"},
			"category": {"memory.oom"},
			// Order of a multi-valued dimension is kept, even when not sorted.
			"patterns": {"quantization", "prefix_caching", "paged_attention"},
		},
		Confidence:    0.625,
		DimConfidence: map[string]float64{"kind": 0.9, "category": 0.35},
		Evidence: []bugscope.Evidence{
			{Dimension: "category", Value: "memory.oom", Rule: "category.oom.message", Field: "body", Match: "CUDA out of memory",
				Offset: 10, Line: "CUDA out of memory", Weight: 2},
			{Dimension: "root_cause", Value: "integration", Rule: "default-root_cause-5", Note: "no cause shown"},
		},
		CreatedAt: created,
		InputHash: is.TextHash(),
	}
	sigs := map[bugscope.IssueRef][]bugscope.Signal{is.Ref(): {
		{Kind: bugscope.SignalGPU, Value: "H100", Field: "body", Offset: 40},
		{Kind: bugscope.SignalErrorSignature, Value: "CUDA out of memory", Field: "body", Offset: 10},
		{Kind: bugscope.SignalErrorSignature, Value: "OutOfMemoryError", Field: "title", Offset: 2},
	}}
	if err := db.SaveClassifications(ctx, []bugscope.Classification{c}, sigs); err != nil {
		t.Fatal(err)
	}

	for _, withSignals := range []bool{false, true} {
		got := classified(t, db, bugscope.ClassifiedFilter{Taxonomy: "llm-serving-v1", Classifier: "rules", WithSignals: withSignals, WithBody: true})
		if len(got) != 1 {
			t.Fatalf("Classified returned %d items, want 1 (the unclassified issue is left out)", len(got))
		}
		g := got[0]
		if !reflect.DeepEqual(g.Classification, c) {
			t.Errorf("classification round trip:\n got %+v\nwant %+v", g.Classification, c)
		}
		if g.Issue.Body != is.Body || g.Issue.Title != is.Title || g.Issue.URL != is.URL {
			t.Errorf("issue = %+v", g.Issue)
		}
		if !withSignals {
			if g.Signals != nil {
				t.Errorf("signals loaded without WithSignals: %v", g.Signals)
			}
			continue
		}
		// Ordered by kind, then offset.
		want := []bugscope.Signal{sigs[is.Ref()][2], sigs[is.Ref()][1], sigs[is.Ref()][0]}
		if !reflect.DeepEqual(g.Signals, want) {
			t.Errorf("signals = %v, want %v", g.Signals, want)
		}
	}
	// Without WithBody the body is left out.
	if got := classified(t, db, bugscope.ClassifiedFilter{Taxonomy: "llm-serving-v1", Classifier: "rules"}); got[0].Issue.Body != "" {
		t.Errorf("body loaded without WithBody: %q", got[0].Issue.Body)
	}
	// Another classifier or taxonomy sees nothing.
	for _, f := range []bugscope.ClassifiedFilter{{Taxonomy: "llm-serving-v1", Classifier: "model"}, {Taxonomy: "first-look-2025", Classifier: "rules"}} {
		if got := classified(t, db, f); len(got) != 0 {
			t.Errorf("Classified(%s/%s) = %d items, want 0", f.Taxonomy, f.Classifier, len(got))
		}
	}
	// Signals of the issue alone.
	s, err := db.Signals(ctx, is.Ref())
	if err != nil || len(s) != 3 || s[0].Value != "OutOfMemoryError" {
		t.Errorf("Signals = %v, %v", s, err)
	}
	if s, err := db.Signals(ctx, bugscope.IssueRef{Repo: "vllm-project/vllm", Number: 8}); err != nil || len(s) != 0 {
		t.Errorf("Signals of an issue without = %v, %v", s, err)
	}
}

func TestClassificationDefaultsWhenEmpty(t *testing.T) {
	db := openTest(t)
	upsert(t, db, mk("o/r", 1, "x", ""))
	save(t, db, bugscope.Classification{Issue: bugscope.IssueRef{Repo: "o/r", Number: 1}, Taxonomy: "t", Classifier: "c"})
	got := classified(t, db, bugscope.ClassifiedFilter{Taxonomy: "t", Classifier: "c"})
	if len(got) != 1 {
		t.Fatalf("got %d", len(got))
	}
	c := got[0].Classification
	// No creation time given: the database clock.
	if !c.CreatedAt.Equal(clock) {
		t.Errorf("CreatedAt = %v, want the clock %v", c.CreatedAt, clock)
	}
	if c.Labels == nil || len(c.Labels) != 0 || c.Evidence == nil || len(c.Evidence) != 0 || c.DimConfidence == nil {
		t.Errorf("empty classification read back as labels %#v, evidence %#v, dim confidence %#v", c.Labels, c.Evidence, c.DimConfidence)
	}
}

func TestClassificationReplacesEarlier(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	upsert(t, db, mk("o/r", 1, "x", ""), mk("o/r", 2, "y", ""))
	ref := bugscope.IssueRef{Repo: "o/r", Number: 1}
	first := cls("o/r", 1, "t", "rules", bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom"}, "patterns": {"a", "b"}})
	first.Evidence = []bugscope.Evidence{{Dimension: "kind", Value: "bug", Rule: "old"}}
	other := cls("o/r", 1, "t", "model", bugscope.Labels{"kind": {"question"}})
	if err := db.SaveClassifications(ctx, []bugscope.Classification{first, other},
		map[bugscope.IssueRef][]bugscope.Signal{ref: {{Kind: "gpu", Value: "A100", Field: "body"}}}); err != nil {
		t.Fatal(err)
	}
	second := cls("o/r", 1, "t", "rules", bugscope.Labels{"kind": {"feature"}, "patterns": {"c"}})
	second.Confidence = 0.2
	second.ClassifierVersion = "2"
	save(t, db, second) // no signals entry: the stored signals stay

	got := classified(t, db, bugscope.ClassifiedFilter{Taxonomy: "t", Classifier: "rules", WithSignals: true})
	if len(got) != 1 {
		t.Fatalf("got %d classifications, want 1", len(got))
	}
	c := got[0].Classification
	if !reflect.DeepEqual(c.Labels, second.Labels) || c.Confidence != 0.2 || c.ClassifierVersion != "2" || len(c.Evidence) != 0 {
		t.Errorf("replaced classification = %+v", c)
	}
	if len(got[0].Signals) != 1 || got[0].Signals[0].Value != "A100" {
		t.Errorf("signals without a new entry = %v, want the stored ones", got[0].Signals)
	}
	// The other classifier's result is untouched.
	if m := classified(t, db, bugscope.ClassifiedFilter{Taxonomy: "t", Classifier: "model"}); len(m) != 1 || m[0].Classification.Labels.One("kind") != "question" {
		t.Errorf("other classifier = %+v", m)
	}
	if n := countRows(t, db, "classifications"); n != 2 {
		t.Errorf("classification rows = %d, want 2", n)
	}
	// Signals given again replace the old ones; an empty list clears them.
	if err := db.SaveClassifications(ctx, nil, map[bugscope.IssueRef][]bugscope.Signal{ref: {{Kind: "gpu", Value: "H100", Field: "body", Offset: 3}}}); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.Signals(ctx, ref); len(s) != 1 || s[0].Value != "H100" {
		t.Errorf("replaced signals = %v", s)
	}
	if err := db.SaveClassifications(ctx, nil, map[bugscope.IssueRef][]bugscope.Signal{ref: {}}); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.Signals(ctx, ref); len(s) != 0 {
		t.Errorf("signals after an empty entry = %v", s)
	}
}

func TestSaveClassificationsRejects(t *testing.T) {
	ctx := context.Background()
	good := cls("o/r", 1, "t", "rules", bugscope.Labels{"kind": {"bug"}})
	missing := cls("o/r", 99, "t", "rules", bugscope.Labels{"kind": {"bug"}})
	withConf := func(c float64) bugscope.Classification {
		x := cls("o/r", 2, "t", "rules", bugscope.Labels{"kind": {"bug"}})
		x.Confidence = c
		return x
	}
	cases := []struct {
		name     string
		cs       []bugscope.Classification
		signals  map[bugscope.IssueRef][]bugscope.Signal
		notFound bool
		msg      string
	}{
		{"unknown issue", []bugscope.Classification{good, missing}, nil, true, "o/r#99"},
		{"signals of an unknown issue", []bugscope.Classification{good}, map[bugscope.IssueRef][]bugscope.Signal{{Repo: "o/r", Number: 99}: {{Kind: "gpu", Value: "x"}}}, true, "o/r#99"},
		{"confidence above 1", []bugscope.Classification{good, withConf(1.5)}, nil, false, "outside 0..1"},
		{"confidence below 0", []bugscope.Classification{good, withConf(-0.01)}, nil, false, "outside 0..1"},
		{"confidence NaN", []bugscope.Classification{good, withConf(math.NaN())}, nil, false, ""},
	}
	db := openTest(t)
	upsert(t, db, mk("o/r", 1, "x", ""), mk("o/r", 2, "y", ""))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := db.SaveClassifications(ctx, tc.cs, tc.signals)
			if err == nil {
				t.Fatalf("SaveClassifications succeeded")
			}
			if errors.Is(err, bugscope.ErrNotFound) != tc.notFound {
				t.Errorf("error %v: ErrNotFound = %v, want %v", err, !tc.notFound, tc.notFound)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			for _, table := range []string{"classifications", "classification_labels", "signals"} {
				if n := countRows(t, db, table); n != 0 {
					t.Errorf("%s has %d rows after a rejected batch, want 0", table, n)
				}
			}
		})
	}
	// The bounds themselves are fine.
	for _, c := range []float64{0, 1} {
		if err := db.SaveClassifications(ctx, []bugscope.Classification{withConf(c)}, nil); err != nil {
			t.Errorf("confidence %v rejected: %v", c, err)
		}
	}
}

func TestClassificationsOf(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	pr := mk("o/r", 3, "a pull request", "")
	pr.IsPullRequest = true
	upsert(t, db, mk("o/r", 1, "x", ""), mk("o/r", 2, "y", ""), pr, mk("p/q", 1, "other repo", ""))
	save(t, db,
		cls("o/r", 1, "tb", "rules", bugscope.Labels{"kind": {"bug"}}),
		cls("o/r", 1, "ta", "rules", bugscope.Labels{"kind": {"docs"}}),
		cls("o/r", 1, "tb", "model", bugscope.Labels{"kind": {"feature"}}),
		cls("o/r", 2, "ta", "rules", bugscope.Labels{"kind": {"question"}}),
		cls("p/q", 1, "ta", "rules", bugscope.Labels{"kind": {"question"}}),
		cls("o/r", 3, "ta", "rules", bugscope.Labels{"kind": {"bug"}}),
	)
	got, err := db.ClassificationsOf(ctx, bugscope.IssueRef{Repo: "o/r", Number: 1})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range got {
		if c.Issue != (bugscope.IssueRef{Repo: "o/r", Number: 1}) {
			t.Errorf("classification of %v returned", c.Issue)
		}
		keys = append(keys, c.Taxonomy+"/"+c.Classifier+"="+c.Labels.One("kind"))
	}
	if want := []string{"ta/rules=docs", "tb/model=feature", "tb/rules=bug"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("ClassificationsOf = %v, want %v", keys, want)
	}
	if got, err := db.ClassificationsOf(ctx, bugscope.IssueRef{Repo: "o/r", Number: 3}); err != nil || len(got) != 1 {
		t.Errorf("ClassificationsOf(pull request) = %v, %v; want 1", got, err)
	}
	if got, err := db.ClassificationsOf(ctx, bugscope.IssueRef{Repo: "o/r", Number: 404}); err != nil || len(got) != 0 {
		t.Errorf("ClassificationsOf(missing) = %v, %v", got, err)
	}
}

func TestClassifiersOrder(t *testing.T) {
	db := openTest(t)
	upsert(t, db, mk("o/r", 1, "x", ""), mk("o/r", 2, "y", ""))
	at := func(c bugscope.Classification, day int) bugscope.Classification {
		c.CreatedAt = time.Date(2025, 1, day, 0, 0, 0, 0, time.UTC)
		return c
	}
	save(t, db,
		at(cls("o/r", 1, "t", "alpha", nil), 1),
		at(cls("o/r", 2, "t", "alpha", nil), 5), // alpha last used on the 5th
		at(cls("o/r", 1, "t", "beta", nil), 3),
		at(cls("o/r", 1, "t", "gamma", nil), 5), // ties with alpha: by name
		at(cls("o/r", 1, "t", "zeta", nil), 2),
		at(cls("o/r", 1, "other", "omega", nil), 9),
	)
	got, err := db.Classifiers(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"alpha", "gamma", "beta", "zeta"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Classifiers = %v, want %v", got, want)
	}
	// Using beta again makes it the most recent.
	save(t, db, at(cls("o/r", 2, "t", "beta", nil), 20))
	got, _ = db.Classifiers(context.Background(), "t")
	if got[0] != "beta" {
		t.Errorf("Classifiers after using beta = %v", got)
	}
	if got, err := db.Classifiers(context.Background(), "none"); err != nil || len(got) != 0 {
		t.Errorf("Classifiers(none) = %v, %v", got, err)
	}
}

func TestClassifiedFilterAndOrder(t *testing.T) {
	db := openTest(t)
	filterFixture(t, db)
	var cs []bugscope.Classification
	for _, r := range []string{"c/z#7", "b/y#2", "b/y#1", "a/x#3", "a/x#2", "a/x#1"} {
		ref, err := bugscope.ParseIssueRef(r)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, cls(ref.Repo, ref.Number, "t", "rules", bugscope.Labels{"kind": {"bug"}, "p": {"x", r}}))
	}
	save(t, db, cs...)
	for _, tc := range []struct {
		f    bugscope.IssueFilter
		want []string
	}{
		{bugscope.IssueFilter{}, []string{"a/x#1", "a/x#2", "b/y#1", "b/y#2", "c/z#7"}},
		{bugscope.IssueFilter{Repos: []string{"a/x"}, IncludePulls: true}, []string{"a/x#1", "a/x#2", "a/x#3"}},
		{bugscope.IssueFilter{Labels: []string{"cuda"}}, []string{"a/x#2", "c/z#7"}},
	} {
		got := classified(t, db, bugscope.ClassifiedFilter{IssueFilter: tc.f, Taxonomy: "t", Classifier: "rules"})
		var refs []string
		for _, g := range got {
			refs = append(refs, g.Issue.Ref().String())
			if p := g.Classification.Labels["p"]; len(p) != 2 || p[1] != g.Issue.Ref().String() {
				t.Errorf("%s carries labels %v of another issue", g.Issue.Ref(), p)
			}
		}
		if !reflect.DeepEqual(refs, tc.want) {
			t.Errorf("Classified(%+v) = %v, want %v", tc.f, refs, tc.want)
		}
	}
}

// Labels and signals are inserted several rows to a statement: more rows
// than one statement takes, and a classification given twice in one call
// (the second replaces the first, as it did row by row), store the same.
func TestClassificationManyRows(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var issues []bugscope.Issue
	for n := 1; n <= 40; n++ {
		issues = append(issues, mk("vllm-project/vllm", n, "t", "2024-04-01T00:00:00Z"))
	}
	upsert(t, db, issues...)
	var cs []bugscope.Classification
	sigs := map[bugscope.IssueRef][]bugscope.Signal{}
	for n := 1; n <= 40; n++ {
		cs = append(cs, cls("vllm-project/vllm", n, "llm-serving-v1", "rules", bugscope.Labels{"kind": {"bug"}, "patterns": {"a", "b", "c"}}))
		var s []bugscope.Signal
		for k := range n * 5 { // issue 40 alone has 200 signals
			s = append(s, bugscope.Signal{Kind: bugscope.SignalGPU, Value: "GPU " + strings.Repeat("x", k), Field: "body", Offset: k})
		}
		sigs[bugscope.IssueRef{Repo: "vllm-project/vllm", Number: n}] = s
	}
	// Issue 1 twice: the second, with other labels, replaces the first.
	cs = append(cs, cls("vllm-project/vllm", 1, "llm-serving-v1", "rules", bugscope.Labels{"kind": {"feature"}}))
	if err := db.SaveClassifications(ctx, cs, sigs); err != nil {
		t.Fatal(err)
	}
	if got, want := countRows(t, db, "classification_labels"), 39*4+1; got != want {
		t.Errorf("%d label rows, want %d", got, want)
	}
	if got, want := countRows(t, db, "signals"), 5*40*41/2; got != want {
		t.Errorf("%d signal rows, want %d", got, want)
	}
	got := classified(t, db, bugscope.ClassifiedFilter{Taxonomy: "llm-serving-v1", Classifier: "rules"})
	for _, c := range got {
		if c.Issue.Number == 1 && !reflect.DeepEqual(c.Classification.Labels, bugscope.Labels{"kind": {"feature"}}) {
			t.Errorf("issue 1: %v, want the second classification's labels", c.Classification.Labels)
		}
	}
	if s, err := db.Signals(ctx, bugscope.IssueRef{Repo: "vllm-project/vllm", Number: 40}); err != nil || len(s) != 200 {
		t.Errorf("issue 40: %d signals (%v), want 200", len(s), err)
	}
}
