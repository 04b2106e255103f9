package classify

import (
	"context"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/review"
)

// Fixtures written for these tests from the misfires that issue 9 lists:
// text that is not the reporter's prose (launch flags, pasted objects,
// curl commands, traceback frames), words in another sense, and one
// generic word that used to decide a topic. Each names what must not
// happen; most also name what a careful rater would decide.

// frozenTraceback is a Python traceback through the interpreter's frozen
// modules, ending in an ordinary error.
const frozenTraceback = "```\nTraceback (most recent call last):\n" +
	"  File \"<frozen runpy>\", line 198, in _run_module_as_main\n" +
	"  File \"<frozen runpy>\", line 88, in _run_code\n" +
	"  File \"<frozen importlib._bootstrap>\", line 1204, in _gcd_import\n" +
	"  File \"/opt/env/lib/python3.11/site-packages/engine/entrypoints/server.py\", line 41, in <module>\n" +
	"    from engine.model_loader import load_weights\n" +
	"  File \"/opt/env/lib/python3.11/site-packages/engine/model_loader.py\", line 12, in load_weights\n" +
	"    raise KeyError(name)\n" +
	"KeyError: 'model.layers.0.self_attn.qkv_proj.weight'\n```\n"

type misfire struct {
	name        string
	title, body string
	// noRule: rules that must not match at all; noValue: category values
	// that must not be chosen; noMatch: text no evidence may quote.
	noRule   []string
	noValue  map[string][]string
	noMatch  []string
	category string // when set, the category a rater would choose
	root     string // when set, the root cause a rater would choose
	pattern  string // when set, a pattern that must not be tagged
}

