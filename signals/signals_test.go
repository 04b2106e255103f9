package signals

import (
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bugscope/bugscope"
)

type kv struct{ kind, value string }

func TestPatternsCompile(t *testing.T) {
	rs, err := compileRules(patternsYAML)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.rules) < 100 {
		t.Errorf("only %d rules loaded", len(rs.rules))
	}
	seen := map[string]bool{}
	for _, r := range rs.rules {
		seen[r.kind] = true
	}
	for _, k := range kinds {
		if !seen[k] {
			t.Errorf("no rule of kind %s", k)
		}
	}
}

// TestPatternExamples checks the examples written beside the rules in
// patterns.yaml: each rule must find its example text and give its value.
func TestPatternExamples(t *testing.T) {
	rs := rulesOrPanic()
	n := 0
	for _, r := range rs.rules {
		for _, ex := range r.examples {
			n++
			repo := "example/example"
			if len(r.repos) > 0 {
				repo = "example/" + r.repos[0]
			}
			raw := collect(rs, repo, "", ex.text, func(hs []hit) []hit { return append([]hit(nil), hs...) })
			var got []string
			found := false
			for _, h := range raw {
				if h.prio == r.id {
					got = append(got, h.Value)
					found = found || h.Value == ex.value
				}
			}
			if !found {
				t.Errorf("%s: example %q gives %q, want %q", r.name, ex.text, got, ex.value)
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d examples in patterns.yaml", n)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown kind", "colour:\n  - {value: x, match: abc}\n", "field colour not found"},
		{"unknown field", "gpu:\n  - {value: x, match: abc, colour: red}\n", "field colour not found"},
		{"bad regexp", "gpu:\n  - {value: x, match: 'a(b'}\n", "gpu[0]"},
		{"no value", "gpu:\n  - {match: abc}\n", "required"},
		{"no keyword", "gpu:\n  - {value: x, match: '\\d+'}\n", "add keywords"},
		{"missing group", "gpu:\n  - {value: 'x $2', match: 'a(b)c'}\n", "no group"},
		{"msg outside exception", "gpu:\n  - {value: x, match: 'ab(?P<msg>c)'}\n", "msg group"},
		{"bad unless", "gpu:\n  - {value: x, match: abc, unless: '('}\n", "unless"},
		{"bad anchor", "gpu:\n  - {value: x, match: abc, anchor: line}\n", "anchor"},
		{"word anchor without keywords", "gpu:\n  - {value: x, match: abc, anchor: word}\n", "needs keywords"},
		{"empty keyword", "gpu:\n  - {value: x, match: abc, keywords: ['\\b']}\n", "non-empty"},
		{"empty", "", "no rules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileRules([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("compileRules: err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestExtractFixtures(t *testing.T) {
	tests := []struct {
		name, repo, title, body string
		want                    []kv
		not                     []kv
	}{
		{
			name: "vLLM collect_env", repo: "vllm-project/vllm", title: "[Bug]: TP=2 hangs after first request",
			body: fixtureCollectEnv,
			want: []kv{
				{bugscope.SignalGPU, "A100"}, {bugscope.SignalCUDA, "12.4"}, {bugscope.SignalOS, "Ubuntu 22.04"},
				{bugscope.SignalEngineVersion, "vllm 0.7.3.post1"}, {bugscope.SignalBackend, "CUDA"},
			},
			// ROCm and Neuron appear only as "N/A", "Could not collect", "Disabled".
			not: []kv{{bugscope.SignalBackend, "ROCm"}, {bugscope.SignalBackend, "Neuron"}, {bugscope.SignalOS, "Linux"}},
		},
		{
			name: "traceback ending in torch.OutOfMemoryError", repo: "vllm-project/vllm",
			title: "[Bug]: OOM during profile run", body: fixtureTraceback,
			want: []kv{{bugscope.SignalException, "torch.OutOfMemoryError"}, {bugscope.SignalErrorSignature, "CUDA out of memory"}},
			// The specific signature wins over the generic exception message.
			not: []kv{{bugscope.SignalErrorSignature, "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate N GiB. GPU N has a total capacity of N GiB of which"}},
		},
		{
			name: "llama.cpp crash with GGML_ASSERT", repo: "ggml-org/llama.cpp", title: "Eval bug: crash with large batch",
			body: fixtureLlamaCrash,
			want: []kv{
				{bugscope.SignalErrorSignature, "GGML_ASSERT(ggml_nbytes(src0) <= INT_MAX)"},
				{bugscope.SignalErrorSignature, "Aborted (core dumped)"},
				{bugscope.SignalGPU, "RTX 4090"}, {bugscope.SignalEngineVersion, "llama.cpp b4567"},
				{bugscope.SignalBackend, "CUDA"},
			},
			not: []kv{{bugscope.SignalErrorSignature, "core dumped"}},
		},
		{
			// Written from issue 9: a launcher that kills its process tree
			// after an ordinary exception leaves a bare "Killed" behind; that
			// is not the OOM killer.
			name: "bare Killed after an ordinary traceback", repo: "sgl-project/sglang",
			title: "[Bug] server exits after a bad request",
			body:  "```\nTraceback (most recent call last):\n  File \"/srv/app/scheduler.py\", line 88, in run\n    batch = self.get_next_batch()\nValueError: prompt is longer than the context window\n\nKilled\n```\n",
			want:  []kv{{bugscope.SignalException, "ValueError"}},
			not:   []kv{{bugscope.SignalErrorSignature, "killed (OOM killer)"}},
		},
		{
			name: "bare Killed alone: the OOM killer", repo: "sgl-project/sglang",
			title: "[Bug] process disappears while loading a 70B model",
			body:  "The server loads for a while and then the shell prints\n\n```\nLoading safetensors checkpoint shards:  40% Completed | 12/30\nKilled\n```\n",
			want:  []kv{{bugscope.SignalErrorSignature, "killed (OOM killer)"}},
		},
		{
			name: "nvidia-smi table", repo: "vllm-project/vllm", body: fixtureNvidiaSMI,
			want: []kv{
				{bugscope.SignalGPU, "L40S"}, {bugscope.SignalCUDA, "12.6"}, {bugscope.SignalEngineVersion, "vllm 0.6.3"},
				{bugscope.SignalOS, "Debian 12"},
			},
			not: []kv{{bugscope.SignalGPU, "L40"}},
		},
		{
			name: "Windows and Vulkan", repo: "ggml-org/llama.cpp", title: "Misc. bug: Vulkan OOM on 7900 XTX",
			body: fixtureWindowsVulkan,
			want: []kv{
				{bugscope.SignalGPU, "RX 7900 XTX"}, {bugscope.SignalOS, "Windows 11"}, {bugscope.SignalBackend, "Vulkan"},
				{bugscope.SignalEngineVersion, "llama.cpp b5012"},
				{bugscope.SignalErrorSignature, "ggml_vulkan: Device memory allocation of size N failed"},
				{bugscope.SignalErrorSignature, "ggml_vulkan: vk::Device::allocateMemory: ErrorOutOfDeviceMemory"},
				{bugscope.SignalErrorSignature, "failed to load model"},
			},
			// "Windows" alone is subsumed by "Windows 11".
			not: []kv{{bugscope.SignalOS, "Windows"}},
		},
		{
			name: "SGLang server log", repo: "sgl-project/sglang", title: "[Bug] NCCL crash on two nodes",
			body: fixtureSGLangLog,
			want: []kv{
				{bugscope.SignalException, "RuntimeError"}, {bugscope.SignalErrorSignature, "NCCL error: unhandled cuda error"},
				{bugscope.SignalErrorSignature, "NCCL timeout"}, {bugscope.SignalErrorSignature, "HTTP 500"},
				{bugscope.SignalGPU, "H100"}, {bugscope.SignalCUDA, "12.4"},
				{bugscope.SignalEngineVersion, "sglang 0.4.1.post3"}, {bugscope.SignalEngineVersion, "vllm 0.6.4.post1"},
			},
			not: []kv{{bugscope.SignalErrorSignature, "RuntimeError: NCCL error: unhandled cuda error (run with NCCL_DEBUG=INFO for details)"}},
		},
		{
			name: "ROCm", repo: "vllm-project/vllm", body: fixtureROCm,
			want: []kv{
				{bugscope.SignalGPU, "MI300X"}, {bugscope.SignalROCm, "6.2"}, {bugscope.SignalBackend, "ROCm"},
				{bugscope.SignalErrorSignature, "HIP error: invalid device function"}, {bugscope.SignalException, "RuntimeError"},
			},
		},
		{
			name: "Apple Metal", repo: "ggml-org/llama.cpp", body: fixtureMetal,
			want: []kv{
				{bugscope.SignalGPU, "Apple M2 Max"}, {bugscope.SignalOS, "macOS 14.5"}, {bugscope.SignalBackend, "Metal"},
				{bugscope.SignalBackend, "CPU"},
			},
			not: []kv{{bugscope.SignalOS, "macOS"}, {bugscope.SignalOS, "macOS 14"}, {bugscope.SignalOS, "Linux"}},
		},
		{
			name: "prose and code are not exceptions", repo: "vllm-project/vllm", body: fixtureProse,
			not: []kv{
				{bugscope.SignalException, "ValueError"}, {bugscope.SignalException, "Error"},
				{bugscope.SignalBackend, "ROCm"}, {bugscope.SignalBackend, "Metal"},
			},
		},
		{
			name: "title only", repo: "vllm-project/vllm",
			title: "[Bug]: RuntimeError: CUDA error: an illegal memory access was encountered on H200 with vllm 0.8.5",
			want: []kv{
				{bugscope.SignalException, "RuntimeError"}, {bugscope.SignalGPU, "H200"},
				{bugscope.SignalErrorSignature, "CUDA error: an illegal memory access was encountered"},
				{bugscope.SignalEngineVersion, "vllm 0.8.5"},
			},
		},
		{
			name: "generic exception message", repo: "vllm-project/vllm",
			body: "Traceback (most recent call last):\n  File \"/x/y.py\", line 3, in <module>\nValueError: Model architectures ['FooForCausalLM'] failed to be inspected after 3 retries in /home/u/models/foo\n",
			want: []kv{
				{bugscope.SignalException, "ValueError"},
				{bugscope.SignalErrorSignature, "ValueError: Model architectures [<str>] failed to be inspected after N retries in <path>"},
			},
		},
		{
			name: "bare llama.cpp build number counts only in llama.cpp", repo: "vllm-project/vllm",
			body: "version: 4567 (a1b2c3d4)\nbuilt with cc\n",
			not:  []kv{{bugscope.SignalEngineVersion, "llama.cpp b4567"}},
		},
		{
			name: "Linux only when nothing more specific", repo: "ggml-org/llama.cpp",
			body: "### Operating systems\n\nLinux\n",
			want: []kv{{bugscope.SignalOS, "Linux"}},
		},
		{
			name: "C++ exceptions", repo: "ggml-org/llama.cpp",
			body: "terminate called after throwing an instance of 'std::bad_alloc'\n  what():  std::bad_alloc\nAborted (core dumped)\n",
			want: []kv{{bugscope.SignalException, "std::bad_alloc"}, {bugscope.SignalErrorSignature, "Aborted (core dumped)"}},
		},
		{
			name: "ANSI colours", repo: "vllm-project/vllm",
			body: "\x1b[1;31mRuntimeError\x1b[0m: \x1b[1mFailed to infer device type\x1b[0m\n",
			want: []kv{{bugscope.SignalException, "RuntimeError"}, {bugscope.SignalErrorSignature, "RuntimeError: Failed to infer device type"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(tt.repo, tt.title, tt.body)
			have := map[kv]bool{}
			for _, s := range got {
				have[kv{s.Kind, s.Value}] = true
			}
			for _, w := range tt.want {
				if !have[w] {
					t.Errorf("missing %s=%q; got %v", w.kind, w.value, got)
				}
			}
			for _, n := range tt.not {
				if have[n] {
					t.Errorf("unexpected %s=%q", n.kind, n.value)
				}
			}
			checkSignals(t, tt.repo, tt.title, tt.body)
		})
	}
}

// checkSignals checks the properties every result must have: offsets
// inside the field, the matched text at the offset, values valid and
// bounded, one signal per kind and value, sorted, deterministic.
func checkSignals(t *testing.T, repo, title, body string) {
	t.Helper()
	hs := extract(repo, title, body)
	seen := map[kv]bool{}
	for i, h := range hs {
		field := body
		if h.Field == FieldTitle {
			field = title
		} else if h.Field != FieldBody {
			t.Fatalf("signal %d: field %q", i, h.Field)
		}
		if h.Offset < 0 || h.Offset >= len(field) {
			t.Fatalf("signal %v: offset outside the %s (%d bytes)", h.Signal, h.Field, len(field))
		}
		if h.text == "" || !strings.HasPrefix(field[h.Offset:], h.text) {
			t.Errorf("signal %v: %s[%d:] does not start with the matched text %q", h.Signal, h.Field, h.Offset, h.text)
		}
		if h.Value == "" || len(h.Value) > maxValue || !utf8.ValidString(h.Value) {
			t.Errorf("signal %v: bad value", h.Signal)
		}
		k := kv{h.Kind, h.Value}
		if seen[k] {
			t.Errorf("signal %v: duplicate kind and value", h.Signal)
		}
		seen[k] = true
		if i > 0 && !lessHit(hs[i-1], h) {
			t.Errorf("signals %v and %v out of order", hs[i-1].Signal, h.Signal)
		}
	}
	a, b := Extract(repo, title, body), Extract(repo, title, body)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Extract is not deterministic")
	}
}

func lessHit(a, b hit) bool {
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	if a.field != b.field {
		return a.field < b.field
	}
	return a.Offset <= b.Offset
}

func TestOffsets(t *testing.T) {
	body := "Setup: Ubuntu 22.04, RTX 3090\nKeyError: 'lm_head.weight'\n"
	got := Extract("vllm-project/vllm", "A100 fails", body)
	want := []bugscope.Signal{
		{Kind: bugscope.SignalErrorSignature, Value: "KeyError: <str>", Field: "body", Offset: 30},
		{Kind: bugscope.SignalException, Value: "KeyError", Field: "body", Offset: 30},
		{Kind: bugscope.SignalGPU, Value: "A100", Field: "title", Offset: 0},
		{Kind: bugscope.SignalGPU, Value: "RTX 3090", Field: "body", Offset: 21},
		{Kind: bugscope.SignalOS, Value: "Ubuntu 22.04", Field: "body", Offset: 7},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Extract =\n%v\nwant\n%v", got, want)
	}
}

func TestFirstOccurrence(t *testing.T) {
	got := Extract("x/y", "Segmentation fault on A100", "log:\nSegmentation fault\nA100 again: Segmentation fault\n")
	var n int
	for _, s := range got {
		if s.Value == "Segmentation fault" {
			n++
			if s.Field != FieldTitle || s.Offset != 0 {
				t.Errorf("Segmentation fault at %s:%d, want title:0", s.Field, s.Offset)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d Segmentation fault signals, want 1", n)
	}
}

// TestScanWindow: a long body is read at its head and its tail only.
func TestScanWindow(t *testing.T) {
	filler := strings.Repeat("INFO 01-01 00:00:00 worker.py:1] step done, nothing to report here\n", 12000) // ~800 KB
	head := "Running on H100.\n"
	middle := "Segmentation fault\n"
	tail := "RuntimeError: CUDA error: device-side assert triggered\n"
	body := head + filler[:len(filler)/2] + middle + filler[len(filler)/2:] + tail
	got := map[kv]bugscope.Signal{}
	for _, s := range Extract("x/y", "", body) {
		got[kv{s.Kind, s.Value}] = s
	}
	if _, ok := got[kv{bugscope.SignalGPU, "H100"}]; !ok {
		t.Errorf("head not scanned")
	}
	s, ok := got[kv{bugscope.SignalErrorSignature, "CUDA error: device-side assert triggered"}]
	if !ok {
		t.Fatalf("tail not scanned")
	}
	if !strings.HasPrefix(body[s.Offset:], "CUDA error: device-side assert") {
		t.Errorf("tail offset %d points at %q", s.Offset, body[s.Offset:s.Offset+20])
	}
	if _, ok := got[kv{bugscope.SignalErrorSignature, "Segmentation fault"}]; ok {
		t.Errorf("the middle of a long body was scanned")
	}
	checkSignals(t, "x/y", "", body)
}

func TestAdversarial(t *testing.T) {
	inputs := []string{
		"",
		"\xff\xfe\xfd RuntimeError: \xff\xff bad bytes \xc3",
		strings.Repeat("a", 1<<20),
		strings.Repeat("Error", 50000),
		strings.Repeat("ValueError: x\n", 20000),
		strings.Repeat("CUDA 12.1 ", 30000),
		"GGML_ASSERT(" + strings.Repeat("(", 5000) + ") failed",
		strings.Repeat("\x1b[31m", 1000) + "RuntimeError: boom",
		"RuntimeError: " + strings.Repeat("é", 500),
		strings.Repeat("A100 H100 RTX 4090 ", 10000),
	}
	for i, in := range inputs {
		checkSignals(t, "ggml-org/llama.cpp", in, in)
		if i == 4 {
			// A repeated line yields one signal per kind and value.
			n := 0
			for _, s := range Extract("x/y", "", in) {
				if s.Kind == bugscope.SignalException {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d exception signals for one repeated line", n)
			}
		}
	}
}

func TestNormMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Tried to allocate 20.00 MiB. GPU 0 has a total capacity of 79.15 GiB", "Tried to allocate N MiB. GPU N has a total capacity of N GiB"},
		{"segfault at 0x7f3a2c6ea42f ip 0x00007f", "segfault at 0xX ip 0xX"},
		{"cannot open /usr/local/lib/python3.10/site-packages/x.so: no such file", "cannot open <path>: no such file"},
		{"file C:\\Users\\me\\models\\a.gguf missing", "file <path> missing"},
		{"Model architectures ['Qwen2ForCausalLM'] are not supported", "Model architectures [<str>] are not supported"},
		{"The model's max seq len (4096) isn't supported", "The model's max seq len (N) isn't supported"},
		{"request b337860cedc2442dabe8f25b9e84f95f failed", "request <hex> failed"},
		{"see https://docs.vllm.ai/en/latest/x.html for details", "see <url> for details"},
		{"\x1b[31mred\x1b[0m and [1mbold[0m", "red and bold"},
		{"float16 on sm_90 with 1,024 tokens", "float16 on sm_90 with N tokens"},
		{"N/A and input/output", "N/A and input/output"},
		{"ratio 3x of v1.2", "ratio 3x of v1.N"},
	}
	for _, tt := range tests {
		if got := normMessage(tt.in); got != tt.want {
			t.Errorf("normMessage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTidy(t *testing.T) {
	long := strings.Repeat("é", 100)
	got := tidy(long, maxValue)
	if len(got) > maxValue || !utf8.ValidString(got) {
		t.Errorf("tidy did not bound %d bytes to a valid %d: %q", len(long), maxValue, got)
	}
	if got := tidy("  a \t b\r\n c.:;  ", maxValue); got != "a b c" {
		t.Errorf("tidy = %q", got)
	}
	if got := tidy("x\xffy", maxValue); !utf8.ValidString(got) {
		t.Errorf("tidy kept invalid UTF-8: %q", got)
	}
}

func TestMajorMinor(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi int
		want   string
	}{
		{"12.1", 7, 13, "12.1"}, {"12.4.131", 7, 13, "12.4"}, {"121", 7, 13, "12.1"}, {"118", 7, 13, "11.8"},
		{"12", 7, 13, ""}, {"3.2", 7, 13, ""}, {"99.1", 7, 13, ""}, {"6.0.32830", 1, 9, "6.0"},
		{"6.2.41133-dd7f95766", 1, 9, "6.2"}, {"12.04", 7, 13, "12.4"}, {"x.y", 1, 9, ""}, {"", 1, 9, ""},
	}
	for _, tt := range tests {
		if got := majorMinor(tt.in, tt.lo, tt.hi); got != tt.want {
			t.Errorf("majorMinor(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEngineVersion(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0.6.3.post1", "0.6.3.post1"}, {"v0.8.5", "0.8.5"}, {"0.7.2+cpu", "0.7.2"},
		{"0.6.4.post2.dev359+g4863e5fb.d20241214", "0.6.4.post2.dev"}, {"0.4.3post2", "0.4.3.post2"},
		{"0.8.0rc3", "0.8.0rc3"}, {"1.0.0.dev", "1.0.0.dev"},
	}
	for _, tt := range tests {
		if got := engineVersion(tt.in); got != tt.want {
			t.Errorf("engineVersion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRequiredKeywords(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`\bA100\b`, []string{"\x01a100\x01"}},
		{`A100`, []string{"a100"}},
		{`(?i)\bTPUs?\b`, []string{"\x01tpu\x01", "\x01tpus\x01"}},
		{`(?i)CUDA out of memory`, []string{"cuda out of memory"}},
		{`(?i)\bMI(\d{3}[XA]?)\b`, []string{"\x01mi"}},
		{`(?i)\bRTX\s*(\d{4})`, []string{"\x01rtx"}},
		{`foo|bar`, []string{"foo", "bar"}},
		{`[Kk]elvin`, []string{"kelvin"}},
		{`(?i)kelvin`, []string{"kelvin"}},
		{`\d+`, nil},
		{`a|\d`, nil},
		{`(?:x)?`, nil},
	}
	for _, tt := range tests {
		got := requiredKeywords(tt.expr, 2)
		sort.Strings(got)
		sort.Strings(tt.want)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("requiredKeywords(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestPrefixKeywords(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`(?i)\bvllm\s*==\s*(\d+)`, []string{"\x01vllm"}},
		{`CUDA out of memory`, []string{"cuda out of memory"}},
		{`(?i)\bMI(\d{3})`, []string{"\x01mi0", "\x01mi1", "\x01mi2", "\x01mi3", "\x01mi4", "\x01mi5", "\x01mi6", "\x01mi7", "\x01mi8", "\x01mi9"}},
		{`foo|\bbar\b`, []string{"foo", "\x01bar\x01"}},
		{`(?i)\b[Hh]ip\b`, []string{"\x01hip\x01"}},
		{`(?:Apple\s+)?M([1-5])`, nil}, // may start with either
		{`^Killed$`, nil},              // a keyword is not a line start
		{`x*abc`, nil},
		{`\ba`, nil}, // too weak to run at every hit
		{`abc$`, nil},
	}
	for _, tt := range tests {
		got := prefixKeywords(tt.expr, minPrefix)
		sort.Strings(got)
		sort.Strings(tt.want)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("prefixKeywords(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestWordAnchor(t *testing.T) {
	tests := []struct {
		s    string
		kw   string // the keyword, found in s
		want string // s from the anchor on
	}{
		{"x torch.cuda.OutOfMemoryError: boom", "error:", " torch.cuda.OutOfMemoryError: boom"},
		{"ValueError: bad", "error:", "ValueError: bad"},
		{"a\nKeyError: 1", "error:", "\nKeyError: 1"},
		{"see \x1b[1;31mRuntimeError\x1b[0m: x", "error\x1b[", "\x1b[1;31mRuntimeError\x1b[0m: x"},
		{"see [1;31mRuntimeError[0m: x", "error[", "[1;31mRuntimeError[0m: x"},
		{"torch==2.5.0+rocm6.2", "rocm", "+rocm6.2"},
	}
	for _, tt := range tests {
		a := strings.Index(asciiLower(tt.s), tt.kw)
		if got := tt.s[wordAnchor(tt.s, 0, a):]; got != tt.want {
			t.Errorf("wordAnchor(%q) starts at %q, want %q", tt.s, got, tt.want)
		}
	}
}

// TestKeywordsSound checks on the examples and fixtures that every regexp
// match of every rule holds one of the rule's keywords, with the word
// boundaries it asks for, i.e. that the automaton never hides a line a rule
// would match.
func TestKeywordsSound(t *testing.T) {
	rs := rulesOrPanic()
	type kw struct {
		text          string
		before, after bool
	}
	ruleKws := make([][]kw, len(rs.rules))
	for id, refs := range rs.kwRules {
		for _, ref := range refs {
			ruleKws[ref.rule] = append(ruleKws[ref.rule], kw{rs.kws[id], ref.before, ref.after})
		}
	}
	var corpus []string
	for _, r := range rs.rules {
		for _, ex := range r.examples {
			corpus = append(corpus, ex.text)
		}
	}
	corpus = append(corpus, fixtureCollectEnv, fixtureTraceback, fixtureLlamaCrash, fixtureNvidiaSMI,
		fixtureWindowsVulkan, fixtureSGLangLog, fixtureROCm, fixtureMetal)
	for _, text := range corpus {
		for _, line := range strings.Split(text, "\n") {
			for _, r := range rs.rules {
				lower := asciiLower(line)
				for _, m := range r.re.FindAllStringIndex(line, -1) {
					ok := false
					for _, k := range ruleKws[r.id] {
						for i := m[0]; i+len(k.text) <= m[1] && !ok; i++ {
							ok = lower[i:i+len(k.text)] == k.text &&
								(!k.before || wordBoundary(line, i)) && (!k.after || wordBoundary(line, i+len(k.text)))
						}
					}
					if !ok {
						t.Errorf("%s matches %q in %q but holds none of its keywords %v", r.name, line[m[0]:m[1]], line, ruleKws[r.id])
					}
				}
			}
		}
	}
}

func TestAutomaton(t *testing.T) {
	kws := []string{"he", "she", "his", "hers", "cuda", "cuda error", "a", "error:"}
	a := newAutomaton(kws)
	rng := rand.New(rand.NewSource(1))
	alphabet := "heSsirHCUDAcuda error:\n\xff"
	for n := 0; n < 300; n++ {
		b := make([]byte, rng.Intn(60))
		for i := range b {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
		s := string(b)
		var got [][2]int
		a.scan(nil, s, func(start, kw int) { got = append(got, [2]int{start, kw}) })
		var want [][2]int
		lower := asciiLower(s)
		for end := 1; end <= len(s); end++ {
			for id, kw := range kws {
				if end >= len(kw) && lower[end-len(kw):end] == kw {
					want = append(want, [2]int{end - len(kw), id})
				}
			}
		}
		key := func(p [][2]int) func(i, j int) bool {
			return func(i, j int) bool {
				if p[i][0]+len(kws[p[i][1]]) != p[j][0]+len(kws[p[j][1]]) {
					return p[i][0]+len(kws[p[i][1]]) < p[j][0]+len(kws[p[j][1]])
				}
				return p[i][1] < p[j][1]
			}
		}
		sort.Slice(got, key(got))
		sort.Slice(want, key(want))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("scan(%q) = %v, want %v", s, got, want)
		}
	}
}

func asciiLower(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = lowerByte(b[i])
	}
	return string(b)
}

// TestConcurrent: Extract shares its rules and pools its scratch space;
// run with -race.
func TestConcurrent(t *testing.T) {
	bodies := []string{fixtureCollectEnv, fixtureTraceback, fixtureLlamaCrash, fixtureSGLangLog, fixtureWindowsVulkan}
	want := make([][]bugscope.Signal, len(bodies))
	for i, b := range bodies {
		want[i] = Extract("ggml-org/llama.cpp", "", b)
	}
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			ok := true
			for n := 0; n < 50; n++ {
				i := (g + n) % len(bodies)
				ok = ok && reflect.DeepEqual(Extract("ggml-org/llama.cpp", "", bodies[i]), want[i])
			}
			done <- ok
		}()
	}
	for g := 0; g < 4; g++ {
		if !<-done {
			t.Error("concurrent Extract gave a different result")
		}
	}
}
