package classify

import (
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
)

// Reports of engines other than the three we have data for (issue 9: the
// figures must hold on them), laid out in each engine's own issue template
// as its .github/ISSUE_TEMPLATE has it. The fixtures are written for these
// tests. Each template's checklists, @-mention lists and dropdowns are
// filled in the way reporters fill them; none of that text may be evidence.

// tgiBug lays a description out in TGI's bug form: System Info, the
// "Information" and "Tasks" checkbox lists, Reproduction, Expected behavior.
func tgiBug(system, reproduction, expected string) string {
	return "### System Info\n\n" + system +
		"\n\n### Information\n\n- [X] Docker\n- [ ] The CLI directly\n\n### Tasks\n\n- [X] An officially supported command\n- [ ] My own modifications\n\n" +
		"### Reproduction\n\n" + reproduction + "\n\n### Expected behavior\n\n" + expected + "\n"
}

// trtBug lays a description out in TensorRT-LLM's bug form, which adds
// "Who can help?" (maintainers' handles) and "actual behavior".
func trtBug(system, reproduction, expected, actual string) string {
	return "### System Info\n\n" + system +
		"\n\n### Who can help?\n\n@quant-owner @perf-owner\n\n### Information\n\n- [X] The official example scripts\n- [ ] My own modified scripts\n\n" +
		"### Tasks\n\n- [X] An officially supported task in the `examples` folder (such as GLUE/SQuAD, ...)\n- [ ] My own task or dataset (give details below)\n\n" +
		"### Reproduction\n\n" + reproduction + "\n\n### Expected behavior\n\n" + expected + "\n\n### actual behavior\n\n" + actual +
		"\n\n### additional notes\n\nNone.\n\n### Before submitting a new issue...\n\n- [x] Make sure you already searched for relevant issues, and checked the documentation and examples for answers to frequently asked questions.\n"
}

// ollamaBug lays a description out in Ollama's bug form: the issue, the
// log, then the OS, GPU and CPU dropdowns and the version input.
func ollamaBug(issue, logs, os, gpu, cpu, version string) string {
	return "### What is the issue?\n\n" + issue + "\n\n### Relevant log output\n\n```shell\n" + logs + "\n```\n\n" +
		"### OS\n\n" + os + "\n\n### GPU\n\n" + gpu + "\n\n### CPU\n\n" + cpu + "\n\n### Ollama version\n\n" + version + "\n"
}

// lmdeployBug lays a description out in LMDeploy's bug form: the checklist,
// Describe the bug, Reproduction, Environment, Error traceback.
func lmdeployBug(describe, reproduction, env, traceback string) string {
	return "### Checklist\n\n- [X] 1. I have searched related issues but cannot get the expected help.\n- [X] 2. The bug has not been fixed in the latest version.\n" +
		"- [X] 3. Please note that if the bug-related issue you submitted lacks corresponding environment info and a minimal reproducible demo, it will be challenging for us to reproduce and resolve the issue.\n\n" +
		"### Describe the bug\n\n" + describe + "\n\n### Reproduction\n\n" + reproduction + "\n\n### Environment\n\n```Shell\n" + env + "\n```\n\n### Error traceback\n\n```Shell\n" + traceback + "\n```\n"
}

const trtSystem = "- CPU architecture: x86_64\n- GPU: 8x NVIDIA H100 80GB\n- TensorRT-LLM version: 0.16.0\n- NVIDIA driver version: 550.90\n- OS: Ubuntu 22.04"

type engineCase struct {
	name         string
	repo         string
	title, body  string
	labels       []string
	kind         string
	category     string // when set
	root         string // when set
	boilerplates []string
}

