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

// TestSharedCorrectionCloser measures how far the raw and the corrected
// shares of the top-level categories and the root causes are from hand
// labels the correction did not see: random-300 is split at random into
// halves within each stratum; the shares are corrected with one half and
// compared with the other half's own (stratum-weighted) shares, for ten
// splits. It logs the mean absolute difference in percentage points and
// fails if the corrected shares are not closer on average.
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
	pop := map[string]int{}
	for _, it := range items {
		pop[it.Issue.Repo]++
	}
	catDim, rcDim := tax.ByRole(taxonomy.RoleCategory), tax.ByRole(taxonomy.RoleRootCause)
	// handShares is the stratum-weighted share of each value among the
	// bugs of the hand labels in half.
	handShares := func(half map[bugscope.IssueRef]bugscope.Labels, value func(bugscope.Labels) string) map[string]float64 {
		bugs, byVal := map[string]float64{}, map[string]map[string]float64{}
		n := map[string]float64{}
		for ref, l := range half {
			n[ref.Repo]++
			if !tax.Applies(catDim, l) {
				continue
			}
			bugs[ref.Repo]++
			v := value(l)
			if byVal[v] == nil {
				byVal[v] = map[string]float64{}
			}
			byVal[v][ref.Repo]++
		}
		var den float64
		for repo := range n {
			den += float64(pop[repo]) * bugs[repo] / n[repo]
		}
		out := map[string]float64{}
		for v, m := range byVal {
			var num float64
			for repo, k := range m {
				num += float64(pop[repo]) * k / n[repo]
			}
			out[v] = num / den
		}
		return out
	}
	group := func(l bugscope.Labels) string { return catDim.GroupOf(l.One(catDim.ID)) }
	rootCause := func(l bugscope.Labels) string { return l.One(rcDim.ID) }
	var refs []bugscope.IssueRef
	for ref := range full.Labels {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	type dist struct{ raw, corrected float64 }
	var cats, rcs []dist
	for seed := range uint64(10) {
		rng := rand.New(rand.NewPCG(seed+1, 77))
		byStratum := map[string][]bugscope.IssueRef{}
		for _, ref := range refs {
			byStratum[full.Strata[ref]] = append(byStratum[full.Strata[ref]], ref)
		}
		a := &report.Gold{Source: "half A", Labels: map[bugscope.IssueRef]bugscope.Labels{}, Strata: map[bugscope.IssueRef]string{}}
		b := map[bugscope.IssueRef]bugscope.Labels{}
		for _, s := range slices.Sorted(maps.Keys(byStratum)) {
			rs := byStratum[s]
			rng.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
			for i, ref := range rs {
				if i%2 == 0 {
					a.Labels[ref], a.Strata[ref] = full.Labels[ref], s
				} else {
					b[ref] = full.Labels[ref]
				}
			}
		}
		r, err := report.Build(tax, items, report.Options{Gold: a, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		handCat, handRC := handShares(b, group), handShares(b, rootCause)
		var dc, dr dist
		for _, c := range r.Categories {
			dc.raw += math.Abs(c.Share - handCat[c.ID])
			dc.corrected += math.Abs(c.Estimate.Share - handCat[c.ID])
		}
		for _, c := range r.RootCauses.Values {
			dr.raw += math.Abs(c.Share - handRC[c.ID])
			dr.corrected += math.Abs(c.Estimate.Share - handRC[c.ID])
		}
		dc.raw, dc.corrected = 100*dc.raw/float64(len(r.Categories)), 100*dc.corrected/float64(len(r.Categories))
		dr.raw, dr.corrected = 100*dr.raw/float64(len(r.RootCauses.Values)), 100*dr.corrected/float64(len(r.RootCauses.Values))
		cats, rcs = append(cats, dc), append(rcs, dr)
	}
	mean := func(ds []dist) dist {
		var m dist
		for _, d := range ds {
			m.raw += d.raw / float64(len(ds))
			m.corrected += d.corrected / float64(len(ds))
		}
		return m
	}
	mc, mr := mean(cats), mean(rcs)
	t.Logf("top-level categories: mean absolute difference from the other half's hand labels, raw %.2f points, corrected %.2f points (10 splits: %v)", mc.raw, mc.corrected, cats)
	t.Logf("root causes: raw %.2f points, corrected %.2f points (10 splits: %v)", mr.raw, mr.corrected, rcs)
	if mc.corrected >= mc.raw || mr.corrected >= mr.raw {
		t.Errorf("the corrected shares are not closer to held-out hand labels: categories %+v, root causes %+v", mc, mr)
	}
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
