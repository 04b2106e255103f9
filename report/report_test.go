package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	vllm  = "vllm-project/vllm"
	llama = "ggml-org/llama.cpp"
	sgl   = "sgl-project/sglang"
)

var fixedNow = time.Date(2025, 6, 30, 9, 15, 0, 0, time.UTC)

// nastyTitle is a title that tries every way out of Markdown.
const nastyTitle = "<script>alert(1)</script> [link](javascript:alert(1)) | pipe `code` *bold* _em_ ~~del~~\nsecond line # not a heading"

type fx struct {
	repo       string
	n          int
	title      string
	kind, cat  string
	root, sev  string
	patterns   []string
	conf       float64
	ev         *bugscope.Evidence // category evidence, when a bug
	signals    []bugscope.Signal
	url        string
	noEvidence bool
}

func sig(kind, value string) bugscope.Signal {
	return bugscope.Signal{Kind: kind, Value: value, Field: "body"}
}

func quoted(rule, match, line string, w float64) *bugscope.Evidence {
	return &bugscope.Evidence{Rule: rule, Field: "body", Match: match, Offset: 10, Line: line, Weight: w}
}

// fixture is a dozen issues of three engines, laid out so that every
// figure below can be checked by hand:
//
//	bugs: vLLM 4, llama.cpp 3, SGLang 3 (10 of 13 issues)
//	memory.oom 3 (v101 v102 l201), memory.leak 1 (s301), gpu.cuda_error 2 (v103 l202),
//	distributed.multi_gpu 1 (v104), model.inference 1 (l203),
//	concurrency.deadlock 1 (s302), api.request_handling 1 (s303)
func fixture() []bugscope.Classified {
	fs := []fx{
		{repo: vllm, n: 101, title: "[Bug]: CUDA out of memory with a 32k prompt", kind: "bug", cat: "memory.oom", root: "resource_constraints", sev: "P1",
			patterns: []string{"paged_attention"}, conf: 0.8,
			ev: quoted("category.oom.message", "CUDA out of memory", "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB", 2),
			signals: []bugscope.Signal{sig(bugscope.SignalErrorSignature, "torch.OutOfMemoryError: CUDA out of memory"), sig(bugscope.SignalGPU, "H100"),
				{Kind: bugscope.SignalGPU, Value: "H100", Field: "body", Offset: 99}, sig(bugscope.SignalException, "torch.OutOfMemoryError"), sig(bugscope.SignalOS, "Linux")}},
		{repo: vllm, n: 102, title: "[Bug]: engine dies under load", kind: "bug", cat: "memory.oom", root: "resource_constraints", sev: "P2",
			patterns: []string{"paged_attention", "prefix_caching"}, conf: 0.9,
			ev:      &bugscope.Evidence{Rule: "default-category-1", Note: "no category cue matched"},
			signals: []bugscope.Signal{sig(bugscope.SignalGPU, "H100"), sig(bugscope.SignalGPU, "A100")}},
		{repo: vllm, n: 103, title: "[Bug]: illegal memory access with FP8", kind: "bug", cat: "gpu.cuda_error", root: "integration", sev: "P1",
			patterns: []string{"quantization"}, conf: 0.7,
			ev:      &bugscope.Evidence{Rule: "category.cuda_error.message", Field: "title", Match: "illegal memory access", Offset: 7, Line: "[Bug]: illegal memory access with FP8", Weight: 3},
			signals: []bugscope.Signal{sig(bugscope.SignalErrorSignature, "CUDA error: an illegal memory access was encountered"), sig(bugscope.SignalGPU, "A100")}},
		{repo: vllm, n: 104, title: "[Bug]: NCCL error with TP=4", kind: "bug", cat: "distributed.multi_gpu", root: "integration", sev: "P0", conf: 0.4,
			ev:      quoted("category.multi_gpu.nccl", "NCCL error", "torch.distributed.DistBackendError: NCCL error in: ProcessGroupNCCL.cpp:1970", 2),
			signals: []bugscope.Signal{sig(bugscope.SignalBackend, "CUDA")}},
		{repo: vllm, n: 105, title: "[Feature]: EAGLE-2", kind: "feature", conf: 0.9,
			signals: []bugscope.Signal{sig(bugscope.SignalGPU, "H100")}}, // not a bug: not counted
		{repo: vllm, n: 106, title: "[Usage]: how do I set max_model_len?", kind: "question", conf: 0.6},

		{repo: llama, n: 201, title: "CUDA: failed to allocate buffer on Windows", kind: "bug", cat: "memory.oom", root: "resource_constraints", sev: "P2",
			patterns: []string{"platform", "quantization"}, conf: 0.6,
			ev: quoted("category.oom.message", "failed to allocate buffer", "ggml_backend_cuda_buffer_type_alloc_buffer: failed to allocate buffer", 2),
			signals: []bugscope.Signal{sig(bugscope.SignalErrorSignature, "failed to allocate buffer"), sig(bugscope.SignalGPU, "RTX 4090"),
				sig(bugscope.SignalOS, "Windows"), sig(bugscope.SignalBackend, "CUDA")}},
		{repo: llama, n: 202, title: "Metal: crash on M2", kind: "bug", cat: "gpu.cuda_error", root: "integration", sev: "P1",
			patterns: []string{"platform"}, conf: 0.3,
			ev:      quoted("category.cuda_error.backend-assert", "ggml_metal_graph_compute: error", "ggml_metal_graph_compute: error: command buffer 0 failed", 2),
			signals: []bugscope.Signal{sig(bugscope.SignalBackend, "Metal"), sig(bugscope.SignalOS, "macOS")}},
		{repo: llama, n: 203, title: "gibberish with Q4_K_M", kind: "bug", cat: "model.inference", root: "edge_case", sev: "P2",
			patterns: []string{"quantization"}, conf: 0.5,
			ev: quoted("category.inference.signature", "gibberish", "the output is gibberish after 20 tokens", 3)},
		{repo: llama, n: 204, title: "README: typo", kind: "docs", conf: 0.7},

		{repo: sgl, n: 301, title: "[Bug] memory leak in the radix cache", kind: "bug", cat: "memory.leak", root: "state_management", sev: "P1",
			patterns: []string{"radix_attention"}, conf: 0.7,
			ev:      quoted("category.leak", "memory leak", "there is a memory leak: usage grows 1 GiB per hour", 2),
			signals: []bugscope.Signal{sig(bugscope.SignalErrorSignature, "torch.OutOfMemoryError: CUDA out of memory")}},
		{repo: sgl, n: 302, title: nastyTitle, kind: "bug", cat: "concurrency.deadlock", root: "edge_case", sev: "P0", conf: 0.65,
			url: "javascript:alert(1)",
			ev:  quoted("category.deadlock.text", "hangs", "the server hangs | <img src=x onerror=alert(1)> `x` [a](b)", 2)},
		{repo: sgl, n: 303, title: "[Bug] 500 on tool calls", kind: "bug", cat: "api.request_handling", root: "edge_case", sev: "P2",
			patterns: []string{"constrained_decoding"}, conf: 0.8,
			ev:      quoted("category.request_handling.signature", "Internal Server Error", "HTTP/1.1 500 Internal Server Error", 2),
			signals: []bugscope.Signal{sig(bugscope.SignalErrorSignature, "Internal Server Error")}},
	}
	var out []bugscope.Classified
	for _, f := range fs {
		created := time.Date(2025, 1, 1+f.n%28, 0, 0, 0, 0, time.UTC)
		url := f.url
		if url == "" {
			url = "https://github.com/" + f.repo + "/issues/" + strconv.Itoa(f.n)
		}
		is := bugscope.Issue{Repo: f.repo, Number: f.n, Title: f.title, State: "closed", CreatedAt: &created, URL: url, Labels: []string{f.kind}}
		l := bugscope.Labels{"kind": {f.kind}}
		ev := []bugscope.Evidence{{Dimension: "kind", Value: f.kind, Rule: "kind.label", Field: "labels", Match: f.kind, Weight: 2.5}}
		if f.kind == "bug" {
			l["category"] = []string{f.cat}
			l["root_cause"] = []string{f.root}
			l["severity"] = []string{f.sev}
			if f.patterns != nil {
				l["patterns"] = f.patterns
			}
			if f.ev != nil {
				e := *f.ev
				e.Dimension, e.Value = "category", f.cat
				ev = append(ev, e)
			}
		}
		out = append(out, bugscope.Classified{
			Issue: is,
			Classification: bugscope.Classification{Issue: is.Ref(), Taxonomy: "llm-serving-v1", TaxonomyVersion: "2", Classifier: "rules",
				ClassifierVersion: "1+abcdef12", Labels: l, Confidence: f.conf, Evidence: ev},
			Signals: f.signals,
		})
	}
	return out
}

