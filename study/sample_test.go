package study_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/study"
)

func refsOf(repo string, n int) []bugscope.IssueRef {
	out := make([]bugscope.IssueRef, n)
	for i := range out {
		out[i] = ref(repo, i+1)
	}
	return out
}

func TestDrawIsDeterministic(t *testing.T) {
	strata := map[string][]bugscope.IssueRef{"a/x": refsOf("a/x", 500), "b/y": refsOf("b/y", 80)}
	sizes := map[string]int{"a/x": 218, "b/y": 67}
	first := study.Draw(strata, sizes, 42)

	// The same seed draws the same sample whatever order the candidates
	// come in.
	shuffled := map[string][]bugscope.IssueRef{}
	rng := rand.New(rand.NewPCG(7, 7))
	for k, v := range strata {
		c := append([]bugscope.IssueRef(nil), v...)
		rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		shuffled[k] = c
	}
	if again := study.Draw(shuffled, sizes, 42); !reflect.DeepEqual(first, again) {
		t.Fatal("same seed, candidates in another order: a different sample")
	}
	if other := study.Draw(strata, sizes, 43); reflect.DeepEqual(first, other) {
		t.Fatal("another seed drew the same sample")
	}

	// Sizes, halves, positions.
	count := map[string]int{}
	halves := map[string][2]int{}
	seen := map[bugscope.IssueRef]bool{}
	for i, it := range first {
		if it.Position != i+1 {
			t.Fatalf("item %d has position %d", i, it.Position)
		}
		if seen[it.Issue] {
			t.Fatalf("%s drawn twice", it.Issue)
		}
		seen[it.Issue] = true
		count[it.Stratum]++
		h := halves[it.Stratum]
		h[it.Half-1]++
		halves[it.Stratum] = h
		if it.Issue.Repo != it.Stratum {
			t.Fatalf("%s in stratum %s", it.Issue, it.Stratum)
		}
	}
	if count["a/x"] != 218 || count["b/y"] != 67 {
		t.Fatalf("drawn %v", count)
	}
	if halves["a/x"] != [2]int{109, 109} || halves["b/y"] != [2]int{34, 33} {
		t.Fatalf("halves %v", halves)
	}
	// Half 1 comes first, and the strata are interleaved from the start.
	for i, it := range first {
		if i < 143 && it.Half != 1 || i >= 143 && it.Half != 2 {
			t.Fatalf("position %d is in half %d", i+1, it.Half)
		}
	}
	early := map[string]bool{}
	for _, it := range first[:10] {
		early[it.Stratum] = true
	}
	if len(early) != 2 {
		t.Fatalf("the first ten items come from %v only", early)
	}

	// Adding a stratum leaves the others' draws alone.
	strata["c/z"] = refsOf("c/z", 30)
	sizes["c/z"] = 28
	withC := study.Draw(strata, sizes, 42)
	pick := func(items []study.SampleItem, stratum string) []bugscope.IssueRef {
		var out []bugscope.IssueRef
		for _, it := range items {
			if it.Stratum == stratum {
				out = append(out, it.Issue)
			}
		}
		return out
	}
	if !reflect.DeepEqual(pick(first, "a/x"), pick(withC, "a/x")) {
		t.Fatal("adding a stratum changed another's draw")
	}

	// A stratum smaller than its size is taken whole.
	small := study.Draw(map[string][]bugscope.IssueRef{"s/s": refsOf("s/s", 3)}, map[string]int{"s/s": 10}, 1)
	if len(small) != 3 {
		t.Fatalf("drew %d of 3", len(small))
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		q              string
		terms, without []string
		bad            bool
	}{
		{q: "", terms: nil},
		{q: "oom  cuda", terms: []string{"oom", "cuda"}},
		{q: `"out of memory" -rocm`, terms: []string{"out of memory"}, without: []string{"rocm"}},
		{q: `-"flash attention" x-y`, terms: []string{"x-y"}, without: []string{"flash attention"}},
		{q: `"unclosed`, bad: true},
	}
	for _, tt := range tests {
		terms, without, err := study.ParseQuery(tt.q)
		if (err != nil) != tt.bad {
			t.Errorf("%q: error %v", tt.q, err)
			continue
		}
		if !reflect.DeepEqual(terms, tt.terms) || !reflect.DeepEqual(without, tt.without) {
			t.Errorf("%q: terms %q without %q; want %q, %q", tt.q, terms, without, tt.terms, tt.without)
		}
	}
}

