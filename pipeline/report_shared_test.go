package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/chart"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/internal/testshared"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

var (
	sharedOnce sync.Once
	sharedDB   *sqlite.DB
	sharedErr  error
)

// sharedStudy imports and classifies the real issues once per test binary.
func sharedStudy(tb testing.TB) (*sqlite.DB, *taxonomy.Taxonomy) {
	tb.Helper()
	files := testshared.DataFiles(tb)
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		tb.Fatal(err)
	}
	sharedOnce.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "bugscope-shared-")
		if err != nil {
			sharedErr = err
			return
		}
		if sharedDB, sharedErr = sqlite.Open(ctx, filepath.Join(dir, "b.db")); sharedErr != nil {
			return
		}
		if _, sharedErr = Import(ctx, sharedDB, files, ImportOptions{}); sharedErr != nil {
			return
		}
		rs, err := classify.BuiltinRules(tax)
		if err != nil {
			sharedErr = err
			return
		}
		_, sharedErr = Classify(ctx, sharedDB, tax, classify.New(rs), ClassifyOptions{})
	})
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return sharedDB, tax
}

// TestSharedCorrectedReport is the acceptance test of part 5 on the real
// data: report --gold ../shared/gold/random-300.jsonl --format json gives
// estimate objects with lo ≤ share ≤ hi for every category, subcategory,
// root cause and severity, by prediction-powered inference, with the
// trends, engine comparison and time-to-close sections.
func TestSharedCorrectedReport(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: the real data")
	}
	db, tax := sharedStudy(t)
	g, err := GoldFiles([]string{testshared.RandomGold(t)}, tax, false)
	if err != nil {
		t.Fatal(err)
	}
	r, err := BuildReport(context.Background(), db, tax, ReportOptions{Now: time.Now(), Gold: g})
	if err != nil {
		t.Fatal(err)
	}
	if r.Estimation.Method != report.MethodPPI || r.Estimation.Gold.Used != 300 || len(r.Estimation.Gold.Strata) != 3 {
		t.Fatalf("%+v", r.Estimation)
	}
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	// Read back as a script would.
	type est struct {
		Share, Lo, Hi float64
		Method        string
	}
	type count struct {
		ID             string
		Estimate       *est
		EstimateByRepo map[string]est `json:"estimate_by_repo"`
	}
	var doc struct {
		Categories []struct {
			count
			Subcategories []count
		}
		RootCauses  struct{ Values []count } `json:"root_causes"`
		Severities  struct{ Values []count } `json:"severities"`
		Trends      json.RawMessage          `json:"trends"`
		Comparison  json.RawMessage          `json:"engine_comparison"`
		TimeToClose json.RawMessage          `json:"time_to_close"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	check := func(what string, c count) {
		n++
		e := c.Estimate
		if e == nil || e.Method != "ppi" || !(e.Lo <= e.Share && e.Share <= e.Hi) {
			t.Errorf("%s %s: estimate %+v", what, c.ID, e)
		}
		for repo, x := range c.EstimateByRepo {
			if !(x.Lo <= x.Share && x.Share <= x.Hi) {
				t.Errorf("%s %s in %s: %+v", what, c.ID, repo, x)
			}
		}
	}
	for _, c := range doc.Categories {
		check("category", c.count)
		for _, s := range c.Subcategories {
			check("subcategory", s)
		}
	}
	for _, c := range doc.RootCauses.Values {
		check("root cause", c)
	}
	for _, c := range doc.Severities.Values {
		check("severity", c)
	}
	if n != 9+16+5+4 {
		t.Errorf("%d estimates checked", n)
	}
	for name, raw := range map[string]json.RawMessage{"trends": doc.Trends, "engine_comparison": doc.Comparison, "time_to_close": doc.TimeToClose} {
		if len(raw) < 10 {
			t.Errorf("JSON lacks %s", name)
		}
	}
	t.Logf("%d key findings, first: %q", len(r.KeyFindings), r.KeyFindings)
}

// TestSharedCorrectionCloser checks that the shares corrected with all of
// random-300 are expected to be closer to the true shares than the raw
// shares, for the top-level categories and the root causes.
//
// The hand labels cannot be both the correction and the truth, so the
// test splits random-300 at random into halves within each stratum, for
// twenty splits, and corrects with each half in turn. Since a corrected
// share c is unbiased (the simulation test checks its coverage), two
// halves' corrections cA, cB are independent estimates of the true share p:
//
//	E(cA − cB)² = 2·MSE(half)           (so MSE(half) = E(cA − cB)²/2)
//	E(raw − cA)² = (raw − p)² + MSE(half) (so bias² = E(raw − cA)² − MSE(half))
//
// and with twice the labels the error of the corrected share halves:
// MSE(all) = MSE(half)/2. The test fails unless MSE(all) < bias², summed
// over the values, which is the comparison with an independent
// hand-labelled sample in expectation (that sample's own noise adds the
// same amount to both sides). The naive distance from the other half's
// hand-labelled shares is logged beside it: at half the labels it is
// dominated by the noise of both halves.
func TestSharedCorrectionCloser(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: the real data")
	}
	db, tax := sharedStudy(t)
	ctx := context.Background()
	full, err := GoldFiles([]string{testshared.RandomGold(t)}, tax, false)
	if err != nil {
		t.Fatal(err)
	}
	items, err := db.Classified(ctx, bugscope.ClassifiedFilter{Taxonomy: tax.Name, Classifier: classify.Name})
	if err != nil {
		t.Fatal(err)
	}
	var refs []bugscope.IssueRef
	for ref := range full.Labels {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	byStratum := map[string][]bugscope.IssueRef{}
	for _, ref := range refs {
		byStratum[full.Strata[ref]] = append(byStratum[full.Strata[ref]], ref)
	}
	// shares returns the raw and the corrected share of every top-level
	// category and every root cause, corrected with g.
	type share struct{ raw, corrected float64 }
	shares := func(g *report.Gold) (cats, rcs map[string]share) {
		r, err := report.Build(tax, items, report.Options{Gold: g, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		cats, rcs = map[string]share{}, map[string]share{}
		for _, c := range r.Categories {
			cats[c.ID] = share{c.Share, c.Estimate.Share}
		}
		for _, c := range r.RootCauses.Values {
			rcs[c.ID] = share{c.Share, c.Estimate.Share}
		}
		return cats, rcs
	}
	// errors accumulates, per family of values, Σ(cA − cB)² and
	// Σ((raw − cA)² + (raw − cB)²)/2 over the values, averaged over splits.
	type errors struct{ halves, rawToHalf float64 }
	const splits = 20
	var catErr, rcErr errors
	add := func(e *errors, a, b map[string]share) {
		for id, sa := range a {
			sb := b[id]
			e.halves += (sa.corrected - sb.corrected) * (sa.corrected - sb.corrected) / splits
			e.rawToHalf += ((sa.raw-sa.corrected)*(sa.raw-sa.corrected) + (sa.raw-sb.corrected)*(sa.raw-sb.corrected)) / 2 / splits
		}
	}
	for seed := range uint64(splits) {
		rng := rand.New(rand.NewPCG(seed+1, 77))
		a := &report.Gold{Source: "half A", Labels: map[bugscope.IssueRef]bugscope.Labels{}, Strata: map[bugscope.IssueRef]string{}}
		b := &report.Gold{Source: "half B", Labels: map[bugscope.IssueRef]bugscope.Labels{}, Strata: map[bugscope.IssueRef]string{}}
		for _, s := range slices.Sorted(maps.Keys(byStratum)) {
			rs := slices.Clone(byStratum[s])
			rng.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
			for i, ref := range rs {
				half := a
				if i%2 == 1 {
					half = b
				}
				half.Labels[ref], half.Strata[ref] = full.Labels[ref], s
			}
		}
		catsA, rcsA := shares(a)
		catsB, rcsB := shares(b)
		add(&catErr, catsA, catsB)
		add(&rcErr, rcsA, rcsB)
	}
	check := func(name string, e errors) {
		mseHalf := e.halves / 2
		bias2 := e.rawToHalf - mseHalf
		mseAll := mseHalf / 2
		t.Logf("%s: raw shares off by %.2f points (root of the summed squared bias), shares corrected with all of random-300 expected off by %.2f (with half: %.2f); two halves' corrections differ by %.2f",
			name, 100*math.Sqrt(math.Max(bias2, 0)), 100*math.Sqrt(mseAll), 100*math.Sqrt(mseHalf), 100*math.Sqrt(e.halves))
		if mseAll >= bias2 {
			t.Errorf("%s: the shares corrected with all the hand labels are not expected to be closer than the raw shares (summed squared error %.5f, raw bias² %.5f)", name, mseAll, bias2)
		}
	}
	check("top-level categories", catErr)
	check("root causes", rcErr)
}

// BenchmarkReport measures the whole report of the 4,019 real issues with
// the hand-labelled correction: loading the classifications from the
// database, computing every figure, writing the Markdown, JSON and CSV,
// and drawing every chart as SVG and PNG (scripts/bench.sh reports its
// median).
func BenchmarkReport(b *testing.B) {
	db, tax := sharedStudy(b)
	g, err := GoldFiles([]string{testshared.RandomGold(b)}, tax, false)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := BuildReport(context.Background(), db, tax, ReportOptions{Now: time.Now(), Gold: g})
		if err != nil {
			b.Fatal(err)
		}
		if r.Charts, err = chart.Write(dir, r); err != nil {
			b.Fatal(err)
		}
		for _, f := range report.Formats {
			var out bytes.Buffer
			if err := r.Write(&out, f); err != nil {
				b.Fatal(err)
			}
		}
	}
}