func llmTax(t testing.TB) *taxonomy.Taxonomy {
	t.Helper()
	tax, err := taxonomy.Builtin("llm-serving-v1")
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

func buildFixture(t testing.TB) *Report {
	t.Helper()
	since := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r, err := Build(llmTax(t), fixture(), Options{
		Title:      "Fixture study",
		Now:        fixedNow,
		Classifier: NameVer{"rules", "1+abcdef12"},
		Filters:    Filters{Repos: []string{vllm, llama, sgl}, Since: &since, State: "closed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
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
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; run go test ./report -update and review the diff.\ngot:\n%s", path, got)
	}
}

func TestGolden(t *testing.T) {
	r := buildFixture(t)
	for _, f := range []struct{ format, file string }{
		{"markdown", "report.golden.md"},
		{"json", "report.golden.json"},
		{"csv", "report.golden.csv"},
	} {
		t.Run(f.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := r.Write(&b, f.format); err != nil {
				t.Fatal(err)
			}
			golden(t, f.file, b.Bytes())
		})
	}
}

func TestWriteFormats(t *testing.T) {
	r := buildFixture(t)
	var md, md2 bytes.Buffer
	if err := r.Write(&md, "md"); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&md2); err != nil || md.String() != md2.String() {
		t.Errorf(`Write("md") differs from WriteMarkdown (%v)`, err)
	}
	if err := r.Write(&bytes.Buffer{}, "pdf"); err == nil || !strings.Contains(err.Error(), `"pdf"`) {
		t.Errorf("Write(pdf) = %v", err)
	}
	// JSON round-trips to the same report.
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Errorf("JSON does not round-trip:\n got %+v\nwant %+v", back, *r)
	}
}