func misfires() []misfire {
	return []misfire{
		{
			name:    "an aside about how a log line looks is not a logging bug",
			title:   "[server] the chat template ends turns with the wrong token",
			body:    "The rendered prompt ends each turn with <|endoftext|> where the model expects <|end|>. There is also an extra space, maybe only because of how the log message is formatted.\n",
			noRule:  []string{"category.other.text"},
			noValue: map[string][]string{"category": {"other"}},
		},
		{
			name:  "an assertion while the engine is built is a start-up crash",
			title: "[Bug]: draft model setup does not work",
			body: vllmBug(envDump, "```\nTraceback (most recent call last):\n"+
				"  File \"/opt/engine/engine.py\", line 119, in from_engine_args\n"+
				"  File \"/opt/engine/executor.py\", line 34, in _init_executor\n"+
				"  File \"/opt/engine/spec_worker.py\", line 1106, in _vocab_size\n"+
				"AssertionError\n```\n"),
			noValue:  map[string][]string{"category": {"model.inference"}},
			category: "model.loading",
		},
		{
			name:     "a flaky test is a problem of the tests",
			title:    "[Bug]: CI flake - entrypoints/test_chat.py::test_tool_choice",
			body:     vllmBug(envDump, "Fails about one run in five:\n\n```\nE   json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)\n```\n"),
			noValue:  map[string][]string{"category": {"api.request_handling"}},
			category: "other",
		},
		{
			name:     "a crash of the quantize tool is a conversion error",
			title:    "Misc. bug: llama-quantize aborts on a fine-tuned model",
			body:     "### What happened?\n\n`./llama-quantize ./out/model-f16.gguf ./out/model-q4.gguf Q4_K_M` stops half way with `Aborted (core dumped)`.\n",
			noValue:  map[string][]string{"category": {"model.inference"}},
			category: "model.loading",
		},
		{
			name:     "a Triton resource error in a pasted log is a device error",
			title:    "[Bug]: prefix caching fails with an ALiBi model",
			body:     vllmBug(envDump, "Running the prefix-caching example with this model:\n\n```\n    raise OutOfResources(self.shared, max_shared, \"shared memory\")\ntriton.runtime.autotuner.OutOfResources: out of resource: shared memory, Required: 98304, Hardware limit: 65536\n```\n"),
			noValue:  map[string][]string{"category": {"model.inference"}},
			category: "gpu.cuda_error",
		},
		{
			name:     "the argument parser's error in a log is CLI parsing",
			title:    "[Bug]: backend options for structured output are rejected",
			body:     vllmBug(envDump, "Since the last nightly, passing an option after the backend name fails:\n\n```\n$ engine serve my/model --grammar-backend fastgram:strict\nusage: engine serve [model_tag] [options]\nengine serve: error: argument --grammar-backend: invalid choice: 'fastgram:strict' (choose from 'auto', 'fastgram')\n```\n"),
			noValue:  map[string][]string{"category": {"model.inference"}},
			category: "other",
		},
		{
			name:    "a CUDA runtime's invalid argument is not the argument parser",
			title:   "[Bug]: start-up stops while building the peer-access cache",
			body:    vllmBug(envDump, "```\n[rank0]: RuntimeError: CUDART error: invalid argument\n```\n"),
			noRule:  []string{"category.other.argparse"},
			noValue: map[string][]string{"category": {"other"}},
		},
		{
			name:    "a crash under concurrent requests is not a throughput report",
			title:   "[Bug]: engine dies when many requests are pending",
			body:    vllmBug(envDump, "With 200 concurrent requests in the queue the server stops after a minute:\n\n```\nTraceback (most recent call last):\n  File \"/opt/engine/core.py\", line 12, in step\nAssertionError: block table out of range\n```\n"),
			noRule:  []string{"category.throughput.topic"},
			noValue: map[string][]string{"category": {"performance.throughput"}},
		},
		{
			name:     "a rendezvous timeout of the workers is a collective error",
			title:    "[Bug]: cannot start a 70B model on four GPUs",
			body:     vllmBug(envDump, "Launching with `--tp-size 4` never gets past start-up:\n\n```\ntorch.distributed.DistStoreError: Timed out after 600 seconds waiting for clients. 1/4 clients joined.\n```\n"),
			noValue:  map[string][]string{"category": {"model.loading"}},
			category: "distributed.multi_gpu",
		},
		{
			name:     "an unknown launch flag in the title is CLI parsing",
			title:    "[Bug] unrecognized arguments: --enable-foo-stats",
			body:     vllmBug(envDump, "The flag is in the documentation but the launcher rejects it.\n"),
			noValue:  map[string][]string{"category": {"model.inference"}},
			category: "other",
		},
		{
			name:  "a crash while capturing CUDA graphs at start-up is a start-up crash",
			title: "[Bug]: server exits after the upgrade with an AttributeError",
			body: vllmBug(envDump, "The server never comes up:\n\n```\nTraceback (most recent call last):\n"+
				"  File \"/opt/engine/scheduler.py\", line 88, in run_scheduler_process\n"+
				"  File \"/opt/engine/model_runner.py\", line 210, in init_cuda_graphs\n"+
				"  File \"/opt/engine/cuda_graph_runner.py\", line 301, in capture_one_batch_size\n"+
				"  File \"/opt/engine/layers/quant.py\", line 57, in apply\n"+
				"AttributeError: module 'engine_kernels' has no attribute 'fused_dequant'\n```\n"),
			noValue:  map[string][]string{"category": {"model.inference"}},
			category: "model.loading",
		},
		{
			name:     "a crash inside a conversion script is a conversion error",
			title:    "Bug: NameError in the vision encoder script",
			body:     "### What happened?\n\nRunning `python examples/mm/convert_image_encoder_to_gguf.py -m ./clip --output-dir ./out` stops with\n\n```\nNameError: name 'KEY_PROJ_DIM' is not defined\n```\n",
			noValue:  map[string][]string{"category": {"model.inference"}},
			category: "model.loading",
		},
		{
			name:    "an ignored sampling parameter is not a protocol gap",
			title:   "[Bug]: temperature is ignored by the server",
			body:    vllmBug(envDump, "Whatever temperature I send, the answers are identical; the temperature parameter is ignored and the sampling looks greedy.\n"),
			noRule:  []string{"category.protocol.param-ignored"},
			noValue: map[string][]string{"category": {"api.protocol"}},
		},
		{
			name:    "an ignored launch flag is not a protocol gap",
			title:   "[Bug]: the CPU back end ignores --max-num-seqs",
			body:    vllmBug(envDump, "Starting with `--max-num-seqs 4` on the CPU back end has no effect; the option is ignored without a warning.\n"),
			noRule:  []string{"category.protocol.param-ignored"},
			noValue: map[string][]string{"category": {"api.protocol"}},
		},
		{
			name:     "frozen runpy frames are not a hang",
			title:    "[Bug]: server exits at start-up with a KeyError",
			body:     vllmBug(envDump, "Starting the server fails right away:\n\n"+frozenTraceback),
			noRule:   []string{"category.deadlock.text"},
			noValue:  map[string][]string{"category": {"concurrency.deadlock"}},
			noMatch:  []string{"frozen"},
			category: "model.loading",
		},
		{
			name:    "pip freeze is not a freeze",
			title:   "[Bug]: import fails after upgrade",
			body:    vllmBug(envDump, "Here is my pip freeze output, the import of the package fails:\n\n```\nImportError: cannot import name 'LogitsProcessor' from 'engine.sampling'\n```\n"),
			noRule:  []string{"category.deadlock.text"},
			noMatch: []string{"freeze"},
		},
		{
			name:     "stuck in a loop is repetition, not a hang",
			title:    "[Bug]: the model gets stuck in a loop with long prompts",
			body:     vllmBug(envDump, "After about 300 tokens the model is stuck in a loop: it writes the same sentence again and again until max_tokens."),
			noValue:  map[string][]string{"category": {"concurrency.deadlock"}},
			category: "model.inference",
		},
		{
			name:    "infinite loop in a recursion crash is not a hang",
			title:   "[Bug]: RecursionError when the prompt has many nested brackets",
			body:    vllmBug(envDump, "The grammar compiler seems to run an infinite loop and then crashes:\n\n```\nRecursionError: maximum recursion depth exceeded while calling a Python object\n```\n"),
			noRule:  []string{"category.deadlock.text"},
			noValue: map[string][]string{"category": {"concurrency.deadlock"}},
		},
		{
			name:  "launch flags name features, not symptoms",
			title: "[Bug]: garbage output from the 8B model",
			body: vllmBug(envDump, "I start the server like this:\n\n```bash\nvllm serve my-org/model-8b --tool-call-parser hermes --reasoning-parser deepseek_r1 --enable-auto-tool-choice --enable-prefix-caching\n```\n\n"+
				"and every answer is gibberish: random characters, no words."),
			noMatch:  []string{"tool-call-parser", "reasoning-parser", "prefix-caching"},
			noValue:  map[string][]string{"category": {"api.request_handling"}},
			category: "model.inference",
			pattern:  "prefix_caching",
		},
		{
			name:  "--ipc=host is not the front end talking to the back end",
			title: "[Bug]: illegal memory access with the docker image",
			body: vllmBug(envDump, "```\ndocker run --gpus all --ipc=host -p 8000:8000 my-registry/engine:latest --model my-org/model-8b\n```\n\n"+
				"The first request fails with\n\n```\nRuntimeError: CUDA error: an illegal memory access was encountered\n```\n"),
			noMatch:  []string{"ipc"},
			category: "gpu.cuda_error",
			pattern:  "frontend_backend",
		},
		{
			name:  "a pasted response object is not the reporter's words",
			title: "[Bug]: the answer is cut off in the middle of a word",
			body: vllmBug(envDump, "The completion ends in the middle of a word although max_tokens is far away. What I get back:\n\n"+
				"```\nChatCompletionMessage(content='The capital of France is Pa', refusal=None, role='assistant', reasoning_content=None, tool_calls=[])\n```\n"),
			noMatch: []string{"reasoning_content"},
		},
		{
			name:  "a curl health check is not a request-handling bug",
			title: "[Bug]: engine fails to load the checkpoint",
			body: vllmBug(envDump, "I check that the server is up with\n\ncurl http://localhost:8000/health\n\nbut it never becomes healthy; the log says\n\n"+
				"```\nValueError: size mismatch for model.embed_tokens.weight: copying a param with shape [32000, 4096]\n```\n"),
			noMatch:  []string{"curl", "localhost"},
			noValue:  map[string][]string{"category": {"api.request_handling"}},
			category: "model.loading",
		},
		{
			name:    "repeating layers are an architecture, not repetition",
			title:   "[Bug]: wrong shapes for a model with repeating layers",
			body:    vllmBug(envDump, "The model reuses a block of repeating layers (weight sharing between layer 4 and layer 8). Loading fails:\n\n```\nValueError: size mismatch for model.layers.8.mlp.weight\n```\n"),
			noMatch: []string{"repeating"},
			noValue: map[string][]string{"category": {"model.inference"}},
		},
		{
			name:    "doesn't stop: a cancelled request, not endless generation",
			title:   "[Bug]: aborting a request doesn't stop the work on the server",
			body:    vllmBug(envDump, "When the client disconnects, the request is cancelled on the client side but the server doesn't stop: the GPU keeps working on it for a minute."),
			noMatch: []string{"doesn't stop"},
			noValue: map[string][]string{"category": {"model.inference"}},
		},
		{
			name:     "after loading the model is a time, not a loading failure",
			title:    "[Bug]: nonsense answers from the 7B model",
			body:     vllmBug(envDump, "After loading the model the first answers are fine, then after a few turns it produces nonsense."),
			noMatch:  []string{"after loading the model", "loading the model"},
			category: "model.inference",
		},
		{
			name:    "a bare Killed after an ordinary traceback is not an OOM",
			title:   "[Bug] the scheduler exits on a long prompt",
			body:    "### Describe the bug\n\nThe server exits when I send a long prompt:\n\n```\nTraceback (most recent call last):\n  File \"/srv/app/scheduler.py\", line 88, in run\n    batch = self.get_next_batch()\nValueError: prompt is longer than the context window\nKilled\n```\n",
			noValue: map[string][]string{"category": {"memory.oom"}, "root_cause": {"resource_constraints"}},
		},
		{
			name:    "one word 'request' decides no topic",
			title:   "[Bug]: wrong answer for a simple question",
			body:    vllmBug(envDump, "When I send a request asking for 2+2 the answer is 5."),
			noValue: map[string][]string{"category": {"api.request_handling"}},
		},
		{
			name:    "one phrase 'timed out' decides no topic",
			title:   "[Bug]: model fails to load",
			body:    vllmBug(envDump, "My first attempt timed out while downloading, the second one fails with\n\n```\nKeyError: 'model.norm.weight'\n```\n"),
			noValue: map[string][]string{"category": {"api.request_handling"}},
		},
		{
			name:    "one phrase 'docker image' decides no topic",
			title:   "[Bug]: gibberish with the 13B model",
			body:    vllmBug(envDump, "I use the official docker image. All outputs are gibberish."),
			noValue: map[string][]string{"category": {"build.install"}},
		},
		{
			name:    "one phrase '4 nodes' decides no topic",
			title:   "[Bug]: NaN logits with fp16",
			body:    vllmBug(envDump, "Our cluster has 4 nodes but this happens on one GPU too: the logits are NaN after the first layer."),
			noValue: map[string][]string{"category": {"distributed.cluster"}},
		},
		{
			name:     "a hang never overrules a named error",
			title:    "[Bug]: server hangs at start-up",
			body:     vllmBug(envDump, "The server hangs for a minute and then stops with\n\n```\nImportError: libcudart.so.12: cannot open shared object file: No such file or directory\n```\n"),
			noValue:  map[string][]string{"category": {"concurrency.deadlock"}},
			category: "build.install",
		},
		{
			name:    "lscpu's mitigation lines are no security hole",
			title:   "[Bug]: tokenizer error with a long system prompt",
			body:    vllmBug(envDump, "The CPU details I have:\n\nArchitecture: x86_64\nVulnerability Itlb multihit: Not affected\nVulnerability Spec rstack overflow: Mitigation; safe RET\nVulnerability Spectre v2: Mitigation; Enhanced IBRS\n\nA system prompt over 4k tokens gives a ValueError in the tokenizer."),
			noRule:  []string{"severity.p0.any-request"},
			noValue: map[string][]string{"severity": {"P0"}},
		},
		{
			name:    "sending any request, or a single one, is no request that kills the server",
			title:   "[Bug]: batch endpoint returns a TypeError",
			body:    vllmBug(envDump, "Start the server, then make any request to the batch endpoint. When the batch holds a single request a TypeError comes back without any error in the server log."),
			noRule:  []string{"severity.p0.any-request"},
			noValue: map[string][]string{"severity": {"P0"}},
		},
		{
			name:    "a compiler flag named format-security is no security hole",
			title:   "[Bug]: build fails with -Werror=format-security",
			body:    "Building with `-Wformat-security -Werror=format-security` stops at ggml.c: format not a string literal and no format arguments. The security flags are the distribution's defaults.",
			noRule:  []string{"severity.p0.any-request"},
			noValue: map[string][]string{"severity": {"P0"}},
		},
		{
			// Guide §3: a device allocation that fails is evidence of a
			// resource limit; naming the back end beside it (three
			// integration hints) does not outweigh the message.
			name:  "a back end's out-of-device-memory message is a resource limit",
			title: "Vulkan: ErrorOutOfDeviceMemory when all layers are offloaded to the iGPU",
			body: "Running a 13B Q5_K_M model on my laptop iGPU with the Vulkan backend and -ngl 99:\n\n```\n" +
				"ggml_vulkan: Device memory allocation of size 2147483648 failed.\n" +
				"ggml_vulkan: vk::Device::allocateMemory: ErrorOutOfDeviceMemory\n" +
				"llama_model_load: error loading model\n```\n\nWith -ngl 20 it runs.",
			root: "resource_constraints",
		},
		{
			// Same for llama.cpp's compute context: the pool is too small.
			name:  "a full ggml context pool is a sizing problem",
			title: "segfault: not enough space in the context's memory pool with the 30B model",
			body:  "```\nggml_new_tensor_impl: not enough space in the context's memory pool (needed 268435456, available 134217728)\nSegmentation fault\n```\n",
			root:  "resource_constraints",
		},
		{
			// Guide §3: prefix or radix cache coherency is state; the title
			// names the cache as what changes the answers.
			name:  "a title that blames the prefix cache is about its state",
			title: "[Bug]: answers change once prefix caching is on",
			body:  vllmBug(envDump, "I send the same two prompts twice. The second time, with cache hits, a few of the answers are different from the first run."),
			root:  "state_management",
		},
		{
			// A collective that times out is the failure itself, not a
			// request's state going wrong (guide §3).
			name:    "a collective watchdog timeout is no evidence of state",
			title:   "[Bug] two-GPU serving hangs on the first prefill",
			body:    "### Describe the bug\n\nWith --tp 2 the first request never returns and the scheduler prints nothing more; after ten minutes the watchdog timeout ends the process:\n\n```\n[rank1]:[E ProcessGroupNCCL.cpp:1785] Exception (either an error or timeout) detected by watchdog at work: 12\n```\n",
			noValue: map[string][]string{"root_cause": {"state_management"}},
		},
		{
			// Guide §3: memory never given back is a cleanup or eviction
			// path, i.e. state, even when the report shows no code.
			name:     "memory that grows for days is a state problem",
			title:    "[Bug]: host memory usage keeps growing after a week of serving",
			body:     vllmBug(envDump, "The server runs fine, but RSS keeps rising by about 1 GB a day under steady traffic until the container is restarted."),
			category: "memory.leak",
			root:     "state_management",
		},
		{
			// "the model" is in nearly every report: it names no specific
			// model, so it is no evidence of integration (guide §3
			// fallback needs a specific model, hardware, back end or
			// dependency).
			name:    "saying 'the model' names no specific model",
			title:   "[Bug]: the server answers 400 when a message has no content",
			body:    vllmBug(envDump, "I loaded the model as usual. With each model I tried, when one of the messages has no content field the server answers 400 instead of skipping it."),
			noValue: map[string][]string{"root_cause": {"integration"}},
		},
		{
			// Greedy decoding is how most reproductions are written, not a
			// rare sampling setting (guide §3 edge case), and "very long"
			// of a time is no long input.
			name:    "temperature=0 in a reproduction is no unusual parameter",
			title:   "[Bug]: HIP error: invalid device function on MI100",
			body:    vllmBug(envDump, "Loading takes a very long time and then the first generate call fails.\n\n```python\nparams = SamplingParams(temperature=0, max_tokens=64)\nllm.generate(prompts, params)\n```\n\n```\nRuntimeError: HIP error: invalid device function\n```\n"),
			noValue: map[string][]string{"root_cause": {"edge_case"}},
		},
		{
			// vLLM's workers append "This might cause deadlock in
			// distributed execution" to every error: no evidence of a race.
			name:    "the worker's deadlock warning is boilerplate",
			title:   "[Bug]: KeyError while loading the MoE checkpoint on two nodes",
			body:    vllmBug(envDump, "```\nERROR 05-02 10:11:12 worker_base.py:620] Error executing method 'load_model'. This might cause deadlock in distributed execution.\nKeyError: 'layers.3.mlp.experts.w13_weight'\n```\n"),
			noValue: map[string][]string{"root_cause": {"concurrency"}},
		},
		{
			// A request that times out and a scheduler that dies are what
			// the user sees, in every SGLang traceback; they say nothing of
			// why (guide §3), so they are no hint of state.
			name:    "a timeout and the word scheduler are no evidence of state",
			title:   "[Bug] the server stops answering",
			body:    "### Describe the bug\n\nThe first request timed out and then the scheduler process exited; the client saw a connection reset by peer.\n",
			noValue: map[string][]string{"root_cause": {"state_management"}},
		},
		{
			// Guide §3: a failing build is about the build system, the
			// toolchain or the packages, even when no version is named.
			name:     "a build failure is integration",
			title:    "make fails: error: 'PATH_MAX' undeclared in file.c",
			body:     "Building from a fresh clone with plain make stops at\n\n```\nfile.c:88:17: error: 'PATH_MAX' undeclared (first use in this function)\n```\n",
			category: "build.install",
			root:     "integration",
		},
	}
}