func engineCases() []engineCase {
	return []engineCase{
		// Hugging Face TGI.
		{
			name:  "TGI: out of memory at warm-up",
			repo:  "huggingface/text-generation-inference",
			title: "Shard fails with CUDA out of memory during warmup on A10G",
			body: tgiBug("text-generation-inference 2.4.0, docker image, 1x A10G 24GB, driver 535",
				"```shell\ndocker run --gpus all ghcr.io/huggingface/text-generation-inference:2.4.0 --model-id my-org/model-13b --max-batch-prefill-tokens 8192\n```\n\nThe shard dies while warming up:\n\n```\nERROR warmup: text_generation_router_v3::client: Server error: CUDA out of memory. Tried to allocate 1.50 GiB. GPU 0 has a total capacity of 22.19 GiB of which 612.00 MiB is free.\nError: WebServer(Warmup(Generation(\"CUDA out of memory\")))\n```",
				"The server starts, or tells me which prefill size fits."),
			kind:         "bug",
			category:     "memory.oom",
			boilerplates: []string{"An officially supported command", "My own modifications", "The CLI directly"},
		},
		{
			name:         "TGI: feature request",
			repo:         "huggingface/text-generation-inference",
			title:        "Per-request LoRA adapter selection in the Messages API",
			body:         "### Feature request\n\nLet a chat completion request name one of the LoRA adapters loaded at start-up, like the generate route does with adapter_id.\n\n### Motivation\n\nWe serve a dozen fine-tunes of one base model and our clients only speak the OpenAI protocol.\n\n### Your contribution\n\nI can open a PR for the router part.\n",
			labels:       []string{"feature"},
			kind:         "feature",
			boilerplates: nil,
		},
		{
			name:         "TGI: usage question in the bug form",
			repo:         "huggingface/text-generation-inference",
			title:        "How do I choose max-total-tokens for a 32k context model?",
			body:         tgiBug("text-generation-inference 2.3.1, 2x L4", "I run the launcher with `--max-input-tokens 30000`. What should max-total-tokens and max-batch-prefill-tokens be so that two requests fit at once? Is there a way to see how many tokens the KV cache holds?", "Some guidance on picking these values."),
			kind:         "question",
			boilerplates: []string{"An officially supported command", "Docker"},
		},
		// NVIDIA TensorRT-LLM.
		{
			name:  "TensorRT-LLM: engine build segfaults",
			repo:  "NVIDIA/TensorRT-LLM",
			title: "[Bug]: trtllm-build segfaults on a FP8 checkpoint of a 70B model",
			body: trtBug(trtSystem,
				"```bash\ntrtllm-build --checkpoint_dir ./ckpt-fp8 --output_dir ./engine --gemm_plugin auto --max_batch_size 64\n```",
				"The engine is built.",
				"The build crashes after the weights are loaded:\n\n```\n[TensorRT-LLM][ERROR] Assertion failed: smVersion >= 89 (gemmPlugin.cpp:212)\nSegmentation fault (core dumped)\n```"),
			labels:       []string{"bug"},
			kind:         "bug",
			boilerplates: []string{"@quant-owner", "officially supported task", "My own modified scripts"},
		},
		{
			name:         "TensorRT-LLM: feature request",
			repo:         "NVIDIA/TensorRT-LLM",
			title:        "[Feature]: support sliding-window attention in the PyTorch backend",
			body:         "### 🚀 The feature, motivation and pitch\n\nModels with sliding-window layers fall back to full attention in the PyTorch flow. It would be great to support the window there as the C++ runtime does.\n\n### Alternatives\n\nBuilding a TensorRT engine instead.\n\n### Additional context\n\nNone.\n\n### Before submitting a new issue...\n\n- [x] Make sure you already searched for relevant issues, and checked the documentation and examples for answers to frequently asked questions.\n",
			labels:       []string{"feature request"},
			kind:         "feature",
			boilerplates: []string{"searched for relevant issues"},
		},
		{
			name:         "TensorRT-LLM: usage question",
			repo:         "NVIDIA/TensorRT-LLM",
			title:        "[Usage]: which max_num_tokens for in-flight batching on one H100?",
			body:         "### System Info\n\n**System Information:**\n- OS: Ubuntu 22.04\n- GPU model(s): H100\n- TensorRT-LLM version: 0.17.0\n\n### How would you like to use TensorRT-LLM\n\nI want to serve an 8B model with in-flight batching. How should I set max_num_tokens and max_batch_size to get the best throughput? Is there a rule of thumb?\n\n### Before submitting a new issue...\n\n- [x] Make sure you already searched for relevant issues, and checked the documentation and examples for answers to frequently asked questions.\n",
			labels:       []string{"question"},
			kind:         "question",
			boilerplates: []string{"searched for relevant issues"},
		},
		// Ollama.
		{
			name:  "Ollama: runner crashes loading a model",
			repo:  "ollama/ollama",
			title: "llama runner process has terminated: exit status 0xc0000409",
			body: ollamaBug("Since the update every model fails to load: `ollama run` prints an error right after the progress bar and the runner process exits.",
				"time=2025-03-02T10:11:12 level=ERROR source=sched.go:455 msg=\"error loading llama server\" error=\"llama runner process has terminated: exit status 0xc0000409\"",
				"Windows", "Nvidia", "AMD", "0.5.12"),
			labels:       []string{"bug"},
			kind:         "bug",
			category:     "model.loading",
			boilerplates: nil,
		},
		{
			name:         "Ollama: feature request",
			repo:         "ollama/ollama",
			title:        "Allow setting the keep-alive per model in the Modelfile",
			body:         "Some models should stay loaded all day and others should be unloaded right away. Please add a KEEP_ALIVE parameter to the Modelfile so that it can be set per model instead of per request.",
			labels:       []string{"feature request"},
			kind:         "feature",
			boilerplates: nil,
		},
		{
			name:         "Ollama: usage question",
			repo:         "ollama/ollama",
			title:        "How can I make ollama listen on all interfaces?",
			body:         "I run ollama on a home server and want to reach it from my laptop. Where do I set the address it listens on? Is there a config file, or do I need an environment variable?",
			kind:         "question",
			boilerplates: nil,
		},
		// LMDeploy.
		{
			name:  "LMDeploy: TurboMind crashes with tensor parallelism",
			repo:  "InternLM/lmdeploy",
			title: "[Bug] api_server crashes with CUDA error: an illegal memory access was encountered when tp=2",
			body: lmdeployBug("With `--tp 2` the first request kills the server.",
				"```shell\nlmdeploy serve api_server my-org/model-20b --tp 2 --backend turbomind\n```",
				"sys.platform: linux\nPython: 3.10.14\nCUDA available: True\nGPU 0,1: NVIDIA A100-SXM4-80GB\nPyTorch: 2.3.0\nLMDeploy: 0.6.2",
				"RuntimeError: [TM][ERROR] CUDA runtime error: an illegal memory access was encountered /lmdeploy/src/turbomind/utils/allocator.h:246"),
			labels:       []string{"Bug"},
			kind:         "bug",
			category:     "gpu.cuda_error",
			boilerplates: []string{"searched related issues", "minimal reproducible demo"},
		},
		{
			name:         "LMDeploy: feature request",
			repo:         "InternLM/lmdeploy",
			title:        "[Feature] Support AWQ checkpoints in the PyTorch engine on Ascend",
			body:         "### Motivation\n\nAWQ models only run with TurboMind, which needs CUDA. Supporting them in the PyTorch engine would let us serve them on Ascend devices.\n\n### Related resources\n\nThe AWQ kernels of the TurboMind backend.\n\n### Additional context\n\nNone.\n",
			kind:         "feature",
			boilerplates: nil,
		},
		{
			name:         "LMDeploy: usage question",
			repo:         "InternLM/lmdeploy",
			title:        "How to set the chat template for a custom fine-tuned model?",
			body:         "I fine-tuned a model with my own prompt format. How do I tell the api_server which chat template to use? Is there a way to pass a JSON file?",
			kind:         "question",
			boilerplates: nil,
		},
		// MLC-LLM and ExLlamaV2, whose forms put the heading words elsewhere.
		{
			name:         "MLC-LLM: bug form",
			repo:         "mlc-ai/mlc-llm",
			title:        "[Bug] mlc_llm compile fails for Vulkan target",
			body:         "## 🐛 Bug\n\nCompiling a model library for Vulkan stops with an error.\n\n## To Reproduce\n\n```\nmlc_llm compile ./dist/model-q4f16_1 --device vulkan -o model.so\nTVMError: Check failed: (it != n->end()) is false: cannot find attribute\n```\n\n## Expected behavior\n\nThe library is built.\n\n## Environment\n\n - Platform: Vulkan\n - Operating system: Ubuntu 22.04\n - How you installed MLC-LLM: pip\n",
			labels:       []string{"bug"},
			kind:         "bug",
			boilerplates: nil,
		},
		{
			name:         "MLC-LLM: general question",
			repo:         "mlc-ai/mlc-llm",
			title:        "[Question] Can the Android app load a model from local storage?",
			body:         "## ❓ General Questions\n\nCan the Android app load weights I copied to the phone instead of downloading them? Where should I put them?\n",
			labels:       []string{"question"},
			kind:         "question",
			boilerplates: nil,
		},
		{
			name:         "ExLlamaV2: bug form",
			repo:         "turboderp-org/exllamav2",
			title:        "[BUG] Generation produces gibberish with a 4.0bpw quant",
			body:         "### OS\n\nLinux\n\n### GPU Library\n\nCUDA 12.x\n\n### Python version\n\n3.11\n\n### Pytorch version\n\n2.4.0\n\n### Model\n\nmy-org/model-70b-exl2-4.0bpw\n\n### Describe the bug\n\nEvery answer is gibberish: random tokens, no words.\n\n### Reproduction steps\n\nLoad the model with the example chat script and ask anything.\n\n### Expected behavior\n\nReadable answers.\n\n### Logs\n\nNone.\n\n### Additional context\n\nNone.\n\n### Acknowledgements\n\n- [X] I have looked for similar issues before submitting this one.\n- [X] I understand that the developers have lives and my issue will be answered when possible.\n",
			labels:       []string{"bug"},
			kind:         "bug",
			boilerplates: []string{"similar issues", "developers have lives"},
		},
	}
}