func TestFigures(t *testing.T) {
	r := buildFixture(t)
	if r.Title != "Fixture study" || !r.GeneratedAt.Equal(fixedNow) || r.Taxonomy != (NameVer{"llm-serving-v1", "2"}) || r.CategoryDimension != "category" {
		t.Errorf("header = %q %v %v %q", r.Title, r.GeneratedAt, r.Taxonomy, r.CategoryDimension)
	}
	// Engines, most issues first, with their display names.
	if want := []Engine{{vllm, "vLLM"}, {llama, "llama.cpp"}, {sgl, "SGLang"}}; !reflect.DeepEqual(r.Engines, want) {
		t.Errorf("engines = %v, want %v", r.Engines, want)
	}
	wantTotals := Totals{Issues: 13, ByRepo: map[string]int{vllm: 6, llama: 4, sgl: 3}, Bugs: 10, BugsByRepo: map[string]int{vllm: 4, llama: 3, sgl: 3}}
	if !reflect.DeepEqual(r.Totals, wantTotals) {
		t.Errorf("totals = %+v, want %+v", r.Totals, wantTotals)
	}
	if r.LowConfidence != 2 { // v104 0.4 and l202 0.3; 0.5 is not low
		t.Errorf("low confidence = %d, want 2", r.LowConfidence)
	}

	// Kinds over all issues.
	kinds := counts(r.Kinds.Values)
	if want := map[string]int{"bug": 10, "feature": 1, "question": 1, "docs": 1}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds = %v, want %v", kinds, want)
	}
	if r.Kinds.Base != 13 || !near(shareOf(r.Kinds.Values, "bug"), 10.0/13) {
		t.Errorf("kind base %d, bug share %v", r.Kinds.Base, shareOf(r.Kinds.Values, "bug"))
	}

	// Categories: every group of the taxonomy, in its order.
	if len(r.Categories) != 9 {
		t.Fatalf("%d categories, want 9", len(r.Categories))
	}
	wantCat := map[string]struct {
		n    int
		freq string
	}{
		"memory": {4, FrequencyHighest}, "gpu": {2, FrequencyVeryHigh}, "distributed": {1, FrequencyHigh},
		"concurrency": {1, FrequencyHigh}, "model": {1, FrequencyHigh}, "api": {1, FrequencyHigh},
		"performance": {0, FrequencyNone}, "build": {0, FrequencyNone}, "other": {0, FrequencyNone},
	}
	subs := map[string]Subcategory{}
	for _, c := range r.Categories {
		w, ok := wantCat[c.ID]
		if !ok || c.Count.Count != w.n || c.Frequency != w.freq || !near(c.Share, float64(w.n)/10) {
			t.Errorf("category %s: %d (%v) %s; want %+v", c.ID, c.Count.Count, c.Share, c.Frequency, w)
		}
		sum := 0
		for _, s := range c.Subcategories {
			subs[s.ID] = s
			sum += s.Count.Count
			if s.Group != c.ID {
				t.Errorf("subcategory %s in group %q under %s", s.ID, s.Group, c.ID)
			}
		}
		if sum != c.Count.Count {
			t.Errorf("category %s: subcategories sum to %d, category %d", c.ID, sum, c.Count.Count)
		}
	}
	if c := r.Categories[0]; c.ID != "memory" || !reflect.DeepEqual(c.ByRepo, map[string]int{vllm: 2, llama: 1, sgl: 1}) {
		t.Errorf("memory by repo = %v", c.ByRepo)
	}
	for id, w := range map[string]struct {
		n    int
		freq string
	}{
		"memory.oom": {3, FrequencyHighest}, "gpu.cuda_error": {2, FrequencyVeryHigh}, "memory.leak": {1, FrequencyHigh},
		"gpu.memory": {0, FrequencyNone},
	} {
		if s := subs[id]; s.Count.Count != w.n || s.Frequency != w.freq {
			t.Errorf("subcategory %s: %d %s, want %d %s", id, s.Count.Count, s.Frequency, w.n, w.freq)
		}
	}
	oom := subs["memory.oom"]
	if oom.Description == "" || oom.Source != "§1.1" {
		t.Errorf("memory.oom description %q source %q", oom.Description, oom.Source)
	}
	if got := counts(oom.Severities); !reflect.DeepEqual(got, map[string]int{"P1": 1, "P2": 2}) {
		t.Errorf("memory.oom severities = %v", got)
	}
	if got := counts(oom.RootCauses); !reflect.DeepEqual(got, map[string]int{"resource_constraints": 3}) {
		t.Errorf("memory.oom root causes = %v", got)
	}
	if len(oom.Patterns) == 0 || oom.Patterns[0].ID != "paged_attention" || oom.Patterns[0].Count != 2 {
		t.Errorf("memory.oom patterns = %+v, want paged_attention (2) first", oom.Patterns)
	}
	if !near(shareOf(oom.Severities, "P2"), 2.0/3) {
		t.Errorf("share of P2 among memory.oom = %v, want 2/3", shareOf(oom.Severities, "P2"))
	}

	// Examples: engines take turns, quoted evidence first within an engine.
	var ex []string
	for _, e := range oom.Examples {
		ex = append(ex, e.ID)
	}
	if want := []string{vllm + "#101", llama + "#201", vllm + "#102"}; !reflect.DeepEqual(ex, want) {
		t.Errorf("memory.oom examples = %v, want %v", ex, want)
	}
	if e := oom.Examples[0]; e.Quote != "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB" ||
		!strings.Contains(e.Evidence, `matched "CUDA out of memory"`) || e.Confidence != 0.8 || e.URL != "https://github.com/vllm-project/vllm/issues/101" {
		t.Errorf("first example = %+v", e)
	}
	if e := oom.Examples[2]; e.Quote != "" || !strings.Contains(e.Evidence, "no category cue matched") {
		t.Errorf("unquoted example = %+v", e)
	}
	// Title evidence is not quoted again.
	// One example per engine: the engines tie, so by name.
	cuda := subs["gpu.cuda_error"].Examples
	if len(cuda) != 2 || cuda[0].ID != llama+"#202" || cuda[1].ID != vllm+"#103" {
		t.Errorf("gpu.cuda_error examples = %+v", cuda)
	} else if cuda[1].Quote != "" || cuda[0].Quote == "" {
		t.Errorf("title evidence quoted again or body evidence not quoted: %+v", cuda)
	}
	if len(subs["gpu.memory"].Examples) != 0 {
		t.Errorf("examples of an empty subcategory")
	}

	// Patterns per engine with lift: share in the engine over share in all bugs.
	lift := map[string]PatternCount{}
	for _, ep := range r.Patterns {
		for _, p := range ep.Patterns {
			lift[ep.Repo+" "+p.ID] = p
		}
	}
	for key, w := range map[string]struct {
		n           int
		share, lift float64
	}{
		vllm + " paged_attention":     {2, 2.0 / 4, (2.0 / 4) / (2.0 / 10)},
		vllm + " quantization":        {1, 1.0 / 4, (1.0 / 4) / (3.0 / 10)},
		llama + " quantization":       {2, 2.0 / 3, (2.0 / 3) / (3.0 / 10)},
		llama + " platform":           {2, 2.0 / 3, (2.0 / 3) / (2.0 / 10)},
		sgl + " radix_attention":      {1, 1.0 / 3, (1.0 / 3) / (1.0 / 10)},
		sgl + " constrained_decoding": {1, 1.0 / 3, (1.0 / 3) / (1.0 / 10)},
	} {
		p, ok := lift[key]
		if !ok || p.Count != w.n || !near(p.Share, w.share) || !near(p.Lift, w.lift) {
			t.Errorf("pattern %s = %+v, want %+v", key, p, w)
		}
	}
	if len(r.Patterns) != 3 || r.Patterns[0].Bugs != 4 || r.Patterns[2].Bugs != 3 {
		t.Errorf("engine patterns = %+v", r.Patterns)
	}
	if _, ok := lift[sgl+" paged_attention"]; ok {
		t.Errorf("a pattern with no bugs is listed")
	}

	// Root causes and severities over bugs.
	if got := counts(r.RootCauses.Values); !reflect.DeepEqual(got, map[string]int{"resource_constraints": 3, "integration": 3, "state_management": 1, "edge_case": 3}) {
		t.Errorf("root causes = %v", got)
	}
	if got := counts(r.Severities.Values); !reflect.DeepEqual(got, map[string]int{"P0": 2, "P1": 4, "P2": 4}) {
		t.Errorf("severities = %v", got)
	}
	if r.Severities.Base != 10 || !reflect.DeepEqual(r.Severities.BaseByRepo, map[string]int{vllm: 4, llama: 3, sgl: 3}) {
		t.Errorf("severity base %d %v", r.Severities.Base, r.Severities.BaseByRepo)
	}
	if len(r.OtherDimensions) != 0 {
		t.Errorf("other dimensions = %v", r.OtherDimensions)
	}

	// Signals: bugs only, once per issue, most frequent first, ties by name.
	if got := signalCounts(r.Signatures); !reflect.DeepEqual(got, []string{
		"torch.OutOfMemoryError: CUDA out of memory=2", "CUDA error: an illegal memory access was encountered=1",
		"failed to allocate buffer=1", "Internal Server Error=1"}) {
		t.Errorf("signatures = %v", got)
	}
	if got := signalCounts(r.Hardware); !reflect.DeepEqual(got, []string{"A100=2", "H100=2", "RTX 4090=1"}) {
		t.Errorf("GPUs = %v (the feature's H100 and a repeated H100 do not count)", got)
	}
	if got := r.Hardware[1].ByRepo; !reflect.DeepEqual(got, map[string]int{vllm: 2}) {
		t.Errorf("H100 by repo = %v", got)
	}
	if got := signalCounts(r.Backends); !reflect.DeepEqual(got, []string{"CUDA=2", "Metal=1"}) {
		t.Errorf("backends = %v", got)
	}
	if got := signalCounts(r.Systems); !reflect.DeepEqual(got, []string{"Linux=1", "macOS=1", "Windows=1"}) {
		t.Errorf("systems = %v", got)
	}
	if got := signalCounts(r.Exceptions); !reflect.DeepEqual(got, []string{"torch.OutOfMemoryError=1"}) {
		t.Errorf("exceptions = %v", got)
	}
	if got := subs["memory.oom"].Signatures; len(got) != 2 || got[0].Value != "failed to allocate buffer" {
		t.Errorf("memory.oom signatures = %v", got)
	}
}