func TestBuiltinMisfires(t *testing.T) {
	cl := builtinClassifier(t, "llm-serving-v1")
	for _, m := range misfires() {
		t.Run(m.name, func(t *testing.T) {
			is := &bugscope.Issue{Repo: "vllm-project/vllm", Number: 1, Title: m.title, Body: m.body, Labels: []string{"bug"}}
			c := cl.One(is)
			if c.Labels.One("kind") != "bug" {
				t.Fatalf("kind = %v\n%s", c.Labels["kind"], evidenceText(c))
			}
			for _, h := range cl.rs.match(prepare(is, cl.rs.roles)) {
				for _, id := range m.noRule {
					if h.rule.ID == id {
						t.Errorf("rule %s matched %q (line %q)", id, h.text, h.line)
					}
				}
				for _, s := range m.noMatch {
					if strings.Contains(strings.ToLower(h.text), strings.ToLower(s)) {
						t.Errorf("rule %s counted %q in %s (line %q)", h.rule.ID, h.text, h.region, h.line)
					}
				}
			}
			for dim, vals := range m.noValue {
				for _, v := range vals {
					if c.Labels.One(dim) == v {
						t.Errorf("%s = %s\n%s", dim, v, evidenceText(c))
					}
				}
			}
			if m.category != "" && c.Labels.One("category") != m.category {
				t.Errorf("category = %v, want %s\n%s", c.Labels["category"], m.category, evidenceText(c))
			}
			if m.root != "" && c.Labels.One("root_cause") != m.root {
				t.Errorf("root_cause = %v, want %s\n%s", c.Labels["root_cause"], m.root, evidenceText(c))
			}
			if m.pattern != "" {
				for _, p := range c.Labels["patterns"] {
					if p == m.pattern {
						t.Errorf("pattern %s tagged\n%s", p, evidenceText(c))
					}
				}
			}
		})
	}
}

