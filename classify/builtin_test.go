package classify

import (
	"slices"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// builtinCache keeps the built-in classifiers: compiling the rules of a
// taxonomy builds an automaton of thousands of phrases.
var builtinCache = map[string]*Classifier{}

func builtinClassifier(t testing.TB, name string) *Classifier {
	t.Helper()
	if c := builtinCache[name]; c != nil {
		return c
	}
	tax, err := taxonomy.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := BuiltinRules(tax)
	if err != nil {
		t.Fatal(err)
	}
	builtinCache[name] = New(rs)
	return builtinCache[name]
}

// vllmBug lays a description out in vLLM's bug template, with the
// environment dump and the checklist every report carries.
func vllmBug(env, describe string) string {
	return "### Your current environment\n\n<details>\n<summary>The output of `python collect_env.py`</summary>\n\n```text\n" + env +
		"\n```\n\n</details>\n\n### 🐛 Describe the bug\n\n" + describe +
		"\n\n### Before submitting a new issue...\n\n- [x] Make sure you already searched for relevant issues, and asked the chatbot living at the bottom right corner of the documentation page, which can answer lots of frequently asked questions.\n"
}

const envDump = `PyTorch version: 2.5.1+cu124
CUDA used to build PyTorch: 12.4
OS: Ubuntu 22.04.4 LTS (x86_64)
GPU models and configuration:
GPU 0: NVIDIA H100 80GB HBM3
GPU 1: NVIDIA H100 80GB HBM3
Nvidia driver version: 550.54.15
vLLM Version: 0.6.4.post1
NCCL version 2.21.5
GPU Topology: NV18`

func TestBuiltinLLMServingFixtures(t *testing.T) {
	cl := builtinClassifier(t, "llm-serving-v1")
	cases := []struct {
		name           string
		title, body    string
		labels         []string
		kind, category string
	}{
		{
			name:  "CUDA out of memory bug report",
			title: "[Bug]: CUDA out of memory when serving Llama-3-70B with a long context",
			body: vllmBug(envDump, "I start the server with `vllm serve meta-llama/Meta-Llama-3-70B --tensor-parallel-size 2 --max-model-len 32768` and send one request with a 30k-token prompt. The server dies:\n\n"+
				"```\nTraceback (most recent call last):\n  File \"/usr/lib/python3/site-packages/vllm/worker/model_runner.py\", line 1654, in execute_model\n    hidden_states = model_executable(\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.10 GiB of which 1.12 GiB is free.\n```"),
			labels:   []string{"bug"},
			kind:     "bug",
			category: "memory.oom",
		},
		{
			name:  "feature request",
			title: "[Feature]: Support speculative decoding with EAGLE-2 draft models",
			body: "### 🚀 The feature, motivation and pitch\n\nEAGLE-2 gives 3x faster decoding in the paper. It would be great if vLLM could load EAGLE-2 draft heads and use them for speculative decoding.\n\n" +
				"### Alternatives\n\nMedusa heads, which are already supported.\n\n### Additional context\n\nhttps://arxiv.org/abs/2406.16858\n",
			labels: []string{"feature request"},
			kind:   "feature",
		},
		{
			name:   "usage question",
			title:  "[Usage]: how do I set max_model_len for Qwen2-7B-Instruct?",
			body:   "### Your current environment\n\n```text\nvLLM Version: 0.6.3\n```\n\n### How would you like to use vllm\n\nI want to run Qwen2-7B-Instruct with a 16k context on one L40S. How do I choose max_model_len and gpu_memory_utilization so that it fits? Is there a way to see how many tokens the KV cache holds?\n",
			labels: []string{"usage"},
			kind:   "question",
		},
		{
			name:  "documentation problem",
			title: "[Doc]: the quickstart uses a removed flag",
			body:  "### 📚 The doc issue\n\nThe quickstart page still passes `--engine-use-ray`, which was removed in 0.6. The documentation is wrong.\n\n### Suggest a potential alternative/fix\n\nDrop the flag from the example.\n",
			kind:  "docs",
		},
		{
			name:  "NCCL watchdog timeout with tensor parallelism, no OOM in the body",
			title: "[Bug]: server crashes after 10 minutes with tensor parallel 4",
			body: vllmBug(envDump, "Serving with `--tensor-parallel-size 4`, the server crashes after about ten minutes under load. Start-up logs and the error:\n\n"+
				"```\nINFO 01-20 10:00:00 worker.py:241] Memory profiling takes 4.1 seconds; to avoid OOM, lower gpu_memory_utilization\nWARNING 01-20 10:00:01 custom_all_reduce.py:143] Custom allreduce is disabled\n"+
				"[rank1]:[E120 10:10:00.123 ProcessGroupNCCL.cpp:616] [Rank 1] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=5123, OpType=ALLREDUCE, NumelIn=8192, Timeout(ms)=600000) ran for 600081 milliseconds before timing out.\n"+
				"torch.distributed.DistBackendError: NCCL communicator was aborted on rank 1.\n```"),
			labels:   []string{"bug"},
			kind:     "bug",
			category: "distributed.multi_gpu",
		},
		{
			name:  "memory leak that ends in an OOM",
			title: "[Bug]: memory leak in the OpenAI API server",
			body: vllmBug(envDump, "GPU memory usage keeps growing with every request: it is a memory leak, the blocks are not released after requests finish. After about two hours of traffic the server eventually crashes with CUDA out of memory:\n\n"+
				"```\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 512.00 MiB.\n```"),
			labels:   []string{"bug"},
			kind:     "bug",
			category: "memory.leak",
		},
		{
			name:  "illegal memory access",
			title: "[Bug]: RuntimeError: CUDA error: an illegal memory access was encountered with FP8 KV cache",
			body: vllmBug(envDump, "With `--kv-cache-dtype fp8` the first request fails:\n\n"+
				"```\nRuntimeError: CUDA error: an illegal memory access was encountered\nCUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1\n```"),
			kind:     "bug",
			category: "gpu.cuda_error",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := &bugscope.Issue{Repo: "vllm-project/vllm", Number: 1, Title: tc.title, Body: tc.body, Labels: tc.labels}
			c := cl.One(is)
			if got := c.Labels.One("kind"); got != tc.kind {
				t.Errorf("kind = %q, want %q\n%s", got, tc.kind, evidenceText(c))
			}
			if got := c.Labels.One("category"); got != tc.category {
				t.Errorf("category = %q, want %q\n%s", got, tc.category, evidenceText(c))
			}
			if tc.kind != "bug" {
				for _, dim := range []string{"category", "root_cause", "severity", "patterns"} {
					if len(c.Labels[dim]) > 0 {
						t.Errorf("a %s carries %s %v", tc.kind, dim, c.Labels[dim])
					}
				}
			} else {
				for _, dim := range []string{"root_cause", "severity"} {
					if c.Labels.One(dim) == "" {
						t.Errorf("a bug without %s: %v", dim, c.Labels)
					}
				}
			}
			if err := cl.Taxonomy().Check(c.Labels); err != nil {
				t.Errorf("labels fail the taxonomy: %v", err)
			}
			if c.Confidence <= 0 || c.Confidence >= 1 {
				t.Errorf("confidence %v outside (0, 1)", c.Confidence)
			}
			checkEvidence(t, is, c)
		})
	}
}