func TestOtherEnginesTemplates(t *testing.T) {
	cl := builtinClassifier(t, "llm-serving-v1")
	roles := BuiltinTemplate().roles
	for _, tc := range engineCases() {
		t.Run(tc.name, func(t *testing.T) {
			is := &bugscope.Issue{Repo: tc.repo, Number: 1, Title: tc.title, Body: tc.body, Labels: tc.labels}
			c := cl.One(is)
			if got := c.Labels.One("kind"); got != tc.kind {
				t.Errorf("kind = %q, want %q\n%s", got, tc.kind, evidenceText(c))
			}
			if tc.category != "" {
				if got := c.Labels.One("category"); got != tc.category {
					t.Errorf("category = %q, want %q\n%s", got, tc.category, evidenceText(c))
				}
			}
			if tc.root != "" {
				if got := c.Labels.One("root_cause"); got != tc.root {
					t.Errorf("root_cause = %q, want %q\n%s", got, tc.root, evidenceText(c))
				}
			}
			// The checklists and mention lists are read by no rule.
			d := prepare(is, roles)
			for _, region := range allRegions {
				for _, b := range tc.boilerplates {
					if strings.Contains(regionText(d, region), b) {
						t.Errorf("boilerplate %q is in region %s", b, region)
					}
				}
			}
			for _, e := range c.Evidence {
				for _, b := range tc.boilerplates {
					if strings.Contains(e.Line, b) || strings.Contains(e.Match, b) {
						t.Errorf("evidence from boilerplate %q: %s", b, e)
					}
				}
				if strings.HasPrefix(e.Match, "@") {
					t.Errorf("evidence from a mention: %s", e)
				}
			}
			checkEvidence(t, is, c)
		})
	}
}