// TestBuiltinProtocolAndRace: the api.protocol and concurrency.race rules
// fire on reports of those kinds, written from the guide's definitions.
func TestBuiltinProtocolAndRace(t *testing.T) {
	cl := builtinClassifier(t, "llm-serving-v1")
	cases := []struct {
		name, title, body, want string
	}{
		{"finish_reason", "[Bug]: finish_reason is stop when the answer hits max_tokens",
			"When the completion is cut by max_tokens the finish_reason is always \"stop\"; the OpenAI API returns \"length\" there, so clients cannot tell a truncated answer.", "api.protocol"},
		{"ignored parameter", "[Bug]: stream_options.include_usage is ignored",
			"With the OpenAI-compatible server, the parameter `include_usage` is silently ignored: the final chunk of the stream has no usage field, unlike OpenAI's API.", "api.protocol"},
		{"missing field", "[Bug]: usage is missing from the chat completion response",
			"The response of /v1/chat/completions has no usage field; the usage field is missing although the OpenAI spec says it is always there.", "api.protocol"},
		{"outputs mixed between requests", "[Bug]: answers of concurrent requests are mixed up",
			"When I send two different prompts at the same time, the output of one request contains text from the other request. Sent one at a time, both answers are correct.", "concurrency.race"},
		{"prefix cache wrong output", "[Bug]: wrong output when prefix caching is on",
			"With prefix caching enabled the second request with the same system prompt gets a wrong answer; with the prefix cache disabled the results are correct. The output differs only when the cache hits.", "concurrency.race"},
		{"nondeterministic under load", "[Bug]: identical prompts give different results under concurrent load",
			"With temperature 0 the same prompt gives different outputs when 32 requests run concurrently, and always the same output when requests are sent one by one.", "concurrency.race"},
		// Shapes of real protocol reports the rules used to send to the
		// default or to api.request_handling (guide §1 and §2 api.protocol).
		{"finish reason named by value", "[Bug]: tool call requests end with stop instead of tool_calls when streaming",
			"When the model calls a function in a streamed chat completion, the last chunk returns stop instead of tool_calls, so the client never runs the tool.", "api.protocol"},
		{"finish reason not right", "[Bug]: finish_reason is not right after a function call",
			"After the model emits a tool call the finish_reason is wrong in the final response.", "api.protocol"},
		{"wrong status code", "[Bug]: a request without a JSON body returns 500 instead of 400",
			"Posting plain text to /v1/completions returns 500 Internal Server Error instead of a client error; it should return 400 so that callers know the request is malformed.", "api.protocol"},
		{"n ignored", "[Bug]: server returns only one choice despite n=4",
			"I ask for n=4 completions through the OpenAI client but the answer holds only one choice.", "api.protocol"},
		{"not aligned with OpenAI", "[Bug]: the tool_calls delta does not match OpenAI",
			"The shape of the streamed tool_calls is not compatible with OpenAI: the index key is absent and arguments come as an object.", "api.protocol"},
		{"identical batch inputs differ", "[Bug]: batched requests with identical prompts give different answers",
			"I send a batch of 8 identical prompts with greedy sampling; the outputs are not the same, while one request at a time always gives one answer.", "concurrency.race"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := &bugscope.Issue{Repo: "o/r", Number: 1, Title: tc.title, Body: vllmBug(envDump, tc.body), Labels: []string{"bug"}}
			c := cl.One(is)
			if got := c.Labels.One("category"); got != tc.want {
				t.Errorf("category = %q, want %q\n%s", got, tc.want, evidenceText(c))
			}
		})
	}
}