func TestBuiltinFirstLookSymptoms(t *testing.T) {
	cl := builtinClassifier(t, "first-look-2025")
	cases := []struct {
		name        string
		title, body string
		want        string // a symptom the labels must hold
	}{
		{"crash", "[Bug]: segfault when loading a GGUF model",
			"### What happened?\n\nllama-cli crashes right after loading:\n\n```\nllama_model_load: loaded meta data\nSegmentation fault (core dumped)\n```\n", "crash"},
		{"hang", "[Bug]: server hangs forever after the first request",
			"### What happened?\n\nThe first request returns, the second one hangs: no response, no error, the process is stuck and never returns.\n", "hang"},
		{"unexpected output", "[Bug]: gibberish output with Q4_K_M quantization",
			"### What happened?\n\nThe model answers with gibberish: repeated tokens and garbled text, no error.\n", "unexpected_output"},
		{"abnormal performance", "[Bug]: decoding is 3x slower than the previous release",
			"### What happened?\n\nThroughput dropped from 90 tokens/s to 30 tokens/s after upgrading; latency is much higher.\n", "abnormal_performance"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := &bugscope.Issue{Repo: "ggml-org/llama.cpp", Number: 2, Title: tc.title, Body: tc.body}
			c := cl.One(is)
			if c.Labels.One("kind") != "bug" {
				t.Fatalf("kind = %v\n%s", c.Labels["kind"], evidenceText(c))
			}
			if !slices.Contains(c.Labels["symptom"], tc.want) {
				t.Errorf("symptoms = %v, want %q among them\n%s", c.Labels["symptom"], tc.want, evidenceText(c))
			}
			if len(c.Labels["root_cause"]) == 0 {
				t.Errorf("no root cause (the dimension has a default)")
			}
			if err := cl.Taxonomy().Check(c.Labels); err != nil {
				t.Errorf("labels fail the taxonomy: %v", err)
			}
			checkEvidence(t, is, c)
		})
	}
	// Without a cue, the default symptom.
	c := cl.One(&bugscope.Issue{Repo: "o/r", Number: 3, Title: "[Bug]: something", Body: "see title"})
	if got := c.Labels["symptom"]; len(got) != 1 || got[0] != "crash" {
		t.Errorf("default symptom = %v", got)
	}
}

