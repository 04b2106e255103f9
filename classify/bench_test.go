package classify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/importer"
	"github.com/bugscope/bugscope/internal/testshared"
)

// generateIssues builds n realistic reports from templates: bug, feature,
// question and docs reports of the three engines' issue forms, with
// environment dumps, start-up logs, tracebacks and checklists, of lengths
// from a line to tens of kilobytes. The same n gives the same issues.
func generateIssues(n int) []*bugscope.Issue {
	r := rand.New(rand.NewPCG(2025, uint64(n)))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	models := []string{"meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-72B-Instruct", "deepseek-ai/DeepSeek-V3", "mistralai/Mixtral-8x7B-v0.1", "google/gemma-2-27b-it"}
	gpus := []string{"NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB", "NVIDIA GeForce RTX 4090", "AMD Instinct MI300X", "NVIDIA L40S"}
	errors := []string{
		"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.50 GiB.",
		"RuntimeError: CUDA error: an illegal memory access was encountered",
		"[rank0]:[E ProcessGroupNCCL.cpp:616] Watchdog caught collective operation timeout: WorkNCCL(OpType=ALLREDUCE) ran for 600000 milliseconds",
		"ValueError: The model's max seq len (131072) is larger than the maximum number of tokens that can be stored in KV cache (43424).",
		"ImportError: /usr/lib/python3/site-packages/vllm/_C.abi3.so: undefined symbol: _ZN3c104cuda9SetDeviceEi",
		"GGML_ASSERT(ggml_nelements(a) == ne0*ne1) failed",
		"Segmentation fault (core dumped)",
		"openai.InternalServerError: Error code: 500 - {'object': 'error', 'message': 'Internal Server Error'}",
		"KeyError: 'model.layers.0.mlp.experts.0.gate_proj.weight'",
		"asyncio.exceptions.CancelledError",
	}
	env := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "PyTorch version: 2.%d.%d+cu12%d\nOS: Ubuntu 22.04.4 LTS (x86_64)\nPython version: 3.%d.%d\n", r.IntN(6), r.IntN(3), r.IntN(5), 9+r.IntN(4), r.IntN(12))
		for i := 0; i < 1+r.IntN(8); i++ {
			fmt.Fprintf(&b, "GPU %d: %s\n", i, gpus[r.IntN(len(gpus))])
		}
		fmt.Fprintf(&b, "Nvidia driver version: 5%d0.%d\nvLLM Version: 0.%d.%d\nNCCL version 2.%d.3\n", 3+r.IntN(3), r.IntN(100), 4+r.IntN(4), r.IntN(5), 18+r.IntN(4))
		for i := 0; i < r.IntN(40); i++ {
			fmt.Fprintf(&b, "[pip3] package-%d==%d.%d.%d\n", i, r.IntN(3), r.IntN(30), r.IntN(10))
		}
		return b.String()
	}
	logs := func() string {
		var b strings.Builder
		for i := 0; i < r.IntN(200); i++ {
			fmt.Fprintf(&b, "INFO 01-%02d 10:%02d:%02d engine.py:%d] Avg prompt throughput: %d.%d tokens/s, Running: %d reqs, GPU KV cache usage: %d.%d%%.\n",
				1+r.IntN(28), r.IntN(60), r.IntN(60), 100+r.IntN(400), r.IntN(3000), r.IntN(10), r.IntN(64), r.IntN(100), r.IntN(10))
		}
		if r.IntN(3) == 0 {
			b.WriteString("WARNING 01-20 10:00:01 custom_all_reduce.py:143] Custom allreduce is disabled because it's not supported on more than two PCIe-only GPUs.\n")
		}
		b.WriteString("Traceback (most recent call last):\n")
		for i := 0; i < 3+r.IntN(20); i++ {
			fmt.Fprintf(&b, "  File \"/usr/lib/python3/site-packages/vllm/module_%d.py\", line %d, in func_%d\n    result = call_%d(args)\n", r.IntN(50), r.IntN(2000), r.IntN(100), r.IntN(100))
		}
		b.WriteString(errors[r.IntN(len(errors))] + "\n")
		return b.String()
	}
	checklist := "### Before submitting a new issue...\n\n- [x] Make sure you already searched for relevant issues, and asked the chatbot living at the bottom right corner of the documentation page, which can answer lots of frequently asked questions.\n"
	out := make([]*bugscope.Issue, n)
	for i := range out {
		is := &bugscope.Issue{Repo: pick("vllm-project/vllm", "ggml-org/llama.cpp", "sgl-project/sglang"), Number: 1000 + i}
		model := models[r.IntN(len(models))]
		switch k := r.IntN(10); {
		case k < 6: // bug report
			is.Title = pick("[Bug]: ", "[Bug] ", "Bug: ", "") + pick(
				"server crashes when serving "+model,
				"CUDA out of memory with long prompts on "+model,
				"hang after a few hundred requests",
				"wrong output with tensor parallel 2",
				"memory leak in the OpenAI server",
				"garbage output after upgrading to the latest release",
				"tool call parser fails on "+model,
				"build fails with CUDA 12.8",
				"slow TTFT with prefix caching enabled",
			)
			is.Body = "### Your current environment\n\n<details>\n<summary>collect_env output</summary>\n\n```text\n" + env() + "```\n</details>\n\n### 🐛 Describe the bug\n\n" +
				fmt.Sprintf("Running `vllm serve %s --tensor-parallel-size %d --max-model-len %d`, ", model, 1<<r.IntN(4), 4096<<r.IntN(5)) +
				pick("the server fails after a while.", "the first request fails.", "throughput drops by half.", "the output is gibberish.", "some requests never return.") +
				"\n\n```\n" + logs() + "```\n\n" + checklist
			is.Labels = []string{"bug"}
		case k < 8: // feature request
			is.Title = pick("[Feature]: ", "[RFC]: ", "Feature Request: ") + pick("support "+model, "add an option for the KV cache dtype", "speculative decoding with EAGLE", "expose prometheus metrics per LoRA adapter")
			is.Body = "### 🚀 The feature, motivation and pitch\n\n" + strings.Repeat("It would be great to have this because users ask for it. ", 1+r.IntN(10)) +
				"\n\n### Alternatives\n\nNone.\n\n### Additional context\n\n" + checklist
			is.Labels = []string{pick("feature request", "enhancement", "RFC")}
		case k < 9: // usage question
			is.Title = pick("[Usage]: ", "[Question] ", "") + pick("how do I run "+model+" on two GPUs?", "is it possible to use LoRA with quantized models?", "what does gpu_memory_utilization mean?")
			is.Body = "### Your current environment\n\n```text\n" + env() + "```\n\n### How would you like to use vllm\n\nI want to run " + model + " but I am not sure how. Can anyone help?\n\n" + checklist
			is.Labels = []string{"usage"}
		default: // documentation
			is.Title = "[Doc]: " + pick("typo in the quickstart", "the docs for --max-num-seqs are outdated", "broken link in the README")
			is.Body = "### 📚 The doc issue\n\nThe documentation page says something that is no longer true.\n\n### Suggest a potential alternative/fix\n\nUpdate the docs.\n\n" + checklist
			is.Labels = []string{"documentation"}
		}
		out[i] = is
	}
	return out
}