func TestOptions(t *testing.T) {
	items := fixture()
	r, err := Build(llmTax(t), items, Options{Examples: 1, TopSignals: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Title == "" {
		t.Errorf("no default title")
	}
	for _, c := range r.Categories {
		for _, s := range c.Subcategories {
			if len(s.Examples) > 1 {
				t.Errorf("%s: %d examples with Examples=1", s.ID, len(s.Examples))
			}
		}
	}
	if len(r.Signatures) != 2 || len(r.Hardware) != 2 {
		t.Errorf("TopSignals=2 gave %d signatures, %d GPUs", len(r.Signatures), len(r.Hardware))
	}
	// Defaults: 3 examples, 15 signals.
	r, _ = Build(llmTax(t), items, Options{})
	for _, c := range r.Categories {
		for _, s := range c.Subcategories {
			if s.ID == "memory.oom" && len(s.Examples) != 3 {
				t.Errorf("default examples = %d, want 3", len(s.Examples))
			}
		}
	}
	// No items: an empty report, not a division by zero.
	r, err = Build(llmTax(t), nil, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if r.Totals.Issues != 0 || len(r.Categories) != 9 || r.Categories[0].Frequency != FrequencyNone || r.Categories[0].Share != 0 {
		t.Errorf("empty report = %+v", r.Totals)
	}
	var b bytes.Buffer
	for _, f := range Formats {
		if err := r.Write(&b, f); err != nil {
			t.Errorf("empty report as %s: %v", f, err)
		}
	}
}

func TestBuildNeedsCategoryRole(t *testing.T) {
	tax, err := taxonomy.Parse(strings.NewReader(`name: flat
version: "1"
dimensions:
  - id: kind
    name: Kind
    role: kind
    values: [{id: bug, name: Bug, description: d}]
`), "flat")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(tax, nil, Options{}); err == nil || !strings.Contains(err.Error(), `role "category"`) {
		t.Errorf("Build without a category dimension = %v", err)
	}
}

func TestFrequency(t *testing.T) {
	for _, tc := range []struct {
		count   int
		share   float64
		largest int
		want    string
	}{
		{0, 0, 5, FrequencyNone},
		{5, 0.05, 5, FrequencyHighest},
		{4, 0.25, 5, FrequencyVeryHigh},
		{4, 0.20, 5, FrequencyVeryHigh},
		{4, 0.199, 5, FrequencyHigh},
		{4, 0.10, 5, FrequencyHigh},
		{4, 0.04, 5, FrequencyMedium},
		{1, 0.039, 5, FrequencyLow},
		{1, 0.0001, 5, FrequencyLow},
	} {
		if got := frequency(Count{Count: tc.count, Share: tc.share}, tc.largest); got != tc.want {
			t.Errorf("frequency(%d, %v, largest %d) = %s, want %s", tc.count, tc.share, tc.largest, got, tc.want)
		}
	}
}

func TestFlatCategoriesFirstLook(t *testing.T) {
	tax, err := taxonomy.Builtin("first-look-2025")
	if err != nil {
		t.Fatal(err)
	}
	item := func(repo string, n int, kind string, symptoms, roots []string) bugscope.Classified {
		l := bugscope.Labels{"kind": {kind}}
		if symptoms != nil {
			l["symptom"], l["root_cause"] = symptoms, roots
		}
		var ev []bugscope.Evidence
		for _, s := range symptoms {
			ev = append(ev, bugscope.Evidence{Dimension: "symptom", Value: s, Rule: "symptom." + s, Field: "body", Match: s, Line: "it was a " + s})
		}
		return bugscope.Classified{Issue: bugscope.Issue{Repo: repo, Number: n, Title: "t", URL: "https://example.org/" + strconv.Itoa(n)},
			Classification: bugscope.Classification{Labels: l, Confidence: 0.7, Evidence: ev}}
	}
	items := []bugscope.Classified{
		item(llama, 1, "bug", []string{"crash", "hang"}, []string{"misconfiguration", "concurrency"}),
		item(llama, 2, "bug", []string{"crash"}, []string{"io_processing"}),
		item(vllm, 3, "bug", []string{"unexpected_output"}, []string{"io_processing", "numerical_issue"}),
		item(vllm, 4, "question", nil, nil),
	}
	r, err := Build(tax, items, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if r.CategoryDimension != "symptom" || len(r.Categories) != 6 {
		t.Fatalf("categories of first-look: %q, %d", r.CategoryDimension, len(r.Categories))
	}
	sum := 0.0
	for _, c := range r.Categories {
		if len(c.Subcategories) != 1 || c.Subcategories[0].ID != c.ID {
			t.Errorf("category %s is not flat: %+v", c.ID, c.Subcategories)
		}
		sum += c.Share
	}
	if got := map[string]int{"crash": 2, "hang": 1, "unexpected_output": 1}; !reflect.DeepEqual(nonZeroCounts(r.Categories), got) {
		t.Errorf("symptoms = %v, want %v", nonZeroCounts(r.Categories), got)
	}
	if r.Categories[0].ID != "crash" || r.Categories[0].Frequency != FrequencyHighest {
		t.Errorf("first category %s %s", r.Categories[0].ID, r.Categories[0].Frequency)
	}
	if !near(sum, 4.0/3) { // several symptoms per bug: shares sum above 1
		t.Errorf("symptom shares sum to %v, want 4/3", sum)
	}
	if r.Patterns != nil || r.Severities.Values != nil {
		t.Errorf("patterns %v / severities %v of a taxonomy without them", r.Patterns, r.Severities)
	}
	// Root causes: the group accepted as a value counts as one; groups count
	// a bug once however many of their leaves it has.
	rc := counts(r.RootCauses.Values)
	if rc["io_processing"] != 2 || rc["misconfiguration"] != 1 || rc["numerical_issue"] != 1 {
		t.Errorf("root causes = %v", rc)
	}
	if g := counts(r.RootCauses.Groups); !reflect.DeepEqual(g, map[string]int{"configuration": 1, "functionality": 1, "io_processing": 2}) {
		t.Errorf("root-cause groups = %v", g)
	}
	for _, v := range r.RootCauses.Values {
		if v.ID == "io_processing" && !strings.Contains(v.Name, "(group)") {
			t.Errorf("group value named %q", v.Name)
		}
	}
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	if strings.Contains(out, "### 1.1") || !strings.Contains(out, "## 1. Crash") {
		t.Errorf("flat categories rendered with subsections:\n%s", out)
	}
	if !strings.Contains(out, "No bugs in this category.") {
		t.Errorf("empty flat category not worded as a category:\n%s", out)
	}
	var csvOut bytes.Buffer
	if err := r.WriteCSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csvOut.String(), "subcategory,symptom,crash,crash,Crash,all,2,3,0.6667,") {
		t.Errorf("CSV lacks the flat subcategory row:\n%s", csvOut.String())
	}
}

func TestCSV(t *testing.T) {
	r := buildFixture(t)
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows[0], CSVHeader) {
		t.Errorf("header = %v", rows[0])
	}
	find := func(section, id, repo string) []string {
		for _, row := range rows[1:] {
			if len(row) != len(CSVHeader) {
				t.Fatalf("row of %d fields: %v", len(row), row)
			}
			if row[0] == section && row[3] == id && row[5] == repo {
				return row
			}
		}
		t.Errorf("no row %s %s %s", section, id, repo)
		return make([]string, len(CSVHeader))
	}
	for _, tc := range []struct {
		section, id, repo string
		count, base       string
		share, lift       string
	}{
		{"totals", "issues", "all", "13", "13", "1.0000", ""},
		{"totals", "bugs", "all", "10", "13", "0.7692", ""},
		{"totals", "bugs", llama, "3", "4", "0.7500", ""},
		{"category", "memory", "all", "4", "10", "0.4000", ""},
		{"subcategory", "memory.oom", vllm, "2", "4", "0.5000", ""},
		{"kind", "bug", sgl, "3", "3", "1.0000", ""},
		{"pattern", "quantization", llama, "2", "3", "0.6667", "2.2222"},
		{"severity", "P0", "all", "2", "10", "0.2000", ""},
		{"error_signature", "torch.OutOfMemoryError: CUDA out of memory", "all", "2", "10", "0.2000", ""},
		{"gpu", "H100", vllm, "2", "4", "0.5000", ""},
	} {
		row := find(tc.section, tc.id, tc.repo)
		if row[6] != tc.count || row[7] != tc.base || row[8] != tc.share || row[9] != tc.lift {
			t.Errorf("%s %s %s = %v; want count %s base %s share %s lift %q", tc.section, tc.id, tc.repo, row, tc.count, tc.base, tc.share, tc.lift)
		}
	}
}

func TestEscapeMarkdown(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain title", "plain title"},
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"[link](javascript:alert(1))", `\[link\](javascript:alert(1))`},
		{"![img](x.png)", `!\[img\](x.png)`},
		{"a | b", `a \| b`},
		{"`code`", "\\`code\\`"},
		{"*bold* and **strong**", `\*bold\* and \*\*strong\*\*`},
		{"~~del~~", `\~\~del\~\~`},
		{"line one\nline two\r\nthree\tfour", "line one line two three four"},
		{"clear \x1b[2J\x1b#8 bell\x07 c1\u009b31m \u202eevil", "clear  bell c1 evil"},
		{"snake_case_name stays", "snake_case_name stays"},
		{"_em_ and __init__", `\_em\_ and \_\_init\_\_`},
		{"# heading", `\# heading`},
		{"issue #12", "issue #12"},
		// A quote is laid out as "> text": a leading # would make a heading
		// inside the quote, whitespace before it or not.
		{"  # heading after spaces", `\# heading after spaces`},
		{"\n## heading after a newline", `\## heading after a newline`},
		{"AT&T &amp; &#60; & done", "AT&amp;T &amp;amp; &amp;#60; & done"},
		{`back\slash`, `back\\slash`},
		{"  padded  ", "padded"},
		{"ünïcödé ✓", "ünïcödé ✓"},
	}
	for _, tc := range cases {
		if got := escapeMarkdown(tc.in); got != tc.want {
			t.Errorf("escapeMarkdown(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMarkdownIsInert(t *testing.T) {
	r := buildFixture(t)
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<script", "<img", "\nsecond line"} {
		if strings.Contains(out, bad) {
			t.Errorf("Markdown holds %q", bad)
		}
	}
	// Links only where the report makes them: to http(s) issue URLs.
	if m := regexp.MustCompile(`(^|[^\\])\]\(([^h]|h[^t])`).FindString(out); m != "" {
		t.Errorf("Markdown holds a link that is not to an issue: %q", m)
	}
	// The nasty example is one list item: its link built from the
	// repository and number (its URL is javascript:), its title and quote
	// on one line each.
	var item []string
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "- ["+sgl+"#302]") {
			item = lines[i : i+3]
		}
	}
	if item == nil {
		t.Fatalf("no example line for #302 in:\n%s", out)
	}
	if !strings.HasPrefix(item[0], "- ["+sgl+"#302](https://github.com/"+sgl+"/issues/302) — &lt;script&gt;") || !strings.Contains(item[0], "second line") {
		t.Errorf("example line = %q", item[0])
	}
	if !strings.HasPrefix(item[1], "  > the server hangs \\| &lt;img") {
		t.Errorf("quote line = %q", item[1])
	}
	if !strings.HasPrefix(item[2], "  <br>*evidence*: ") {
		t.Errorf("evidence line = %q", item[2])
	}
	// Every table row has the column count of its header.
	cols := -1
	for _, l := range lines {
		if !strings.HasPrefix(l, "|") {
			cols = -1
			continue
		}
		n := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|")
		if cols == -1 {
			cols = n
		} else if n != cols {
			t.Errorf("table row with %d cells, header %d: %q", n, cols, l)
		}
	}
}