// TestBuiltinStemPhrases checks that the stems written in the built-in rule
// files ("quantiz", "synchroniz", "sm_", ...) match the words they are the
// stems of. Phrases are matched as whole words at ends that are word bytes,
// so a stem that ends in a letter (or in "_") can only match itself.
func TestBuiltinStemPhrases(t *testing.T) {
	cases := []struct {
		taxonomy, rule, text string
	}{
		{"first-look-2025", "root.synchronization", "a synchronization bug between two workers"},
		{"first-look-2025", "root.mismatched_precision", "the quantized model"},
		{"first-look-2025", "root.misconfiguration", "the server was misconfigured"},
		{"first-look-2025", "root.io_processing", "the tokenizer drops the last byte"},
		{"first-look-2025", "root.incompatible_backend", "the wheel is built for sm_90 only"},
		{"llm-serving-v1", "category.phase.startup", "it fails during initialization of the engine"},
		{"llm-serving-v1", "category.cluster.signature", "with disaggregated prefill and decode"},
		{"llm-serving-v1", "root.concurrency.cue", "a missing synchronization of the stream"},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			cl := builtinClassifier(t, tc.taxonomy)
			if _, ok := cl.rs.byID[tc.rule]; !ok {
				t.Fatalf("no rule %s in %s", tc.rule, tc.taxonomy)
			}
			doc := prepare(&bugscope.Issue{Title: "x", Body: tc.text}, cl.rs.roles)
			for _, h := range cl.rs.match(doc) {
				if h.rule.ID == tc.rule {
					return
				}
			}
			t.Errorf("rule %s does not match %q", tc.rule, tc.text)
		})
	}
}

func TestBuiltinEvidenceProperty(t *testing.T) {
	// Every text evidence of the built-in rules points at its match, over
	// the fixtures of the engine tests too.
	for _, name := range taxonomy.Builtins() {
		cl := builtinClassifier(t, name)
		for _, is := range append(evidenceFixtures(), generateIssues(60)...) {
			checkEvidence(t, is, cl.One(is))
		}
	}
}

func TestBuiltinNoCategoryForNonBugs(t *testing.T) {
	cl := builtinClassifier(t, "llm-serving-v1")
	for _, is := range generateIssues(200) {
		c := cl.One(is)
		if err := cl.Taxonomy().Check(c.Labels); err != nil {
			t.Fatalf("%q: %v", is.Title, err)
		}
		if c.Labels.One("kind") == "" {
			t.Fatalf("%q: no kind", is.Title)
		}
		if strings.HasPrefix(is.Title, "[Feature]") && c.Labels.One("kind") != "feature" {
			t.Errorf("%q: kind %v", is.Title, c.Labels["kind"])
		}
	}
}