// TestDefaultsFirstInReview: a decision made by a default says so in its
// evidence, carries a lower confidence than any decision made by evidence,
// and review (which ranks by confidence) shows it first.
func TestDefaultsFirstInReview(t *testing.T) {
	cl := builtinClassifier(t, "llm-serving-v1")
	issues := append([]bugscope.Issue{
		{Repo: "o/r", Number: 900, Title: "8", Body: ""},
		{Repo: "o/r", Number: 901, Title: "[Bug]: something is off", Body: "### 🐛 Describe the bug\n\nIt does not do what I want."},
	}, derefIssues(generateIssues(80))...)
	cs, err := cl.Classify(context.Background(), issues)
	if err != nil {
		t.Fatal(err)
	}
	var classified []bugscope.Classified
	defaulted := map[string]bool{}
	minEvidence, maxDefault := 1.0, 0.0
	for i, c := range cs {
		classified = append(classified, bugscope.Classified{Issue: issues[i], Classification: c})
		isDefault := false
		for _, e := range c.Evidence {
			if (e.Dimension == "kind" || e.Dimension == "category") && strings.HasPrefix(e.Rule, "default-") {
				isDefault = true
				if !strings.HasPrefix(e.Note, DefaultNote) {
					t.Errorf("%s: default evidence without %q: %+v", c.Issue, DefaultNote, e)
				}
			}
		}
		if isDefault {
			defaulted[c.Issue.String()] = true
			maxDefault = max(maxDefault, c.Confidence)
		} else {
			minEvidence = min(minEvidence, c.Confidence)
		}
	}
	if !defaulted["o/r#900"] || !defaulted["o/r#901"] {
		t.Fatalf("the fixtures without cues were not decided by defaults: %v", defaulted)
	}
	if maxDefault >= minEvidence {
		t.Errorf("a default decision has confidence %v, an evidence decision %v", maxDefault, minEvidence)
	}
	items := review.Build(cl.Taxonomy(), classified, classified, nil)
	for i, it := range items {
		if i < len(defaulted) != defaulted[it.Issue] {
			t.Errorf("review position %d: %s (default %v); the %d defaults should come first", i, it.Issue, defaulted[it.Issue], len(defaulted))
		}
	}
}

func derefIssues(ps []*bugscope.Issue) []bugscope.Issue {
	out := make([]bugscope.Issue, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}