func TestDraftSaveLoad(t *testing.T) {
	ctx := context.Background()
	issues := append(fixtureIssues("acme/big", 1416), fixtureIssues("acme/small", 90)...)
	pr := fixtureIssues("acme/small", 91)[90]
	pr.IsPullRequest = true
	issues = append(issues, pr)
	db := openDB(t, issues)
	s := newService(t, db, defaultTax(t))

	sm, err := s.Draft(ctx, study.Design{Name: "s1", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	want := []study.Stratum{
		{Name: "acme/big", Population: 1416, Required: 303, Drawn: 303},
		{Name: "acme/small", Population: 90, Required: 74, Drawn: 74}, // pull request left out
	}
	for i := range want {
		got := sm.Params.Strata[i]
		got.Formula = 0
		if got != want[i] {
			t.Errorf("stratum %d: %+v, want %+v", i, got, want[i])
		}
	}
	if f := sm.Params.Strata[0].Formula; f < 302.3 || f > 302.4 {
		t.Errorf("formula %v, want 302.34", f)
	}
	if sm.Size() != 377 || len(sm.Items) != 377 || sm.Method != study.MethodCochran {
		t.Fatalf("size %d, items %d, method %s", sm.Size(), len(sm.Items), sm.Method)
	}
	if err := s.Save(ctx, sm, false); err != nil {
		t.Fatal(err)
	}
	loaded, err := s.Load(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded.Items, sm.Items) || !reflect.DeepEqual(loaded.Params, sm.Params) {
		t.Fatal("the stored sample differs from the draft")
	}
	// The same seed on another database with the issues stored in another
	// order draws the same sample.
	rev := append([]bugscope.Issue(nil), issues...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	s2 := newService(t, openDB(t, rev), defaultTax(t))
	again, err := s2.Draft(ctx, study.Design{Name: "s1", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Items, sm.Items) {
		t.Fatal("same seed, other database: another sample")
	}

	if err := s.Save(ctx, sm, false); bugscope.ErrorCode(err) != bugscope.EConflict {
		t.Fatalf("saving twice: %v", err)
	}
	if err := s.Save(ctx, sm, true); err != nil {
		t.Fatalf("replacing an unannotated sample: %v", err)
	}
	if _, err := s.Annotate(ctx, "s1", "ann", []study.Answer{{Issue: sm.Items[0].Issue, Labels: bugscope.Labels{"kind": {"feature"}}}}, study.SourceCLI); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, sm, true); err == nil {
		t.Fatal("replaced a sample that has annotations")
	}
	if _, err := s.Load(ctx, "nope"); !errors.Is(err, bugscope.ErrNotFound) {
		t.Fatalf("missing sample: %v", err)
	}
}

func TestDraftFilters(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, append(fixtureIssues("acme/big", 300), fixtureIssues("acme/small", 40)...))
	tax := defaultTax(t)
	s := newService(t, db, tax)
	population := func(d study.Design) map[string]int {
		t.Helper()
		d.Name = "f"
		sm, err := s.Draft(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, st := range sm.Params.Strata {
			out[st.Name] = st.Population
		}
		return out
	}
	// Every third fixture issue is open.
	if got := population(study.Design{Filter: study.Filter{State: "closed"}}); got["acme/big"] != 200 || got["acme/small"] != 27 {
		t.Errorf("closed: %v", got)
	}
	if got := population(study.Design{Filter: study.Filter{Repos: []string{"acme/small"}, Labels: []string{"question"}}}); len(got) != 1 || got["acme/small"] != 10 {
		t.Errorf("repo and label: %v", got)
	}
	// Every fifth mentions CUDA out of memory; the query ignores ASCII case
	// and takes LIKE's wildcards literally.
	if got := population(study.Design{Filter: study.Filter{Query: `"cuda OUT of memory"`}}); got["acme/big"] != 60 || got["acme/small"] != 8 {
		t.Errorf("query: %v", got)
	}
	if got := population(study.Design{Filter: study.Filter{Query: `server -"out of memory"`}}); got["acme/big"] != 240 {
		t.Errorf("query with exclusion: %v", got)
	}
	if got := population(study.Design{Filter: study.Filter{Query: `100%`}}); got["acme/big"] != 0 {
		t.Errorf("a literal %% matched: %v", got)
	}
	// Unstratified: one stratum.
	if got := population(study.Design{Stratify: study.StratifyNone}); len(got) != 1 || got[study.AllStratum] != 340 {
		t.Errorf("unstratified: %v", got)
	}
	// A named repository without issues is an empty stratum, not dropped.
	if got := population(study.Design{Filter: study.Filter{Repos: []string{"acme/small", "acme/none"}}}); got["acme/none"] != 0 || len(got) != 2 {
		t.Errorf("empty stratum: %v", got)
	}

	// Kind, from the stored classification.
	var cs []bugscope.Classification
	for n := 1; n <= 300; n++ {
		kind := "bug"
		if n%2 == 0 {
			kind = "feature"
		}
		cs = append(cs, bugscope.Classification{Issue: ref("acme/big", n), Taxonomy: tax.Name, TaxonomyVersion: tax.Version,
			Classifier: "rules", ClassifierVersion: "1", Labels: bugscope.Labels{"kind": {kind}}, Confidence: 0.5})
	}
	if err := db.SaveClassifications(ctx, cs, nil); err != nil {
		t.Fatal(err)
	}
	if got := population(study.Design{Filter: study.Filter{Kinds: []string{"bug"}}}); got["acme/big"] != 150 || got["acme/small"] != 0 {
		t.Errorf("kind: %v", got)
	}
	if _, err := s.Draft(ctx, study.Design{Name: "f", Filter: study.Filter{Kinds: []string{"bogus"}}}); err == nil {
		t.Error("an unknown kind was accepted")
	}

	// Fixed size, and bad designs.
	sm, err := s.Draft(ctx, study.Design{Name: "fixed", Size: 25, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sm.Method != study.MethodFixed || sm.Size() != 50 {
		t.Errorf("fixed: method %s, size %d", sm.Method, sm.Size())
	}
	for _, d := range []study.Design{{Name: ""}, {Name: "x", Confidence: 1.5}, {Name: "x", Size: -1}, {Name: "x", Stratify: "label"},
		{Name: "x", Filter: study.Filter{State: "merged"}}, {Name: "x", Filter: study.Filter{Query: `"open`}}, {Name: "bad/name"}} {
		if _, err := s.Draft(ctx, d); err == nil {
			t.Errorf("design %+v accepted", d)
		}
	}
}

func TestFromRefs(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, append(fixtureIssues("acme/big", 10), fixtureIssues("acme/small", 5)...))
	s := newService(t, db, defaultTax(t))
	refs := []bugscope.IssueRef{ref("acme/small", 2), ref("acme/big", 3), ref("acme/big", 1), ref("acme/small", 5), ref("acme/big", 9)}
	sm, err := s.FromRefs("dev", refs, "dev.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if sm.Method != study.MethodExplicit || len(sm.Items) != 5 || sm.Items[0].Issue != refs[0] || sm.Items[4].Position != 5 {
		t.Fatalf("%+v", sm)
	}
	halves := []int{1, 1, 1, 2, 2}
	for i, it := range sm.Items {
		if it.Half != halves[i] {
			t.Errorf("item %d (%s): half %d, want %d", i, it.Issue, it.Half, halves[i])
		}
	}
	if err := s.Save(ctx, sm, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FromRefs("dup", []bugscope.IssueRef{refs[0], refs[0]}, ""); err == nil {
		t.Error("a repeated issue was accepted")
	}
	missing, err := s.FromRefs("missing", []bugscope.IssueRef{ref("acme/big", 99)}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, missing, false); !errors.Is(err, bugscope.ErrNotFound) {
		t.Fatalf("an issue not in the database: %v", err)
	}
}

// The labelling loop's strategies take each stratum's issues of highest
// priority (ties in the seeded order, unranked issues last), record the
// strategy, and make a sample that is not random: its final labels cannot
// correct shares (Gold sets NotRandom).
func TestDraftStrategies(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, append(fixtureIssues("acme/big", 10), fixtureIssues("acme/small", 5)...))
	s := newService(t, db, defaultTax(t))
	prio := map[bugscope.IssueRef]float64{}
	for n := 1; n <= 10; n++ {
		prio[ref("acme/big", n)] = float64(n) / 10 // 10 most uncertain
	}
	prio[ref("acme/small", 4)] = 0.9
	prio[ref("acme/small", 2)] = 0.9 // a tie with #4
	// acme/small 1, 3 and 5 have no priority: last.
	sm, err := s.Draft(ctx, study.Design{Name: "loop", Size: 3, Seed: 7, Strategy: study.StrategyUncertain, Priority: prio, RankedBy: "ensemble"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]int{}
	for _, it := range sm.Items {
		got[it.Stratum] = append(got[it.Stratum], it.Issue.Number)
	}
	if len(got["acme/big"]) != 3 || !containsAll(got["acme/big"], 10, 9, 8) {
		t.Errorf("acme/big drew %v, want the three of highest priority (10, 9, 8)", got["acme/big"])
	}
	if len(got["acme/small"]) != 3 || !containsAll(got["acme/small"], 4, 2) {
		t.Errorf("acme/small drew %v, want 4 and 2 and one unranked", got["acme/small"])
	}
	if sm.Params.Strategy != study.StrategyUncertain || sm.Params.Ranked != "ensemble" || sm.Random() {
		t.Errorf("strategy recorded as %q by %q, random %v", sm.Params.Strategy, sm.Params.Ranked, sm.Random())
	}
	again, _ := s.Draft(ctx, study.Design{Name: "loop", Size: 3, Seed: 7, Strategy: study.StrategyUncertain, Priority: prio})
	for i := range sm.Items {
		if again.Items[i].Issue != sm.Items[i].Issue {
			t.Fatalf("the same design drew %v then %v", sm.Items[i].Issue, again.Items[i].Issue)
		}
	}
	// Stored, it reads back with its strategy; its gold is not random.
	if err := s.Save(ctx, sm, false); err != nil {
		t.Fatal(err)
	}
	back, err := s.Load(ctx, "loop")
	if err != nil || back.Params.Strategy != study.StrategyUncertain || back.Random() {
		t.Fatalf("stored sample: %+v, %v", back, err)
	}
	rnd, err := s.Draft(ctx, study.Design{Name: "rnd", Size: 3, Seed: 7})
	if err != nil || rnd.Params.Strategy != study.StrategyRandom || !rnd.Random() {
		t.Errorf("a random draw: %+v %v", rnd.Params, err)
	}
	for _, d := range []study.Design{{Name: "x", Size: 2, Strategy: "greedy", Priority: prio}, {Name: "x", Size: 2, Strategy: study.StrategyDisagree}} {
		if _, err := s.Draft(ctx, d); bugscope.ErrorCode(err) != bugscope.EInvalid {
			t.Errorf("design %s accepted: %v", d.Strategy, err)
		}
	}
}

func containsAll(have []int, want ...int) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}