// The dropdowns of Ollama's and ExLlamaV2's forms are the environment:
// "Windows", "Nvidia", "CUDA 12.x" there say nothing about the bug.
func TestOtherEnginesEnvironmentSections(t *testing.T) {
	roles := BuiltinTemplate().roles
	cases := []struct {
		name     string
		body     string
		env      []string
		text     []string
		headings []string
	}{
		{
			name:     "Ollama dropdowns",
			body:     ollamaBug("the model answers slowly", "no log", "Windows", "Nvidia", "AMD", "0.5.7"),
			env:      []string{"Windows", "Nvidia", "AMD", "0.5.7"},
			text:     []string{"the model answers slowly"},
			headings: []string{"what is the issue?", "relevant log output", "os", "gpu", "cpu", "ollama version"},
		},
		{
			name: "ExLlamaV2 inputs",
			body: "### OS\n\nLinux\n\n### GPU Library\n\nROCm 6.1\n\n### Python version\n\n3.12\n\n### Pytorch version\n\n2.5\n\n### Model\n\nsome-model-exl2\n\n### Describe the bug\n\nit hangs\n",
			env:  []string{"Linux", "ROCm 6.1", "3.12", "2.5", "some-model-exl2"},
			text: []string{"it hangs"},
		},
		{
			name: "TGI and TensorRT-LLM system info",
			body: trtBug("GPU: A100, driver 535", "run the example", "it works", "it crashes"),
			env:  []string{"GPU: A100, driver 535"},
			text: []string{"run the example", "it works", "it crashes"},
		},
		{
			// Prefixes that are whole headings in the forms do not take in
			// the sections of reports whose headings merely begin with them.
			name: "a heading that begins with GPU or Tasks is not the form's",
			body: "### GPU test results\n\n12 tokens/s on the GPU\n\n### Tasks for this release\n\n- [x] Port the sampler\n",
			text: []string{"12 tokens/s on the GPU", "Port the sampler"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := prepare(&bugscope.Issue{Body: tc.body}, roles)
			env, text := regionText(d, RegionEnv), regionText(d, RegionText)
			for _, s := range tc.env {
				if !strings.Contains(env, s) {
					t.Errorf("env lacks %q; env:\n%s", s, env)
				}
				if strings.Contains(text, s) {
					t.Errorf("text holds env %q", s)
				}
			}
			for _, s := range tc.text {
				if !strings.Contains(text, s) {
					t.Errorf("text lacks %q; text:\n%s", s, text)
				}
			}
			if tc.headings != nil && strings.Join(d.headings, "|") != strings.Join(tc.headings, "|") {
				t.Errorf("headings = %q, want %q", d.headings, tc.headings)
			}
		})
	}
}

func TestHeadingMatches(t *testing.T) {
	cases := []struct {
		heading, pattern string
		want             bool
	}{
		{"system info", "system info", true},
		{"system information", "system info", true},
		{"os", "os$", true},
		{"os version", "os$", false},
		{"gpu test results", "gpu$", false},
		{"tasks", "tasks$", true},
		{"who can help?", "who can help", true},
		{"reproduction steps", "reproduction", true},
		{"bug 1", "bug$", false},
	}
	for _, tc := range cases {
		if got := headingMatches(tc.heading, tc.pattern); got != tc.want {
			t.Errorf("headingMatches(%q, %q) = %v, want %v", tc.heading, tc.pattern, got, tc.want)
		}
	}
}