// TestLinks checks that the report links an example only to its issue:
// a stored html_url is kept only when it is exactly the issue's address on
// github.com or an allowed host (LinkHosts), else the link is built from
// the repository and number; Markdown and JSON agree.
func TestLinks(t *testing.T) {
	const canon = "https://github.com/o/r/issues/1"
	for _, tc := range []struct{ url, want string }{
		{"https://github.com/o/r/issues/1", canon},
		{"https://github.com/o/r/pull/1", "https://github.com/o/r/pull/1"},
		{"https://ghe.example.com/o/r/issues/1", "https://ghe.example.com/o/r/issues/1"},
		{"https://github.com/o/r/issues/1)![x](https://evil.example/t.png)", canon},
		{"https://evil.example/o/r/issues/1", canon},
		{"https://github.com.evil.example/o/r/issues/1", canon},
		{"https://user:pass@github.com/o/r/issues/1", canon},
		{"javascript:alert(1)", canon},
		{"JAVASCRIPT:alert(1)", canon},
		{"data:text/html,<script>alert(1)</script>", canon},
		{"http://example.org/x", canon},
		{"//evil.example/x", canon},
		{"", canon},
	} {
		it := fixture()[0]
		it.Issue.Repo, it.Issue.Number, it.Issue.URL = "o/r", 1, tc.url
		r, err := Build(llmTax(t), []bugscope.Classified{it}, Options{Now: fixedNow, LinkHosts: []string{"ghe.example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		var exs []Example
		for _, c := range r.Categories {
			for _, s := range c.Subcategories {
				exs = append(exs, s.Examples...)
			}
		}
		if len(exs) != 1 || exs[0].URL != tc.want {
			t.Fatalf("stored %q: examples %+v, want one linking %s", tc.url, exs, tc.want)
		}
		var md bytes.Buffer
		if err := r.WriteMarkdown(&md); err != nil {
			t.Fatal(err)
		}
		if link := "[o/r#1](" + tc.want + ")"; !strings.Contains(md.String(), link) {
			t.Errorf("stored %q: Markdown lacks %s", tc.url, link)
		}
		if strings.Contains(md.String(), "evil.example") || strings.Contains(md.String(), "pass@") {
			t.Errorf("stored %q: Markdown mentions it", tc.url)
		}
	}
	if got := exampleLink(Example{ID: "a_b/c*d#1", URL: "https://x.example/a b)(c"}); got != `[a_b/c\*d#1](https://x.example/a%20b%29%28c)` {
		t.Errorf("exampleLink escapes the text and the URL: %q", got)
	}
}

func TestHelpers(t *testing.T) {
	for f, want := range map[float64]string{0: "0%", 0.0005: "<0.1%", 0.0123: "1.2%", 0.0999: "10.0%", 0.1: "10%", 0.456: "46%", 1: "100%"} {
		if got := pct(f); got != want {
			t.Errorf("pct(%v) = %q, want %q", f, got, want)
		}
	}
	if code("a`b|c\nd") != "`a'b\\|c d`" {
		t.Errorf("code = %q", code("a`b|c\nd"))
	}
	engs := []Engine{{vllm, "vLLM"}, {llama, "llama.cpp"}}
	if got := engineCounts(engs, map[string]int{vllm: 3}); got != "3 in vLLM, 0 in llama.cpp" {
		t.Errorf("engineCounts = %q", got)
	}
	since := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	if got := describeFilters(Filters{Repos: []string{vllm}, Since: &since, Until: &since, State: "open"}); got != "repositories vllm-project/vllm; opened since 2025-01-02; opened before 2025-01-02; state open" {
		t.Errorf("describeFilters = %q", got)
	}
	if got := countList([]Count{{Name: "Low", Count: 1, Share: 0.25}, {Name: "High", Count: 3, Share: 0.75}}); got != "High 3 (75%) · Low 1 (25%)" {
		t.Errorf("countList = %q", got)
	}
}

func counts(cs []Count) map[string]int {
	out := map[string]int{}
	for _, c := range cs {
		if c.Count > 0 {
			out[c.ID] = c.Count
		}
	}
	return out
}

func nonZeroCounts(cats []Category) map[string]int {
	out := map[string]int{}
	for _, c := range cats {
		if c.Count.Count > 0 {
			out[c.ID] = c.Count.Count
		}
	}
	return out
}

func shareOf(cs []Count, id string) float64 {
	for _, c := range cs {
		if c.ID == id {
			return c.Share
		}
	}
	return math.NaN()
}

func signalCounts(ss []SignalCount) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Value+"="+strconv.Itoa(s.Count))
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// StripUnshown keeps the text of every issue an example shows: the
// report is the same with one example a subcategory (so that most
// candidates are stripped) and with the default.
func TestStripUnshown(t *testing.T) {
	tax := llmTax(t)
	for _, n := range []int{1, 0} {
		full := make([]bugscope.ReportItem, 0)
		for _, c := range fixture() {
			full = append(full, bugscope.ReportItemOf(&c, "category"))
		}
		stripped := slices.Clone(full)
		StripUnshown(tax, stripped, n)
		texts, kept := 0, 0
		for i := range full {
			if full[i].Text != nil {
				texts++
			}
			if it := stripped[i]; it.Text != nil && it.Text.Title != "" {
				kept++
			}
		}
		if n == 1 && kept == texts {
			t.Fatalf("n %d: nothing stripped of %d texts", n, texts)
		}
		var a, b bytes.Buffer
		for items, w := range map[*[]bugscope.ReportItem]*bytes.Buffer{&full: &a, &stripped: &b} {
			r, err := BuildItems(tax, *items, Options{Now: fixedNow, Examples: n})
			if err != nil {
				t.Fatal(err)
			}
			r.WriteJSON(w)
		}
		if a.String() != b.String() {
			t.Errorf("n %d: the report changed once stripped (%d of %d texts kept)", n, kept, texts)
		}
	}
}
