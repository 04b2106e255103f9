package learn

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

func TestTitleConvention(t *testing.T) {
	for _, tc := range []struct{ title, want string }{
		{"[Bug]: CUDA OOM", "bug"},
		{"[Feature Request] tools", "feature_request"},
		{"  [RFC]: new scheduler", "rfc"},
		{"Bug: server hangs", "bug"},
		{"Feature Request: add x", "feature_request"},
		{"Misc. bug: something", "misc_bug"},
		{"Eval bug: garbage", "eval_bug"},
		{"Qwen2.5: fails to load", ""}, // a model name, not a convention
		{"server hangs when streaming", ""},
		{"This is a very long sentence with a colon: later", ""},
		{"[" + strings.Repeat("x", 50) + "] long", ""},
		{"", ""},
	} {
		if got := TitleConvention(tc.title); got != tc.want {
			t.Errorf("TitleConvention(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
}

func sampleDoc() Doc {
	body := "### Your current environment\n```text\nCUDA 12.1\n```\n" +
		"<!-- Please describe\nthe bug here -->\n" +
		"### 🐛 Describe the bug\nThe server crashes with CUDA out of memory.\n" +
		"- [x] I searched the issues\n" +
		"```\nTraceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory\n```\n"
	return Doc{
		Issue:   bugscope.Issue{Repo: "o/r", Number: 1, Title: "[Bug]: OOM on A100", Body: body, Labels: []string{"bug", "Memory"}},
		Signals: []bugscope.Signal{{Kind: bugscope.SignalException, Value: "torch.OutOfMemoryError"}, {Kind: bugscope.SignalErrorSignature, Value: "CUDA out of memory"}},
		Rules: &bugscope.Classification{Labels: bugscope.Labels{"kind": {"bug"}, "patterns": {"quantization"}},
			DimConfidence: map[string]float64{"kind": 0.8, "patterns": 0.5}},
	}
}

func TestExtractFeatures(t *testing.T) {
	names := map[uint64]string{}
	e := newExtractor(DefaultFeatures(), names)
	d := sampleDoc()
	raw := e.extract(&d)
	got := map[string]rawFeat{}
	for _, f := range raw {
		got[names[f.h]] = f
	}
	for _, want := range []string{
		"t:oom", "t:bug oom", "t:a100", "c: oo", "c:oom ", "c: a10",
		"b:server crashes", "b:out of", "k:traceback", "k:torch outofmemoryerror",
		"tp:bug", "l:bug", "l:memory", "r:o/r", "h:describe the bug", "h:your current environment",
		"s:exception", "s:exception=torch.outofmemoryerror", "s:error_signature", "m:traceback", "m:body<300",
		"rule:kind=bug", "rule:kind=bug/high", "rule:patterns=quantization",
	} {
		if _, ok := got[want]; !ok {
			t.Errorf("no feature %q", want)
		}
	}
	for _, unwanted := range []string{"b:please", "b:searched", "b:12", "s:error_signature=cuda out of memory", "rule:kind=bug/mid"} {
		if _, ok := got[unwanted]; ok {
			t.Errorf("unwanted feature %q", unwanted)
		}
	}
	if f := got["k:cuda"]; f.n != 2 || f.block != blockCode {
		t.Errorf("k:cuda = %+v, want count 2 in the code block", f)
	}
	if f := got["b:cuda"]; f.n != 1 || f.block != blockText {
		t.Errorf("b:cuda = %+v, want count 1 in the prose", f)
	}
	// Without names the same hashes come out.
	raw2 := newExtractor(DefaultFeatures(), nil).extract(&d)
	if len(raw2) != len(raw) {
		t.Errorf("%d features without names, %d with", len(raw2), len(raw))
	}
}

func TestTokens(t *testing.T) {
	e := newExtractor(DefaultFeatures(), nil)
	var got []string
	for _, tok := range e.tokens([]byte("q4_k_m 12345 v0 deadbeefcafe1234 " + strings.Repeat("x", 31) + " fp8,int4")) {
		got = append(got, string(tok))
	}
	want := []string{"q4_k_m", "#num", "v0", "fp8", "int4"}
	if !slices.Equal(got, want) {
		t.Errorf("tokens = %q, want %q", got, want)
	}
}

func TestVectorBlocksAreUnitLength(t *testing.T) {
	tax := mustTax(t)
	d := sampleDoc()
	d2 := sampleDoc()
	d2.Issue.Number = 2
	c, err := NewCorpus(tax, DefaultFeatures(), []Doc{d, d2}, []bugscope.Labels{{"kind": {"question"}}, {"kind": {"question"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := c.vocab([]int{0, 1})
	x := v.vector(c.raw[0], c.Cfg)
	var norm [numBlocks]float64
	for k, i := range x.Idx {
		norm[v.Block[i]] += float64(x.Val[k]) * float64(x.Val[k])
		if k > 0 && x.Idx[k-1] >= i {
			t.Fatal("indices not ascending")
		}
	}
	cfg := c.Cfg
	for b, w := range []float64{cfg.TitleWeight, cfg.CharWeight, cfg.TextWeight, cfg.CodeWeight} {
		if math.Abs(math.Sqrt(norm[b])-w) > 1e-5 {
			t.Errorf("block %d has length %.6f, want %.2f", b, math.Sqrt(norm[b]), w)
		}
	}
	// idf over two docs that both have a word: ln(3/3)+1 = 1.
	i := v.index[featureHash("t:oom")]
	if v.IDF[i] != 1 {
		t.Errorf("idf = %v, want 1", v.IDF[i])
	}
}

func TestStratifiedFolds(t *testing.T) {
	var keys []string
	for i := 0; i < 103; i++ {
		keys = append(keys, []string{"a", "a", "a", "b", "b", "c"}[i%6])
	}
	keys = append(keys, "rare", "rare")
	folds := StratifiedFolds(keys, 5, 1)
	seen := map[int]bool{}
	for f, fold := range folds {
		if len(fold) < 21 || len(fold) > 22 {
			t.Errorf("fold %d has %d items", f, len(fold))
		}
		per := map[string]int{}
		for _, p := range fold {
			if seen[p] {
				t.Fatalf("item %d in two folds", p)
			}
			seen[p] = true
			per[keys[p]]++
		}
		if per["c"] < 3 || per["c"] > 4 || per["a"] < 10 || per["a"] > 11 {
			t.Errorf("fold %d: %v", f, per)
		}
		if got := Complement(len(keys), fold); len(got)+len(fold) != len(keys) {
			t.Errorf("complement of fold %d has %d items", f, len(got))
		}
	}
	if len(seen) != len(keys) {
		t.Errorf("%d of %d items in a fold", len(seen), len(keys))
	}
	rare := 0
	for _, fold := range folds {
		for _, p := range fold {
			if keys[p] == "rare" {
				rare++
				break
			}
		}
	}
	if rare != 2 {
		t.Errorf("the two rare items share a fold")
	}
	again := StratifiedFolds(keys, 5, 1)
	for f := range folds {
		if !slices.Equal(folds[f], again[f]) {
			t.Fatal("same seed, different folds")
		}
	}
}

func TestFitCutpoints(t *testing.T) {
	// Scores that order the ranks perfectly are cut perfectly.
	var scores []float64
	var ranks []int
	for r := 0; r < 4; r++ {
		for i := 0; i < 5+r; i++ {
			scores = append(scores, float64(r)+0.1*float64(i)/float64(5+r)+0.5)
			ranks = append(ranks, r)
		}
	}
	cuts := FitCutpoints(scores, ranks, 4)
	if len(cuts) != 3 {
		t.Fatalf("cuts %v", cuts)
	}
	for i, s := range scores {
		r := 0
		for _, c := range cuts {
			if s >= c {
				r++
			}
		}
		if r != ranks[i] {
			t.Errorf("score %.2f cut to rank %d, want %d (cuts %v)", s, r, ranks[i], cuts)
		}
	}
	if FitCutpoints(nil, nil, 4) != nil {
		t.Error("cutpoints without data")
	}
}

func mustTax(t testing.TB) *taxonomy.Taxonomy {
	t.Helper()
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

// synthetic makes n labelled docs whose words tell their labels, with
// noise words, and their rule decisions (right 70% of the time).
func synthetic(n int, seed uint64) ([]Doc, []bugscope.Labels) {
	r := rand.New(rand.NewPCG(seed, 1))
	type class struct {
		labels bugscope.Labels
		words  []string
	}
	classes := []class{
		{bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom"}, "root_cause": {"resource_constraints"}, "severity": {"P1"}, "patterns": {"paged_attention"}},
			[]string{"out of memory", "oom", "allocate", "kv blocks"}},
		{bugscope.Labels{"kind": {"bug"}, "category": {"concurrency.deadlock"}, "root_cause": {"concurrency"}, "severity": {"P0"}, "patterns": {}},
			[]string{"hangs", "stuck", "freezes", "no progress"}},
		{bugscope.Labels{"kind": {"bug"}, "category": {"build.install"}, "root_cause": {"integration"}, "severity": {"P2"}, "patterns": {"platform"}},
			[]string{"pip install", "wheel", "compile error", "windows"}},
		{bugscope.Labels{"kind": {"feature"}}, []string{"please add", "support for", "would be nice", "proposal"}},
		{bugscope.Labels{"kind": {"question"}}, []string{"how do i", "is it possible", "what is", "help"}},
	}
	noise := []string{"model", "server", "gpu", "vllm", "the", "when", "using", "run", "version", "latest"}
	var docs []Doc
	var gold []bugscope.Labels
	for i := 0; i < n; i++ {
		c := classes[i%len(classes)]
		var title, body []string
		title = append(title, c.words[r.IntN(len(c.words))], noise[r.IntN(len(noise))])
		for k := 0; k < 12; k++ {
			if r.IntN(3) == 0 {
				body = append(body, c.words[r.IntN(len(c.words))])
			} else {
				body = append(body, noise[r.IntN(len(noise))])
			}
		}
		rules := bugscope.Labels{"kind": c.labels["kind"]}
		conf := 0.8
		if r.IntN(10) < 3 { // wrong, and unsure
			rules = bugscope.Labels{"kind": {"docs"}}
			conf = 0.35
		}
		gl := bugscope.Labels{}
		for k, v := range c.labels {
			if len(v) > 0 {
				gl[k] = v
			}
		}
		docs = append(docs, Doc{
			Issue: bugscope.Issue{Repo: "o/r", Number: i + 1, Title: strings.Join(title, " "), Body: strings.Join(body, " ")},
			Rules: &bugscope.Classification{Classifier: "rules", ClassifierVersion: "test", Labels: rules, DimConfidence: map[string]float64{"kind": conf}},
		})
		gold = append(gold, gl)
	}
	return docs, gold
}

func TestTrainPredictSaveLoad(t *testing.T) {
	tax := mustTax(t)
	docs, gold := synthetic(150, 1)
	c, err := NewCorpus(tax, DefaultFeatures(), docs, gold, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := DefaultTrainOptions()
	opt.MinPositives = 2
	m, oof, err := Train(context.Background(), c, Complement(c.Len(), nil), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(oof) != c.Len() {
		t.Fatalf("%d out-of-fold predictions for %d docs", len(oof), c.Len())
	}
	right := 0
	for i, p := range oof {
		if p["kind"].Values[0] == gold[i].One("kind") {
			right++
		}
	}
	if right < 140 {
		t.Errorf("out-of-fold kind right on %d of 150", right)
	}
	for _, dm := range m.Dimensions {
		if dm.Head != nil && (dm.Head.Temperature <= 0 || dm.Head.Temperature == 1 && len(dm.Head.Classes) > 1) {
			t.Errorf("%s: temperature %v not fitted", dm.Dimension, dm.Head.Temperature)
		}
	}
	if m.Format != Format || m.Taxonomy != tax.Name || !strings.HasPrefix(m.Training.DataHash, "sha256:") ||
		m.Training.Examples != 150 || m.Training.Rules != "test" || m.Training.ByKind["bug"] != 90 {
		t.Errorf("model description: %+v %+v", m.Format, m.Training)
	}

	fresh, _ := synthetic(25, 99)
	preds, err := m.Predict(context.Background(), fresh, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, freshGold := synthetic(25, 99)
	for i, p := range preds {
		l := p.Labels(tax)
		if err := tax.Check(l); err != nil {
			t.Errorf("doc %d: labels %v: %v", i, l, err)
		}
		if l.One("kind") != freshGold[i].One("kind") || l.One("category") != freshGold[i].One("category") {
			t.Errorf("doc %d %q: predicted %v, want %v", i, fresh[i].Issue.Title, l, freshGold[i])
		}
		kp := p["kind"]
		if kp.Confidence <= 0 || kp.Confidence > 1 || len(kp.Evidence) == 0 {
			t.Errorf("doc %d: kind confidence %v evidence %v", i, kp.Confidence, kp.Evidence)
		}
		sum := 0.0
		for _, v := range kp.Probs {
			sum += v
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("doc %d: kind probabilities sum to %v", i, sum)
		}
	}
	// The evidence of a decision names a word that tells its class and
	// quotes it from the issue.
	ev := preds[0]["kind"].Evidence[0]
	if ev.Rule != Name || ev.Weight <= 0 || ev.Field == "" {
		t.Errorf("evidence %+v", ev)
	}
	cls := Classification(m, fresh[0].Issue.Ref(), preds[0])
	if cls.Classifier != Name || cls.Confidence <= 0 || len(cls.Evidence) == 0 || cls.DimConfidence["kind"] == 0 {
		t.Errorf("classification %+v", cls)
	}

	m2 := saveAndLoad(t, m, tax)
	preds2, err := m2.Predict(context.Background(), fresh, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range preds {
		for dim, p := range preds[i] {
			q := preds2[i][dim]
			if !slices.Equal(p.Values, q.Values) || math.Abs(p.Confidence-q.Confidence) > 1e-6 {
				t.Errorf("doc %d %s: %v %.6f before saving, %v %.6f after", i, dim, p.Values, p.Confidence, q.Values, q.Confidence)
			}
		}
	}
}

func TestReadRefusesBadFiles(t *testing.T) {
	tax := mustTax(t)
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	other, _ := taxonomy.Builtin("first-look-2025")
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{[]byte("plain text"), "not a bugscope model"},
		{gz(`{"format":"something-else","format_version":1}`), "format"},
		{gz(`{"format":"bugscope-model","format_version":99}`), "format version 99"},
		{gz(`{"format":"bugscope-model","format_version":1,"taxonomy":"first-look-2025","taxonomy_version":"` + other.Version + `"}`), "trained on taxonomy first-look-2025"},
		{gz(`{"format":"bugscope-model","format_version":1,"taxonomy":"llm-serving-v1","taxonomy_version":"` + tax.Version + `","vocab":{"names":["a"],"block":[],"idf":[]}}`), "differ in length"},
		{gz(`{"format":"bugscope-model","format_version":1,"taxonomy":"llm-serving-v1","taxonomy_version":"` + tax.Version + `","dimensions":[{"dimension":"kind","head":{"classes":["bug"],"bias":[0],"temperature":1,"features":[5],"weights":[1]}}]}`), "outside the vocabulary"},
		{gz(`{"format":"bugscope-model","format_version":1,"taxonomy":"llm-serving-v1","taxonomy_version":"` + tax.Version + `","dimensions":[{"dimension":"kind","head":{"classes":["bugg"],"bias":[0],"temperature":1}}]}`), "not in the taxonomy"},
		{gz(`{"format":"bugscope-model"`), "unexpected end"},
		{gz(`{"format":"bugscope-model","format_version":1,"taxonomy":"llm-serving-v1","taxonomy_version":"` + tax.Version + `","vocab":{"names":["a"],"block":[9],"idf":[1]}}`), "has block 9"},
	} {
		_, err := Read(bytes.NewReader(tc.data), "m", tax)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read(%.40q) = %v, want an error with %q", tc.data, err, tc.want)
		}
	}
}

// smallModel trains a model on six synthetic issues with few features
// (words, no n-grams), and returns it with them: a model file of a few
// kilobytes, which a fuzzer can work on.
func smallModel(t testing.TB) (*Model, []Doc) {
	t.Helper()
	docs, gold := synthetic(6, 2)
	cfg := DefaultFeatures()
	cfg.WordNgrams, cfg.CharMax, cfg.RuleFeatures, cfg.MinDF = 1, 0, false, 3
	c, err := NewCorpus(mustTax(t), cfg, docs, gold, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := DefaultTrainOptions()
	opt.CalibrationFolds = 0
	m, _, err := Train(context.Background(), c, Complement(c.Len(), nil), opt)
	if err != nil {
		t.Fatal(err)
	}
	return m, docs
}

// FuzzRead fuzzes the model format: the fuzzer mutates the JSON of a small
// model and the target decodes it as Read does after decompressing
// (mutating gzip'd bytes would only ever meet the checksum, and
// compressing each input would cost more than reading it); inputs are
// bounded so that each run is quick. A model that reads must predict.
func FuzzRead(f *testing.F) {
	tax := mustTax(f)
	m, docs := smallModel(f)
	seed, err := json.Marshal(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"format": "bugscope-model", "format_version": 1}`))
	f.Add(bytes.Replace(seed, []byte(`"char_max":0`), []byte(`"char_max":2000000000`), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return
		}
		m, err := Decode(data, "fuzz", tax)
		if err != nil {
			return
		}
		if _, err := m.Predict(context.Background(), docs[:2], 2); err != nil {
			t.Fatal(err)
		}
	})
}

// A model file cannot make reading an issue endless: its feature
// configuration is checked.
func TestReadChecksFeatureConfiguration(t *testing.T) {
	tax := mustTax(t)
	m, _ := smallModel(t)
	for _, bad := range []func(*FeatureConfig){
		func(f *FeatureConfig) { f.CharMax = 2000000000 },
		func(f *FeatureConfig) { f.WordNgrams = 1000 },
		func(f *FeatureConfig) { f.WordNgrams = 0 },
		func(f *FeatureConfig) { f.BodyHead = 1 << 40 },
		func(f *FeatureConfig) { f.TextWeight = -1 },
	} {
		mm := *m
		bad(&mm.Features)
		var b bytes.Buffer
		if err := mm.Write(&b); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(&b, "bad", tax); err == nil || !strings.Contains(err.Error(), "feature configuration") {
			t.Errorf("%+v: %v", mm.Features, err)
		}
	}
}

func TestNewCorpusErrors(t *testing.T) {
	tax := mustTax(t)
	docs, gold := synthetic(3, 1)
	if _, err := NewCorpus(tax, DefaultFeatures(), docs, gold[:2], nil); err == nil {
		t.Error("docs and gold of different lengths accepted")
	}
	bad := append([]bugscope.Labels(nil), gold...)
	bad[1] = bugscope.Labels{"kind": {"feature"}, "category": {"memory.oom"}}
	if _, err := NewCorpus(tax, DefaultFeatures(), docs, bad, nil); err == nil || !strings.Contains(err.Error(), "o/r#2") {
		t.Errorf("invalid gold labels: %v", err)
	}
	cfg := DefaultFeatures()
	cfg.MinDF = 0
	if _, err := NewCorpus(tax, cfg, docs, gold, nil); err == nil {
		t.Error("MinDF 0 accepted")
	}
}

func TestDataHash(t *testing.T) {
	docs, gold := synthetic(5, 1)
	h := DataHash(docs, gold)
	rev := slices.Clone(docs)
	slices.Reverse(rev)
	revGold := slices.Clone(gold)
	slices.Reverse(revGold)
	if DataHash(rev, revGold) != h {
		t.Error("the hash depends on the order")
	}
	docs[2].Issue.Body += "!"
	if DataHash(docs, gold) == h {
		t.Error("the hash ignores a changed body")
	}
	if !strings.HasPrefix(h, "sha256:") || len(h) != 7+64 {
		t.Errorf("hash %q", h)
	}
}

func TestTrainWithCutpoints(t *testing.T) {
	tax := mustTax(t)
	docs, gold := synthetic(100, 2)
	c, err := NewCorpus(tax, DefaultFeatures(), docs, gold, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := DefaultTrainOptions()
	opt.OrdinalDecision = DecideCutpoints
	m, oof, err := Train(context.Background(), c, Complement(c.Len(), nil), opt)
	if err != nil {
		t.Fatal(err)
	}
	var sev *DimModel
	for _, dm := range m.Dimensions {
		if dm.Dimension == "severity" {
			sev = dm
		}
	}
	if sev == nil || sev.Decision != DecideCutpoints || len(sev.Cutpoints) != 3 || !slices.IsSorted(sev.Cutpoints) {
		t.Fatalf("severity model %+v", sev)
	}
	// The synthetic severities follow the categories: the cut decisions
	// are right out of fold.
	right, n := 0, 0
	for i, p := range oof {
		if g := gold[i].One("severity"); g != "" {
			n++
			if p["severity"].Values[0] == g {
				right++
			}
		}
	}
	if right < n*9/10 {
		t.Errorf("severity right on %d of %d out of fold", right, n)
	}
}

// fixedRules answers the synthetic docs' rule decisions.
type fixedRules struct{ docs []Doc }

func (f fixedRules) Name() string    { return "rules" }
func (f fixedRules) Version() string { return "test" }
func (f fixedRules) Classify(_ context.Context, issues []bugscope.Issue) ([]bugscope.Classification, error) {
	out := make([]bugscope.Classification, len(issues))
	for i, is := range issues {
		out[i] = *f.docs[is.Number-1].Rules
	}
	return out, nil
}

func TestClassifier(t *testing.T) {
	tax := mustTax(t)
	docs, gold := synthetic(60, 4)
	c, err := NewCorpus(tax, DefaultFeatures(), docs, gold, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := Train(context.Background(), c, Complement(c.Len(), nil), DefaultTrainOptions())
	if err != nil {
		t.Fatal(err)
	}
	issues := []bugscope.Issue{docs[0].Issue, docs[3].Issue}
	if _, err := (&Classifier{Model: m}).Classify(context.Background(), issues); err == nil {
		t.Error("a model with rule features ran without rules")
	}
	cl := &Classifier{Model: m, Rules: fixedRules{docs}}
	cs, err := cl.Classify(context.Background(), issues)
	if err != nil {
		t.Fatal(err)
	}
	if cl.Name() != Name || !strings.HasPrefix(cl.Version(), "v1+sha256:") {
		t.Errorf("name %q version %q", cl.Name(), cl.Version())
	}
	for i, c := range cs {
		if c.Issue != issues[i].Ref() || c.Classifier != Name || c.Labels.One("kind") != gold[issues[i].Number-1].One("kind") {
			t.Errorf("issue %d: %+v", i, c)
		}
		if err := tax.Check(c.Labels); err != nil {
			t.Error(err)
		}
	}
}

// saveAndLoad writes m to a model file and reads it back.
func saveAndLoad(t *testing.T, m *Model, tax *taxonomy.Taxonomy) *Model {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.json.gz")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(path, tax)
	if err != nil {
		t.Fatal(err)
	}
	return m2
}