func TestGenerateIssuesDeterministic(t *testing.T) {
	a, b := generateIssues(50), generateIssues(50)
	for i := range a {
		if a[i].Title != b[i].Title || a[i].Body != b[i].Body {
			t.Fatalf("issue %d differs between two runs", i)
		}
	}
}

// BenchmarkClassify classifies 1,000 generated issues per iteration with
// the default taxonomy's built-in rules; ns/issue is the cost of one issue
// on all cores.
func BenchmarkClassify(b *testing.B) {
	cl := builtinClassifier(b, "llm-serving-v1")
	gen := generateIssues(1000)
	issues := make([]bugscope.Issue, len(gen))
	bytes := 0
	for i, is := range gen {
		issues[i] = *is
		bytes += len(is.Title) + len(is.Body)
	}
	b.SetBytes(int64(bytes))
	b.ResetTimer()
	for b.Loop() {
		if _, err := cl.Classify(context.Background(), issues); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(issues)), "ns/issue")
}

// BenchmarkClassifyOne is the single-core cost of one issue.
func BenchmarkClassifyOne(b *testing.B) {
	cl := builtinClassifier(b, "llm-serving-v1")
	gen := generateIssues(1000)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		cl.One(gen[i%len(gen)])
		i++
	}
}

// BenchmarkClassifyRealIssues classifies the real issues of ../shared/data
// (4,019 of vLLM, llama.cpp and SGLang) with the built-in rules, per
// iteration, on all cores: the rules' part of `bugscope classify`
// (signals and storage come on top). Skipped without ../shared.
func BenchmarkClassifyRealIssues(b *testing.B) {
	var issues []bugscope.Issue
	for _, f := range testshared.DataFiles(b) {
		is, err := importer.ParseFile(f, importer.Options{})
		if err != nil {
			b.Fatal(err)
		}
		issues = append(issues, is...)
	}
	cl := builtinClassifier(b, "llm-serving-v1")
	b.ResetTimer()
	for b.Loop() {
		if _, err := cl.Classify(context.Background(), issues); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(issues)), "issues")
}
