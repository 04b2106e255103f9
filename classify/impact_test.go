package classify

import (
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// Fixtures written for the severity and root-cause rules of issue 9 (the
// guide's §3 and §4): the impact a rater reads from a report, and the
// misfires that used to decide it (the reporter's emphasis, the word
// "logging" in prose, a quantization format that is the common setup, an
// exception's class name taken for an unusual input). Each names the
// values a careful rater chooses and the rules that must not match.
func TestBuiltinImpactAndCause(t *testing.T) {
	cl := builtinClassifier(t, "llm-serving-v1")
	cases := []struct {
		name, title, body string
		want              map[string]string
		noRule            []string
	}{
		{
			name:   "emphasis is not impact",
			title:  "[Bug]: extra spaces in the JSON output with the grammar backend",
			body:   "With the grammar backend the JSON has extra spaces between keys. This is a very critical bug and severe enough to block us; it happens every time and consistently.",
			want:   map[string]string{"severity": "P2"},
			noRule: []string{"severity.p1.slowdown", "severity.p1.frequent"},
		},
		{
			name:   "logging output and the documentation in prose are not a log or docs problem",
			title:  "[Bug]: the server returns a 500 for an empty stop list",
			body:   "I launch the server with the command from the documentation. Sending `\"stop\": []` returns a 500. The logging output:\n\n```\nERROR 01-02 10:00:00 serving.py:120] IndexError: list index out of range\n```\n",
			noRule: []string{"severity.p3.minor"},
		},
		{
			name:  "a title that says it crashes is the engine dying in use",
			title: "[Bug]: engine crashes after a few hundred requests",
			body:  "After a few hundred chat requests the engine process exits and every later request is refused.",
			want:  map[string]string{"severity": "P0"},
		},
		{
			name:  "a crash in a less common configuration is P2",
			title: "[Bug]: crash on ROCm with speculative decoding",
			body:  "With speculative decoding enabled on an MI250 the first request fails with an illegal memory access. Without speculative decoding it works.",
			want:  map[string]string{"severity": "P2"},
		},
		{
			name:  "a title that says it hangs is the engine stopping in use",
			title: "[Bug]: server hangs after serving some requests",
			body:  "After a day of traffic every chat request waits forever, no error in the log, the health endpoint still answers.",
			want:  map[string]string{"severity": "P0"},
		},
		{
			name:   "a hang while loading is an engine that cannot start, not a hang in use",
			title:  "[Bug]: engine stuck while loading the weights with two GPUs",
			body:   "The log stops after the second shard is read; after an hour nothing has moved and the port never opens.",
			want:   map[string]string{"severity": "P1"},
			noRule: []string{"severity.p1.hang-title"},
		},
		{
			name:  "a title that says start-up hangs on a less common back end stays P2",
			title: "[Bug]: server hangs at start-up on ROCm",
			body:  "On an MI250 the server never finishes its start-up; on CUDA the same command is fine.",
			want:  map[string]string{"severity": "P2"},
		},
		{
			name:   "a conversion script that fails on one model is a tool broken for that model, not a crash of the service",
			title:  "convert_hf_to_gguf.py fails on a new MoE fine-tune",
			body:   "Running the script on my checkpoint stops with\n\n```\nTraceback (most recent call last):\n  File \"convert_hf_to_gguf.py\", line 120, in <module>\nValueError: Can not map tensor 'model.layers.0.mlp.gate.e_score_correction_bias'\n```\n",
			want:   map[string]string{"severity": "P2"},
			noRule: []string{"severity.p1.crash-evidence"},
		},
		{
			name:   "a compiler that dies during the build is a build failure, not the service crashing",
			title:  "[Installation]: build from source fails, nvcc died with signal 9",
			body:   "pip install -e . stops after twenty minutes:\n\n```\nnvcc error   : 'cicc' died due to signal 9 (Kill signal)\nRuntimeError: Error compiling objects for extension\n```\n",
			want:   map[string]string{"severity": "P2"},
			noRule: []string{"severity.p1.crash-evidence"},
		},
		{
			name:   "make as a verb is no build",
			title:  "[Bug]: long prompts make the server crash",
			body:   "A prompt of 30k tokens makes the server exit; every client loses its connection.",
			want:   map[string]string{"severity": "P0"},
			noRule: []string{"severity.p2.build"},
		},
		{
			name:   "a CI failure on a less common back end with a traceback stays a test failure",
			title:  "[CI Failure]: ROCm pooling models test fails",
			body:   "The nightly job fails in tests/models/test_pooling.py:\n\n```\nTraceback (most recent call last):\n  File \"tests/models/test_pooling.py\", line 30, in test_models\nAssertionError: embeddings differ\n```\n",
			want:   map[string]string{"severity": "P3"},
			noRule: []string{"severity.p1.crash-evidence"},
		},
		{
			name:  "equal evidence for P1 and P3 settles between them",
			title: "[Bug]: RuntimeError in the web UI when the token count is displayed",
			body:  "Opening the chat page shows an empty box where the token count should be.",
			want:  map[string]string{"severity": "P2"},
		},
		{
			name:   "much slower gives no size",
			title:  "[Bug]: prefill is much slower with long system prompts",
			body:   "With a 6k-token system prompt the prefill is much slower than I expected; short prompts are fine.",
			want:   map[string]string{"severity": "P2"},
			noRule: []string{"severity.p1.slowdown"},
		},
		{
			name:  "a slowdown said as a factor is more than half",
			title: "[Bug]: decoding is 3x slower since the new attention back end",
			body:  "Tokens per second went from 90 to 30 on the same GPU and model.",
			want:  map[string]string{"severity": "P1"},
		},
		{
			name:   "an engine that cannot start on a less common back end is P2",
			title:  "[Bug]: cannot start the server on Intel Arc with SYCL",
			body:   "The server exits right after printing the device list; on my NVIDIA machine the same model starts.",
			want:   map[string]string{"severity": "P2"},
			noRule: []string{"severity.p1.cannot-run"},
		},
		{
			name:  "an engine that cannot start in a common setup is P1",
			title: "[Bug]: server fails to start after upgrading to the new release",
			body:  "On one H100 with Llama-3.1-8B the server exits during start-up; nothing else changed.",
			want:  map[string]string{"severity": "P1"},
		},
		{
			name:   "stuck in a loop in the title is repetition, not a hang",
			title:  "[Bug]: model gets stuck in a loop repeating the last sentence",
			body:   "The answer repeats the same sentence until max_tokens.",
			noRule: []string{"severity.p1.hang-title"},
		},
		{
			name:   "a common quantization format does not make garbage a niche problem",
			title:  "[Bug]: Q4_K_M model outputs gibberish",
			body:   "Every answer of the Q4_K_M model is gibberish: random characters, no words.",
			want:   map[string]string{"severity": "P1"},
			noRule: []string{"severity.p2.less-common"},
		},
		{
			name:  "a warning message is cosmetic",
			title: "[Bug]: misleading warning message at start-up",
			body:  "At start-up the server prints a warning that the tokenizer is slow although the fast tokenizer is used. Everything works.",
			want:  map[string]string{"severity": "P3"},
		},
		{
			name:  "all requests failing is frequent failure",
			title: "[Bug]: completions endpoint returns an error",
			body:  "Since this morning all requests fail with a 400 from the completions endpoint.",
			want:  map[string]string{"severity": "P1"},
		},
		{
			name:   "a possible leak is not a leak",
			title:  "[Bug]: tensors allocated on GPU 0 by the other ranks",
			body:   "A possible memory leak: the other ranks put their tensors on cuda:0, so GPU 0 uses more memory than the others.",
			noRule: []string{"severity.p1.leak"},
		},
		{
			name:  "a memory leak is P1",
			title: "[Bug]: host memory keeps growing under load",
			body:  "Serving chat requests for a day, the RSS of the API server keeps growing by about 2 GB an hour: a memory leak, until the machine swaps.",
			want:  map[string]string{"severity": "P1"},
		},
		{
			name:  "crashes in the prose of a script's report are no crash of the service",
			title: "[Bug]: benchmark script reports a wrong token count",
			body:  "The benchmark script counts one token too many per request; when the output is empty it crashes. The server itself is fine.",
			want:  map[string]string{"severity": "P2"},
		},
		{
			name:  "a regression without its size is no impact",
			title: "[Bug]: tool call parser broke after upgrading to the latest release",
			body:  "This used to work in the previous version. Since the update the parser drops the arguments of the second call when two tools are called.",
			want:  map[string]string{"severity": "P2"},
		},
		{
			name:   "an exception class is not an unusual input",
			title:  "[Bug]: cannot run Janus-Pro-7B",
			body:   "Starting the server for Janus-Pro-7B fails:\n\n```\nTypeError: 'NoneType' object is not subscriptable\nAttributeError: 'NoneType' object has no attribute 'shape'\n```\n",
			want:   map[string]string{"root_cause": "integration"},
			noRule: []string{"root.edge.hint"},
		},
		{
			name:  "jump-forward decoding is grammar state",
			title: "[Bug]: jump-forward decoding changes the JSON output",
			body:  "With jump-forward decoding the JSON output has an extra slash before a string value; without jump-forward it is right.",
			want:  map[string]string{"root_cause": "state_management"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := &bugscope.Issue{Repo: "o/r", Number: 1, Title: tc.title, Body: vllmBug(envDump, tc.body), Labels: []string{"bug"}}
			c := cl.One(is)
			if c.Labels.One("kind") != "bug" {
				t.Fatalf("kind = %v\n%s", c.Labels["kind"], evidenceText(c))
			}
			for dim, want := range tc.want {
				if got := c.Labels.One(dim); got != want {
					t.Errorf("%s = %q, want %q\n%s", dim, got, want, evidenceText(c))
				}
			}
			for _, h := range cl.rs.match(prepare(is, cl.rs.roles)) {
				for _, id := range tc.noRule {
					if h.rule.ID == id {
						t.Errorf("rule %s matched %q (line %q)", id, h.text, h.line)
					}
				}
			}
		})
	}
}

// TestMiddleOfTie: equal evidence for two or more severities settles
// halfway between the extremes of the tie, the lower of two neighbours.
func TestMiddleOfTie(t *testing.T) {
	tax, err := taxonomy.Builtin("llm-serving-v1")
	if err != nil {
		t.Fatal(err)
	}
	sev := tax.Dimension("severity")
	cases := []struct {
		scores   map[string]float64
		want     string
		wantTied []string
	}{
		{map[string]float64{"P1": 2, "P3": 2}, "P2", []string{"P1", "P3"}},
		{map[string]float64{"P0": 2, "P3": 2}, "P1", []string{"P0", "P3"}},
		{map[string]float64{"P0": 2, "P2": 2, "P3": 1}, "P1", []string{"P0", "P2"}},
		{map[string]float64{"P0": 2, "P1": 2}, "P0", []string{"P0", "P1"}},
		{map[string]float64{"P2": 2.5, "P3": 2.5}, "P2", []string{"P2", "P3"}},
		{map[string]float64{"P0": 2, "P1": 2, "P2": 2}, "P1", []string{"P0", "P1", "P2"}},
	}
	for _, tc := range cases {
		best := 0.0
		for _, s := range tc.scores {
			best = max(best, s)
		}
		got, tied := middleOfTie(sev, func(v string) float64 { return tc.scores[v] }, best)
		if got != tc.want || strings.Join(tied, ",") != strings.Join(tc.wantTied, ",") {
			t.Errorf("%v: got %s (tied %v), want %s (tied %v)", tc.scores, got, tied, tc.want, tc.wantTied)
		}
	}
}
